// Shared machinery of the plain framings: role checks, the receive buffer, sticky decode errors
// and the recognition of transport error frames. Internal to mtproto/transport.
#ifndef TGRPC_MTPROTO_TRANSPORT_BUFFERED_FRAMING_H_
#define TGRPC_MTPROTO_TRANSPORT_BUFFERED_FRAMING_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mtproto/transport/frame.h"
#include "mtproto/transport/framing.h"
#include "mtproto/transport/receive_buffer.h"

namespace tgrpc::mtproto::transport::internal {

class BufferedFraming : public Framing {
 public:
  absl::Status Decode(absl::string_view bytes, std::vector<Frame>& frames) final;

 protected:
  BufferedFraming(Role role, size_t max_frame_size)
      : role_(role), max_frame_size_(max_frame_size) {}

  // Parses the frame at the front of `input` and consumes it; returns nullopt and consumes nothing
  // when `input` does not hold a whole frame yet. Must reject a too-long length before waiting
  // for its payload.
  virtual absl::StatusOr<std::optional<Frame>> ParseFrame(ReceiveBuffer& input) = 0;

  // Checks shared by every encoder.
  absl::Status CheckPayloadToEncode(absl::string_view payload, const FrameOptions& options) const;
  absl::Status CheckServerRole(absl::string_view what) const;
  absl::Status CheckTransportErrorCode(int32_t code) const;
  absl::Status CheckFrameLength(uint64_t length) const;

  // Client role: a payload of 4 to 4 + `max_trailing` bytes starting with a negative int32 is a
  // transport error (no MTProto message is that short). Otherwise a payload frame.
  Frame PayloadOrTransportError(std::string payload, bool quick_ack_requested,
                                size_t max_trailing) const;

  Role role() const { return role_; }
  size_t max_frame_size() const { return max_frame_size_; }

 private:
  const Role role_;
  const size_t max_frame_size_;
  ReceiveBuffer buffer_;
  absl::Status error_;
};

}  // namespace tgrpc::mtproto::transport::internal

#endif  // TGRPC_MTPROTO_TRANSPORT_BUFFERED_FRAMING_H_
