#include "service/storage/future_salts_blob.h"

#include "absl/strings/str_cat.h"
#include "base/bytes.h"

namespace tgrpc::service {

std::string EncodeFutureSalts(const std::vector<FutureSaltRecord>& salts) {
  std::string blob(salts.size() * kFutureSaltBlobSize, '\0');
  char* out = blob.data();
  for (const FutureSaltRecord& salt : salts) {
    base::StoreLe64(static_cast<uint64_t>(salt.valid_since_unix), out);
    base::StoreLe64(static_cast<uint64_t>(salt.valid_until_unix), out + 8);
    base::StoreLe64(salt.salt, out + 16);
    out += kFutureSaltBlobSize;
  }
  return blob;
}

absl::StatusOr<std::vector<FutureSaltRecord>> DecodeFutureSalts(absl::string_view blob) {
  if (blob.size() % kFutureSaltBlobSize != 0) {
    return absl::DataLossError(absl::StrCat("future salts: ", blob.size(),
                                            " bytes, not a multiple of ", kFutureSaltBlobSize));
  }
  std::vector<FutureSaltRecord> salts;
  salts.reserve(blob.size() / kFutureSaltBlobSize);
  for (size_t at = 0; at < blob.size(); at += kFutureSaltBlobSize) {
    const char* in = blob.data() + at;
    FutureSaltRecord& salt = salts.emplace_back();
    salt.valid_since_unix = static_cast<int64_t>(base::LoadLe64(in));
    salt.valid_until_unix = static_cast<int64_t>(base::LoadLe64(in + 8));
    salt.salt = base::LoadLe64(in + 16);
  }
  return salts;
}

}  // namespace tgrpc::service
