#include "mtproto/crypto/packet_cipher.h"

#include <openssl/crypto.h>

#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "base/bytes.h"
#include "base/status_macros.h"
#include "mtproto/crypto/aes_ige.h"
#include "mtproto/crypto/sha.h"

namespace tgrpc::mtproto::crypto {
namespace {

Role Peer(Role role) { return role == Role::kClient ? Role::kServer : Role::kClient; }

// Plaintext offsets.
constexpr size_t kSaltAt = 0;
constexpr size_t kSessionIdAt = 8;
constexpr size_t kMsgIdAt = 16;
constexpr size_t kSeqNoAt = 24;
constexpr size_t kLengthAt = 28;

// The body length goes into an int32 field; real messages are far smaller anyway.
constexpr size_t kMaxBodySize = std::numeric_limits<int32_t>::max() - 2048;

absl::Status CheckBody(size_t body_size, size_t extra_padding_blocks) {
  if (body_size % 4 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("message body length ", body_size, " is not a multiple of 4"));
  }
  if (body_size > kMaxBodySize) {
    return absl::InvalidArgumentError(absl::StrCat("message body too long: ", body_size));
  }
  if (extra_padding_blocks > PacketCipher::kMaxExtraPaddingBlocks) {
    return absl::InvalidArgumentError(
        absl::StrCat("too many extra padding blocks: ", extra_padding_blocks));
  }
  return absl::OkStatus();
}

}  // namespace

size_t PacketCipher::PaddingSize(size_t body_size, size_t extra_padding_blocks) {
  const size_t unpadded = kInnerHeaderSize + body_size + kMinPadding;
  return kMinPadding + (16 - unpadded % 16) % 16 + 16 * extra_padding_blocks;
}

size_t PacketCipher::EncryptedSize(size_t body_size, size_t extra_padding_blocks) {
  return kBodyOffset + body_size + PaddingSize(body_size, extra_padding_blocks);
}

absl::StatusOr<size_t> PacketCipher::Encrypt(const MessageHeader& header,
                                             absl::Span<const uint8_t> body,
                                             const RandomSource& random, absl::Span<uint8_t> out,
                                             size_t extra_padding_blocks) const {
  TGRPC_RETURN_IF_ERROR(CheckBody(body.size(), extra_padding_blocks));
  if (out.size() < EncryptedSize(body.size(), extra_padding_blocks)) {
    return absl::InvalidArgumentError(
        absl::StrCat("output buffer of ", out.size(), " bytes is too small; need ",
                     EncryptedSize(body.size(), extra_padding_blocks)));
  }
  if (!body.empty()) std::memmove(out.data() + kBodyOffset, body.data(), body.size());
  return EncryptInPlace(header, body.size(), random, out, extra_padding_blocks);
}

absl::StatusOr<size_t> PacketCipher::EncryptInPlace(const MessageHeader& header, size_t body_size,
                                                    const RandomSource& random,
                                                    absl::Span<uint8_t> packet,
                                                    size_t extra_padding_blocks) const {
  TGRPC_ASSIGN_OR_RETURN(const size_t size,
                         PrepareInPlace(header, body_size, random, packet, extra_padding_blocks));
  const absl::Span<uint8_t> prepared = packet.first(size);
  TGRPC_RETURN_IF_ERROR(EncryptPrepared(absl::MakeConstSpan(&prepared, 1)));
  return size;
}

absl::StatusOr<size_t> PacketCipher::PrepareInPlace(const MessageHeader& header, size_t body_size,
                                                    const RandomSource& random,
                                                    absl::Span<uint8_t> packet,
                                                    size_t extra_padding_blocks) const {
  TGRPC_RETURN_IF_ERROR(CheckBody(body_size, extra_padding_blocks));
  const size_t padding = PaddingSize(body_size, extra_padding_blocks);
  const size_t size = kBodyOffset + body_size + padding;
  if (packet.size() < size) {
    return absl::InvalidArgumentError(
        absl::StrCat("packet buffer of ", packet.size(), " bytes is too small; need ", size));
  }
  const absl::Span<uint8_t> plaintext = packet.subspan(kOuterHeaderSize, size - kOuterHeaderSize);
  base::StoreLe64(header.salt, &plaintext[kSaltAt]);
  base::StoreLe64(header.session_id, &plaintext[kSessionIdAt]);
  base::StoreLe64(header.msg_id, &plaintext[kMsgIdAt]);
  base::StoreLe32(header.seq_no, &plaintext[kSeqNoAt]);
  base::StoreLe32(static_cast<uint32_t>(body_size), &plaintext[kLengthAt]);
  random(plaintext.subspan(kInnerHeaderSize + body_size, padding));
  return size;
}

