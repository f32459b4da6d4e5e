#include "mtproto/transport/server_transport.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "base/status_macros.h"
#include "mtproto/transport/make_framing.h"
#include "mtproto/transport/obfuscated2_framing.h"

namespace tgrpc::mtproto::transport {

absl::StatusOr<std::unique_ptr<Framing>> MakeServerFraming(const DetectedTransport& detected,
                                                           const FramingOptions& options) {
  std::unique_ptr<Framing> inner;
  if (detected.obfuscation.has_value() && detected.obfuscation->secret_index.has_value()) {
    // A client that came through an MTProxy secret talks to the proxy, which pads its answers
    // with 0..3 bytes (whole ints); Telethon 1.25 strips only length % 4 bytes of padding, so a
    // server padding up to 15 bytes breaks it there.
    FramingOptions proxied = options;
    proxied.max_padding = std::min<size_t>(options.max_padding, kMtProxyMaxPadding);
    inner = MakeFraming(detected.protocol, Role::kServer, proxied);
  } else {
    inner = MakeFraming(detected.protocol, Role::kServer, options);
  }
  if (!detected.obfuscation.has_value()) return inner;
  TGRPC_ASSIGN_OR_RETURN(
      std::unique_ptr<Obfuscated2Framing> framing,
      Obfuscated2Framing::Create(std::move(inner), detected.obfuscation->keys, Role::kServer));
  return framing;
}

ServerTransport::ServerTransport(DetectOptions detect_options, FramingOptions framing_options)
    : detect_options_(std::move(detect_options)), framing_options_(std::move(framing_options)) {}

absl::Status ServerTransport::CheckDetected() const {
  if (framing_ == nullptr) {
    return absl::FailedPreconditionError("the client has not chosen a transport yet");
  }
  return absl::OkStatus();
}

bool ServerTransport::SupportsQuickAck() const {
  return framing_ != nullptr && framing_->SupportsQuickAck();
}

absl::Status ServerTransport::EncodeFrame(absl::string_view payload, const FrameOptions& options,
                                          std::string& out) {
  TGRPC_RETURN_IF_ERROR(CheckDetected());
  return framing_->EncodeFrame(payload, options, out);
}

absl::Status ServerTransport::EncodeQuickAck(uint32_t token, std::string& out) {
  TGRPC_RETURN_IF_ERROR(CheckDetected());
  return framing_->EncodeQuickAck(token, out);
}

absl::Status ServerTransport::EncodeTransportError(int32_t code, std::string& out) {
  TGRPC_RETURN_IF_ERROR(CheckDetected());
  return framing_->EncodeTransportError(code, out);
}

absl::Status ServerTransport::Decode(absl::string_view bytes, std::vector<Frame>& frames) {
  if (framing_ != nullptr) return framing_->Decode(bytes, frames);
  if (!error_.ok()) return error_;
  // Buffer no more than detection can need, so a huge first read is not copied.
  const size_t take = std::min(bytes.size(), kObfuscated2InitSize - pending_.size());
  pending_.append(bytes.data(), take);
  bytes.remove_prefix(take);
  absl::StatusOr<Detection> detection = DetectTransport(pending_, detect_options_);
  if (!detection.ok()) {
    error_ = detection.status();
    return error_;
  }
  auto* detected = std::get_if<DetectedTransport>(&*detection);
  if (detected == nullptr) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<Framing>> framing = MakeServerFraming(*detected, framing_options_);
  if (!framing.ok()) {
    error_ = framing.status();
    return error_;
  }
  framing_ = *std::move(framing);
  detected_ = std::move(*detected);
  // Whatever followed the preamble in this read already belongs to the first frames.
  const std::string rest = pending_.substr(detected_->preamble_size);
  pending_.clear();
  TGRPC_RETURN_IF_ERROR(framing_->Decode(rest, frames));
  return framing_->Decode(bytes, frames);
}

}  // namespace tgrpc::mtproto::transport
