// MTProxy secrets as users get them (hex in tg://proxy links). A plain secret is 16 bytes; a `dd`
// prefix asks for padded intermediate inside the obfuscation; an `ee` prefix asks for fake-TLS:
// the connection imitates HTTPS to the domain that follows the 16 bytes (a TLS ClientHello signed
// with the secret, then TLS records around obfuscated2 keyed with the same 16 bytes). Only the
// server side of fake-TLS exists here (fake_tls_layer.h); this library's client has none.
#ifndef TGRPC_MTPROTO_TRANSPORT_PROXY_SECRET_H_
#define TGRPC_MTPROTO_TRANSPORT_PROXY_SECRET_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tgrpc::mtproto::transport {

inline constexpr size_t kProxySecretSize = 16;
// The longest fake-TLS domain accepted: a DNS name's limit.
inline constexpr size_t kMaxFakeTlsDomainSize = 253;

struct ProxySecret {
  // The 16 bytes mixed into the obfuscation keys (and, fake-TLS, the HMAC key of the handshake).
  std::string key;
  // `dd` secret: the client must use padded intermediate.
  bool padded = false;
  // `ee` secret: fake-TLS, imitating a TLS connection to `domain` (the ClientHello's SNI).
  bool fake_tls = false;
  std::string domain;
};

// Parses 32 hex digits (plain), `dd` + 32 hex digits, or `ee` + 32 hex digits + the domain's
// bytes in hex (1 to kMaxFakeTlsDomainSize of them). A 32-digit secret is plain whatever its
// first byte.
absl::StatusOr<ProxySecret> ParseProxySecret(absl::string_view hex);

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_PROXY_SECRET_H_
