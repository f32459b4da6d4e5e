// SRP 2FA as core.telegram.org/api/srp defines it (SRP-6a over SHA-256 with a PBKDF2-hardened
// password hash): the password hash x, the verifier v a server keeps, the client's proof
// (A, M1) and the server's challenge (srp_B) and check. No I/O; randomness is injected. Numbers
// travel as 256-byte big-endian strings, zero-padded on the left.
#ifndef TGRPC_MTPROTO_CRYPTO_SRP_H_
#define TGRPC_MTPROTO_CRYPTO_SRP_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "mtproto/crypto/dh.h"
#include "mtproto/crypto/random_source.h"
#include "mtproto/crypto/sha.h"

namespace tgrpc::mtproto::crypto {

// PBKDF2-HMAC-SHA512 rounds of passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow.
inline constexpr int kSrpPbkdf2Iterations = 100000;
// The generator Telegram's servers send with TelegramDhPrime().
inline constexpr int kTelegramSrpG = 3;

// The fields of passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow. Every
// function below checks g and p as the DH handshake does (CheckDhPrime, CheckDhGenerator), so
// parameters straight from a server are safe to pass; Telegram's prime costs nothing to check.
struct SrpParams {
  std::vector<uint8_t> salt1;
  std::vector<uint8_t> salt2;
  int g = kTelegramSrpG;
  std::vector<uint8_t> p = {TelegramDhPrime().begin(), TelegramDhPrime().end()};
};

// x = PH2(password, salt1, salt2) = SH(pbkdf2(sha512, PH1, salt1, 100000), salt2), where
// PH1 = SH(SH(password, salt1), salt2) and SH(data, salt) = SHA256(salt | data | salt).
// Deliberately slow (about 0.1 s): compute it once per password and salts, not per login
// attempt. Cannot fail for any input; an OpenSSL failure aborts, as in sha.h.
Sha256Digest SrpPasswordHash(absl::string_view password, absl::Span<const uint8_t> salt1,
                             absl::Span<const uint8_t> salt2);

// v = g^x mod p: what a server stores for a password, and what a client sends as
// new_password_hash when it sets one.
absl::StatusOr<DhValue> SrpVerifier(const SrpParams& params, const Sha256Digest& x);

// What a client sends in inputCheckPasswordSRP.
struct SrpProof {
  DhValue a;        // A = g_a = g^a mod p
  Sha256Digest m1;  // M1 = H(H(p) xor H(g) | H(salt1) | H(salt2) | g_a | g_b | k_a)
};

// Client side: proves knowledge of the password with hash `x` against the server's srp_B,
// drawing the 2048-bit secret a from `random` (again if g^a misses the DH safe range). Fails
// with kInvalidArgument for bad parameters or an srp_B outside the DH safe range
// [2^1984, p - 2^1984] (which also rules out srp_B = 0 mod p), or when u = H(g_a | g_b) is 0.
absl::StatusOr<SrpProof> SrpClientProof(const SrpParams& params, absl::Span<const uint8_t> srp_b,
                                        const Sha256Digest& x, const RandomSource& random);

// SrpClientProof with the secret a given (1..256 bytes, big-endian) and no range check on
// g^a: reproducible, for known-answer tests.
absl::StatusOr<SrpProof> SrpClientProofWithSecret(const SrpParams& params,
                                                  absl::Span<const uint8_t> srp_b,
                                                  const Sha256Digest& x,
                                                  absl::Span<const uint8_t> a);

// The server's half of one login attempt: srp_id and srp_B go out in account.password, b stays
// with the server until the client's inputCheckPasswordSRP comes back.
struct SrpChallenge {
  int64_t srp_id = 0;  // never 0
  DhValue b{};         // secret
  DhValue srp_b{};     // B = (k * v + g^b) mod p, inside the DH safe range
};

// Server side: a fresh challenge for the account whose verifier is `verifier`.
absl::StatusOr<SrpChallenge> NewSrpChallenge(const SrpParams& params, const DhValue& verifier,
                                             const RandomSource& random);

// Server side: checks the client's A and M1 against `challenge`. kInvalidArgument when A is not
// 256 bytes or outside the DH safe range (so A = 0, 1, p - 1 or >= p never pass) or u is 0;
// kPermissionDenied when M1 does not match, i.e. the password is wrong.
absl::Status CheckSrpProof(const SrpParams& params, const DhValue& verifier,
                           const SrpChallenge& challenge, absl::Span<const uint8_t> a,
                           absl::Span<const uint8_t> m1);

}  // namespace tgrpc::mtproto::crypto

#endif  // TGRPC_MTPROTO_CRYPTO_SRP_H_
