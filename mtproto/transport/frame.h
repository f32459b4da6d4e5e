// The vocabulary shared by every MTProto transport framing: protocols, roles, decoded frames and
// options.
#ifndef TGRPC_MTPROTO_TRANSPORT_FRAME_H_
#define TGRPC_MTPROTO_TRANSPORT_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "absl/strings/string_view.h"
#include "mtproto/crypto/random_source.h"

namespace tgrpc::mtproto::transport {

enum class Protocol { kAbridged, kIntermediate, kPaddedIntermediate, kFull };

absl::string_view ProtocolName(Protocol protocol);

// Which end of the connection a framing object serves. A client encodes what clients send and
// decodes what servers send, and the other way round.
enum class Role { kClient, kServer };

struct FrameOptions {
  // Client only: ask the server for a quick ack of this (encrypted) payload.
  bool quick_ack = false;
};

// An MTProto payload. With padded intermediate it still carries the sender's 0..15 random padding
// bytes: the framing cannot tell them apart and the MTProto layer ignores trailing bytes.
struct PayloadFrame {
  std::string payload;
  // Server role: the client asked for a quick ack of this payload.
  bool quick_ack_requested = false;

  friend bool operator==(const PayloadFrame&, const PayloadFrame&) = default;
};

// Client role: the server's quick ack. The token has its most significant bit set, as on the wire.
struct QuickAckFrame {
  uint32_t token = 0;

  friend bool operator==(const QuickAckFrame&, const QuickAckFrame&) = default;
};

// Client role: a frame whose payload is a negative int32 such as -404 (auth key not found), -429
// (too many connections) or -444 (invalid DC). Recognised by size: exactly 4 bytes, or 4 to 19
// with padded intermediate, whose padding may follow. No MTProto message is that short.
struct TransportErrorFrame {
  int32_t code = 0;

  friend bool operator==(const TransportErrorFrame&, const TransportErrorFrame&) = default;
};

using Frame = std::variant<PayloadFrame, QuickAckFrame, TransportErrorFrame>;

// Large enough for any MTProto message (file parts are at most 512 KiB) while bounding what one
// peer can make us buffer.
inline constexpr size_t kDefaultMaxFrameSize = size_t{16} << 20;

struct FramingOptions {
  // Largest payload (padding included) accepted by the decoder and produced by the encoder.
  size_t max_frame_size = kDefaultMaxFrameSize;
  // Padding of padded intermediate and obfuscation inits.
  crypto::RandomSource random = crypto::SecureRandom();
  // Padded intermediate appends 0..max_padding bytes (at most 15) to each payload.
  size_t max_padding = 15;
};

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_FRAME_H_
