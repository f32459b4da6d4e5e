// The source of random bytes the transports draw from (padding, obfuscation inits). Injected so
// tests and fuzzing are deterministic; production uses the operating system's CSPRNG.
#ifndef TGRPC_MTPROTO_TRANSPORT_RANDOM_SOURCE_H_
#define TGRPC_MTPROTO_TRANSPORT_RANDOM_SOURCE_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace tgrpc::mtproto::transport {

// Fills the span with random bytes. Obfuscation keys come from here, so anything but tests must
// use a cryptographically secure source.
using RandomSource = std::function<absl::Status(absl::Span<uint8_t>)>;

// OpenSSL's RAND_bytes.
RandomSource SecureRandomSource();

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_RANDOM_SOURCE_H_
