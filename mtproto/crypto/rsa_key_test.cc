#include "mtproto/crypto/rsa_key.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mtproto/crypto/crypto_test_util.h"
#include "mtproto/crypto/sample_vectors.h"
#include "mtproto/crypto/testdata/test_rsa_key.h"

namespace tgrpc::mtproto::crypto {
namespace {

using ::tgrpc::mtproto::crypto::testing::HexBytes;
using ::tgrpc::mtproto::crypto::testing::kTestRsaPrivateKeyPem;
using ::tgrpc::mtproto::crypto::testing::SeededRandom;
using ::tgrpc::mtproto::crypto::testing::ToHex;

// Telegram's production key (DC 2), the one core.telegram.org/mtproto/samples-auth_key uses.
constexpr char kTelegramPem[] =
    "-----BEGIN RSA PUBLIC KEY-----\n"
    "MIIBCgKCAQEA6LszBcC1LGzyr992NzE0ieY+BSaOW622Aa9Bd4ZHLl+TuFQ4lo4g\n"
    "5nKaMBwK/BIb9xUfg0Q29/2mgIR6Zr9krM7HjuIcCzFvDtr+L0GQjae9H0pRB2OO\n"
    "62cECs5HKhT5DZ98K33vmWiLowc621dQuwKWSQKjWf50XYFw42h21P2KXUGyp2y/\n"
    "+aEyZ+uVgLLQbRA1dEjSDZ2iGRy12Mk5gpYc397aYp438fsJoHIgJ2lgMv5h7WY9\n"
    "t6N/byY9Nw9p21Og3AoXSL2q/2IJ1WRUhebgAdGVMlV1fkuOQoEzR7EdpqtQD9Cs\n"
    "5+bfo3Nhmcyvk5ftB0WkJ9z6bNZ7yxrP8wIDAQAB\n"
    "-----END RSA PUBLIC KEY-----\n";

TEST(RsaPublicKeyTest, TelegramKeyFingerprint) {
  auto key = RsaPublicKey::FromPem(kTelegramPem);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->modulus_size(), 256u);
  EXPECT_EQ(ToHex(key->e()), "010001");
  EXPECT_EQ(ToHex(key->n()).substr(0, 8), "e8bb3305");
  EXPECT_EQ(key->fingerprint(), testing::samples::kRsaFingerprint);
}

TEST(RsaPublicKeyTest, PemRoundTripIsByteExact) {
  auto key = RsaPublicKey::FromPem(kTelegramPem);
  ASSERT_TRUE(key.ok());
  auto pem = key->ToPem();
  ASSERT_TRUE(pem.ok()) << pem.status();
  EXPECT_EQ(*pem, kTelegramPem);
  auto again = RsaPublicKey::FromModulusAndExponent(key->n(), key->e());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *key);
}

TEST(RsaPublicKeyTest, RejectsBadInput) {
  EXPECT_FALSE(RsaPublicKey::FromPem("not a key").ok());
  EXPECT_FALSE(
      RsaPublicKey::FromPem("-----BEGIN RSA PUBLIC KEY-----\n-----END RSA PUBLIC KEY-----\n").ok());
  EXPECT_FALSE(RsaPublicKey::FromModulusAndExponent(HexBytes("0100"), HexBytes("03")).ok());
  EXPECT_FALSE(RsaPublicKey::FromModulusAndExponent(HexBytes("0101"), HexBytes("01")).ok());
}

TEST(RsaPrivateKeyTest, PemRoundTrip) {
  auto key = RsaPrivateKey::FromPem(kTestRsaPrivateKeyPem);
  ASSERT_TRUE(key.ok()) << key.status();
  auto pem = key->ToPem();
  ASSERT_TRUE(pem.ok()) << pem.status();
  EXPECT_EQ(*pem, std::string(kTestRsaPrivateKeyPem) + "\n");
  auto public_pem = key->public_key().ToPem();
  ASSERT_TRUE(public_pem.ok());
  EXPECT_NE(public_pem->find("BEGIN RSA PUBLIC KEY"), std::string::npos);
}

TEST(RsaPrivateKeyTest, RawOperationsInvertEachOther) {
  auto key = RsaPrivateKey::FromPem(kTestRsaPrivateKeyPem);
  ASSERT_TRUE(key.ok());
  std::vector<uint8_t> x(256);
  SeededRandom(3)(absl::MakeSpan(x));
  x[0] = 0;  // Below the modulus.
  auto encrypted = key->public_key().EncryptRaw(x);
  ASSERT_TRUE(encrypted.ok()) << encrypted.status();
  EXPECT_EQ(encrypted->size(), 256u);
  auto decrypted = key->DecryptRaw(*encrypted);
  ASSERT_TRUE(decrypted.ok()) << decrypted.status();
  EXPECT_EQ(*decrypted, x);

  // Inputs not below the modulus, or of the wrong size, are rejected.
  EXPECT_FALSE(key->public_key().EncryptRaw(key->public_key().n()).ok());
  EXPECT_FALSE(key->DecryptRaw(std::vector<uint8_t>(256, 0xff)).ok());
  EXPECT_FALSE(key->DecryptRaw(std::vector<uint8_t>(255, 0x01)).ok());
}

TEST(RsaPrivateKeyTest, GeneratesWorkingKeys) {
  auto key = RsaPrivateKey::Generate(2048);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->public_key().modulus_size(), 256u);
  EXPECT_EQ(ToHex(key->public_key().e()), "010001");
  std::vector<uint8_t> x(256, 0x42);
  x[0] = 0;
  auto encrypted = key->public_key().EncryptRaw(x);
  ASSERT_TRUE(encrypted.ok());
  auto decrypted = key->DecryptRaw(*encrypted);
  ASSERT_TRUE(decrypted.ok());
  EXPECT_EQ(*decrypted, x);
  auto pem = key->ToPem();
  ASSERT_TRUE(pem.ok());
  auto reloaded = RsaPrivateKey::FromPem(*pem);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(reloaded->public_key(), key->public_key());
  EXPECT_FALSE(RsaPrivateKey::Generate(512).ok());
}

}  // namespace
}  // namespace tgrpc::mtproto::crypto
