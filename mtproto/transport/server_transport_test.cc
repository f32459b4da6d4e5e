#include "mtproto/transport/server_transport.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtproto/transport/client_transport.h"
#include "mtproto/transport/seeded_random.h"

namespace tgrpc::mtproto::transport {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::VariantWith;

FramingOptions Seeded(uint64_t seed) {
  FramingOptions options;
  options.random = SeededRandomSource(seed);
  return options;
}

TEST(ServerTransportTest, NothingToEncodeBeforeDetection) {
  ServerTransport server({}, Seeded(1));
  std::string out;
  EXPECT_EQ(server.EncodeFrame("x", {}, out).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(server.EncodeQuickAck(1, out).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(server.EncodeTransportError(-404, out).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(server.SupportsQuickAck());
  EXPECT_FALSE(server.detected().has_value());
}

TEST(ServerTransportTest, PreambleAndFramesInOneRead) {
  ClientTransportOptions options;
  options.protocol = Protocol::kAbridged;
  options.obfuscated = true;
  options.dc_id = 3;
  absl::StatusOr<ClientTransport> client = MakeClientTransport(options, Seeded(2));
  ASSERT_TRUE(client.ok());
  std::string wire = client->preamble;
  ASSERT_TRUE(client->framing->EncodeFrame("abcd", {}, wire).ok());
  ASSERT_TRUE(client->framing->EncodeFrame("efgh", {}, wire).ok());

  ServerTransport server({}, Seeded(3));
  std::vector<Frame> frames;
  ASSERT_TRUE(server.Decode(wire, frames).ok());
  EXPECT_THAT(frames, ElementsAre(VariantWith<PayloadFrame>(PayloadFrame{"abcd"}),
                                  VariantWith<PayloadFrame>(PayloadFrame{"efgh"})));
  ASSERT_TRUE(server.detected().has_value());
  EXPECT_EQ(server.detected()->obfuscation->dc_id, 3);
  EXPECT_TRUE(server.SupportsQuickAck());
}

TEST(ServerTransportTest, DetectionErrorsAreFinal) {
  ServerTransport server({}, Seeded(4));
  std::vector<Frame> frames;
  EXPECT_EQ(server.Decode("GET / HTTP/1.1\r\n", frames).code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(server.Decode(std::string(4, '\xee'), frames).code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(frames, IsEmpty());
}

TEST(ServerTransportTest, FullNeedsNoPreamble) {
  ClientTransportOptions options;
  options.protocol = Protocol::kFull;
  absl::StatusOr<ClientTransport> client = MakeClientTransport(options, Seeded(5));
  ASSERT_TRUE(client.ok());
  std::string wire;
  ASSERT_TRUE(client->framing->EncodeFrame("payload", {}, wire).ok());
  ServerTransport server({}, Seeded(6));
  std::vector<Frame> frames;
  ASSERT_TRUE(server.Decode(wire.substr(0, 5), frames).ok());
  EXPECT_FALSE(server.detected().has_value());
  ASSERT_TRUE(server.Decode(wire.substr(5), frames).ok());
  EXPECT_THAT(frames, ElementsAre(VariantWith<PayloadFrame>(PayloadFrame{"payload"})));
  EXPECT_EQ(server.detected()->protocol, Protocol::kFull);
  EXPECT_FALSE(server.SupportsQuickAck());
}

}  // namespace
}  // namespace tgrpc::mtproto::transport
