// The asynchronous Invoker between the service and one account's MTProto connections: a call
// goes in as a boxed TL function (typed with Call<F>, whose result type F::Result comes back),
// and passes these stages, each a small piece of this class:
//   - the FLOOD_WAIT gate: a method Telegram told to wait is held back (or refused at once when
//     the wait does not fit the deadline or the threshold) instead of earning another wait;
//   - session choice: the least busy session of the DC, with a cap of calls in flight per
//     session; another session is opened on demand up to the account's limit (at once for file
//     parts, InvokeOptions::bulk), and a DC's second session opens only once its permanent key
//     exists (so the key is made once);
//   - initConnection: each session's calls are wrapped in invokeWithLayer(initConnection(...))
//     until one succeeds, and again after the server reports a new session;
//   - migration: PHONE/NETWORK/USER_MIGRATE move the account's home DC and resend there;
//     FILE_MIGRATE and friends resend on that DC after exporting the authorization to it;
//   - the DC table (dc_table.h): the built-in addresses, then help.getConfig's, asked once the
//     home DC's first session is ready, again on a call after the config expires, at once when a
//     call migrates to a DC without an address (the call waits for that answer, once); sessions on
//     an address the table no longer gives are closed when their connection fails;
//   - retries of 5xx, -503 and lost connections within a budget and the deadline;
//   - the update tap: every Updates object, returned by a call or pushed, goes to on_updates;
//   - statistics: each finished call is reported to on_call (method, DC, latency, outcome).
// No key is ever dropped here: connections run with forget_key_on_404 off, and 401s go back to
// the caller (the account decides).
//
// Thread-safe. Callbacks run on the connections' io threads and must not block.
#ifndef TGRPC_SERVICE_TELEGRAM_INVOKER_H_
#define TGRPC_SERVICE_TELEGRAM_INVOKER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mtproto/net/client_connection.h"
#include "mtproto/net/dc_key_store.h"
#include "service/telegram/dc_options.h"
#include "service/telegram/dc_table.h"
#include "tl/runtime/object.h"

namespace asio {
class io_context;
}  // namespace asio

namespace tgrpc::service {

// What initConnection says about the app.
struct AppInfo {
  int32_t api_id = 0;
  std::string api_hash;
  std::string device_model = "tgrpc";
  std::string system_version = "Linux";
  std::string app_version = "0.1";
  std::string system_lang_code = "en";
  std::string lang_pack;
  std::string lang_code = "en";
  // The process's name among replicas: initConnection.params = {"tgrpc_instance": instance}.
  std::string instance;
};

struct CallStats {
  std::string method;
  int dc = 0;
  absl::Duration latency;
  // OK, or the error's status; rpc_error_type is Telegram's error type ("" for other errors).
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string rpc_error_type;
  // Its numeric argument (FLOOD_WAIT_42: 42), or -1.
  int64_t rpc_error_argument = -1;
};

struct SessionInfo {
  int dc = 0;
  mtproto::net::ConnectionState state = mtproto::net::ConnectionState::kConnecting;
  int calls_in_flight = 0;
  absl::Duration latency;
  std::string last_error;
};

struct FloodWaitInfo {
  std::string method;
  absl::Time until;
};

struct InvokerOptions {
  DcTable dcs;
  AppInfo app;
  std::string name;  // for logs: the account's name
  int max_sessions = 4;
  int max_calls_per_session = 32;
  // A FLOOD_WAIT at most this long that fits the caller's deadline is waited out.
  absl::Duration flood_wait_threshold = absl::Seconds(10);
  // Resends of a call after 5xx, -503 or a lost connection.
  int retry_budget = 3;
  absl::Duration retry_delay = absl::Milliseconds(200);
  // Sessions beyond a DC's first that had no call for this long are closed.
  absl::Duration idle_session_timeout = absl::Seconds(60);
  // help.getConfig is asked again when its `expires` passes, but not sooner than this after the
  // last answer (nor after a failed ask).
  absl::Duration config_refresh_min = absl::Minutes(1);
  // Perfect forward secrecy: sessions run on temporary keys of this lifetime (seconds), bound to
  // the permanent key; 0: on the permanent key. All sessions on a DC share one temporary key
  // (mtproto/net/dc_key_store.h), since a new binding replaces the old one.
  int32_t temp_key_lifetime = 0;
  mtproto::transport::ClientTransportOptions transport;
  // Set (tests): every timer of the invoker (idle sessions, retries, waited-out flood waits) and
  // of its connections runs on this time, which the clock reads; it must outlive the invoker.
  // Call deadlines are read on it too. Unset: the system clock and asio timers.
  mtproto::net::VirtualTime* virtual_time = nullptr;
  // Set: every connection goes to this MTProxy (with transport.proxy_secret), which forwards it
  // to the DC named in the obfuscated2 init.
  std::optional<DcEndpoint> mtproxy;
  // Given each connection (tests seed it; default secure).
  std::function<mtproto::crypto::RandomSource()> random;

