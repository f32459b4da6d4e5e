#include "mtproto/transport/client_transport.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "mtproto/transport/obfuscated2_init.h"
#include "mtproto/transport/seeded_random.h"
#include "mtproto/transport/transport_test_util.h"

namespace tgrpc::mtproto::transport {
namespace {

FramingOptions Seeded(uint64_t seed) {
  FramingOptions options;
  options.random = SeededRandomSource(seed);
  return options;
}

std::string Preamble(Protocol protocol) {
  ClientTransportOptions options;
  options.protocol = protocol;
  absl::StatusOr<ClientTransport> transport = MakeClientTransport(options, Seeded(1));
  EXPECT_TRUE(transport.ok()) << transport.status();
  return transport.ok() ? testing::Hex(transport->preamble) : "";
}

TEST(ClientTransportTest, PlainMarkers) {
  EXPECT_EQ(Preamble(Protocol::kAbridged), "ef");
  EXPECT_EQ(Preamble(Protocol::kIntermediate), "eeeeeeee");
  EXPECT_EQ(Preamble(Protocol::kPaddedIntermediate), "dddddddd");
  EXPECT_EQ(Preamble(Protocol::kFull), "");
}

TEST(ClientTransportTest, ObfuscatedPreambleIsTheInit) {
  ClientTransportOptions options;
  options.protocol = Protocol::kPaddedIntermediate;
  options.obfuscated = true;
  options.dc_id = 5;
  absl::StatusOr<ClientTransport> transport = MakeClientTransport(options, Seeded(2));
  ASSERT_TRUE(transport.ok()) << transport.status();
  ASSERT_EQ(transport->preamble.size(), kObfuscated2InitSize);
  // The same seed draws the same init.
  EXPECT_EQ(transport->preamble, MakeObfuscated2Init(Protocol::kPaddedIntermediate, 5, std::nullopt,
                                                     SeededRandomSource(2))
                                     ->init);
  absl::StatusOr<Obfuscated2ServerInit> server = ParseObfuscated2Init(transport->preamble, {});
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(server->dc_id, 5);
  EXPECT_EQ(server->protocol, Protocol::kPaddedIntermediate);
}

TEST(ClientTransportTest, InvalidCombinations) {
  ClientTransportOptions full;
  full.protocol = Protocol::kFull;
  full.obfuscated = true;
  EXPECT_EQ(MakeClientTransport(full, Seeded(1)).status().code(),
            absl::StatusCode::kInvalidArgument);

  ClientTransportOptions plain_proxy;
  plain_proxy.proxy_secret = ProxySecret{std::string(16, 's'), false};
  EXPECT_EQ(MakeClientTransport(plain_proxy, Seeded(1)).status().code(),
            absl::StatusCode::kInvalidArgument);

  ClientTransportOptions dd_needs_padded;
  dd_needs_padded.obfuscated = true;
  dd_needs_padded.protocol = Protocol::kAbridged;
  dd_needs_padded.proxy_secret = ProxySecret{std::string(16, 's'), true};
  EXPECT_EQ(MakeClientTransport(dd_needs_padded, Seeded(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tgrpc::mtproto::transport
