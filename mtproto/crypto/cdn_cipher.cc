#include "mtproto/crypto/cdn_cipher.h"

#include <openssl/evp.h>

#include <algorithm>
#include <climits>
#include <memory>

#include "absl/strings/str_cat.h"

namespace tgrpc::mtproto::crypto {

absl::Status CdnIvAt(absl::string_view iv, int64_t offset, std::string* out) {
  if (iv.size() != kCdnIvSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("a CDN encryption_iv has 16 bytes, not ", iv.size()));
  }
  // offset / 16 must fit the 4 bytes it replaces.
  if (offset < 0 || offset % 16 != 0 || offset / 16 > int64_t{UINT32_MAX}) {
    return absl::InvalidArgumentError(absl::StrCat("bad CDN file offset ", offset));
  }
  const uint32_t block = static_cast<uint32_t>(offset / 16);
  out->assign(iv.data(), 12);
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((block >> shift) & 0xff));
  }
  return absl::OkStatus();
}

absl::Status CdnCrypt(absl::string_view key, absl::string_view iv, int64_t offset,
                      std::string& data) {
  if (key.size() != kCdnKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("a CDN encryption_key has 32 bytes, not ", key.size()));
  }
  std::string counter;
  if (absl::Status s = CdnIvAt(iv, offset, &counter); !s.ok()) return s;
  struct Free {
    void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
  };
  std::unique_ptr<EVP_CIPHER_CTX, Free> context(EVP_CIPHER_CTX_new());
  if (context == nullptr ||
      EVP_EncryptInit_ex(context.get(), EVP_aes_256_ctr(), nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()),
                         reinterpret_cast<const unsigned char*>(counter.data())) != 1) {
    return absl::InternalError("cannot set up AES-256-CTR");
  }
  auto* bytes = reinterpret_cast<unsigned char*>(data.data());
  for (size_t done = 0; done < data.size();) {
    const int n = static_cast<int>(std::min<size_t>(data.size() - done, INT_MAX / 2));
    int written = 0;
    if (EVP_EncryptUpdate(context.get(), bytes + done, &written, bytes + done, n) != 1 ||
        written != n) {
      return absl::InternalError("AES-256-CTR failed");
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace tgrpc::mtproto::crypto
