// The seed corpus of the transport fuzz targets: valid transport streams in both directions for
// every framing, plain and obfuscated, with quick acks and transport errors. The shared driver
// (tests/fuzz/fuzz_driver.cc) feeds them, then mutations of them, to the target.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mtproto/transport/client_transport.h"
#include "mtproto/transport/fuzz/fuzz_support.h"
#include "mtproto/transport/make_framing.h"
#include "mtproto/transport/proxy_secret.h"
#include "mtproto/transport/seeded_random.h"

namespace tgrpc::mtproto::transport::fuzz {
namespace {

constexpr Protocol kProtocols[] = {Protocol::kAbridged, Protocol::kIntermediate,
                                   Protocol::kPaddedIntermediate, Protocol::kFull};

// See fuzz_support.h for the control byte.
char Control(Role decoder_role, Protocol protocol, unsigned piece_seed) {
  const unsigned protocol_bits = protocol == Protocol::kAbridged       ? 0
                                 : protocol == Protocol::kIntermediate ? 1
                                                                       : 2;
  return static_cast<char>((decoder_role == Role::kClient ? 1 : 0) | protocol_bits << 1 |
                           (piece_seed & 31) << 3);
}

void AbortOnError(const absl::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "seed corpus: %s\n", status.ToString().c_str());
    std::abort();
  }
}

// What `sender` would put on the wire after any preamble: payloads of several sizes, and from a
// server also a quick ack and a transport error.
void AppendTraffic(Framing& sender, Role sender_role, bool quick_acks, std::string& wire) {
  uint8_t fill = 1;
  for (size_t size : {0, 4, 8, 20, 64, 256, 1024}) {
    const bool quick_ack = sender_role == Role::kClient && quick_acks && size % 8 == 4;
    AbortOnError(sender.EncodeFrame(std::string(size, static_cast<char>(fill++)),
                                    {.quick_ack = quick_ack}, wire));
  }
  if (sender_role == Role::kServer) {
    if (quick_acks) AbortOnError(sender.EncodeQuickAck(0x12345678, wire));
    AbortOnError(sender.EncodeTransportError(-404, wire));
  }
}

std::vector<std::string> SeedCorpus() {
  std::vector<std::string> corpus = {"", std::string(1, '\0'), std::string(1, '\1')};
  FramingOptions options;
  options.random = SeededRandomSource(1);
  unsigned piece_seed = 0;
  for (Protocol protocol : kProtocols) {
    const bool quick_acks = protocol != Protocol::kFull;
    // Frames alone, for the plain and obfuscated2 decoder targets.
    for (Role decoder : {Role::kServer, Role::kClient}) {
      const Role sender_role = decoder == Role::kServer ? Role::kClient : Role::kServer;
      std::unique_ptr<Framing> sender = MakeFraming(protocol, sender_role, options);
      std::string input(1, Control(decoder, protocol, piece_seed++));
      AppendTraffic(*sender, sender_role, quick_acks, input);
      corpus.push_back(std::move(input));
    }
    // Whole client connections, for the server transport target.
    for (int variant = 0; variant < 4; ++variant) {
      ClientTransportOptions client_options;
      client_options.protocol = protocol;
      client_options.obfuscated = variant > 0;
      client_options.dc_id = static_cast<int16_t>(variant == 2 ? -2 : 2);
      if (variant == 3) {
        client_options.proxy_secret =
            ProxySecret{"0123456789abcdef", protocol == Protocol::kPaddedIntermediate};
      }
      absl::StatusOr<ClientTransport> client = MakeClientTransport(client_options, options);
      if (!client.ok()) continue;  // obfuscated full does not exist
      std::string input(1, Control(Role::kServer, protocol, piece_seed++));
      input += client->preamble;
      AppendTraffic(*client->framing, Role::kClient, quick_acks, input);
      corpus.push_back(std::move(input));
    }
  }
  return corpus;
}

}  // namespace
}  // namespace tgrpc::mtproto::transport::fuzz

std::vector<std::string> TgrpcFuzzSeeds() { return tgrpc::mtproto::transport::fuzz::SeedCorpus(); }
