// One MTProto session over one TCP connection to one DC, kept alive: it connects with any
// transport (mtproto/transport), makes a permanent auth key when it has none
// (mtproto/handshake), then drives a ClientSession (mtproto/session): queries in, results,
// rpc_errors and updates out. A dropped connection is replaced after an exponential backoff with
// jitter, and the queries the server has not acknowledged are sent again on the new one. The
// protocol logic stays in those I/O-free classes; this one only moves bytes and runs timers.
//
// Threading: everything runs on one strand of an asio::io_context, either the caller's or one
// the connection owns with its own thread. Public methods may be called from any thread; every
// callback (options and per call) runs on that strand and must not block.
#ifndef TGRPC_MTPROTO_NET_CLIENT_CONNECTION_H_
#define TGRPC_MTPROTO_NET_CLIENT_CONNECTION_H_

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "base/shared_bytes.h"
#include "mtproto/crypto/auth_key.h"
#include "mtproto/crypto/random_source.h"
#include "mtproto/crypto/rsa_key.h"
#include "mtproto/net/backoff.h"
#include "mtproto/net/dc_key_store.h"
#include "mtproto/net/virtual_time.h"
#include "mtproto/session/client_events.h"
#include "mtproto/session/client_session.h"
#include "mtproto/transport/client_transport.h"
#include "mtproto/transport/frame.h"
#include "tl/runtime/object.h"

namespace asio {
class io_context;
}  // namespace asio

namespace tgrpc::mtproto::net {

enum class ConnectionState {
  kConnecting,   // TCP connect in progress
  kHandshaking,  // connected, making an auth key
  kReady,        // connected, the session runs
  kBackoff,      // the last connection failed; waiting before the next attempt
  kStopped,      // Stop() was called (final)
};
absl::string_view ConnectionStateName(ConnectionState state);

// Reported on every state change.
struct ConnectionStateChange {
  ConnectionState state = ConnectionState::kConnecting;
  // kBackoff: why the connection failed.
  absl::Status reason;
  // kBackoff: failures in a row (1 for the first) and the delay before the next attempt.
  int failures = 0;
  absl::Duration delay;
  // kBackoff: the server does not know the permanent key (-404 on a session running on it, or
  // ENCRYPTED_MESSAGE_INVALID for a temporary key's binding). Unless forget_key_on_404 made a
  // new one, the connection keeps trying the old key; its owner decides what to do. A -404 for
  // a temporary key only is not this: the connection binds a new one.
  bool permanent_key_unknown = false;
};

enum class LogLevel { kDebug, kInfo, kWarning, kError };

struct ClientConnectionOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  // The DC: sent in the key exchange's p_q_inner_data_dc and in obfuscated2 inits (when
  // transport.dc_id is 0). + 10000 for test servers, negative for media DCs.
  int32_t dc_id = 2;
  // Protocol, obfuscation and MTProxy secret; a new obfuscation key is drawn per connection.
  transport::ClientTransportOptions transport;
  size_t max_frame_size = transport::kDefaultMaxFrameSize;
  // Packets are built and encrypted while fewer bytes than this wait to be written to the
  // socket; the rest stays queued in the session (one copy) until the socket drains.
  size_t max_unwritten_bytes = 1 << 20;

  // The server keys trusted for the key exchange (needed unless auth_key is set).
  std::vector<crypto::RsaPublicKey> server_keys;
  // The keys of the account on this DC, shared with its other connections there (see
  // dc_key_store.h: one permanent key made once, one temporary key bound once). When set, it
  // replaces auth_key, temp_key_lifetime, on_auth_key and on_key_state below, which otherwise
  // make a store of this connection's own.
  std::shared_ptr<DcKeyStore> keys;
  // A key from an earlier run; empty: make one on the first connection (on_auth_key reports it).
  std::optional<StoredAuthKey> auth_key;
  // Transport error -404 (the server does not know the key): forget the key and make a new one
  // on the next connection. Queries still waiting are sent again in the new key's session. An
  // account signed in on the old key is signed out by that, so owners that must not lose it
  // turn this off; the connection then keeps retrying with the old key.
  bool forget_key_on_404 = true;

  // Perfect forward secrecy (core.telegram.org/api/pfs), off when 0: once the permanent key
  // exists, a connection without a usable temporary key makes one with this lifetime in
  // seconds (p_q_inner_data_temp_dc), binds it to the permanent key with auth.bindTempAuthKey
  // as its session's first call, and runs the session on it; queries wait for the binding. The
  // connections sharing a DcKeyStore share the temporary key: one makes and binds it, the
  // others use it. It is replaced (reconnecting) shortly before it expires and after a -404,
  // which then never touches the permanent key. A binding the server refuses drops the
  // temporary key (and, for ENCRYPTED_MESSAGE_INVALID with forget_key_on_404, the permanent key
  // as well).
  int32_t temp_key_lifetime = 0;

  // Session tuning (keepalive, acks, containers, ...). Its clock and random are replaced by the
  // ones below.
  session::ClientSessionOptions session;
  BackoffPolicy backoff;
  // An attempt (TCP connect, plus the key exchange when there is no key) that takes longer
  // fails and counts for the backoff.
  absl::Duration connect_timeout = absl::Seconds(10);

