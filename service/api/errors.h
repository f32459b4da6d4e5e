// Errors on the gRPC surface (DESIGN.md, Errors): every failed RPC carries google.rpc.Status
// details. A Telegram rpc_error becomes ErrorInfo{reason = its type (FLOOD_WAIT,
// PEER_ID_INVALID), domain "telegram.org", metadata code / argument / description (from
// tl/schema/errors.tsv)} with RetryInfo for waits; 420 -> RESOURCE_EXHAUSTED, 400 ->
// INVALID_ARGUMENT (NOT_FOUND where the thing does not exist), 401 -> FAILED_PRECONDITION (the
// account must sign in again; UNAUTHENTICATED is kept for the caller's own credentials), 403 ->
// PERMISSION_DENIED, 406 -> FAILED_PRECONDITION, 5xx and transport failures -> UNAVAILABLE. Bad
// caller input is INVALID_ARGUMENT with BadRequest naming the field. tgrpc's own conditions carry
// ErrorInfo with domain "tgrpc.dev".
#ifndef TGRPC_SERVICE_API_ERRORS_H_
#define TGRPC_SERVICE_API_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace tgrpc::service {

inline constexpr absl::string_view kTelegramDomain = "telegram.org";
inline constexpr absl::string_view kTgrpcDomain = "tgrpc.dev";

// INVALID_ARGUMENT naming the request field (BadRequest.field_violations).
absl::Status InvalidField(absl::string_view field, absl::string_view description);
// `status` with `prefix` before the field it names (an InvalidField of a request part checked on
// its own, e.g. "items[2]." before "file.size"); other statuses unchanged.
absl::Status PrefixField(const absl::Status& status, absl::string_view prefix);
// A status with tgrpc's own reason (ErrorInfo, domain tgrpc.dev), e.g. ACCOUNT_NOT_SIGNED_IN.
absl::Status ServiceError(absl::StatusCode code, absl::string_view reason,
                          absl::string_view message);

grpc::Status ToGrpcStatus(const absl::Status& status);

// Telegram's description of an error name ("FLOOD_WAIT_%d"), from errors.tsv; "" if unknown.
std::string TelegramErrorDescription(absl::string_view pattern);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_ERRORS_H_
