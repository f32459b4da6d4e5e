#include "mtproto/transport/random_source.h"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstddef>

namespace tgrpc::mtproto::transport {

RandomSource SecureRandomSource() {
  return [](absl::Span<uint8_t> out) -> absl::Status {
    size_t done = 0;
    while (done < out.size()) {
      const size_t chunk = std::min<size_t>(out.size() - done, INT_MAX);
      if (RAND_bytes(out.data() + done, static_cast<int>(chunk)) != 1) {
        return absl::InternalError("RAND_bytes failed");
      }
      done += chunk;
    }
    return absl::OkStatus();
  };
}

}  // namespace tgrpc::mtproto::transport
