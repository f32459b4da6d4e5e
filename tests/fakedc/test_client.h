// A small blocking MTProto client for fakedc's own end-to-end tests: one TCP connection at a time
// (intermediate transport), a permanent key from the project's client handshake (or a given one),
// one ClientSession. Calls go in the pinned layer without wrappers. It exists so that these tests
// can watch what a client sees (lost answers, bad_server_salt, closed connections, update gaps);
// it is not a model client: no threads, no timers besides poll() timeouts.
#ifndef TGRPC_TESTS_FAKEDC_TEST_CLIENT_H_
#define TGRPC_TESTS_FAKEDC_TEST_CLIENT_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mtproto/crypto/auth_key.h"
#include "mtproto/session/client_session.h"
#include "mtproto/transport/framing.h"
#include "tl/runtime/object.h"

namespace tgrpc::fakedc {

class TestClient {
 public:
  struct Options {
    std::string address = "127.0.0.1";
    uint16_t port = 0;
    int dc_id = 2;
    // The server key to trust (PKCS#1 PEM), for the key exchange.
    std::string public_key_pem;
    // Use this key instead of exchanging one (its first salt is unknown: the server answers
    // bad_server_salt first, which the session handles).
    std::optional<mtproto::crypto::AuthKey> auth_key;
  };

  // Connects and, unless given a key, exchanges one.
  static absl::StatusOr<std::unique_ptr<TestClient>> Connect(Options options);
  ~TestClient();

  // A new connection (to `port`, or the same one) for the same key and session; calls not yet
  // answered are sent again.
  absl::Status Reconnect(uint16_t port = 0);

  // Sends a call (a function of the pinned layer); its answer is read by Wait.
  absl::StatusOr<mtproto::session::CallId> Send(const tl::Function& call);
  // Reads until the call's answer arrives: its result bytes, or the rpc_error as a status that
  // ToRpcError (rpc.h) reads. Unavailable when the connection closes first (the call stays
  // pending: Reconnect and Wait again); DeadlineExceeded after `timeout`.
  absl::StatusOr<std::string> Wait(mtproto::session::CallId call,
                                   absl::Duration timeout = absl::Seconds(10));
  template <class F>
  absl::StatusOr<typename F::Result> Call(const F& call,
                                          absl::Duration timeout = absl::Seconds(10)) {
    absl::StatusOr<mtproto::session::CallId> id = Send(call);
    if (!id.ok()) return id.status();
    absl::StatusOr<std::string> bytes = Wait(*id, timeout);
    if (!bytes.ok()) return bytes.status();
    return tl::DecodeResult<F>(*bytes);
  }

  // The next update received (a boxed Updates object), reading for at most `timeout`.
  absl::StatusOr<std::string> NextUpdate(absl::Duration timeout);
  // Reads until the server closes the connection; false if it is still open after `timeout`.
  bool WaitClosed(absl::Duration timeout);

  bool connected() const { return fd_ >= 0; }
  const mtproto::crypto::AuthKey& auth_key() const { return *auth_key_; }
  uint64_t salt() const { return session_->salt(); }
  const mtproto::session::ClientSessionStats& stats() const { return session_->stats(); }
  // How many new_session_created notices the server has sent this client's session.
  int new_sessions() const { return new_sessions_; }

 private:
  explicit TestClient(Options options) : options_(std::move(options)) {}

  absl::Status Open(uint16_t port);
  // The key exchange on the open connection; then the session.
  absl::Status ExchangeKey();
  void CloseSocket();
  absl::Status WriteAll(absl::string_view bytes);
  // Reads what arrives before `deadline` and hands it to the framing: payloads, or an error when
  // the connection closed (Unavailable) or the deadline passed (DeadlineExceeded).
  absl::StatusOr<std::vector<std::string>> ReadPayloads(absl::Time deadline);
  absl::Status Flush();
  // Reads once and handles what arrived (answers, updates).
  absl::Status Pump(absl::Time deadline);

  Options options_;
  std::optional<mtproto::crypto::AuthKey> auth_key_;
  int fd_ = -1;
  std::unique_ptr<mtproto::transport::Framing> framing_;
  std::unique_ptr<mtproto::session::ClientSession> session_;
  std::map<mtproto::session::CallId, absl::StatusOr<std::string>> answers_;
  std::deque<std::string> updates_;
  int new_sessions_ = 0;
};

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_TEST_CLIENT_H_
