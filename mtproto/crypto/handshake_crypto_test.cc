#include "mtproto/crypto/handshake_crypto.h"

#include <algorithm>
#include <vector>

#include "gtest/gtest.h"
#include "mtproto/crypto/crypto_test_util.h"
#include "mtproto/crypto/sample_vectors.h"
#include "mtproto/crypto/sha.h"

namespace tgrpc::mtproto::crypto {
namespace {

using ::tgrpc::mtproto::crypto::testing::HexBytes;
using ::tgrpc::mtproto::crypto::testing::NormalizedHex;
using ::tgrpc::mtproto::crypto::testing::ScriptedRandom;
using ::tgrpc::mtproto::crypto::testing::SeededRandom;
using ::tgrpc::mtproto::crypto::testing::ToHex;
namespace samples = ::tgrpc::mtproto::crypto::testing::samples;

template <size_t kSize>
std::array<uint8_t, kSize> FromHex(const char* hex) {
  const std::vector<uint8_t> bytes = HexBytes(hex);
  EXPECT_EQ(bytes.size(), kSize);
  std::array<uint8_t, kSize> out{};
  std::copy_n(bytes.begin(), std::min(kSize, bytes.size()), out.begin());
  return out;
}

TmpAesKey SampleTmpAesKey() {
  return DeriveTmpAesKey(FromHex<32>(samples::kNewNonce), FromHex<16>(samples::kServerNonce));
}

TEST(HandshakeCryptoTest, SampleTmpAesKeyAndIv) {
  const TmpAesKey tmp = SampleTmpAesKey();
  EXPECT_EQ(ToHex(tmp.key), NormalizedHex(samples::kTmpAesKey));
  EXPECT_EQ(ToHex(tmp.iv), NormalizedHex(samples::kTmpAesIv));
}

TEST(HandshakeCryptoTest, SampleEncryptedAnswer) {
  const std::vector<uint8_t> encrypted = HexBytes(samples::kEncryptedAnswer);
  ASSERT_EQ(encrypted.size(), 592u);
  auto answer = DecryptWithSha1(SampleTmpAesKey(), encrypted);
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(answer->size(), static_cast<size_t>(samples::kAnswerSize));
  EXPECT_EQ(ToHex(Sha1(*answer)), NormalizedHex(samples::kAnswerSha1));
  // server_DH_inner_data#b5890dba, little-endian.
  EXPECT_EQ(ToHex(absl::MakeConstSpan(*answer).first(4)), "ba0d89b5");

  // Re-encrypting with the page's padding gives the page's bytes back.
  auto again = EncryptWithSha1(SampleTmpAesKey(), *answer,
                               ScriptedRandom(HexBytes(samples::kAnswerPadding)));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, encrypted);
}

TEST(HandshakeCryptoTest, RoundTripsEveryPaddingLength) {
  RandomSource random = SeededRandom(4);
  const TmpAesKey tmp = SampleTmpAesKey();
  for (size_t size = 12; size < 12 + 32; ++size) {
    std::vector<uint8_t> data(size);
    random(absl::MakeSpan(data));
    auto encrypted = EncryptWithSha1(tmp, data, random);
    ASSERT_TRUE(encrypted.ok());
    EXPECT_EQ(encrypted->size() % 16, 0u);
    EXPECT_LT(encrypted->size() - 20 - size, 16u);
    auto decrypted = DecryptWithSha1(tmp, *encrypted);
    ASSERT_TRUE(decrypted.ok()) << "size " << size << ": " << decrypted.status();
    EXPECT_EQ(*decrypted, data);
  }
}

TEST(HandshakeCryptoTest, DecryptRejectsBadInput) {
  std::vector<uint8_t> encrypted = HexBytes(samples::kEncryptedAnswer);
  encrypted[300] ^= 1;
  EXPECT_FALSE(DecryptWithSha1(SampleTmpAesKey(), encrypted).ok());
  EXPECT_FALSE(DecryptWithSha1(SampleTmpAesKey(), std::vector<uint8_t>(40)).ok());
  EXPECT_FALSE(DecryptWithSha1(SampleTmpAesKey(), std::vector<uint8_t>(16)).ok());
  EXPECT_FALSE(DecryptWithSha1(SampleTmpAesKey(), std::vector<uint8_t>(32)).ok());
}

TEST(HandshakeCryptoTest, SampleNewNonceHash1AndSalt) {
  const Int256 new_nonce = FromHex<32>(samples::kNewNonce);
  EXPECT_EQ(ToHex(NewNonceHash(new_nonce, 1, FromHex<8>(samples::kAuxHash))),
            NormalizedHex(samples::kNewNonceHash1));
  EXPECT_EQ(ToHex(InitialServerSalt(new_nonce, FromHex<16>(samples::kServerNonce))),
            NormalizedHex(samples::kFirstServerSalt));
}

}  // namespace
}  // namespace tgrpc::mtproto::crypto
