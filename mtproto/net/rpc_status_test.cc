#include "mtproto/net/rpc_status.h"

#include "gtest/gtest.h"

namespace tgrpc::mtproto::net {
namespace {

TEST(RpcStatusTest, RoundTrip) {
  const session::RpcError error = session::ParseRpcError(420, "FLOOD_WAIT_42");
  const absl::Status status = RpcErrorToStatus(error);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(), "FLOOD_WAIT_42");
  std::optional<session::RpcError> back = RpcErrorOf(status);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, error);
  EXPECT_EQ(back->type, "FLOOD_WAIT");
  EXPECT_EQ(back->argument, 42);
}

TEST(RpcStatusTest, Codes) {
  EXPECT_EQ(RpcErrorStatusCode(303), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(RpcErrorStatusCode(400), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RpcErrorStatusCode(401), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(RpcErrorStatusCode(403), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(RpcErrorStatusCode(406), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(RpcErrorStatusCode(500), absl::StatusCode::kUnavailable);
  EXPECT_EQ(RpcErrorStatusCode(-503), absl::StatusCode::kUnavailable);
  EXPECT_EQ(RpcErrorStatusCode(418), absl::StatusCode::kUnknown);
}

TEST(RpcStatusTest, OtherStatusesCarryNoRpcError) {
  EXPECT_FALSE(RpcErrorOf(absl::OkStatus()).has_value());
  EXPECT_FALSE(RpcErrorOf(absl::InvalidArgumentError("PEER_ID_INVALID")).has_value());
}

}  // namespace
}  // namespace tgrpc::mtproto::net
