#include "mtproto/crypto/message_key_v1.h"

#include <algorithm>
#include <vector>

#include "gtest/gtest.h"
#include "mtproto/crypto/crypto_test_util.h"
#include "mtproto/crypto/sample_vectors.h"

namespace tgrpc::mtproto::crypto {
namespace {

using ::tgrpc::mtproto::crypto::testing::HexBytes;
using ::tgrpc::mtproto::crypto::testing::ToHex;

// From testdata/message_key_v1_vectors.py (an independent implementation): a binding message
// (random:int128, msg_id, seqno 0, length 40, bind_auth_key_inner) under the sample auth key.
constexpr char kPlaintext[] =
    "000102030405060708090a0b0c0d0e0f0400000050dcc565000000002800000065f7a3751111111111111111"
    "222222222222222233333333333333334444444444444444"
    "55555555";
constexpr char kMsgKey[] = "9338b6d0122db845ae44d2712491be30";

TEST(MessageKeyV1Test, MsgKeyIsSha1OfPlaintext) {
  EXPECT_EQ(ToHex(ComputeMsgKeyV1(HexBytes(kPlaintext))), kMsgKey);
}

TEST(MessageKeyV1Test, MatchesIndependentImplementation) {
  const AuthKey auth_key = *AuthKey::FromBytes(HexBytes(testing::samples::kAuthKey));
  MsgKey msg_key;
  const std::vector<uint8_t> bytes = HexBytes(kMsgKey);
  std::copy(bytes.begin(), bytes.end(), msg_key.begin());

  const MessageAesKey client = DeriveMessageAesKeyV1(auth_key, Role::kClient, msg_key);
  EXPECT_EQ(ToHex(client.key), "23d14ac195ddc3fcfca7f9125bc8aba4c55faaa80f69cb72156353d9cdc9b762");
  EXPECT_EQ(ToHex(client.iv), "95e099eaf357ec4fe1cfeff1620aa4e49655088df0cb9f315ecc24dd1ea3c2c1");

  const MessageAesKey server = DeriveMessageAesKeyV1(auth_key, Role::kServer, msg_key);
  EXPECT_EQ(ToHex(server.key), "7beaecdf7a2503f0029da62c4440723dd959eb462e3def80898c5e434cac013e");
  EXPECT_EQ(ToHex(server.iv), "06c9709b1b13c78327888ed89fdd407faf6953edec82d73836a3d25c0ed9eeb5");
}

}  // namespace
}  // namespace tgrpc::mtproto::crypto