  // Every time and random byte the connection uses: session msg_ids and timers, the key
  // exchange, transport padding and obfuscation, backoff jitter. Called on the strand only; a
  // source shared with other connections must be thread-safe (SecureRandom is).
  base::Clock clock = base::SystemClock();
  crypto::RandomSource random = crypto::SecureRandom();
  // Tests: every timer (backoff, connect timeout, keepalive and acks, temporary key renewal, call
  // deadlines) waits on this virtual time instead of the wall clock, and `clock` is replaced by
  // its clock. Must outlive the connection.
  VirtualTime* virtual_time = nullptr;

  // Callbacks, on the strand. Any may be empty.
  // Content the server sent that answers no query: updates, mostly (boxed TL, gzip inflated).
  std::function<void(std::string body)> on_update;
  // A new session was created on the server: updates may have been missed (getDifference).
  std::function<void(const session::NewSessionEvent& event)> on_new_session;
  // A new permanent auth key was made (persist it to reuse it).
  std::function<void(const StoredAuthKey& key)> on_auth_key;
  // The permanent key's salt, time offset or future salts changed (persist them to start the
  // next run with them).
  std::function<void(const StoredAuthKey& key)> on_key_state;
  std::function<void(const ConnectionStateChange& change)> on_state;
  std::function<void(LogLevel level, absl::string_view message)> log;
};

struct CallOptions {
  // Fail with DeadlineExceeded (and ask the server to drop the answer) after this long.
  absl::Duration timeout = absl::InfiniteDuration();
  // Overrides ClientSessionOptions::compress_min_size for this query.
  std::optional<bool> compress;
};

// A call's outcome: the boxed result (gzip inflated), or an error: an rpc_error
// (rpc_status.h: RpcErrorOf), InvalidArgument for a body that is not a boxed TL object,
// DeadlineExceeded after CallOptions::timeout, Cancelled by Cancel or Stop, or the session's
// CallFailedEvent status.
using CallResult = absl::StatusOr<std::string>;
using CallCallback = std::function<void(CallResult result)>;
// Identifies a call for Cancel. Never 0.
using CallId = uint64_t;

class ClientConnection {
 public:
  // Validates the options and starts connecting. With `io` null the connection runs its own
  // io_context on its own thread; otherwise `io` must be run by the caller and outlive the
  // connection.
  static absl::StatusOr<std::unique_ptr<ClientConnection>> Create(ClientConnectionOptions options,
                                                                  asio::io_context* io = nullptr);

  // Stop()s and waits for it. Must not be called from one of the connection's callbacks, nor
  // from a thread that the io_context needs to run it (Close does not wait).
  ~ClientConnection();

  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  // Queues a query: `body` is one boxed TL function (often wrapped in invokeWithLayer and
  // initConnection). `done` runs once, on the strand. The connection keeps a reference to
  // `body` (for a resend after a reconnect), not a copy.
  CallId Invoke(base::SharedBytes body, CallCallback done, CallOptions options = {});
  std::future<CallResult> Invoke(base::SharedBytes body, CallOptions options = {});

  // Typed: sends `request` (F itself, or F wrapped in invokeWithLayer / initConnection /
  // invokeWithoutUpdates) and decodes the answer as F's result.
  template <class F>
  CallId Call(const tl::Function& request,
              std::function<void(absl::StatusOr<typename F::Result>)> done,
              CallOptions options = {});
  template <class F>
  std::future<absl::StatusOr<typename F::Result>> Call(const tl::Function& request,
                                                       CallOptions options = {});

  // Fails the call with Cancelled (if it has not completed) and asks the server to drop its
  // answer.
  void Cancel(CallId call);

  // Closes the connection and fails every waiting call with Cancelled. Final; returns at once
  // (the destructor waits).
  void Stop();

  // Stops and frees the connection without waiting, from any thread, its own callbacks
  // included: Stop() runs on the strand later, completing every waiting call with Cancelled
  // there, and the connection is freed once it did. The caller's io_context must keep running
  // until then. (A connection on its own thread is destroyed here, waiting, as by the
  // destructor.)
  static void Close(std::unique_ptr<ClientConnection> connection);

  // The last reported state (may be stale by the time it is read).
  ConnectionState state() const;

  class Impl;

 private:
  ClientConnection(std::unique_ptr<asio::io_context> owned_io, std::shared_ptr<Impl> impl);
  // A call that fails with `status` before it is sent; `done` still runs on the strand.
  CallId Reject(absl::Status status, CallCallback done);

  std::unique_ptr<asio::io_context> owned_io_;
  std::shared_ptr<Impl> impl_;
  std::thread thread_;
};

template <class F>
CallId ClientConnection::Call(const tl::Function& request,
                              std::function<void(absl::StatusOr<typename F::Result>)> done,
                              CallOptions options) {
  CallCallback decode = [done = std::move(done)](CallResult result) {
    if (!result.ok()) return done(result.status());
    done(tl::DecodeResult<F>(*result));
  };
  absl::StatusOr<std::string> body = tl::Serialize(request);
  if (!body.ok()) {
    return Reject(absl::InvalidArgumentError(body.status().message()), std::move(decode));
  }
  return Invoke(*std::move(body), std::move(decode), std::move(options));
}

template <class F>
std::future<absl::StatusOr<typename F::Result>> ClientConnection::Call(const tl::Function& request,
                                                                       CallOptions options) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<typename F::Result>>>();
  std::future<absl::StatusOr<typename F::Result>> future = promise->get_future();
  Call<F>(
      request,
      [promise](absl::StatusOr<typename F::Result> result) {
        promise->set_value(std::move(result));
      },
      std::move(options));
  return future;
}

}  // namespace tgrpc::mtproto::net

#endif  // TGRPC_MTPROTO_NET_CLIENT_CONNECTION_H_
