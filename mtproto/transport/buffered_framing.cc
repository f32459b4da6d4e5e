#include "mtproto/transport/buffered_framing.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/bytes.h"

namespace tgrpc::mtproto::transport::internal {

absl::Status BufferedFraming::Decode(absl::string_view bytes, std::vector<Frame>& frames) {
  if (!error_.ok()) return error_;
  buffer_.Append(bytes);
  while (!buffer_.empty()) {
    absl::StatusOr<std::optional<Frame>> frame = ParseFrame(buffer_);
    if (!frame.ok()) {
      error_ = frame.status();
      return error_;
    }
    if (!frame->has_value()) break;
    frames.push_back(std::move(**frame));
  }
  return absl::OkStatus();
}

absl::Status BufferedFraming::CheckPayloadToEncode(absl::string_view payload,
                                                   const FrameOptions& options) const {
  if (options.quick_ack && role_ != Role::kClient) {
    return absl::InvalidArgumentError("only clients request quick acks");
  }
  if (options.quick_ack && !SupportsQuickAck()) {
    return absl::InvalidArgumentError("this transport has no quick acks");
  }
  if (payload.size() > max_frame_size_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "payload of ", payload.size(), " bytes exceeds the maximum frame size ", max_frame_size_));
  }
  return absl::OkStatus();
}

absl::Status BufferedFraming::CheckServerRole(absl::string_view what) const {
  if (role_ != Role::kServer) {
    return absl::FailedPreconditionError(absl::StrCat("only servers send ", what));
  }
  return absl::OkStatus();
}

absl::Status BufferedFraming::CheckTransportErrorCode(int32_t code) const {
  if (code >= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("transport error codes are negative, got ", code));
  }
  return absl::OkStatus();
}

absl::Status BufferedFraming::CheckFrameLength(uint64_t length) const {
  if (length > max_frame_size_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "received frame of ", length, " bytes exceeds the maximum frame size ", max_frame_size_));
  }
  return absl::OkStatus();
}

Frame BufferedFraming::PayloadOrTransportError(std::string payload, bool quick_ack_requested,
                                               size_t max_trailing) const {
  if (role_ == Role::kClient && payload.size() >= 4 && payload.size() <= 4 + max_trailing) {
    const auto code = static_cast<int32_t>(base::LoadLe32(payload.data()));
    if (code < 0) return TransportErrorFrame{code};
  }
  return PayloadFrame{std::move(payload), quick_ack_requested};
}

}  // namespace tgrpc::mtproto::transport::internal
