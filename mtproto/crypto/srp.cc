#include "mtproto/crypto/srp.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "mtproto/crypto/bignum.h"

namespace tgrpc::mtproto::crypto {
namespace {

using Sha512Digest = std::array<uint8_t, 64>;

// A draw of a or b is retried when its public value misses the DH safe range, which an honest
// random source does with probability about 2^-63; running out of retries means a broken source.
constexpr int kMaxDraws = 16;

// The checked group as BIGNUMs, with g padded to 256 bytes: the spec hashes every number in
// its 2048-bit form, g included (k = H(p | g), H(g) in M1).
struct Group {
  DhValue p_bytes{};
  DhValue g_bytes{};
  Bignum p;
  Bignum g;
  BignumCtx ctx;
};

absl::StatusOr<Group> PrepareGroup(const SrpParams& params) {
  TGRPC_ASSIGN_OR_RETURN(const DhGroup dh, DhGroup::Create(params.g, params.p));
  Group group;
  group.p_bytes = dh.prime();
  group.g_bytes.back() = static_cast<uint8_t>(dh.g());
  TGRPC_ASSIGN_OR_RETURN(group.p, BignumFromBytes(group.p_bytes));
  TGRPC_ASSIGN_OR_RETURN(group.g, BignumFromBytes(group.g_bytes));
  TGRPC_ASSIGN_OR_RETURN(group.ctx, NewBignumCtx());
  return group;
}

// SH(data, salt) = H(salt | data | salt).
Sha256Digest SaltedHash(ByteSpan data, ByteSpan salt) { return Sha256Concat({salt, data, salt}); }

const EVP_MD* Sha512Md() {
  static const EVP_MD* const md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA512", nullptr);
    if (fetched == nullptr) std::abort();
    return fetched;
  }();
  return md;
}

// base^exponent mod p, constant time in the exponent (a, b, x and the client's a + u * x are
// all secret).
absl::StatusOr<Bignum> ModExp(const BIGNUM* base, BIGNUM* exponent, const Group& group) {
  BN_set_flags(exponent, BN_FLG_CONSTTIME);
  TGRPC_ASSIGN_OR_RETURN(Bignum result, NewBignum());
  if (BN_mod_exp_mont_consttime(result.get(), base, exponent, group.p.get(), group.ctx.get(),
                                nullptr) != 1) {
    return OpenSslError("BN_mod_exp_mont_consttime");
  }
  return result;
}

absl::StatusOr<DhValue> ToValue(const BIGNUM* bn) {
  DhValue out;
  TGRPC_RETURN_IF_ERROR(BignumToBytes(bn, absl::MakeSpan(out)));
  return out;
}

absl::StatusOr<DhValue> ToValue(absl::Span<const uint8_t> bytes, const char* what) {
  if (bytes.size() != kDhSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be ", kDhSize, " bytes, got ", bytes.size()));
  }
  DhValue out;
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

// k = H(p | g).
absl::StatusOr<Bignum> Multiplier(const Group& group) {
  return BignumFromBytes(Sha256Concat({group.p_bytes, group.g_bytes}));
}

// u = H(g_a | g_b); SRP-6a forbids u = 0, which would let the session key ignore the password.
absl::StatusOr<Bignum> Scrambler(const DhValue& g_a, const DhValue& g_b) {
  TGRPC_ASSIGN_OR_RETURN(Bignum u, BignumFromBytes(Sha256Concat({g_a, g_b})));
  if (BN_is_zero(u.get())) return absl::InvalidArgumentError("SRP u = H(g_a | g_b) is 0");
  return u;
}

absl::StatusOr<Bignum> Verifier(const Group& group, const Sha256Digest& x) {
  TGRPC_ASSIGN_OR_RETURN(Bignum exponent, BignumFromBytes(x));
  return ModExp(group.g.get(), exponent.get(), group);
}

// M1 = H(H(p) xor H(g) | H(salt1) | H(salt2) | g_a | g_b | H(s)), where s is the shared
// secret (s_a on the client, s_b on the server).
absl::StatusOr<Sha256Digest> Proof(const Group& group, const SrpParams& params, const DhValue& g_a,
                                   const DhValue& g_b, const BIGNUM* s) {
  TGRPC_ASSIGN_OR_RETURN(const DhValue s_bytes, ToValue(s));
  const Sha256Digest key = Sha256(s_bytes);
  Sha256Digest p_xor_g = Sha256(group.p_bytes);
  const Sha256Digest g_hash = Sha256(group.g_bytes);
  for (size_t i = 0; i < p_xor_g.size(); ++i) p_xor_g[i] ^= g_hash[i];
  const Sha256Digest salt1_hash = Sha256(params.salt1);
  const Sha256Digest salt2_hash = Sha256(params.salt2);
  return Sha256Concat({p_xor_g, salt1_hash, salt2_hash, g_a, g_b, key});
}

}  // namespace

Sha256Digest SrpPasswordHash(absl::string_view password, absl::Span<const uint8_t> salt1,
                             absl::Span<const uint8_t> salt2) {
  const ByteSpan password_bytes(reinterpret_cast<const uint8_t*>(password.data()), password.size());
  const Sha256Digest ph1 = SaltedHash(SaltedHash(password_bytes, salt1), salt2);
  Sha512Digest stretched;
  if (PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(ph1.data()), static_cast<int>(ph1.size()),
                        salt1.data(), static_cast<int>(salt1.size()), kSrpPbkdf2Iterations,
                        Sha512Md(), static_cast<int>(stretched.size()), stretched.data()) != 1) {
    std::abort();
  }
  const Sha256Digest x = SaltedHash(stretched, salt2);
  OPENSSL_cleanse(stretched.data(), stretched.size());
  return x;
}

