#include "mtproto/crypto/aes_ige.h"

// The portable fallback uses OpenSSL's AES block functions, deprecated in OpenSSL 3.0 but the
// only per-block API it has; the hot path never calls them.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <cpuid.h>
#include <openssl/aes.h>
#include <openssl/crypto.h>
#include <wmmintrin.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "mtproto/crypto/sha256_ni.h"

namespace tgrpc::mtproto::crypto {

struct AesIge::PortableKeys {
  AES_KEY enc;
  AES_KEY dec;
};

namespace {

#define TGRPC_AESNI __attribute__((target("aes,sse2")))

// One step of the AES key schedule: folds the previous round key and the (already
// broadcast) keygenassist word.
TGRPC_AESNI inline __m128i ExpandStep(__m128i key, __m128i assist) {
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  return _mm_xor_si128(key, assist);
}

template <int kRcon>
TGRPC_AESNI inline __m128i Aes128Round(__m128i key) {
  return ExpandStep(key, _mm_shuffle_epi32(_mm_aeskeygenassist_si128(key, kRcon), 0xff));
}

TGRPC_AESNI void ExpandAes128(const uint8_t* key, __m128i* rk) {
  rk[0] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
  rk[1] = Aes128Round<0x01>(rk[0]);
  rk[2] = Aes128Round<0x02>(rk[1]);
  rk[3] = Aes128Round<0x04>(rk[2]);
  rk[4] = Aes128Round<0x08>(rk[3]);
  rk[5] = Aes128Round<0x10>(rk[4]);
  rk[6] = Aes128Round<0x20>(rk[5]);
  rk[7] = Aes128Round<0x40>(rk[6]);
  rk[8] = Aes128Round<0x80>(rk[7]);
  rk[9] = Aes128Round<0x1b>(rk[8]);
  rk[10] = Aes128Round<0x36>(rk[9]);
}

// AES-256 alternates two kinds of steps: even round keys use RotWord+SubWord with a round
// constant, odd ones SubWord only (keygenassist word 2, no constant).
template <int kRcon>
TGRPC_AESNI inline void Aes256Rounds(__m128i* rk, int i) {
  rk[i] =
      ExpandStep(rk[i - 2], _mm_shuffle_epi32(_mm_aeskeygenassist_si128(rk[i - 1], kRcon), 0xff));
  if (i + 1 <= 14) {
    rk[i + 1] = ExpandStep(rk[i - 1], _mm_shuffle_epi32(_mm_aeskeygenassist_si128(rk[i], 0), 0xaa));
  }
}

TGRPC_AESNI void ExpandAes256(const uint8_t* key, __m128i* rk) {
  rk[0] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
  rk[1] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key + 16));
  Aes256Rounds<0x01>(rk, 2);
  Aes256Rounds<0x02>(rk, 4);
  Aes256Rounds<0x04>(rk, 6);
  Aes256Rounds<0x08>(rk, 8);
  Aes256Rounds<0x10>(rk, 10);
  Aes256Rounds<0x20>(rk, 12);
  Aes256Rounds<0x40>(rk, 14);
}

TGRPC_AESNI void ExpandKeys(const uint8_t* key, int rounds, uint8_t* enc, uint8_t* dec) {
  __m128i rk[15];
  if (rounds == 10) {
    ExpandAes128(key, rk);
  } else {
    ExpandAes256(key, rk);
  }
  // The equivalent inverse cipher: reversed round keys, InvMixColumns on the inner ones.
  __m128i dk[15];
  dk[0] = rk[rounds];
  for (int i = 1; i < rounds; ++i) dk[i] = _mm_aesimc_si128(rk[rounds - i]);
  dk[rounds] = rk[0];
  for (int i = 0; i <= rounds; ++i) {
    _mm_store_si128(reinterpret_cast<__m128i*>(enc) + i, rk[i]);
    _mm_store_si128(reinterpret_cast<__m128i*>(dec) + i, dk[i]);
  }
  // Round keys are secret: wipe the stack copies.
  OPENSSL_cleanse(rk, sizeof(rk));
  OPENSSL_cleanse(dk, sizeof(dk));
}

