#include "tests/fakedc/cdn_files.h"

#include <utility>

namespace tgrpc::fakedc {

CdnFile* CdnFiles::FindByDocument(int64_t document_id) {
  auto it = token_of_.find(document_id);
  return it == token_of_.end() ? nullptr : FindByToken(it->second);
}

CdnFile* CdnFiles::FindByToken(const std::string& token) {
  auto it = by_token_.find(token);
  return it == by_token_.end() ? nullptr : &it->second;
}

CdnFile& CdnFiles::Add(CdnFile file) {
  file.on_cdn = !reupload_first_;
  token_of_[file.document_id] = file.token;
  const std::string token = file.token;
  return by_token_[token] = std::move(file);
}

void CdnFiles::ExpireTokens() {
  by_token_.clear();
  token_of_.clear();
}

}  // namespace tgrpc::fakedc
