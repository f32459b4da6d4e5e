#include "mtproto/session/msg_id.h"

#include "gtest/gtest.h"

namespace tgrpc::mtproto::session {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1704067200) + absl::Milliseconds(250);

TEST(MsgIdTest, CarriesUnixTimeTimesTwoToThe32) {
  const int64_t id = MsgIdAt(kNow);
  EXPECT_EQ(id >> 32, 1704067200);
  EXPECT_EQ(id & 3, 0);
  // A quarter of a second is 2^30 in the low word.
  EXPECT_NEAR(static_cast<double>(id & 0xffffffff), 1073741824.0, 4.0);
  EXPECT_LT(absl::AbsDuration(MsgIdTime(id) - kNow), absl::Microseconds(1));
}

TEST(MsgIdTest, ClientIdsAreDivisibleByFourAndIncrease) {
  MsgIdGenerator generator;
  int64_t last = 0;
  for (int i = 0; i < 100; ++i) {
    const int64_t id = generator.Next(kNow, MsgIdKind::kClient);  // same instant every time
    EXPECT_EQ(id % 4, 0);
    EXPECT_GT(id, last);
    last = id;
  }
}

TEST(MsgIdTest, ServerIdsHaveTheirResidues) {
  MsgIdGenerator generator;
  int64_t last = 0;
  for (int i = 0; i < 50; ++i) {
    const MsgIdKind kind = i % 3 == 0 ? MsgIdKind::kServerOther : MsgIdKind::kServerResponse;
    const int64_t id = generator.Next(kNow, kind);
    EXPECT_EQ(id % 4, static_cast<int>(kind));
    EXPECT_GT(id, last);
    last = id;
  }
}

TEST(MsgIdTest, SyncWithServerSetsTheOffset) {
  MsgIdGenerator generator;
  const int64_t server_id = MsgIdAt(kNow + absl::Seconds(100)) | 1;
  generator.SyncWith(server_id, kNow);
  EXPECT_LT(absl::AbsDuration(generator.time_offset() - absl::Seconds(100)), absl::Microseconds(1));
  EXPECT_EQ(generator.Next(kNow, MsgIdKind::kClient) >> 32, (server_id >> 32));
}

TEST(MsgIdTest, FloorLetsIdsGoDownAfterACorrection) {
  MsgIdGenerator generator;
  generator.set_time_offset(absl::Seconds(100));
  const int64_t high = generator.Next(kNow, MsgIdKind::kClient);
  generator.set_time_offset(absl::ZeroDuration());
  EXPECT_GT(generator.Next(kNow, MsgIdKind::kClient), high);  // still monotonic
  generator.set_floor(0);
  EXPECT_LT(generator.Next(kNow, MsgIdKind::kClient), high);
}

TEST(SeqNoCounterTest, OddForContentEvenOtherwise) {
  SeqNoCounter seqno;
  EXPECT_EQ(seqno.Next(false), 0);
  EXPECT_EQ(seqno.Next(true), 1);
  EXPECT_EQ(seqno.Next(true), 3);
  EXPECT_EQ(seqno.Next(false), 4);
  EXPECT_EQ(seqno.Next(false), 4);
  EXPECT_EQ(seqno.Next(true), 5);
}

}  // namespace
}  // namespace tgrpc::mtproto::session
