#include "mtproto/crypto/aes_ige.h"

// The cross-check against OpenSSL's own (deprecated, slow) AES_ige_encrypt lives only here.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/aes.h>

#include <algorithm>
#include <vector>

#include "gtest/gtest.h"
#include "mtproto/crypto/crypto_test_util.h"

namespace tgrpc::mtproto::crypto {
namespace {

using ::tgrpc::mtproto::crypto::testing::HexBytes;
using ::tgrpc::mtproto::crypto::testing::SeededRandom;
using ::tgrpc::mtproto::crypto::testing::ToHex;

AesIge::Iv ToIv(const std::vector<uint8_t>& bytes) {
  AesIge::Iv iv{};
  std::copy(bytes.begin(), bytes.end(), iv.begin());
  return iv;
}

std::vector<AesBackend> Backends() {
  std::vector<AesBackend> backends = {AesBackend::kPortable};
  if (AesIge::CpuHasAesNi()) backends.push_back(AesBackend::kAesNi);
  return backends;
}

class AesIgeBackendTest : public ::testing::TestWithParam<AesBackend> {};

// OpenSSL test/igetest.c, first known-answer vector (AES-128).
TEST_P(AesIgeBackendTest, OpenSslIgeEncryptVector) {
  const auto key = HexBytes("000102030405060708090a0b0c0d0e0f");
  const AesIge::Iv iv =
      ToIv(HexBytes("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"));
  const std::vector<uint8_t> plain(32, 0);
  auto aes = AesIge::Create(key, GetParam());
  ASSERT_TRUE(aes.ok()) << aes.status();
  std::vector<uint8_t> out(32);
  ASSERT_TRUE(aes->Encrypt(iv, plain, absl::MakeSpan(out)).ok());
  EXPECT_EQ(ToHex(out), "1a8519a6557be652e9da8e43da4ef4453cf456b4ca488aa383c79c98b34797cb");
  std::vector<uint8_t> back(32);
  ASSERT_TRUE(aes->Decrypt(iv, out, absl::MakeSpan(back)).ok());
  EXPECT_EQ(back, plain);
}

// OpenSSL test/igetest.c, second known-answer vector (AES-128, decryption).
TEST_P(AesIgeBackendTest, OpenSslIgeDecryptVector) {
  const auto key = HexBytes("5468697320697320616e20696d706c65");
  const AesIge::Iv iv =
      ToIv(HexBytes("6d656e746174696f6e206f6620494745206d6f646520666f72204f70656e5353"));
  const auto cipher = HexBytes("4c2e204c6574277320686f70652042656e20676f74206974207269676874210a");
  auto aes = AesIge::Create(key, GetParam());
  ASSERT_TRUE(aes.ok()) << aes.status();
  std::vector<uint8_t> out(cipher.size());
  ASSERT_TRUE(aes->Decrypt(iv, cipher, absl::MakeSpan(out)).ok());
  EXPECT_EQ(ToHex(out), "99706487a1cde613bc6de0b6f24b1c7aa448c8b9c3403e3467a8cad89340f53b");
}

// AES-256-IGE against OpenSSL's reference AES_ige_encrypt on random data, in place and not.
TEST_P(AesIgeBackendTest, MatchesOpenSslAes256Ige) {
  RandomSource random = SeededRandom(42);
  for (size_t size : {16u, 32u, 48u, 1024u, 4096u + 16u, 512u * 1024u}) {
    std::vector<uint8_t> key(32), plain(size);
    AesIge::Iv iv;
    random(absl::MakeSpan(key));
    random(absl::MakeSpan(iv));
    random(absl::MakeSpan(plain));

    AES_KEY enc_key, dec_key;
    ASSERT_EQ(AES_set_encrypt_key(key.data(), 256, &enc_key), 0);
    ASSERT_EQ(AES_set_decrypt_key(key.data(), 256, &dec_key), 0);
    std::vector<uint8_t> expected(size);
    AesIge::Iv scratch_iv = iv;  // AES_ige_encrypt updates its IV.
    AES_ige_encrypt(plain.data(), expected.data(), size, &enc_key, scratch_iv.data(), AES_ENCRYPT);

    auto aes = AesIge::Create(key, GetParam());
    ASSERT_TRUE(aes.ok()) << aes.status();
    std::vector<uint8_t> out(size);
    ASSERT_TRUE(aes->Encrypt(iv, plain, absl::MakeSpan(out)).ok());
    EXPECT_EQ(out, expected) << "size " << size;

    std::vector<uint8_t> in_place = plain;
    ASSERT_TRUE(aes->Encrypt(iv, in_place, absl::MakeSpan(in_place)).ok());
    EXPECT_EQ(in_place, expected) << "size " << size;

    std::vector<uint8_t> reference_plain(size);
    scratch_iv = iv;
    AES_ige_encrypt(expected.data(), reference_plain.data(), size, &dec_key, scratch_iv.data(),
                    AES_DECRYPT);
    ASSERT_EQ(reference_plain, plain);
    ASSERT_TRUE(aes->Decrypt(iv, in_place, absl::MakeSpan(in_place)).ok());
    EXPECT_EQ(in_place, plain) << "size " << size;
  }
}

TEST_P(AesIgeBackendTest, RejectsBadLengths) {
  auto aes = AesIge::Create(std::vector<uint8_t>(32, 7), GetParam());
  ASSERT_TRUE(aes.ok());
  AesIge::Iv iv{};
  std::vector<uint8_t> buffer(40);
  EXPECT_EQ(
      aes->Encrypt(iv, absl::MakeConstSpan(buffer).first(17), absl::MakeSpan(buffer).first(17))
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      aes->Decrypt(iv, absl::MakeConstSpan(buffer).first(16), absl::MakeSpan(buffer).first(32))
          .code(),
      absl::StatusCode::kInvalidArgument);
  // Partial overlap would corrupt the chaining.
  EXPECT_EQ(
      aes->Encrypt(iv, absl::MakeConstSpan(buffer).first(16), absl::MakeSpan(buffer).subspan(8, 16))
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(aes->Encrypt(iv, {}, {}).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, AesIgeBackendTest, ::testing::ValuesIn(Backends()),
                         [](const ::testing::TestParamInfo<AesBackend>& info) {
                           return info.param == AesBackend::kAesNi ? "AesNi" : "Portable";
                         });

TEST(AesIgeTest, RejectsBadKeySizes) {
  EXPECT_EQ(AesIge::Create(std::vector<uint8_t>(24)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AesIge::Create(std::vector<uint8_t>(0)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AesIgeTest, AutoPicksAesNiWhenAvailable) {
  auto aes = AesIge::Create(std::vector<uint8_t>(32, 1));
  ASSERT_TRUE(aes.ok());
  EXPECT_EQ(aes->backend(), AesIge::CpuHasAesNi() ? AesBackend::kAesNi : AesBackend::kPortable);
}

}  // namespace
}  // namespace tgrpc::mtproto::crypto
