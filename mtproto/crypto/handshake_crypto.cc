#include "mtproto/crypto/handshake_crypto.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "mtproto/crypto/sha.h"

namespace tgrpc::mtproto::crypto {
namespace {

constexpr size_t kSha1Size = 20;

}  // namespace

TmpAesKey DeriveTmpAesKey(const Int256& new_nonce, const Int128& server_nonce) {
  const Sha1Digest nn_sn = Sha1Concat({new_nonce, server_nonce});
  const Sha1Digest sn_nn = Sha1Concat({server_nonce, new_nonce});
  const Sha1Digest nn_nn = Sha1Concat({new_nonce, new_nonce});
  TmpAesKey out;
  auto k = std::copy(nn_sn.begin(), nn_sn.end(), out.key.begin());
  std::copy(sn_nn.begin(), sn_nn.begin() + 12, k);
  auto v = std::copy(sn_nn.begin() + 12, sn_nn.end(), out.iv.begin());
  v = std::copy(nn_nn.begin(), nn_nn.end(), v);
  std::copy(new_nonce.begin(), new_nonce.begin() + 4, v);
  return out;
}

absl::StatusOr<std::vector<uint8_t>> EncryptWithSha1(const TmpAesKey& key,
                                                     absl::Span<const uint8_t> data,
                                                     const RandomSource& random) {
  const size_t unpadded = kSha1Size + data.size();
  std::vector<uint8_t> out(unpadded + (16 - unpadded % 16) % 16);
  const Sha1Digest hash = Sha1(data);
  auto at = std::copy(hash.begin(), hash.end(), out.begin());
  std::copy(data.begin(), data.end(), at);
  random(absl::MakeSpan(out).subspan(unpadded));
  TGRPC_ASSIGN_OR_RETURN(const AesIge aes, AesIge::Create(key.key));
  TGRPC_RETURN_IF_ERROR(aes.Encrypt(key.iv, out, absl::MakeSpan(out)));
  return out;
}

absl::StatusOr<std::vector<uint8_t>> DecryptWithSha1(const TmpAesKey& key,
                                                     absl::Span<const uint8_t> encrypted) {
  if (encrypted.size() < 32 || encrypted.size() % 16 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("encrypted block of invalid size ", encrypted.size()));
  }
  TGRPC_ASSIGN_OR_RETURN(const AesIge aes, AesIge::Create(key.key));
  std::vector<uint8_t> plain(encrypted.size());
  TGRPC_RETURN_IF_ERROR(aes.Decrypt(key.iv, encrypted, absl::MakeSpan(plain)));
  const ByteSpan hash = ByteSpan(plain).first(kSha1Size);
  for (size_t padding = 0; padding < 16 && padding <= plain.size() - kSha1Size; ++padding) {
    const ByteSpan data = ByteSpan(plain).subspan(kSha1Size, plain.size() - kSha1Size - padding);
    const Sha1Digest actual = Sha1(data);
    if (CRYPTO_memcmp(actual.data(), hash.data(), kSha1Size) == 0) {
      return std::vector<uint8_t>(data.begin(), data.end());
    }
  }
  return absl::InvalidArgumentError("SHA1 of the decrypted data does not match");
}

Int128 NewNonceHash(const Int256& new_nonce, uint8_t number, const AuthKey::Id& aux_hash) {
  const uint8_t number_byte[1] = {number};
  const Sha1Digest hash = Sha1Concat({new_nonce, number_byte, aux_hash});
  Int128 out;
  std::copy(hash.begin() + 4, hash.end(), out.begin());
  return out;
}

std::array<uint8_t, 8> InitialServerSalt(const Int256& new_nonce, const Int128& server_nonce) {
  std::array<uint8_t, 8> salt;
  for (size_t i = 0; i < salt.size(); ++i) salt[i] = new_nonce[i] ^ server_nonce[i];
  return salt;
}

}  // namespace tgrpc::mtproto::crypto
