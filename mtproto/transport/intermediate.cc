#include "mtproto/transport/intermediate.h"

#include <algorithm>
#include <utility>

#include "base/bytes.h"
#include "base/status_macros.h"

namespace tgrpc::mtproto::transport {
namespace {

constexpr uint32_t kQuickAckBit = 0x80000000u;

}  // namespace

IntermediateFraming::IntermediateFraming(Role role, const FramingOptions& options)
    : BufferedFraming(role, options.max_frame_size) {}

absl::Status IntermediateFraming::EncodeFrame(absl::string_view payload,
                                              const FrameOptions& options, std::string& out) {
  TGRPC_RETURN_IF_ERROR(CheckPayloadToEncode(payload, options));
  // Shortened padding keeps a maximum-size payload acceptable to the peer.
  const size_t padding = std::min(PaddingSize(), max_frame_size() - payload.size());
  const size_t length = payload.size() + padding;
  if (length >= kQuickAckBit) {
    return absl::InvalidArgumentError("payload too long for the intermediate length field");
  }
  base::AppendLe32(static_cast<uint32_t>(length) | (options.quick_ack ? kQuickAckBit : 0), out);
  out.append(payload.data(), payload.size());
  out.resize(out.size() + padding);
  FillPadding(out.data() + out.size() - padding, padding);
  return absl::OkStatus();
}

absl::Status IntermediateFraming::EncodeQuickAck(uint32_t token, std::string& out) {
  TGRPC_RETURN_IF_ERROR(CheckServerRole("quick acks"));
  base::AppendLe32(token | kQuickAckBit, out);
  return absl::OkStatus();
}

absl::Status IntermediateFraming::EncodeTransportError(int32_t code, std::string& out) {
  TGRPC_RETURN_IF_ERROR(CheckServerRole("transport errors"));
  TGRPC_RETURN_IF_ERROR(CheckTransportErrorCode(code));
  // Never padded: clients commonly spot transport errors by a frame length of exactly 4.
  base::AppendLe32(4, out);
  base::AppendLe32(static_cast<uint32_t>(code), out);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Frame>> IntermediateFraming::ParseFrame(ReceiveBuffer& input) {
  const absl::string_view view = input.View();
  if (view.size() < 4) return std::nullopt;
  uint32_t length = base::LoadLe32(view.data());
  bool quick_ack_requested = false;
  if (length & kQuickAckBit) {
    if (role() == Role::kClient) {
      input.Consume(4);
      return Frame(QuickAckFrame{length});
    }
    quick_ack_requested = true;
    length &= ~kQuickAckBit;
  }
  TGRPC_RETURN_IF_ERROR(CheckFrameLength(length));
  if (view.size() - 4 < length) return std::nullopt;
  std::string payload(view.substr(4, length));
  input.Consume(4 + size_t{length});
  return PayloadOrTransportError(std::move(payload), quick_ack_requested, MaxTrailingBytes());
}

}  // namespace tgrpc::mtproto::transport
