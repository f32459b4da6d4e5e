#include "mtproto/crypto/aes_ige.h"

// The cross-check against OpenSSL's own (deprecated, slow) AES_ige_encrypt lives only here.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/aes.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
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

// A random key, IV, 32-byte hash prefix and plaintext, and the plaintext's encryption.
struct IgeCase {
  std::vector<uint8_t> key, prefix, plain, cipher;
  AesIge::Iv iv;
};

IgeCase RandomIgeCase(RandomSource& random, size_t key_size, size_t size) {
  IgeCase out{std::vector<uint8_t>(key_size),
              std::vector<uint8_t>(32),
              std::vector<uint8_t>(size),
              std::vector<uint8_t>(size),
              {}};
  random(absl::MakeSpan(out.key));
  random(absl::MakeSpan(out.prefix));
  random(absl::MakeSpan(out.iv));
  random(absl::MakeSpan(out.plain));
  return out;
}

// SHA-256 of `prefix` then `message` by OpenSSL's EVP (independent of aes_ige's SHA-NI code), hex.
std::string OpenSslSha256Hex(const std::vector<uint8_t>& prefix,
                             const std::vector<uint8_t>& message) {
  std::vector<uint8_t> joined = prefix;
  joined.insert(joined.end(), message.begin(), message.end());
  uint8_t digest[SHA256_DIGEST_LENGTH];
  unsigned int size = 0;
  if (EVP_Digest(joined.data(), joined.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
    ADD_FAILURE() << "EVP_Digest failed";
  }
  return ToHex(absl::MakeConstSpan(digest, size));
}

// The one-pass decryption and hash against Decrypt and OpenSSL's SHA-256 (EVP, independent of
// this file's SHA-NI code) on every tail length the hash's padding can see: the plaintext after
// the 32-byte prefix ends 0, 16, 32 or 48 bytes into a 64-byte block, with and without a second
// padding block; AES-256 and AES-128; in place and not.
TEST_P(AesIgeBackendTest, DecryptAndSha256MatchesDecryptThenHash) {
  RandomSource random = SeededRandom(7);
  std::vector<size_t> sizes;
  for (size_t blocks = 0; blocks <= 24; ++blocks) sizes.push_back(16 * blocks);
  sizes.push_back(4096 + 48);
  sizes.push_back(512 * 1024);
  for (size_t key_size : {32u, 16u}) {
    for (size_t size : sizes) {
      IgeCase c = RandomIgeCase(random, key_size, size);
      auto aes = AesIge::Create(c.key, GetParam());
      ASSERT_TRUE(aes.ok()) << aes.status();
      ASSERT_TRUE(aes->Encrypt(c.iv, c.plain, absl::MakeSpan(c.cipher)).ok());
      const std::string expected_hex = OpenSslSha256Hex(c.prefix, c.plain);

      for (bool fused : {true, false}) {
        std::vector<uint8_t> out(size);
        auto digest = aes->DecryptAndSha256(c.iv, c.prefix, c.cipher, absl::MakeSpan(out), fused);
        ASSERT_TRUE(digest.ok()) << digest.status();
        EXPECT_EQ(ToHex(*digest), expected_hex) << "key " << key_size << " size " << size;
        EXPECT_EQ(out, c.plain) << "key " << key_size << " size " << size;

        std::vector<uint8_t> in_place = c.cipher;
        digest = aes->DecryptAndSha256(c.iv, c.prefix, in_place, absl::MakeSpan(in_place), fused);
        ASSERT_TRUE(digest.ok()) << digest.status();
        EXPECT_EQ(ToHex(*digest), expected_hex) << "in place, size " << size;
        EXPECT_EQ(in_place, c.plain) << "in place, size " << size;
      }
    }
  }
}

// Encryption with another message's hash alongside: the ciphertext is Encrypt's and the digest
// OpenSSL's, whichever of the two is longer (the loop finishes the other alone), for message
// lengths on every side of the hash's block and padding boundaries, including shorter than the
// first hash block.
TEST_P(AesIgeBackendTest, EncryptAndSha256MatchesEncryptAndHash) {
  RandomSource random = SeededRandom(11);
  const std::vector<size_t> cipher_sizes = {0, 16, 48, 64, 80, 256, 4096, 512 * 1024};
  const std::vector<size_t> message_sizes = {0,  4,  16, 31,  32,  48,   55,   56,        64,
                                             80, 96, 97, 119, 120, 4096, 4144, 512 * 1024};
  for (size_t key_size : {32u, 16u}) {
    for (size_t cipher_size : cipher_sizes) {
      for (size_t message_size : message_sizes) {
        IgeCase c = RandomIgeCase(random, key_size, cipher_size);
        std::vector<uint8_t> message(message_size);
        random(absl::MakeSpan(message));
        auto aes = AesIge::Create(c.key, GetParam());
        ASSERT_TRUE(aes.ok()) << aes.status();
        ASSERT_TRUE(aes->Encrypt(c.iv, c.plain, absl::MakeSpan(c.cipher)).ok());
        const std::string expected_hex = OpenSslSha256Hex(c.prefix, message);
        for (bool fused : {true, false}) {
          std::vector<uint8_t> in_place = c.plain;
          auto digest = aes->EncryptAndSha256(c.iv, in_place, absl::MakeSpan(in_place), c.prefix,
                                              message, fused);
          ASSERT_TRUE(digest.ok()) << digest.status();
          EXPECT_EQ(ToHex(*digest), expected_hex)
              << "key " << key_size << " cipher " << cipher_size << " message " << message_size;
          EXPECT_EQ(in_place, c.cipher)
              << "key " << key_size << " cipher " << cipher_size << " message " << message_size;
        }
      }
    }
  }
}

TEST_P(AesIgeBackendTest, EncryptAndSha256RejectsBadInput) {
  auto aes = AesIge::Create(std::vector<uint8_t>(32, 7), GetParam());
  ASSERT_TRUE(aes.ok());
  AesIge::Iv iv{};
  std::vector<uint8_t> prefix(32), buffer(64), message(64);
  EXPECT_EQ(aes->EncryptAndSha256(iv, buffer, absl::MakeSpan(buffer),
                                  absl::MakeConstSpan(prefix).first(16), message)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(aes->EncryptAndSha256(iv, absl::MakeConstSpan(buffer).first(24),
                                  absl::MakeSpan(buffer).first(24), prefix, message)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // The hashed message may not be the buffer being encrypted.
  EXPECT_EQ(aes->EncryptAndSha256(iv, absl::MakeConstSpan(buffer).first(32),
                                  absl::MakeSpan(buffer).first(32), prefix,
                                  absl::MakeConstSpan(buffer).subspan(16, 32))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(AesIgeBackendTest, DecryptAndSha256RejectsBadInput) {
  auto aes = AesIge::Create(std::vector<uint8_t>(32, 7), GetParam());
  ASSERT_TRUE(aes.ok());
  AesIge::Iv iv{};
  std::vector<uint8_t> prefix(32), buffer(64);
  EXPECT_EQ(aes->DecryptAndSha256(iv, absl::MakeConstSpan(prefix).first(31), buffer,
                                  absl::MakeSpan(buffer))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(aes->DecryptAndSha256(iv, prefix, absl::MakeConstSpan(buffer).first(20),
                                  absl::MakeSpan(buffer).first(20))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(aes->DecryptAndSha256(iv, prefix, absl::MakeConstSpan(buffer).first(32),
                                  absl::MakeSpan(buffer).subspan(16, 32))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
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

// The CPUID check against the kernel's view of the CPU: the fused path is taken exactly where
// /proc/cpuinfo lists sha_ni (with ssse3 and sse4_1).
TEST(AesIgeTest, ShaNiDetectionMatchesProcCpuinfo) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  std::set<std::string> flags;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string flag; words >> flag;) flags.insert(flag);
    break;
  }
  ASSERT_FALSE(flags.empty()) << "no flags line in /proc/cpuinfo";
  const bool expected = flags.count("sha_ni") && flags.count("ssse3") && flags.count("sse4_1");
  EXPECT_EQ(AesIge::CpuHasShaNi(), expected);
  std::cout << "SHA-NI: " << (expected ? "yes" : "no")
            << ", AES-NI: " << (AesIge::CpuHasAesNi() ? "yes" : "no") << "; DecryptAndSha256 "
            << (expected && AesIge::CpuHasAesNi() ? "runs fused" : "decrypts, then hashes") << "\n";
}

TEST(AesIgeTest, AutoPicksAesNiWhenAvailable) {
  auto aes = AesIge::Create(std::vector<uint8_t>(32, 1));
  ASSERT_TRUE(aes.ok());
  EXPECT_EQ(aes->backend(), AesIge::CpuHasAesNi() ? AesBackend::kAesNi : AesBackend::kPortable);
}

}  // namespace
}  // namespace tgrpc::mtproto::crypto
