#include "mtproto/crypto/rsa_key.h"

#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "mtproto/crypto/bignum.h"
#include "mtproto/crypto/sha.h"

namespace tgrpc::mtproto::crypto {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;

std::shared_ptr<EVP_PKEY> Share(EVP_PKEY* pkey) {
  return std::shared_ptr<EVP_PKEY>(pkey, PkeyDeleter());
}

std::vector<uint8_t> StripLeadingZeros(absl::Span<const uint8_t> bytes) {
  auto first = std::find_if(bytes.begin(), bytes.end(), [](uint8_t b) { return b != 0; });
  return std::vector<uint8_t>(first, bytes.end());
}

// TL `bytes`: a 1-byte length below 254, else 0xfe and a 3-byte little-endian length; then the
// data, zero-padded to a multiple of 4.
void AppendTlBytes(absl::Span<const uint8_t> data, std::vector<uint8_t>& out) {
  const size_t start = out.size();
  if (data.size() < 254) {
    out.push_back(static_cast<uint8_t>(data.size()));
  } else {
    out.push_back(0xfe);
    for (int i = 0; i < 3; ++i) out.push_back(static_cast<uint8_t>(data.size() >> (8 * i)));
  }
  out.insert(out.end(), data.begin(), data.end());
  while ((out.size() - start) % 4 != 0) out.push_back(0);
}

uint64_t Fingerprint(absl::Span<const uint8_t> n, absl::Span<const uint8_t> e) {
  std::vector<uint8_t> serialized;
  AppendTlBytes(n, serialized);
  AppendTlBytes(e, serialized);
  const Sha1Digest hash = Sha1(serialized);
  uint64_t fingerprint = 0;
  for (int i = 19; i >= 12; --i) fingerprint = fingerprint << 8 | hash[i];
  return fingerprint;
}

absl::StatusOr<std::vector<uint8_t>> GetBnParam(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
    return OpenSslError(absl::StrCat("reading RSA parameter ", name));
  }
  Bignum bn(raw);
  return BignumToMinimalBytes(bn.get());
}

absl::StatusOr<RsaPublicKey> PublicKeyOf(const EVP_PKEY* pkey) {
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
    return absl::InvalidArgumentError("not an RSA key");
  }
  TGRPC_ASSIGN_OR_RETURN(std::vector<uint8_t> n, GetBnParam(pkey, OSSL_PKEY_PARAM_RSA_N));
  TGRPC_ASSIGN_OR_RETURN(std::vector<uint8_t> e, GetBnParam(pkey, OSSL_PKEY_PARAM_RSA_E));
  return RsaPublicKey::FromModulusAndExponent(n, e);
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> DecodePem(absl::string_view pem, int selection) {
  EVP_PKEY* pkey = nullptr;
  std::unique_ptr<OSSL_DECODER_CTX, decltype(&OSSL_DECODER_CTX_free)> ctx(
      OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", nullptr, "RSA", selection, nullptr, nullptr),
      &OSSL_DECODER_CTX_free);
  if (ctx == nullptr) return OpenSslError("OSSL_DECODER_CTX_new_for_pkey");
  const unsigned char* data = reinterpret_cast<const unsigned char*>(pem.data());
  size_t size = pem.size();
  if (OSSL_DECODER_from_data(ctx.get(), &data, &size) != 1 || pkey == nullptr) {
    OpenSslError("").IgnoreError();  // Drains OpenSSL's error queue.
    return absl::InvalidArgumentError("not a PEM-encoded RSA key of the expected kind");
  }
  return Share(pkey);
}

absl::StatusOr<std::string> EncodePem(const EVP_PKEY* pkey, int selection) {
  std::unique_ptr<OSSL_ENCODER_CTX, decltype(&OSSL_ENCODER_CTX_free)> ctx(
      OSSL_ENCODER_CTX_new_for_pkey(pkey, selection, "PEM", "type-specific", nullptr),
      &OSSL_ENCODER_CTX_free);
  if (ctx == nullptr) return OpenSslError("OSSL_ENCODER_CTX_new_for_pkey");
  unsigned char* data = nullptr;
  size_t size = 0;
  if (OSSL_ENCODER_to_data(ctx.get(), &data, &size) != 1) {
    return OpenSslError("OSSL_ENCODER_to_data");
  }
  std::string pem(reinterpret_cast<const char*>(data), size);
  OPENSSL_clear_free(data, size);
  return pem;
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> PublicPkey(absl::Span<const uint8_t> n,
                                                     absl::Span<const uint8_t> e) {
  TGRPC_ASSIGN_OR_RETURN(Bignum n_bn, BignumFromBytes(n));
  TGRPC_ASSIGN_OR_RETURN(Bignum e_bn, BignumFromBytes(e));
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> builder(OSSL_PARAM_BLD_new(),
                                                                          &OSSL_PARAM_BLD_free);
  if (builder == nullptr ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n_bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e_bn.get()) != 1) {
    return OpenSslError("building RSA parameters");
  }
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(
      OSSL_PARAM_BLD_to_param(builder.get()), &OSSL_PARAM_free);
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* pkey = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return OpenSslError("EVP_PKEY_fromdata");
  }
  return Share(pkey);
}

}  // namespace

