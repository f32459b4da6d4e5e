// One Telegram identity served by this process: its stored record, its Invoker (sessions on the
// home DC and wherever calls need), its peer cache, and the sign-in driven by RPCs: a phone code
// (auth.sendCode, auth.signIn, auth.signUp), the 2FA password (account.getPassword, SRP,
// auth.checkPassword), a QR login token (auth.exportLoginToken, accepted on another device,
// with auth.loginTokenMigrateTo followed) or a bot token (auth.importBotAuthorization). The login
// state follows TDLib's authorizationState: each change goes to the watchers (WatchLogin). Changes
// of what its status shows go to the status watchers (WatchAccountStatus).
//
// Thread-safe; callbacks run on the io threads.
#ifndef TGRPC_SERVICE_TELEGRAM_ACCOUNT_H_
#define TGRPC_SERVICE_TELEGRAM_ACCOUNT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "service/storage/storage.h"
#include "service/telegram/invoker.h"
#include "service/telegram/peer_cache.h"
#include "service/telegram/watcher_list.h"
#include "service/updates/update_engine.h"
#include "tgrpc/v1/account.pb.h"

namespace tgrpc::service {

struct AccountEnv {
  // The event loop of what belongs to no account.
  asio::io_context* io = nullptr;
  // Gives each new account the event loop its network work runs on (its Invoker and their
  // connections, its timers and its update engine), by turns over the server's io threads. An
  // account's work then stays on one thread; accounts spread over all. Null: `io` for all.
  std::function<asio::io_context*()> next_io;
  Storage* storage = nullptr;
  // The DCs, the app's identity and the session policy; per-account fields are filled in.
  InvokerOptions invoker;
  // `account` is AccountLogName's.
  std::function<void(const std::string& account, mtproto::net::LogLevel level,
                     absl::string_view message)>
      log;
  // Every call's statistics and session change (metrics).
  std::function<void(const CallStats& stats)> on_call;
  std::function<void(int dc, absl::string_view from, absl::string_view to)> on_session_state;
  // An account's home DC moved (PHONE/USER/NETWORK_MIGRATE, QR login on another DC).
  std::function<void(int from_dc, int to_dc)> on_migration;
  // Each signed-in account's update log keeps at most this many events, none older than this.
  int64_t update_retention_events = 100'000;
  absl::Duration update_retention_age = absl::Hours(24 * 7);
  // Update log work, for metrics (UpdateEngineOptions::on_event).
  std::function<void(absl::string_view event, int64_t count)> on_update_event;
  // Runs update log writes off the network threads (UpdateEngineOptions::run_log_write).
  std::function<void(std::function<void()> job)> run_log_write;
};

using LoginCallback = std::function<void(absl::StatusOr<v1::LoginState>)>;

// How logs name an account: its id and tenant, "foo (tenant b)", as ids repeat across tenants.
std::string AccountLogName(const AccountKey& account);

class Account : public std::enable_shared_from_this<Account> {
 public:
  static std::shared_ptr<Account> Load(AccountRecord record, std::vector<AuthKeyRecord> keys,
                                       const AccountEnv* env);
  ~Account();

  // The {account} of its name; unique within its tenant only.
  const std::string& id() const { return id_; }
  const AccountKey& key() const { return key_; }
  std::string name() const { return "accounts/" + id_; }
  AccountRecord record() const;
  bool signed_in() const;
  int64_t self_id() const;
  std::shared_ptr<Invoker> invoker() const;
  // The flood waits in force, by method: the invoker's, and those a call reported that the invoker
  // has not recorded yet (it reports a call to on_call just before it records the call's wait).
  std::vector<FloodWaitInfo> FloodWaits() const;
  PeerCache& peers() { return peers_; }
  // The account's update log (account_updates.cc): null until it signs in.
  std::shared_ptr<updates::UpdateEngine> update_engine() const;

