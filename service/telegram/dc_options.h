// Where tgrpcd's accounts connect: Telegram's production DCs, its test DCs, or a sandbox (a local
// fakedc), each with the RSA keys trusted for the key exchange. The production and test tables
// and Telegram's published public keys are built in, so pointing tgrpcd at real Telegram needs
// only api_id and api_hash.
#ifndef TGRPC_SERVICE_TELEGRAM_DC_OPTIONS_H_
#define TGRPC_SERVICE_TELEGRAM_DC_OPTIONS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mtproto/crypto/rsa_key.h"

namespace tgrpc::service {

struct DcEndpoint {
  std::string host;
  uint16_t port = 443;
};

struct DcTable {
  // "production", "test" or "sandbox".
  std::string network;
  std::map<int, DcEndpoint> dcs;
  std::vector<mtproto::crypto::RsaPublicKey> keys;
  // Test DCs take dc_id + 10000 in the key exchange (p_q_inner_data_dc).
  bool test_mode = false;
  // The DC new accounts start on (Telegram answers PHONE_MIGRATE where another is right).
  int default_dc = 2;
};

// Telegram's production DCs 1-5 and its current production key (fingerprint d09d1d85de64fd85).
DcTable ProductionDcs();
// Telegram's test DCs 1-3 and its test key (fingerprint b25898df208d2603).
DcTable TestDcs();
// Builds a sandbox table from "1=127.0.0.1:4431,2=127.0.0.1:4432" and a PEM public key.
absl::StatusOr<DcTable> SandboxDcs(absl::string_view dc_list, absl::string_view key_pem);
// Telegram's built-in keys (production, test) with their published fingerprints, for tests.
struct BuiltInKey {
  uint64_t fingerprint;
  const char* modulus_hex;
};
const std::vector<BuiltInKey>& BuiltInKeys();

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_TELEGRAM_DC_OPTIONS_H_
