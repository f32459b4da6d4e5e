// Intermediate framing: a 4-byte little-endian payload length, then the payload. The client's
// quick-ack request sets the length's top bit; the server's quick-ack reply is the 4-byte token
// alone (top bit set). The 0xeeeeeeee connection marker is not part of this class.
#ifndef TGRPC_MTPROTO_TRANSPORT_INTERMEDIATE_H_
#define TGRPC_MTPROTO_TRANSPORT_INTERMEDIATE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mtproto/transport/buffered_framing.h"
#include "mtproto/transport/frame.h"

namespace tgrpc::mtproto::transport {

class IntermediateFraming : public internal::BufferedFraming {
 public:
  IntermediateFraming(Role role, const FramingOptions& options);

  bool SupportsQuickAck() const override { return true; }
  absl::Status EncodeFrame(absl::string_view payload, const FrameOptions& options,
                           std::string& out) final;
  absl::Status EncodeQuickAck(uint32_t token, std::string& out) final;
  absl::Status EncodeTransportError(int32_t code, std::string& out) final;

 protected:
  // Padded intermediate appends random bytes to every payload frame.
  virtual size_t PaddingSize() { return 0; }
  virtual void FillPadding(char* data, size_t size) {}
  // Bytes a transport error frame may carry after its code.
  virtual size_t MaxTrailingBytes() const { return 0; }

 private:
  absl::StatusOr<std::optional<Frame>> ParseFrame(ReceiveBuffer& input) final;
};

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_INTERMEDIATE_H_
