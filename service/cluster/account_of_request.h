// Which account a request is about, read from the wire bytes of its first message, so that a
// replica in cluster mode can send the call to the account's owner without the message's C++
// class and without parsing more of it than the field that names the account.
//
// The field is chosen once per method from the request's descriptor in protobuf's generated pool
// (tgrpc.v1, and tgrpc.raw.v1 once the raw API has registered its files), by name:
//   1. at top level: `account`, `name` or `parent` (string, "accounts/{id}" possibly followed by
//      "/..."), `accounts` (repeated string: its first element) or `account_id` (string, the
//      bare id: CreateAccount, ImportSession);
//   2. only if the request has none of those: the top-level strings `from_chat`, `message` and
//      `peer_photo` (ForwardMessages, DownloadFile), then the names of step 1 inside each singular
//      message field (UploadFileRequest.header.account, UpdateChatRequest.chat.name,
//      DownloadFileRequest.location.account, ...).
// The fields are tried in that order and the first one the message sets decides, which also
// covers a oneof of several (DownloadFile's message | location | peer_photo).
#ifndef TGRPC_SERVICE_CLUSTER_ACCOUNT_OF_REQUEST_H_
#define TGRPC_SERVICE_CLUSTER_ACCOUNT_OF_REQUEST_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/byte_buffer.h"

namespace tgrpc::service::cluster {

// The bare account id ("acme" for "accounts/acme/chats/42") the first request message of
// `full_method` ("/tgrpc.v1.UserService/GetMe") names, or "" when it names none: a method that
// names no account (ListAccounts), a method not in the generated pool, a message that leaves the
// field unset, or a value that is not a resource name of an account ("users/1", "accounts/",
// anything over 1 KiB). "" rather than an error for a bad value, because whichever replica
// serves such a call rejects it the way the API always does, naming the field; routing cannot
// say it better. Bytes that are not a protobuf message are INVALID_ARGUMENT.
//
// Thread-safe; the per-method choice of fields is cached.
[[nodiscard]] absl::StatusOr<std::string> AccountOfRequest(absl::string_view full_method,
                                                           const grpc::ByteBuffer& first_message);
[[nodiscard]] absl::StatusOr<std::string> AccountOfRequest(absl::string_view full_method,
                                                           absl::string_view first_message);

// The fields AccountOfRequest reads for the method, in the order it tries them, as dotted paths
// ("header.account"); empty for a method that names no account or is unknown. For tests and
// diagnostics.
std::vector<std::string> AccountFieldsOf(absl::string_view full_method);

}  // namespace tgrpc::service::cluster

#endif  // TGRPC_SERVICE_CLUSTER_ACCOUNT_OF_REQUEST_H_
