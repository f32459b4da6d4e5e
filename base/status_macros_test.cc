#include "base/status_macros.h"

#include <memory>
#include <utility>

#include "gtest/gtest.h"

namespace tgrpc::base {
namespace {

absl::Status FailIfNegative(int v) {
  return v < 0 ? absl::InvalidArgumentError("negative") : absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<int>> Boxed(int v) {
  if (v < 0) return absl::OutOfRangeError("no box for negatives");
  return std::make_unique<int>(v);
}

absl::Status Checks(int v, int* reached) {
  TGRPC_RETURN_IF_ERROR(FailIfNegative(v));
  ++*reached;
  return absl::OkStatus();
}

// Two expansions in one scope, and a move-only value.
absl::StatusOr<int> Sum(int a, int b) {
  TGRPC_ASSIGN_OR_RETURN(std::unique_ptr<int> x, Boxed(a));
  TGRPC_ASSIGN_OR_RETURN(std::unique_ptr<int> y, Boxed(b));
  return *x + *y;
}

TEST(StatusMacrosTest, ReturnIfErrorStopsAtTheFirstError) {
  int reached = 0;
  EXPECT_TRUE(Checks(1, &reached).ok());
  EXPECT_EQ(reached, 1);
  EXPECT_EQ(Checks(-1, &reached).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(reached, 1);
}

TEST(StatusMacrosTest, AssignOrReturnAssignsOrPassesTheErrorOn) {
  EXPECT_EQ(*Sum(2, 3), 5);
  EXPECT_EQ(Sum(2, -3).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Sum(-2, 3).status().message(), "no box for negatives");
}

}  // namespace
}  // namespace tgrpc::base
