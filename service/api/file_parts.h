// Telegram's rules for file parts (core.telegram.org/api/files), as arithmetic the upload and
// download reactors share: uploads go in 512 KiB parts (upload.saveBigFilePart for files over
// 10 MiB, upload.saveFilePart with the file's MD5 below), downloads ask upload.getFile for
// 512 KiB blocks at offsets that are multiples of 512 KiB, which keeps every request within
// Telegram's limits (offset and limit multiples of 4 KiB, limit dividing 1 MiB, no request
// crossing a 1 MiB boundary) for any byte range the caller asks.
#ifndef TGRPC_SERVICE_API_FILE_PARTS_H_
#define TGRPC_SERVICE_API_FILE_PARTS_H_

#include <algorithm>
#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tgrpc::service::files {

inline constexpr int64_t kPartSize = 512 * 1024;
// Files over this go with upload.saveBigFilePart.
inline constexpr int64_t kBigFileThreshold = 10 * 1024 * 1024;
inline constexpr int64_t kMaxFileSize = int64_t{2000} * 1024 * 1024;
inline constexpr int64_t kMaxPremiumFileSize = int64_t{4000} * 1024 * 1024;
// Telegram recompresses photos of at most this size.
inline constexpr int64_t kMaxPhotoSize = 10 * 1024 * 1024;
// One UploadFileRequest.chunk.
inline constexpr int64_t kMaxChunkSize = 1024 * 1024;
// Parts of one transfer in flight at once, at least (and downloads' read-ahead).
inline constexpr int kPartsInFlight = 8;
// Uploads keep this many parts in flight per session the account may open (its max_sessions,
// 1-10; the invoker spreads them, InvokeOptions::bulk), from kPartsInFlight up to
// kMaxPartsInFlight: 8 with 1 or 2 sessions, 16 with 4, 32 with 8 or more.
inline constexpr int kPartsPerSession = 4;
inline constexpr int kMaxPartsInFlight = 32;
// The memory bound of one upload: parts in flight x kPartSize of part bytes (16 MiB at most),
// times up to about three while a part is in flight (the invoker's serialized call, kept for a
// resend; the connection's copy, kept until acknowledged; its encrypted frame), plus up to three
// parts being cut from the caller's chunks: about 13.5 MiB with 1 session, 49.5 MiB with 8-10.
inline int PartsInFlight(int max_sessions) {
  return std::clamp(kPartsPerSession * max_sessions, kPartsInFlight, kMaxPartsInFlight);
}

inline int32_t PartCount(int64_t size) {
  return static_cast<int32_t>((size + kPartSize - 1) / kPartSize);
}
inline bool IsBigFile(int64_t size) { return size > kBigFileThreshold; }

// Which 512 KiB blocks a download fetches, and which of their bytes it sends.
struct DownloadPlan {
  int64_t begin = 0;  // the first byte sent
  // One past the last byte sent; kUnknown: wherever the file ends.
  int64_t end = kUnknown;
  int64_t first_block = 0;
  // One past the last block; kUnknown until a short block shows where the file ends.
  int64_t end_block = kUnknown;

  static constexpr int64_t kUnknown = std::numeric_limits<int64_t>::max();
};

// The plan for `limit` bytes (0: to the end) from `offset` of a file of `size` bytes (0: not
// known). INVALID_ARGUMENT naming offset or limit when negative; OUT_OF_RANGE naming offset when
// it is past the end of a file of known size.
absl::StatusOr<DownloadPlan> PlanDownload(int64_t offset, int64_t limit, int64_t size);

// upload.getFile's offset for block `index` (its limit is kPartSize).
inline int64_t BlockOffset(int64_t index) { return index * kPartSize; }

// What block `index`, as Telegram returned it, holds of the plan's range, and where in the file
// that starts. Also narrows plan.end_block when the block is short (the file ends in it).
// DATA_LOSS when a file of known end comes back short before that end.
struct BlockSlice {
  absl::string_view data;
  int64_t offset = 0;
};
absl::StatusOr<BlockSlice> SliceBlock(DownloadPlan& plan, int64_t index, absl::string_view block,
                                      bool size_known);

// INVALID_ARGUMENT naming `field` (BadRequest) with tgrpc's `reason` (ErrorInfo).
absl::Status InvalidFieldWithReason(absl::string_view field, absl::string_view reason,
                                    absl::string_view description);
// OUT_OF_RANGE naming `field` (BadRequest).
absl::Status OutOfRangeField(absl::string_view field, absl::string_view description);

}  // namespace tgrpc::service::files

#endif  // TGRPC_SERVICE_API_FILE_PARTS_H_
