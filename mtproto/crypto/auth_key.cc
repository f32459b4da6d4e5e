#include "mtproto/crypto/auth_key.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "mtproto/crypto/sha.h"

namespace tgrpc::mtproto::crypto {

AuthKey::AuthKey(const Bytes& bytes) : bytes_(bytes) {
  const Sha1Digest hash = Sha1(bytes_);
  std::copy(hash.begin(), hash.begin() + 8, aux_hash_.begin());
  std::copy(hash.begin() + 12, hash.end(), id_.begin());
}

absl::StatusOr<AuthKey> AuthKey::FromBytes(absl::Span<const uint8_t> bytes) {
  if (bytes.size() != kSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("auth key must be ", kSize, " bytes, got ", bytes.size()));
  }
  Bytes key;
  std::copy(bytes.begin(), bytes.end(), key.begin());
  return AuthKey(key);
}

uint64_t AuthKey::id() const {
  uint64_t id = 0;
  for (int i = 7; i >= 0; --i) id = id << 8 | id_[i];
  return id;
}

bool operator==(const AuthKey& a, const AuthKey& b) {
  return CRYPTO_memcmp(a.bytes_.data(), b.bytes_.data(), AuthKey::kSize) == 0;
}

}  // namespace tgrpc::mtproto::crypto
