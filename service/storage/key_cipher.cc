#include "service/storage/key_cipher.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/bytes.h"
#include "base/status_macros.h"

namespace tgrpc::service {
namespace {

// A key file is 32 or 65 bytes; reading stops well past that, so pointing the service at a large
// file by mistake fails fast instead of reading it all.
constexpr size_t kMaxKeyFileSize = 4096;

// EVP takes int lengths; data is fed in chunks that fit, so Open is safe on any size.
constexpr size_t kMaxEvpChunk = size_t{1} << 30;

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

[[noreturn]] void DieOnOpenSslFailure(const char* what) {
  fprintf(stderr, "KeyCipher: OpenSSL %s failed\n", what);
  std::abort();
}

const uint8_t* Bytes(absl::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// The version byte is authenticated with the caller's AAD, so it cannot be changed to make a
// future reader parse the rest differently.
bool AddAad(EVP_CIPHER_CTX* ctx, bool encrypt, absl::string_view aad) {
  const uint8_t version = KeyCipher::kVersion;
  auto update = encrypt ? EVP_EncryptUpdate : EVP_DecryptUpdate;
  int ignored = 0;
  if (update(ctx, nullptr, &ignored, &version, 1) != 1) return false;
  while (!aad.empty()) {
    const size_t n = std::min(aad.size(), kMaxEvpChunk);
    if (update(ctx, nullptr, &ignored, Bytes(aad), static_cast<int>(n)) != 1) return false;
    aad.remove_prefix(n);
  }
  return true;
}

// Runs `in` through the cipher into `out` (GCM is a stream mode: output length = input length).
bool Transform(EVP_CIPHER_CTX* ctx, bool encrypt, absl::string_view in, uint8_t* out) {
  auto update = encrypt ? EVP_EncryptUpdate : EVP_DecryptUpdate;
  while (!in.empty()) {
    const size_t n = std::min(in.size(), kMaxEvpChunk);
    int written = 0;
    if (update(ctx, out, &written, Bytes(in), static_cast<int>(n)) != 1 ||
        static_cast<size_t>(written) != n) {
      return false;
    }
    in.remove_prefix(n);
    out += n;
  }
  return true;
}

absl::StatusOr<std::string> ParseKeyFile(const std::string& path, absl::string_view contents) {
  if (contents.size() == KeyCipher::kKeySize) return std::string(contents);
  absl::string_view hex = contents;
  if (absl::EndsWith(hex, "\r\n")) {
    hex.remove_suffix(2);
  } else if (absl::EndsWith(hex, "\n")) {
    hex.remove_suffix(1);
  }
  if (hex.size() != 2 * KeyCipher::kKeySize) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "key file %s: expected %d raw bytes or %d hex digits (optionally followed by a newline), "
        "found %d bytes",
        path, KeyCipher::kKeySize, 2 * KeyCipher::kKeySize, contents.size()));
  }
  std::string key(KeyCipher::kKeySize, '\0');
  for (size_t i = 0; i < key.size(); ++i) {
    const int hi = base::HexDigitValue(hex[2 * i]);
    const int lo = base::HexDigitValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      OPENSSL_cleanse(key.data(), key.size());
      return absl::InvalidArgumentError(absl::StrFormat(
          "key file %s: %d bytes but not hex: byte %d is not a hex digit (expected %d raw bytes or "
          "%d hex digits)",
          path, contents.size(), hi < 0 ? 2 * i : 2 * i + 1, KeyCipher::kKeySize,
          2 * KeyCipher::kKeySize));
    }
    key[i] = static_cast<char>(hi << 4 | lo);
  }
  return key;
}

