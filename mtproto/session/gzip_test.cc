#include "mtproto/session/gzip.h"

#include <zlib.h>

#include <string>

#include "gtest/gtest.h"

namespace tgrpc::mtproto::session {
namespace {

std::string Sample() {
  std::string s;
  for (int i = 0; i < 1000; ++i) s += "telegram mtproto session " + std::to_string(i % 17);
  return s;
}

std::string ZlibCompress(const std::string& data) {
  uLongf size = compressBound(data.size());
  std::string out(size, '\0');
  EXPECT_EQ(compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                      reinterpret_cast<const Bytef*>(data.data()), data.size(), 6),
            Z_OK);
  out.resize(size);
  return out;
}

TEST(GzipTest, RoundTrip) {
  const std::string data = Sample();
  auto packed = GzipCompress(data);
  ASSERT_TRUE(packed.ok()) << packed.status();
  EXPECT_LT(packed->size(), data.size() / 4);
  EXPECT_EQ(static_cast<uint8_t>((*packed)[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<uint8_t>((*packed)[1]), 0x8b);
  auto inflated = Inflate(*packed, data.size());
  ASSERT_TRUE(inflated.ok()) << inflated.status();
  EXPECT_EQ(*inflated, data);
}

TEST(GzipTest, InflatesZlibStreams) {
  const std::string data = Sample();
  const std::string zlib = ZlibCompress(data);
  ASSERT_EQ(static_cast<uint8_t>(zlib[0]), 0x78);  // zlib header, as mtcute sends
  auto inflated = Inflate(zlib, 1 << 20);
  ASSERT_TRUE(inflated.ok()) << inflated.status();
  EXPECT_EQ(*inflated, data);
}

TEST(GzipTest, EmptyInput) {
  auto packed = GzipCompress("");
  ASSERT_TRUE(packed.ok());
  auto inflated = Inflate(*packed, 10);
  ASSERT_TRUE(inflated.ok()) << inflated.status();
  EXPECT_EQ(*inflated, "");
}

TEST(GzipTest, SizeLimitStopsBombs) {
  const std::string zeros(10 << 20, '\0');
  auto packed = GzipCompress(zeros);
  ASSERT_TRUE(packed.ok());
  EXPECT_LT(packed->size(), 64u << 10);
  EXPECT_EQ(Inflate(*packed, 1 << 20).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Inflate(*packed, zeros.size()).ok());
  EXPECT_EQ(Inflate(*packed, zeros.size() - 1).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(GzipTest, RejectsCorruptAndTruncatedStreams) {
  auto packed = GzipCompress(Sample());
  ASSERT_TRUE(packed.ok());
  EXPECT_EQ(Inflate(packed->substr(0, packed->size() / 2), 1 << 20).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::string corrupt = *packed;
  corrupt[corrupt.size() / 2] ^= 0x55;
  corrupt[corrupt.size() / 2 + 1] ^= 0x55;
  EXPECT_FALSE(Inflate(corrupt, 1 << 20).ok());
  EXPECT_EQ(Inflate("not compressed at all", 1 << 20).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Inflate("", 1 << 20).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tgrpc::mtproto::session
