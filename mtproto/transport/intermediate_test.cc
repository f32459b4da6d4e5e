#include "mtproto/transport/intermediate.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtproto/transport/transport_test_util.h"

namespace tgrpc::mtproto::transport {
namespace {

using ::testing::ElementsAre;
using testing::Hex;
using ::testing::IsEmpty;
using ::testing::VariantWith;

FramingOptions Options(size_t max_frame_size = kDefaultMaxFrameSize) {
  FramingOptions options;
  options.max_frame_size = max_frame_size;
  return options;
}

TEST(IntermediateTest, FourByteLittleEndianLength) {
  IntermediateFraming client(Role::kClient, Options());
  std::string out;
  ASSERT_TRUE(client.EncodeFrame("hello", {}, out).ok());  // any length, no alignment needed
  EXPECT_EQ(Hex(out), "05000000" + Hex("hello"));

  out.clear();
  ASSERT_TRUE(client.EncodeFrame(std::string(0x1234, 'x'), {}, out).ok());
  EXPECT_EQ(Hex(out.substr(0, 4)), "34120000");

  out.clear();
  ASSERT_TRUE(client.EncodeFrame("", {}, out).ok());
  EXPECT_EQ(Hex(out), "00000000");
}

TEST(IntermediateTest, QuickAckRequestSetsTopBitOfLength) {
  IntermediateFraming client(Role::kClient, Options());
  std::string out;
  ASSERT_TRUE(client.EncodeFrame("abcdefgh", {.quick_ack = true}, out).ok());
  EXPECT_EQ(Hex(out.substr(0, 4)), "08000080");

  IntermediateFraming server(Role::kServer, Options());
  std::vector<Frame> frames;
  ASSERT_TRUE(server.Decode(out, frames).ok());
  EXPECT_THAT(frames, ElementsAre(VariantWith<PayloadFrame>(PayloadFrame{"abcdefgh", true})));
}

TEST(IntermediateTest, ServerQuickAckIsTheLittleEndianToken) {
  IntermediateFraming server(Role::kServer, Options());
  std::string out;
  ASSERT_TRUE(server.EncodeQuickAck(0x12345678, out).ok());
  EXPECT_EQ(Hex(out), "78563492");

  IntermediateFraming client(Role::kClient, Options());
  std::vector<Frame> frames;
  ASSERT_TRUE(client.Decode(out, frames).ok());
  EXPECT_THAT(frames, ElementsAre(VariantWith<QuickAckFrame>(QuickAckFrame{0x92345678})));
}

TEST(IntermediateTest, TransportErrors) {
  IntermediateFraming server(Role::kServer, Options());
  std::string out;
  ASSERT_TRUE(server.EncodeTransportError(-429, out).ok());
  ASSERT_TRUE(server.EncodeTransportError(-444, out).ok());
  EXPECT_EQ(Hex(out), "0400000053feffff0400000044feffff");

  IntermediateFraming client(Role::kClient, Options());
  std::vector<Frame> frames;
  ASSERT_TRUE(client.Decode(out, frames).ok());
  EXPECT_THAT(frames, ElementsAre(VariantWith<TransportErrorFrame>(TransportErrorFrame{-429}),
                                  VariantWith<TransportErrorFrame>(TransportErrorFrame{-444})));

  // Five bytes starting with a negative word are not an error frame without padding.
  frames.clear();
  ASSERT_TRUE(client.Decode(absl::HexStringToBytes("050000006cfeffff00"), frames).ok());
  EXPECT_THAT(frames, ElementsAre(VariantWith<PayloadFrame>(::testing::_)));
}

TEST(IntermediateTest, SplitHeaderAndPayload) {
  IntermediateFraming client(Role::kClient, Options());
  std::string wire;
  ASSERT_TRUE(client.EncodeFrame("first", {}, wire).ok());
  ASSERT_TRUE(client.EncodeFrame("second", {}, wire).ok());
  IntermediateFraming server(Role::kServer, Options());
  std::vector<Frame> frames;
  ASSERT_TRUE(server.Decode(wire.substr(0, 3), frames).ok());
  EXPECT_THAT(frames, IsEmpty());
  ASSERT_TRUE(server.Decode(wire.substr(3, 8), frames).ok());
  EXPECT_THAT(frames, ElementsAre(VariantWith<PayloadFrame>(PayloadFrame{"first"})));
  ASSERT_TRUE(server.Decode(wire.substr(11), frames).ok());
  EXPECT_THAT(frames, ElementsAre(VariantWith<PayloadFrame>(PayloadFrame{"first"}),
                                  VariantWith<PayloadFrame>(PayloadFrame{"second"})));
}

TEST(IntermediateTest, OversizedFrameIsRejectedFromItsHeader) {
  IntermediateFraming server(Role::kServer, Options(/*max_frame_size=*/100));
  std::vector<Frame> frames;
  EXPECT_EQ(server.Decode(absl::HexStringToBytes("65000000"), frames).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(server.Decode("", frames).code(), absl::StatusCode::kResourceExhausted);

  // With the quick-ack bit a client reads 0xffffffff as a token, a server as a 2 GiB frame.
  IntermediateFraming other_server(Role::kServer, Options());
  EXPECT_EQ(other_server.Decode(absl::HexStringToBytes("ffffffff"), frames).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(IntermediateTest, RoleChecks) {
  IntermediateFraming client(Role::kClient, Options());
  IntermediateFraming server(Role::kServer, Options());
  std::string out;
  EXPECT_EQ(client.EncodeQuickAck(1, out).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(client.EncodeTransportError(-404, out).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(server.EncodeFrame("x", {.quick_ack = true}, out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server.EncodeTransportError(0, out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client.EncodeFrame(std::string(kDefaultMaxFrameSize + 1, 'x'), {}, out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out, IsEmpty());
}

}  // namespace
}  // namespace tgrpc::mtproto::transport
