#include "service/storage/future_salts_blob.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tgrpc::service {
namespace {

TEST(FutureSaltsBlobTest, TwentyFourLittleEndianBytesPerSalt) {
  const std::vector<FutureSaltRecord> salts = {
      {0x0102030405060708, 0x1112131415161718, 0x2122232425262728},
      {-1, std::numeric_limits<int64_t>::max(), std::numeric_limits<uint64_t>::max()},
  };
  const std::string blob = EncodeFutureSalts(salts);
  const std::string expected = std::string(
                                   "\x08\x07\x06\x05\x04\x03\x02\x01"
                                   "\x18\x17\x16\x15\x14\x13\x12\x11"
                                   "\x28\x27\x26\x25\x24\x23\x22\x21",
                                   24) +
                               std::string(8, '\xff') + std::string(7, '\xff') + '\x7f' +
                               std::string(8, '\xff');
  EXPECT_EQ(blob, expected);
  absl::StatusOr<std::vector<FutureSaltRecord>> decoded = DecodeFutureSalts(blob);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, salts);
}

TEST(FutureSaltsBlobTest, NoneIsEmpty) {
  EXPECT_EQ(EncodeFutureSalts({}), "");
  absl::StatusOr<std::vector<FutureSaltRecord>> decoded = DecodeFutureSalts("");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(decoded->empty());
}

TEST(FutureSaltsBlobTest, APartialSaltIsDataLoss) {
  const std::string blob = EncodeFutureSalts({{1, 2, 3}, {4, 5, 6}});
  for (size_t size : {size_t{1}, size_t{23}, size_t{25}, size_t{47}}) {
    SCOPED_TRACE(size);
    EXPECT_EQ(DecodeFutureSalts(absl::string_view(blob).substr(0, size)).status().code(),
              absl::StatusCode::kDataLoss);
  }
  EXPECT_EQ(DecodeFutureSalts(blob + "x").status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace tgrpc::service
