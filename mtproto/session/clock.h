// The session layer never reads the system clock itself: every time comes from an injected Clock,
// so tests can drive hours of protocol time (salt rotation, clock skew, keepalive) instantly.
#ifndef TGRPC_MTPROTO_SESSION_CLOCK_H_
#define TGRPC_MTPROTO_SESSION_CLOCK_H_

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tgrpc::mtproto::session {

using Clock = std::function<absl::Time()>;

inline Clock SystemClock() {
  return [] { return absl::Now(); };
}

}  // namespace tgrpc::mtproto::session

#endif  // TGRPC_MTPROTO_SESSION_CLOCK_H_
