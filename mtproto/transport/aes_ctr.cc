#include "mtproto/transport/aes_ctr.h"

#include <algorithm>
#include <string>
#include <utility>

namespace tgrpc::mtproto::transport {
namespace {

// EVP takes int lengths.
constexpr size_t kMaxChunk = size_t{1} << 30;

}  // namespace

absl::StatusOr<AesCtr256> AesCtr256::Create(absl::string_view key, absl::string_view iv) {
  if (key.size() != kKeySize || iv.size() != kIvSize) {
    return absl::InvalidArgumentError("AES-256-CTR needs a 32-byte key and a 16-byte IV");
  }
  std::unique_ptr<EVP_CIPHER_CTX, ContextDeleter> context(EVP_CIPHER_CTX_new());
  if (context == nullptr) return absl::ResourceExhaustedError("EVP_CIPHER_CTX_new failed");
  if (EVP_EncryptInit_ex(context.get(), EVP_aes_256_ctr(), nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()),
                         reinterpret_cast<const unsigned char*>(iv.data())) != 1) {
    return absl::InternalError("EVP_EncryptInit_ex(aes-256-ctr) failed");
  }
  return AesCtr256(std::move(context));
}

absl::Status AesCtr256::Apply(char* data, size_t size) {
  auto* bytes = reinterpret_cast<unsigned char*>(data);
  while (size > 0) {
    const size_t chunk = std::min(size, kMaxChunk);
    int written = 0;
    if (EVP_EncryptUpdate(context_.get(), bytes, &written, bytes, static_cast<int>(chunk)) != 1 ||
        written != static_cast<int>(chunk)) {
      return absl::InternalError("EVP_EncryptUpdate(aes-256-ctr) failed");
    }
    bytes += chunk;
    size -= chunk;
  }
  return absl::OkStatus();
}

absl::Status AesCtr256::Skip(size_t size) {
  std::string zeros(std::min(size, size_t{4096}), '\0');
  while (size > 0) {
    const size_t chunk = std::min(size, zeros.size());
    if (absl::Status status = Apply(zeros.data(), chunk); !status.ok()) return status;
    size -= chunk;
  }
  return absl::OkStatus();
}

}  // namespace tgrpc::mtproto::transport
