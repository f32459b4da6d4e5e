// Server side of RFC 6455 WebSocket as a StreamLayer: the HTTP upgrade (GET /apiws, as GramJS's
// and mtcute's ws transports send it), then the client's masked frames, whose binary payloads are
// the MTProto transport stream (frame boundaries mean nothing to it), and unmasked binary frames
// back. Pings are answered, a close is echoed; text frames, unmasked or malformed frames and
// frames above the size limit end the connection with a close frame saying why.
#ifndef TGRPC_MTPROTO_TRANSPORT_WEBSOCKET_LAYER_H_
#define TGRPC_MTPROTO_TRANSPORT_WEBSOCKET_LAYER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mtproto/transport/stream_layer.h"

namespace tgrpc::mtproto::transport {

struct WebSocketLayerOptions {
  // The upgrade request, up to and including its blank line.
  size_t max_handshake_size = 8 * 1024;
  // A client frame's payload; a larger one is refused from its header (close 1009). Clients
  // send an upload part (512 KiB) in one message at most.
  uint64_t max_client_frame_payload = 2 * 1024 * 1024;
  // The server's stream is cut into frames of at most this payload: the npm `websocket` client
  // under GramJS refuses frames above 1 MiB, and a 1 MiB upload.getFile answer is larger.
  size_t max_server_frame_payload = 64 * 1024;
};

// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + RFC 6455's GUID)).
std::string WebSocketAcceptKey(absl::string_view key);

class WebSocketLayer final : public StreamLayer {
 public:
  explicit WebSocketLayer(const WebSocketLayerOptions& options = {});

  absl::string_view name() const override { return "websocket"; }
  // Errors: InvalidArgument (a bad upgrade request or frame), ResourceExhausted (upgrade request
  // or frame above the limits), Cancelled (the client closed the WebSocket), FailedPrecondition
  // (bytes after the connection ended). Each comes with the HTTP error answer or close frame in
  // `reply`.
  absl::Status Unwrap(absl::string_view in, std::string& stream, std::string& reply) override;
  // Binary frames; nothing before the upgrade is answered or after a close.
  std::string Wrap(absl::string_view stream) override;

 private:
  enum class State { kHandshake, kFrameHeader, kFramePayload, kClosed };

  absl::Status ReadHandshake(absl::string_view& in, std::string& reply);
  absl::Status ReadFrameHeader(absl::string_view& in, std::string& reply);
  // Checks the first two header bytes, so a bad frame is refused before its length is read.
  absl::Status CheckFrameStart(std::string& reply);
  absl::Status ReadPayload(absl::string_view& in, std::string& stream, std::string& reply);
  // A frame's payload is all read: acts on control frames.
  absl::Status EndFrame(std::string& reply);
  // Ends the connection with a close frame carrying `code`.
  absl::Status Fail(uint16_t code, absl::Status status, std::string& reply);

  const WebSocketLayerOptions options_;
  State state_ = State::kHandshake;
  std::string handshake_;
  // The current frame: its header bytes as they arrive, then what they say.
  std::string header_;
  uint8_t opcode_ = 0;
  bool fin_ = false;
  uint64_t payload_length_ = 0;
  uint64_t payload_read_ = 0;
  std::array<uint8_t, 4> mask_ = {};
  // A fragmented binary message has begun and awaits its continuation frames.
  bool in_message_ = false;
  // A control frame's payload (at most 125 bytes) as it arrives.
  std::string control_payload_;
};

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_WEBSOCKET_LAYER_H_