  // Sign-in. Each answers with the state reached (or the error of the step that failed; the
  // state then stays where it was unless the error ends the login).
  void StartLogin(v1::StartLoginRequest::Method method, absl::Time deadline, LoginCallback done);
  void SubmitCode(std::string code, absl::Time deadline, LoginCallback done);
  void SubmitPassword(std::string password, absl::Time deadline, LoginCallback done);
  void SignUp(std::string first_name, std::string last_name, absl::Time deadline,
              LoginCallback done);
  void CancelLogin(LoginCallback done);
  void SignInBot(absl::Time deadline, std::function<void(absl::Status)> done);
  // An imported key: asks Telegram who it is signed in as (users.getUsers(self)); signed in on
  // success.
  void AdoptImportedKey(absl::Time deadline, std::function<void(absl::Status)> done);
  void LogOut(absl::Time deadline, std::function<void(absl::Status)> done);

  v1::LoginState login_state() const;
  // Calls `watch` with every later login state; returns an id for Unwatch.
  int Watch(std::function<void(const v1::LoginState&)> watch) {
    return login_watchers_.Add(std::move(watch));
  }
  void Unwatch(int id) { login_watchers_.Remove(id); }

  // Calls `changed` after each change of what the account's status shows, but for latencies and
  // calls in flight: its state, its home DC, a session opening, changing state or closing, a
  // flood wait starting or ending. It runs on an io thread, under none of the account's or the
  // invoker's locks, and may run once more after UnwatchStatus returns. Returns an id for
  // UnwatchStatus.
  int WatchStatus(std::function<void()> changed) {
    return status_watchers_.Add(std::move(changed));
  }
  void UnwatchStatus(int id) { status_watchers_.Remove(id); }

  // Closes the connections (shutdown, delete, a handover to another replica) and tells the
  // status watchers, whose streams then end (stopped()).
  void Stop();
  // Stop was called: this process no longer serves the account.
  bool stopped() const { return stopped_.load(); }

 private:
  Account(AccountRecord record, const AccountEnv* env);
  void StartInvoker(std::map<int, mtproto::net::StoredAuthKey> keys);
  void SetState(v1::LoginState state);
  absl::StatusOr<v1::LoginState> SignedIn(const tl::api::auth_Authorization& authorization);
  absl::StatusOr<v1::LoginState> SignedInAs(const tl::api::user& user);
  void OnUpdates(const std::string& body);
  // The update engine starts once the account is signed in (load, sign-in) and stops with its
  // sign-in (log out) or the account (account_updates.cc).
  void StartUpdates();
  void StopUpdates();
  // A session of the home DC is ready again after a failure: the updates catch up.
  void OnSessionReady(int dc, absl::string_view from);
  void RefreshQrToken(absl::Time deadline, LoginCallback done);
  void OnCall(const CallStats& stats);
  // Persists the record and tells the status watchers (every change of state or home DC comes
  // through here).
  absl::Status Persist();
  // Tells the status watchers, from the io context: never on the caller's stack, which may hold
  // the invoker's lock. Static: the invoker's callbacks hold the account weakly.
  static void NotifyStatus(asio::io_context* io, std::weak_ptr<Account> account);
  // Tells the status watchers when the flood wait of `method`, in force until `until` or later,
  // ends: no event marks it.
  void NotifyStatusWhenFloodEnds(std::string method, absl::Time until);
  void Log(mtproto::net::LogLevel level, absl::string_view message) const;

  const std::string id_;
  const AccountKey key_;
  const AccountEnv* const env_;
  // Its event loop (AccountEnv::next_io).
  asio::io_context* const io_;
  PeerCache peers_;

  mutable absl::Mutex mutex_;
  AccountRecord record_ ABSL_GUARDED_BY(mutex_);
  std::shared_ptr<Invoker> invoker_ ABSL_GUARDED_BY(mutex_);
  v1::LoginState login_ ABSL_GUARDED_BY(mutex_);
  std::string phone_code_hash_ ABSL_GUARDED_BY(mutex_);
  // Bumped by every login start and cancel: answers of an older attempt are dropped.
  uint64_t login_generation_ ABSL_GUARDED_BY(mutex_) = 0;
  // Method -> until when, as calls reported them (see FloodWaits).
  std::map<std::string, absl::Time> reported_flood_waits_ ABSL_GUARDED_BY(mutex_);
  std::shared_ptr<updates::UpdateEngine> updates_ ABSL_GUARDED_BY(mutex_);

  std::atomic<bool> stopped_{false};
  WatcherList<v1::LoginState> login_watchers_;
  WatcherList<> status_watchers_;
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_TELEGRAM_ACCOUNT_H_
