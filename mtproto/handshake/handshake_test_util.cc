#include "mtproto/handshake/handshake_test_util.h"

#include <cstdlib>
#include <random>

#include "mtproto/crypto/testdata/test_rsa_key.h"

namespace tgrpc::mtproto::handshake::testing {

crypto::RandomSource SeededRandom(uint64_t seed) {
  auto engine = std::make_shared<std::mt19937_64>(seed);
  return [engine](absl::Span<uint8_t> out) {
    for (uint8_t& b : out) b = static_cast<uint8_t>((*engine)() >> 56);
  };
}

const crypto::RsaPrivateKey& TestRsaKey() {
  static const crypto::RsaPrivateKey* const key = [] {
    absl::StatusOr<crypto::RsaPrivateKey> parsed =
        crypto::RsaPrivateKey::FromPem(crypto::testing::kTestRsaPrivateKeyPem);
    if (!parsed.ok()) std::abort();
    return new crypto::RsaPrivateKey(*std::move(parsed));
  }();
  return *key;
}

absl::Status RunExchange(ClientHandshake& client, ServerHandshake& server, Transcript* transcript) {
  absl::StatusOr<std::string> to_server = client.Start();
  // Enough for the three round trips and the retries any test allows.
  for (int round = 0; round < 32; ++round) {
    if (!to_server.ok()) return to_server.status();
    if (transcript != nullptr) transcript->client.push_back(*to_server);
    absl::StatusOr<std::string> to_client = server.HandleMessage(*to_server);
    if (!to_client.ok()) return to_client.status();
    if (transcript != nullptr) transcript->server.push_back(*to_client);
    to_server = client.HandleMessage(*to_client);
    if (!to_server.ok()) return to_server.status();
    if (client.done()) return absl::OkStatus();
  }
  return absl::DeadlineExceededError("the exchange did not end");
}

}  // namespace tgrpc::mtproto::handshake::testing
