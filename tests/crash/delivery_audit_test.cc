#include "tests/crash/delivery_audit.h"

#include "gtest/gtest.h"

namespace tgrpc::crash {
namespace {

using Verdict = DeliveryAudit::Verdict;

TEST(DeliveryAuditTest, RedeliveryAfterTheCommitIsNotADuplicate) {
  DeliveryAudit audit;
  int s = audit.BeginStream(0);
  EXPECT_EQ(audit.OnMessage(s, 3, "a", 7, 1), Verdict::kNew);
  EXPECT_EQ(audit.OnMessage(s, 5, "b", 7, 2), Verdict::kNew);
  // Committed 3; the next stream sends b again at its position.
  s = audit.BeginStream(3);
  EXPECT_EQ(audit.OnMessage(s, 5, "b", 7, 2), Verdict::kRedelivered);
  EXPECT_EQ(audit.OnMessage(s, 6, "c", 7, 3), Verdict::kNew);
  const DeliveryAudit::Figures f = audit.figures();
  EXPECT_EQ(f.streams, 2);
  EXPECT_EQ(f.deliveries, 4);
  EXPECT_EQ(f.distinct, 3);
  EXPECT_EQ(f.redelivered, 1);
  EXPECT_EQ(f.duplicated, 0);
  EXPECT_EQ(f.out_of_order, 0);
  EXPECT_TRUE(audit.problems().empty());
  EXPECT_EQ(audit.FirstDelivery("b").position, 5);
  EXPECT_EQ(audit.FirstDelivery("b").message_id, 2);
  EXPECT_EQ(audit.FirstDelivery("d").position, 0);
  EXPECT_EQ(audit.Missing({"a", "c", "d"}), std::vector<std::string>{"d"});
}

TEST(DeliveryAuditTest, AMessageAtASecondPositionIsADuplicate) {
  DeliveryAudit audit;
  int s = audit.BeginStream(0);
  EXPECT_EQ(audit.OnMessage(s, 1, "a", 7, 1), Verdict::kNew);
  EXPECT_EQ(audit.OnMessage(s, 2, "a", 7, 1), Verdict::kDuplicated);
  EXPECT_EQ(audit.figures().duplicated, 1);
  ASSERT_EQ(audit.problems().size(), 1u);
  EXPECT_NE(audit.problems()[0].find("first delivered at position 1"), std::string::npos);
}

TEST(DeliveryAuditTest, AMessageAtOrBeforeTheCommitIsADuplicate) {
  DeliveryAudit audit;
  int s = audit.BeginStream(0);
  audit.OnMessage(s, 4, "a", 7, 1);
  s = audit.BeginStream(4);  // committed a
  EXPECT_EQ(audit.OnMessage(s, 4, "a", 7, 1), Verdict::kDuplicated);
  EXPECT_EQ(audit.figures().redelivered, 0);
}

TEST(DeliveryAuditTest, OrderWithinAStreamAndAChat) {
  DeliveryAudit audit;
  int s = audit.BeginStream(10);
  EXPECT_EQ(audit.OnMessage(s, 9, "early", 7, 1), Verdict::kOutOfOrder);  // before the start
  EXPECT_EQ(audit.OnMessage(s, 12, "b", 7, 5), Verdict::kNew);
  EXPECT_EQ(audit.OnMessage(s, 11, "c", 8, 1), Verdict::kOutOfOrder);  // went back
  EXPECT_EQ(audit.OnMessage(s, 13, "d", 7, 4), Verdict::kNew);         // id 4 after id 5
  const DeliveryAudit::Figures f = audit.figures();
  EXPECT_EQ(f.new_before_start, 1);
  EXPECT_EQ(f.position_went_back, 1);
  EXPECT_EQ(f.chat_order, 1);
  EXPECT_EQ(f.out_of_order, 3);
}

TEST(DeliveryAuditTest, TwoKeysAtOnePositionConflict) {
  DeliveryAudit audit;
  int s = audit.BeginStream(0);
  audit.OnMessage(s, 1, "a", 7, 1);
  s = audit.BeginStream(0);
  EXPECT_EQ(audit.OnMessage(s, 1, "b", 7, 2), Verdict::kNew);
  EXPECT_EQ(audit.figures().position_conflicts, 1);
}

TEST(DeliveryAuditTest, TwiceInOneStreamAtOnePositionIsADuplicate) {
  DeliveryAudit audit;
  int s = audit.BeginStream(0);
  audit.OnMessage(s, 1, "a", 7, 1);
  EXPECT_EQ(audit.OnMessage(s, 1, "a", 7, 1), Verdict::kDuplicated);
  const DeliveryAudit::Figures f = audit.figures();
  EXPECT_EQ(f.duplicated, 1);
  EXPECT_EQ(f.position_went_back, 1);
}

}  // namespace
}  // namespace tgrpc::crash
