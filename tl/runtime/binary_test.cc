#include "tl/runtime/binary.h"

#include <string>

#include "gtest/gtest.h"

namespace tgrpc::tl {
namespace {

TEST(BinaryTest, BytesUseShortAndLongLengthFormsWithPadding) {
  for (size_t len : {0u, 1u, 3u, 4u, 253u, 254u, 255u, 1000u, 70000u}) {
    std::string out;
    Writer w(&out);
    w.Bytes(std::string(len, 'x'));
    ASSERT_EQ(out.size() % 4, 0u) << len;
    if (len < 254) {
      EXPECT_EQ(static_cast<uint8_t>(out[0]), len);
    } else {
      EXPECT_EQ(static_cast<uint8_t>(out[0]), 0xfe);
    }
    Reader r(out);
    EXPECT_EQ(r.Bytes(), std::string(len, 'x'));
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.remaining(), 0u);
  }
}

TEST(BinaryTest, TruncatedInputFailsWithoutOverRead) {
  std::string out;
  Writer w(&out);
  w.Bytes(std::string(300, 'y'));
  for (size_t cut = 0; cut < out.size(); ++cut) {
    Reader r(absl::string_view(out).substr(0, cut));
    r.Bytes();
    EXPECT_FALSE(r.ok()) << cut;
  }
  Reader r("\x01\x02");
  EXPECT_EQ(r.I64(), 0);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos);
}

TEST(BinaryTest, ForgedVectorLengthIsRejected) {
  std::string out;
  Writer w(&out);
  w.U32(kVectorId);
  w.U32(0x40000000);
  w.I32(1);
  Reader r(out);
  EXPECT_EQ(r.BoxedVectorLength(4), 0u);
  EXPECT_FALSE(r.ok());
}

TEST(BinaryTest, BoolAndUnknownBoolId) {
  std::string out;
  Writer w(&out);
  w.Bool(true);
  w.Bool(false);
  w.U32(0x12345678);
  Reader r(out);
  EXPECT_TRUE(r.Bool());
  EXPECT_FALSE(r.Bool());
  EXPECT_TRUE(r.ok());
  r.Bool();
  EXPECT_FALSE(r.ok());
}

TEST(BinaryTest, DepthLimit) {
  Reader r("");
  for (int i = 0; i < Reader::kMaxDepth; ++i) ASSERT_TRUE(r.Enter());
  EXPECT_FALSE(r.Enter());
  EXPECT_FALSE(r.ok());
}

TEST(BinaryTest, WriterKeepsFirstError) {
  Writer w;
  w.Fail("first");
  w.Fail("second");
  EXPECT_EQ(w.status().message(), "first");
}

}  // namespace
}  // namespace tgrpc::tl
