// A deterministic random source for the transport tests and fuzz driver. Not for production.
#ifndef TGRPC_MTPROTO_TRANSPORT_SEEDED_RANDOM_H_
#define TGRPC_MTPROTO_TRANSPORT_SEEDED_RANDOM_H_

#include <cstdint>
#include <memory>
#include <random>

#include "absl/types/span.h"
#include "mtproto/crypto/random_source.h"

namespace tgrpc::mtproto::transport {

// std::mt19937_64's output sequence is fixed by the C++ standard, so a seed gives the same bytes
// on every platform. Copies of the returned function share one generator.
inline crypto::RandomSource SeededRandomSource(uint64_t seed) {
  auto engine = std::make_shared<std::mt19937_64>(seed);
  return [engine](absl::Span<uint8_t> out) {
    for (uint8_t& b : out) b = static_cast<uint8_t>((*engine)() >> 56);
  };
}

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_SEEDED_RANDOM_H_
