#include "mtproto/crypto/random_source.h"

#include <array>

#include "gtest/gtest.h"

namespace tgrpc::mtproto::crypto {
namespace {

TEST(SecureRandomTest, FillsBuffersWithDifferentBytes) {
  RandomSource random = SecureRandom();
  std::array<uint8_t, 32> a{};
  std::array<uint8_t, 32> b{};
  random(absl::MakeSpan(a));
  random(absl::MakeSpan(b));
  EXPECT_NE(a, b);
  random(absl::Span<uint8_t>());  // An empty request is allowed.
}

}  // namespace
}  // namespace tgrpc::mtproto::crypto
