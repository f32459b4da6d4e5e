#include "base/bytes.h"

#include <array>
#include <cstdint>
#include <string>

#include "base/shared_bytes.h"
#include "gtest/gtest.h"

namespace tgrpc::base {
namespace {

TEST(BytesTest, LittleEndianLoadsReadTheLowByteFirst) {
  const std::string s("\x01\x02\x03\x04\x05\x06\x07\x88", 8);
  EXPECT_EQ(LoadLe24(s.data()), 0x030201u);
  EXPECT_EQ(LoadLe32(s.data()), 0x04030201u);
  EXPECT_EQ(LoadLe64(s.data()), 0x8807060504030201u);
  const std::array<uint8_t, 4> u = {0xef, 0xbe, 0xad, 0xde};
  EXPECT_EQ(LoadLe32(u.data()), 0xdeadbeefu);
  EXPECT_EQ(LoadBe32(u.data()), 0xefbeaddeu);
}

TEST(BytesTest, StoresAndAppendsRoundTrip) {
  std::array<uint8_t, 8> b{};
  StoreLe64(0x0123456789abcdefu, b.data());
  EXPECT_EQ(b[0], 0xef);
  EXPECT_EQ(b[7], 0x01);
  EXPECT_EQ(LoadLe64(b.data()), 0x0123456789abcdefu);
  char c[4];
  StoreLe32(0xfffefdfcu, c);
  EXPECT_EQ(LoadLe32(c), 0xfffefdfcu);

  std::string out;
  AppendLe32(0x04030201u, out);
  AppendBe32(0x04030201u, out);
  AppendLe24(0x00030201u, out);
  EXPECT_EQ(out, std::string("\x01\x02\x03\x04\x04\x03\x02\x01\x01\x02\x03", 11));
}

TEST(BytesTest, StringsAndSpansViewTheSameBytes) {
  const std::string s("\x00\xff\x7f", 3);
  const absl::Span<const uint8_t> bytes = AsBytes(s);
  ASSERT_EQ(bytes.size(), 3u);
  EXPECT_EQ(bytes.data(), reinterpret_cast<const uint8_t*>(s.data()));
  EXPECT_EQ(bytes[1], 0xff);
  EXPECT_EQ(AsString(bytes), s);
  EXPECT_EQ(AsStringView(bytes).data(), s.data());
  EXPECT_EQ(AsStringView(bytes), s);
  const std::array<uint8_t, 2> a = {'o', 'k'};
  EXPECT_EQ(AsString(a), "ok");
}

TEST(BytesTest, HexDigitValue) {
  EXPECT_EQ(HexDigitValue('0'), 0);
  EXPECT_EQ(HexDigitValue('9'), 9);
  EXPECT_EQ(HexDigitValue('a'), 10);
  EXPECT_EQ(HexDigitValue('F'), 15);
  EXPECT_EQ(HexDigitValue('g'), -1);
  EXPECT_EQ(HexDigitValue(' '), -1);
}

TEST(SharedBytesTest, CopiesShareOneBuffer) {
  std::string body(1000, 'x');
  const char* const original = body.data();
  const SharedBytes shared(std::move(body));
  EXPECT_EQ(shared.data(), original);  // moved in, not copied
  const SharedBytes copy = shared;
  EXPECT_EQ(copy.data(), shared.data());
  EXPECT_EQ(copy.size(), 1000u);
  EXPECT_EQ(copy, std::string(1000, 'x'));
  const absl::string_view view = copy;
  EXPECT_EQ(view.data(), original);
  EXPECT_EQ(copy.str(), std::string(1000, 'x'));
  EXPECT_NE(copy.str().data(), original);
}

TEST(SharedBytesTest, EmptyIsEmpty) {
  const SharedBytes none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.size(), 0u);
  EXPECT_EQ(none.view(), "");
  const SharedBytes from_empty{std::string()};
  EXPECT_TRUE(from_empty.empty());
  EXPECT_EQ(SharedBytes("abc").view(), "abc");
}

}  // namespace
}  // namespace tgrpc::base
