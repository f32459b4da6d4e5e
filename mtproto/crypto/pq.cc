#include "mtproto/crypto/pq.h"

#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tgrpc::mtproto::crypto {
namespace {

uint64_t MulMod(uint64_t a, uint64_t b, uint64_t m) {
  return static_cast<uint64_t>(static_cast<unsigned __int128>(a) * b % m);
}

uint64_t PowMod(uint64_t base, uint64_t exponent, uint64_t m) {
  uint64_t result = 1 % m;
  base %= m;
  while (exponent > 0) {
    if (exponent & 1) result = MulMod(result, base, m);
    base = MulMod(base, base, m);
    exponent >>= 1;
  }
  return result;
}

// One run of Brent's variant of Pollard's rho with f(x) = x^2 + c. Returns a non-trivial
// factor, or n when this c fails (the caller then tries another).
uint64_t Brent(uint64_t n, uint64_t c) {
  constexpr uint64_t kBatch = 128;  // gcds are batched over this many steps
  uint64_t y = 2, x = 2, saved = 2, product = 1, factor = 1;
  auto f = [n, c](uint64_t v) { return (MulMod(v, v, n) + c) % n; };
  for (uint64_t cycle = 1; factor == 1; cycle <<= 1) {
    x = y;
    for (uint64_t i = 0; i < cycle; ++i) y = f(y);
    for (uint64_t done = 0; done < cycle && factor == 1; done += kBatch) {
      saved = y;
      const uint64_t steps = std::min(kBatch, cycle - done);
      for (uint64_t i = 0; i < steps; ++i) {
        y = f(y);
        product = MulMod(product, x > y ? x - y : y - x, n);
      }
      factor = std::gcd(product, n);
    }
  }
  if (factor == n) {
    // The batch overshot: step again one at a time from the batch's start.
    do {
      saved = f(saved);
      factor = std::gcd(x > saved ? x - saved : saved - x, n);
    } while (factor == 1);
  }
  return factor;
}

}  // namespace

bool IsPrime64(uint64_t n) {
  if (n < 2) return false;
  for (uint64_t small : {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37}) {
    if (n % small == 0) return n == small;
  }
  uint64_t d = n - 1;
  int s = 0;
  while ((d & 1) == 0) {
    d >>= 1;
    ++s;
  }
  // These bases decide primality for all n < 2^64.
  for (uint64_t a : {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37}) {
    uint64_t x = PowMod(a, d, n);
    if (x == 1 || x == n - 1) continue;
    bool composite = true;
    for (int r = 1; r < s && composite; ++r) {
      x = MulMod(x, x, n);
      if (x == n - 1) composite = false;
    }
    if (composite) return false;
  }
  return true;
}

absl::StatusOr<PqFactors> FactorizePq(uint64_t pq) {
  if (pq < 6 || IsPrime64(pq)) {
    return absl::InvalidArgumentError(absl::StrCat("pq = ", pq, " is not a product of primes"));
  }
  uint64_t factor = pq;
  if (pq % 2 == 0) {
    factor = 2;
  } else {
    for (uint64_t c = 1; factor == pq && c < 64; ++c) factor = Brent(pq, c);
  }
  if (factor == pq) {
    return absl::InternalError(absl::StrCat("could not factor pq = ", pq));
  }
  uint64_t p = factor;
  uint64_t q = pq / factor;
  if (p > q) std::swap(p, q);
  if (p == q || !IsPrime64(p) || !IsPrime64(q)) {
    return absl::InvalidArgumentError(
        absl::StrCat("pq = ", pq, " is not a product of two distinct primes"));
  }
  return PqFactors{p, q};
}

absl::StatusOr<uint64_t> BigEndianToUint64(absl::Span<const uint8_t> bytes) {
  if (bytes.size() > 8) {
    return absl::InvalidArgumentError(absl::StrCat("integer of ", bytes.size(), " bytes"));
  }
  uint64_t value = 0;
  for (uint8_t b : bytes) value = value << 8 | b;
  return value;
}

std::vector<uint8_t> Uint64ToBigEndian(uint64_t value) {
  std::vector<uint8_t> out;
  for (; value != 0; value >>= 8) out.insert(out.begin(), static_cast<uint8_t>(value));
  return out;
}

}  // namespace tgrpc::mtproto::crypto
