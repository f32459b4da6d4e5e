// Throughput of the MTProto ciphers: AES-256-IGE on AES-NI against AES-256-CBC through EVP
// (OpenSSL's AES-NI path, also a serial chain when encrypting) and against OpenSSL's own
// AES_ige_encrypt, plus whole MTProto packets. Run: bazel run -c opt //mtproto/crypto:crypto_bench
#define OPENSSL_SUPPRESS_DEPRECATED  // AES_ige_encrypt, benchmarked only as the reference.
#include <openssl/aes.h>
#include <openssl/evp.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "benchmark/benchmark.h"
#include "mtproto/crypto/aes_ige.h"
#include "mtproto/crypto/auth_key.h"
#include "mtproto/crypto/packet_cipher.h"
#include "mtproto/crypto/random_source.h"

namespace tgrpc::mtproto::crypto {
namespace {

constexpr size_t kFilePart = 512 * 1024;

std::vector<uint8_t> RandomBytes(size_t size) {
  std::vector<uint8_t> bytes(size);
  SecureRandom()(absl::MakeSpan(bytes));
  return bytes;
}

AesIge MakeIge(AesBackend backend) {
  auto aes = AesIge::Create(RandomBytes(32), backend);
  if (!aes.ok()) std::abort();
  return *std::move(aes);
}

void IgeEncrypt(benchmark::State& state, AesBackend backend) {
  const AesIge aes = MakeIge(backend);
  AesIge::Iv iv;
  SecureRandom()(absl::MakeSpan(iv));
  std::vector<uint8_t> buffer = RandomBytes(state.range(0));
  for (auto _ : state) {
    if (!aes.Encrypt(iv, buffer, absl::MakeSpan(buffer)).ok()) std::abort();
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_AesIgeEncrypt(benchmark::State& state) { IgeEncrypt(state, AesBackend::kAesNi); }
void BM_AesIgeEncryptPortable(benchmark::State& state) { IgeEncrypt(state, AesBackend::kPortable); }

void BM_AesIgeDecrypt(benchmark::State& state) {
  const AesIge aes = MakeIge(AesBackend::kAesNi);
  AesIge::Iv iv;
  SecureRandom()(absl::MakeSpan(iv));
  std::vector<uint8_t> buffer = RandomBytes(state.range(0));
  for (auto _ : state) {
    if (!aes.Decrypt(iv, buffer, absl::MakeSpan(buffer)).ok()) std::abort();
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// What checking a received packet's msg_key costs on top of decrypting it: IGE decryption with
// the SHA-256 of the key prefix and the plaintext, in one pass (range(1) = 1) or decrypt, then
// hash (0).
void BM_AesIgeDecryptAndSha256(benchmark::State& state) {
  const AesIge aes = MakeIge(AesBackend::kAesNi);
  AesIge::Iv iv;
  SecureRandom()(absl::MakeSpan(iv));
  const std::vector<uint8_t> prefix = RandomBytes(32);
  std::vector<uint8_t> buffer = RandomBytes(state.range(0));
  const bool fused = state.range(1) != 0;
  for (auto _ : state) {
    auto digest = aes.DecryptAndSha256(iv, prefix, buffer, absl::MakeSpan(buffer), fused);
    if (!digest.ok()) std::abort();
    benchmark::DoNotOptimize(digest->data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.SetLabel(fused && AesIge::CpuHasShaNi() ? "one pass" : "decrypt, then SHA-256");
}

void BM_OpenSslAesIgeEncrypt(benchmark::State& state) {
  const std::vector<uint8_t> key_bytes = RandomBytes(32);
  AES_KEY key;
  AES_set_encrypt_key(key_bytes.data(), 256, &key);
  std::vector<uint8_t> iv = RandomBytes(32);
  std::vector<uint8_t> buffer = RandomBytes(state.range(0));
  for (auto _ : state) {
    AES_ige_encrypt(buffer.data(), buffer.data(), buffer.size(), &key, iv.data(), AES_ENCRYPT);
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// One AES-256-CBC pass over `buffer` through EVP, in place.
class EvpCbc {
 public:
  explicit EvpCbc(bool encrypt)
      : ctx_(EVP_CIPHER_CTX_new()), key_(RandomBytes(32)), iv_(RandomBytes(16)) {
    if (EVP_CipherInit_ex(ctx_, EVP_aes_256_cbc(), nullptr, key_.data(), iv_.data(),
                          encrypt ? 1 : 0) != 1) {
      std::abort();
    }
    EVP_CIPHER_CTX_set_padding(ctx_, 0);
  }
  ~EvpCbc() { EVP_CIPHER_CTX_free(ctx_); }

  void Run(std::vector<uint8_t>& buffer) {
    int out = 0;
    // A null key keeps the schedule; the IV is reset, as a fresh message would.
    if (EVP_CipherInit_ex(ctx_, nullptr, nullptr, nullptr, iv_.data(), -1) != 1 ||
        EVP_CipherUpdate(ctx_, buffer.data(), &out, buffer.data(),
                         static_cast<int>(buffer.size())) != 1) {
      std::abort();
    }
  }

 private:
  EVP_CIPHER_CTX* ctx_;
  std::vector<uint8_t> key_;
  std::vector<uint8_t> iv_;
};

void BM_EvpAes256CbcEncrypt(benchmark::State& state) {
  EvpCbc cbc(/*encrypt=*/true);
  std::vector<uint8_t> buffer = RandomBytes(state.range(0));
  for (auto _ : state) {
    cbc.Run(buffer);
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_EvpAes256CbcDecrypt(benchmark::State& state) {
  EvpCbc cbc(/*encrypt=*/false);
  std::vector<uint8_t> buffer = RandomBytes(state.range(0));
  for (auto _ : state) {
    cbc.Run(buffer);
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// IGE and CBC encryption interleaved in the same loop, so both see the same clock and
// thermal state; reports the throughput ratio as a counter.
void BM_IgeToCbcEncryptRatio(benchmark::State& state) {
  const AesIge aes = MakeIge(AesBackend::kAesNi);
  AesIge::Iv iv{};
  EvpCbc cbc(/*encrypt=*/true);
  std::vector<uint8_t> buffer = RandomBytes(state.range(0));
  std::chrono::nanoseconds ige_time{0}, cbc_time{0};
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!aes.Encrypt(iv, buffer, absl::MakeSpan(buffer)).ok()) std::abort();
    benchmark::DoNotOptimize(buffer.data());
    const auto t1 = std::chrono::steady_clock::now();
    cbc.Run(buffer);
    benchmark::DoNotOptimize(buffer.data());
    const auto t2 = std::chrono::steady_clock::now();
    ige_time += t1 - t0;
    cbc_time += t2 - t1;
  }
  const double bytes = static_cast<double>(state.iterations()) * state.range(0);
  state.counters["ige_MB/s"] = bytes / 1e6 / (ige_time.count() / 1e9);
  state.counters["cbc_MB/s"] = bytes / 1e6 / (cbc_time.count() / 1e9);
  state.counters["ige/cbc"] =
      static_cast<double>(cbc_time.count()) / static_cast<double>(ige_time.count());
}

AuthKey RandomAuthKey() {
  AuthKey::Bytes bytes;
  SecureRandom()(absl::MakeSpan(bytes));
  return AuthKey(bytes);
}

const MessageHeader kHeader{.salt = 1, .session_id = 2, .msg_id = 3, .seq_no = 4};

void BM_PacketEncrypt(benchmark::State& state) {
  const PacketCipher cipher(RandomAuthKey(), Role::kClient);
  const RandomSource random = SecureRandom();
  const size_t body_size = state.range(0);
  std::vector<uint8_t> packet(PacketCipher::EncryptedSize(body_size));
  SecureRandom()(absl::MakeSpan(packet));
  // The body is serialized in place, as a session would; only the padding is new each time.
  for (auto _ : state) {
    auto size = cipher.EncryptInPlace(kHeader, body_size, random, absl::MakeSpan(packet));
    if (!size.ok()) std::abort();
    benchmark::DoNotOptimize(packet.data());
  }
  state.SetBytesProcessed(state.iterations() * body_size);
  state.SetItemsProcessed(state.iterations());
}

// range(0) packets of 512 KiB encrypted together (PacketCipher::EncryptPrepared: each next
// packet's msg_key hash runs alongside the encryption before it); 1 is EncryptInPlace's case.
void BM_PacketEncryptBatch(benchmark::State& state) {
  const PacketCipher cipher(RandomAuthKey(), Role::kClient);
  const RandomSource random = SecureRandom();
  const size_t count = state.range(0);
  std::vector<std::vector<uint8_t>> packets(count);
  std::vector<absl::Span<uint8_t>> spans;
  for (auto& packet : packets) {
    packet.resize(PacketCipher::EncryptedSize(kFilePart));
    SecureRandom()(absl::MakeSpan(packet));
    spans.push_back(absl::MakeSpan(packet));
  }
  for (auto _ : state) {
    for (auto& packet : packets) {
      if (!cipher.PrepareInPlace(kHeader, kFilePart, random, absl::MakeSpan(packet)).ok()) {
        std::abort();
      }
    }
    if (!cipher.EncryptPrepared(spans).ok()) std::abort();
    benchmark::DoNotOptimize(packets[0].data());
  }
  state.SetBytesProcessed(state.iterations() * count * kFilePart);
}

void BM_PacketDecrypt(benchmark::State& state) {
  const AuthKey key = RandomAuthKey();
  const PacketCipher server(key, Role::kServer);
  const PacketCipher client(key, Role::kClient);
  const size_t body_size = state.range(0);
  std::vector<uint8_t> encrypted(PacketCipher::EncryptedSize(body_size));
  if (!server.Encrypt(kHeader, RandomBytes(body_size), SecureRandom(), absl::MakeSpan(encrypted))
           .ok()) {
    std::abort();
  }
  std::vector<uint8_t> work(encrypted.size());
  // Decryption is in place, so each round starts from a fresh copy (included in the time).
  for (auto _ : state) {
    std::memcpy(work.data(), encrypted.data(), encrypted.size());
    auto message = client.DecryptInPlace(absl::MakeSpan(work));
    if (!message.ok()) std::abort();
    benchmark::DoNotOptimize(message->body.data());
  }
  state.SetBytesProcessed(state.iterations() * body_size);
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_AesIgeEncrypt)->Arg(kFilePart);
BENCHMARK(BM_AesIgeDecrypt)->Arg(kFilePart);
BENCHMARK(BM_AesIgeDecryptAndSha256)->Args({kFilePart, 1})->Args({kFilePart, 0});
BENCHMARK(BM_EvpAes256CbcEncrypt)->Arg(kFilePart);
BENCHMARK(BM_EvpAes256CbcDecrypt)->Arg(kFilePart);
BENCHMARK(BM_IgeToCbcEncryptRatio)->Arg(kFilePart);
BENCHMARK(BM_OpenSslAesIgeEncrypt)->Arg(kFilePart);
BENCHMARK(BM_AesIgeEncryptPortable)->Arg(kFilePart);
BENCHMARK(BM_PacketEncrypt)->Arg(64)->Arg(4096)->Arg(kFilePart);
BENCHMARK(BM_PacketEncryptBatch)->Arg(1)->Arg(2)->Arg(4);
BENCHMARK(BM_PacketDecrypt)->Arg(64)->Arg(4096)->Arg(kFilePart);

}  // namespace
}  // namespace tgrpc::mtproto::crypto
