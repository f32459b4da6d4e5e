// The account's update engine: started once it is signed in, fed by the invoker's update tap,
// caught up after a home-DC session comes back, stopped on log out and with the account. And the
// tap itself, which also sees a QR login token accepted.
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/api/utf8.h"
#include "service/telegram/account.h"
#include "service/telegram/peer_id.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace api = tl::api;
using mtproto::net::LogLevel;

// A difference call waits at most this long (then the engine asks again later).
constexpr absl::Duration kUpdateCallTimeout = absl::Seconds(60);

std::shared_ptr<updates::UpdateEngine> Account::update_engine() const {
  absl::MutexLock lock(&mutex_);
  return updates_;
}

void Account::StartUpdates() {
  updates::UpdateEngineOptions options;
  {
    absl::MutexLock lock(&mutex_);
    if (updates_ != nullptr || record_.state != AccountState::kSignedIn || record_.user_id == 0) {
      return;
    }
    options.self_user_id = record_.user_id;
  }
  std::weak_ptr<Account> weak = weak_from_this();
  options.storage = env_->storage;
  options.account = key_;
  options.retention_events = env_->update_retention_events;
  options.retention_age = env_->update_retention_age;
  options.on_event = env_->on_update_event;
  options.run_log_write = env_->run_log_write;
  options.invoke = [weak](std::string body, std::string method,
                          std::function<void(absl::StatusOr<std::string>)> done) {
    auto self = weak.lock();
    if (!self) return done(absl::CancelledError("the account was closed"));
    self->invoker()->Invoke(std::move(body), std::move(method), {absl::Now() + kUpdateCallTimeout},
                            std::move(done));
  };
  options.input_channel =
      [weak](int64_t channel_id) -> absl::StatusOr<tl::Ptr<tl::api::InputChannel>> {
    auto self = weak.lock();
    if (!self) return absl::CancelledError("the account was closed");
    return self->peers_.InputChannel(MarkChannel(channel_id));
  };
  options.log = [weak](absl::string_view message) {
    if (auto self = weak.lock()) self->Log(LogLevel::kInfo, absl::StrCat("updates: ", message));
  };
  absl::StatusOr<std::shared_ptr<updates::UpdateEngine>> engine =
      updates::UpdateEngine::Create(*io_, std::move(options));
  if (!engine.ok()) {
    Log(LogLevel::kError, absl::StrCat("cannot open the update log: ", engine.status().message()));
    return;
  }
  {
    absl::MutexLock lock(&mutex_);
    if (updates_ != nullptr) return;
    updates_ = *engine;
  }
  (*engine)->Start();
}

void Account::StopUpdates() {
  std::shared_ptr<updates::UpdateEngine> engine;
  {
    absl::MutexLock lock(&mutex_);
    engine = std::move(updates_);
  }
  if (engine) engine->Stop();
}

void Account::OnSessionReady(int dc, absl::string_view from) {
  // Every session reaching "ready" on the home DC asks for a catch-up: a reconnect may have
  // missed pushed updates, and a first connection cannot be told from one (both come through
  // connecting and handshaking). The sequencer runs one difference at a time and folds the rest
  // into one more, and an up-to-date account gets differenceEmpty.
  std::shared_ptr<updates::UpdateEngine> engine;
  {
    absl::MutexLock lock(&mutex_);
    if (dc != record_.home_dc) return;
    engine = updates_;
  }
  if (engine) engine->CatchUp(absl::StrCat("a session on DC ", dc, " is ready after ", from));
}

void Account::OnUpdates(const std::string& body) {
  absl::StatusOr<tl::Ptr<api::Updates>> updates = tl::Decode<api::Updates>(body);
  if (!updates.ok()) {
    Log(LogLevel::kWarning,
        absl::StrCat("an Updates object that does not decode: ", updates.status().message()));
    return;
  }
  peers_.AddFromUpdates(**updates);
  if (std::shared_ptr<updates::UpdateEngine> engine = update_engine()) engine->OnUpdates(body);
  // updateLoginToken: the QR token was accepted; exporting again gives the authorization.
  bool login_token = false;
  if (const auto* u = dynamic_cast<const api::updateShort*>(updates->get())) {
    login_token = dynamic_cast<const api::updateLoginToken*>(u->update.get()) != nullptr;
  } else if (const auto* u = dynamic_cast<const api::updates*>(updates->get())) {
    for (const auto& update : u->updates_) {
      login_token |= dynamic_cast<const api::updateLoginToken*>(update.get()) != nullptr;
    }
  }
  if (login_token && login_state().step() == v1::LoginState::QR_TOKEN) {
    Log(LogLevel::kInfo, "the QR login token was accepted");
    std::weak_ptr<Account> weak = weak_from_this();
    RefreshQrToken(absl::Now() + absl::Seconds(30), [weak](absl::StatusOr<v1::LoginState> state) {
      auto self = weak.lock();
      if (self && !state.ok()) {
        v1::LoginState failed;
        failed.set_step(v1::LoginState::FAILED);
        failed.mutable_error()->set_code(static_cast<int>(state.status().code()));
        failed.mutable_error()->set_message(ValidUtf8(state.status().message()));
        self->SetState(failed);
      }
    });
  }
}

}  // namespace tgrpc::service
