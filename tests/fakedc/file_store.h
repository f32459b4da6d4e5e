// fakedc's photos and the file references of its photos and documents: the records behind
// messageMediaPhoto, profile and chat photos, and what upload.getFile checks. Telegram gives each
// file a file_reference that expires (core.telegram.org/api/file_reference); fakedc's change only
// when a test asks (ExpireReferences, or a lifetime counted in parts served), so expiry is
// deterministic. Part of the World (World::files()); lives on the server thread: no locks.
#ifndef TGRPC_TESTS_FAKEDC_FILE_STORE_H_
#define TGRPC_TESTS_FAKEDC_FILE_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "tests/fakedc/cdn_files.h"

namespace tgrpc::fakedc {

// A user's or chat's current photo (userProfilePhoto / chatPhoto); id 0: none.
struct PeerPhoto {
  int64_t id = 0;
  int dc_id = 0;
};

// A photo as fakedc keeps it: the uploaded bytes unchanged, as its one size. Telegram
// recompresses an upload into several JPEG sizes; fakedc reads the width and height from the
// image's header (PNG or JPEG) and labels the one size by them (photos.h: PhotoSizeType).
struct PhotoRecord {
  int64_t id = 0;
  int64_t access_hash = 0;
  int32_t date = 0;
  int dc_id = 2;
  std::string path;  // contents on disk
  std::string type;  // "s", "m", "x", "y" or "w"
  int32_t w = 0;
  int32_t h = 0;
  int64_t size = 0;
};

class FileStore {
 public:
  PhotoRecord& AddPhoto(PhotoRecord photo);
  PhotoRecord* FindPhoto(int64_t id);

  // The current file_reference of the photo or document `file_id` (ids are unique across both).
  std::string Reference(int64_t file_id);
  enum class ReferenceCheck { kValid, kExpired, kInvalid };
  // kExpired: a reference this file had before; kInvalid: one it never had.
  ReferenceCheck Check(int64_t file_id, const std::string& reference) const;
  // Gives every file a new reference: the old ones answer FILE_REFERENCE_EXPIRED.
  void ExpireReferences();
  // After this many parts served with one reference, a file gets a new one (0: never).
  void set_reference_lifetime_parts(int parts) { lifetime_parts_ = parts; }
  // upload.getFile served a part of `file_id` with its current reference.
  void CountPartServed(int64_t file_id);

  // Every upload.getFile call, answered or refused, and the FILE_REFERENCE_EXPIRED answers.
  int64_t get_file_calls() const { return get_file_calls_; }
  int64_t expired_answers() const { return expired_answers_; }
  void CountGetFile() { ++get_file_calls_; }
  void CountExpiredAnswer() { ++expired_answers_; }
  // A test hook run before each upload.getFile is served, with the call's number from 1.
  std::function<void(int64_t call)> before_get_file;

  // The documents the CDN DC holds (FakeDcOptions::cdn_min_size).
  CdnFiles& cdn() { return cdn_; }

 private:
  std::map<int64_t, PhotoRecord> photos_;
  std::map<int64_t, int> generation_;    // by file id: how many times its reference changed
  std::map<int64_t, int> parts_served_;  // by file id, with its current reference
  int lifetime_parts_ = 0;
  int64_t get_file_calls_ = 0;
  int64_t expired_answers_ = 0;
  CdnFiles cdn_;
};

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_FILE_STORE_H_
