#include "mtproto/crypto/dh.h"

#include <algorithm>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "mtproto/crypto/bignum.h"

namespace tgrpc::mtproto::crypto {
namespace {

// core.telegram.org/mtproto/security_guidelines; also the dh_prime of samples-auth_key.
constexpr DhValue kTelegramPrime = {
    0xc7, 0x1c, 0xae, 0xb9, 0xc6, 0xb1, 0xc9, 0x04, 0x8e, 0x6c, 0x52, 0x2f, 0x70, 0xf1, 0x3f, 0x73,
    0x98, 0x0d, 0x40, 0x23, 0x8e, 0x3e, 0x21, 0xc1, 0x49, 0x34, 0xd0, 0x37, 0x56, 0x3d, 0x93, 0x0f,
    0x48, 0x19, 0x8a, 0x0a, 0xa7, 0xc1, 0x40, 0x58, 0x22, 0x94, 0x93, 0xd2, 0x25, 0x30, 0xf4, 0xdb,
    0xfa, 0x33, 0x6f, 0x6e, 0x0a, 0xc9, 0x25, 0x13, 0x95, 0x43, 0xae, 0xd4, 0x4c, 0xce, 0x7c, 0x37,
    0x20, 0xfd, 0x51, 0xf6, 0x94, 0x58, 0x70, 0x5a, 0xc6, 0x8c, 0xd4, 0xfe, 0x6b, 0x6b, 0x13, 0xab,
    0xdc, 0x97, 0x46, 0x51, 0x29, 0x69, 0x32, 0x84, 0x54, 0xf1, 0x8f, 0xaf, 0x8c, 0x59, 0x5f, 0x64,
    0x24, 0x77, 0xfe, 0x96, 0xbb, 0x2a, 0x94, 0x1d, 0x5b, 0xcd, 0x1d, 0x4a, 0xc8, 0xcc, 0x49, 0x88,
    0x07, 0x08, 0xfa, 0x9b, 0x37, 0x8e, 0x3c, 0x4f, 0x3a, 0x90, 0x60, 0xbe, 0xe6, 0x7c, 0xf9, 0xa4,
    0xa4, 0xa6, 0x95, 0x81, 0x10, 0x51, 0x90, 0x7e, 0x16, 0x27, 0x53, 0xb5, 0x6b, 0x0f, 0x6b, 0x41,
    0x0d, 0xba, 0x74, 0xd8, 0xa8, 0x4b, 0x2a, 0x14, 0xb3, 0x14, 0x4e, 0x0e, 0xf1, 0x28, 0x47, 0x54,
    0xfd, 0x17, 0xed, 0x95, 0x0d, 0x59, 0x65, 0xb4, 0xb9, 0xdd, 0x46, 0x58, 0x2d, 0xb1, 0x17, 0x8d,
    0x16, 0x9c, 0x6b, 0xc4, 0x65, 0xb0, 0xd6, 0xff, 0x9c, 0xa3, 0x92, 0x8f, 0xef, 0x5b, 0x9a, 0xe4,
    0xe4, 0x18, 0xfc, 0x15, 0xe8, 0x3e, 0xbe, 0xa0, 0xf8, 0x7f, 0xa9, 0xff, 0x5e, 0xed, 0x70, 0x05,
    0x0d, 0xed, 0x28, 0x49, 0xf4, 0x7b, 0xf9, 0x59, 0xd9, 0x56, 0x85, 0x0c, 0xe9, 0x29, 0x85, 0x1f,
    0x0d, 0x81, 0x15, 0xf6, 0x35, 0xb1, 0x05, 0xee, 0x2e, 0x4e, 0x15, 0xd0, 0x4b, 0x24, 0x54, 0xbf,
    0x6f, 0x4f, 0xad, 0xf0, 0x34, 0xb1, 0x04, 0x03, 0x11, 0x9c, 0xd8, 0xe3, 0xb9, 0x2f, 0xcc, 0x5b};

// Primes seen besides Telegram's, with their verdict. Bounded: a peer sending fresh primes
// must not grow it without limit.
class PrimeCache {
 public:
  static PrimeCache& Get() {
    static PrimeCache* const cache = new PrimeCache();
    return *cache;
  }

