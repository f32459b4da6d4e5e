// MTProto 1.0 message key and AES key/IV (core.telegram.org/mtproto/description_v1). Obsolete for
// packets, but auth.bindTempAuthKey still encrypts its binding message this way under the
// permanent key.
#ifndef TGRPC_MTPROTO_CRYPTO_MESSAGE_KEY_V1_H_
#define TGRPC_MTPROTO_CRYPTO_MESSAGE_KEY_V1_H_

#include <cstdint>

#include "absl/types/span.h"
#include "mtproto/crypto/auth_key.h"
#include "mtproto/crypto/message_key.h"

namespace tgrpc::mtproto::crypto {

// msg_key = SHA1(plaintext)[4:20]; unlike MTProto 2.0, `plaintext` excludes the padding.
MsgKey ComputeMsgKeyV1(absl::Span<const uint8_t> plaintext);

// With x = 0 (client to server) or 8 (server to client):
// sha1_a = SHA1(msg_key + auth_key[x : x+32]);
// sha1_b = SHA1(auth_key[32+x : 48+x] + msg_key + auth_key[48+x : 64+x]);
// sha1_c = SHA1(auth_key[64+x : 96+x] + msg_key); sha1_d = SHA1(msg_key + auth_key[96+x : 128+x]);
// key = a[0:8] + b[8:20] + c[4:16]; iv = a[8:20] + b[0:8] + c[16:20] + d[0:8].
MessageAesKey DeriveMessageAesKeyV1(const AuthKey& auth_key, Role sender, const MsgKey& msg_key);

}  // namespace tgrpc::mtproto::crypto

#endif  // TGRPC_MTPROTO_CRYPTO_MESSAGE_KEY_V1_H_
