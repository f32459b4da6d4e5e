#include "mtproto/transport/stream_layer.h"

#include "absl/strings/match.h"

namespace tgrpc::mtproto::transport {

absl::StatusOr<LayerDetection> DetectStreamLayer(absl::string_view first_bytes,
                                                 const StreamLayerOptions& options) {
  // Every wrapping announces itself in its first four bytes; no MTProto transport starts so
  // (abridged 0xef, intermediate 0xeeeeeeee, padded 0xdddddddd, full a small length, obfuscated2
  // a random init that excludes these prefixes).
  if (first_bytes.size() < 4) return LayerDetection(std::monostate{});
  (void)options;
  return LayerDetection(PlainStream{});
}

}  // namespace tgrpc::mtproto::transport
