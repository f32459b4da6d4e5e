#include "service/api/errors.h"

#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "mtproto/net/rpc_status.h"
#include "service/api/utf8.h"

extern const char kTgrpcErrorsTsv[];

namespace tgrpc::service {
namespace {

constexpr absl::string_view kFieldPayload = "type.tgrpc.dev/tgrpc.FieldViolation";
constexpr absl::string_view kReasonPayload = "type.tgrpc.dev/tgrpc.ErrorReason";

const std::map<std::string, std::string>& Descriptions() {
  static const auto* table = [] {
    auto* map = new std::map<std::string, std::string>;
    for (absl::string_view line : absl::StrSplit(kTgrpcErrorsTsv, '\n')) {
      if (line.empty() || line[0] == '#') continue;
      std::vector<absl::string_view> columns = absl::StrSplit(line, absl::MaxSplits('\t', 2));
      if (columns.size() == 3) (*map)[std::string(columns[1])] = std::string(columns[2]);
    }
    return map;
  }();
  return *table;
}

// Telegram 400s that mean "no such thing": NOT_FOUND on the gRPC surface.
bool MeansNotFound(absl::string_view type) {
  static constexpr absl::string_view kTypes[] = {
      "PEER_ID_INVALID",     "USER_ID_INVALID",     "CHAT_ID_INVALID",       "CHANNEL_INVALID",
      "MSG_ID_INVALID",      "MESSAGE_ID_INVALID",  "USERNAME_NOT_OCCUPIED", "USERNAME_INVALID",
      "INVITE_HASH_INVALID", "INVITE_HASH_EXPIRED", "PHONE_NOT_OCCUPIED",    "CHAT_NOT_FOUND"};
  for (absl::string_view t : kTypes) {
    if (type == t) return true;
  }
  return absl::EndsWith(type, "_NOT_FOUND");
}

grpc::StatusCode TelegramCode(const mtproto::session::RpcError& error) {
  if (error.code == 420) return grpc::StatusCode::RESOURCE_EXHAUSTED;
  // The bot did not answer in time: another try may find it answering.
  if (error.type == "BOT_RESPONSE_TIMEOUT") return grpc::StatusCode::UNAVAILABLE;
  if (error.code == 400) {
    return MeansNotFound(error.type) ? grpc::StatusCode::NOT_FOUND
                                     : grpc::StatusCode::INVALID_ARGUMENT;
  }
  if (error.code == 401 || error.code == 406) return grpc::StatusCode::FAILED_PRECONDITION;
  if (error.code == 403) return grpc::StatusCode::PERMISSION_DENIED;
  if (error.code == 404) return grpc::StatusCode::NOT_FOUND;
  if (error.code >= 500 || error.code < 0) return grpc::StatusCode::UNAVAILABLE;
  if (error.code == 303) return grpc::StatusCode::UNAVAILABLE;  // a migration not followed
  return grpc::StatusCode::UNKNOWN;
}

template <class M>
void Pack(const M& message, google::rpc::Status* status) {
  status->add_details()->PackFrom(message);
}

// Messages may quote Telegram's text or the caller's, cut anywhere: made valid UTF-8, which the
// google.rpc.Status in the details must be to parse on the caller's side.
grpc::Status Build(grpc::StatusCode code, absl::string_view raw_message,
                   google::rpc::Status details) {
  std::string message = ValidUtf8(raw_message);
  details.set_code(static_cast<int>(code));
  details.set_message(message);
  return grpc::Status(code, std::move(message), details.SerializeAsString());
}

}  // namespace

std::string TelegramErrorDescription(absl::string_view pattern) {
  const auto& table = Descriptions();
  auto it = table.find(std::string(pattern));
  return it == table.end() ? "" : it->second;
}

absl::Status InvalidField(absl::string_view field, absl::string_view description) {
  absl::Status status = absl::InvalidArgumentError(absl::StrCat(field, ": ", description));
  status.SetPayload(kFieldPayload, absl::Cord(field));
  return status;
}

absl::Status PrefixField(const absl::Status& status, absl::string_view prefix) {
  auto field = status.GetPayload(kFieldPayload);
  if (!field.has_value()) return status;
  const std::string name = std::string(*field);
  std::string message(status.message());
  if (absl::StartsWith(message, name)) message = absl::StrCat(prefix, message);
  absl::Status out(status.code(), message);
  status.ForEachPayload(
      [&](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  out.SetPayload(kFieldPayload, absl::Cord(absl::StrCat(prefix, name)));
  return out;
}

absl::Status ServiceError(absl::StatusCode code, absl::string_view reason,
                          absl::string_view message) {
  absl::Status status(code, message);
  status.SetPayload(kReasonPayload, absl::Cord(reason));
  return status;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  google::rpc::Status details;
  if (std::optional<mtproto::session::RpcError> rpc = mtproto::net::RpcErrorOf(status)) {
    google::rpc::ErrorInfo info;
    info.set_reason(ValidUtf8(rpc->type));
    info.set_domain(std::string(kTelegramDomain));
    auto& metadata = *info.mutable_metadata();
    metadata["code"] = absl::StrCat(rpc->code);
    metadata["message"] = ValidUtf8(rpc->message);
    if (rpc->argument.has_value()) metadata["argument"] = absl::StrCat(*rpc->argument);
    std::string description = TelegramErrorDescription(rpc->pattern);
    if (rpc->argument.has_value()) {
      description = absl::StrReplaceAll(description, {{"%d", absl::StrCat(*rpc->argument)}});
    }
    if (!description.empty()) metadata["description"] = description;
    Pack(info, &details);
    const bool wait = rpc->code == 420 || absl::StrContains(rpc->type, "_WAIT");
    if (wait && rpc->argument.has_value()) {
      google::rpc::RetryInfo retry;
      retry.mutable_retry_delay()->set_seconds(*rpc->argument);
      Pack(retry, &details);
    }
    std::string message = rpc->message;
    if (!description.empty()) absl::StrAppend(&message, ": ", description);
    return Build(TelegramCode(*rpc), message, std::move(details));
  }
  const auto code = static_cast<grpc::StatusCode>(status.code());
  if (auto field = status.GetPayload(kFieldPayload)) {
    google::rpc::BadRequest bad;
    auto* violation = bad.add_field_violations();
    violation->set_field(std::string(*field));
    violation->set_description(ValidUtf8(status.message()));
    Pack(bad, &details);
  }
  if (auto reason = status.GetPayload(kReasonPayload)) {
    google::rpc::ErrorInfo info;
    info.set_reason(std::string(*reason));
    info.set_domain(std::string(kTgrpcDomain));
    Pack(info, &details);
  }
  return Build(code, status.message(), std::move(details));
}

}  // namespace tgrpc::service
