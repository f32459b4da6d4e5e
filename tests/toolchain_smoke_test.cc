#include <openssl/sha.h>
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
TEST(Toolchain, Links) {
  absl::StatusOr<int> v = 3;
  unsigned char d[20];
  SHA1(reinterpret_cast<const unsigned char*>("abc"), 3, d);
  EXPECT_EQ(*v, 3);
  EXPECT_EQ(d[0], 0xa9);
}
