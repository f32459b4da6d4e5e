#include "service/api/cdn_file.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "mtproto/crypto/sha.h"
#include "service/api/errors.h"

namespace tgrpc::service {

namespace api = tl::api;

absl::StatusOr<CdnFile> CdnFile::FromRedirect(const api::upload_fileCdnRedirect& redirect) {
  if (redirect.dc_id <= 0 || redirect.encryption_key.size() != mtproto::crypto::kCdnKeySize ||
      redirect.encryption_iv.size() != mtproto::crypto::kCdnIvSize || redirect.file_token.empty()) {
    return absl::DataLossError(
        absl::StrCat("Telegram's CDN redirect is malformed (DC ", redirect.dc_id, ", a ",
                     redirect.encryption_key.size(), "-byte key, a ", redirect.encryption_iv.size(),
                     "-byte IV, a ", redirect.file_token.size(), "-byte token)"));
  }
  CdnFile out;
  out.dc_ = redirect.dc_id;
  out.token_ = redirect.file_token;
  out.key_ = redirect.encryption_key;
  out.iv_ = redirect.encryption_iv;
  if (absl::Status s = out.AddHashes(redirect.file_hashes); !s.ok()) return s;
  return out;
}

absl::Status CdnFile::AddHashes(const std::vector<tl::Ptr<api::FileHash>>& hashes) {
  for (const auto& entry : hashes) {
    const auto* hash = dynamic_cast<const api::fileHash*>(entry.get());
    if (hash == nullptr) continue;
    if (hash->offset < 0 || hash->offset % kPieceSize != 0 || hash->limit <= 0 ||
        hash->limit > kPieceSize || hash->hash.size() != 32) {
      return absl::DataLossError(absl::StrCat("Telegram sent a bad CDN file hash (offset ",
                                              hash->offset, ", limit ", hash->limit, ", ",
                                              hash->hash.size(), " bytes)"));
    }
    hashes_[hash->offset] = {hash->limit, hash->hash};
  }
  return absl::OkStatus();
}

absl::Status CdnFile::DecryptAndVerify(int64_t offset, std::string& bytes) const {
  auto it = hashes_.find(offset);
  if (it == hashes_.end()) {
    return absl::DataLossError(absl::StrCat("Telegram gave no hash for the CDN piece at ", offset));
  }
  if (absl::Status s = mtproto::crypto::CdnCrypt(key_, iv_, offset, bytes); !s.ok()) {
    return absl::DataLossError(s.message());
  }
  const mtproto::crypto::Sha256Digest digest = mtproto::crypto::Sha256(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  if (static_cast<int64_t>(bytes.size()) != it->second.limit ||
      it->second.sha256 !=
          absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size())) {
    return ServiceError(
        absl::StatusCode::kDataLoss, "CDN_FILE_HASH_MISMATCH",
        absl::StrCat("the CDN DC ", dc_, " served ", bytes.size(), " bytes at offset ", offset,
                     " that do not match Telegram's SHA-256 hash of that piece (", it->second.limit,
                     " bytes): the CDN's copy is corrupt or tampered with"));
  }
  return absl::OkStatus();
}

}  // namespace tgrpc::service
