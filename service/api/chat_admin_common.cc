#include "service/api/chat_admin_common.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/rpc/status.pb.h"
#include "mtproto/net/rpc_status.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/services.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;

constexpr size_t kMaxRequestIdLength = 128;

// The chats of an Updates answer (updates / updatesCombined; null for the short forms, which
// carry none).
const std::vector<tl::Ptr<api::Chat>>* ChatsOf(const api::Updates& updates) {
  if (const auto* u = dynamic_cast<const api::updates*>(&updates)) return &u->chats;
  if (const auto* u = dynamic_cast<const api::updatesCombined*>(&updates)) return &u->chats;
  return nullptr;
}

}  // namespace

void FinishAdmin(grpc::ServerUnaryReactor* reactor, const absl::Status& status) {
  grpc::Status out = ToGrpcStatus(status);
  std::optional<mtproto::session::RpcError> rpc = mtproto::net::RpcErrorOf(status);
  grpc::StatusCode code = out.error_code();
  if (rpc.has_value() && (rpc->type == "CHAT_ADMIN_REQUIRED" || rpc->type == "USER_ADMIN_INVALID" ||
                          rpc->type == "RIGHT_FORBIDDEN")) {
    code = grpc::StatusCode::PERMISSION_DENIED;
  } else if (rpc.has_value() && rpc->type == "USER_ALREADY_PARTICIPANT") {
    code = grpc::StatusCode::ALREADY_EXISTS;
  } else if (rpc.has_value() &&
             (rpc->type == "INVITE_HASH_EXPIRED" || rpc->type == "USERS_TOO_MUCH" ||
              rpc->type == "INVITE_REQUEST_SENT")) {
    code = grpc::StatusCode::FAILED_PRECONDITION;
  }
  if (code == out.error_code()) return reactor->Finish(out);
  google::rpc::Status details;
  details.ParseFromString(out.error_details());
  details.set_code(static_cast<int>(code));
  reactor->Finish(grpc::Status(code, out.error_message(), details.SerializeAsString()));
}

RetryRecord::RetryRecord(const ApiContext& api, const std::string& tenant, absl::string_view name,
                         absl::string_view method, const std::string& request_id)
    : cache_(api.requests) {
  if (cache_ == nullptr) return;
  absl::string_view account = name;
  absl::ConsumePrefix(&account, "accounts/");
  account = account.substr(0, account.find('/'));
  key_ = RequestKey(tenant, account, method, request_id);
}

bool RetryRecord::Replay(google::protobuf::Message* response) const {
  if (key_.empty()) return false;
  std::optional<std::string> answer = cache_->Find(key_);
  return answer.has_value() && response->ParseFromString(*answer);
}

void RetryRecord::Store(const google::protobuf::Message& answer) const {
  if (!key_.empty()) cache_->Store(key_, answer.SerializeAsString());
}

absl::Status CheckRequestId(const std::string& request_id) {
  if (request_id.size() > kMaxRequestIdLength) {
    return InvalidField("request_id", absl::StrCat("at most ", kMaxRequestIdLength, " characters"));
  }
  return absl::OkStatus();
}

bool IsTelegramError(const absl::Status& status, absl::string_view type) {
  std::optional<mtproto::session::RpcError> rpc = mtproto::net::RpcErrorOf(status);
  return rpc.has_value() && rpc->type == type;
}

std::optional<v1::Chat> ChatIn(const api::Updates& updates, absl::string_view account,
                               int64_t marked) {
  const std::vector<tl::Ptr<api::Chat>>* chats = ChatsOf(updates);
  if (chats == nullptr) return std::nullopt;
  for (const auto& c : *chats) {
    v1::Chat chat;
    ToProto(*c, account, &chat);
    if (chat.id() != 0 && (marked == 0 || chat.id() == marked)) return chat;
  }
  return std::nullopt;
}

void AnswerChat(std::shared_ptr<Account> account, int64_t marked, std::optional<v1::Chat> fallback,
                absl::Time deadline, v1::Chat* response, RetryRecord retry,
                grpc::ServerUnaryReactor* reactor) {
  ResolvedPeer peer;
  peer.marked_id = marked;
  FetchChat(account, peer, deadline, [=](absl::StatusOr<v1::Chat> chat) {
    if (!chat.ok() && !fallback.has_value()) return FinishAdmin(reactor, chat.status());
    *response = chat.ok() ? *std::move(chat) : *fallback;
    retry.Store(*response);
    Finish(reactor, absl::OkStatus());
  });
}

}  // namespace tgrpc::service
