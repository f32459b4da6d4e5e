// Test helpers for the handshake: deterministic randomness, the test RSA key, and a
// pump that runs a client against a server in memory and records what each side sent.
#ifndef TGRPC_MTPROTO_HANDSHAKE_HANDSHAKE_TEST_UTIL_H_
#define TGRPC_MTPROTO_HANDSHAKE_HANDSHAKE_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "mtproto/crypto/random_source.h"
#include "mtproto/crypto/rsa_key.h"
#include "mtproto/handshake/client_handshake.h"
#include "mtproto/handshake/server_handshake.h"

namespace tgrpc::mtproto::handshake::testing {

// std::mt19937_64 bytes (its sequence is fixed by the standard). Copies share one generator.
crypto::RandomSource SeededRandom(uint64_t seed);

// crypto/testdata/test_rsa_key.pem.
const crypto::RsaPrivateKey& TestRsaKey();

// What each side sent, in order (whole unencrypted messages).
struct Transcript {
  std::vector<std::string> client;
  std::vector<std::string> server;
};

// Runs `client` from Start() against `server` until the client is done or either side fails.
// Returns the first error (the client's, or the server's when it has no answer).
absl::Status RunExchange(ClientHandshake& client, ServerHandshake& server,
                         Transcript* transcript = nullptr);

}  // namespace tgrpc::mtproto::handshake::testing

#endif  // TGRPC_MTPROTO_HANDSHAKE_HANDSHAKE_TEST_UTIL_H_
