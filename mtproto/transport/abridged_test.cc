#include "mtproto/transport/abridged.h"

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
using testing::TestPayload;
using ::testing::VariantWith;

FramingOptions Options(size_t max_frame_size = kDefaultMaxFrameSize) {
  FramingOptions options;
  options.max_frame_size = max_frame_size;
  return options;
}

TEST(AbridgedTest, ShortLengthIsOneByteOfWords) {
  AbridgedFraming client(Role::kClient, Options());
  std::string out;
  ASSERT_TRUE(client.EncodeFrame("abcdefgh", {}, out).ok());
  EXPECT_EQ(out, std::string("\x02", 1) + "abcdefgh");

  out.clear();
  ASSERT_TRUE(client.EncodeFrame("", {}, out).ok());
  EXPECT_EQ(out, std::string(1, '\0'));

  out.clear();
  ASSERT_TRUE(client.EncodeFrame(std::string(126 * 4, 'x'), {}, out).ok());
  EXPECT_EQ(Hex(out.substr(0, 1)), "7e");
}

TEST(AbridgedTest, LongLengthIs0x7fAndThreeLittleEndianBytes) {
  AbridgedFraming client(Role::kClient, Options());
  std::string out;
  ASSERT_TRUE(client.EncodeFrame(std::string(127 * 4, 'x'), {}, out).ok());
  EXPECT_EQ(Hex(out.substr(0, 4)), "7f7f0000");
  EXPECT_EQ(out.size(), 4u + 127 * 4);

  out.clear();
  ASSERT_TRUE(client.EncodeFrame(std::string(0x012345 * 4, 'x'), {}, out).ok());
  EXPECT_EQ(Hex(out.substr(0, 4)), "7f452301");
}

TEST(AbridgedTest, QuickAckRequestSetsTopBitOfFirstByte) {
  AbridgedFraming client(Role::kClient, Options());
  std::string out;
  ASSERT_TRUE(client.EncodeFrame("abcd", {.quick_ack = true}, out).ok());
  ASSERT_TRUE(client.EncodeFrame(std::string(200 * 4, 'y'), {.quick_ack = true}, out).ok());
  EXPECT_EQ(Hex(out.substr(0, 1)), "81");
  EXPECT_EQ(Hex(out.substr(5, 4)), "ffc80000");

  AbridgedFraming server(Role::kServer, Options());
  std::vector<Frame> frames;
  ASSERT_TRUE(server.Decode(out, frames).ok());
  EXPECT_THAT(
      frames,
      ElementsAre(VariantWith<PayloadFrame>(PayloadFrame{"abcd", true}),
                  VariantWith<PayloadFrame>(PayloadFrame{std::string(200 * 4, 'y'), true})));
}

TEST(AbridgedTest, PayloadsMustBeWholeWords) {
  AbridgedFraming client(Role::kClient, Options());
  std::string out = "keep";
  EXPECT_EQ(client.EncodeFrame("abc", {}, out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out, "keep");
}

TEST(AbridgedTest, ServerQuickAckIsByteSwappedToken) {
  AbridgedFraming server(Role::kServer, Options());
  std::string out;
  ASSERT_TRUE(server.EncodeQuickAck(0x12345678, out).ok());
  EXPECT_EQ(Hex(out), "92345678");

  AbridgedFraming client(Role::kClient, Options());
  std::vector<Frame> frames;
  ASSERT_TRUE(client.Decode(out, frames).ok());
  EXPECT_THAT(frames, ElementsAre(VariantWith<QuickAckFrame>(QuickAckFrame{0x92345678})));
}

TEST(AbridgedTest, TransportErrorIsAOneWordFrameForClientsOnly) {
  AbridgedFraming server(Role::kServer, Options());
  std::string out;
  ASSERT_TRUE(server.EncodeTransportError(-404, out).ok());
  EXPECT_EQ(Hex(out), "016cfeffff");

  AbridgedFraming client(Role::kClient, Options());
  std::vector<Frame> frames;
  ASSERT_TRUE(client.Decode(out, frames).ok());
  EXPECT_THAT(frames, ElementsAre(VariantWith<TransportErrorFrame>(TransportErrorFrame{-404})));

  // A non-negative word is an (odd) payload, not an error.
  frames.clear();
  ASSERT_TRUE(client.Decode(absl::HexStringToBytes("0101000000"), frames).ok());
  EXPECT_THAT(frames, ElementsAre(VariantWith<PayloadFrame>(
                          PayloadFrame{absl::HexStringToBytes("01000000"), false})));

  // Clients never send transport errors; a server sees a payload.
  AbridgedFraming other_server(Role::kServer, Options());
  frames.clear();
  ASSERT_TRUE(other_server.Decode(out, frames).ok());
  EXPECT_THAT(frames, ElementsAre(VariantWith<PayloadFrame>(::testing::_)));
}

TEST(AbridgedTest, RoleChecks) {
  AbridgedFraming client(Role::kClient, Options());
  AbridgedFraming server(Role::kServer, Options());
  std::string out;
  EXPECT_EQ(client.EncodeQuickAck(1, out).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(client.EncodeTransportError(-404, out).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(server.EncodeFrame("abcd", {.quick_ack = true}, out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server.EncodeTransportError(404, out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out, IsEmpty());
}

TEST(AbridgedTest, IncompleteFramesWait) {
  AbridgedFraming server(Role::kServer, Options());
  std::string wire;
  ASSERT_TRUE(
      AbridgedFraming(Role::kClient, Options()).EncodeFrame(TestPayload(1024, 1), {}, wire).ok());
  std::vector<Frame> frames;
  ASSERT_TRUE(server.Decode(wire.substr(0, 2), frames).ok());  // half the long header
  ASSERT_TRUE(server.Decode(wire.substr(2, 500), frames).ok());
  EXPECT_THAT(frames, IsEmpty());
  ASSERT_TRUE(server.Decode(wire.substr(502), frames).ok());
  EXPECT_THAT(frames, ElementsAre(VariantWith<PayloadFrame>(PayloadFrame{TestPayload(1024, 1)})));
}

TEST(AbridgedTest, OversizedFrameIsRejectedFromItsHeader) {
  AbridgedFraming server(Role::kServer, Options(/*max_frame_size=*/1024));
  std::vector<Frame> frames;
  // 0x000101 words = 1028 bytes: rejected before any payload arrives.
  EXPECT_EQ(server.Decode(absl::HexStringToBytes("7f010100"), frames).code(),
            absl::StatusCode::kResourceExhausted);
  // The error is final.
  EXPECT_EQ(server.Decode(absl::HexStringToBytes("00"), frames).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(frames, IsEmpty());

  AbridgedFraming client(Role::kClient, Options(/*max_frame_size=*/1024));
  std::string out;
  EXPECT_EQ(client.EncodeFrame(std::string(1028, 'x'), {}, out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(client.EncodeFrame(std::string(1024, 'x'), {}, out).ok());
}

}  // namespace
}  // namespace tgrpc::mtproto::transport
