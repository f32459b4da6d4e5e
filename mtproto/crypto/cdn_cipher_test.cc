#include "mtproto/crypto/cdn_cipher.h"

#include <string>

#include "gtest/gtest.h"

namespace tgrpc::mtproto::crypto {
namespace {

const std::string kKey(32, '\x11');
const std::string kIv = "0123456789abcdef";

TEST(CdnCipherTest, IvTakesOffsetOver16BigEndian) {
  std::string iv;
  ASSERT_TRUE(CdnIvAt(kIv, 0x123450, &iv).ok());
  EXPECT_EQ(iv, std::string("0123456789ab") + std::string("\x00\x01\x23\x45", 4));
}

TEST(CdnCipherTest, PiecesDecryptLikeTheWholeFile) {
  std::string plain(300 * 1024, '\0');
  for (size_t i = 0; i < plain.size(); ++i) plain[i] = static_cast<char>(i * 7 + i / 251);
  std::string whole = plain;
  ASSERT_TRUE(CdnCrypt(kKey, kIv, 0, whole).ok());
  EXPECT_NE(whole, plain);
  // A piece at any offset (a multiple of 16) decrypts alone.
  const int64_t at = 128 * 1024 + 4096;
  std::string piece = whole.substr(at, 70000);
  ASSERT_TRUE(CdnCrypt(kKey, kIv, at, piece).ok());
  EXPECT_EQ(piece, plain.substr(at, 70000));
}

TEST(CdnCipherTest, RefusesBadInput) {
  std::string data = "abc";
  EXPECT_FALSE(CdnCrypt(std::string(31, 'k'), kIv, 0, data).ok());
  EXPECT_FALSE(CdnCrypt(kKey, "short", 0, data).ok());
  EXPECT_FALSE(CdnCrypt(kKey, kIv, 8, data).ok());
  EXPECT_FALSE(CdnCrypt(kKey, kIv, -16, data).ok());
  EXPECT_FALSE(CdnCrypt(kKey, kIv, int64_t{1} << 40, data).ok());
}

}  // namespace
}  // namespace tgrpc::mtproto::crypto
