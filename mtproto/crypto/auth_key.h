// An MTProto authorization key: the 2048-bit secret from the DH exchange, with the identifiers
// derived from it (auth_key_id on every packet, aux_hash in the handshake).
#ifndef TGRPC_MTPROTO_CRYPTO_AUTH_KEY_H_
#define TGRPC_MTPROTO_CRYPTO_AUTH_KEY_H_

#include <array>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace tgrpc::mtproto::crypto {

class AuthKey {
 public:
  static constexpr size_t kSize = 256;
  using Bytes = std::array<uint8_t, kSize>;
  using Id = std::array<uint8_t, 8>;

  explicit AuthKey(const Bytes& bytes);
  // Fails unless `bytes` is exactly 256 bytes (big-endian g^ab, zero-padded on the left).
  static absl::StatusOr<AuthKey> FromBytes(absl::Span<const uint8_t> bytes);

  const Bytes& bytes() const { return bytes_; }
  // SHA1(auth_key)[12:20], in wire order: the first 8 bytes of every encrypted packet.
  const Id& id_bytes() const { return id_; }
  // id_bytes() read as TL's little-endian long.
  uint64_t id() const;
  // SHA1(auth_key)[0:8], used in new_nonce_hash1/2/3.
  const Id& aux_hash() const { return aux_hash_; }

  // Constant time over the key bytes.
  friend bool operator==(const AuthKey& a, const AuthKey& b);
  friend bool operator!=(const AuthKey& a, const AuthKey& b) { return !(a == b); }

 private:
  Bytes bytes_;
  Id id_;
  Id aux_hash_;
};

}  // namespace tgrpc::mtproto::crypto

#endif  // TGRPC_MTPROTO_CRYPTO_AUTH_KEY_H_
