#include "mtproto/session/rpc_error.h"

#include "gtest/gtest.h"

namespace tgrpc::mtproto::session {
namespace {

TEST(RpcErrorTest, FloodWait) {
  const RpcError error = ParseRpcError(420, "FLOOD_WAIT_42");
  EXPECT_EQ(error.code, 420);
  EXPECT_EQ(error.message, "FLOOD_WAIT_42");
  EXPECT_EQ(error.type, "FLOOD_WAIT");
  EXPECT_EQ(error.argument, 42);
  EXPECT_EQ(error.pattern, "FLOOD_WAIT_%d");
}

TEST(RpcErrorTest, PhoneMigrate) {
  const RpcError error = ParseRpcError(303, "PHONE_MIGRATE_2");
  EXPECT_EQ(error.type, "PHONE_MIGRATE");
  EXPECT_EQ(error.argument, 2);
  EXPECT_EQ(error.pattern, "PHONE_MIGRATE_%d");
}

TEST(RpcErrorTest, NoArgument) {
  const RpcError error = ParseRpcError(401, "AUTH_KEY_UNREGISTERED");
  EXPECT_EQ(error.code, 401);
  EXPECT_EQ(error.type, "AUTH_KEY_UNREGISTERED");
  EXPECT_FALSE(error.argument.has_value());
  EXPECT_EQ(error.pattern, "AUTH_KEY_UNREGISTERED");
}

TEST(RpcErrorTest, ArgumentInTheMiddle) {
  const RpcError error = ParseRpcError(400, "FILE_PART_3_MISSING");
  EXPECT_EQ(error.type, "FILE_PART_MISSING");
  EXPECT_EQ(error.argument, 3);
  EXPECT_EQ(error.pattern, "FILE_PART_%d_MISSING");
}

TEST(RpcErrorTest, ArgumentWithUnit) {
  const RpcError error = ParseRpcError(406, "PREVIOUS_CHAT_IMPORT_ACTIVE_WAIT_5MIN");
  EXPECT_EQ(error.type, "PREVIOUS_CHAT_IMPORT_ACTIVE_WAIT_MIN");
  EXPECT_EQ(error.argument, 5);
  EXPECT_EQ(error.pattern, "PREVIOUS_CHAT_IMPORT_ACTIVE_WAIT_%dMIN");
}

TEST(RpcErrorTest, DigitsThatAreNotArguments) {
  // A leading word and letters before digits belong to the type.
  EXPECT_EQ(ParseRpcError(420, "2FA_CONFIRM_WAIT_60").type, "2FA_CONFIRM_WAIT");
  EXPECT_EQ(ParseRpcError(420, "2FA_CONFIRM_WAIT_60").argument, 60);
  const RpcError invalid2 = ParseRpcError(400, "AUTH_TOKEN_INVALID2");
  EXPECT_EQ(invalid2.type, "AUTH_TOKEN_INVALID2");
  EXPECT_FALSE(invalid2.argument.has_value());
  EXPECT_EQ(ParseRpcError(500, "").type, "");
  EXPECT_FALSE(ParseRpcError(400, "X_99999999999999999999").argument.has_value());
}

}  // namespace
}  // namespace tgrpc::mtproto::session
