// Abridged framing: payload length / 4 in one byte (below 0x7f) or 0x7f plus three little-endian
// bytes. The client's quick-ack request sets the top bit of the first length byte; the server's
// quick-ack reply is the 4-byte token byte-swapped, so its first byte has the top bit set.
// Payload lengths must be multiples of 4. The 0xef connection marker is not part of this class
// (see client_transport.h and detect.h).
#ifndef TGRPC_MTPROTO_TRANSPORT_ABRIDGED_H_
#define TGRPC_MTPROTO_TRANSPORT_ABRIDGED_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mtproto/transport/buffered_framing.h"
#include "mtproto/transport/frame.h"

namespace tgrpc::mtproto::transport {

class AbridgedFraming final : public internal::BufferedFraming {
 public:
  AbridgedFraming(Role role, const FramingOptions& options);

  bool SupportsQuickAck() const override { return true; }
  absl::Status EncodeFrame(absl::string_view payload, const FrameOptions& options,
                           std::string& out) override;
  absl::Status EncodeQuickAck(uint32_t token, std::string& out) override;
  absl::Status EncodeTransportError(int32_t code, std::string& out) override;

 private:
  absl::StatusOr<std::optional<Frame>> ParseFrame(ReceiveBuffer& input) override;
};

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_ABRIDGED_H_
