#include "mtproto/transport/proxy_secret.h"

#include <string>

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
  absl::StatusOr<ProxySecret> ee = ParseProxySecret("ee23456789abcdef0123456789abcdef");
  ASSERT_TRUE(ee.ok());
  EXPECT_FALSE(ee->fake_tls);
  EXPECT_EQ(static_cast<uint8_t>(ee->key[0]), 0xee);
}

TEST(ProxySecretTest, DdPrefixMeansPadded) {
  absl::StatusOr<ProxySecret> secret = ParseProxySecret("dd0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_TRUE(secret->padded);
  EXPECT_EQ(secret->key, absl::HexStringToBytes("0123456789abcdef0123456789abcdef"));
}

TEST(ProxySecretTest, EePrefixMeansFakeTlsWithADomain) {
  absl::StatusOr<ProxySecret> secret =
      ParseProxySecret("ee0123456789abcdef0123456789ABCDEF6578616d706c652e636f6d");
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_TRUE(secret->fake_tls);
  EXPECT_FALSE(secret->padded);
  EXPECT_EQ(secret->key, absl::HexStringToBytes("0123456789abcdef0123456789abcdef"));
  EXPECT_EQ(secret->domain, "example.com");
}

TEST(ProxySecretTest, FakeTlsNeedsAWholeDomain) {
  // No domain, half a byte of one, and one byte over the DNS limit.
  EXPECT_EQ(ParseProxySecret("ee0123456789abcdef0123456789abcdef").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseProxySecret("ee0123456789abcdef0123456789abcdef6").status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::string longest = "ee0123456789abcdef0123456789abcdef" + std::string(2 * 253, 'a');
  EXPECT_TRUE(ParseProxySecret(longest).ok());
  EXPECT_EQ(ParseProxySecret(longest + "aa").status().code(), absl::StatusCode::kInvalidArgument);
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
