// The Framing interface: how MTProto payloads are delimited on a byte stream. Implementations do
// no I/O: the encoder appends bytes to a buffer the caller writes out, the decoder takes whatever
// bytes arrived (split anywhere) and hands back the frames they complete.
#ifndef TGRPC_MTPROTO_TRANSPORT_FRAMING_H_
#define TGRPC_MTPROTO_TRANSPORT_FRAMING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mtproto/transport/frame.h"

namespace tgrpc::mtproto::transport {

// One direction-aware framing state per connection (the full transport counts sequence numbers,
// obfuscation carries cipher state). Not thread-safe.
//
// Errors: InvalidArgument for malformed input or bad arguments, ResourceExhausted for frames above
// FramingOptions::max_frame_size, DataLoss for a wrong CRC32 or sequence number (full),
// FailedPrecondition for an operation the role or protocol does not have. On a failed encode
// `out` is left as it was. A decode error is final: the stream is out of sync, so every later
// Decode() returns the same error and the connection should be closed.
class Framing {
 public:
  virtual ~Framing() = default;

  // Whether the protocol has quick acks (all but full).
  virtual bool SupportsQuickAck() const = 0;

  // Appends one frame carrying `payload` to `out`.
  [[nodiscard]] virtual absl::Status EncodeFrame(absl::string_view payload,
                                                 const FrameOptions& options, std::string& out) = 0;

  // Server role: appends the quick-ack reply for `token` (the most significant bit is set here, as
  // the protocol requires).
  [[nodiscard]] virtual absl::Status EncodeQuickAck(uint32_t token, std::string& out) = 0;

  // Server role: appends a transport error frame; `code` must be negative (e.g. -404).
  [[nodiscard]] virtual absl::Status EncodeTransportError(int32_t code, std::string& out) = 0;

  // Consumes received `bytes` and appends every frame they complete to `frames`. Incomplete frames
  // are buffered for the next call. Frames completed before an error are still appended.
  [[nodiscard]] virtual absl::Status Decode(absl::string_view bytes,
                                            std::vector<Frame>& frames) = 0;
};

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_FRAMING_H_
