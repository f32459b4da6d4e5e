// Server side: which transport a new connection speaks, from its first bytes. 0xef is abridged,
// 0xeeeeeeee intermediate, 0xdddddddd padded intermediate, a zero second word full (its first
// sequence number); anything else is taken as a 64-byte obfuscated2 init. HTTP and fake-TLS
// starts are recognised and refused.
#ifndef TGRPC_MTPROTO_TRANSPORT_DETECT_H_
#define TGRPC_MTPROTO_TRANSPORT_DETECT_H_

#include <cstddef>
#include <optional>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mtproto/transport/frame.h"
#include "mtproto/transport/obfuscated2_init.h"

namespace tgrpc::mtproto::transport {

struct DetectOptions {
  // Accept unobfuscated transports (an MTProxy-style server turns this off).
  bool allow_plain = true;
  Obfuscated2ServerOptions obfuscated2;
};

// Call again once the connection has delivered at least `total` bytes.
struct NeedMoreBytes {
  size_t total = 0;
};

struct DetectedTransport {
  Protocol protocol = Protocol::kIntermediate;
  // Bytes at the start of the connection taken by the marker or init; frames start after them.
  size_t preamble_size = 0;
  // Set for obfuscated2: the DC id, matched secret and keys.
  std::optional<Obfuscated2ServerInit> obfuscation;
};

using Detection = std::variant<NeedMoreBytes, DetectedTransport>;

// `first_bytes` is everything received so far, from the start of the connection. Unimplemented for
// HTTP and fake TLS, PermissionDenied for a plain transport when those are off, InvalidArgument
// for an init that is not obfuscated2 under any accepted secret.
absl::StatusOr<Detection> DetectTransport(absl::string_view first_bytes,
                                          const DetectOptions& options);

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_DETECT_H_
