#include "mtproto/crypto/message_key_v1.h"

#include <algorithm>

#include "mtproto/crypto/sha.h"

namespace tgrpc::mtproto::crypto {

MsgKey ComputeMsgKeyV1(absl::Span<const uint8_t> plaintext) {
  const Sha1Digest hash = Sha1(plaintext);
  MsgKey msg_key;
  std::copy(hash.begin() + 4, hash.end(), msg_key.begin());
  return msg_key;
}

MessageAesKey DeriveMessageAesKeyV1(const AuthKey& auth_key, Role sender, const MsgKey& msg_key) {
  const size_t x = sender == Role::kClient ? 0 : 8;
  const ByteSpan key = auth_key.bytes();
  const Sha1Digest a = Sha1Concat({msg_key, key.subspan(x, 32)});
  const Sha1Digest b = Sha1Concat({key.subspan(32 + x, 16), msg_key, key.subspan(48 + x, 16)});
  const Sha1Digest c = Sha1Concat({key.subspan(64 + x, 32), msg_key});
  const Sha1Digest d = Sha1Concat({msg_key, key.subspan(96 + x, 32)});
  MessageAesKey out;
  auto k = std::copy(a.begin(), a.begin() + 8, out.key.begin());
  k = std::copy(b.begin() + 8, b.end(), k);
  std::copy(c.begin() + 4, c.begin() + 16, k);
  auto v = std::copy(a.begin() + 8, a.end(), out.iv.begin());
  v = std::copy(b.begin(), b.begin() + 8, v);
  v = std::copy(c.begin() + 16, c.end(), v);
  std::copy(d.begin(), d.begin() + 8, v);
  return out;
}

}  // namespace tgrpc::mtproto::crypto
