#include "mtproto/net/backoff.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tgrpc::mtproto::net {
namespace {

// Uniform in [0, 1) from 53 random bits.
double UniformUnit(const crypto::RandomSource& random) {
  uint8_t bytes[8];
  random(absl::MakeSpan(bytes));
  uint64_t bits = 0;
  for (uint8_t b : bytes) bits = bits << 8 | b;
  return static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0);  // 2^-53
}

}  // namespace

absl::Status ValidateBackoffPolicy(const BackoffPolicy& policy) {
  if (policy.initial < absl::ZeroDuration() || policy.max < policy.initial) {
    return absl::InvalidArgumentError(absl::StrCat("backoff needs 0 <= initial <= max; got ",
                                                   absl::FormatDuration(policy.initial), " and ",
                                                   absl::FormatDuration(policy.max)));
  }
  if (!(policy.multiplier >= 1.0) || std::isinf(policy.multiplier)) {
    return absl::InvalidArgumentError(
        absl::StrCat("backoff multiplier must be a number >= 1; got ", policy.multiplier));
  }
  if (!(policy.jitter >= 0.0 && policy.jitter <= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("backoff jitter must be in [0, 1]; got ", policy.jitter));
  }
  return absl::OkStatus();
}

absl::Duration BackoffCeiling(const BackoffPolicy& policy, int failure) {
  if (failure <= 1 || policy.initial == absl::ZeroDuration()) {
    return std::min(policy.initial, policy.max);
  }
  const double factor = std::pow(policy.multiplier, failure - 1);  // may be +inf
  if (!(factor < absl::FDivDuration(policy.max, policy.initial))) return policy.max;
  return policy.initial * factor;
}

Backoff::Backoff(BackoffPolicy policy, crypto::RandomSource random)
    : policy_(std::move(policy)), random_(std::move(random)) {}

absl::Duration Backoff::NextDelay() {
  ++failures_;
  const absl::Duration ceiling = BackoffCeiling(policy_, failures_);
  if (policy_.jitter == 0.0) return ceiling;
  return ceiling - ceiling * (policy_.jitter * UniformUnit(random_));
}

}  // namespace tgrpc::mtproto::net
