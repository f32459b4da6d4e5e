// What a ServerSession reports to its owner (a Telegram emulator such as tests/fakedc).
#ifndef TGRPC_MTPROTO_SESSION_SERVER_EVENTS_H_
#define TGRPC_MTPROTO_SESSION_SERVER_EVENTS_H_

#include <cstdint>
#include <string>
#include <variant>

namespace tgrpc::mtproto::session {

// An RPC query for the owner: answer it with ServerSession::SendRpcResult / SendRpcError for
// req_msg_id. `body` is the boxed query (gzip_packed already inflated), often
// invokeWithLayer(initConnection(...)).
struct ServerRpcCallEvent {
  int64_t req_msg_id = 0;
  std::string body;
};

// The session saw its first accepted message; new_session_created has been queued.
struct ServerSessionCreatedEvent {
  int64_t first_msg_id = 0;
  uint64_t unique_id = 0;
};

// A message broke a rule. error_code is what bad_msg_notification told the client (48 for
// bad_server_salt), or 0 when the message was dropped without one (malformed body, bad gzip).
struct ServerRejectedEvent {
  int64_t msg_id = 0;
  int32_t error_code = 0;
  std::string reason;
};

// A msg_id the session had already received. It is not processed again; if it was an answered
// query, the answer (or msg_detailed_info about it) is sent again.
struct ServerDuplicateEvent {
  int64_t msg_id = 0;
};

// ping_delay_disconnect: the owner should close the connection after this many seconds without
// another ping.
struct ServerPingDelayDisconnectEvent {
  int32_t disconnect_delay = 0;
};

// destroy_session removed another session of the same auth key.
struct ServerSessionDestroyedEvent {
  uint64_t session_id = 0;
};

using ServerEvent =
    std::variant<ServerRpcCallEvent, ServerSessionCreatedEvent, ServerRejectedEvent,
                 ServerDuplicateEvent, ServerPingDelayDisconnectEvent, ServerSessionDestroyedEvent>;

}  // namespace tgrpc::mtproto::session

#endif  // TGRPC_MTPROTO_SESSION_SERVER_EVENTS_H_
