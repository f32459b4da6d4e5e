// A Telegram rpc_error carried in an absl::Status, so a call's outcome is one
// absl::StatusOr<std::string> while the error stays typed: the status carries the error's code
// and message in a payload, and RpcErrorOf() gives the session::RpcError back.
#ifndef TGRPC_MTPROTO_NET_RPC_STATUS_H_
#define TGRPC_MTPROTO_NET_RPC_STATUS_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mtproto/session/rpc_error.h"

namespace tgrpc::mtproto::net {

// The payload's type URL.
inline constexpr absl::string_view kRpcErrorPayloadUrl = "type.tgrpc.dev/tgrpc.mtproto.RpcError";

// The status code of an rpc_error, following docs (DESIGN "Errors"): 303 -> FailedPrecondition
// (a *_MIGRATE the owner must follow), 400 -> InvalidArgument, 401 -> Unauthenticated,
// 403 -> PermissionDenied, 404 -> NotFound, 406 -> FailedPrecondition, 420 -> ResourceExhausted,
// 5xx and negative -> Unavailable, anything else -> Unknown. The message is the error's text
// ("FLOOD_WAIT_42").
absl::StatusCode RpcErrorStatusCode(int32_t code);
absl::Status RpcErrorToStatus(const session::RpcError& error);

// The rpc_error a status from RpcErrorToStatus carries, or nullopt for any other status.
std::optional<session::RpcError> RpcErrorOf(const absl::Status& status);

}  // namespace tgrpc::mtproto::net

#endif  // TGRPC_MTPROTO_NET_RPC_STATUS_H_
