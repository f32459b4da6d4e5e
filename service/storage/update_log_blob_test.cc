#include "service/storage/update_log_blob.h"

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tgrpc::service {
namespace {

using namespace std::string_literals;

TEST(UpdateLogBlobTest, ByteStringsAreLengthPrefixedLittleEndian) {
  const std::vector<std::string> strings = {"\x01\x02\x03"s, ""s, "\0\xff"s};
  absl::StatusOr<std::string> blob = EncodeByteStrings(strings);
  ASSERT_TRUE(blob.ok()) << blob.status();
  EXPECT_EQ(*blob,
            "\x03\0\0\0\x01\x02\x03"
            "\0\0\0\0"
            "\x02\0\0\0\0\xff"s);
  absl::StatusOr<std::vector<std::string>> decoded = DecodeByteStrings(*blob);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, strings);
}

TEST(UpdateLogBlobTest, NoStringsIsEmpty) {
  EXPECT_EQ(*EncodeByteStrings({}), "");
  absl::StatusOr<std::vector<std::string>> decoded = DecodeByteStrings("");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(decoded->empty());
}

TEST(UpdateLogBlobTest, LargeStringsRoundTrip) {
  const std::vector<std::string> strings = {std::string(70000, 'u'), std::string(300, '\0')};
  absl::StatusOr<std::vector<std::string>> decoded = DecodeByteStrings(*EncodeByteStrings(strings));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, strings);
}

TEST(UpdateLogBlobTest, CutByteStringsAreDataLoss) {
  const std::string blob = *EncodeByteStrings({"abc", "de"});  // 7 + 6 bytes
  for (size_t size : {size_t{1}, size_t{3}, size_t{4}, size_t{6}, size_t{8}, size_t{12}}) {
    SCOPED_TRACE(size);
    EXPECT_EQ(DecodeByteStrings(absl::string_view(blob).substr(0, size)).status().code(),
              absl::StatusCode::kDataLoss);
  }
  EXPECT_EQ(DecodeByteStrings(blob + "x").status().code(), absl::StatusCode::kDataLoss);
  // A length near 4 GiB must not wrap around.
  EXPECT_EQ(DecodeByteStrings("\xff\xff\xff\xff"
                              "abc")
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
}

TEST(UpdateLogBlobTest, ChannelPtsAreTwelveLittleEndianBytesEach) {
  const std::map<int64_t, int32_t> channel_pts = {
      {std::numeric_limits<int64_t>::min(), -1},
      {0x0102030405060708, 0x11121314},
      {std::numeric_limits<int64_t>::max(), std::numeric_limits<int32_t>::max()},
  };
  const std::string blob = EncodeChannelPts(channel_pts);
  EXPECT_EQ(blob,
            "\0\0\0\0\0\0\0\x80\xff\xff\xff\xff"
            "\x08\x07\x06\x05\x04\x03\x02\x01\x14\x13\x12\x11"
            "\xff\xff\xff\xff\xff\xff\xff\x7f\xff\xff\xff\x7f"s);
  absl::StatusOr<std::map<int64_t, int32_t>> decoded = DecodeChannelPts(blob);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, channel_pts);
  EXPECT_EQ(EncodeChannelPts({}), "");
  EXPECT_TRUE(DecodeChannelPts("")->empty());
}

TEST(UpdateLogBlobTest, DamagedChannelPtsAreDataLoss) {
  const std::string blob = EncodeChannelPts({{5, 1}, {7, 2}});
  for (size_t size : {size_t{1}, size_t{11}, size_t{13}, size_t{23}}) {
    SCOPED_TRACE(size);
    EXPECT_EQ(DecodeChannelPts(absl::string_view(blob).substr(0, size)).status().code(),
              absl::StatusCode::kDataLoss);
  }
  // Out of order, and repeated.
  EXPECT_EQ(DecodeChannelPts(blob.substr(12) + blob.substr(0, 12)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeChannelPts(blob.substr(0, 12) + blob.substr(0, 12)).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace tgrpc::service