absl::StatusOr<DhValue> SrpVerifier(const SrpParams& params, const Sha256Digest& x) {
  TGRPC_ASSIGN_OR_RETURN(const Group group, PrepareGroup(params));
  TGRPC_ASSIGN_OR_RETURN(const Bignum v, Verifier(group, x));
  return ToValue(v.get());
}

absl::StatusOr<SrpProof> SrpClientProofWithSecret(const SrpParams& params,
                                                  absl::Span<const uint8_t> srp_b,
                                                  const Sha256Digest& x,
                                                  absl::Span<const uint8_t> a) {
  TGRPC_ASSIGN_OR_RETURN(const Group group, PrepareGroup(params));
  TGRPC_ASSIGN_OR_RETURN(const DhValue g_b, ToValue(srp_b, "srp_B"));
  // The range check the handshake applies to g_b; it also rules out B = 0 mod p.
  TGRPC_RETURN_IF_ERROR(CheckDhPublicValue(g_b, group.p_bytes));
  if (a.empty() || a.size() > kDhSize) {
    return absl::InvalidArgumentError("SRP secret a must be 1..256 bytes");
  }

  TGRPC_ASSIGN_OR_RETURN(Bignum a_bn, BignumFromBytes(a));
  TGRPC_ASSIGN_OR_RETURN(const Bignum g_a_bn, ModExp(group.g.get(), a_bn.get(), group));
  SrpProof proof;
  TGRPC_ASSIGN_OR_RETURN(proof.a, ToValue(g_a_bn.get()));
  TGRPC_ASSIGN_OR_RETURN(const Bignum u, Scrambler(proof.a, g_b));

  // t = (g_b - k * v) mod p = g^b, taken as the non-negative residue.
  TGRPC_ASSIGN_OR_RETURN(const Bignum k, Multiplier(group));
  TGRPC_ASSIGN_OR_RETURN(const Bignum v, Verifier(group, x));
  TGRPC_ASSIGN_OR_RETURN(const Bignum g_b_bn, BignumFromBytes(g_b));
  TGRPC_ASSIGN_OR_RETURN(Bignum k_v, NewBignum());
  TGRPC_ASSIGN_OR_RETURN(Bignum t, NewBignum());
  if (BN_mod_mul(k_v.get(), k.get(), v.get(), group.p.get(), group.ctx.get()) != 1 ||
      BN_mod_sub(t.get(), g_b_bn.get(), k_v.get(), group.p.get(), group.ctx.get()) != 1) {
    return OpenSslError("SRP t = g_b - k * v");
  }
  // t = 0 or 1 would make s_a a constant the server (or a forger of srp_B) knows without b.
  if (BN_is_zero(t.get()) || BN_is_one(t.get())) {
    return absl::InvalidArgumentError("srp_B - k * v is 0 or 1 mod p");
  }

  // s_a = t^(a + u * x) mod p. The exponent is not reduced: it is at most 2048 + 257 bits.
  TGRPC_ASSIGN_OR_RETURN(const Bignum x_bn, BignumFromBytes(x));
  TGRPC_ASSIGN_OR_RETURN(Bignum exponent, NewBignum());
  if (BN_mul(exponent.get(), u.get(), x_bn.get(), group.ctx.get()) != 1 ||
      BN_add(exponent.get(), exponent.get(), a_bn.get()) != 1) {
    return OpenSslError("SRP a + u * x");
  }
  TGRPC_ASSIGN_OR_RETURN(const Bignum s_a, ModExp(t.get(), exponent.get(), group));
  TGRPC_ASSIGN_OR_RETURN(proof.m1, Proof(group, params, proof.a, g_b, s_a.get()));
  return proof;
}

absl::StatusOr<SrpProof> SrpClientProof(const SrpParams& params, absl::Span<const uint8_t> srp_b,
                                        const Sha256Digest& x, const RandomSource& random) {
  for (int draw = 0; draw < kMaxDraws; ++draw) {
    DhValue a;
    random(absl::MakeSpan(a));
    absl::StatusOr<SrpProof> proof = SrpClientProofWithSecret(params, srp_b, x, a);
    OPENSSL_cleanse(a.data(), a.size());
    // Errors from the parameters or srp_B would repeat with any a: return them at once.
    if (!proof.ok()) return proof.status();
    if (CheckDhPublicValue(proof->a, params.p).ok()) return proof;
  }
  return absl::InternalError("random source keeps giving SRP secrets with g^a out of range");
}

