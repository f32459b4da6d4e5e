// MTProxy fake-TLS (`ee` secrets), server side, as a StreamLayer: the connection imitates TLS 1.3
// so that it looks like HTTPS, and carries the obfuscated2 stream (keyed with the same secret) in
// TLS ApplicationData records. Nothing is encrypted beyond what obfuscated2 does.
//
// The client opens with a ClientHello record (16 03 01) whose 32-byte random is
// HMAC-SHA256(secret, the whole record with the random zeroed), its last 4 bytes XORed with the
// client's unix time (little-endian). The server answers a ServerHello record (echoing the
// session id), a ChangeCipherSpec record and one ApplicationData record of random bytes; the
// ServerHello's random is HMAC-SHA256(secret, client random || that whole answer with the random
// zeroed), which proves to the client that the server knows the secret. Then both sides send
// ApplicationData records (17 03 03 length); the client may send one ChangeCipherSpec first.
#ifndef TGRPC_MTPROTO_TRANSPORT_FAKE_TLS_LAYER_H_
#define TGRPC_MTPROTO_TRANSPORT_FAKE_TLS_LAYER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "mtproto/crypto/random_source.h"
#include "mtproto/transport/stream_layer.h"

namespace tgrpc::mtproto::transport {

inline constexpr size_t kTlsRecordHeaderSize = 5;
// TLS's limit on a record's plaintext (RFC 8446 5.1): the ClientHello's record and the records
// the server sends stay within it.
inline constexpr size_t kTlsMaxPlaintextRecord = 16384;
// TLS 1.3's limit on a protected record (RFC 8446 5.2): the largest ApplicationData record a
// client may send. Clients send far smaller ones (mtcute and tdlib at most 2878 bytes).
inline constexpr size_t kTlsMaxClientRecord = kTlsMaxPlaintextRecord + 256;

struct FakeTlsOptions {
  // The accepted secrets, 16 bytes each (ProxySecret::key of `ee` secrets).
  std::vector<std::string> secrets;
  // The client's timestamp may differ from `clock` by at most `max_clock_skew`. It is what stops a
  // recorded ClientHello from being replayed later (this layer keeps no replay cache); two
  // minutes leave room for a client whose clock is a little off, not for one set by hand.
  base::Clock clock = base::SystemClock();
  absl::Duration max_clock_skew = absl::Minutes(2);
  // For the server's key share and the random ApplicationData record of the answer.
  crypto::RandomSource random = crypto::SecureRandom();
  // The largest ApplicationData record Wrap sends (at most kTlsMaxPlaintextRecord).
  size_t max_server_record = kTlsMaxPlaintextRecord;
};

// What a connection's first bytes say about fake-TLS: a TLS handshake record holding a
// ClientHello (16 03 01, then handshake type 1 with a length that fills the record), something
// else, or too few bytes to tell (fewer than 9 that start 16 03 01). An obfuscated2 init may
// start 16 03 01 (only 16 03 01 02 is excluded), but then the lengths hardly ever agree.
enum class ClientHelloProbe { kNeedMore, kNotClientHello, kClientHello };
ClientHelloProbe ProbeClientHello(absl::string_view first_bytes);

class FakeTlsLayer final : public StreamLayer {
 public:
  explicit FakeTlsLayer(FakeTlsOptions options);

  absl::string_view name() const override { return "fake-tls"; }
  // The ClientHello (its answer goes to `reply`), then records. Errors: InvalidArgument (not a
  // ClientHello, a record of another type or version, a second or late ChangeCipherSpec),
  // PermissionDenied (no secret signed the ClientHello, or its time is out of the window),
  // ResourceExhausted (a record above the limits), Internal (no key share could be made).
  absl::Status Unwrap(absl::string_view in, std::string& stream, std::string& reply) override;
  // ApplicationData records of at most options.max_server_record bytes each.
  std::string Wrap(absl::string_view stream) override;

  // Which of options.secrets signed the ClientHello, once it has been accepted.
  std::optional<size_t> secret_index() const { return secret_index_; }

 private:
  absl::Status AcceptClientHello(std::string& reply);
  absl::StatusOr<std::string> MakeServerAnswer(absl::string_view client_random,
                                               absl::string_view session_id,
                                               absl::string_view secret);
  absl::Status UnwrapRecords(absl::string_view in, std::string& stream);

  FakeTlsOptions options_;
  // The ClientHello record until it is complete and accepted; then empty.
  std::string hello_;
  std::optional<size_t> secret_index_;
  // The header of the client's next record, while incomplete.
  std::string header_;
  // Bytes of the current record's body still to come, and its type.
  size_t body_left_ = 0;
  uint8_t body_type_ = 0;
  bool change_cipher_spec_seen_ = false;
  bool application_data_seen_ = false;
};

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_FAKE_TLS_LAYER_H_