// The IGE chain, templated on the direction and the round count so the round keys stay in
// registers and the rounds unroll. IGE is serial: each block's AES waits for the block before.
// So no XOR is left between two blocks' rounds: the last AES round gives its output XOR its key,
// so the last round key folded with the previous input block gives this output block, and folded
// further with the next input block and the first round key it gives the next block's state
// straight away, both from the input alone, known ahead. Encryption's input is the plaintext and
// its previous output the ciphertext; decryption swaps the two (and the halves of the IV).
//
// Run takes the blocks in pieces, in order, so other work can go between them (DecryptAndSha256);
// inlined, the chain's state stays in registers across the pieces.
template <bool kEncrypt, int kRounds>
class IgeAesNiChain {
 public:
  // `blocks` is at least 1.
  TGRPC_AESNI __attribute__((always_inline))
  IgeAesNiChain(const uint8_t* keys, const uint8_t* iv, const uint8_t* in, uint8_t* out,
                size_t blocks)
      : src_(reinterpret_cast<const __m128i*>(in)),
        dst_(reinterpret_cast<__m128i*>(out)),
        blocks_(blocks) {
    for (int i = 0; i <= kRounds; ++i) {
      k_[i] = _mm_load_si128(reinterpret_cast<const __m128i*>(keys) + i);
    }
    const __m128i* iv_blocks = reinterpret_cast<const __m128i*>(iv);
    // iv[0:16] is the previous ciphertext block, iv[16:32] the previous plaintext block.
    prev_in_ = _mm_loadu_si128(iv_blocks + (kEncrypt ? 1 : 0));
    const __m128i prev_out = _mm_loadu_si128(iv_blocks + (kEncrypt ? 0 : 1));
    current_ = _mm_loadu_si128(src_);
    // The first block's state after the initial round key.
    x_ = _mm_xor_si128(_mm_xor_si128(current_, prev_out), k_[0]);
  }

  // Blocks [from, to), where `from` is where the last Run stopped (0 at first).
  TGRPC_AESNI __attribute__((always_inline)) void Run(size_t from, size_t to) {
    __m128i x = x_, prev_in = prev_in_, current = current_;
    for (size_t b = from; b < to; ++b) {
      for (int r = 1; r < kRounds; ++r) {
        x = kEncrypt ? _mm_aesenc_si128(x, k_[r]) : _mm_aesdec_si128(x, k_[r]);
      }
      const __m128i last = _mm_xor_si128(k_[kRounds], prev_in);
      const __m128i result =
          kEncrypt ? _mm_aesenclast_si128(x, last) : _mm_aesdeclast_si128(x, last);
      if (b + 1 < blocks_) {
        // Loaded before this block's store: `in` may equal `out`.
        const __m128i next = _mm_loadu_si128(src_ + b + 1);
        const __m128i fold = _mm_xor_si128(last, _mm_xor_si128(next, k_[0]));
        x = kEncrypt ? _mm_aesenclast_si128(x, fold) : _mm_aesdeclast_si128(x, fold);
        prev_in = current;
        current = next;
      }
      _mm_storeu_si128(dst_ + b, result);
    }
    x_ = x;
    prev_in_ = prev_in;
    current_ = current;
  }

 private:
  __m128i k_[kRounds + 1];
  const __m128i* src_;
  __m128i* dst_;
  size_t blocks_;
  __m128i prev_in_;
  __m128i current_;
  __m128i x_;
};

template <bool kEncrypt, int kRounds>
TGRPC_AESNI void IgeAesNi(const uint8_t* keys, const uint8_t* iv, const uint8_t* in, uint8_t* out,
                          size_t blocks) {
  if (blocks == 0) return;
  IgeAesNiChain<kEncrypt, kRounds> chain(keys, iv, in, out, blocks);
  chain.Run(0, blocks);
}

#define TGRPC_AESNI_SHANI __attribute__((target("aes,sha,ssse3,sse4.1")))

