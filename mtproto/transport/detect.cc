#include "mtproto/transport/detect.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/bytes.h"
#include "base/status_macros.h"

namespace tgrpc::mtproto::transport {
namespace {

absl::StatusOr<Detection> Plain(Protocol protocol, size_t preamble_size,
                                const DetectOptions& options) {
  if (!options.allow_plain) {
    return absl::PermissionDeniedError(
        absl::StrCat("plain ", ProtocolName(protocol), " connections are not accepted here"));
  }
  return DetectedTransport{protocol, preamble_size, std::nullopt};
}

}  // namespace

absl::StatusOr<Detection> DetectTransport(absl::string_view first_bytes,
                                          const DetectOptions& options) {
  if (first_bytes.empty()) return NeedMoreBytes{1};
  if (static_cast<uint8_t>(first_bytes[0]) == 0xef) return Plain(Protocol::kAbridged, 1, options);
  if (first_bytes.size() < 4) return NeedMoreBytes{4};
  switch (base::LoadLe32(first_bytes.data())) {
    case 0xeeeeeeee:
      return Plain(Protocol::kIntermediate, 4, options);
    case 0xdddddddd:
      return Plain(Protocol::kPaddedIntermediate, 4, options);
    case 0x44414548:  // "HEAD"
    case 0x54534f50:  // "POST"
    case 0x20544547:  // "GET "
    case 0x4954504f:  // "OPTI"
      return absl::UnimplementedError("the HTTP transport is not supported");
    case 0x02010316:
      return absl::UnimplementedError("fake-TLS (ee) proxy connections are not supported");
    default:
      break;
  }
  if (first_bytes.size() < 8) return NeedMoreBytes{8};
  if (base::LoadLe32(first_bytes.data() + 4) == 0) return Plain(Protocol::kFull, 0, options);
  if (first_bytes.size() < kObfuscated2InitSize) return NeedMoreBytes{kObfuscated2InitSize};
  TGRPC_ASSIGN_OR_RETURN(
      Obfuscated2ServerInit init,
      ParseObfuscated2Init(first_bytes.substr(0, kObfuscated2InitSize), options.obfuscated2));
  const Protocol protocol = init.protocol;
  return DetectedTransport{protocol, kObfuscated2InitSize, std::move(init)};
}

}  // namespace tgrpc::mtproto::transport
