// Encryption of MTProto 2.0 messages under an auth key, for either role
// (core.telegram.org/mtproto/description). Works in the caller's buffer, so a 512 KiB file
// part is neither copied nor allocated for.
//
// Encrypted packet: auth_key_id (8) | msg_key (16) | AES-256-IGE(plaintext)
// Plaintext:        salt (8) | session_id (8) | msg_id (8) | seq_no (4) | length (4) | body |
//                   padding (12..1024 random bytes; the plaintext is a multiple of 16)
#ifndef TGRPC_MTPROTO_CRYPTO_PACKET_CIPHER_H_
#define TGRPC_MTPROTO_CRYPTO_PACKET_CIPHER_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "mtproto/crypto/auth_key.h"
#include "mtproto/crypto/message_key.h"
#include "mtproto/crypto/random_source.h"

namespace tgrpc::mtproto::crypto {

// The fields before the body; little-endian on the wire.
struct MessageHeader {
  uint64_t salt = 0;
  uint64_t session_id = 0;
  uint64_t msg_id = 0;
  uint32_t seq_no = 0;

  friend bool operator==(const MessageHeader&, const MessageHeader&) = default;
};

struct DecryptedMessage {
  MessageHeader header;
  // Points into the buffer given to DecryptInPlace.
  absl::Span<const uint8_t> body;
};

class PacketCipher {
 public:
  static constexpr size_t kAuthKeyIdSize = 8;
  static constexpr size_t kMsgKeySize = 16;
  // auth_key_id + msg_key.
  static constexpr size_t kOuterHeaderSize = kAuthKeyIdSize + kMsgKeySize;
  // The size of the encrypted packet at the start of a transport frame of `frame_size` bytes:
  // 24 bytes of header plus whole AES blocks. Padded intermediate appends 0..15 bytes that only
  // this structure tells apart from the packet; both roles cut them here before decrypting.
  static constexpr size_t EncryptedPacketSize(size_t frame_size) {
    return frame_size <= kOuterHeaderSize
               ? frame_size
               : kOuterHeaderSize + (frame_size - kOuterHeaderSize) / 16 * 16;
  }
  // salt + session_id + msg_id + seq_no + length.
  static constexpr size_t kInnerHeaderSize = 32;
  // Where the body starts in an encrypted packet; see EncryptInPlace.
  static constexpr size_t kBodyOffset = kOuterHeaderSize + kInnerHeaderSize;
  static constexpr size_t kMinPadding = 12;
  static constexpr size_t kMaxPadding = 1024;
  // Each extra padding block hides the body length a little more.
  static constexpr size_t kMaxExtraPaddingBlocks = (kMaxPadding - kMinPadding - 15) / 16;

  // `role` is this side: a client encrypts with x = 0 and decrypts with x = 8, a server the
  // other way round.
  PacketCipher(const AuthKey& auth_key, Role role) : auth_key_(auth_key), role_(role) {}

  // Padding for a body: the least of 12..27 bytes that makes the plaintext a multiple of 16,
  // plus `extra_padding_blocks` (at most kMaxExtraPaddingBlocks) blocks of 16.
  static size_t PaddingSize(size_t body_size, size_t extra_padding_blocks = 0);
  // Size of the encrypted packet for a body.
  static size_t EncryptedSize(size_t body_size, size_t extra_padding_blocks = 0);

  // Encrypts `body` (a multiple of 4 bytes, as TL is) into `out`, which must hold at least
  // EncryptedSize(body.size(), extra_padding_blocks) bytes. `random` supplies the padding
  // bytes. Returns the packet size. `body` may overlap `out`.
  absl::StatusOr<size_t> Encrypt(const MessageHeader& header, absl::Span<const uint8_t> body,
                                 const RandomSource& random, absl::Span<uint8_t> out,
                                 size_t extra_padding_blocks = 0) const;

  // Like Encrypt, with the body already written at packet[kBodyOffset, kBodyOffset + body_size)
  // by the caller (e.g. a TL serializer), so it is not copied.
  absl::StatusOr<size_t> EncryptInPlace(const MessageHeader& header, size_t body_size,
                                        const RandomSource& random, absl::Span<uint8_t> packet,
                                        size_t extra_padding_blocks = 0) const;

  // EncryptInPlace in two steps, so several packets can be encrypted together: PrepareInPlace
  // writes the plaintext's header fields and padding around the body (no cryptography) and
  // returns the packet's size; EncryptPrepared then encrypts packets so prepared, each exactly
  // that size, in place. It hashes each next packet's plaintext (its msg_key) while it encrypts
  // the one before, two serial computations the CPU overlaps (AesIge::EncryptAndSha256), so a
  // batch of n costs about one hash instead of n.
  absl::StatusOr<size_t> PrepareInPlace(const MessageHeader& header, size_t body_size,
                                        const RandomSource& random, absl::Span<uint8_t> packet,
                                        size_t extra_padding_blocks = 0) const;
  absl::Status EncryptPrepared(absl::Span<const absl::Span<uint8_t>> packets) const;

  // Checks and decrypts a packet from the peer in place. Verifies the auth_key_id, the msg_key
  // (recomputed, compared in constant time), the length field and the padding size (12..1024).
  // On error the buffer's contents are unspecified.
  absl::StatusOr<DecryptedMessage> DecryptInPlace(absl::Span<uint8_t> packet) const;

  const AuthKey& auth_key() const { return auth_key_; }
  Role role() const { return role_; }

 private:
  AuthKey auth_key_;
  Role role_;
};

// The auth_key_id at the start of an encrypted packet (TL long), so a server can find the key
// before decrypting. Fails if the packet is shorter than 8 bytes.
absl::StatusOr<uint64_t> PeekAuthKeyId(absl::Span<const uint8_t> packet);

}  // namespace tgrpc::mtproto::crypto

#endif  // TGRPC_MTPROTO_CRYPTO_PACKET_CIPHER_H_
