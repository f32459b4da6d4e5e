#include "mtproto/transport/transport_test_util.h"

#include <algorithm>
#include <random>

#include "absl/strings/escaping.h"

namespace tgrpc::mtproto::transport::testing {

std::string TestPayload(size_t size, uint32_t salt) {
  std::mt19937 engine(salt);
  std::string payload(size, '\0');
  for (char& c : payload) c = static_cast<char>(engine() >> 24);
  if (size > 3) payload[3] = static_cast<char>(payload[3] & 0x7f);
  return payload;
}

const char* ChunkingName(Chunking chunking) {
  switch (chunking) {
    case Chunking::kWhole:
      return "Whole";
    case Chunking::kOneByte:
      return "OneByte";
    case Chunking::kRandom:
      return "Random";
  }
  return "Unknown";
}

absl::Status DecodeInChunks(Framing& framing, absl::string_view bytes, Chunking chunking,
                            uint64_t seed, std::vector<Frame>& frames) {
  if (chunking == Chunking::kWhole) return framing.Decode(bytes, frames);
  std::mt19937_64 engine(seed);
  while (!bytes.empty()) {
    size_t size = 1;
    if (chunking == Chunking::kRandom) {
      // Mostly small pieces, sometimes large ones, sometimes empty reads.
      const uint64_t r = engine();
      size = (r % 8 == 0) ? (r >> 8) % 70000 : (r >> 8) % 100;
    }
    size = std::min(size, bytes.size());
    if (absl::Status status = framing.Decode(bytes.substr(0, size), frames); !status.ok()) {
      return status;
    }
    bytes.remove_prefix(size);
  }
  return absl::OkStatus();
}

std::string Hex(absl::string_view bytes) { return absl::BytesToHexString(bytes); }

}  // namespace tgrpc::mtproto::transport::testing
