#include "mtproto/transport/obfuscated2_framing.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtproto/transport/aes_ctr.h"
#include "mtproto/transport/make_framing.h"
#include "mtproto/transport/seeded_random.h"
#include "mtproto/transport/transport_test_util.h"

namespace tgrpc::mtproto::transport {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::TestPayload;
using ::testing::VariantWith;

struct Ends {
  Obfuscated2ClientInit init;
  std::unique_ptr<Framing> client;
  std::unique_ptr<Framing> server;
};

Ends MakeEnds(Protocol protocol) {
  FramingOptions options;
  options.random = SeededRandomSource(9);
  Ends ends;
  ends.init = *MakeObfuscated2Init(protocol, 2, std::nullopt, options.random);
  const Obfuscated2ServerInit server_init = *ParseObfuscated2Init(ends.init.init, {});
  ends.client = *Obfuscated2Framing::Create(MakeFraming(protocol, Role::kClient, options),
                                            ends.init.keys, Role::kClient);
  ends.server = *Obfuscated2Framing::Create(MakeFraming(protocol, Role::kServer, options),
                                            server_init.keys, Role::kServer);
  return ends;
}

TEST(Obfuscated2FramingTest, FramesFollowTheInitInOneKeyStream) {
  Ends ends = MakeEnds(Protocol::kIntermediate);
  std::string wire;
  ASSERT_TRUE(ends.client->EncodeFrame("hello", {.quick_ack = true}, wire).ok());

  // The client->server stream covered the 64 init bytes first, so decrypting init + frame as one
  // piece gives the init's plaintext followed by the plain intermediate frame.
  std::string stream = ends.init.init + wire;
  absl::StatusOr<AesCtr256> cipher =
      AesCtr256::Create(ends.init.keys.encrypt_key, ends.init.keys.encrypt_iv);
  ASSERT_TRUE(cipher.ok());
  ASSERT_TRUE(cipher->Apply(stream.data(), stream.size()).ok());
  EXPECT_EQ(testing::Hex(stream.substr(56, 4)), "eeeeeeee");
  EXPECT_EQ(testing::Hex(stream.substr(64)), "05000080" + testing::Hex("hello"));
  EXPECT_NE(wire.substr(4), "hello");
}

TEST(Obfuscated2FramingTest, BothDirectionsWithEveryInnerProtocol) {
  for (Protocol protocol :
       {Protocol::kAbridged, Protocol::kIntermediate, Protocol::kPaddedIntermediate}) {
    SCOPED_TRACE(ProtocolName(protocol));
    Ends ends = MakeEnds(protocol);
    const std::string payload = TestPayload(400, 1);
    std::string up;
    ASSERT_TRUE(ends.client->EncodeFrame(payload, {.quick_ack = true}, up).ok());
    std::vector<Frame> frames;
    ASSERT_TRUE(
        testing::DecodeInChunks(*ends.server, up, testing::Chunking::kOneByte, 1, frames).ok());
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(std::get<PayloadFrame>(frames[0]).payload.substr(0, 400), payload);
    EXPECT_TRUE(std::get<PayloadFrame>(frames[0]).quick_ack_requested);

    std::string down;
    ASSERT_TRUE(ends.server->EncodeQuickAck(0x0badcafe, down).ok());
    ASSERT_TRUE(ends.server->EncodeTransportError(-444, down).ok());
    frames.clear();
    ASSERT_TRUE(
        testing::DecodeInChunks(*ends.client, down, testing::Chunking::kRandom, 2, frames).ok());
    EXPECT_THAT(frames, ElementsAre(VariantWith<QuickAckFrame>(QuickAckFrame{0x8badcafe}),
                                    VariantWith<TransportErrorFrame>(TransportErrorFrame{-444})));
  }
}

TEST(Obfuscated2FramingTest, FailedEncodeLeavesOutputAndKeyStreamAlone) {
  Ends ends = MakeEnds(Protocol::kAbridged);
  std::string wire = "prefix";
  EXPECT_EQ(ends.client->EncodeFrame("abc", {}, wire).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(wire, "prefix");
  wire.clear();
  ASSERT_TRUE(ends.client->EncodeFrame("abcd", {}, wire).ok());
  std::vector<Frame> frames;
  ASSERT_TRUE(ends.server->Decode(wire, frames).ok());
  EXPECT_THAT(frames, ElementsAre(VariantWith<PayloadFrame>(PayloadFrame{"abcd"})));
}

TEST(Obfuscated2FramingTest, InnerDecodeErrorsPropagate) {
  FramingOptions options;
  options.max_frame_size = 16;
  Ends ends = MakeEnds(Protocol::kIntermediate);
  ends.server =
      *Obfuscated2Framing::Create(MakeFraming(Protocol::kIntermediate, Role::kServer, options),
                                  ParseObfuscated2Init(ends.init.init, {})->keys, Role::kServer);
  std::string wire;
  ASSERT_TRUE(ends.client->EncodeFrame(std::string(17, 'x'), {}, wire).ok());
  std::vector<Frame> frames;
  EXPECT_EQ(ends.server->Decode(wire, frames).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(frames, IsEmpty());
}

TEST(Obfuscated2FramingTest, NeedsAnInnerFraming) {
  Ends ends = MakeEnds(Protocol::kIntermediate);
  EXPECT_EQ(Obfuscated2Framing::Create(nullptr, ends.init.keys, Role::kClient).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tgrpc::mtproto::transport
