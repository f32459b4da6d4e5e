#include "mtproto/session/salts.h"

#include "gtest/gtest.h"
#include "mtproto/session/session_test_util.h"

namespace tgrpc::mtproto::session {
namespace {

using testing::SeededRandom;

const absl::Time kEpoch = absl::FromUnixSeconds(1704067200);  // a multiple of an hour

TEST(ServerSaltsTest, RotatesWithGrace) {
  ServerSalts salts(SeededRandom(1), absl::Hours(1), absl::Minutes(30));
  const absl::Time t0 = kEpoch + absl::Minutes(10);
  const uint64_t first = salts.Current(t0);
  EXPECT_TRUE(salts.IsValid(first, t0));
  EXPECT_EQ(salts.Current(t0 + absl::Minutes(40)), first);
  const absl::Time t1 = kEpoch + absl::Hours(1) + absl::Minutes(5);
  const uint64_t second = salts.Current(t1);
  EXPECT_NE(second, first);
  EXPECT_TRUE(salts.IsValid(second, t1));
  EXPECT_TRUE(salts.IsValid(first, t1));  // grace
  EXPECT_FALSE(salts.IsValid(first, kEpoch + absl::Hours(1) + absl::Minutes(31)));
  EXPECT_FALSE(salts.IsValid(first ^ 1, t0));
}

TEST(ServerSaltsTest, UpcomingMatchesLaterCurrent) {
  ServerSalts salts(SeededRandom(2), absl::Hours(1), absl::Minutes(30));
  const absl::Time t0 = kEpoch + absl::Minutes(10);
  const std::vector<FutureSalt> upcoming = salts.Upcoming(t0, 4);
  ASSERT_EQ(upcoming.size(), 4u);
  EXPECT_EQ(upcoming[0].salt, salts.Current(t0));
  EXPECT_EQ(upcoming[0].valid_since, kEpoch);
  EXPECT_EQ(upcoming[0].valid_until, kEpoch + absl::Minutes(90));
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(upcoming[i].valid_since, kEpoch + absl::Hours(i));
    EXPECT_EQ(upcoming[i].salt, salts.Current(kEpoch + absl::Hours(i) + absl::Minutes(1)));
  }
}

TEST(ServerSaltsTest, ExtraSaltForItsLifetime) {
  ServerSalts salts(SeededRandom(3), absl::Hours(1), absl::Minutes(30));
  const absl::Time t0 = kEpoch + absl::Minutes(10);
  salts.AddSalt(42, absl::InfinitePast(), t0 + absl::Minutes(30));
  EXPECT_TRUE(salts.IsValid(42, t0));
  EXPECT_FALSE(salts.IsValid(42, t0 + absl::Minutes(31)));
}

TEST(ClientSaltsTest, SwitchesByTimeWithMargin) {
  ClientSalts salts(7);
  const absl::Duration margin = absl::Minutes(1);
  salts.AddFuture({{kEpoch, kEpoch + absl::Minutes(90), 100},
                   {kEpoch + absl::Hours(1), kEpoch + absl::Minutes(150), 101},
                   {kEpoch + absl::Hours(2), kEpoch + absl::Minutes(210), 102}});
  EXPECT_EQ(salts.covered_until(), kEpoch + absl::Minutes(210));
  EXPECT_EQ(salts.Select(kEpoch + absl::Minutes(10), margin), 100u);
  // Right at the switch the new salt is not trusted yet (clock skew).
  EXPECT_EQ(salts.Select(kEpoch + absl::Minutes(60) + absl::Seconds(30), margin), 100u);
  EXPECT_EQ(salts.Select(kEpoch + absl::Minutes(62), margin), 101u);
  EXPECT_EQ(salts.Select(kEpoch + absl::Minutes(125), margin), 102u);
  EXPECT_EQ(salts.future().size(), 2u);  // the first expired
  // After everything expired the last salt stays.
  EXPECT_EQ(salts.Select(kEpoch + absl::Hours(10), margin), 102u);
  EXPECT_TRUE(salts.future().empty());
}

TEST(ClientSaltsTest, ServerWordWins) {
  ClientSalts salts(7);
  salts.AddFuture({{kEpoch, kEpoch + absl::Hours(2), 100}});
  salts.SetFromServer(555);
  EXPECT_EQ(salts.current(), 555u);
  EXPECT_TRUE(salts.future().empty());
  EXPECT_EQ(salts.Select(kEpoch + absl::Minutes(10), absl::Minutes(1)), 555u);
}

}  // namespace
}  // namespace tgrpc::mtproto::session