  // A DC's permanent key was made, or its salt, time offset or future salts changed (persist
  // it).
  std::function<void(int dc, const mtproto::net::StoredAuthKey& key)> on_auth_key;
  // The home DC moved (PHONE/NETWORK/USER_MIGRATE).
  std::function<void(int dc)> on_home_dc;
  // Every Updates object (boxed TL), returned by a call or pushed.
  std::function<void(const std::string& updates)> on_updates;
  // The server started a new session on a connection of `dc` (new_session_created): updates
  // it pushed meanwhile may be lost, so the account catches up.
  std::function<void(int dc)> on_new_session;
  std::function<void(const CallStats& stats)> on_call;
  // A session's connection state changed (metrics): state names (ConnectionStateName), "" for
  // none: from "" when the session opens, to "" when it closes.
  std::function<void(int dc, absl::string_view from, absl::string_view to)> on_session_state;
  // Telegram does not know the DC's permanent key (transport error -404). The key is kept (the
  // owner decides: log out, delete, sign in again); the DC's sessions are closed and its calls,
  // now and later, fail with FAILED_PRECONDITION / AUTH_KEY_UNKNOWN instead of reconnecting
  // forever.
  std::function<void(int dc)> on_key_rejected;
  std::function<void(mtproto::net::LogLevel level, absl::string_view message)> log;
};

struct InvokeOptions {
  absl::Time deadline = absl::InfiniteFuture();
  // 0: the home DC.
  int dc = 0;
  // A file part (upload.saveFilePart / saveBigFilePart, upload.getFile), spread over the DC's
  // sessions: it goes on the session with the fewest calls in flight (the newest of equals, which
  // leaves the DC's first session to other calls), and another session opens as soon as every
  // session has a call in flight, up to max_sessions for the account, so one transfer's parts
  // ride several connections at once. Other calls open a session only when every session has
  // max_calls_per_session in flight.
  bool bulk = false;
  // `dc` is a CDN DC (core.telegram.org/cdn, upload.getCdnFile): its address is the config's
  // cdn entry, its key is made with the RSA key help.getCdnConfig gives (asked on the home DC the
  // first time), kept in memory only, never bound (no PFS) nor authorized (no import).
  bool cdn = false;
};

using InvokeCallback = std::function<void(absl::StatusOr<std::string>)>;

class Invoker : public std::enable_shared_from_this<Invoker> {
 public:
  // `io` must be run by the caller's threads and outlive the invoker's connections.
  static std::shared_ptr<Invoker> Create(asio::io_context& io, InvokerOptions options, int home_dc,
                                         std::map<int, mtproto::net::StoredAuthKey> keys);
  ~Invoker();

  // Sends one boxed TL function named `method` (for the flood gate and statistics).
  void Invoke(std::string body, std::string method, InvokeOptions options, InvokeCallback done);

  template <class F>
  void Call(const F& request, InvokeOptions options,
            std::function<void(absl::StatusOr<typename F::Result>)> done) {
    absl::StatusOr<std::string> body = tl::Serialize(request);
    if (!body.ok()) {
      done(absl::InvalidArgumentError(body.status().message()));
      return;
    }
    Invoke(*std::move(body), F::kName, options,
           [done = std::move(done)](absl::StatusOr<std::string> result) {
             if (!result.ok()) return done(result.status());
             absl::StatusOr<typename F::Result> decoded = tl::DecodeResult<F>(*result);
             if (!decoded.ok()) {
               // Telegram's answer that does not decode: our schema and theirs disagree.
               return done(absl::DataLossError(absl::StrCat(
                   F::kName, ": the answer does not decode: ", decoded.status().message())));
             }
             done(*std::move(decoded));
           });
  }

  // Whether the account is signed in: calls on other DCs then import the authorization first.
  void SetSignedIn(bool signed_in);
  int home_dc() const;
  // The account's limit of sessions (InvokerOptions::max_sessions): transfers scale their parts
  // in flight with it.
  int max_sessions() const { return options_.max_sessions; }
  // Moves the home DC (the caller knows better, e.g. auth.loginTokenMigrateTo).
  void SetHomeDc(int dc);

  std::vector<SessionInfo> Sessions() const;
  // The DC addresses in use now (built in, then from help.getConfig).
  DcAddressTable DcAddresses() const;
  std::vector<FloodWaitInfo> FloodWaits() const;

  // Closes every connection and fails waiting calls with Cancelled. Final.
  void Stop();

  struct PendingCall;
  struct Session;
  struct DcState;

 private:
  Invoker(asio::io_context& io, InvokerOptions options, int home_dc);

