// SHA-256 on the SHA-NI instructions (sha256rnds2, sha256msg1, sha256msg2), inlined into the
// caller so its rounds can interleave with other work on the same data (AesIge::DecryptAndSha256).
// Private to aes_ige; everything else hashes through sha.h (OpenSSL, which uses SHA-NI itself).
//
// The state lives in two registers in the order sha256rnds2 wants: ABEF (A in the top lane) and
// CDGH. Each sha256rnds2 does two rounds and returns the new ABEF; the old ABEF is then the new
// CDGH, so the two registers swap roles every call.
#ifndef TGRPC_MTPROTO_CRYPTO_SHA256_NI_H_
#define TGRPC_MTPROTO_CRYPTO_SHA256_NI_H_

#include <immintrin.h>
#include <openssl/crypto.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#define TGRPC_SHANI __attribute__((target("sha,ssse3,sse4.1")))

namespace tgrpc::mtproto::crypto::sha256_ni {

// FIPS 180-4, 4.2.2.
alignas(16) inline constexpr uint32_t kRoundConstants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

struct State {
  __m128i abef;
  __m128i cdgh;
};

// Reverses the bytes of each 32-bit lane: SHA-256 words are big-endian.
TGRPC_SHANI inline __m128i WordByteSwap() {
  return _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
}

// FIPS 180-4, 5.3.3: H0 = 6a09e667 bb67ae85 3c6ef372 a54ff53a 510e527f 9b05688c 1f83d9ab 5be0cd19.
TGRPC_SHANI inline State Init() {
  // _mm_set_epi32 takes the top lane first.
  return State{_mm_set_epi32(0x6a09e667, static_cast<int>(0xbb67ae85), 0x510e527f,
                             static_cast<int>(0x9b05688c)),
               _mm_set_epi32(0x3c6ef372, static_cast<int>(0xa54ff53a), 0x1f83d9ab, 0x5be0cd19)};
}

// One 64-byte block. The message schedule keeps four registers of four words each: group g
// (words 4g..4g+3) replaces group g-4 in w[g % 4].
TGRPC_SHANI __attribute__((always_inline)) inline void Compress(State& state,
                                                                const uint8_t* block) {
  const __m128i swap = WordByteSwap();
  const __m128i* k = reinterpret_cast<const __m128i*>(kRoundConstants);
  __m128i abef = state.abef;
  __m128i cdgh = state.cdgh;
  __m128i w[4];
#pragma GCC unroll 16
  for (int g = 0; g < 16; ++g) {
    __m128i& group = w[g & 3];
    if (g < 4) {
      group = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block) + g), swap);
    } else {
      // W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16]: msg1 adds s0 to group g-4, the
      // alignr picks W[t-7] from groups g-2 and g-1, msg2 adds s1 (of words it may have just
      // made).
      group = _mm_sha256msg1_epu32(group, w[(g + 1) & 3]);
      group = _mm_add_epi32(group, _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4));
      group = _mm_sha256msg2_epu32(group, w[(g + 3) & 3]);
    }
    const __m128i wk = _mm_add_epi32(group, _mm_load_si128(k + g));
    cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
    abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0e));
  }
  state.abef = _mm_add_epi32(state.abef, abef);
  state.cdgh = _mm_add_epi32(state.cdgh, cdgh);
}

// Hashes the last `size` (< 64) bytes of a message of `total` bytes with the padding, and
// writes the digest.
TGRPC_SHANI inline void Finish(State& state, const uint8_t* tail, size_t size, uint64_t total,
                               uint8_t* digest) {
  alignas(16) uint8_t last[128] = {};
  std::memcpy(last, tail, size);
  last[size] = 0x80;
  const size_t blocks = size + 1 + 8 <= 64 ? 1 : 2;
  const uint64_t bits = total * 8;
  for (int i = 0; i < 8; ++i) last[64 * blocks - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
  for (size_t b = 0; b < blocks; ++b) Compress(state, last + 64 * b);
  // ABEF and CDGH back to ABCD and EFGH, each word big-endian.
  const __m128i abef = _mm_shuffle_epi32(state.abef, 0x1b);  // A in the bottom lane
  const __m128i ghcd = _mm_shuffle_epi32(state.cdgh, 0xb1);  // bottom lane first: G H C D
  const __m128i abcd = _mm_blend_epi16(abef, ghcd, 0xf0);
  const __m128i efgh = _mm_alignr_epi8(ghcd, abef, 8);
  const __m128i swap = WordByteSwap();
  _mm_storeu_si128(reinterpret_cast<__m128i*>(digest), _mm_shuffle_epi8(abcd, swap));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(digest) + 1, _mm_shuffle_epi8(efgh, swap));
  OPENSSL_cleanse(last, sizeof(last));  // the message may be secret
}

}  // namespace tgrpc::mtproto::crypto::sha256_ni

#endif  // TGRPC_MTPROTO_CRYPTO_SHA256_NI_H_
