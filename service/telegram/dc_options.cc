#include "service/telegram/dc_options.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tgrpc::service {
namespace {

// Telegram's published RSA public keys (core.telegram.org/mtproto/auth_key: the server's public
// key fingerprints), moduli in hex, e = 65537.
constexpr char kProductionModulus[] =
    "e8bb3305c0b52c6cf2afdf7637313489e63e05268e5badb601af417786472e5f"
    "93b85438968e20e6729a301c0afc121bf7151f834436f7fda680847a66bf64ac"
    "cec78ee21c0b316f0edafe2f41908da7bd1f4a5107638eeb67040ace472a14f9"
    "0d9f7c2b7def99688ba3073adb5750bb02964902a359fe745d8170e36876d4fd"
    "8a5d41b2a76cbff9a13267eb9580b2d06d10357448d20d9da2191cb5d8c93982"
    "961cdfdeda629e37f1fb09a0722027696032fe61ed663db7a37f6f263d370f69"
    "db53a0dc0a1748bdaaff6209d5645485e6e001d1953255757e4b8e42813347b1"
    "1da6ab500fd0ace7e6dfa3736199ccaf9397ed0745a427dcfa6cd67bcb1acff3";
constexpr char kTestModulus[] =
    "c8c11d635691fac091dd9489aedced2932aa8a0bcefef05fa800892d9b52ed03"
    "200865c9e97211cb2ee6c7ae96d3fb0e15aeffd66019b44a08a240cfdd2868a8"
    "5e1f54d6fa5deaa041f6941ddf302690d61dc476385c2fa655142353cb4e4b59"
    "f6e5b6584db76fe8b1370263246c010c93d011014113ebdf987d093f9d37c2be"
    "48352d69a1683f8f6e6c2167983c761e3ab169fde5daaa12123fa1beab621e4d"
    "a5935e9c198f82f35eae583a99386d8110ea6bd1abb0f568759f62694419ea5f"
    "69847c43462abef858b4cb5edc84e7b9226cd7bd7e183aa974a712c079dde85b"
    "9dc063b8a5c08e8f859c0ee5dcd824c7807f20153361a7f63cfd2a433a1be7f5";

mtproto::crypto::RsaPublicKey KeyFromHex(const char* modulus_hex) {
  const std::string n = absl::HexStringToBytes(modulus_hex);
  const uint8_t e[] = {0x01, 0x00, 0x01};
  absl::StatusOr<mtproto::crypto::RsaPublicKey> key =
      mtproto::crypto::RsaPublicKey::FromModulusAndExponent(
          absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(n.data()), n.size()), e);
  if (!key.ok()) std::abort();  // a built-in constant; its test checks it
  return *std::move(key);
}

}  // namespace

const std::vector<BuiltInKey>& BuiltInKeys() {
  static const std::vector<BuiltInKey> keys = {
      {0xd09d1d85de64fd85ULL, kProductionModulus},
      {0xb25898df208d2603ULL, kTestModulus},
  };
  return keys;
}

DcTable ProductionDcs() {
  DcTable table;
  table.network = "production";
  table.dcs = {{1, {"149.154.175.53", 443}},
               {2, {"149.154.167.51", 443}},
               {3, {"149.154.175.100", 443}},
               {4, {"149.154.167.91", 443}},
               {5, {"91.108.56.130", 443}}};
  table.keys.push_back(KeyFromHex(kProductionModulus));
  return table;
}

DcTable TestDcs() {
  DcTable table;
  table.network = "test";
  table.dcs = {
      {1, {"149.154.175.10", 443}}, {2, {"149.154.167.40", 443}}, {3, {"149.154.175.117", 443}}};
  table.keys.push_back(KeyFromHex(kTestModulus));
  table.test_mode = true;
  return table;
}

absl::StatusOr<DcTable> SandboxDcs(absl::string_view dc_list, absl::string_view key_pem) {
  DcTable table;
  table.network = "sandbox";
  for (absl::string_view item : absl::StrSplit(dc_list, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> id_and_address = absl::StrSplit(item, absl::MaxSplits('=', 1));
    int id = 0;
    if (id_and_address.size() != 2 || !absl::SimpleAtoi(id_and_address[0], &id) || id <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("sandbox DC list: expected <id>=<host>:<port>, got \"", item, "\""));
    }
    const size_t colon = id_and_address[1].rfind(':');
    int port = 0;
    if (colon == absl::string_view::npos ||
        !absl::SimpleAtoi(id_and_address[1].substr(colon + 1), &port) || port <= 0 ||
        port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("sandbox DC list: bad address in \"", item, "\""));
    }
    table.dcs[id] = {std::string(id_and_address[1].substr(0, colon)), static_cast<uint16_t>(port)};
  }
  if (table.dcs.empty()) return absl::InvalidArgumentError("sandbox DC list is empty");
  absl::StatusOr<mtproto::crypto::RsaPublicKey> key =
      mtproto::crypto::RsaPublicKey::FromPem(key_pem);
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("sandbox public key: ", key.status().message()));
  }
  table.keys.push_back(*std::move(key));
  table.default_dc = table.dcs.count(2) ? 2 : table.dcs.begin()->first;
  return table;
}

}  // namespace tgrpc::service
