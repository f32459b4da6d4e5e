#include "mtproto/transport/abridged.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/bytes.h"
#include "base/status_macros.h"

namespace tgrpc::mtproto::transport {
namespace {

constexpr uint8_t kQuickAckBit = 0x80;
constexpr uint8_t kLongLength = 0x7f;
constexpr uint32_t kMaxWords = (uint32_t{1} << 24) - 1;

}  // namespace

AbridgedFraming::AbridgedFraming(Role role, const FramingOptions& options)
    : BufferedFraming(role, options.max_frame_size) {}

absl::Status AbridgedFraming::EncodeFrame(absl::string_view payload, const FrameOptions& options,
                                          std::string& out) {
  TGRPC_RETURN_IF_ERROR(CheckPayloadToEncode(payload, options));
  if (payload.size() % 4 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("abridged payloads are whole 4-byte words, got ", payload.size(), " bytes"));
  }
  const size_t words = payload.size() / 4;
  if (words > kMaxWords) {
    return absl::InvalidArgumentError("payload too long for the abridged length field");
  }
  const uint8_t flag = options.quick_ack ? kQuickAckBit : 0;
  if (words < kLongLength) {
    out.push_back(static_cast<char>(words | flag));
  } else {
    out.push_back(static_cast<char>(kLongLength | flag));
    base::AppendLe24(static_cast<uint32_t>(words), out);
  }
  out.append(payload.data(), payload.size());
  return absl::OkStatus();
}

absl::Status AbridgedFraming::EncodeQuickAck(uint32_t token, std::string& out) {
  TGRPC_RETURN_IF_ERROR(CheckServerRole("quick acks"));
  // Big-endian puts the set top bit into the first byte, where a length byte never has it.
  base::AppendBe32(token | 0x80000000u, out);
  return absl::OkStatus();
}

absl::Status AbridgedFraming::EncodeTransportError(int32_t code, std::string& out) {
  TGRPC_RETURN_IF_ERROR(CheckServerRole("transport errors"));
  TGRPC_RETURN_IF_ERROR(CheckTransportErrorCode(code));
  out.push_back(1);
  base::AppendLe32(static_cast<uint32_t>(code), out);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Frame>> AbridgedFraming::ParseFrame(ReceiveBuffer& input) {
  const absl::string_view view = input.View();
  uint8_t first = static_cast<uint8_t>(view[0]);
  bool quick_ack_requested = false;
  if (first & kQuickAckBit) {
    if (role() == Role::kClient) {
      if (view.size() < 4) return std::nullopt;
      const uint32_t token = base::LoadBe32(view.data());
      input.Consume(4);
      return Frame(QuickAckFrame{token});
    }
    quick_ack_requested = true;
    first &= ~kQuickAckBit;
  }
  size_t header = 1;
  uint64_t words = first;
  if (first == kLongLength) {
    if (view.size() < 4) return std::nullopt;
    header = 4;
    words = base::LoadLe24(view.data() + 1);
  }
  const uint64_t length = words * 4;
  TGRPC_RETURN_IF_ERROR(CheckFrameLength(length));
  if (view.size() - header < length) return std::nullopt;
  std::string payload(view.substr(header, length));
  input.Consume(header + length);
  return PayloadOrTransportError(std::move(payload), quick_ack_requested, /*max_trailing=*/0);
}

}  // namespace tgrpc::mtproto::transport
