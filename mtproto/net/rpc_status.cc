#include "mtproto/net/rpc_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tgrpc::mtproto::net {

absl::StatusCode RpcErrorStatusCode(int32_t code) {
  switch (code) {
    case 303:
    case 406:
      return absl::StatusCode::kFailedPrecondition;
    case 400:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 420:
      return absl::StatusCode::kResourceExhausted;
    default:
      break;
  }
  if (code < 0 || (code >= 500 && code < 600)) return absl::StatusCode::kUnavailable;
  return absl::StatusCode::kUnknown;
}

absl::Status RpcErrorToStatus(const session::RpcError& error) {
  absl::Status status(RpcErrorStatusCode(error.code), error.message);
  // "<code> <message>": the message is Telegram's text, which has no spaces.
  status.SetPayload(kRpcErrorPayloadUrl, absl::Cord(absl::StrCat(error.code, " ", error.message)));
  return status;
}

std::optional<session::RpcError> RpcErrorOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kRpcErrorPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  const std::string text(*payload);
  const size_t space = text.find(' ');
  int32_t code = 0;
  if (space == std::string::npos || !absl::SimpleAtoi(text.substr(0, space), &code)) {
    return std::nullopt;
  }
  return session::ParseRpcError(code, absl::string_view(text).substr(space + 1));
}

}  // namespace tgrpc::mtproto::net
