// Randomness is injected into every crypto routine that needs it, so tests can run with fixed
// bytes and reproduce published vectors, while production passes SecureRandom().
#ifndef TGRPC_MTPROTO_CRYPTO_RANDOM_SOURCE_H_
#define TGRPC_MTPROTO_CRYPTO_RANDOM_SOURCE_H_

#include <cstdint>
#include <functional>

#include "absl/types/span.h"

namespace tgrpc::mtproto::crypto {

// Fills the span with random bytes. It cannot fail: a source that cannot produce randomness must
// abort rather than hand back predictable bytes.
using RandomSource = std::function<void(absl::Span<uint8_t>)>;

// OpenSSL's CSPRNG (RAND_bytes). Aborts the process if OpenSSL reports a failure.
RandomSource SecureRandom();

}  // namespace tgrpc::mtproto::crypto

#endif  // TGRPC_MTPROTO_CRYPTO_RANDOM_SOURCE_H_
