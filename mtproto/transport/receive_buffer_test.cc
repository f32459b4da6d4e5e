#include "mtproto/transport/receive_buffer.h"

#include <string>

#include "gtest/gtest.h"

namespace tgrpc::mtproto::transport {
namespace {

TEST(ReceiveBufferTest, FirstInFirstOut) {
  ReceiveBuffer buffer;
  EXPECT_TRUE(buffer.empty());
  buffer.Append("abc");
  buffer.Append("def");
  EXPECT_EQ(buffer.View(), "abcdef");
  buffer.Consume(2);
  EXPECT_EQ(buffer.View(), "cdef");
  buffer.Append("g");
  EXPECT_EQ(buffer.View(), "cdefg");
  buffer.Consume(5);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.View(), "");
}

TEST(ReceiveBufferTest, ConsumingTooMuchEmptiesInsteadOfOverrunning) {
  ReceiveBuffer buffer;
  buffer.Append("abc");
  buffer.Consume(10);
  EXPECT_TRUE(buffer.empty());
  buffer.Append("x");
  EXPECT_EQ(buffer.View(), "x");
}

TEST(ReceiveBufferTest, ManySmallAppendsAndConsumesKeepOrder) {
  ReceiveBuffer buffer;
  std::string expected;
  for (int i = 0; i < 100000; ++i) {
    const char c = static_cast<char>('a' + i % 26);
    buffer.Append(absl::string_view(&c, 1));
    expected.push_back(c);
    if (i % 3 == 2) {
      buffer.Consume(2);
      expected.erase(0, 2);
    }
  }
  EXPECT_EQ(buffer.View(), expected);
}

}  // namespace
}  // namespace tgrpc::mtproto::transport
