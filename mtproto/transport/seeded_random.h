// A deterministic RandomSource for tests and fuzz drivers. Not cryptographically secure.
#ifndef TGRPC_MTPROTO_TRANSPORT_SEEDED_RANDOM_H_
#define TGRPC_MTPROTO_TRANSPORT_SEEDED_RANDOM_H_

#include <cstdint>
#include <memory>
#include <random>

#include "mtproto/transport/random_source.h"

namespace tgrpc::mtproto::transport {

// std::mt19937_64's output sequence is fixed by the C++ standard, so a seed gives the same bytes
// on every platform. Copies of the returned function share one generator.
inline RandomSource SeededRandomSource(uint64_t seed) {
  auto engine = std::make_shared<std::mt19937_64>(seed);
  return [engine](absl::Span<uint8_t> out) {
    for (uint8_t& b : out) b = static_cast<uint8_t>((*engine)() >> 56);
    return absl::OkStatus();
  };
}

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_SEEDED_RANDOM_H_