class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  // Closes now, reporting the error close() can give (the last chance to see a failed write).
  int Close() {
    const int rc = close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

// nullopt when the file does not exist.
absl::StatusOr<std::optional<std::string>> ReadKeyFile(const std::string& path) {
  ScopedFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::nullopt;
    return absl::ErrnoToStatus(errno, absl::StrCat("key file ", path, ": open"));
  }
  std::string contents(kMaxKeyFileSize + 1, '\0');
  size_t size = 0;
  while (size < contents.size()) {
    const ssize_t n = read(fd.get(), contents.data() + size, contents.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::ErrnoToStatus(errno, absl::StrCat("key file ", path, ": read"));
    }
    if (n == 0) break;
    size += static_cast<size_t>(n);
  }
  if (size > kMaxKeyFileSize) {
    OPENSSL_cleanse(contents.data(), contents.size());
    return absl::InvalidArgumentError(
        absl::StrFormat("key file %s: larger than %d bytes; expected %d raw bytes or %d hex digits",
                        path, kMaxKeyFileSize, KeyCipher::kKeySize, 2 * KeyCipher::kKeySize));
  }
  contents.resize(size);
  return contents;
}

absl::Status WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, "write");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// The rename is durable only once the directory holding it is synced; without this a crash could
// lose the key file while the database already holds secrets sealed under it.
absl::Status SyncDirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  ScopedFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return absl::ErrnoToStatus(errno, absl::StrCat("open directory ", dir));
  if (fsync(fd.get()) != 0) return absl::ErrnoToStatus(errno, absl::StrCat("fsync ", dir));
  return absl::OkStatus();
}

// Puts `contents` at `path` whole or not at all. False (and no change) if `path` exists by the
// time the file is in place: two processes starting together must end up with one key, not each
// with its own, the loser's secrets sealed under a key nobody keeps.
absl::StatusOr<bool> CreateFileExclusively(const std::string& path, absl::string_view contents) {
  std::string temp = path + ".tmp.XXXXXX";
  ScopedFd fd(mkostemp(temp.data(), O_CLOEXEC));
  if (fd.get() < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("key file ", path, ": create a temporary file"));
  }
  auto fail = [&](absl::Status status) {
    unlink(temp.c_str());
    return absl::Status(status.code(), absl::StrCat("key file ", path, ": ", status.message()));
  };
  if (fchmod(fd.get(), 0600) != 0) return fail(absl::ErrnoToStatus(errno, "fchmod"));
  if (absl::Status s = WriteAll(fd.get(), contents); !s.ok()) return fail(s);
  if (fsync(fd.get()) != 0) return fail(absl::ErrnoToStatus(errno, "fsync"));
  if (fd.Close() != 0) return fail(absl::ErrnoToStatus(errno, "close"));

  int rc = renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
  if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
    // A file system without RENAME_NOREPLACE: a hard link also refuses to replace.
    rc = link(temp.c_str(), path.c_str());
    if (rc == 0 || errno == EEXIST) unlink(temp.c_str());
  }
  if (rc != 0) {
    if (errno == EEXIST) {
      unlink(temp.c_str());
      return false;
    }
    return fail(absl::ErrnoToStatus(errno, "rename into place"));
  }
  absl::Status synced = SyncDirectoryOf(path);
  if (!synced.ok()) {
    return absl::Status(synced.code(), absl::StrCat("key file ", path, ": ", synced.message()));
  }
  return true;
}

}  // namespace

absl::StatusOr<KeyCipher> KeyCipher::LoadOrCreate(const std::string& path, bool* created) {
  if (created != nullptr) *created = false;
  TGRPC_ASSIGN_OR_RETURN(std::optional<std::string> contents, ReadKeyFile(path));
  if (!contents.has_value()) {
    std::string key(kKeySize, '\0');
    if (RAND_bytes(reinterpret_cast<uint8_t*>(key.data()), kKeySize) != 1) {
      return absl::InternalError("RAND_bytes failed to make a key");
    }
    std::string hex = absl::BytesToHexString(key) + "\n";
    absl::StatusOr<bool> made = CreateFileExclusively(path, hex);
    OPENSSL_cleanse(hex.data(), hex.size());
    if (!made.ok()) return made.status();
    if (*made) {
      if (created != nullptr) *created = true;
      return KeyCipher(std::move(key));
    }
    // Another process created it first: its key is the one.
    TGRPC_ASSIGN_OR_RETURN(contents, ReadKeyFile(path));
    if (!contents.has_value()) {
      return absl::UnavailableError(
          absl::StrCat("key file ", path, ": appeared and vanished while being created"));
    }
  }
  absl::StatusOr<std::string> key = ParseKeyFile(path, *contents);
  OPENSSL_cleanse(contents->data(), contents->size());
  if (!key.ok()) return key.status();
  return KeyCipher(*std::move(key));
}