  // Empty if the prime has not been checked yet.
  std::optional<absl::Status> Find(const DhValue& prime) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto it = verdicts_.find(prime);
    if (it == verdicts_.end()) return std::nullopt;
    return it->second;
  }

  void Remember(const DhValue& prime, absl::Status verdict) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (verdicts_.size() >= kMaxEntries) verdicts_.clear();
    verdicts_.emplace(prime, std::move(verdict));
  }

 private:
  static constexpr size_t kMaxEntries = 16;

  absl::Mutex mu_;
  absl::flat_hash_map<DhValue, absl::Status> verdicts_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<DhValue> ToDhValue(absl::Span<const uint8_t> bytes, const char* what) {
  if (bytes.size() != kDhSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be ", kDhSize, " bytes, got ", bytes.size()));
  }
  DhValue value;
  std::copy(bytes.begin(), bytes.end(), value.begin());
  return value;
}

absl::Status IsPrime(const BIGNUM* n, BN_CTX* ctx, const char* what) {
  const int result = BN_check_prime(n, ctx, nullptr);
  if (result < 0) return OpenSslError("BN_check_prime");
  if (result == 0) return absl::InvalidArgumentError(absl::StrCat(what, " is not prime"));
  return absl::OkStatus();
}

}  // namespace

const DhValue& TelegramDhPrime() { return kTelegramPrime; }

absl::Status CheckSafePrime2048(absl::Span<const uint8_t> prime) {
  if (prime.size() != kDhSize || (prime[0] & 0x80) == 0) {
    return absl::InvalidArgumentError("dh_prime is not a 2048-bit number");
  }
  TGRPC_ASSIGN_OR_RETURN(Bignum p, BignumFromBytes(prime));
  TGRPC_ASSIGN_OR_RETURN(BignumCtx ctx, NewBignumCtx());
  TGRPC_RETURN_IF_ERROR(IsPrime(p.get(), ctx.get(), "dh_prime"));
  TGRPC_ASSIGN_OR_RETURN(Bignum half, NewBignum());
  if (BN_rshift1(half.get(), p.get()) != 1) return OpenSslError("BN_rshift1");
  return IsPrime(half.get(), ctx.get(), "(dh_prime - 1) / 2");
}

absl::Status CheckDhPrime(absl::Span<const uint8_t> prime_bytes) {
  TGRPC_ASSIGN_OR_RETURN(const DhValue prime, ToDhValue(prime_bytes, "dh_prime"));
  // 2^2047 < p: the top bit is set (p = 2^2047 itself is even and fails below).
  if ((prime[0] & 0x80) == 0) {
    return absl::InvalidArgumentError("dh_prime is not a 2048-bit number");
  }
  if (prime == kTelegramPrime) return absl::OkStatus();
  PrimeCache& cache = PrimeCache::Get();
  if (std::optional<absl::Status> verdict = cache.Find(prime)) return *verdict;
  absl::Status verdict = CheckSafePrime2048(prime);
  if (verdict.code() != absl::StatusCode::kInternal) cache.Remember(prime, verdict);
  return verdict;
}

absl::Status CheckDhGenerator(int g, absl::Span<const uint8_t> prime_bytes) {
  TGRPC_ASSIGN_OR_RETURN(Bignum p, BignumFromBytes(prime_bytes));
  bool ok = false;
  switch (g) {
    case 2:
      ok = BN_mod_word(p.get(), 8) == 7;
      break;
    case 3:
      ok = BN_mod_word(p.get(), 3) == 2;
      break;
    case 4:
      ok = true;
      break;
    case 5: {
      const BN_ULONG r = BN_mod_word(p.get(), 5);
      ok = r == 1 || r == 4;
      break;
    }
    case 6: {
      const BN_ULONG r = BN_mod_word(p.get(), 24);
      ok = r == 19 || r == 23;
      break;
    }
    case 7: {
      const BN_ULONG r = BN_mod_word(p.get(), 7);
      ok = r == 3 || r == 5 || r == 6;
      break;
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat("g = ", g, " is not in 2..7"));
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("g = ", g, " does not generate the prime-order subgroup of dh_prime"));
  }
  return absl::OkStatus();
}

