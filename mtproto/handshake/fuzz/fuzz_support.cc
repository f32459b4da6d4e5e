#include "mtproto/handshake/fuzz/fuzz_support.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/fake_clock.h"
#include "mtproto/handshake/client_handshake.h"
#include "mtproto/handshake/handshake_test_util.h"
#include "mtproto/handshake/server_handshake.h"
#include "mtproto/handshake/unencrypted_message.h"

namespace tgrpc::mtproto::handshake::fuzz {
namespace {

using ::tgrpc::base::FakeClock;
using ::tgrpc::mtproto::handshake::testing::RunExchange;
using ::tgrpc::mtproto::handshake::testing::SeededRandom;
using ::tgrpc::mtproto::handshake::testing::TestRsaKey;
using ::tgrpc::mtproto::handshake::testing::Transcript;

constexpr int64_t kNow = 1700000000;
constexpr uint64_t kServerSeed = 1;
constexpr uint64_t kClientSeed = 2;

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "handshake fuzz invariant violated: %s\n", what);
    std::abort();
  }
}

ServerHandshake NewServer(uint64_t seed, bool collisions) {
  auto config = std::make_shared<ServerHandshakeConfig>();
  config->rsa_keys = {TestRsaKey()};
  config->random = SeededRandom(seed);
  config->clock = FakeClock(absl::FromUnixSeconds(kNow)).AsClock();
  // About one key in three "collides", so inputs reach dh_gen_retry and dh_gen_fail too.
  if (collisions) config->auth_key_id_in_use = [](uint64_t id) { return id % 3 == 0; };
  absl::StatusOr<ServerHandshake> server = ServerHandshake::Create(std::move(config));
  Check(server.ok(), "the fuzz server config is valid");
  return *std::move(server);
}

ClientHandshakeOptions ClientOptions(uint64_t seed, InnerDataKind kind, RsaScheme scheme) {
  ClientHandshakeOptions options;
  options.server_keys = {TestRsaKey().public_key()};
  options.inner_data = kind;
  options.rsa_scheme = scheme;
  options.dc_id = 2;
  options.expires_in = IsTemporary(kind) ? 3600 : 0;
  options.random = SeededRandom(seed);
  options.clock = FakeClock(absl::FromUnixSeconds(kNow - 100)).AsClock();
  return options;
}

ClientHandshake NewClient(ClientHandshakeOptions options) {
  absl::StatusOr<ClientHandshake> client = ClientHandshake::Create(std::move(options));
  Check(client.ok(), "the fuzz client options are valid");
  return *std::move(client);
}

ClientHandshake NewFuzzedClient() {
  return NewClient(ClientOptions(kClientSeed, InnerDataKind::kTempDc, RsaScheme::kRsaPad));
}

// An answer must be an unencrypted message of the sender's role.
void CheckAnswer(const std::string& answer, bool from_server) {
  absl::StatusOr<UnencryptedMessage> decoded = DecodeUnencryptedMessage(answer);
  Check(decoded.ok(), "an answer is a well-formed unencrypted message");
  Check(from_server ? decoded->msg_id % 4 == 1 : decoded->msg_id % 4 == 0,
        "an answer's msg_id has the sender's parity");
}

}  // namespace

std::vector<std::string> SplitMessages(const uint8_t* data, size_t size) {
  std::vector<std::string> messages;
  size_t at = 0;
  while (size - at >= 2) {
    const size_t length = data[at] | size_t{data[at + 1]} << 8;
    at += 2;
    const size_t take = std::min(length, size - at);
    messages.emplace_back(reinterpret_cast<const char*>(data + at), take);
    at += take;
  }
  return messages;
}

std::string JoinMessages(const std::vector<std::string>& messages) {
  std::string out;
  for (const std::string& message : messages) {
    out.push_back(static_cast<char>(message.size() & 0xff));
    out.push_back(static_cast<char>(message.size() >> 8));
    out += message;
  }
  return out;
}

void FuzzServerHandshake(const uint8_t* data, size_t size) {
  ServerHandshake server = NewServer(kServerSeed, /*collisions=*/true);
  for (const std::string& message : SplitMessages(data, size)) {
    absl::StatusOr<std::string> answer = server.HandleMessage(message);
    if (!answer.ok()) {
      Check(server.failed() || server.done(), "an error ends the exchange");
      Check(!server.HandleMessage(message).ok(), "an ended exchange takes no more input");
      return;
    }
    CheckAnswer(*answer, /*from_server=*/true);
    if (server.failed()) Check(!server.status().ok(), "dh_gen_fail comes with a reason");
    if (server.done()) {
      const ServerHandshakeResult& result = server.result();
      Check(result.temporary == IsTemporary(result.inner_data), "temporary matches the kind");
      Check(result.temporary == (result.expires_in > 0), "only temporary keys expire");
      Check(result.dc_id.has_value() == HasDc(result.inner_data), "dc only from *_dc kinds");
    }
  }
}

std::vector<std::string> ServerHandshakeSeeds() {
  std::vector<std::string> seeds;
  uint64_t seed = 100;
  for (InnerDataKind kind :
       {InnerDataKind::kLegacy, InnerDataKind::kDc, InnerDataKind::kTemp, InnerDataKind::kTempDc}) {
    for (RsaScheme scheme : {RsaScheme::kRsaPad, RsaScheme::kLegacy}) {
      for (bool legacy_req_pq : {false, true}) {
        ClientHandshakeOptions options = ClientOptions(seed++, kind, scheme);
        options.legacy_req_pq = legacy_req_pq;
        ClientHandshake client = NewClient(std::move(options));
        ServerHandshake server = NewServer(kServerSeed, /*collisions=*/true);
        Transcript transcript;
        (void)RunExchange(client, server, &transcript);  // dh_gen_fail transcripts are fine too
        seeds.push_back(JoinMessages(transcript.client));
      }
    }
  }
  return seeds;
}

void FuzzClientHandshake(const uint8_t* data, size_t size) {
  ClientHandshake client = NewFuzzedClient();
  Check(client.Start().ok(), "Start() succeeds");
  for (const std::string& message : SplitMessages(data, size)) {
    absl::StatusOr<std::string> next = client.HandleMessage(message);
    if (!next.ok()) {
      Check(client.failed() || client.done(), "an error ends the exchange");
      Check(!client.HandleMessage(message).ok(), "an ended exchange takes no more input");
      return;
    }
    Check(next->empty() == client.done(), "only a finished client has nothing to send");
    if (!next->empty()) CheckAnswer(*next, /*from_server=*/false);
    if (client.done()) {
      Check(client.result().temporary && client.result().expires_in == 3600,
            "the key is the temporary one asked for");
    }
  }
}

std::vector<std::string> ClientHandshakeSeeds() {
  std::vector<std::string> seeds;
  for (uint64_t server_seed = 1; server_seed <= 4; ++server_seed) {
    for (bool collisions : {false, true}) {
      ClientHandshake client = NewFuzzedClient();
      ServerHandshake server = NewServer(server_seed, collisions);
      Transcript transcript;
      (void)RunExchange(client, server, &transcript);
      seeds.push_back(JoinMessages(transcript.server));
    }
  }
  return seeds;
}

}  // namespace tgrpc::mtproto::handshake::fuzz