absl::StatusOr<SrpChallenge> NewSrpChallenge(const SrpParams& params, const DhValue& verifier,
                                             const RandomSource& random) {
  TGRPC_ASSIGN_OR_RETURN(const Group group, PrepareGroup(params));
  TGRPC_ASSIGN_OR_RETURN(const Bignum v, BignumFromBytes(verifier));
  if (BN_is_zero(v.get()) || BN_cmp(v.get(), group.p.get()) >= 0) {
    return absl::InvalidArgumentError("SRP verifier is not in 1..p-1");
  }
  TGRPC_ASSIGN_OR_RETURN(const Bignum k, Multiplier(group));
  TGRPC_ASSIGN_OR_RETURN(Bignum k_v, NewBignum());
  if (BN_mod_mul(k_v.get(), k.get(), v.get(), group.p.get(), group.ctx.get()) != 1) {
    return OpenSslError("SRP k * v");
  }

  SrpChallenge challenge;
  for (int draw = 0; draw < kMaxDraws; ++draw) {
    random(absl::MakeSpan(challenge.b));
    TGRPC_ASSIGN_OR_RETURN(Bignum b, BignumFromBytes(challenge.b));
    TGRPC_ASSIGN_OR_RETURN(Bignum srp_b, ModExp(group.g.get(), b.get(), group));
    if (BN_mod_add(srp_b.get(), srp_b.get(), k_v.get(), group.p.get(), group.ctx.get()) != 1) {
      return OpenSslError("SRP k * v + g^b");
    }
    TGRPC_ASSIGN_OR_RETURN(challenge.srp_b, ToValue(srp_b.get()));
    // Clients check srp_B as a DH value (SrpClientProof does): never send one they would reject.
    if (CheckDhPublicValue(challenge.srp_b, group.p_bytes).ok()) break;
    if (draw + 1 == kMaxDraws) {
      return absl::InternalError("random source keeps giving SRP secrets with srp_B out of range");
    }
  }
  // 0 reads as "no srp_id" in too many places to hand it out.
  while (challenge.srp_id == 0) {
    std::array<uint8_t, 8> id;
    random(absl::MakeSpan(id));
    uint64_t value = 0;
    for (uint8_t byte : id) value = value << 8 | byte;
    challenge.srp_id = static_cast<int64_t>(value);
  }
  return challenge;
}

absl::Status CheckSrpProof(const SrpParams& params, const DhValue& verifier,
                           const SrpChallenge& challenge, absl::Span<const uint8_t> a,
                           absl::Span<const uint8_t> m1) {
  TGRPC_ASSIGN_OR_RETURN(const Group group, PrepareGroup(params));
  TGRPC_ASSIGN_OR_RETURN(const DhValue g_a, ToValue(a, "SRP A"));
  // The handshake's range check on g_a: beyond 1 < A < p - 1 (which stops A = 0 mod p from
  // forcing s_b = 0), it keeps A away from the few values whose powers are predictable.
  TGRPC_RETURN_IF_ERROR(CheckDhPublicValue(g_a, group.p_bytes));
  TGRPC_ASSIGN_OR_RETURN(Bignum u, Scrambler(g_a, challenge.srp_b));

  // s_b = (g_a * v^u)^b mod p.
  TGRPC_ASSIGN_OR_RETURN(const Bignum v, BignumFromBytes(verifier));
  TGRPC_ASSIGN_OR_RETURN(const Bignum g_a_bn, BignumFromBytes(g_a));
  TGRPC_ASSIGN_OR_RETURN(Bignum base, ModExp(v.get(), u.get(), group));
  if (BN_mod_mul(base.get(), base.get(), g_a_bn.get(), group.p.get(), group.ctx.get()) != 1) {
    return OpenSslError("SRP g_a * v^u");
  }
  TGRPC_ASSIGN_OR_RETURN(Bignum b, BignumFromBytes(challenge.b));
  TGRPC_ASSIGN_OR_RETURN(const Bignum s_b, ModExp(base.get(), b.get(), group));
  TGRPC_ASSIGN_OR_RETURN(const Sha256Digest expected,
                         Proof(group, params, g_a, challenge.srp_b, s_b.get()));
  // Constant time, so a forger learns nothing from how long a wrong M1 takes to reject.
  if (m1.size() != expected.size() ||
      CRYPTO_memcmp(m1.data(), expected.data(), expected.size()) != 0) {
    return absl::PermissionDeniedError("SRP M1 does not match: wrong password");
  }
  return absl::OkStatus();
}

}  // namespace tgrpc::mtproto::crypto
