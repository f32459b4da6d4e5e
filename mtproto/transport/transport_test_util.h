// Helpers for the transport tests: deterministic payloads and feeding received bytes to a decoder
// in differently sized pieces.
#ifndef TGRPC_MTPROTO_TRANSPORT_TRANSPORT_TEST_UTIL_H_
#define TGRPC_MTPROTO_TRANSPORT_TRANSPORT_TEST_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mtproto/transport/frame.h"
#include "mtproto/transport/framing.h"

namespace tgrpc::mtproto::transport::testing {

// `size` pseudo-random bytes determined by `salt`. The fourth byte is below 0x80, so a 4-byte
// payload never reads as a (negative) transport error code.
std::string TestPayload(size_t size, uint32_t salt);

enum class Chunking { kWhole, kOneByte, kRandom };

const char* ChunkingName(Chunking chunking);

// Feeds `bytes` to `framing` in pieces (random sizes come from `seed`) and collects the frames.
absl::Status DecodeInChunks(Framing& framing, absl::string_view bytes, Chunking chunking,
                            uint64_t seed, std::vector<Frame>& frames);

// Lower-case hex, for readable expectations.
std::string Hex(absl::string_view bytes);

}  // namespace tgrpc::mtproto::transport::testing

#endif  // TGRPC_MTPROTO_TRANSPORT_TRANSPORT_TEST_UTIL_H_
