#include "service/api/request_cache.h"

#include "gtest/gtest.h"

namespace tgrpc::service {
namespace {

TEST(RequestCacheTest, RemembersFirstAnswerAndForgetsOldest) {
  RequestCache cache(2, absl::Hours(1));
  EXPECT_FALSE(cache.Find("a").has_value());
  cache.Store("a", "first");
  cache.Store("a", "second");  // the first answer stays
  EXPECT_EQ(cache.Find("a").value(), "first");
  cache.Store("b", "b");
  cache.Store("c", "c");  // over the bound: "a" goes
  EXPECT_FALSE(cache.Find("a").has_value());
  EXPECT_EQ(cache.Find("c").value(), "c");
}

TEST(RequestCacheTest, ForgetsAfterMaxAge) {
  RequestCache cache(10, absl::ZeroDuration());
  cache.Store("a", "x");
  EXPECT_FALSE(cache.Find("a").has_value());
}

}  // namespace
}  // namespace tgrpc::service
