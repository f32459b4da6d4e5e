#include "mtproto/crypto/auth_key.h"

#include <vector>

#include "gtest/gtest.h"
#include "mtproto/crypto/crypto_test_util.h"
#include "mtproto/crypto/sample_vectors.h"

namespace tgrpc::mtproto::crypto {
namespace {

using ::tgrpc::mtproto::crypto::testing::HexBytes;
using ::tgrpc::mtproto::crypto::testing::NormalizedHex;
using ::tgrpc::mtproto::crypto::testing::ToHex;

TEST(AuthKeyTest, SampleKeyIdAndAuxHash) {
  auto key = AuthKey::FromBytes(HexBytes(testing::samples::kAuthKey));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(ToHex(key->id_bytes()), NormalizedHex(testing::samples::kAuthKeyId));
  EXPECT_EQ(key->id(), 0x4e78ef50338b5865ULL);
  EXPECT_EQ(ToHex(key->aux_hash()), NormalizedHex(testing::samples::kAuxHash));
}

TEST(AuthKeyTest, RejectsWrongSize) {
  EXPECT_FALSE(AuthKey::FromBytes(std::vector<uint8_t>(255)).ok());
  EXPECT_FALSE(AuthKey::FromBytes(std::vector<uint8_t>(257)).ok());
}

TEST(AuthKeyTest, Equality) {
  AuthKey::Bytes bytes{};
  bytes[0] = 1;
  const AuthKey a(bytes);
  bytes[255] = 1;
  const AuthKey b(bytes);
  EXPECT_EQ(a, a);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace tgrpc::mtproto::crypto
