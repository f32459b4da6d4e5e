#include "service/telegram/dc_options.h"

#include "gtest/gtest.h"

namespace tgrpc::service {
namespace {

// Telegram publishes its keys with their fingerprints (core.telegram.org/mtproto/auth_key):
// the built-in moduli must hash to exactly those.
TEST(DcOptionsTest, BuiltInKeysHaveTelegramsPublishedFingerprints) {
  DcTable production = ProductionDcs();
  ASSERT_EQ(production.keys.size(), 1u);
  EXPECT_EQ(production.keys[0].fingerprint(), 0xd09d1d85de64fd85ULL);
  EXPECT_EQ(production.keys[0].modulus_size(), 256u);
  DcTable test = TestDcs();
  ASSERT_EQ(test.keys.size(), 1u);
  EXPECT_EQ(test.keys[0].fingerprint(), 0xb25898df208d2603ULL);
  EXPECT_TRUE(test.test_mode);
  EXPECT_FALSE(production.test_mode);
}

TEST(DcOptionsTest, ProductionHasFiveDcs) {
  DcTable production = ProductionDcs();
  EXPECT_EQ(production.dcs.size(), 5u);
  EXPECT_EQ(production.dcs.at(2).host, "149.154.167.51");
  EXPECT_EQ(production.dcs.at(2).port, 443);
}

TEST(DcOptionsTest, SandboxListIsParsedAndBadOnesRefused) {
  absl::StatusOr<std::string> pem_or = TestDcs().keys[0].ToPem();
  ASSERT_TRUE(pem_or.ok()) << pem_or.status();
  const std::string pem = *pem_or;
  absl::StatusOr<DcTable> table = SandboxDcs("1=127.0.0.1:4431, 2=127.0.0.1:4432", pem);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->dcs.size(), 2u);
  EXPECT_EQ(table->dcs.at(2).port, 4432);
  EXPECT_EQ(table->default_dc, 2);
  // The test key in PEM form has the published test fingerprint too.
  EXPECT_EQ(table->keys[0].fingerprint(), 0xb25898df208d2603ULL);
  EXPECT_FALSE(SandboxDcs("1=127.0.0.1", pem).ok());
  EXPECT_FALSE(SandboxDcs("x=127.0.0.1:1", pem).ok());
  EXPECT_FALSE(SandboxDcs("1=127.0.0.1:70000", pem).ok());
  EXPECT_FALSE(SandboxDcs("", pem).ok());
  EXPECT_FALSE(SandboxDcs("1=127.0.0.1:1", "not a key").ok());
}

}  // namespace
}  // namespace tgrpc::service
