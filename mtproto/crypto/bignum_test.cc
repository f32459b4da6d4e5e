#include "mtproto/crypto/bignum.h"

#include <vector>

#include "gtest/gtest.h"
#include "mtproto/crypto/crypto_test_util.h"

namespace tgrpc::mtproto::crypto {
namespace {

using ::tgrpc::mtproto::crypto::testing::HexBytes;
using ::tgrpc::mtproto::crypto::testing::ToHex;

TEST(BignumTest, RoundTripsWithPadding) {
  auto bn = BignumFromBytes(HexBytes("000102ff"));
  ASSERT_TRUE(bn.ok());
  EXPECT_EQ(ToHex(BignumToMinimalBytes(bn->get())), "0102ff");
  std::vector<uint8_t> padded(6);
  ASSERT_TRUE(BignumToBytes(bn->get(), absl::MakeSpan(padded)).ok());
  EXPECT_EQ(ToHex(padded), "0000000102ff");
  std::vector<uint8_t> small(2);
  EXPECT_EQ(BignumToBytes(bn->get(), absl::MakeSpan(small)).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BignumTest, ZeroIsEmptyWhenMinimal) {
  auto zero = BignumFromBytes({});
  ASSERT_TRUE(zero.ok());
  EXPECT_TRUE(BignumToMinimalBytes(zero->get()).empty());
}

TEST(BignumTest, OpenSslErrorIsInternal) {
  EXPECT_EQ(OpenSslError("x").code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace tgrpc::mtproto::crypto
