#include "mtproto/crypto/sha.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

namespace tgrpc::mtproto::crypto {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// Fetching the algorithm once and reusing one context per thread keeps the per-call cost low
// for the many small hashes of a packet (three SHA-256 calls per 64-byte message).
const EVP_MD* FetchOnce(const char* name) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) std::abort();
  return md;
}

EVP_MD_CTX* ThreadContext() {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) std::abort();
  return ctx.get();
}

template <size_t kSize>
std::array<uint8_t, kSize> Digest(const EVP_MD* md, absl::Span<const ByteSpan> pieces) {
  EVP_MD_CTX* ctx = ThreadContext();
  bool ok = EVP_DigestInit_ex2(ctx, md, nullptr) == 1;
  for (ByteSpan piece : pieces) {
    ok = ok && EVP_DigestUpdate(ctx, piece.data(), piece.size()) == 1;
  }
  std::array<uint8_t, kSize> out;
  unsigned int size = 0;
  ok = ok && EVP_DigestFinal_ex(ctx, out.data(), &size) == 1 && size == kSize;
  if (!ok) std::abort();
  return out;
}

const EVP_MD* Sha1Md() {
  static const EVP_MD* const md = FetchOnce("SHA1");
  return md;
}

const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = FetchOnce("SHA256");
  return md;
}

}  // namespace

Sha1Digest Sha1(ByteSpan data) { return Sha1Concat({data}); }

Sha256Digest Sha256(ByteSpan data) { return Sha256Concat({data}); }

Sha1Digest Sha1Concat(absl::Span<const ByteSpan> pieces) { return Digest<20>(Sha1Md(), pieces); }

Sha256Digest Sha256Concat(absl::Span<const ByteSpan> pieces) {
  return Digest<32>(Sha256Md(), pieces);
}

}  // namespace tgrpc::mtproto::crypto
