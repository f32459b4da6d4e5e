// Key derivations and ciphers of the MTProto auth-key handshake
// (core.telegram.org/mtproto/auth_key): the temporary AES key and IV from the nonces, the
// SHA1-prefixed AES-256-IGE blocks of server_DH_inner_data and client_DH_inner_data,
// new_nonce_hash1/2/3 and the first server salt.
#ifndef TGRPC_MTPROTO_CRYPTO_HANDSHAKE_CRYPTO_H_
#define TGRPC_MTPROTO_CRYPTO_HANDSHAKE_CRYPTO_H_

#include <array>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "mtproto/crypto/aes_ige.h"
#include "mtproto/crypto/auth_key.h"
#include "mtproto/crypto/random_source.h"

namespace tgrpc::mtproto::crypto {

using Int128 = std::array<uint8_t, 16>;
using Int256 = std::array<uint8_t, 32>;

struct TmpAesKey {
  std::array<uint8_t, 32> key;
  AesIge::Iv iv;
};

// key = SHA1(new_nonce + server_nonce) + SHA1(server_nonce + new_nonce)[0:12];
// iv = SHA1(server_nonce + new_nonce)[12:20] + SHA1(new_nonce + new_nonce) + new_nonce[0:4].
TmpAesKey DeriveTmpAesKey(const Int256& new_nonce, const Int128& server_nonce);

// AES-256-IGE(SHA1(data) + data + 0..15 random bytes), the form of
// server_DH_params_ok.encrypted_answer and set_client_DH_params.encrypted_data.
absl::StatusOr<std::vector<uint8_t>> EncryptWithSha1(const TmpAesKey& key,
                                                     absl::Span<const uint8_t> data,
                                                     const RandomSource& random);

// Reverses EncryptWithSha1 and returns the data. The sender pads with fewer than 16 bytes, so
// the data ends at one of 16 places: the one where the SHA1 matches is taken, which needs no
// TL parsing here.
absl::StatusOr<std::vector<uint8_t>> DecryptWithSha1(const TmpAesKey& key,
                                                     absl::Span<const uint8_t> encrypted);

// SHA1(new_nonce + number + auth_key_aux_hash)[4:20]; number is 1, 2 or 3 for dh_gen_ok,
// dh_gen_retry and dh_gen_fail.
Int128 NewNonceHash(const Int256& new_nonce, uint8_t number, const AuthKey::Id& aux_hash);

// new_nonce[0:8] XOR server_nonce[0:8], in wire order.
std::array<uint8_t, 8> InitialServerSalt(const Int256& new_nonce, const Int128& server_nonce);

}  // namespace tgrpc::mtproto::crypto

#endif  // TGRPC_MTPROTO_CRYPTO_HANDSHAKE_CRYPTO_H_
