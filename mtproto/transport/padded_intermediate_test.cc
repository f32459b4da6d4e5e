#include "mtproto/transport/padded_intermediate.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "base/bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtproto/transport/seeded_random.h"
#include "mtproto/transport/transport_test_util.h"

namespace tgrpc::mtproto::transport {
namespace {

using ::testing::ElementsAre;
using testing::Hex;
using testing::TestPayload;
using ::testing::VariantWith;

FramingOptions Options(uint64_t seed, size_t max_frame_size = kDefaultMaxFrameSize) {
  FramingOptions options;
  options.random = SeededRandomSource(seed);
  options.max_frame_size = max_frame_size;
  return options;
}

TEST(PaddedIntermediateTest, PadsWithZeroToFifteenRandomBytes) {
  PaddedIntermediateFraming client(Role::kClient, Options(1));
  PaddedIntermediateFraming server(Role::kServer, Options(2));
  std::set<size_t> paddings;
  for (uint32_t i = 0; i < 2000; ++i) {
    const std::string payload = TestPayload(i % 64, i);
    std::string wire;
    ASSERT_TRUE(client.EncodeFrame(payload, {.quick_ack = i % 3 == 0}, wire).ok());
    const size_t length = base::LoadLe32(wire.data()) & 0x7fffffff;
    ASSERT_EQ(length, wire.size() - 4);
    ASSERT_GE(length, payload.size());
    ASSERT_LE(length, payload.size() + kMaxPadding);
    paddings.insert(length - payload.size());

    // The decoder cannot strip the padding: the payload comes back with it.
    std::vector<Frame> frames;
    ASSERT_TRUE(server.Decode(wire, frames).ok());
    ASSERT_EQ(frames.size(), 1u);
    const auto& frame = std::get<PayloadFrame>(frames[0]);
    EXPECT_EQ(frame.payload, wire.substr(4));
    EXPECT_EQ(frame.payload.substr(0, payload.size()), payload);
    EXPECT_EQ(frame.quick_ack_requested, i % 3 == 0);
  }
  EXPECT_EQ(paddings.size(), kMaxPadding + 1);  // every size from 0 to 15 occurred
}

TEST(PaddedIntermediateTest, SameSeedSameBytes) {
  std::string a, b;
  PaddedIntermediateFraming first(Role::kClient, Options(42));
  PaddedIntermediateFraming second(Role::kClient, Options(42));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(first.EncodeFrame("payload", {}, a).ok());
    ASSERT_TRUE(second.EncodeFrame("payload", {}, b).ok());
  }
  EXPECT_EQ(a, b);
}

TEST(PaddedIntermediateTest, PaddingNeverPushesPastTheMaximum) {
  PaddedIntermediateFraming client(Role::kClient, Options(3, /*max_frame_size=*/64));
  for (int i = 0; i < 50; ++i) {
    std::string wire;
    ASSERT_TRUE(client.EncodeFrame(std::string(64, 'x'), {}, wire).ok());
    EXPECT_EQ(wire.size(), 4u + 64);
  }
}

TEST(PaddedIntermediateTest, QuickAcksAndTransportErrorsAreNotPadded) {
  PaddedIntermediateFraming server(Role::kServer, Options(4));
  std::string out;
  ASSERT_TRUE(server.EncodeQuickAck(0x01020304, out).ok());
  ASSERT_TRUE(server.EncodeTransportError(-404, out).ok());
  EXPECT_EQ(Hex(out),
            "0403028104000000"
            "6cfeffff");
}

TEST(PaddedIntermediateTest, ClientAcceptsPaddedTransportError) {
  PaddedIntermediateFraming client(Role::kClient, Options(5));
  std::vector<Frame> frames;
  // -429 followed by 7 bytes of padding, then a plain -404.
  ASSERT_TRUE(client
                  .Decode(absl::HexStringToBytes("0b00000053feffff0102030405060704000000"
                                                 "6cfeffff"),
                          frames)
                  .ok());
  EXPECT_THAT(frames, ElementsAre(VariantWith<TransportErrorFrame>(TransportErrorFrame{-429}),
                                  VariantWith<TransportErrorFrame>(TransportErrorFrame{-404})));

  // Twenty bytes are a payload whatever they start with: MTProto messages are that long.
  frames.clear();
  ASSERT_TRUE(client
                  .Decode(absl::HexStringToBytes("14000000"
                                                 "6cfeffff") +
                              std::string(16, 'p'),
                          frames)
                  .ok());
  EXPECT_THAT(frames, ElementsAre(VariantWith<PayloadFrame>(::testing::_)));
}

}  // namespace
}  // namespace tgrpc::mtproto::transport
