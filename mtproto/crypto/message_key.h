// MTProto 2.0 message key and the AES key/IV derived from it
// (core.telegram.org/mtproto/description, "Defining AES Key and Initialization Vector").
#ifndef TGRPC_MTPROTO_CRYPTO_MESSAGE_KEY_H_
#define TGRPC_MTPROTO_CRYPTO_MESSAGE_KEY_H_

#include <array>
#include <cstdint>

#include "absl/types/span.h"
#include "mtproto/crypto/aes_ige.h"
#include "mtproto/crypto/auth_key.h"

namespace tgrpc::mtproto::crypto {

// Which side sent a message. It selects the auth_key offset x: 0 for client to server, 8 for
// server to client.
enum class Role { kClient, kServer };

using MsgKey = std::array<uint8_t, 16>;

struct MessageAesKey {
  std::array<uint8_t, 32> key;
  AesIge::Iv iv;
};

// auth_key[88+x : 120+x], what msg_key's hash starts with.
absl::Span<const uint8_t> MsgKeyPrefix(const AuthKey& auth_key, Role sender);

// msg_key = SHA256(auth_key[88+x : 120+x] + plaintext)[8:24]; `plaintext` includes the padding.
MsgKey ComputeMsgKey(const AuthKey& auth_key, Role sender, absl::Span<const uint8_t> plaintext);

// sha256_a = SHA256(msg_key + auth_key[x : x+36]); sha256_b = SHA256(auth_key[40+x : 76+x] +
// msg_key); key = a[0:8] + b[8:24] + a[24:32]; iv = b[0:8] + a[8:24] + b[24:32].
MessageAesKey DeriveMessageAesKey(const AuthKey& auth_key, Role sender, const MsgKey& msg_key);

}  // namespace tgrpc::mtproto::crypto

#endif  // TGRPC_MTPROTO_CRYPTO_MESSAGE_KEY_H_
