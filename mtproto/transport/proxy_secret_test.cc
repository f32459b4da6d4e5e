#include "mtproto/transport/proxy_secret.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace tgrpc::mtproto::transport {
namespace {

TEST(ProxySecretTest, PlainSecret) {
  absl::StatusOr<ProxySecret> secret = ParseProxySecret("0123456789abcdefFEDCBA9876543210");
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(secret->key, absl::HexStringToBytes("0123456789abcdeffedcba9876543210"));
  EXPECT_FALSE(secret->padded);
}

TEST(ProxySecretTest, PlainSecretMayStartWithDdOrEe) {
  absl::StatusOr<ProxySecret> dd = ParseProxySecret("dd23456789abcdef0123456789abcdef");
  ASSERT_TRUE(dd.ok());
  EXPECT_FALSE(dd->padded);
  EXPECT_EQ(static_cast<uint8_t>(dd->key[0]), 0xdd);
  EXPECT_TRUE(ParseProxySecret("ee23456789abcdef0123456789abcdef").ok());
}

TEST(ProxySecretTest, DdPrefixMeansPadded) {
  absl::StatusOr<ProxySecret> secret = ParseProxySecret("dd0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_TRUE(secret->padded);
  EXPECT_EQ(secret->key, absl::HexStringToBytes("0123456789abcdef0123456789abcdef"));
}

TEST(ProxySecretTest, FakeTlsIsUnimplemented) {
  EXPECT_EQ(
      ParseProxySecret("ee0123456789abcdef0123456789abcdef6578616d706c652e636f6d").status().code(),
      absl::StatusCode::kUnimplemented);
}

TEST(ProxySecretTest, Malformed) {
  EXPECT_EQ(ParseProxySecret("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseProxySecret("0123").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseProxySecret("zz23456789abcdef0123456789abcdef").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseProxySecret("ab0123456789abcdef0123456789abcdef").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tgrpc::mtproto::transport
