// Files in fakedc, with Telegram's rules: parts of a size dividing 512 KiB (a multiple of 1 KiB;
// the last part may be shorter), at most 4000 parts (8000 premium), 2000 MiB (4000 MiB premium).
// Parts and documents live on disk, never whole in memory. A document is kept on one DC
// (MethodEnv::files_dc, else the one it was uploaded to); upload.getFile elsewhere is 303
// FILE_MIGRATE_X. A premium user (UserRecord::premium) gets the premium limits. Every part saved
// is also noted in World::part_saves (which session carried it), for tests.
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
// removed. Returns the size and the InputFile's name.
struct JoinedUpload {
  int64_t size = 0;
  std::string name;
};
absl::StatusOr<JoinedUpload> JoinUploadedParts(MethodEnv& env, const CallContext& context,
                                               const tl::api::InputFile& file,
                                               const std::string& path, int64_t max_size);

// Joins the parts of an uploaded file into a document (with the attributes sent); returns its id.
absl::StatusOr<int64_t> CommitUpload(MethodEnv& env, const CallContext& context,
                                     const tl::api::inputMediaUploadedDocument& media);

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_UPLOADS_H_
