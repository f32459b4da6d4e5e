// When to try again after a connection failed: exponential backoff with jitter. Randomness is
// injected, so tests compute the exact schedule from fixed bytes.
#ifndef TGRPC_MTPROTO_NET_BACKOFF_H_
#define TGRPC_MTPROTO_NET_BACKOFF_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "mtproto/crypto/random_source.h"

namespace tgrpc::mtproto::net {

struct BackoffPolicy {
  // The delay after the first failure; each further failure multiplies it, up to `max`.
  absl::Duration initial = absl::Milliseconds(100);
  absl::Duration max = absl::Seconds(30);
  double multiplier = 2.0;
  // Each delay is drawn uniformly from [d * (1 - jitter), d], so many clients that lost the same
  // server do not come back in lockstep. 0: the exact schedule; 1: "full jitter".
  double jitter = 0.2;
};

// InvalidArgument unless 0 <= initial <= max, multiplier >= 1 and 0 <= jitter <= 1.
absl::Status ValidateBackoffPolicy(const BackoffPolicy& policy);

// The undelayed schedule: min(max, initial * multiplier^(failure - 1)) for failure = 1, 2, ...
absl::Duration BackoffCeiling(const BackoffPolicy& policy, int failure);

// Counts consecutive failures. Not thread-safe.
class Backoff {
 public:
  Backoff(BackoffPolicy policy, crypto::RandomSource random);

  // Records a failure and returns how long to wait before the next attempt.
  absl::Duration NextDelay();
  // A connection worked: the next failure starts the schedule over.
  void Reset() { failures_ = 0; }
  // Failures since the last Reset().
  int failures() const { return failures_; }

 private:
  BackoffPolicy policy_;
  crypto::RandomSource random_;
  int failures_ = 0;
};

}  // namespace tgrpc::mtproto::net

#endif  // TGRPC_MTPROTO_NET_BACKOFF_H_
