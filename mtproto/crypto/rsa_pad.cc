#include "mtproto/crypto/rsa_pad.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "mtproto/crypto/aes_ige.h"

namespace tgrpc::mtproto::crypto {
namespace {

constexpr size_t kTempKeySize = 32;
constexpr size_t kDataWithHashSize = kRsaPadPaddedSize + 32;  // 224
// A random temp_key puts key_aes_encrypted below a 2048-bit modulus with probability well
// above 1/2, so running out of attempts means a broken random source.
constexpr int kMaxAttempts = 64;

absl::Status CheckKeySize(size_t modulus_size) {
  if (modulus_size != kRsaEncryptedSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("MTProto needs a 2048-bit RSA key, got ", modulus_size * 8, " bits"));
  }
  return absl::OkStatus();
}

// Big-endian comparison of equally long byte strings.
bool LessThan(absl::Span<const uint8_t> a, absl::Span<const uint8_t> b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

RsaEncrypted ToArray(const std::vector<uint8_t>& bytes) {
  RsaEncrypted out;
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

}  // namespace

absl::StatusOr<RsaEncrypted> RsaPadEncrypt(const RsaPublicKey& key, absl::Span<const uint8_t> data,
                                           const RandomSource& random) {
  TGRPC_RETURN_IF_ERROR(CheckKeySize(key.modulus_size()));
  if (data.size() > kRsaPadMaxDataSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA_PAD data is ", data.size(), " bytes; at most 144 fit"));
  }
  std::array<uint8_t, kRsaPadPaddedSize> data_with_padding;
  std::copy(data.begin(), data.end(), data_with_padding.begin());
  random(absl::MakeSpan(data_with_padding).subspan(data.size()));

  std::array<uint8_t, kRsaEncryptedSize> key_aes_encrypted;
  const absl::Span<uint8_t> temp_key_xor = absl::MakeSpan(key_aes_encrypted).first(kTempKeySize);
  const absl::Span<uint8_t> aes_encrypted = absl::MakeSpan(key_aes_encrypted).subspan(kTempKeySize);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    std::array<uint8_t, kTempKeySize> temp_key;
    random(absl::MakeSpan(temp_key));
    // data_with_hash is built in place where aes_encrypted goes, then encrypted in place.
    std::reverse_copy(data_with_padding.begin(), data_with_padding.end(), aes_encrypted.begin());
    const Sha256Digest hash = Sha256Concat({temp_key, data_with_padding});
    std::copy(hash.begin(), hash.end(), aes_encrypted.begin() + kRsaPadPaddedSize);
    TGRPC_ASSIGN_OR_RETURN(const AesIge aes, AesIge::Create(temp_key));
    TGRPC_RETURN_IF_ERROR(aes.Encrypt(AesIge::Iv{}, aes_encrypted, aes_encrypted));
    const Sha256Digest aes_hash = Sha256(aes_encrypted);
    for (size_t i = 0; i < kTempKeySize; ++i) temp_key_xor[i] = temp_key[i] ^ aes_hash[i];
    OPENSSL_cleanse(temp_key.data(), temp_key.size());
    if (LessThan(key_aes_encrypted, key.n())) {
      TGRPC_ASSIGN_OR_RETURN(std::vector<uint8_t> encrypted, key.EncryptRaw(key_aes_encrypted));
      return ToArray(encrypted);
    }
  }
  return absl::InternalError("RSA_PAD: no temp_key gave a value below the modulus");
}

absl::StatusOr<std::array<uint8_t, kRsaPadPaddedSize>> RsaPadDecrypt(
    const RsaPrivateKey& key, absl::Span<const uint8_t> encrypted_data) {
  TGRPC_RETURN_IF_ERROR(CheckKeySize(key.public_key().modulus_size()));
  if (encrypted_data.size() != kRsaEncryptedSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA_PAD encrypted_data must be 256 bytes, got ", encrypted_data.size()));
  }
  TGRPC_ASSIGN_OR_RETURN(std::vector<uint8_t> key_aes_encrypted, key.DecryptRaw(encrypted_data));
  const ByteSpan temp_key_xor = ByteSpan(key_aes_encrypted).first(kTempKeySize);
  const ByteSpan aes_encrypted = ByteSpan(key_aes_encrypted).subspan(kTempKeySize);

  const Sha256Digest aes_hash = Sha256(aes_encrypted);
  std::array<uint8_t, kTempKeySize> temp_key;
  for (size_t i = 0; i < kTempKeySize; ++i) temp_key[i] = temp_key_xor[i] ^ aes_hash[i];
  std::array<uint8_t, kDataWithHashSize> data_with_hash;
  TGRPC_ASSIGN_OR_RETURN(const AesIge aes, AesIge::Create(temp_key));
  TGRPC_RETURN_IF_ERROR(aes.Decrypt(AesIge::Iv{}, aes_encrypted, absl::MakeSpan(data_with_hash)));

  std::array<uint8_t, kRsaPadPaddedSize> data_with_padding;
  std::reverse_copy(data_with_hash.begin(), data_with_hash.begin() + kRsaPadPaddedSize,
                    data_with_padding.begin());
  const Sha256Digest expected = Sha256Concat({temp_key, data_with_padding});
  OPENSSL_cleanse(temp_key.data(), temp_key.size());
  if (CRYPTO_memcmp(expected.data(), data_with_hash.data() + kRsaPadPaddedSize, 32) != 0) {
    return absl::InvalidArgumentError("RSA_PAD hash mismatch");
  }
  return data_with_padding;
}

absl::StatusOr<RsaEncrypted> RsaLegacyEncrypt(const RsaPublicKey& key,
                                              absl::Span<const uint8_t> data,
                                              const RandomSource& random) {
  TGRPC_RETURN_IF_ERROR(CheckKeySize(key.modulus_size()));
  if (data.size() > kRsaLegacyMaxDataSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("legacy RSA data is ", data.size(), " bytes; at most 235 fit"));
  }
  // A leading zero byte keeps the 255 bytes below any 2048-bit modulus.
  std::array<uint8_t, kRsaEncryptedSize> block{};
  const Sha1Digest hash = Sha1(data);
  auto at = std::copy(hash.begin(), hash.end(), block.begin() + 1);
  at = std::copy(data.begin(), data.end(), at);
  random(absl::MakeSpan(block).subspan(at - block.begin()));
  TGRPC_ASSIGN_OR_RETURN(std::vector<uint8_t> encrypted, key.EncryptRaw(block));
  return ToArray(encrypted);
}

