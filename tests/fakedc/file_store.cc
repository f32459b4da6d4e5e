#include "tests/fakedc/file_store.h"

#include <utility>

namespace tgrpc::fakedc {
namespace {

// 12 bytes: "fr", the file id and the generation. Not secret: fakedc checks it only to emulate
// expiry.
std::string MakeReference(int64_t file_id, int generation) {
  std::string out = "fr";
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(file_id >> (8 * i)));
  out.push_back(static_cast<char>(generation));
  out.push_back(static_cast<char>(generation >> 8));
  return out;
}

}  // namespace

PhotoRecord& FileStore::AddPhoto(PhotoRecord photo) {
  const int64_t id = photo.id;
  return photos_[id] = std::move(photo);
}

PhotoRecord* FileStore::FindPhoto(int64_t id) {
  auto it = photos_.find(id);
  return it == photos_.end() ? nullptr : &it->second;
}

std::string FileStore::Reference(int64_t file_id) {
  return MakeReference(file_id, generation_[file_id]);
}

FileStore::ReferenceCheck FileStore::Check(int64_t file_id, const std::string& reference) const {
  auto it = generation_.find(file_id);
  const int current = it == generation_.end() ? 0 : it->second;
  if (reference == MakeReference(file_id, current)) return ReferenceCheck::kValid;
  for (int g = 0; g < current; ++g) {
    if (reference == MakeReference(file_id, g)) return ReferenceCheck::kExpired;
  }
  return ReferenceCheck::kInvalid;
}

void FileStore::ExpireReferences() {
  for (auto& [id, generation] : generation_) ++generation;
  parts_served_.clear();
}

void FileStore::CountPartServed(int64_t file_id) {
  if (lifetime_parts_ <= 0) return;
  if (++parts_served_[file_id] >= lifetime_parts_) {
    ++generation_[file_id];
    parts_served_.erase(file_id);
  }
}

}  // namespace tgrpc::fakedc
