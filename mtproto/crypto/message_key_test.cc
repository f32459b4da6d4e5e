#include "mtproto/crypto/message_key.h"

#include "gtest/gtest.h"
#include "mtproto/crypto/crypto_test_util.h"
#include "mtproto/crypto/sample_vectors.h"

namespace tgrpc::mtproto::crypto {
namespace {

using ::tgrpc::mtproto::crypto::testing::HexBytes;
using ::tgrpc::mtproto::crypto::testing::ToHex;

// From testdata/packet_vectors.py (an independent implementation): the plaintext of a ping
// under the sample auth key, and what each direction derives from it.
constexpr char kPlaintext[] =
    "efcdab89674523018877665544332211040000004fdcc565010000000c000000ec77be7a0102030405060708"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3";

struct Expected {
  Role sender;
  const char* msg_key;
  const char* key;
  const char* iv;
};

constexpr Expected kExpected[] = {
    {Role::kClient, "a2ff186b66ce80a97f490bb1cf7d91c9",
     "26571103220c855240f192efddac9eb2b72fed45948eb3fcc565caa4a0392bc5",
     "f5a1a6095c6743feb2c2c9b69120a99d298becd02b92972b7871302ea6dd374d"},
    {Role::kServer, "1494d2cb2f43d05548b4a1f8a0374951",
     "8699e2a813208703fd3be1f9a2a5f5c6e347667cd284d5e57d3d539fb56d6fa2",
     "78c40b96c7eb8f53d1fb2becd0547d18ed2b6db9bc8ed05faf815cfedc2138d4"},
};

TEST(MessageKeyTest, MatchesIndependentImplementation) {
  const AuthKey auth_key = *AuthKey::FromBytes(HexBytes(testing::samples::kAuthKey));
  for (const Expected& expected : kExpected) {
    const MsgKey msg_key = ComputeMsgKey(auth_key, expected.sender, HexBytes(kPlaintext));
    EXPECT_EQ(ToHex(msg_key), expected.msg_key);
    const MessageAesKey aes_key = DeriveMessageAesKey(auth_key, expected.sender, msg_key);
    EXPECT_EQ(ToHex(aes_key.key), expected.key);
    EXPECT_EQ(ToHex(aes_key.iv), expected.iv);
  }
}

}  // namespace
}  // namespace tgrpc::mtproto::crypto
