#include "mtproto/session/received_messages.h"

#include "gtest/gtest.h"

namespace tgrpc::mtproto::session {
namespace {

TEST(ReceivedMessagesTest, DuplicatesAndForgetting) {
  ReceivedMessages received(3);
  EXPECT_EQ(received.Find(100), ReceivedMessages::Lookup::kNew);
  received.Insert(100, 1);
  received.Insert(104, 3);
  received.Insert(108, 5);
  EXPECT_EQ(received.Find(104), ReceivedMessages::Lookup::kDuplicate);
  received.Insert(112, 7);  // forgets 100
  EXPECT_EQ(received.Find(100), ReceivedMessages::Lookup::kTooOld);
  EXPECT_EQ(received.Find(96), ReceivedMessages::Lookup::kTooOld);
  EXPECT_EQ(received.Find(102), ReceivedMessages::Lookup::kNew);
  EXPECT_EQ(received.State(100), 1);
  EXPECT_EQ(received.State(104), 4);
  EXPECT_EQ(received.State(106), 2);
  EXPECT_EQ(received.State(200), 3);
}

TEST(ReceivedMessagesTest, SeqNoOrder) {
  ReceivedMessages received(100);
  received.Insert(100, 1);  // content
  received.Insert(108, 2);  // ack
  received.Insert(116, 3);  // content
  EXPECT_EQ(received.CheckSeqNo(120, 5), 0);
  EXPECT_EQ(received.CheckSeqNo(120, 4), 0);
  EXPECT_EQ(received.CheckSeqNo(120, 3), 32);  // same odd seq_no as a lower msg_id
  EXPECT_EQ(received.CheckSeqNo(120, 2), 32);  // lower than a lower msg_id's
  EXPECT_EQ(received.CheckSeqNo(104, 2), 0);   // an ack between
  EXPECT_EQ(received.CheckSeqNo(104, 1), 32);
  EXPECT_EQ(received.CheckSeqNo(104, 3), 33);  // higher than the next message allows
  EXPECT_EQ(received.CheckSeqNo(96, 1), 33);   // same odd seq_no as a higher msg_id
  EXPECT_EQ(received.CheckSeqNo(96, 0), 0);
  // Entries without a seq_no (containers) do not count.
  received.Insert(124, ReceivedMessages::kNoSeqNo);
  EXPECT_EQ(received.CheckSeqNo(128, 5), 0);
  EXPECT_EQ(received.CheckSeqNo(120, 5), 0);
}

}  // namespace
}  // namespace tgrpc::mtproto::session
