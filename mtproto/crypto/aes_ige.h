// AES in IGE mode (Infinite Garble Extension), the cipher of MTProto packets and of the
// handshake. Runs on AES-NI: OpenSSL's AES_ige_encrypt uses no AES-NI and is many times slower.
#ifndef TGRPC_MTPROTO_CRYPTO_AES_IGE_H_
#define TGRPC_MTPROTO_CRYPTO_AES_IGE_H_

#include <array>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "mtproto/crypto/sha.h"

namespace tgrpc::mtproto::crypto {

enum class AesBackend {
  kAuto,      // AES-NI when the CPU has it, else kPortable.
  kAesNi,     // Fails to create on a CPU without AES-NI.
  kPortable,  // OpenSSL's table-based block function (the fallback; also tested on its own).
};

class AesIge {
 public:
  static constexpr size_t kBlockSize = 16;
  // iv[0:16] stands for the previous ciphertext block and iv[16:32] for the previous plaintext
  // block, the layout of MTProto and of OpenSSL's AES_ige_encrypt.
  using Iv = std::array<uint8_t, 2 * kBlockSize>;

  // `key` is 32 bytes (AES-256, what MTProto uses) or 16 bytes (AES-128, for the published
  // IGE test vectors).
  static absl::StatusOr<AesIge> Create(absl::Span<const uint8_t> key,
                                       AesBackend backend = AesBackend::kAuto);

  static bool CpuHasAesNi();
  // SHA-NI, with the SSSE3 and SSE4.1 its use here needs.
  static bool CpuHasShaNi();

  // `in` and `out` must be equally long, a multiple of 16 bytes, and either the same buffer (in
  // place) or not overlapping. `iv` is not updated: every MTProto message has its own.
  absl::Status Encrypt(const Iv& iv, absl::Span<const uint8_t> in, absl::Span<uint8_t> out) const;
  absl::Status Decrypt(const Iv& iv, absl::Span<const uint8_t> in, absl::Span<uint8_t> out) const;

  // Decrypt, together with the SHA-256 of `prefix` (32 bytes) followed by the plaintext: what
  // checking an MTProto 2.0 msg_key needs. With AES-NI and SHA-NI, and `fused`, both run in one
  // pass over the data: IGE and SHA-256 are each a serial chain of instructions, and the CPU runs
  // the two chains side by side, so the hash costs little time of its own. Otherwise Decrypt,
  // then OpenSSL's SHA-256 (the same result).
  absl::StatusOr<Sha256Digest> DecryptAndSha256(const Iv& iv, absl::Span<const uint8_t> prefix,
                                                absl::Span<const uint8_t> in,
                                                absl::Span<uint8_t> out, bool fused = true) const;

  // Encrypt, together with the SHA-256 of `prefix` (32 bytes) followed by `message`: another
  // packet's msg_key hash, which an encryption cannot overlap with its own (its key comes from
  // it). One pass as in DecryptAndSha256, where the CPU has AES-NI and SHA-NI and `fused`; else
  // one after the other. `message` must not overlap `out`.
  absl::StatusOr<Sha256Digest> EncryptAndSha256(const Iv& iv, absl::Span<const uint8_t> in,
                                                absl::Span<uint8_t> out,
                                                absl::Span<const uint8_t> prefix,
                                                absl::Span<const uint8_t> message,
                                                bool fused = true) const;

  // kAesNi or kPortable: the backend actually in use.
  AesBackend backend() const { return backend_; }

 private:
  struct PortableKeys;

  AesIge() = default;

  AesBackend backend_ = AesBackend::kAesNi;
  int rounds_ = 0;
  // AES-NI round keys: encryption, and decryption in the order and form aesdec wants.
  alignas(16) std::array<uint8_t, 15 * 16> enc_keys_{};
  alignas(16) std::array<uint8_t, 15 * 16> dec_keys_{};
  // Only for kPortable. Immutable, so copies may share it.
  std::shared_ptr<const PortableKeys> portable_;
};

}  // namespace tgrpc::mtproto::crypto

#endif  // TGRPC_MTPROTO_CRYPTO_AES_IGE_H_
