#include "mtproto/crypto/crypto_test_util.h"

#include <cstdlib>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "base/bytes.h"

namespace tgrpc::mtproto::crypto::testing {
std::vector<uint8_t> HexBytes(absl::string_view hex) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char c : hex) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) continue;
    const int digit = base::HexDigitValue(c);
    if (digit < 0) std::abort();
    if (high < 0) {
      high = digit;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | digit));
      high = -1;
    }
  }
  if (high >= 0) std::abort();
  return out;
}

std::string ToHex(absl::Span<const uint8_t> bytes) {
  return absl::BytesToHexString(base::AsStringView(bytes));
}

std::string NormalizedHex(absl::string_view hex) { return ToHex(HexBytes(hex)); }

RandomSource SeededRandom(uint64_t seed) {
  auto state = std::make_shared<uint64_t>(seed);
  return [state](absl::Span<uint8_t> out) {
    for (uint8_t& byte : out) {
      uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      byte = static_cast<uint8_t>(z ^ (z >> 31));
    }
  };
}

RandomSource ScriptedRandom(std::vector<uint8_t> bytes) {
  struct Script {
    std::vector<uint8_t> bytes;
    size_t next = 0;
  };
  auto script = std::make_shared<Script>(Script{std::move(bytes)});
  return [script](absl::Span<uint8_t> out) {
    if (script->bytes.size() - script->next < out.size()) std::abort();
    for (uint8_t& byte : out) byte = script->bytes[script->next++];
  };
}

}  // namespace tgrpc::mtproto::crypto::testing
