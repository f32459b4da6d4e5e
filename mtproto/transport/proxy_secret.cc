#include "mtproto/transport/proxy_secret.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"

namespace tgrpc::mtproto::transport {

absl::StatusOr<ProxySecret> ParseProxySecret(absl::string_view hex) {
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError("proxy secrets are hex strings");
    }
  }
  constexpr size_t kPlainDigits = 2 * kProxySecretSize;
  ProxySecret secret;
  // Prefixes only count on longer strings: a plain secret may start with any byte.
  if (hex.size() > kPlainDigits && absl::StartsWithIgnoreCase(hex, "ee")) {
    return absl::UnimplementedError("fake-TLS (ee) proxy secrets are not supported");
  }
  if (hex.size() == kPlainDigits + 2 && absl::StartsWithIgnoreCase(hex, "dd")) {
    secret.padded = true;
    hex.remove_prefix(2);
  }
  if (hex.size() != kPlainDigits) {
    return absl::InvalidArgumentError(
        "a proxy secret is 32 hex digits, optionally prefixed with dd");
  }
  secret.key = absl::HexStringToBytes(hex);
  return secret;
}

}  // namespace tgrpc::mtproto::transport