absl::StatusOr<absl::Span<const uint8_t>> RsaLegacyPayload::Data(size_t size) const {
  if (size > data_with_padding_.size()) {
    return absl::InvalidArgumentError(absl::StrCat("legacy RSA data cannot be ", size, " bytes"));
  }
  const ByteSpan data = ByteSpan(data_with_padding_).first(size);
  const Sha1Digest hash = Sha1(data);
  if (CRYPTO_memcmp(hash.data(), hash_.data(), hash.size()) != 0) {
    return absl::InvalidArgumentError("legacy RSA data does not match its SHA1");
  }
  return data;
}

absl::StatusOr<RsaLegacyPayload> RsaLegacyDecrypt(const RsaPrivateKey& key,
                                                  absl::Span<const uint8_t> encrypted_data) {
  TGRPC_RETURN_IF_ERROR(CheckKeySize(key.public_key().modulus_size()));
  if (encrypted_data.size() != kRsaEncryptedSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("encrypted_data must be 256 bytes, got ", encrypted_data.size()));
  }
  TGRPC_ASSIGN_OR_RETURN(std::vector<uint8_t> block, key.DecryptRaw(encrypted_data));
  if (block[0] != 0) {
    return absl::InvalidArgumentError("legacy RSA block is longer than 255 bytes");
  }
  Sha1Digest hash;
  std::copy(block.begin() + 1, block.begin() + 21, hash.begin());
  std::array<uint8_t, kRsaLegacyMaxDataSize> data_with_padding;
  std::copy(block.begin() + 21, block.end(), data_with_padding.begin());
  return RsaLegacyPayload(hash, data_with_padding);
}

}  // namespace tgrpc::mtproto::crypto
