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
    hex.remove_prefix(2);
    if (hex.size() <= kPlainDigits || hex.size() % 2 != 0 ||
        hex.size() > kPlainDigits + 2 * kMaxFakeTlsDomainSize) {
      return absl::InvalidArgumentError(
          "a fake-TLS proxy secret is ee, 32 hex digits, then a domain of 1 to 253 bytes in hex");
    }
    secret.fake_tls = true;
    secret.key = absl::HexStringToBytes(hex.substr(0, kPlainDigits));
    secret.domain = absl::HexStringToBytes(hex.substr(kPlainDigits));
    return secret;
  }
  if (hex.size() == kPlainDigits + 2 && absl::StartsWithIgnoreCase(hex, "dd")) {
    secret.padded = true;
    hex.remove_prefix(2);
  }
  if (hex.size() != kPlainDigits) {
    return absl::InvalidArgumentError(
        "a proxy secret is 32 hex digits, optionally prefixed with dd (or ee and followed by a "
        "domain)");
  }
  secret.key = absl::HexStringToBytes(hex);
  return secret;
}

}  // namespace tgrpc::mtproto::transport
