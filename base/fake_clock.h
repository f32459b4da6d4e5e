// A clock for tests that stands still unless advanced.
#ifndef TGRPC_BASE_FAKE_CLOCK_H_
#define TGRPC_BASE_FAKE_CLOCK_H_

#include <memory>

#include "absl/time/time.h"
#include "base/clock.h"

namespace tgrpc::base {

class FakeClock {
 public:
  explicit FakeClock(absl::Time start) : now_(std::make_shared<absl::Time>(start)) {}

  // A Clock that reads this one's time plus `skew` (a peer whose clock is off). Copies of the
  // FakeClock and every Clock it hands out share the time, so all of them see Advance().
  Clock AsClock(absl::Duration skew = absl::ZeroDuration()) const {
    return [now = now_, skew] { return *now + skew; };
  }
  void Advance(absl::Duration d) { *now_ += d; }
  absl::Time now() const { return *now_; }

 private:
  std::shared_ptr<absl::Time> now_;
};

}  // namespace tgrpc::base

#endif  // TGRPC_BASE_FAKE_CLOCK_H_
