#include "base/fake_clock.h"

#include "gtest/gtest.h"

namespace tgrpc::base {
namespace {

TEST(FakeClockTest, CopiesAndTheirClocksShareTheTime) {
  const absl::Time start = absl::FromUnixSeconds(1704067200);
  FakeClock clock(start);
  const FakeClock copy = clock;
  const Clock read = copy.AsClock();
  const Clock skewed = clock.AsClock(absl::Seconds(-30));
  EXPECT_EQ(read(), start);

  clock.Advance(absl::Minutes(5));
  EXPECT_EQ(copy.now(), start + absl::Minutes(5));
  EXPECT_EQ(read(), start + absl::Minutes(5));
  EXPECT_EQ(skewed(), start + absl::Minutes(5) - absl::Seconds(30));
}

}  // namespace
}  // namespace tgrpc::base
