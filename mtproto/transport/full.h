// Full framing: length (4 bytes LE, counting the whole frame), sequence number (4 bytes LE, from
// 0 in each direction), payload, CRC32 of everything before it (4 bytes LE). The decoder checks
// both the sequence number and the CRC. Full has no connection marker and no quick acks.
#ifndef TGRPC_MTPROTO_TRANSPORT_FULL_H_
#define TGRPC_MTPROTO_TRANSPORT_FULL_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mtproto/transport/buffered_framing.h"
#include "mtproto/transport/frame.h"

namespace tgrpc::mtproto::transport {

// Length, sequence number and CRC.
inline constexpr size_t kFullFrameOverhead = 12;

class FullFraming final : public internal::BufferedFraming {
 public:
  FullFraming(Role role, const FramingOptions& options);

  bool SupportsQuickAck() const override { return false; }
  absl::Status EncodeFrame(absl::string_view payload, const FrameOptions& options,
                           std::string& out) override;
  absl::Status EncodeQuickAck(uint32_t token, std::string& out) override;
  absl::Status EncodeTransportError(int32_t code, std::string& out) override;

 private:
  absl::StatusOr<std::optional<Frame>> ParseFrame(ReceiveBuffer& input) override;
  void AppendFrame(absl::string_view payload, std::string& out);

  uint32_t send_seqno_ = 0;
  uint32_t receive_seqno_ = 0;
};

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_FULL_H_
