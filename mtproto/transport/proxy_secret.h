// MTProxy secrets as users get them (hex in tg://proxy links). A plain secret is 16 bytes; a `dd`
// prefix asks for padded intermediate inside the obfuscation. Fake-TLS `ee` secrets are not
// supported: they need a TLS ClientHello imitation this library does not implement.
#ifndef TGRPC_MTPROTO_TRANSPORT_PROXY_SECRET_H_
#define TGRPC_MTPROTO_TRANSPORT_PROXY_SECRET_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tgrpc::mtproto::transport {

inline constexpr size_t kProxySecretSize = 16;

struct ProxySecret {
  // The 16 bytes mixed into the obfuscation keys.
  std::string key;
  // `dd` secret: the client must use padded intermediate.
  bool padded = false;
};

// Parses 32 hex digits (plain) or `dd` + 32 hex digits. `ee` secrets give Unimplemented.
absl::StatusOr<ProxySecret> ParseProxySecret(absl::string_view hex);

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_PROXY_SECRET_H_
