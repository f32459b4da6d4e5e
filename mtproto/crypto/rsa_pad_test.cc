#include "mtproto/crypto/rsa_pad.h"

#include <numeric>
#include <vector>

#include "gtest/gtest.h"
#include "mtproto/crypto/crypto_test_util.h"
#include "mtproto/crypto/testdata/test_rsa_key.h"

namespace tgrpc::mtproto::crypto {
namespace {

using ::tgrpc::mtproto::crypto::testing::kTestRsaPrivateKeyPem;
using ::tgrpc::mtproto::crypto::testing::NormalizedHex;
using ::tgrpc::mtproto::crypto::testing::ScriptedRandom;
using ::tgrpc::mtproto::crypto::testing::SeededRandom;
using ::tgrpc::mtproto::crypto::testing::ToHex;

// Produced by testdata/rsa_vectors.py, an independent implementation, from the same key, data
// and "random" bytes as below.
constexpr char kRsaPadVector[] =
    "a0371a2d6bf4392cf60d2c797bd6da58522be1e6b27debcbdddb8871b3891091329d27ca10f13e6d6eca661eedb0"
    "d49cf5c3e93fc9ed74740e2b546bb9de33fee5c7982a6eeaae54de0353d68d5ecd67aae397f722acb5c1ae26747e"
    "365154f50a2690cebce8d001651bba5f4f0403eff8b5e1c215de161f26f9023e467c84145469ab01455eff8701ee"
    "04d5aea03694871cb8f626c8af1b7abf6c9bc7e6e5661ccbda27e1fdc16dd5cc747c96f59769ff9963ff1d326ed4"
    "2071d85a1ce1f7b5fc8adeb12f311f98cb8403199ff2dbba84b724bab88c0b792ea1ff4f07164600cde3d96dedfa"
    "db0a6802ad81234e7c6b37b550e4601628d00081b0c675f746ab";
constexpr char kLegacyVector[] =
    "cc16680d2bc65c7c0ef11dcc686ab25949ea4965814236dfa332910698931041d499ffe23d70e1947c5ca553e268"
    "0294f1fbe89f06490a20671cc4b282fa0ae5a879a1628cb15b8374d9baad9ff132dac6199b4a09d06ec00fd8e08a"
    "0b3c36bcab83ec40671dde7dac63cbd81d9de95225c158e200ed38cd3e877e946144dbf69609cbd5d1b131c49ee4"
    "7ddd8ca2d556d4d9b8aa60a43f067487591f55930e3006486e164f40e631a3be400accb1c2d99fb1eb5cd0757ad1"
    "89436b393a9b9364e36b9f28ddf631924a6554bd8290c2fc0e839dfb8c2372eaa485ce6d751966dc203367b24acd"
    "462e725d7cc7c1b751e135c1d964290ef0681de525ab7c96a734";

std::vector<uint8_t> VectorData() {
  std::vector<uint8_t> data(100);
  std::iota(data.begin(), data.end(), 0);
  return data;
}

std::vector<uint8_t> VectorRandom() {
  std::vector<uint8_t> bytes(512);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>((7 * i + 3) % 256);
  return bytes;
}

class RsaPadTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto key = RsaPrivateKey::FromPem(kTestRsaPrivateKeyPem);
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = new RsaPrivateKey(*std::move(key));
  }
  static void TearDownTestSuite() { delete key_; }

  static const RsaPrivateKey* key_;
};

const RsaPrivateKey* RsaPadTest::key_ = nullptr;

TEST_F(RsaPadTest, EncryptMatchesIndependentImplementation) {
  auto encrypted = RsaPadEncrypt(key_->public_key(), VectorData(), ScriptedRandom(VectorRandom()));
  ASSERT_TRUE(encrypted.ok()) << encrypted.status();
  EXPECT_EQ(ToHex(*encrypted), NormalizedHex(kRsaPadVector));
}