// Decryption and SHA-256(prefix + plaintext) in one pass. The hash's first block is the 32-byte
// prefix and the first two plaintext blocks; each later one is four plaintext blocks. Each step
// decrypts the next four blocks and then hashes the four before them, whose plaintext is ready:
// the CPU runs that hash while the next step's AES chain waits on its own latency.
template <int kRounds>
TGRPC_AESNI_SHANI void IgeDecryptSha256NiFused(const uint8_t* keys, const uint8_t* iv,
                                               const uint8_t* prefix, const uint8_t* in,
                                               uint8_t* out, size_t blocks, uint8_t* digest) {
  constexpr size_t kPrefixSize = 32;
  const uint64_t total = kPrefixSize + AesIge::kBlockSize * blocks;
  sha256_ni::State sha = sha256_ni::Init();
  alignas(16) uint8_t first[64];
  std::memcpy(first, prefix, kPrefixSize);
  if (blocks < 2) {
    if (blocks == 1) IgeAesNi<false, kRounds>(keys, iv, in, out, 1);
    std::memcpy(first + kPrefixSize, out, AesIge::kBlockSize * blocks);
    sha256_ni::Finish(sha, first, static_cast<size_t>(total), total, digest);
    OPENSSL_cleanse(first, sizeof(first));
    return;
  }
  IgeAesNiChain<false, kRounds> chain(keys, iv, in, out, blocks);
  chain.Run(0, 2);
  std::memcpy(first + kPrefixSize, out, 2 * AesIge::kBlockSize);
  const uint8_t* pending = first;  // decrypted, not yet hashed
  size_t b = 2;
  for (; b + 4 <= blocks; b += 4) {
    chain.Run(b, b + 4);
    sha256_ni::Compress(sha, pending);
    pending = out + AesIge::kBlockSize * b;
  }
  chain.Run(b, blocks);
  sha256_ni::Compress(sha, pending);
  sha256_ni::Finish(sha, out + AesIge::kBlockSize * b, AesIge::kBlockSize * (blocks - b), total,
                    digest);
  OPENSSL_cleanse(first, sizeof(first));
}

// Encryption of one packet and the SHA-256 of `prefix` (32 bytes) and `message` (another
// packet's plaintext), interleaved: each step encrypts four blocks, then hashes a 64-byte block
// of the message, whose bytes are ready; whichever runs longer finishes alone.
template <int kRounds>
TGRPC_AESNI_SHANI void IgeEncryptSha256NiFused(const uint8_t* keys, const uint8_t* iv,
                                               const uint8_t* in, uint8_t* out, size_t blocks,
                                               const uint8_t* prefix, const uint8_t* message,
                                               size_t message_size, uint8_t* digest) {
  constexpr size_t kPrefixSize = 32;
  constexpr size_t kFirstPart = 64 - kPrefixSize;  // of the message, in the first hash block
  const uint64_t total = kPrefixSize + message_size;
  sha256_ni::State sha = sha256_ni::Init();
  alignas(16) uint8_t first[64];
  std::memcpy(first, prefix, kPrefixSize);
  std::memcpy(first + kPrefixSize, message, std::min(message_size, kFirstPart));
  if (message_size < kFirstPart) {
    if (blocks > 0) IgeAesNi<true, kRounds>(keys, iv, in, out, blocks);
    sha256_ni::Finish(sha, first, static_cast<size_t>(total), total, digest);
    OPENSSL_cleanse(first, sizeof(first));
    return;
  }
  // Hash block 0 is `first`; block j > 0 starts at message + 32 + 64 * (j - 1).
  const size_t hash_blocks = 1 + (message_size - kFirstPart) / 64;
  auto hash_block = [&](size_t j) { return j == 0 ? first : message + kFirstPart + 64 * (j - 1); };
  size_t j = 0;
  if (blocks > 0) {
    IgeAesNiChain<true, kRounds> chain(keys, iv, in, out, blocks);
    size_t b = 0;
    for (; b + 4 <= blocks && j < hash_blocks; b += 4, ++j) {
      chain.Run(b, b + 4);
      sha256_ni::Compress(sha, hash_block(j));
    }
    chain.Run(b, blocks);
  }
  for (; j < hash_blocks; ++j) sha256_ni::Compress(sha, hash_block(j));
  const size_t tail = (message_size - kFirstPart) % 64;
  sha256_ni::Finish(sha, message + message_size - tail, tail, total, digest);
  OPENSSL_cleanse(first, sizeof(first));
}

#undef TGRPC_AESNI_SHANI
#undef TGRPC_AESNI

void Xor16(const uint8_t* a, const uint8_t* b, uint8_t* out) {
  for (int i = 0; i < 16; ++i) out[i] = a[i] ^ b[i];
}

