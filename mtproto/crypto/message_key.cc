#include "mtproto/crypto/message_key.h"

#include <algorithm>

#include "mtproto/crypto/sha.h"

namespace tgrpc::mtproto::crypto {
namespace {

size_t Offset(Role sender) { return sender == Role::kClient ? 0 : 8; }

}  // namespace

absl::Span<const uint8_t> MsgKeyPrefix(const AuthKey& auth_key, Role sender) {
  return ByteSpan(auth_key.bytes()).subspan(88 + Offset(sender), 32);
}

MsgKey ComputeMsgKey(const AuthKey& auth_key, Role sender, absl::Span<const uint8_t> plaintext) {
  const Sha256Digest large = Sha256Concat({MsgKeyPrefix(auth_key, sender), plaintext});
  MsgKey msg_key;
  std::copy(large.begin() + 8, large.begin() + 24, msg_key.begin());
  return msg_key;
}

MessageAesKey DeriveMessageAesKey(const AuthKey& auth_key, Role sender, const MsgKey& msg_key) {
  const size_t x = Offset(sender);
  const ByteSpan key = auth_key.bytes();
  const Sha256Digest a = Sha256Concat({msg_key, key.subspan(x, 36)});
  const Sha256Digest b = Sha256Concat({key.subspan(40 + x, 36), msg_key});
  MessageAesKey out;
  auto k = std::copy(a.begin(), a.begin() + 8, out.key.begin());
  k = std::copy(b.begin() + 8, b.begin() + 24, k);
  std::copy(a.begin() + 24, a.end(), k);
  auto v = std::copy(b.begin(), b.begin() + 8, out.iv.begin());
  v = std::copy(a.begin() + 8, a.begin() + 24, v);
  std::copy(b.begin() + 24, b.end(), v);
  return out;
}

}  // namespace tgrpc::mtproto::crypto
