// ClientConnection's state machine, on one strand: connect -> (key exchange) -> session ->
// failure -> backoff -> connect. Internal; see client_connection.h for the contract.
#ifndef TGRPC_MTPROTO_NET_CLIENT_CONNECTION_IMPL_H_
#define TGRPC_MTPROTO_NET_CLIENT_CONNECTION_IMPL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "asio.hpp"
#include "mtproto/handshake/client_handshake.h"
#include "mtproto/net/backoff.h"
#include "mtproto/net/client_connection.h"
#include "mtproto/net/dc_key_store.h"
#include "mtproto/net/transport_socket.h"
#include "mtproto/session/client_session.h"
#include "mtproto/session/rpc_error.h"

namespace tgrpc::mtproto::net {

class ClientConnection::Impl : public std::enable_shared_from_this<Impl> {
 public:
  // `owns_io`: keep `io` running (a work guard) until Stop().
  Impl(asio::io_context& io, ClientConnectionOptions options, bool owns_io);
  ~Impl();

  Strand& strand() { return strand_; }
  CallId NewCallId() { return next_call_id_.fetch_add(1); }
  ConnectionState state() const { return state_.load(); }

  // On the strand.
  void Start();
  void Invoke(CallId id, base::SharedBytes body, CallCallback done, CallOptions options);
  void Reject(absl::Status status, CallCallback done);
  void Cancel(CallId id, absl::Status status);
  void Stop();

  // Stop() from any thread (not from a callback), returning once it ran.
  void StopAndWait();

 private:
  // A timer whose stale expirations are ignored: each Arm() or Disarm() bumps the token.
  struct Timer {
    explicit Timer(Strand& strand) : timer(strand) {}
    asio::steady_timer timer;
    uint64_t token = 0;
    uint64_t virtual_id = 0;  // with virtual time: its VirtualTime timer
    // When it fires (by options_.clock); InfiniteFuture while disarmed.
    absl::Time due = absl::InfiniteFuture();
  };
  // PFS: the session's key, and whether auth.bindTempAuthKey succeeded on it.
  struct TempKey {
    StoredAuthKey key;
    int64_t expires_at = 0;  // unix seconds, server clock
    bool bound = false;
  };
  struct PendingCall {
    base::SharedBytes body;  // shared with the session that carries it
    CallOptions options;
    CallCallback done;
    // Set while the current session carries it.
    std::optional<session::CallId> session_call;
    // By options_.clock; InfiniteFuture without a timeout. Also a key of deadlines_.
    absl::Time deadline = absl::InfiniteFuture();
  };

  // Connection lifecycle.
  void Connect();
  void OnConnected();
  void OnFrames(std::vector<transport::Frame> frames);
  void OnPayload(std::string payload);
  void OnHandshakeMessage(absl::string_view message);
  void OnEncryptedPacket(std::string packet);
  void OnTransportError(int32_t code);
  void StartSession();
  void ConnectionFailed(absl::Status reason, bool permanent_key_unknown = false);
  void CloseSocket();
  void ForgetKey();
  void ForgetSession();
  void StartHandshake(bool temporary);

  // Keys (client_connection_pfs.cc), from the DC's key store.
  // Once connected: use the DC's keys, make the missing one, or wait for another connection's.
  void AcquireKeys();
  // The key store changed (on the strand).
  void OnKeysChanged();
  // Passes the session's salt, time offset and future salts to the store when they changed.
  void ReportKeyState();

  // PFS.
  bool pfs() const { return keys_->temp_key_lifetime() > 0; }
  // Calls wait while the temporary key is not bound yet.
  bool awaiting_bind() const { return pfs() && !(temp_key_.has_value() && temp_key_->bound); }
  // When the temporary key should be replaced (InfinitePast without one).
  absl::Time TempKeyRenewTime() const;
  // Runs the session on the DC's bound temporary key `key` (kept if it is already the one).
  void UseTempKey(const TempAuthKey& key);
  void SendBind();
  void OnBindResult(absl::StatusOr<std::string> result, const session::RpcError* error);
  void ForgetTempKey();

  // The session.
  void CreateSession();
  void SendToSession(CallId id);
  void HandleEvents(std::vector<session::Event> events);
  void Flush();
  // Flush from a handler posted behind those already queued, once however many calls ask: calls
  // queued meanwhile (an upload's parts, when this thread is behind) are built into packets and
  // encrypted together (ClientSession::BuildPackets).
  void FlushSoon();
  void ScheduleTick();
  void OnTick();

  // Calls.
  void Complete(CallId id, CallResult result);
  void CompleteSessionCall(session::CallId call, CallResult result);
  // One timer for all calls' deadlines, armed for the earliest: a call costs the event loop no
  // timer of its own, and one that completes in time costs it nothing.
  void ArmDeadlines();
  void OnDeadlines();

  void Arm(Timer& timer, absl::Duration delay, std::function<void()> fn);
  // Arms `timer` for `due` unless it already fires at or before then. Its handler must then
  // check what is due: it may run early. Saves the event loop a cancel and a wake-up per call.
  void ArmBy(Timer& timer, absl::Time due, std::function<void()> fn);
  void Disarm(Timer& timer);
  void SetState(ConnectionStateChange change);
  void Log(LogLevel level, absl::string_view message) const;
  bool ready() const { return state_.load() == ConnectionState::kReady; }

  ClientConnectionOptions options_;
  Strand strand_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::atomic<CallId> next_call_id_{1};
  std::atomic<ConnectionState> state_{ConnectionState::kConnecting};
  bool started_ = false;
  bool stopped_ = false;

  // The DC's keys (shared with the account's other connections there, or this one's own) and
  // this connection's seat there (from Start() to Stop()).
  std::shared_ptr<DcKeyStore> keys_;
  std::unique_ptr<DcKeyStore::Member> member_;
  // Connected, waiting for a key another connection makes.
  bool waiting_for_keys_ = false;
  // The temporary key is due, and another connection makes the next one.
  bool renew_waiting_ = false;
  bool flush_posted_ = false;
  // The salt, time offset and end of the future salts last passed to the store.
  uint64_t reported_salt_ = 0;
  absl::Duration reported_offset_ = absl::ZeroDuration();
  absl::Time reported_salts_until_ = absl::InfinitePast();

  // The keys this connection's session runs on (copies of the store's).
  std::optional<StoredAuthKey> key_;
  std::optional<TempKey> temp_key_;
  bool handshake_temporary_ = false;
  std::optional<session::CallId> bind_call_;
  std::unique_ptr<session::ClientSession> session_;
  std::optional<handshake::ClientHandshake> handshake_;
  Backoff backoff_;

  // The current connection; its callbacks carry the generation they belong to.
  std::shared_ptr<TransportSocket> socket_;
  uint64_t generation_ = 0;
  Timer attempt_timer_;
  Timer reconnect_timer_;
  Timer tick_timer_;
  Timer deadline_timer_;

  std::map<CallId, PendingCall> calls_;
  std::set<std::pair<absl::Time, CallId>> deadlines_;
  absl::flat_hash_map<session::CallId, CallId> session_calls_;
};

}  // namespace tgrpc::mtproto::net

#endif  // TGRPC_MTPROTO_NET_CLIENT_CONNECTION_IMPL_H_
