// A download's view of a file Telegram moved to a CDN DC (core.telegram.org/cdn): the redirect's
// token, key and IV, and the SHA-256 hashes of the file's 128 KiB pieces gathered from the
// redirect, upload.reuploadCdnFile and upload.getCdnFileHashes. The CDN is untrusted: every piece
// it serves is decrypted (mtproto/crypto/cdn_cipher.h) and checked against its hash before a byte
// of it reaches the caller. Not thread-safe (the download's lock guards it).
#ifndef TGRPC_SERVICE_API_CDN_FILE_H_
#define TGRPC_SERVICE_API_CDN_FILE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mtproto/crypto/cdn_cipher.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

class CdnFile {
 public:
  // The piece one upload.getCdnFile asks for: one hashed piece, so each answer is checked alone.
  static constexpr int64_t kPieceSize = mtproto::crypto::kCdnHashPieceSize;

  // DATA_LOSS for a redirect whose key, IV or DC cannot be right.
  static absl::StatusOr<CdnFile> FromRedirect(const tl::api::upload_fileCdnRedirect& redirect);

  int dc() const { return dc_; }
  const std::string& token() const { return token_; }

  // Takes hashes (fileHash entries; others are ignored). DATA_LOSS for an entry that is not a
  // whole aligned piece with a 32-byte hash.
  absl::Status AddHashes(const std::vector<tl::Ptr<tl::api::FileHash>>& hashes);
  bool HasHash(int64_t offset) const { return hashes_.count(offset) != 0; }

  // Decrypts `bytes`, the CDN's answer for the piece at `offset`, in place and checks it against
  // that piece's hash (which must be known): DATA_LOSS CDN_FILE_HASH_MISMATCH when they differ.
  absl::Status DecryptAndVerify(int64_t offset, std::string& bytes) const;

 private:
  struct Hash {
    int64_t limit = 0;
    std::string sha256;
  };
  int dc_ = 0;
  std::string token_;
  std::string key_;
  std::string iv_;
  std::map<int64_t, Hash> hashes_;  // by offset
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_CDN_FILE_H_
