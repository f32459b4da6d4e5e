// The wall clock the handshake reads (for msg_ids, server_time and the client's time offset),
// injected so tests run on a fake clock.
#ifndef TGRPC_MTPROTO_HANDSHAKE_CLOCK_H_
#define TGRPC_MTPROTO_HANDSHAKE_CLOCK_H_

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tgrpc::mtproto::handshake {

// Returns the current time (absl::Time is Unix time with sub-second precision).
using Clock = std::function<absl::Time()>;

inline Clock SystemClock() {
  return [] { return absl::Now(); };
}

}  // namespace tgrpc::mtproto::handshake

#endif  // TGRPC_MTPROTO_HANDSHAKE_CLOCK_H_
