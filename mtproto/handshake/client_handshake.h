// The client role of the MTProto 2.0 auth-key exchange (core.telegram.org/mtproto/auth_key) as a
// state machine without I/O: it hands out whole unencrypted messages to send and takes the
// server's answers, one per call.
//
//   req_pq_multi -> resPQ -> req_DH_params -> server_DH_params_ok -> set_client_DH_params
//   -> dh_gen_ok (done) | dh_gen_retry (new g_b, same server) | dh_gen_fail (error)
#ifndef TGRPC_MTPROTO_HANDSHAKE_CLIENT_HANDSHAKE_H_
#define TGRPC_MTPROTO_HANDSHAKE_CLIENT_HANDSHAKE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/clock.h"
#include "mtproto/crypto/auth_key.h"
#include "mtproto/crypto/dh.h"
#include "mtproto/crypto/handshake_crypto.h"
#include "mtproto/crypto/random_source.h"
#include "mtproto/crypto/rsa_key.h"
#include "mtproto/handshake/inner_data.h"
#include "mtproto/handshake/unencrypted_message.h"

namespace tgrpc::mtproto::handshake {

struct ClientHandshakeOptions {
  // The server keys the client trusts; the first fingerprint in resPQ that matches one is used.
  std::vector<crypto::RsaPublicKey> server_keys;
  InnerDataKind inner_data = InnerDataKind::kDc;
  RsaScheme rsa_scheme = RsaScheme::kRsaPad;
  // req_pq instead of req_pq_multi (only to test servers).
  bool legacy_req_pq = false;
  // Sent in the *_dc kinds: the DC id, negative for media DCs, + 10000 for test servers.
  int32_t dc_id = 0;
  // Lifetime of a temporary key in seconds (> 0; the temporary kinds only).
  int32_t expires_in = 0;
  // dh_gen_retry answers accepted before giving up.
  int max_dh_retries = 5;
  crypto::RandomSource random;  // empty: crypto::SecureRandom()
  base::Clock clock;            // empty: base::SystemClock()
};

struct ClientHandshakeResult {
  crypto::AuthKey auth_key;  // always 256 bytes, zero-padded on the left
  int64_t first_server_salt = 0;
  // Seconds to add to the local clock to get the server's (server_time minus the local time
  // when server_DH_inner_data arrived).
  int64_t server_time_offset = 0;
  bool temporary = false;
  int32_t expires_in = 0;  // temporary keys: as requested
  int64_t expires_at = 0;  // temporary keys: server_time + expires_in, in the server's clock
  int dh_retries = 0;      // dh_gen_retry answers before dh_gen_ok
};

class ClientHandshake {
 public:
  // Fails on unusable options: no server key, a temporary kind without expires_in > 0.
  static absl::StatusOr<ClientHandshake> Create(ClientHandshakeOptions options);

  // The first message to send (req_pq_multi). Call once.
  absl::StatusOr<std::string> Start();

  // Takes one unencrypted message from the server and returns the next one to send, or an empty
  // string once the key is ready (done()). Any error is final: the connection should be closed
  // and the exchange started over on a new one.
  absl::StatusOr<std::string> HandleMessage(absl::string_view message);

  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kFailed; }
  // Only once done().
  const ClientHandshakeResult& result() const { return *result_; }

 private:
  enum class State { kIdle, kWaitResPq, kWaitDhParams, kWaitDhGen, kDone, kFailed };

  explicit ClientHandshake(ClientHandshakeOptions options);

  absl::StatusOr<std::string> Step(absl::string_view body);
  absl::StatusOr<std::string> OnResPq(absl::string_view body);
  absl::StatusOr<std::string> OnServerDhParams(absl::string_view body);
  absl::StatusOr<std::string> OnDhGenAnswer(absl::string_view body);
  // A new b and g_b, the key they give, and set_client_DH_params carrying them.
  absl::StatusOr<std::string> SendClientDhParams();

  ClientHandshakeOptions options_;
  UnencryptedEnvelope envelope_;
  State state_ = State::kIdle;

  crypto::Int128 nonce_{};
  crypto::Int128 server_nonce_{};
  crypto::Int256 new_nonce_{};
  crypto::TmpAesKey tmp_aes_key_{};
  std::optional<crypto::DhGroup> dh_group_;
  crypto::DhValue g_a_{};
  int64_t retry_id_ = 0;
  int retries_ = 0;
  int64_t server_time_ = 0;
  int64_t server_time_offset_ = 0;
  std::optional<crypto::AuthKey> auth_key_;  // of the set_client_DH_params in flight
  std::optional<ClientHandshakeResult> result_;
};

}  // namespace tgrpc::mtproto::handshake

#endif  // TGRPC_MTPROTO_HANDSHAKE_CLIENT_HANDSHAKE_H_
