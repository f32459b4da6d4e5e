// Files in fakedc, with Telegram's rules: parts of a size dividing 512 KiB (a multiple of 1 KiB;
// the last part may be shorter), at most 4000 parts (8000 premium), 2000 MiB (4000 MiB premium).
// Parts and documents live on disk, never whole in memory. A document is kept on one DC
// (MethodEnv::files_dc, else the one it was uploaded to); upload.getFile elsewhere is 303
// FILE_MIGRATE_X. A premium user (UserRecord::premium) gets the premium limits. Every part saved
// is also noted in World::part_saves (which session carried it), for tests.
//
// An upload's parts go into one sparse file, part i at i * 512 KiB, with a log of the parts'
// sizes (uploads.cc). A document keeps that file: messages.sendMedia checks the parts and renames
// their directory, so committing 2000 MiB is no copy (which took ~15 s, long enough for clients'
// pings to time out). upload.getFile maps an offset to its part.
#ifndef TGRPC_TESTS_FAKEDC_UPLOADS_H_
#define TGRPC_TESTS_FAKEDC_UPLOADS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "tests/fakedc/methods.h"

namespace tgrpc::fakedc {

inline constexpr int64_t kMaxPartSize = 512 * 1024;
inline constexpr int kMaxParts = 4000;
inline constexpr int kMaxPartsPremium = 8000;

// Checks the parts of an uploaded file (all present, all but the last of one size dividing
// 512 KiB, at most `max_size` bytes in all) and writes them in order to `path`; the parts are
// removed. Returns the size and the InputFile's name. For photos (10 MiB at most).
struct JoinedUpload {
  int64_t size = 0;
  std::string name;
};
absl::StatusOr<JoinedUpload> JoinUploadedParts(MethodEnv& env, const CallContext& context,
                                               const tl::api::InputFile& file,
                                               const std::string& path, int64_t max_size);

// Makes the parts of an uploaded file a document (with the attributes sent), keeping them where
// they are (DocumentRecord::path is their directory, renamed); returns its id.
absl::StatusOr<int64_t> CommitUpload(MethodEnv& env, const CallContext& context,
                                     const tl::api::inputMediaUploadedDocument& media);

// `n` bytes at `offset` of a stored file: a file (photos), or a committed upload's directory
// (documents: the parts' file and their size); the range may span parts. 500 FILE_READ_FAILED
// when fewer bytes are there.
absl::StatusOr<std::string> ReadStoredFile(const std::string& path, int64_t offset, int64_t n);

// Up to `limit` bytes from `offset` of a stored file of `size` bytes: none past its end
// (upload.getFile's and upload.getCdnFile's answer to an offset at or after the end is empty).
absl::StatusOr<std::string> ReadStoredRange(const std::string& path, int64_t size, int64_t offset,
                                            int64_t limit);

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_UPLOADS_H_