absl::Status CheckDhPublicValue(absl::Span<const uint8_t> value_bytes,
                                absl::Span<const uint8_t> prime_bytes) {
  TGRPC_ASSIGN_OR_RETURN(Bignum value, BignumFromBytes(value_bytes));
  TGRPC_ASSIGN_OR_RETURN(Bignum p, BignumFromBytes(prime_bytes));
  TGRPC_ASSIGN_OR_RETURN(Bignum low, NewBignum());
  TGRPC_ASSIGN_OR_RETURN(Bignum high, NewBignum());
  // low = 2^(2048-64); high = p - low. low > 1 and high < p - 1, so the range check also
  // covers 1 < value < p - 1.
  if (BN_set_bit(low.get(), 2048 - 64) != 1 || BN_sub(high.get(), p.get(), low.get()) != 1) {
    return OpenSslError("DH bounds");
  }
  if (BN_cmp(value.get(), low.get()) < 0 || BN_cmp(value.get(), high.get()) > 0) {
    return absl::InvalidArgumentError("DH value outside [2^1984, dh_prime - 2^1984]");
  }
  return absl::OkStatus();
}

absl::StatusOr<DhGroup> DhGroup::Create(int g, absl::Span<const uint8_t> prime_bytes) {
  TGRPC_RETURN_IF_ERROR(CheckDhPrime(prime_bytes));
  TGRPC_RETURN_IF_ERROR(CheckDhGenerator(g, prime_bytes));
  TGRPC_ASSIGN_OR_RETURN(const DhValue prime, ToDhValue(prime_bytes, "dh_prime"));
  return DhGroup(g, prime);
}

namespace {

// base^secret mod p, constant time in the secret.
absl::StatusOr<DhValue> ModExp(const BIGNUM* base, absl::Span<const uint8_t> secret,
                               const DhValue& prime) {
  if (secret.empty() || secret.size() > kDhSize) {
    return absl::InvalidArgumentError("DH secret must be 1..256 bytes");
  }
  TGRPC_ASSIGN_OR_RETURN(Bignum exponent, BignumFromBytes(secret));
  BN_set_flags(exponent.get(), BN_FLG_CONSTTIME);
  TGRPC_ASSIGN_OR_RETURN(Bignum p, BignumFromBytes(prime));
  TGRPC_ASSIGN_OR_RETURN(BignumCtx ctx, NewBignumCtx());
  TGRPC_ASSIGN_OR_RETURN(Bignum result, NewBignum());
  if (BN_mod_exp_mont_consttime(result.get(), base, exponent.get(), p.get(), ctx.get(), nullptr) !=
      1) {
    return OpenSslError("BN_mod_exp_mont_consttime");
  }
  DhValue out;
  TGRPC_RETURN_IF_ERROR(BignumToBytes(result.get(), absl::MakeSpan(out)));
  return out;
}

}  // namespace

absl::StatusOr<DhValue> DhGroup::PublicValue(absl::Span<const uint8_t> secret) const {
  TGRPC_ASSIGN_OR_RETURN(Bignum g, NewBignum());
  if (BN_set_word(g.get(), static_cast<BN_ULONG>(g_)) != 1) return OpenSslError("BN_set_word");
  TGRPC_ASSIGN_OR_RETURN(const DhValue value, ModExp(g.get(), secret, prime_));
  if (!CheckDhPublicValue(value, prime_).ok()) {
    return absl::FailedPreconditionError("g^secret is out of the safe range; pick a new secret");
  }
  return value;
}

absl::StatusOr<DhValue> DhGroup::SharedKey(absl::Span<const uint8_t> peer_public,
                                           absl::Span<const uint8_t> secret) const {
  TGRPC_RETURN_IF_ERROR(CheckDhPublicValue(peer_public, prime_));
  TGRPC_ASSIGN_OR_RETURN(Bignum peer, BignumFromBytes(peer_public));
  return ModExp(peer.get(), secret, prime_);
}

}  // namespace tgrpc::mtproto::crypto
