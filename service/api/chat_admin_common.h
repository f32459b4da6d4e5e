// What ChatService's administration handlers (chat_admin.cc, chat_members.cc, ...) share: the
// mapping of Telegram's refusals of admin actions, request_id retries, and the chat an answer
// names.
#ifndef TGRPC_SERVICE_API_CHAT_ADMIN_COMMON_H_
#define TGRPC_SERVICE_API_CHAT_ADMIN_COMMON_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "service/api/common.h"
#include "tgrpc/v1/chat.pb.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

// Finishes with `status` as errors.h maps it, except the refusals whose meaning the general
// mapping (by Telegram's numeric code, which varies by method for these) misses: a missing right
// (CHAT_ADMIN_REQUIRED, USER_ADMIN_INVALID, RIGHT_FORBIDDEN) is PERMISSION_DENIED and a member
// already in the chat ALREADY_EXISTS; an invite link that no longer admits (INVITE_HASH_EXPIRED,
// USERS_TOO_MUCH) or that sent a join request (INVITE_REQUEST_SENT) is FAILED_PRECONDITION. The
// ErrorInfo keeps Telegram's reason, domain and code.
void FinishAdmin(grpc::ServerUnaryReactor* reactor, const absl::Status& status);

// Where a mutation's answer is kept for retries of its request_id (AIP-155): keyed by the tenant,
// the account the request's name starts with, the method and the request_id. Empty without a
// request_id.
class RetryRecord {
 public:
  RetryRecord(const ApiContext& api, const std::string& tenant, absl::string_view name,
              absl::string_view method, const std::string& request_id);
  // The earlier call's answer, into `response`; false if there is none.
  bool Replay(google::protobuf::Message* response) const;
  void Store(const google::protobuf::Message& answer) const;

 private:
  RequestCache* cache_;
  std::string key_;
};

// At most 128 characters, naming request_id.
absl::Status CheckRequestId(const std::string& request_id);

bool IsTelegramError(const absl::Status& status, absl::string_view type);

// The chat an Updates answer names with marked id `marked` (any if 0), as `account` sees it.
std::optional<v1::Chat> ChatIn(const tl::api::Updates& updates, absl::string_view account,
                               int64_t marked);

// Answers `marked` as GetChat gives it (or as `fallback` has it, should that read fail: the
// change is made), kept for retries.
void AnswerChat(std::shared_ptr<Account> account, int64_t marked, std::optional<v1::Chat> fallback,
                absl::Time deadline, v1::Chat* response, RetryRecord retry,
                grpc::ServerUnaryReactor* reactor);

// JoinChat by request.invite_link (messages.importChatInvite): chat_invites.cc.
void JoinChatByInviteLink(const ApiContext& api, grpc::CallbackServerContext* context,
                          grpc::ServerUnaryReactor* reactor, const v1::JoinChatRequest& request,
                          const std::string& tenant, v1::Chat* response);

// UpdateChat's settings besides the title and photo (chat_settings.cc): which of them the
// update_mask names.
struct ChatSettingsMask {
  bool about = false;
  bool default_permissions = false;
  bool slow_mode = false;
  bool signatures = false;
  bool topics = false;
  bool any() const { return about || default_permissions || slow_mode || signatures || topics; }
};
// Takes mask path `path` into `mask`; false if it names none of the settings.
bool AddSettingsPath(absl::string_view path, ChatSettingsMask* mask);
// The request's checks of the settings the mask names (the about's length, slow mode's values).
absl::Status CheckChatSettings(const v1::UpdateChatRequest& request, const ChatSettingsMask& mask);
// Changes them, one Telegram call each, in the mask's order; a value that already is the chat's
// is no change (Telegram's *_NOT_MODIFIED). INVALID_ARGUMENT for a setting the chat's kind has
// not (slow mode and topics of a basic group).
void ChangeChatSettings(std::shared_ptr<Account> account, int64_t marked,
                        std::shared_ptr<const v1::UpdateChatRequest> request, ChatSettingsMask mask,
                        absl::Time deadline, std::function<void(absl::Status)> done);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_CHAT_ADMIN_COMMON_H_
