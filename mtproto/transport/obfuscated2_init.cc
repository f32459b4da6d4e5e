#include "mtproto/transport/obfuscated2_init.h"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "base/bytes.h"
#include "base/status_macros.h"
#include "mtproto/transport/aes_ctr.h"

namespace tgrpc::mtproto::transport {
namespace {

constexpr uint32_t kAbridgedMarker = 0xefefefef;
constexpr uint32_t kIntermediateMarker = 0xeeeeeeee;
constexpr uint32_t kPaddedIntermediateMarker = 0xdddddddd;
constexpr size_t kMarkerOffset = 56;
constexpr size_t kDcOffset = 60;
constexpr size_t kKeyMaterialOffset = 8;
constexpr size_t kKeyMaterialSize = 48;
constexpr int kMaxDraws = 1000;

absl::StatusOr<std::string> Sha256(absl::string_view a, absl::string_view b) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
  std::string digest(32, '\0');
  unsigned int size = 0;
  if (context == nullptr || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), a.data(), a.size()) != 1 ||
      EVP_DigestUpdate(context.get(), b.data(), b.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), reinterpret_cast<unsigned char*>(digest.data()), &size) !=
          1 ||
      size != digest.size()) {
    return absl::InternalError("SHA-256 failed");
  }
  return digest;
}

// Keys as the client sees them; the server swaps the directions.
absl::StatusOr<Obfuscated2Keys> DeriveClientKeys(absl::string_view init, absl::string_view secret) {
  const absl::string_view forward = init.substr(kKeyMaterialOffset, kKeyMaterialSize);
  std::string backward(forward);
  std::reverse(backward.begin(), backward.end());
  Obfuscated2Keys keys;
  keys.encrypt_key = std::string(forward.substr(0, 32));
  keys.encrypt_iv = std::string(forward.substr(32, 16));
  keys.decrypt_key = backward.substr(0, 32);
  keys.decrypt_iv = backward.substr(32, 16);
  if (!secret.empty()) {
    TGRPC_ASSIGN_OR_RETURN(keys.encrypt_key, Sha256(keys.encrypt_key, secret));
    TGRPC_ASSIGN_OR_RETURN(keys.decrypt_key, Sha256(keys.decrypt_key, secret));
  }
  return keys;
}

Obfuscated2Keys SwapDirections(Obfuscated2Keys keys) {
  std::swap(keys.encrypt_key, keys.decrypt_key);
  std::swap(keys.encrypt_iv, keys.decrypt_iv);
  return keys;
}

std::optional<Protocol> ProtocolFromMarker(uint32_t marker) {
  switch (marker) {
    case kAbridgedMarker:
      return Protocol::kAbridged;
    case kIntermediateMarker:
      return Protocol::kIntermediate;
    case kPaddedIntermediateMarker:
      return Protocol::kPaddedIntermediate;
    default:
      return std::nullopt;
  }
}

// Decrypts the whole init with the client->server stream; returns the plain bytes.
absl::StatusOr<std::string> DecryptInit(absl::string_view init, const Obfuscated2Keys& client) {
  TGRPC_ASSIGN_OR_RETURN(AesCtr256 cipher,
                         AesCtr256::Create(client.encrypt_key, client.encrypt_iv));
  std::string plain(init);
  TGRPC_RETURN_IF_ERROR(cipher.Apply(plain.data(), plain.size()));
  return plain;
}

}  // namespace

absl::StatusOr<uint32_t> Obfuscated2Marker(Protocol protocol) {
  switch (protocol) {
    case Protocol::kAbridged:
      return kAbridgedMarker;
    case Protocol::kIntermediate:
      return kIntermediateMarker;
    case Protocol::kPaddedIntermediate:
      return kPaddedIntermediateMarker;
    case Protocol::kFull:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("obfuscated2 cannot carry the ", ProtocolName(protocol), " transport"));
}

bool IsForbiddenObfuscated2Start(absl::string_view init) {
  if (init.size() < 8) return true;
  if (static_cast<uint8_t>(init[0]) == 0xef) return true;
  switch (base::LoadLe32(init.data())) {
    case 0x44414548:  // "HEAD"
    case 0x54534f50:  // "POST"
    case 0x20544547:  // "GET "
    case 0x4954504f:  // "OPTI"
    case 0xdddddddd:
    case 0xeeeeeeee:
    case 0x02010316:  // TLS record header 16 03 01 02
      return true;
    default:
      break;
  }
  return base::LoadLe32(init.data() + 4) == 0;
}

