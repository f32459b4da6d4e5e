#include "mtproto/transport/full.h"

#include <zlib.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "base/bytes.h"
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

uint32_t ZlibCrc32(absl::string_view bytes) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

std::string Le32(uint32_t v) {
  std::string out;
  base::AppendLe32(v, out);
  return out;
}

TEST(FullTest, ZlibIsTheStandardCrc32) {
  EXPECT_EQ(ZlibCrc32("123456789"), 0xcbf43926u);  // the CRC-32 check value
}

TEST(FullTest, KnownAnswer) {
  // An unencrypted req_pq_multi as a client's first frame.
  const std::string payload = absl::HexStringToBytes(
      "0000000000000000"
      "00e0a1b23cf05e65"
      "14000000"
      "f18e7ebe"
      "3e0549828cca27e966b301a48fece2fc");
  FullFraming client(Role::kClient, Options());
  std::string out;
  ASSERT_TRUE(client.EncodeFrame(payload, {}, out).ok());
  ASSERT_TRUE(client.EncodeFrame(payload, {}, out).ok());

  const std::string head0 = absl::HexStringToBytes(
                                "34000000"
                                "00000000") +
                            payload;
  const std::string head1 = absl::HexStringToBytes(
                                "34000000"
                                "01000000") +
                            payload;
  EXPECT_EQ(Hex(out), Hex(head0 + Le32(ZlibCrc32(head0)) + head1 + Le32(ZlibCrc32(head1))));

  FullFraming server(Role::kServer, Options());
  std::vector<Frame> frames;
  ASSERT_TRUE(server.Decode(out, frames).ok());
  EXPECT_THAT(frames, ElementsAre(VariantWith<PayloadFrame>(PayloadFrame{payload}),
                                  VariantWith<PayloadFrame>(PayloadFrame{payload})));
}

TEST(FullTest, EmptyPayloadIsTwelveBytes) {
  FullFraming server(Role::kServer, Options());
  std::string out;
  ASSERT_TRUE(server.EncodeFrame("", {}, out).ok());
  const std::string head = absl::HexStringToBytes("0c00000000000000");
  EXPECT_EQ(out, head + Le32(ZlibCrc32(head)));
}

TEST(FullTest, CorruptedByteFailsTheCrc) {
  FullFraming client(Role::kClient, Options());
  std::string wire;
  ASSERT_TRUE(client.EncodeFrame("some payload", {}, wire).ok());
  wire[10] ^= 0x01;
  FullFraming server(Role::kServer, Options());
  std::vector<Frame> frames;
  EXPECT_EQ(server.Decode(wire, frames).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(server.Decode("", frames).code(), absl::StatusCode::kDataLoss);  // final
  EXPECT_THAT(frames, IsEmpty());
}

TEST(FullTest, SequenceNumbersMustCountFromZero) {
  FullFraming client(Role::kClient, Options());
  std::string first, second;
  ASSERT_TRUE(client.EncodeFrame("one", {}, first).ok());
  ASSERT_TRUE(client.EncodeFrame("two", {}, second).ok());

  // Skipped frame: seqno 1 where 0 is expected.
  FullFraming skipped(Role::kServer, Options());
  std::vector<Frame> frames;
  EXPECT_EQ(skipped.Decode(second, frames).code(), absl::StatusCode::kDataLoss);

  // Replayed frame: seqno 0 twice.
  FullFraming replayed(Role::kServer, Options());
  EXPECT_TRUE(replayed.Decode(first, frames).ok());
  EXPECT_EQ(replayed.Decode(first, frames).code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(frames, ElementsAre(VariantWith<PayloadFrame>(PayloadFrame{"one"})));
}

TEST(FullTest, LengthBelowTwelveIsMalformed) {
  FullFraming server(Role::kServer, Options());
  std::vector<Frame> frames;
  EXPECT_EQ(server.Decode(absl::HexStringToBytes("0b000000"), frames).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FullTest, OversizedFrameIsRejectedFromItsHeader) {
  FullFraming server(Role::kServer, Options(/*max_frame_size=*/100));
  std::vector<Frame> frames;
  EXPECT_EQ(server.Decode(absl::HexStringToBytes("71000000"), frames).code(),
            absl::StatusCode::kResourceExhausted);
  FullFraming at_limit(Role::kServer, Options(/*max_frame_size=*/100));
  EXPECT_TRUE(at_limit.Decode(absl::HexStringToBytes("70000000"), frames).ok());
  FullFraming huge(Role::kServer, Options());
  EXPECT_EQ(huge.Decode(absl::HexStringToBytes("ffffffff"), frames).code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(FullTest, TransportErrorIsASequencedFrame) {
  FullFraming server(Role::kServer, Options());
  std::string out;
  ASSERT_TRUE(server.EncodeTransportError(-404, out).ok());
  ASSERT_TRUE(server.EncodeFrame("after", {}, out).ok());
  EXPECT_EQ(Hex(out.substr(0, 12)),
            "10000000"
            "00000000"
            "6cfeffff");

  FullFraming client(Role::kClient, Options());
  std::vector<Frame> frames;
  ASSERT_TRUE(client.Decode(out, frames).ok());
  EXPECT_THAT(frames, ElementsAre(VariantWith<TransportErrorFrame>(TransportErrorFrame{-404}),
                                  VariantWith<PayloadFrame>(PayloadFrame{"after"})));
}

TEST(FullTest, NoQuickAcks) {
  FullFraming client(Role::kClient, Options());
  FullFraming server(Role::kServer, Options());
  EXPECT_FALSE(client.SupportsQuickAck());
  std::string out;
  EXPECT_EQ(client.EncodeFrame("x", {.quick_ack = true}, out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server.EncodeQuickAck(1, out).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(out, IsEmpty());
  // A failed encode does not use up a sequence number.
  ASSERT_TRUE(client.EncodeFrame("x", {}, out).ok());
  EXPECT_EQ(Hex(out.substr(4, 4)), "00000000");
}

}  // namespace
}  // namespace tgrpc::mtproto::transport
