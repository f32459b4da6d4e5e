// The RSA encryption of p_q_inner_data in the MTProto handshake: RSA_PAD
// (core.telegram.org/mtproto/auth_key, step 4.1) for current clients, and the legacy
// SHA1(data) + data + padding scheme that older clients still send. Both need 2048-bit keys.
#ifndef TGRPC_MTPROTO_CRYPTO_RSA_PAD_H_
#define TGRPC_MTPROTO_CRYPTO_RSA_PAD_H_

#include <array>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "mtproto/crypto/random_source.h"
#include "mtproto/crypto/rsa_key.h"
#include "mtproto/crypto/sha.h"

namespace tgrpc::mtproto::crypto {

inline constexpr size_t kRsaEncryptedSize = 256;
using RsaEncrypted = std::array<uint8_t, kRsaEncryptedSize>;

// RSA_PAD carries at most 144 bytes of data in a 192-byte padded block.
inline constexpr size_t kRsaPadMaxDataSize = 144;
inline constexpr size_t kRsaPadPaddedSize = 192;

// Client side. data_with_padding = data + random bytes to 192; temp_key = 32 random bytes;
// data_with_hash = reverse(data_with_padding) + SHA256(temp_key + data_with_padding);
// aes_encrypted = AES256_IGE(data_with_hash, temp_key, zero IV);
// key_aes_encrypted = (temp_key XOR SHA256(aes_encrypted)) + aes_encrypted, retried with a new
// temp_key until it is below the modulus; the result is key_aes_encrypted^e mod n.
absl::StatusOr<RsaEncrypted> RsaPadEncrypt(const RsaPublicKey& key, absl::Span<const uint8_t> data,
                                           const RandomSource& random);

// Server side: reverses RSA_PAD and checks the SHA256. Returns data_with_padding (192 bytes);
// where the data ends is for the TL parser to say.
absl::StatusOr<std::array<uint8_t, kRsaPadPaddedSize>> RsaPadDecrypt(
    const RsaPrivateKey& key, absl::Span<const uint8_t> encrypted_data);

// Legacy scheme: RSA(SHA1(data) + data + random padding to 255 bytes).
inline constexpr size_t kRsaLegacyMaxDataSize = 255 - 20;

absl::StatusOr<RsaEncrypted> RsaLegacyEncrypt(const RsaPublicKey& key,
                                              absl::Span<const uint8_t> data,
                                              const RandomSource& random);

// What the server recovers from the legacy scheme. The data length is only known once the TL
// parser has read the data, so the hash is checked by Data().
class RsaLegacyPayload {
 public:
  RsaLegacyPayload(const Sha1Digest& hash,
                   const std::array<uint8_t, kRsaLegacyMaxDataSize>& data_with_padding)
      : hash_(hash), data_with_padding_(data_with_padding) {}

  // The data with the random padding after it.
  absl::Span<const uint8_t> data_with_padding() const { return data_with_padding_; }
  // The first `size` bytes, if their SHA1 matches the hash sent with them.
  absl::StatusOr<absl::Span<const uint8_t>> Data(size_t size) const;

 private:
  Sha1Digest hash_;
  std::array<uint8_t, kRsaLegacyMaxDataSize> data_with_padding_;
};

absl::StatusOr<RsaLegacyPayload> RsaLegacyDecrypt(const RsaPrivateKey& key,
                                                  absl::Span<const uint8_t> encrypted_data);

}  // namespace tgrpc::mtproto::crypto

#endif  // TGRPC_MTPROTO_CRYPTO_RSA_PAD_H_
