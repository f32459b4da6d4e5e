// The 64-byte init that starts an obfuscated2 connection: the client makes it from random bytes,
// hides the inner protocol marker and DC id in its encrypted tail, and both ends derive their
// AES-256-CTR keys from it (optionally mixed with an MTProxy secret).
//
// Layout (client view): bytes 8..39 key and 40..55 IV of the client->server stream; the reversed
// bytes 8..55 give key and IV of the server->client stream. Bytes 56..59 hold the protocol marker,
// 60..61 the DC id (int16 LE, negative for media DCs); 56..63 go out encrypted. With a proxy
// secret each key becomes SHA256(key + secret).
#ifndef TGRPC_MTPROTO_TRANSPORT_OBFUSCATED2_INIT_H_
#define TGRPC_MTPROTO_TRANSPORT_OBFUSCATED2_INIT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mtproto/crypto/random_source.h"
#include "mtproto/transport/frame.h"
#include "mtproto/transport/proxy_secret.h"

namespace tgrpc::mtproto::transport {

inline constexpr size_t kObfuscated2InitSize = 64;

// Both AES-256-CTR streams as seen from one end.
struct Obfuscated2Keys {
  std::string encrypt_key;  // 32 bytes, for what this end sends
  std::string encrypt_iv;   // 16 bytes
  std::string decrypt_key;  // 32 bytes, for what this end receives
  std::string decrypt_iv;   // 16 bytes
};

// The inner protocol marker in bytes 56..59 (read LE): 0xefefefef, 0xeeeeeeee or 0xdddddddd.
// Full has none and gives InvalidArgument.
absl::StatusOr<uint32_t> Obfuscated2Marker(Protocol protocol);

// Whether an init starting with these bytes (at least 8) must not be sent because the server
// would take it for another transport: a first byte 0xef (abridged), a first word of "HEAD",
// "POST", "GET ", "OPTI" (HTTP), 0xdddddddd, 0xeeeeeeee or 16 03 01 02 (TLS), or a zero second
// word (full's first sequence number).
bool IsForbiddenObfuscated2Start(absl::string_view init);

struct Obfuscated2ClientInit {
  std::string init;      // the 64 bytes to send before anything else
  Obfuscated2Keys keys;  // the client's; the encrypt stream has already covered the init
};

// A `dd` secret requires padded intermediate; an `ee` (fake-TLS) secret is Unimplemented on the
// client side. Fails after many forbidden draws in a row, which only a broken random source
// produces.
absl::StatusOr<Obfuscated2ClientInit> MakeObfuscated2Init(Protocol protocol, int16_t dc_id,
                                                          const std::optional<ProxySecret>& secret,
                                                          const crypto::RandomSource& random);

struct Obfuscated2ServerOptions {
  // Accepted MTProxy secrets (16-byte keys, see ProxySecret::key).
  std::vector<std::string> secrets;
  // Also accept inits made without a secret.
  bool allow_no_secret = true;
};

struct Obfuscated2ServerInit {
  Protocol protocol = Protocol::kIntermediate;
  int16_t dc_id = 0;
  // Index into Obfuscated2ServerOptions::secrets of the secret the client used; nullopt if none.
  std::optional<size_t> secret_index;
  Obfuscated2Keys keys;  // the server's; the decrypt stream has already covered the init
};

// Server side: derives the keys with each accepted secret (and with none, if allowed) until the
// decrypted marker names a protocol. InvalidArgument if none does.
absl::StatusOr<Obfuscated2ServerInit> ParseObfuscated2Init(absl::string_view init,
                                                           const Obfuscated2ServerOptions& options);

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_OBFUSCATED2_INIT_H_
