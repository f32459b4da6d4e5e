// Encryption of secrets at rest (auth keys, bot tokens): AES-256-GCM under one key that lives
// outside the database (a file or a mounted Kubernetes Secret), so a copied database alone does not
// give away the accounts. Each sealed value is bound to its place by associated data, so a value
// moved to another row does not open.
#ifndef TGRPC_SERVICE_STORAGE_KEY_CIPHER_H_
#define TGRPC_SERVICE_STORAGE_KEY_CIPHER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tgrpc::service {

class KeyCipher {
 public:
  static constexpr size_t kKeySize = 32;
  // Sealed layout: version byte, nonce, ciphertext (as long as the plaintext), tag.
  static constexpr uint8_t kVersion = 1;
  static constexpr size_t kNonceSize = 12;
  static constexpr size_t kTagSize = 16;
  static constexpr size_t kOverhead = 1 + kNonceSize + kTagSize;

  // Reads the key from `path`: exactly 32 raw bytes, or 64 hex digits optionally followed by a
  // newline. If the file does not exist, makes a random key and writes it there as hex (mode 0600,
  // through a temporary file, fsync and a rename that never replaces a file another process made
  // meanwhile) and sets *created (may be null), so the caller can warn that secrets sealed under
  // any earlier key will not open. A file in neither format is InvalidArgument.
  static absl::StatusOr<KeyCipher> LoadOrCreate(const std::string& path, bool* created);
  // `key` must be kKeySize bytes (InvalidArgument otherwise).
  static absl::StatusOr<KeyCipher> FromKey(std::string key);

  KeyCipher(const KeyCipher&) = default;
  KeyCipher& operator=(const KeyCipher&) = default;
  KeyCipher(KeyCipher&&) = default;
  KeyCipher& operator=(KeyCipher&&) = default;
  // Wipes the key from memory.
  ~KeyCipher();

  // Encrypts under a fresh random nonce. `aad` is authenticated, not stored: Open needs the same.
  // Cannot fail short of OpenSSL failing to allocate or to produce randomness, which aborts rather
  // than hand back a value sealed under a predictable nonce.
  std::string Seal(absl::string_view plaintext, absl::string_view aad) const;
  // DataLoss, saying what failed, if `sealed` is malformed, of an unknown version, or does not
  // authenticate under this key and `aad`. Safe on any input.
  absl::StatusOr<std::string> Open(absl::string_view sealed, absl::string_view aad) const;

 private:
  explicit KeyCipher(std::string key) : key_(std::move(key)) {}

  std::string key_;
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_STORAGE_KEY_CIPHER_H_