absl::Status PacketCipher::EncryptPrepared(absl::Span<const absl::Span<uint8_t>> packets) const {
  // 24 outer bytes, then a 48-byte plaintext: 32 of header and 16 of padding, no body.
  constexpr size_t kMinPacket = kOuterHeaderSize + 48;
  for (const absl::Span<uint8_t> packet : packets) {
    if (packet.size() < kMinPacket || (packet.size() - kOuterHeaderSize) % 16 != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("a prepared packet cannot be ", packet.size(), " bytes"));
    }
  }
  if (packets.empty()) return absl::OkStatus();
  const absl::Span<const uint8_t> prefix = MsgKeyPrefix(auth_key_, role_);
  auto plaintext = [&](size_t i) { return packets[i].subspan(kOuterHeaderSize); };
  Sha256Digest large = Sha256Concat({prefix, plaintext(0)});
  for (size_t i = 0; i < packets.size(); ++i) {
    // msg_key = SHA256(auth_key[88+x : 120+x] + plaintext)[8:24].
    MsgKey msg_key;
    std::memcpy(msg_key.data(), large.data() + 8, kMsgKeySize);
    const MessageAesKey aes_key = DeriveMessageAesKey(auth_key_, role_, msg_key);
    TGRPC_ASSIGN_OR_RETURN(const AesIge aes, AesIge::Create(aes_key.key));
    const absl::Span<uint8_t> own = plaintext(i);
    if (i + 1 < packets.size()) {
      TGRPC_ASSIGN_OR_RETURN(large,
                             aes.EncryptAndSha256(aes_key.iv, own, own, prefix, plaintext(i + 1)));
    } else {
      TGRPC_RETURN_IF_ERROR(aes.Encrypt(aes_key.iv, own, own));
    }
    std::memcpy(packets[i].data(), auth_key_.id_bytes().data(), kAuthKeyIdSize);
    std::memcpy(packets[i].data() + kAuthKeyIdSize, msg_key.data(), kMsgKeySize);
  }
  return absl::OkStatus();
}

absl::StatusOr<DecryptedMessage> PacketCipher::DecryptInPlace(absl::Span<uint8_t> packet) const {
  constexpr size_t kMinPlaintext = 48;  // 32 header + 12 padding, rounded up to 16.
  if (packet.size() < kOuterHeaderSize + kMinPlaintext ||
      (packet.size() - kOuterHeaderSize) % 16 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("encrypted packet has an invalid size: ", packet.size()));
  }
  if (std::memcmp(packet.data(), auth_key_.id_bytes().data(), kAuthKeyIdSize) != 0) {
    return absl::InvalidArgumentError("auth_key_id does not match the key");
  }
  MsgKey msg_key;
  std::memcpy(msg_key.data(), packet.data() + kAuthKeyIdSize, kMsgKeySize);

  const Role sender = Peer(role_);
  const MessageAesKey aes_key = DeriveMessageAesKey(auth_key_, sender, msg_key);
  TGRPC_ASSIGN_OR_RETURN(const AesIge aes, AesIge::Create(aes_key.key));
  const absl::Span<uint8_t> plaintext = packet.subspan(kOuterHeaderSize);
  // msg_key = SHA256(auth_key[88+x : 120+x] + plaintext)[8:24], hashed as the plaintext is
  // decrypted (one pass over a 512 KiB part instead of two).
  TGRPC_ASSIGN_OR_RETURN(
      const Sha256Digest large,
      aes.DecryptAndSha256(aes_key.iv, MsgKeyPrefix(auth_key_, sender), plaintext, plaintext));

  // msg_key covers the whole plaintext, padding included, so it is checked before any field is
  // trusted.
  if (CRYPTO_memcmp(large.data() + 8, msg_key.data(), kMsgKeySize) != 0) {
    return absl::InvalidArgumentError("msg_key does not match the decrypted message");
  }
  const uint64_t length = base::LoadLe32(&plaintext[kLengthAt]);
  const size_t available = plaintext.size() - kInnerHeaderSize;
  if (length % 4 != 0 || length > available - kMinPadding || available - length > kMaxPadding) {
    return absl::InvalidArgumentError(absl::StrCat(
        "message length ", length, " does not fit a plaintext of ", plaintext.size(), " bytes"));
  }
  DecryptedMessage message;
  message.header.salt = base::LoadLe64(&plaintext[kSaltAt]);
  message.header.session_id = base::LoadLe64(&plaintext[kSessionIdAt]);
  message.header.msg_id = base::LoadLe64(&plaintext[kMsgIdAt]);
  message.header.seq_no = base::LoadLe32(&plaintext[kSeqNoAt]);
  message.body = plaintext.subspan(kInnerHeaderSize, length);
  return message;
}

absl::StatusOr<uint64_t> PeekAuthKeyId(absl::Span<const uint8_t> packet) {
  if (packet.size() < PacketCipher::kAuthKeyIdSize) {
    return absl::InvalidArgumentError("packet shorter than an auth_key_id");
  }
  return base::LoadLe64(packet.data());
}

}  // namespace tgrpc::mtproto::crypto
