// RSA keys of the MTProto handshake. The client picks the server's public key by fingerprint
// and encrypts p_q_inner_data to it; the server side (tests/fakedc) holds the private key.
// Only the raw operation x^e / x^d mod n lives here; the padding is in rsa_pad.h.
#ifndef TGRPC_MTPROTO_CRYPTO_RSA_KEY_H_
#define TGRPC_MTPROTO_CRYPTO_RSA_KEY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace tgrpc::mtproto::crypto {

class RsaPublicKey {
 public:
  // `n` and `e` are big-endian unsigned; leading zeros are dropped.
  static absl::StatusOr<RsaPublicKey> FromModulusAndExponent(absl::Span<const uint8_t> n,
                                                             absl::Span<const uint8_t> e);
  // PKCS#1 "-----BEGIN RSA PUBLIC KEY-----", the form Telegram publishes keys in. A
  // SubjectPublicKeyInfo "BEGIN PUBLIC KEY" is accepted too.
  static absl::StatusOr<RsaPublicKey> FromPem(absl::string_view pem);
  // PKCS#1 "-----BEGIN RSA PUBLIC KEY-----".
  absl::StatusOr<std::string> ToPem() const;

  // Minimal big-endian bytes.
  const std::vector<uint8_t>& n() const { return n_; }
  const std::vector<uint8_t>& e() const { return e_; }
  // Size of the modulus in bytes (256 for the 2048-bit keys MTProto uses).
  size_t modulus_size() const { return n_.size(); }

  // The lower 64 bits of SHA1 of the TL-serialized `rsa_public_key n:bytes e:bytes` (a bare
  // type, no constructor id): SHA1[12:20] read little-endian, as resPQ lists it.
  uint64_t fingerprint() const { return fingerprint_; }

  // x^e mod n. `input` is big-endian and must be less than n; the result is padded to
  // modulus_size().
  absl::StatusOr<std::vector<uint8_t>> EncryptRaw(absl::Span<const uint8_t> input) const;

  friend bool operator==(const RsaPublicKey& a, const RsaPublicKey& b) {
    return a.n_ == b.n_ && a.e_ == b.e_;
  }

 private:
  RsaPublicKey(std::vector<uint8_t> n, std::vector<uint8_t> e);

  std::vector<uint8_t> n_;
  std::vector<uint8_t> e_;
  uint64_t fingerprint_ = 0;
};

class RsaPrivateKey {
 public:
  // A new key with e = 65537, from OpenSSL's CSPRNG (for tests and the fake server; key
  // generation is the one place randomness is not injected).
  static absl::StatusOr<RsaPrivateKey> Generate(int bits = 2048);
  // PKCS#1 "-----BEGIN RSA PRIVATE KEY-----" (PKCS#8 "BEGIN PRIVATE KEY" is accepted too).
  static absl::StatusOr<RsaPrivateKey> FromPem(absl::string_view pem);
  // PKCS#1 "-----BEGIN RSA PRIVATE KEY-----", unencrypted.
  absl::StatusOr<std::string> ToPem() const;

  const RsaPublicKey& public_key() const { return public_key_; }

  // x^d mod n (OpenSSL's constant-time, blinded CRT). `input` is exactly modulus_size() bytes,
  // big-endian, less than n; so is the result.
  absl::StatusOr<std::vector<uint8_t>> DecryptRaw(absl::Span<const uint8_t> input) const;

 private:
  RsaPrivateKey(std::shared_ptr<EVP_PKEY> pkey, RsaPublicKey public_key);

  // Immutable once built; OpenSSL allows concurrent operations on one EVP_PKEY.
  std::shared_ptr<EVP_PKEY> pkey_;
  RsaPublicKey public_key_;
};

}  // namespace tgrpc::mtproto::crypto

#endif  // TGRPC_MTPROTO_CRYPTO_RSA_KEY_H_
