#include "mtproto/crypto/random_source.h"

#include <openssl/rand.h>

#include <climits>
#include <cstdlib>

namespace tgrpc::mtproto::crypto {

RandomSource SecureRandom() {
  return [](absl::Span<uint8_t> out) {
    while (!out.empty()) {
      const size_t chunk = out.size() < INT_MAX ? out.size() : INT_MAX;
      if (RAND_bytes(out.data(), static_cast<int>(chunk)) != 1) std::abort();
      out.remove_prefix(chunk);
    }
  };
}

}  // namespace tgrpc::mtproto::crypto