// The same chaining on OpenSSL's block function, for CPUs without AES-NI.
void IgePortable(const AES_KEY& key, bool encrypt, const uint8_t* iv, const uint8_t* in,
                 uint8_t* out, size_t blocks) {
  // For encryption prev_in is the previous plaintext and prev_out the previous ciphertext;
  // decryption swaps the roles.
  uint8_t prev_in[16], prev_out[16], block[16], current_in[16];
  std::memcpy(prev_out, encrypt ? iv : iv + 16, 16);
  std::memcpy(prev_in, encrypt ? iv + 16 : iv, 16);
  for (size_t b = 0; b < blocks; ++b) {
    std::memcpy(current_in, in + 16 * b, 16);
    Xor16(current_in, prev_out, block);
    if (encrypt) {
      AES_encrypt(block, block, &key);
    } else {
      AES_decrypt(block, block, &key);
    }
    Xor16(block, prev_in, out + 16 * b);
    std::memcpy(prev_out, out + 16 * b, 16);
    std::memcpy(prev_in, current_in, 16);
  }
  OPENSSL_cleanse(block, sizeof(block));
  OPENSSL_cleanse(prev_out, sizeof(prev_out));
  OPENSSL_cleanse(current_in, sizeof(current_in));
  OPENSSL_cleanse(prev_in, sizeof(prev_in));
}

absl::Status CheckLengths(absl::Span<const uint8_t> in, absl::Span<uint8_t> out) {
  if (in.size() != out.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-IGE: input is ", in.size(), " bytes but output is ", out.size()));
  }
  if (in.size() % AesIge::kBlockSize != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-IGE: length ", in.size(), " is not a multiple of 16"));
  }
  const uint8_t* in_begin = in.data();
  const uint8_t* out_begin = out.data();
  if (in_begin != out_begin && in_begin < out_begin + out.size() &&
      out_begin < in_begin + in.size()) {
    return absl::InvalidArgumentError("AES-IGE: input and output partially overlap");
  }
  return absl::OkStatus();
}

// The checks of DecryptAndSha256 and EncryptAndSha256: the hash's 32-byte prefix and the
// cipher's lengths.
absl::Status CheckHashed(absl::Span<const uint8_t> prefix, absl::Span<const uint8_t> in,
                         absl::Span<uint8_t> out, absl::string_view what) {
  if (prefix.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": the prefix is ", prefix.size(), " bytes, not 32"));
  }
  return CheckLengths(in, out);
}

}  // namespace

bool AesIge::CpuHasAesNi() {
  static const bool has_aes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("aes") != 0;
  }();
  return has_aes;
}

bool AesIge::CpuHasShaNi() {
  static const bool has_sha = [] {
    __builtin_cpu_init();
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    // CPUID leaf 7, sub-leaf 0: EBX bit 29 is SHA.
    const bool sha = __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) != 0 && (ebx >> 29 & 1) != 0;
    return sha && __builtin_cpu_supports("ssse3") != 0 && __builtin_cpu_supports("sse4.1") != 0;
  }();
  return has_sha;
}

absl::StatusOr<AesIge> AesIge::Create(absl::Span<const uint8_t> key, AesBackend backend) {
  if (key.size() != 16 && key.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES key must be 16 or 32 bytes, got ", key.size()));
  }
  if (backend == AesBackend::kAuto) {
    backend = CpuHasAesNi() ? AesBackend::kAesNi : AesBackend::kPortable;
  }
  if (backend == AesBackend::kAesNi && !CpuHasAesNi()) {
    return absl::FailedPreconditionError("this CPU has no AES-NI");
  }
  AesIge aes;
  aes.backend_ = backend;
  aes.rounds_ = key.size() == 16 ? 10 : 14;
  const int bits = static_cast<int>(key.size() * 8);
  if (backend == AesBackend::kAesNi) {
    ExpandKeys(key.data(), aes.rounds_, aes.enc_keys_.data(), aes.dec_keys_.data());
  } else {
    auto keys = std::make_shared<PortableKeys>();
    if (AES_set_encrypt_key(key.data(), bits, &keys->enc) != 0 ||
        AES_set_decrypt_key(key.data(), bits, &keys->dec) != 0) {
      return absl::InternalError("AES_set_*_key failed");
    }
    aes.portable_ = std::move(keys);
  }
  return aes;
}

