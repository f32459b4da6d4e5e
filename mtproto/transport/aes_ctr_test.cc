#include "mtproto/transport/aes_ctr.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "mtproto/transport/transport_test_util.h"

namespace tgrpc::mtproto::transport {
namespace {

using testing::Hex;
using testing::TestPayload;

// NIST SP 800-38A, F.5.5 CTR-AES256.Encrypt. The counter block wraps its low byte between the
// first and second block, so the 128-bit big-endian increment is exercised.
const std::string kKey =
    absl::HexStringToBytes("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
const std::string kCounter = absl::HexStringToBytes("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
const std::string kPlain = absl::HexStringToBytes(
    "6bc1bee22e409f96e93d7e117393172a"
    "ae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52ef"
    "f69f2445df4f9b17ad2b417be66c3710");
constexpr char kCipherHex[] =
    "601ec313775789a5b7a7f504bbf3d228"
    "f443e3ca4d62b59aca84e990cacaf5c5"
    "2b0930daa23de94ce87017ba2d84988d"
    "dfc9c58db67aada613c2dd08457941a6";

TEST(AesCtr256Test, NistVector) {
  absl::StatusOr<AesCtr256> cipher = AesCtr256::Create(kKey, kCounter);
  ASSERT_TRUE(cipher.ok()) << cipher.status();
  std::string data = kPlain;
  ASSERT_TRUE(cipher->Apply(data.data(), data.size()).ok());
  EXPECT_EQ(Hex(data), kCipherHex);
}

TEST(AesCtr256Test, DecryptIsEncrypt) {
  std::string data = absl::HexStringToBytes(kCipherHex);
  absl::StatusOr<AesCtr256> cipher = AesCtr256::Create(kKey, kCounter);
  ASSERT_TRUE(cipher.ok());
  ASSERT_TRUE(cipher->Apply(data.data(), data.size()).ok());
  EXPECT_EQ(data, kPlain);
}

TEST(AesCtr256Test, PiecesOfAnySizeContinueTheKeyStream) {
  const std::string plain = TestPayload(5000, 1);
  std::string whole = plain;
  ASSERT_TRUE(AesCtr256::Create(kKey, kCounter)->Apply(whole.data(), whole.size()).ok());

  absl::StatusOr<AesCtr256> cipher = AesCtr256::Create(kKey, kCounter);
  ASSERT_TRUE(cipher.ok());
  std::string pieces = plain;
  size_t offset = 0;
  for (size_t size = 0; offset < pieces.size(); size = (size * 7 + 3) % 97) {
    const size_t n = std::min(size, pieces.size() - offset);
    ASSERT_TRUE(cipher->Apply(pieces.data() + offset, n).ok());
    offset += n;
  }
  EXPECT_EQ(pieces, whole);
}

TEST(AesCtr256Test, SkipAdvancesTheKeyStream) {
  std::string whole = kPlain;
  ASSERT_TRUE(AesCtr256::Create(kKey, kCounter)->Apply(whole.data(), whole.size()).ok());
  absl::StatusOr<AesCtr256> cipher = AesCtr256::Create(kKey, kCounter);
  ASSERT_TRUE(cipher.ok());
  ASSERT_TRUE(cipher->Skip(21).ok());
  std::string tail = kPlain.substr(21);
  ASSERT_TRUE(cipher->Apply(tail.data(), tail.size()).ok());
  EXPECT_EQ(tail, whole.substr(21));
}

TEST(AesCtr256Test, RejectsWrongSizes) {
  EXPECT_EQ(AesCtr256::Create(kKey.substr(1), kCounter).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AesCtr256::Create(kKey, kCounter.substr(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tgrpc::mtproto::transport
