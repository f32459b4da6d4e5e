// Factorization of the handshake's proof of work: resPQ sends pq, a product of two primes
// below 2^32, and the client answers with p < q.
#ifndef TGRPC_MTPROTO_CRYPTO_PQ_H_
#define TGRPC_MTPROTO_CRYPTO_PQ_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace tgrpc::mtproto::crypto {

struct PqFactors {
  uint64_t p;
  uint64_t q;
};

// Splits pq into primes p < q (Pollard-Brent rho; deterministic). Fails unless pq is the
// product of two distinct primes.
absl::StatusOr<PqFactors> FactorizePq(uint64_t pq);

// Deterministic Miller-Rabin, exact for every 64-bit number.
bool IsPrime64(uint64_t n);

// pq, p and q travel as big-endian TL strings without leading zeros.
absl::StatusOr<uint64_t> BigEndianToUint64(absl::Span<const uint8_t> bytes);
std::vector<uint8_t> Uint64ToBigEndian(uint64_t value);

}  // namespace tgrpc::mtproto::crypto

#endif  // TGRPC_MTPROTO_CRYPTO_PQ_H_
