#include "tests/fakedc/faults.h"

#include "gtest/gtest.h"

namespace tgrpc::fakedc {
namespace {

TEST(FaultFlagsTest, ParsesEverySettingAndPrintsThemBack) {
  absl::StatusOr<FaultOptions> parsed = ParseFaultFlags(
      "--drop_after_packets=4 --bad_salt_packets=2\n--delay_ms=30 --update_gaps=1 "
      "--updates_too_long=5 --fault_dcs=2,3 --fault_connections=7");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->drop_after_packets, 4);
  EXPECT_EQ(parsed->bad_salt_packets, 2);
  EXPECT_EQ(parsed->delay_ms, 30);
  EXPECT_EQ(parsed->update_gaps, 1);
  EXPECT_EQ(parsed->updates_too_long, 5);
  EXPECT_EQ(parsed->dc_ids, (std::vector<int>{2, 3}));
  EXPECT_EQ(parsed->connection_ids, (std::vector<int64_t>{7}));
  absl::StatusOr<FaultOptions> again = ParseFaultFlags(FaultFlags(*parsed));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *parsed);
}

TEST(FaultFlagsTest, SettingsNotNamedKeepTheBase) {
  FaultOptions base;
  base.delay_ms = 10;
  base.dc_ids = {1};
  absl::StatusOr<FaultOptions> parsed = ParseFaultFlags("--bad_salt_packets=1", base);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->delay_ms, 10);
  EXPECT_EQ(parsed->dc_ids, std::vector<int>{1});
  EXPECT_EQ(parsed->bad_salt_packets, 1);
  // An empty list clears the filter.
  parsed = ParseFaultFlags("--fault_dcs=", base);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->dc_ids.empty());
}

TEST(FaultFlagsTest, BadInputIsNamed) {
  for (const char* text : {"--delay_ms=-1", "--delay_ms=x", "--fault_dcs=1,zero", "--fault_dcs=0",
                           "--bogus=1", "delay_ms=5", "--delay_ms"}) {
    absl::StatusOr<FaultOptions> parsed = ParseFaultFlags(text);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
  EXPECT_TRUE(IsFaultFlag("updates_too_long"));
  EXPECT_FALSE(IsFaultFlag("verbose"));
}

TEST(FaultInjectorTest, FiltersByDcAndConnection) {
  FaultOptions options;
  options.bad_salt_packets = 2;
  options.delay_ms = 40;
  options.drop_after_packets = 3;
  options.dc_ids = {2};
  options.connection_ids = {5};
  FaultInjector faults(options);
  EXPECT_FALSE(faults.TakeBadSalt(1, 5));  // other DC: not counted
  EXPECT_FALSE(faults.TakeBadSalt(2, 4));  // other connection
  EXPECT_EQ(faults.delay_ms(2, 4), 0);
  EXPECT_EQ(faults.delay_ms(2, 5), 40);
  EXPECT_FALSE(faults.DropAfter(2, 5, 2));
  EXPECT_TRUE(faults.DropAfter(2, 5, 3));
  EXPECT_FALSE(faults.DropAfter(3, 5, 3));
  EXPECT_TRUE(faults.TakeBadSalt(2, 5));
  EXPECT_TRUE(faults.TakeBadSalt(2, 5));
  EXPECT_FALSE(faults.TakeBadSalt(2, 5));  // both used
  EXPECT_EQ(faults.options().bad_salt_packets, 0);
}

TEST(FaultInjectorTest, PushFaultsCountPerHomeDc) {
  FaultOptions options;
  options.update_gaps = 1;
  options.updates_too_long = 1;
  options.dc_ids = {1};
  options.connection_ids = {99};  // does not limit pushes
  FaultInjector faults(options);
  EXPECT_FALSE(faults.TakeUpdateGap(2));
  EXPECT_FALSE(faults.TakeUpdatesTooLong(2));
  EXPECT_TRUE(faults.TakeUpdateGap(1));
  EXPECT_FALSE(faults.TakeUpdateGap(1));
  EXPECT_TRUE(faults.TakeUpdatesTooLong(1));
  EXPECT_FALSE(faults.TakeUpdatesTooLong(1));
}

}  // namespace
}  // namespace tgrpc::fakedc