absl::Status AesIge::Encrypt(const Iv& iv, absl::Span<const uint8_t> in,
                             absl::Span<uint8_t> out) const {
  if (absl::Status status = CheckLengths(in, out); !status.ok()) return status;
  const size_t blocks = in.size() / kBlockSize;
  if (blocks == 0) return absl::OkStatus();
  if (backend_ == AesBackend::kPortable) {
    IgePortable(portable_->enc, /*encrypt=*/true, iv.data(), in.data(), out.data(), blocks);
  } else if (rounds_ == 14) {
    IgeAesNi<true, 14>(enc_keys_.data(), iv.data(), in.data(), out.data(), blocks);
  } else {
    IgeAesNi<true, 10>(enc_keys_.data(), iv.data(), in.data(), out.data(), blocks);
  }
  return absl::OkStatus();
}

absl::Status AesIge::Decrypt(const Iv& iv, absl::Span<const uint8_t> in,
                             absl::Span<uint8_t> out) const {
  if (absl::Status status = CheckLengths(in, out); !status.ok()) return status;
  const size_t blocks = in.size() / kBlockSize;
  if (blocks == 0) return absl::OkStatus();
  if (backend_ == AesBackend::kPortable) {
    IgePortable(portable_->dec, /*encrypt=*/false, iv.data(), in.data(), out.data(), blocks);
  } else if (rounds_ == 14) {
    IgeAesNi<false, 14>(dec_keys_.data(), iv.data(), in.data(), out.data(), blocks);
  } else {
    IgeAesNi<false, 10>(dec_keys_.data(), iv.data(), in.data(), out.data(), blocks);
  }
  return absl::OkStatus();
}

absl::StatusOr<Sha256Digest> AesIge::DecryptAndSha256(const Iv& iv,
                                                      absl::Span<const uint8_t> prefix,
                                                      absl::Span<const uint8_t> in,
                                                      absl::Span<uint8_t> out, bool fused) const {
  if (absl::Status status = CheckHashed(prefix, in, out, "DecryptAndSha256"); !status.ok())
    return status;
  Sha256Digest digest;
  if (fused && backend_ == AesBackend::kAesNi && CpuHasShaNi()) {
    const size_t blocks = in.size() / kBlockSize;
    if (rounds_ == 14) {
      IgeDecryptSha256NiFused<14>(dec_keys_.data(), iv.data(), prefix.data(), in.data(), out.data(),
                                  blocks, digest.data());
    } else {
      IgeDecryptSha256NiFused<10>(dec_keys_.data(), iv.data(), prefix.data(), in.data(), out.data(),
                                  blocks, digest.data());
    }
    return digest;
  }
  if (absl::Status status = Decrypt(iv, in, out); !status.ok()) return status;
  return Sha256Concat({prefix, out});
}

absl::StatusOr<Sha256Digest> AesIge::EncryptAndSha256(const Iv& iv, absl::Span<const uint8_t> in,
                                                      absl::Span<uint8_t> out,
                                                      absl::Span<const uint8_t> prefix,
                                                      absl::Span<const uint8_t> message,
                                                      bool fused) const {
  if (absl::Status status = CheckHashed(prefix, in, out, "EncryptAndSha256"); !status.ok())
    return status;
  if (!message.empty() && !out.empty() && message.data() < out.data() + out.size() &&
      out.data() < message.data() + message.size()) {
    return absl::InvalidArgumentError("EncryptAndSha256: the hashed message overlaps the output");
  }
  Sha256Digest digest;
  if (fused && backend_ == AesBackend::kAesNi && CpuHasShaNi()) {
    const size_t blocks = in.size() / kBlockSize;
    if (rounds_ == 14) {
      IgeEncryptSha256NiFused<14>(enc_keys_.data(), iv.data(), in.data(), out.data(), blocks,
                                  prefix.data(), message.data(), message.size(), digest.data());
    } else {
      IgeEncryptSha256NiFused<10>(enc_keys_.data(), iv.data(), in.data(), out.data(), blocks,
                                  prefix.data(), message.data(), message.size(), digest.data());
    }
    return digest;
  }
  if (absl::Status status = Encrypt(iv, in, out); !status.ok()) return status;
  return Sha256Concat({prefix, message});
}

}  // namespace tgrpc::mtproto::crypto