absl::StatusOr<Obfuscated2ClientInit> MakeObfuscated2Init(Protocol protocol, int16_t dc_id,
                                                          const std::optional<ProxySecret>& secret,
                                                          const crypto::RandomSource& random) {
  TGRPC_ASSIGN_OR_RETURN(const uint32_t marker, Obfuscated2Marker(protocol));
  if (secret.has_value()) {
    if (secret->key.size() != kProxySecretSize) {
      return absl::InvalidArgumentError("proxy secret keys are 16 bytes");
    }
    if (secret->padded && protocol != Protocol::kPaddedIntermediate) {
      return absl::InvalidArgumentError("a dd proxy secret requires padded intermediate");
    }
    if (secret->fake_tls) {
      // The client side of fake-TLS (the ClientHello imitation) is not implemented.
      return absl::UnimplementedError(
          "fake-TLS (ee) proxy secrets are not supported by the client");
    }
  }
  if (!random) return absl::FailedPreconditionError("obfuscated2 needs a random source");
  std::string init(kObfuscated2InitSize, '\0');
  auto bytes = absl::MakeSpan(reinterpret_cast<uint8_t*>(init.data()), init.size());
  int draws = 0;
  do {
    if (++draws > kMaxDraws) {
      return absl::InternalError("the random source keeps producing forbidden obfuscated2 inits");
    }
    random(bytes);
  } while (IsForbiddenObfuscated2Start(init));

  base::StoreLe32(marker, init.data() + kMarkerOffset);
  init[kDcOffset] = static_cast<char>(static_cast<uint16_t>(dc_id) & 0xff);
  init[kDcOffset + 1] = static_cast<char>(static_cast<uint16_t>(dc_id) >> 8);

  Obfuscated2ClientInit result;
  TGRPC_ASSIGN_OR_RETURN(result.keys,
                         DeriveClientKeys(init, secret.has_value() ? absl::string_view(secret->key)
                                                                   : absl::string_view()));
  TGRPC_ASSIGN_OR_RETURN(const std::string encrypted, DecryptInit(init, result.keys));
  // Only the tail goes out encrypted; the key material must stay readable for the server.
  init.replace(kMarkerOffset, 8, encrypted, kMarkerOffset, 8);
  result.init = std::move(init);
  return result;
}

absl::StatusOr<Obfuscated2ServerInit> ParseObfuscated2Init(
    absl::string_view init, const Obfuscated2ServerOptions& options) {
  if (init.size() != kObfuscated2InitSize) {
    return absl::InvalidArgumentError("an obfuscated2 init is 64 bytes");
  }
  std::vector<std::optional<size_t>> candidates;
  for (size_t i = 0; i < options.secrets.size(); ++i) candidates.push_back(i);
  if (options.allow_no_secret) candidates.push_back(std::nullopt);

  for (const std::optional<size_t>& index : candidates) {
    const absl::string_view secret =
        index.has_value() ? absl::string_view(options.secrets[*index]) : absl::string_view();
    if (index.has_value() && secret.size() != kProxySecretSize) {
      return absl::InvalidArgumentError("proxy secret keys are 16 bytes");
    }
    TGRPC_ASSIGN_OR_RETURN(Obfuscated2Keys client_keys, DeriveClientKeys(init, secret));
    TGRPC_ASSIGN_OR_RETURN(const std::string plain, DecryptInit(init, client_keys));
    const std::optional<Protocol> protocol =
        ProtocolFromMarker(base::LoadLe32(plain.data() + kMarkerOffset));
    if (!protocol.has_value()) continue;
    Obfuscated2ServerInit result;
    result.protocol = *protocol;
    result.dc_id = static_cast<int16_t>(static_cast<uint16_t>(
        static_cast<uint8_t>(plain[kDcOffset]) | static_cast<uint8_t>(plain[kDcOffset + 1]) << 8));
    result.secret_index = index;
    result.keys = SwapDirections(std::move(client_keys));
    return result;
  }
  return absl::InvalidArgumentError(
      "not an obfuscated2 init, or made with a proxy secret not accepted here");
}

}  // namespace tgrpc::mtproto::transport
