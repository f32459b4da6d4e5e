// Runs a fuzz target without libFuzzer, deterministically: every input of a seed corpus of valid
// transport streams, then N inputs made from them by random mutations with a fixed seed, so the
// target doubles as an ordinary test. Usage: <test> [N]  (N defaults to 20000).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "mtproto/transport/client_transport.h"
#include "mtproto/transport/fuzz/fuzz_support.h"
#include "mtproto/transport/make_framing.h"
#include "mtproto/transport/proxy_secret.h"
#include "mtproto/transport/seeded_random.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace tgrpc::mtproto::transport::fuzz {
namespace {

constexpr uint64_t kMutationSeed = 0x7472616e73706f72;  // "transpor"
constexpr size_t kMaxInputSize = size_t{1} << 14;
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

uint32_t InterestingWord(std::mt19937_64& rng) {
  static constexpr uint32_t kWords[] = {0,
                                        1,
                                        4,
                                        12,
                                        0x7e,
                                        0x7f,
                                        0x80,
                                        0xff,
                                        0xffff,
                                        kFuzzMaxFrameSize,
                                        kFuzzMaxFrameSize + 1,
                                        0x7fffffff,
                                        0x80000000,
                                        0xffffffff,
                                        0xfffffe6c /* -404 */,
                                        0xfffffe53 /* -429 */,
                                        0xeeeeeeee,
                                        0xdddddddd,
                                        0xefefefef,
                                        0x44414548 /* HEAD */};
  return kWords[rng() % std::size(kWords)];
}

std::string Mutate(std::string input, const std::vector<std::string>& corpus,
                   std::mt19937_64& rng) {
  const int rounds = 1 + static_cast<int>(rng() % 4);
  for (int round = 0; round < rounds; ++round) {
    const size_t at = input.empty() ? 0 : rng() % input.size();
    switch (rng() % 9) {
      case 0:  // flip a bit
        if (!input.empty()) input[at] = static_cast<char>(input[at] ^ (1 << (rng() % 8)));
        break;
      case 1:  // random byte
        if (!input.empty()) input[at] = static_cast<char>(rng());
        break;
      case 2:  // insert random bytes
        for (int n = 1 + static_cast<int>(rng() % 8); n > 0; --n) {
          input.insert(input.begin() + static_cast<std::ptrdiff_t>(at), static_cast<char>(rng()));
        }
        break;
      case 3:  // erase a range
        input.erase(at, 1 + rng() % 16);
        break;
      case 4: {  // duplicate a range
        const std::string range = input.substr(at, 1 + rng() % 32);
        input.insert(rng() % (input.size() + 1), range);
        break;
      }
      case 5: {  // an interesting little-endian word
        const uint32_t word = InterestingWord(rng);
        for (int i = 0; i < 4 && at + i < input.size(); ++i) {
          input[at + i] = static_cast<char>(word >> (8 * i));
        }
        break;
      }
      case 6:  // truncate
        input.resize(at);
        break;
      case 7: {  // splice with another corpus entry
        const std::string& other = corpus[rng() % corpus.size()];
        const size_t from = other.empty() ? 0 : rng() % other.size();
        input = input.substr(0, at) + other.substr(from);
        break;
      }
      default:  // new control byte
        if (!input.empty()) input[0] = static_cast<char>(rng());
        break;
    }
  }
  if (input.size() > kMaxInputSize) input.resize(kMaxInputSize);
  return input;
}

int Run(int argc, char** argv) {
  int iterations = 20000;
  if (argc > 1 && (!absl::SimpleAtoi(argv[1], &iterations) || iterations < 0)) {
    std::fprintf(stderr, "usage: %s [iterations]\n", argv[0]);
    return 2;
  }
  const std::vector<std::string> corpus = SeedCorpus();
  for (const std::string& input : corpus) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
  std::mt19937_64 rng(kMutationSeed);
  for (int i = 0; i < iterations; ++i) {
    std::string input;
    if (rng() % 50 == 0) {  // now and then pure noise
      input.resize(rng() % 512);
      for (char& c : input) c = static_cast<char>(rng());
    } else {
      input = Mutate(corpus[rng() % corpus.size()], corpus, rng);
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
  std::printf("%s: %zu seed inputs and %d mutated inputs, no invariant violated\n", argv[0],
              corpus.size(), iterations);
  return 0;
}

}  // namespace
}  // namespace tgrpc::mtproto::transport::fuzz

int main(int argc, char** argv) { return tgrpc::mtproto::transport::fuzz::Run(argc, argv); }
