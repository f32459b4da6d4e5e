// The one clock type: protocol code never reads the system clock itself but takes a Clock, so
// tests drive hours of protocol time (salt rotation, clock skew, keepalive, key expiry) instantly
// with a FakeClock (base/fake_clock.h).
#ifndef TGRPC_BASE_CLOCK_H_
#define TGRPC_BASE_CLOCK_H_

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tgrpc::base {

// Returns the current time (absl::Time is Unix time with sub-second precision).
using Clock = std::function<absl::Time()>;

inline Clock SystemClock() {
  return [] { return absl::Now(); };
}

}  // namespace tgrpc::base

#endif  // TGRPC_BASE_CLOCK_H_
