#include "mtproto/net/backoff.h"

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace tgrpc::mtproto::net {
namespace {

crypto::RandomSource ConstantRandom(std::vector<uint8_t> pattern) {
  return [pattern = std::move(pattern)](absl::Span<uint8_t> out) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = pattern[i % pattern.size()];
  };
}

crypto::RandomSource SeededRandom(uint64_t seed) {
  auto engine = std::make_shared<std::mt19937_64>(seed);
  return [engine](absl::Span<uint8_t> out) {
    for (uint8_t& b : out) b = static_cast<uint8_t>((*engine)() >> 56);
  };
}

BackoffPolicy Exact() {
  BackoffPolicy policy;
  policy.initial = absl::Milliseconds(100);
  policy.max = absl::Seconds(1);
  policy.multiplier = 2;
  policy.jitter = 0;
  return policy;
}

TEST(BackoffTest, ExponentialUpToTheMaximum) {
  Backoff backoff(Exact(), ConstantRandom({0}));
  std::vector<absl::Duration> delays;
  for (int i = 0; i < 7; ++i) delays.push_back(backoff.NextDelay());
  EXPECT_EQ(delays,
            (std::vector<absl::Duration>{absl::Milliseconds(100), absl::Milliseconds(200),
                                         absl::Milliseconds(400), absl::Milliseconds(800),
                                         absl::Seconds(1), absl::Seconds(1), absl::Seconds(1)}));
  EXPECT_EQ(backoff.failures(), 7);
}

TEST(BackoffTest, ResetStartsOver) {
  Backoff backoff(Exact(), ConstantRandom({0}));
  backoff.NextDelay();
  backoff.NextDelay();
  backoff.Reset();
  EXPECT_EQ(backoff.failures(), 0);
  EXPECT_EQ(backoff.NextDelay(), absl::Milliseconds(100));
}

TEST(BackoffTest, NonIntegerMultiplier) {
  BackoffPolicy policy = Exact();
  policy.multiplier = 1.5;
  policy.max = absl::Seconds(10);
  Backoff backoff(policy, ConstantRandom({0}));
  EXPECT_EQ(backoff.NextDelay(), absl::Milliseconds(100));
  EXPECT_EQ(backoff.NextDelay(), absl::Milliseconds(150));
  EXPECT_EQ(backoff.NextDelay(), absl::Milliseconds(225));
}

TEST(BackoffTest, JitterFromInjectedBytes) {
  BackoffPolicy policy = Exact();
  policy.jitter = 0.5;
  // 0x80 00 .. 00 is exactly one half of the unit interval: 100 ms * (1 - 0.5 * 0.5).
  Backoff half(policy, ConstantRandom({0x80, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(half.NextDelay(), absl::Milliseconds(75));
  EXPECT_EQ(half.NextDelay(), absl::Milliseconds(150));
  // Zero bytes: no reduction.
  Backoff none(policy, ConstantRandom({0}));
  EXPECT_EQ(none.NextDelay(), absl::Milliseconds(100));
  // All ones: the bottom of the range, never below it.
  Backoff most(policy, ConstantRandom({0xff}));
  const absl::Duration d = most.NextDelay();
  EXPECT_GE(d, absl::Milliseconds(50));
  EXPECT_LT(d, absl::Milliseconds(51));
}

TEST(BackoffTest, SeededScheduleIsReproducibleAndInRange) {
  BackoffPolicy policy = Exact();
  policy.jitter = 0.3;
  policy.max = absl::Seconds(30);
  Backoff a(policy, SeededRandom(7));
  Backoff b(policy, SeededRandom(7));
  for (int failure = 1; failure <= 200; ++failure) {
    const absl::Duration d = a.NextDelay();
    EXPECT_EQ(d, b.NextDelay()) << failure;
    const absl::Duration ceiling = BackoffCeiling(policy, failure);
    EXPECT_LE(d, ceiling) << failure;
    EXPECT_GE(d, ceiling * 0.7) << failure;
  }
}

TEST(BackoffTest, Ceiling) {
  BackoffPolicy policy = Exact();
  EXPECT_EQ(BackoffCeiling(policy, 0), absl::Milliseconds(100));
  EXPECT_EQ(BackoffCeiling(policy, 1), absl::Milliseconds(100));
  EXPECT_EQ(BackoffCeiling(policy, 4), absl::Milliseconds(800));
  EXPECT_EQ(BackoffCeiling(policy, 1 << 30), absl::Seconds(1));
  policy.multiplier = 1;
  EXPECT_EQ(BackoffCeiling(policy, 1000), absl::Milliseconds(100));
  policy.initial = absl::ZeroDuration();
  policy.multiplier = 3;
  EXPECT_EQ(BackoffCeiling(policy, 1000), absl::ZeroDuration());
}

TEST(BackoffTest, Validation) {
  EXPECT_TRUE(ValidateBackoffPolicy(BackoffPolicy{}).ok());
  BackoffPolicy policy;
  policy.initial = absl::Seconds(60);
  EXPECT_EQ(ValidateBackoffPolicy(policy).code(), absl::StatusCode::kInvalidArgument);
  policy = BackoffPolicy{};
  policy.initial = -absl::Seconds(1);
  EXPECT_FALSE(ValidateBackoffPolicy(policy).ok());
  policy = BackoffPolicy{};
  policy.multiplier = 0.5;
  EXPECT_FALSE(ValidateBackoffPolicy(policy).ok());
  policy.multiplier = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(ValidateBackoffPolicy(policy).ok());
  policy = BackoffPolicy{};
  policy.jitter = 1.5;
  EXPECT_FALSE(ValidateBackoffPolicy(policy).ok());
}

}  // namespace
}  // namespace tgrpc::mtproto::net
