// FLOOD_WAIT limits (flood.h): the sliding window, the wait it answers, per-account counting
// and the --flood flag's syntax. Time is passed in, so nothing sleeps.
#include "tests/fakedc/flood.h"

#include "gtest/gtest.h"
#include "tests/fakedc/rpc.h"

namespace tgrpc::fakedc {
namespace {

constexpr char kSend[] = "messages.sendMessage";

std::string ErrorOf(const absl::Status& status) {
  if (status.ok()) return "";
  auto [code, message] = ToRpcError(status);
  return std::to_string(code) + " " + message;
}

TEST(FloodControlTest, CallsOverTheLimitWaitForTheWindow) {
  FloodControl flood;
  flood.SetLimit(kSend, {3, 10});
  const FloodControl::Account alice{1, 0};
  EXPECT_TRUE(flood.Check(kSend, alice, 100).ok());
  EXPECT_TRUE(flood.Check(kSend, alice, 102).ok());
  EXPECT_TRUE(flood.Check(kSend, alice, 104).ok());
  // The first call leaves the window at 110.
  EXPECT_EQ(ErrorOf(flood.Check(kSend, alice, 104)), "420 FLOOD_WAIT_6");
  EXPECT_EQ(ErrorOf(flood.Check(kSend, alice, 109)), "420 FLOOD_WAIT_1");
  EXPECT_TRUE(flood.Check(kSend, alice, 110).ok());
  // Refused calls were not counted: the next wait is for the call at 102.
  EXPECT_EQ(ErrorOf(flood.Check(kSend, alice, 110)), "420 FLOOD_WAIT_2");
}

TEST(FloodControlTest, AccountsAndMethodsCountApart) {
  FloodControl flood;
  flood.SetLimit(kSend, {1, 60});
  const FloodControl::Account alice{1, 0};
  const FloodControl::Account bob{2, 0};
  const FloodControl::Account key{0, 0xabc};
  EXPECT_TRUE(flood.Check(kSend, alice, 0).ok());
  EXPECT_TRUE(flood.Check(kSend, bob, 0).ok());
  EXPECT_TRUE(flood.Check(kSend, key, 0).ok());
  EXPECT_EQ(ErrorOf(flood.Check(kSend, alice, 0)), "420 FLOOD_WAIT_60");
  // Methods without a limit are never refused.
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(flood.Check("messages.getHistory", alice, 0).ok());
}

TEST(FloodControlTest, ChangingOrRemovingALimitForgetsItsCalls) {
  FloodControl flood;
  flood.SetLimit(kSend, {1, 60});
  const FloodControl::Account alice{1, 0};
  EXPECT_TRUE(flood.Check(kSend, alice, 0).ok());
  EXPECT_FALSE(flood.Check(kSend, alice, 1).ok());
  flood.SetLimit(kSend, {0, 0});
  EXPECT_TRUE(flood.limits().empty());
  EXPECT_TRUE(flood.Check(kSend, alice, 1).ok());
  flood.SetLimit(kSend, {1, 60});
  EXPECT_TRUE(flood.Check(kSend, alice, 2).ok());
  EXPECT_EQ(ErrorOf(flood.Check(kSend, alice, 2)), "420 FLOOD_WAIT_60");
  flood.SetLimits({});
  EXPECT_TRUE(flood.Check(kSend, alice, 2).ok());
}

TEST(FloodControlTest, ParsesTheFlag) {
  absl::StatusOr<FloodLimits> limits =
      ParseFloodLimits("messages.sendMessage:5/10, auth.sendCode:3/60");
  ASSERT_TRUE(limits.ok()) << limits.status();
  EXPECT_EQ(*limits, (FloodLimits{{"auth.sendCode", {3, 60}}, {"messages.sendMessage", {5, 10}}}));
  EXPECT_TRUE(ParseFloodLimits("")->empty());
  for (const char* bad :
       {"messages.sendMessage", "messages.sendMessage:5", ":5/10", "messages.sendMessage:0/10",
        "messages.sendMessage:5/-1", "messages.sendMessage:x/10", "messages.sendMessage:5/10/2"}) {
    EXPECT_FALSE(ParseFloodLimits(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace tgrpc::fakedc
