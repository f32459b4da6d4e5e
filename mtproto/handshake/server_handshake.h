// The server role of the MTProto 2.0 auth-key exchange, one object per connection, without I/O:
// it takes the client's unencrypted messages one at a time and returns the answers. Accepts what
// current and older clients send: req_pq_multi and req_pq; RSA_PAD and the legacy RSA scheme;
// p_q_inner_data, _dc, _temp and _temp_dc.
#ifndef TGRPC_MTPROTO_HANDSHAKE_SERVER_HANDSHAKE_H_
#define TGRPC_MTPROTO_HANDSHAKE_SERVER_HANDSHAKE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
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

// Immutable and shared by every connection of a server. `random`, `clock` and
// `auth_key_id_in_use` are called from whatever thread runs a connection's handshake, so they
// must be thread-safe if connections run on several threads.
struct ServerHandshakeConfig {
  // 2048-bit keys; resPQ lists their fingerprints in this order.
  std::vector<crypto::RsaPrivateKey> rsa_keys;
  // The generator sent with Telegram's dh_prime (crypto::TelegramDhPrime()); 3 is what Telegram
  // sends; 2..7 are accepted if they generate the prime-order subgroup (crypto/dh.h).
  int dh_g = 3;
  bool accept_legacy_rsa = true;
  // True if a new key's auth_key_id is already taken: the client is then told dh_gen_retry.
  // Empty: no key is ever taken.
  std::function<bool(uint64_t auth_key_id)> auth_key_id_in_use;
  // dh_gen_retry answers per connection before dh_gen_fail.
  int max_dh_retries = 3;
  crypto::RandomSource random;  // empty: crypto::SecureRandom()
  base::Clock clock;            // empty: base::SystemClock()
};

struct ServerHandshakeResult {
  crypto::AuthKey auth_key;  // 256 bytes
  int64_t first_server_salt = 0;
  InnerDataKind inner_data = InnerDataKind::kDc;
  RsaScheme rsa_scheme = RsaScheme::kRsaPad;
  bool legacy_req_pq = false;
  std::optional<int32_t> dc_id;  // as the client sent it; absent without a *_dc inner data
  bool temporary = false;
  int32_t expires_in = 0;  // temporary keys
  int64_t expires_at = 0;  // temporary keys: server_time + expires_in
  int dh_retries = 0;
};

class ServerHandshake {
 public:
  // Checks the config: at least one 2048-bit key, a valid g.
  static absl::StatusOr<ServerHandshake> Create(
      std::shared_ptr<const ServerHandshakeConfig> config);

  ServerHandshake(ServerHandshake&&) = default;
  ServerHandshake& operator=(ServerHandshake&&) = default;
  ~ServerHandshake();  // wipes the DH secret

  // Takes one unencrypted message from the client and returns the answer to send. An error means
  // the input was bad (or out of order): send nothing more and close the connection. After
  // dh_gen_fail, which is returned as an answer, failed() is true and status() says why.
  absl::StatusOr<std::string> HandleMessage(absl::string_view message);

  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kFailed; }
  // Why the exchange failed (OK unless failed()).
  const absl::Status& status() const { return status_; }
  // Only once done(); store the key before the client uses it.
  const ServerHandshakeResult& result() const { return *result_; }

 private:
  enum class State { kWaitReqPq, kWaitReqDhParams, kWaitClientDhParams, kDone, kFailed };

  ServerHandshake(std::shared_ptr<const ServerHandshakeConfig> config, crypto::DhGroup group);

  absl::StatusOr<std::string> Step(absl::string_view body);
  absl::StatusOr<std::string> OnReqPq(const crypto::Int128& nonce, bool legacy);
  absl::StatusOr<std::string> OnReqDhParams(absl::string_view body);
  absl::StatusOr<std::string> OnSetClientDhParams(absl::string_view body);
  // Decrypts req_DH_params.encrypted_data (RSA_PAD, then the legacy scheme) and parses it.
  absl::StatusOr<PqInnerData> DecryptInnerData(const crypto::RsaPrivateKey& key,
                                               absl::string_view encrypted);
  std::string Seal(const std::string& body) { return envelope_.Seal(body); }

  std::shared_ptr<const ServerHandshakeConfig> config_;
  crypto::DhGroup group_;
  crypto::RandomSource random_;
  base::Clock clock_;
  UnencryptedEnvelope envelope_;
  State state_ = State::kWaitReqPq;
  absl::Status status_;

  bool legacy_req_pq_ = false;
  RsaScheme rsa_scheme_ = RsaScheme::kRsaPad;
  crypto::Int128 nonce_{};
  crypto::Int128 server_nonce_{};
  uint64_t pq_ = 0;
  uint64_t p_ = 0;
  uint64_t q_ = 0;
  PqInnerData inner_;
  crypto::TmpAesKey tmp_aes_key_{};
  std::array<uint8_t, crypto::kDhSize> a_{};
  int64_t server_time_ = 0;
  int retries_ = 0;
  int64_t expected_retry_id_ = 0;
  std::optional<ServerHandshakeResult> result_;
};

}  // namespace tgrpc::mtproto::handshake

#endif  // TGRPC_MTPROTO_HANDSHAKE_SERVER_HANDSHAKE_H_
