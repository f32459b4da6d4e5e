// AES-256 in counter mode as a stream cipher (OpenSSL EVP): the key stream continues across calls,
// so data may be processed in pieces of any size. Encryption and decryption are the same
// operation.
#ifndef TGRPC_MTPROTO_TRANSPORT_AES_CTR_H_
#define TGRPC_MTPROTO_TRANSPORT_AES_CTR_H_

#include <openssl/evp.h>

#include <cstddef>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tgrpc::mtproto::transport {

class AesCtr256 {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kIvSize = 16;

  // `iv` is the initial 128-bit big-endian counter block.
  static absl::StatusOr<AesCtr256> Create(absl::string_view key, absl::string_view iv);

  // XORs the next `size` key stream bytes into `data`, in place.
  [[nodiscard]] absl::Status Apply(char* data, size_t size);

  // Advances the key stream by `size` bytes.
  [[nodiscard]] absl::Status Skip(size_t size);

 private:
  struct ContextDeleter {
    void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
  };

  explicit AesCtr256(std::unique_ptr<EVP_CIPHER_CTX, ContextDeleter> context)
      : context_(std::move(context)) {}

  std::unique_ptr<EVP_CIPHER_CTX, ContextDeleter> context_;
};

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_AES_CTR_H_
