// Helpers for the crypto tests: hex conversion and deterministic random sources.
#ifndef TGRPC_MTPROTO_CRYPTO_CRYPTO_TEST_UTIL_H_
#define TGRPC_MTPROTO_CRYPTO_CRYPTO_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "mtproto/crypto/random_source.h"

namespace tgrpc::mtproto::crypto::testing {

// Decodes hex (upper or lower case; whitespace ignored). Aborts on malformed input, which is a
// typo in a test vector.
std::vector<uint8_t> HexBytes(absl::string_view hex);

// Lower-case hex of the bytes.
std::string ToHex(absl::Span<const uint8_t> bytes);

// `hex` in ToHex's form, so expectations compare (and print) as readable hex.
std::string NormalizedHex(absl::string_view hex);

// A deterministic, seeded pseudo-random source (SplitMix64). Not for production.
RandomSource SeededRandom(uint64_t seed);

// Hands out exactly `bytes`, in order, across calls; aborts if more are asked for, so a test
// notices when the code under test draws more randomness than the vector accounts for.
RandomSource ScriptedRandom(std::vector<uint8_t> bytes);

}  // namespace tgrpc::mtproto::crypto::testing

#endif  // TGRPC_MTPROTO_CRYPTO_CRYPTO_TEST_UTIL_H_
