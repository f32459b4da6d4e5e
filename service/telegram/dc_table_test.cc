#include "service/telegram/dc_table.h"

#include <memory>

#include "gtest/gtest.h"

namespace tgrpc::service {
namespace {

namespace api = tl::api;

struct Option {
  int id;
  std::string ip;
  int port;
  bool ipv6 = false;
  bool media_only = false;
  bool cdn = false;
  bool tcpo_only = false;
  std::optional<std::string> secret;
};

api::config ConfigOf(const std::vector<Option>& options) {
  api::config config;
  config.date = 1'700'000'000;
  config.expires = config.date + 3600;
  for (const Option& o : options) {
    auto option = std::make_unique<api::dcOption>();
    option->id = o.id;
    option->ip_address = o.ip;
    option->port = o.port;
    option->ipv6 = o.ipv6;
    option->media_only = o.media_only;
    option->cdn = o.cdn;
    option->tcpo_only = o.tcpo_only;
    option->secret = o.secret;
    config.dc_options.push_back(std::move(option));
  }
  return config;
}

std::string MainOf(const DcAddressTable& table, int dc) {
  std::optional<DcEndpoint> main = table.Main(dc);
  return main.has_value() ? DcEndpointString(*main) : "none";
}

DcAddressTable BuiltIn() { return DcAddressTable({{2, {"10.0.0.2", 443}}}); }

TEST(DcAddressTableTest, StartsWithTheBuiltInList) {
  DcAddressTable table = BuiltIn();
  EXPECT_EQ(MainOf(table, 2), "10.0.0.2:443");
  EXPECT_EQ(MainOf(table, 1), "none");
  EXPECT_EQ(table.Dcs(), std::vector<int>{2});
  EXPECT_TRUE(table.Media(2).empty());
}

TEST(DcAddressTableTest, TheConfigAddsAndMovesDcsAndPrefersPlainIpv4) {
  DcAddressTable table = BuiltIn();
  DcAddressTable::Applied applied = table.Apply(ConfigOf({
      {1, "2001:db8::1", 443, /*ipv6=*/true},
      {1, "10.0.1.9", 8443, false, /*media_only=*/true},
      {1, "10.0.1.7", 80, false, false, false, /*tcpo_only=*/true, std::string(16, 'x')},
      {1, "10.0.1.1", 443},
      {2, "10.0.2.2", 443, false, false, /*cdn=*/true},
      {2, "10.0.2.1", 443},
      {2, "10.0.2.5", 443, false, /*media_only=*/true},
  }));
  EXPECT_EQ(applied.used, 7);
  EXPECT_EQ(applied.ignored, 0);
  EXPECT_EQ(applied.changes, (std::vector<std::string>{"DC 1 added at 10.0.1.1:443",
                                                       "DC 2 moved from 10.0.0.2:443 to "
                                                       "10.0.2.1:443"}));
  EXPECT_EQ(applied.moved, std::vector<int>{2});
  EXPECT_EQ(MainOf(table, 1), "10.0.1.1:443");
  EXPECT_EQ(MainOf(table, 2), "10.0.2.1:443");
  EXPECT_EQ(table.Dcs(), (std::vector<int>{1, 2}));
  ASSERT_EQ(table.Media(1).size(), 1u);
  EXPECT_EQ(DcEndpointString(table.Media(1)[0].endpoint), "10.0.1.9:8443");
  EXPECT_EQ(table.Listed(1).size(), 4u);
  EXPECT_EQ(table.Listed(1)[2].secret, std::string(16, 'x'));
  // The same config again changes nothing.
  EXPECT_TRUE(table.Apply(ConfigOf({{2, "10.0.2.1", 443}})).changes.empty());
}

TEST(DcAddressTableTest, GarbageEntriesAreIgnoredAndNeverWipeTheTable) {
  DcAddressTable table = BuiltIn();
  ASSERT_EQ(table.Apply(ConfigOf({{3, "10.0.3.1", 443}})).used, 1);
  api::config garbage = ConfigOf({
      {2, "", 443},
      {2, "not an address", 443},
      {2, "10.0.2.300", 443},
      {2, "0.0.0.0", 443},
      {2, "10.0.2.1", 0},
      {2, "10.0.2.1", 70000},
      {2, "10.0.2.1", -1},
      {0, "10.0.0.1", 443},
      {-4, "10.0.0.1", 443},
      {10002, "10.0.0.1", 443},
      {3, "10.0.3.9", 443, /*ipv6=*/true},  // an IPv4 address flagged IPv6
      {3, "::", 443, /*ipv6=*/true},
  });
  garbage.dc_options.push_back(nullptr);
  DcAddressTable::Applied applied = table.Apply(garbage);
  EXPECT_EQ(applied.used, 0);
  EXPECT_EQ(applied.ignored, 13);
  EXPECT_TRUE(applied.changes.empty());
  EXPECT_EQ(MainOf(table, 2), "10.0.0.2:443");
  EXPECT_EQ(MainOf(table, 3), "10.0.3.1:443");

  // An empty config keeps everything too.
  EXPECT_EQ(table.Apply(ConfigOf({})).used, 0);
  EXPECT_EQ(table.Dcs(), (std::vector<int>{2, 3}));

  // Good entries among bad ones are taken.
  applied = table.Apply(ConfigOf({{4, "bad", 443}, {4, "10.0.4.1", 443}}));
  EXPECT_EQ(applied.used, 1);
  EXPECT_EQ(applied.ignored, 1);
  EXPECT_EQ(MainOf(table, 4), "10.0.4.1:443");
}

TEST(DcAddressTableTest, ADcLeftWithoutAPlainAddressKeepsItsOldOne) {
  DcAddressTable table = BuiltIn();
  ASSERT_EQ(table.Apply(ConfigOf({{3, "10.0.3.1", 443}})).used, 1);
  // Only a media address for DC 3 now: its main address stays.
  table.Apply(ConfigOf({{3, "10.0.3.9", 443, false, /*media_only=*/true}}));
  EXPECT_EQ(MainOf(table, 3), "10.0.3.1:443");
  // DC 2 with only a media address falls back to the built-in one, and keeps the media one.
  table.Apply(ConfigOf({{2, "10.0.2.9", 443, false, /*media_only=*/true}}));
  EXPECT_EQ(MainOf(table, 2), "10.0.0.2:443");
  EXPECT_EQ(table.Media(2).size(), 1u);
}

TEST(DcAddressTableTest, Ipv6OnlyWhenNothingElse) {
  DcAddressTable table = BuiltIn();
  table.Apply(ConfigOf({{2, "2001:db8::2", 443, true}, {5, "2001:db8::5", 443, true}}));
  EXPECT_EQ(MainOf(table, 2), "10.0.0.2:443");
  EXPECT_EQ(MainOf(table, 5), "[2001:db8::5]:443");
}

TEST(DcAddressTableTest, CdnDcsHaveOnlyTheirCdnAddress) {
  DcAddressTable table = BuiltIn();
  table.Apply(ConfigOf({{203, "2001:db8::cd", 443, true, false, /*cdn=*/true},
                        {203, "10.0.203.1", 8443, false, false, /*cdn=*/true},
                        {204, "10.0.204.1", 443, false, false, true, false, "secret"}}));
  // A CDN DC is no main DC: only CDN calls go there, IPv4 first, never through a secret.
  EXPECT_EQ(MainOf(table, 203), "none");
  EXPECT_EQ(table.Dcs(), std::vector<int>{2});
  ASSERT_TRUE(table.Cdn(203).has_value());
  EXPECT_EQ(DcEndpointString(*table.Cdn(203)), "10.0.203.1:8443");
  EXPECT_FALSE(table.Cdn(204).has_value());
  EXPECT_FALSE(table.Cdn(2).has_value());
}

}  // namespace
}  // namespace tgrpc::service
