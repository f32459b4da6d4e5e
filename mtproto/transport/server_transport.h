// The server end of a connection: detects the transport from the first bytes, then decodes and
// encodes with the matching (possibly obfuscated) framing.
#ifndef TGRPC_MTPROTO_TRANSPORT_SERVER_TRANSPORT_H_
#define TGRPC_MTPROTO_TRANSPORT_SERVER_TRANSPORT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mtproto/transport/detect.h"
#include "mtproto/transport/frame.h"
#include "mtproto/transport/framing.h"

namespace tgrpc::mtproto::transport {

// The server-role framing for a detected transport.
absl::StatusOr<std::unique_ptr<Framing>> MakeServerFraming(const DetectedTransport& detected,
                                                           const FramingOptions& options);

// A Framing for a freshly accepted connection. Until detection completes, Decode() only buffers
// (at most 64 bytes) and encoding fails with FailedPrecondition; a server never speaks first.
// Padding of padded intermediate answers to clients that used an MTProxy secret.
inline constexpr size_t kMtProxyMaxPadding = 3;

class ServerTransport final : public Framing {
 public:
  ServerTransport(DetectOptions detect_options, FramingOptions framing_options);

  // Set once the transport is known: the protocol, and for obfuscated2 the DC id the client asked
  // for and the proxy secret it used.
  const std::optional<DetectedTransport>& detected() const { return detected_; }

  bool SupportsQuickAck() const override;
  absl::Status EncodeFrame(absl::string_view payload, const FrameOptions& options,
                           std::string& out) override;
  absl::Status EncodeQuickAck(uint32_t token, std::string& out) override;
  absl::Status EncodeTransportError(int32_t code, std::string& out) override;
  absl::Status Decode(absl::string_view bytes, std::vector<Frame>& frames) override;

 private:
  absl::Status CheckDetected() const;

  const DetectOptions detect_options_;
  const FramingOptions framing_options_;
  std::string pending_;
  std::optional<DetectedTransport> detected_;
  std::unique_ptr<Framing> framing_;
  absl::Status error_;
};

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_SERVER_TRANSPORT_H_
