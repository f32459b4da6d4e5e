// Diffie-Hellman of the MTProto handshake, with every check core.telegram.org/mtproto/auth_key
// asks both sides to make on dh_prime, g, g_a and g_b. Values are 256-byte big-endian.
#ifndef TGRPC_MTPROTO_CRYPTO_DH_H_
#define TGRPC_MTPROTO_CRYPTO_DH_H_

#include <array>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace tgrpc::mtproto::crypto {

inline constexpr size_t kDhSize = 256;
using DhValue = std::array<uint8_t, kDhSize>;

// The 2048-bit safe prime Telegram's servers send (and tests/fakedc uses).
const DhValue& TelegramDhPrime();

// 2^2047 < p < 2^2048, p prime and (p - 1) / 2 prime. Telegram's prime is accepted without the
// primality tests (a unit test runs them on it); any other prime is tested once, and the
// outcome is remembered for the process, so a server that keeps sending it costs nothing more.
absl::Status CheckDhPrime(absl::Span<const uint8_t> prime);

// The full, uncached test behind CheckDhPrime: 2048 bits, p and (p - 1) / 2 prime. Slow
// (about as long as a few hundred DH exponentiations); callers want CheckDhPrime.
absl::Status CheckSafePrime2048(absl::Span<const uint8_t> prime);

// g in 2..7 and generates the subgroup of order (p - 1) / 2: g = 2: p mod 8 = 7; g = 3:
// p mod 3 = 2; g = 4: always; g = 5: p mod 5 in {1, 4}; g = 6: p mod 24 in {19, 23};
// g = 7: p mod 7 in {3, 5, 6}.
absl::Status CheckDhGenerator(int g, absl::Span<const uint8_t> prime);

// 1 < value < p - 1 and 2^(2048-64) <= value <= p - 2^(2048-64), for g_a and g_b.
absl::Status CheckDhPublicValue(absl::Span<const uint8_t> value, absl::Span<const uint8_t> prime);

// A checked (g, dh_prime) pair and the exponentiations on it.
class DhGroup {
 public:
  // Runs CheckDhPrime and CheckDhGenerator.
  static absl::StatusOr<DhGroup> Create(int g, absl::Span<const uint8_t> prime);

  int g() const { return g_; }
  const DhValue& prime() const { return prime_; }

  // g^secret mod p (g_a or g_b; `secret` is a or b, 256 random bytes). Fails with
  // kFailedPrecondition if the result misses CheckDhPublicValue: draw another secret.
  absl::StatusOr<DhValue> PublicValue(absl::Span<const uint8_t> secret) const;

  // peer^secret mod p, the auth key, once `peer_public` passes CheckDhPublicValue. Always
  // 256 bytes, zero-padded on the left.
  absl::StatusOr<DhValue> SharedKey(absl::Span<const uint8_t> peer_public,
                                    absl::Span<const uint8_t> secret) const;

 private:
  DhGroup(int g, const DhValue& prime) : g_(g), prime_(prime) {}

  int g_;
  DhValue prime_;
};

}  // namespace tgrpc::mtproto::crypto

#endif  // TGRPC_MTPROTO_CRYPTO_DH_H_
