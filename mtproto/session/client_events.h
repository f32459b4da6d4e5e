// What a ClientSession reports to its owner: answers to calls, updates and state changes.
#ifndef TGRPC_MTPROTO_SESSION_CLIENT_EVENTS_H_
#define TGRPC_MTPROTO_SESSION_CLIENT_EVENTS_H_

#include <cstdint>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "mtproto/session/rpc_error.h"

namespace tgrpc::mtproto::session {

// Identifies a call made with ClientSession::Send for its whole life, across resends with new
// msg_ids. Never 0.
using CallId = uint64_t;

// The answer to a call: the boxed result object, gzip_packed already inflated. For calls answered
// without rpc_result (ping -> pong, get_future_salts -> future_salts, destroy_session) it is that
// answer.
struct RpcResultEvent {
  CallId call = 0;
  std::string body;
};

// The server answered a call with rpc_error.
struct RpcErrorEvent {
  CallId call = 0;
  RpcError error;
};

// The call cannot complete in this session: a bad_msg_notification the client cannot fix (18,
// 64 for a single message, an unknown code), too many resends, or an answer that does not
// decode (e.g. corrupt gzip). The call is forgotten.
struct CallFailedEvent {
  CallId call = 0;
  absl::Status status;
};

// Anything from the server that is not an answer or a service message: updates, mostly.
struct UpdateEvent {
  int64_t msg_id = 0;
  std::string body;
};

// new_session_created: the server created a new session for us (first connection, or it had
// forgotten the old one). Updates may have been missed; the owner should fetch the difference.
// Calls sent before first_msg_id have been queued again.
struct NewSessionEvent {
  int64_t first_msg_id = 0;
  uint64_t unique_id = 0;
  uint64_t server_salt = 0;
};

// A keepalive ping was answered.
struct PongEvent {
  int64_t ping_id = 0;
  absl::Duration round_trip;
};

// No pong arrived within ClientSessionOptions::pong_timeout: the connection is probably dead.
// The owner should reconnect and call OnReconnect().
struct KeepaliveTimeoutEvent {
  int64_t ping_id = 0;
};

using Event = std::variant<RpcResultEvent, RpcErrorEvent, CallFailedEvent, UpdateEvent,
                           NewSessionEvent, PongEvent, KeepaliveTimeoutEvent>;

}  // namespace tgrpc::mtproto::session

#endif  // TGRPC_MTPROTO_SESSION_CLIENT_EVENTS_H_
