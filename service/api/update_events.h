// A logged Telegram update to a tgrpc.v1.UpdateEvent: typed events for what callers act on
// (messages, deletions, user changes, reads, typing, pins, forum topics, ...), and the TL object
// as JSON for every other update, so nothing Telegram sends is dropped. Plus the stream filter.
#ifndef TGRPC_SERVICE_API_UPDATE_EVENTS_H_
#define TGRPC_SERVICE_API_UPDATE_EVENTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tgrpc/v1/update.pb.h"

namespace tgrpc::service {

// Fills `out`'s event, time (from `date`, unix seconds, when the event has none of its own) and
// the users and chats (boxed api::User / api::Chat) it refers to. `update` is one boxed
// api::Update. The caller sets account, position and resume_token. DataLoss if `update` does
// not decode; users or chats that do not decode are left out.
absl::Status UpdateToEvent(absl::string_view update, const std::vector<std::string>& users,
                           const std::vector<std::string>& chats, int64_t date,
                           absl::string_view account, v1::UpdateEvent* out);

// The name of the event's oneof field ("new_message", "raw", "checkpoint", ...).
std::string EventKind(const v1::UpdateEvent& event);
// Every kind UpdateEvent has, for validating filters.
const std::vector<std::string>& EventKinds();

// The marked id of the chat the event is about, or 0 when it names none.
int64_t EventChat(const v1::UpdateEvent& event);

// Whether `filter` lets the event through. `chats` holds the filter's marked chat ids (parsed
// once by the caller). Checkpoints always pass.
bool FilterPasses(const v1::UpdateFilter& filter, const std::vector<int64_t>& chats,
                  const v1::UpdateEvent& event);

// What a stream last saw of one of its accounts, to tell its changes as account_state events.
struct AccountView {
  v1::Account::State state = v1::Account::STATE_UNSPECIFIED;
  // The login step as the account's login watchers were last told.
  v1::LoginState::Step login_step = v1::LoginState::STEP_UNSPECIFIED;
  int32_t home_dc = 0;
};

// The changes from `seen` to `now`, in this order: the state's (SIGNED_IN, LOGGED_OUT, REVOKED
// with `revoke_reason`, LOGIN_STARTED), the login step's while a login is in progress (LOGIN_STEP,
// for the steps that wait or end it), the home DC's. `seen` becomes `now`.
std::vector<v1::AccountStateChange> AccountStateChanges(AccountView& seen, const AccountView& now,
                                                        absl::string_view revoke_reason);

// The reason of a login state's error (ErrorInfo), as an account sets it when Telegram ends its
// authorization (AUTH_KEY_UNREGISTERED, ...); "" when it has none.
std::string RevokeReason(const v1::LoginState& login);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_UPDATE_EVENTS_H_