TEST_F(RsaPadTest, DecryptRecoversDataWithPadding) {
  auto padded = RsaPadDecrypt(*key_, testing::HexBytes(kRsaPadVector));
  ASSERT_TRUE(padded.ok()) << padded.status();
  const std::vector<uint8_t> data = VectorData();
  const std::vector<uint8_t> random = VectorRandom();
  EXPECT_TRUE(std::equal(data.begin(), data.end(), padded->begin()));
  // The padding is the first random bytes drawn.
  EXPECT_TRUE(std::equal(padded->begin() + data.size(), padded->end(), random.begin()));
}

TEST_F(RsaPadTest, RoundTripsAnySize) {
  RandomSource random = SeededRandom(11);
  for (size_t size : {0u, 1u, 96u, 143u, 144u}) {
    std::vector<uint8_t> data(size);
    random(absl::MakeSpan(data));
    auto encrypted = RsaPadEncrypt(key_->public_key(), data, random);
    ASSERT_TRUE(encrypted.ok()) << encrypted.status();
    auto padded = RsaPadDecrypt(*key_, *encrypted);
    ASSERT_TRUE(padded.ok()) << padded.status();
    EXPECT_TRUE(std::equal(data.begin(), data.end(), padded->begin()));
  }
  EXPECT_EQ(RsaPadEncrypt(key_->public_key(), std::vector<uint8_t>(145), random).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(RsaPadTest, DecryptRejectsTampering) {
  std::vector<uint8_t> encrypted = testing::HexBytes(kRsaPadVector);
  encrypted[100] ^= 0x10;
  EXPECT_FALSE(RsaPadDecrypt(*key_, encrypted).ok());
  EXPECT_FALSE(RsaPadDecrypt(*key_, std::vector<uint8_t>(255)).ok());
}

TEST_F(RsaPadTest, GivesUpWhenNoTempKeyFits) {
  // A 2048-bit "modulus" of 0x01 00 ... 00 01 leaves room for about 1 in 256 temp_keys, and a
  // constant random source tries the same one every time: the retry loop must end.
  std::vector<uint8_t> n(256, 0);
  n[0] = 0x01;
  n[255] = 0x01;
  auto narrow = RsaPublicKey::FromModulusAndExponent(n, {0x01, 0x00, 0x01});
  ASSERT_TRUE(narrow.ok());
  auto result = RsaPadEncrypt(*narrow, VectorData(), [](absl::Span<uint8_t> out) {
    std::fill(out.begin(), out.end(), 0xff);
  });
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInternal);
}

TEST_F(RsaPadTest, LegacyMatchesIndependentImplementation) {
  auto encrypted =
      RsaLegacyEncrypt(key_->public_key(), VectorData(), ScriptedRandom(VectorRandom()));
  ASSERT_TRUE(encrypted.ok()) << encrypted.status();
  EXPECT_EQ(ToHex(*encrypted), NormalizedHex(kLegacyVector));

  auto payload = RsaLegacyDecrypt(*key_, testing::HexBytes(kLegacyVector));
  ASSERT_TRUE(payload.ok()) << payload.status();
  auto data = payload->Data(100);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(std::vector<uint8_t>(data->begin(), data->end()), VectorData());
  EXPECT_FALSE(payload->Data(99).ok());
  EXPECT_FALSE(payload->Data(236).ok());
  EXPECT_FALSE(
      RsaLegacyEncrypt(key_->public_key(), std::vector<uint8_t>(236), SeededRandom(1)).ok());
}

TEST_F(RsaPadTest, RejectsKeysOtherThan2048Bits) {
  auto small = RsaPrivateKey::Generate(1024);
  ASSERT_TRUE(small.ok());
  EXPECT_FALSE(RsaPadEncrypt(small->public_key(), VectorData(), SeededRandom(1)).ok());
  EXPECT_FALSE(RsaPadDecrypt(*small, std::vector<uint8_t>(256)).ok());
  EXPECT_FALSE(RsaLegacyDecrypt(*small, std::vector<uint8_t>(256)).ok());
}

}  // namespace
}  // namespace tgrpc::mtproto::crypto