  void Dispatch(std::shared_ptr<PendingCall> call);
  void SendOn(Session* session, std::shared_ptr<PendingCall> call)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void OnResult(int dc, uint64_t session_id, std::shared_ptr<PendingCall> call, bool wrapped,
                mtproto::net::CallResult result);
  void Finish(const std::shared_ptr<PendingCall>& call, absl::StatusOr<std::string> result);
  // stopped_, readable without the lock (Finish may run under it).
  std::atomic<bool> closed_{false};
  void RetryAfter(std::shared_ptr<PendingCall> call, absl::Duration delay);
  void StartIdleTimer();
  // Runs `fn` on the io_context after `delay` (on the virtual time, if set). Returns what
  // cancels it (a no-op once it ran).
  std::function<void()> RunAfter(absl::Duration delay, std::function<void()> fn);
  absl::Time Now() const;
  // Closes connections without waiting (ClientConnection::Close).
  void Dispose(std::vector<std::unique_ptr<mtproto::net::ClientConnection>> connections);
  // The state of `dc`, made on first use with a key store starting from `key` (if any).
  DcState& StateOf(int dc, std::optional<mtproto::net::StoredAuthKey> key = std::nullopt)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // The key store a DC's sessions share, starting from its stored key (if any).
  std::shared_ptr<mtproto::net::DcKeyStore> MakeKeyStore(
      int dc, std::optional<mtproto::net::StoredAuthKey> key, bool cdn = false);
  // Reports sessions leaving (metrics) before they are disposed of.
  void ReportClosed(int dc, mtproto::net::ConnectionState state);
  Session* OpenSession(int dc) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void ImportAuthorization(int dc);
  void DrainQueue(int dc);
  Session* FindSession(int dc, uint64_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void CloseIdleSessions();
  void RejectKey(int dc);
  // Whether help.getConfig should be asked now on the home DC (and marks it asked).
  bool ConfigDue(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Parks a call whose DC has no address until help.getConfig answers, when that may help (it
  // migrated there, or it is the home DC) and it has not waited once already. Sets `ask_dc` to
  // the DC to ask when no ask is in flight yet.
  bool WaitForConfig(int dc, std::shared_ptr<PendingCall>& call, int& ask_dc)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void AskConfig(int dc);
  // CDN DCs (invoker_cdn.cc): parks a CDN call while the DC's RSA key is unknown (asking
  // help.getCdnConfig once: `ask` set), fails it when help.getCdnConfig named no key for it.
  bool WaitForCdnKey(int dc, std::shared_ptr<PendingCall>& call, bool& ask, absl::Status& failed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void AskCdnConfig();
  void OnCdnConfig(absl::StatusOr<tl::Ptr<tl::api::CdnConfig>> config);
  // The state of CDN DC `dc`: a key store of its own, not persisted, without PFS.
  DcState& CdnStateOf(int dc) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void OnConfig(absl::StatusOr<tl::Ptr<tl::api::Config>> config);
  // Closes the DC's failed sessions on an address the table no longer gives.
  void CloseStaleSessions(int dc, std::vector<std::unique_ptr<mtproto::net::ClientConnection>>& out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Log(mtproto::net::LogLevel level, absl::string_view message) const;
  std::string WrapForNewSession(absl::string_view body) const;

  asio::io_context& io_;
  const InvokerOptions options_;
  mutable absl::Mutex mutex_;
  int home_dc_ ABSL_GUARDED_BY(mutex_);
  bool signed_in_ ABSL_GUARDED_BY(mutex_) = false;
  bool stopped_ ABSL_GUARDED_BY(mutex_) = false;
  std::map<int, std::unique_ptr<DcState>> dcs_ ABSL_GUARDED_BY(mutex_);
  DcAddressTable dc_table_ ABSL_GUARDED_BY(mutex_);
  bool config_asking_ ABSL_GUARDED_BY(mutex_) = false;
  absl::Time config_due_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  std::vector<std::shared_ptr<PendingCall>> awaiting_config_ ABSL_GUARDED_BY(mutex_);
  // CDN DCs' RSA keys from help.getCdnConfig, and the calls waiting for it.
  std::map<int, std::vector<mtproto::crypto::RsaPublicKey>> cdn_keys_ ABSL_GUARDED_BY(mutex_);
  bool cdn_config_asked_ ABSL_GUARDED_BY(mutex_) = false;
  bool cdn_config_asking_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<std::shared_ptr<PendingCall>> awaiting_cdn_config_ ABSL_GUARDED_BY(mutex_);
  // Method -> until when Telegram asked it to wait.
  std::map<std::string, absl::Time> flood_until_ ABSL_GUARDED_BY(mutex_);
  uint64_t next_session_id_ ABSL_GUARDED_BY(mutex_) = 1;
  absl::Mutex timer_mutex_;
  std::function<void()> cancel_idle_timer_ ABSL_GUARDED_BY(timer_mutex_);
};

// A TL function kept as its boxed bytes, to nest inside invokeWithLayer / initConnection.
class RawFunction final : public tl::Function {
 public:
  explicit RawFunction(std::string boxed) : boxed_(std::move(boxed)) {}
  uint32_t tl_id() const override;
  const char* tl_name() const override { return "raw"; }
  void TlStore(tl::Writer& w) const override;

 private:
  std::string boxed_;
};

// Whether a boxed TL object is one of the Updates constructors.
bool IsUpdatesObject(absl::string_view boxed);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_TELEGRAM_INVOKER_H_
