#include "service/api/file_parts.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "service/api/errors.h"

namespace tgrpc::service::files {

namespace {

// `status` with `code` instead of its own, keeping its message and details.
absl::Status WithCode(const absl::Status& status, absl::StatusCode code) {
  absl::Status out(code, status.message());
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

}  // namespace

absl::Status InvalidFieldWithReason(absl::string_view field, absl::string_view reason,
                                    absl::string_view description) {
  absl::Status out = InvalidField(field, description);
  ServiceError(absl::StatusCode::kInvalidArgument, reason, "")
      .ForEachPayload([&out](absl::string_view url, const absl::Cord& payload) {
        out.SetPayload(url, payload);
      });
  return out;
}

absl::Status OutOfRangeField(absl::string_view field, absl::string_view description) {
  return WithCode(InvalidField(field, description), absl::StatusCode::kOutOfRange);
}

absl::StatusOr<DownloadPlan> PlanDownload(int64_t offset, int64_t limit, int64_t size) {
  if (offset < 0) return InvalidField("offset", "must not be negative");
  if (limit < 0) return InvalidField("limit", "must not be negative (0: to the end)");
  if (size > 0 && offset > size) {
    return OutOfRangeField("offset",
                           absl::StrCat(offset, " is past the end of the file (", size, " bytes)"));
  }
  DownloadPlan plan;
  plan.begin = offset;
  if (limit > 0) plan.end = limit > DownloadPlan::kUnknown - offset ? plan.end : offset + limit;
  if (size > 0) plan.end = std::min(plan.end, size);
  plan.first_block = offset / kPartSize;
  if (plan.end != DownloadPlan::kUnknown) {
    plan.end_block = plan.end > offset ? (plan.end + kPartSize - 1) / kPartSize : plan.first_block;
  }
  return plan;
}

absl::StatusOr<BlockSlice> SliceBlock(DownloadPlan& plan, int64_t index, absl::string_view block,
                                      bool size_known) {
  const int64_t start = BlockOffset(index);
  const int64_t length = static_cast<int64_t>(block.size());
  if (length > kPartSize) {
    return absl::DataLossError(
        absl::StrCat("upload.getFile returned ", length, " bytes for a block of ", kPartSize));
  }
  if (size_known) {
    const int64_t wanted = std::min(plan.end, start + kPartSize) - start;
    if (length < wanted) {
      return absl::DataLossError(absl::StrCat("upload.getFile returned ", length,
                                              " bytes at offset ", start, ", short of the ", wanted,
                                              " the file's size promises"));
    }
  } else if (length < kPartSize) {
    // The file ends in this block.
    const int64_t file_end = start + length;
    if (plan.begin > file_end) {
      return OutOfRangeField("offset", absl::StrCat(plan.begin, " is past the end of the file (",
                                                    file_end, " bytes)"));
    }
    plan.end = std::min(plan.end, file_end);
    plan.end_block = std::min(plan.end_block, length == 0 ? index : index + 1);
  }
  BlockSlice slice;
  const int64_t from = std::max(plan.begin, start);
  const int64_t to = std::min(plan.end, start + length);
  slice.offset = from;
  if (to > from) slice.data = block.substr(static_cast<size_t>(from - start), to - from);
  return slice;
}

}  // namespace tgrpc::service::files
