#include "mtproto/transport/full.h"

#include <zlib.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/bytes.h"
#include "base/status_macros.h"

namespace tgrpc::mtproto::transport {
namespace {

uint32_t Crc32(absl::string_view bytes) {
  // Frame lengths fit in 32 bits, so one call covers any frame.
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

}  // namespace

FullFraming::FullFraming(Role role, const FramingOptions& options)
    : BufferedFraming(role, options.max_frame_size) {}

void FullFraming::AppendFrame(absl::string_view payload, std::string& out) {
  const size_t start = out.size();
  base::AppendLe32(static_cast<uint32_t>(payload.size() + kFullFrameOverhead), out);
  base::AppendLe32(send_seqno_++, out);
  out.append(payload.data(), payload.size());
  base::AppendLe32(Crc32(absl::string_view(out).substr(start)), out);
}

absl::Status FullFraming::EncodeFrame(absl::string_view payload, const FrameOptions& options,
                                      std::string& out) {
  TGRPC_RETURN_IF_ERROR(CheckPayloadToEncode(payload, options));
  if (payload.size() > UINT32_MAX - kFullFrameOverhead) {
    return absl::InvalidArgumentError("payload too long for the full length field");
  }
  AppendFrame(payload, out);
  return absl::OkStatus();
}

absl::Status FullFraming::EncodeQuickAck(uint32_t token, std::string& out) {
  return absl::FailedPreconditionError("the full transport has no quick acks");
}

absl::Status FullFraming::EncodeTransportError(int32_t code, std::string& out) {
  TGRPC_RETURN_IF_ERROR(CheckServerRole("transport errors"));
  TGRPC_RETURN_IF_ERROR(CheckTransportErrorCode(code));
  std::string payload;
  base::AppendLe32(static_cast<uint32_t>(code), payload);
  AppendFrame(payload, out);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Frame>> FullFraming::ParseFrame(ReceiveBuffer& input) {
  const absl::string_view view = input.View();
  if (view.size() < 4) return std::nullopt;
  const uint32_t length = base::LoadLe32(view.data());
  if (length < kFullFrameOverhead) {
    return absl::InvalidArgumentError(
        absl::StrCat("full frame length ", length, " is below the 12-byte minimum"));
  }
  TGRPC_RETURN_IF_ERROR(CheckFrameLength(length - kFullFrameOverhead));
  if (view.size() < length) return std::nullopt;
  const absl::string_view frame = view.substr(0, length);
  const uint32_t expected_crc = base::LoadLe32(frame.data() + length - 4);
  const uint32_t crc = Crc32(frame.substr(0, length - 4));
  if (crc != expected_crc) {
    return absl::DataLossError(
        absl::StrCat("full frame CRC32 mismatch: computed ", crc, ", received ", expected_crc));
  }
  const uint32_t seqno = base::LoadLe32(frame.data() + 4);
  if (seqno != receive_seqno_) {
    return absl::DataLossError(absl::StrCat("full frame sequence number ", seqno, " where ",
                                            receive_seqno_, " was expected"));
  }
  ++receive_seqno_;
  std::string payload(frame.substr(8, length - kFullFrameOverhead));
  input.Consume(length);
  return PayloadOrTransportError(std::move(payload), /*quick_ack_requested=*/false,
                                 /*max_trailing=*/0);
}

}  // namespace tgrpc::mtproto::transport
