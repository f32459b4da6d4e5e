// Bytes for the file tests: seeded random data, a PNG-looking photo, and SHA-256 to compare what
// went up with what came down.
#ifndef TGRPC_TESTS_SERVICE_TEST_BYTES_H_
#define TGRPC_TESTS_SERVICE_TEST_BYTES_H_

#include <openssl/evp.h>

#include <cstdint>
#include <random>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"

namespace tgrpc::service_test {

// `size` bytes drawn from a generator seeded with `seed`.
inline std::string RandomBytes(int64_t size, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::string out(static_cast<size_t>(size), '\0');
  for (auto& c : out) c = static_cast<char>(random());
  return out;
}

// Lower-case hex SHA-256 of `data`.
inline std::string Sha256(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), length));
}

// `size` bytes that start like a w x h PNG (signature and IHDR chunk) and go on at random: fakedc
// reads only the header, as a photo's dimensions, and keeps the bytes as they are.
inline std::string PngLike(int32_t w, int32_t h, int64_t size, uint64_t seed) {
  std::string out("\x89PNG\r\n\x1a\n", 8);
  out += std::string("\0\0\0\x0d", 4) + "IHDR";
  for (int32_t v : {w, h}) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
  }
  out += std::string("\x08\x02\0\0\0", 5) + "crc!";
  out += RandomBytes(size - static_cast<int64_t>(out.size()), seed);
  return out;
}

}  // namespace tgrpc::service_test

#endif  // TGRPC_TESTS_SERVICE_TEST_BYTES_H_