absl::StatusOr<KeyCipher> KeyCipher::FromKey(std::string key) {
  if (key.size() != kKeySize) {
    const size_t size = key.size();
    OPENSSL_cleanse(key.data(), key.size());
    return absl::InvalidArgumentError(
        absl::StrFormat("KeyCipher key must be %d bytes, got %d", kKeySize, size));
  }
  return KeyCipher(std::move(key));
}

KeyCipher::~KeyCipher() { OPENSSL_cleanse(key_.data(), key_.size()); }

std::string KeyCipher::Seal(absl::string_view plaintext, absl::string_view aad) const {
  std::string sealed(kOverhead + plaintext.size(), '\0');
  uint8_t* const out = reinterpret_cast<uint8_t*>(sealed.data());
  out[0] = kVersion;
  uint8_t* const nonce = out + 1;
  uint8_t* const ciphertext = nonce + kNonceSize;
  uint8_t* const tag = ciphertext + plaintext.size();
  if (RAND_bytes(nonce, kNonceSize) != 1) DieOnOpenSslFailure("RAND_bytes");

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) DieOnOpenSslFailure("EVP_CIPHER_CTX_new");
  int final_len = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key_), nonce) != 1 ||
      !AddAad(ctx.get(), /*encrypt=*/true, aad) ||
      !Transform(ctx.get(), /*encrypt=*/true, plaintext, ciphertext) ||
      EVP_EncryptFinal_ex(ctx.get(), tag, &final_len) != 1 || final_len != 0 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, tag) != 1) {
    DieOnOpenSslFailure("AES-256-GCM encryption");
  }
  return sealed;
}

absl::StatusOr<std::string> KeyCipher::Open(absl::string_view sealed, absl::string_view aad) const {
  if (sealed.size() < kOverhead) {
    return absl::DataLossError(
        absl::StrFormat("sealed secret is %d bytes, shorter than the %d-byte minimum (version, "
                        "nonce and tag): truncated",
                        sealed.size(), kOverhead));
  }
  const uint8_t version = static_cast<uint8_t>(sealed[0]);
  if (version != kVersion) {
    return absl::DataLossError(
        absl::StrFormat("sealed secret has format version %d; this build reads only version %d",
                        version, kVersion));
  }
  const absl::string_view nonce = sealed.substr(1, kNonceSize);
  const absl::string_view ciphertext = sealed.substr(1 + kNonceSize, sealed.size() - kOverhead);
  // EVP_CTRL_GCM_SET_TAG takes a non-const pointer.
  uint8_t tag[kTagSize];
  memcpy(tag, sealed.data() + sealed.size() - kTagSize, kTagSize);

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return absl::ResourceExhaustedError("EVP_CIPHER_CTX_new failed");
  std::string plaintext(ciphertext.size(), '\0');
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key_), Bytes(nonce)) != 1 ||
      !AddAad(ctx.get(), /*encrypt=*/false, aad) ||
      !Transform(ctx.get(), /*encrypt=*/false, ciphertext,
                 reinterpret_cast<uint8_t*>(plaintext.data())) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag) != 1) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return absl::InternalError("AES-256-GCM decryption could not be set up");
  }
  uint8_t final_block[16];  // GCM writes nothing here; the tag check happens.
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), final_block, &final_len) != 1) {
    // Nothing decrypted may be used: the bytes are unauthenticated.
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return absl::DataLossError(
        "sealed secret does not authenticate: a different key, different associated data (a "
        "value moved from another row) or corrupted bytes");
  }
  return plaintext;
}

}  // namespace tgrpc::service