RsaPublicKey::RsaPublicKey(std::vector<uint8_t> n, std::vector<uint8_t> e)
    : n_(std::move(n)), e_(std::move(e)), fingerprint_(Fingerprint(n_, e_)) {}

absl::StatusOr<RsaPublicKey> RsaPublicKey::FromModulusAndExponent(absl::Span<const uint8_t> n,
                                                                  absl::Span<const uint8_t> e) {
  std::vector<uint8_t> modulus = StripLeadingZeros(n);
  std::vector<uint8_t> exponent = StripLeadingZeros(e);
  if (modulus.empty() || (modulus.back() & 1) == 0) {
    return absl::InvalidArgumentError("RSA modulus must be odd and non-zero");
  }
  if (exponent.empty() || (exponent.size() == 1 && exponent[0] == 1)) {
    return absl::InvalidArgumentError("RSA exponent must be greater than 1");
  }
  return RsaPublicKey(std::move(modulus), std::move(exponent));
}

absl::StatusOr<RsaPublicKey> RsaPublicKey::FromPem(absl::string_view pem) {
  TGRPC_ASSIGN_OR_RETURN(std::shared_ptr<EVP_PKEY> pkey, DecodePem(pem, EVP_PKEY_PUBLIC_KEY));
  return PublicKeyOf(pkey.get());
}

absl::StatusOr<std::string> RsaPublicKey::ToPem() const {
  TGRPC_ASSIGN_OR_RETURN(std::shared_ptr<EVP_PKEY> pkey, PublicPkey(n_, e_));
  return EncodePem(pkey.get(), EVP_PKEY_PUBLIC_KEY);
}

absl::StatusOr<std::vector<uint8_t>> RsaPublicKey::EncryptRaw(
    absl::Span<const uint8_t> input) const {
  TGRPC_ASSIGN_OR_RETURN(Bignum x, BignumFromBytes(input));
  TGRPC_ASSIGN_OR_RETURN(Bignum n, BignumFromBytes(n_));
  TGRPC_ASSIGN_OR_RETURN(Bignum e, BignumFromBytes(e_));
  if (BN_cmp(x.get(), n.get()) >= 0) {
    return absl::InvalidArgumentError("RSA input is not less than the modulus");
  }
  TGRPC_ASSIGN_OR_RETURN(BignumCtx ctx, NewBignumCtx());
  TGRPC_ASSIGN_OR_RETURN(Bignum result, NewBignum());
  if (BN_mod_exp(result.get(), x.get(), e.get(), n.get(), ctx.get()) != 1) {
    return OpenSslError("BN_mod_exp");
  }
  std::vector<uint8_t> out(modulus_size());
  TGRPC_RETURN_IF_ERROR(BignumToBytes(result.get(), absl::MakeSpan(out)));
  return out;
}

RsaPrivateKey::RsaPrivateKey(std::shared_ptr<EVP_PKEY> pkey, RsaPublicKey public_key)
    : pkey_(std::move(pkey)), public_key_(std::move(public_key)) {}

absl::StatusOr<RsaPrivateKey> RsaPrivateKey::Generate(int bits) {
  if (bits < 1024 || bits > 8192) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported RSA key size: ", bits));
  }
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* pkey = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) != 1 ||
      EVP_PKEY_generate(ctx.get(), &pkey) != 1) {
    return OpenSslError("RSA key generation");
  }
  std::shared_ptr<EVP_PKEY> shared = Share(pkey);
  TGRPC_ASSIGN_OR_RETURN(RsaPublicKey public_key, PublicKeyOf(shared.get()));
  return RsaPrivateKey(std::move(shared), std::move(public_key));
}

absl::StatusOr<RsaPrivateKey> RsaPrivateKey::FromPem(absl::string_view pem) {
  TGRPC_ASSIGN_OR_RETURN(std::shared_ptr<EVP_PKEY> pkey, DecodePem(pem, EVP_PKEY_KEYPAIR));
  TGRPC_ASSIGN_OR_RETURN(RsaPublicKey public_key, PublicKeyOf(pkey.get()));
  return RsaPrivateKey(std::move(pkey), std::move(public_key));
}

absl::StatusOr<std::string> RsaPrivateKey::ToPem() const {
  return EncodePem(pkey_.get(), EVP_PKEY_KEYPAIR);
}

absl::StatusOr<std::vector<uint8_t>> RsaPrivateKey::DecryptRaw(
    absl::Span<const uint8_t> input) const {
  const size_t size = public_key_.modulus_size();
  if (input.size() != size) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA input must be ", size, " bytes, got ", input.size()));
  }
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_.get(), nullptr));
  if (ctx == nullptr || EVP_PKEY_decrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1) {
    return OpenSslError("RSA decryption setup");
  }
  std::vector<uint8_t> out(size);
  size_t out_size = out.size();
  if (EVP_PKEY_decrypt(ctx.get(), out.data(), &out_size, input.data(), input.size()) != 1) {
    // The usual cause is an input not less than the modulus.
    OpenSslError("").IgnoreError();
    return absl::InvalidArgumentError("RSA decryption failed");
  }
  // Pad on the left to the modulus size in case OpenSSL dropped leading zeros.
  if (out_size < size) {
    std::move_backward(out.begin(), out.begin() + out_size, out.end());
    std::fill(out.begin(), out.end() - out_size, 0);
  }
  return out;
}

}  // namespace tgrpc::mtproto::crypto
