#include "service/storage/update_log_blob.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "base/bytes.h"

namespace tgrpc::service {

absl::StatusOr<std::string> EncodeByteStrings(const std::vector<std::string>& strings) {
  size_t size = 0;
  for (const std::string& s : strings) {
    if (s.size() > std::numeric_limits<uint32_t>::max()) {
      return absl::InvalidArgumentError(
          absl::StrCat("a string of ", s.size(), " bytes is too long to store"));
    }
    size += 4 + s.size();
  }
  std::string blob;
  blob.reserve(size);
  for (const std::string& s : strings) {
    base::AppendLe32(static_cast<uint32_t>(s.size()), blob);
    blob.append(s);
  }
  return blob;
}

absl::StatusOr<std::vector<std::string>> DecodeByteStrings(absl::string_view blob) {
  std::vector<std::string> strings;
  size_t at = 0;
  while (at < blob.size()) {
    if (blob.size() - at < 4) {
      return absl::DataLossError(absl::StrCat("byte strings: ", blob.size() - at, " bytes left at ",
                                              at, ", not a length"));
    }
    const uint32_t length = base::LoadLe32(blob.data() + at);
    at += 4;
    if (blob.size() - at < length) {
      return absl::DataLossError(absl::StrCat("byte strings: a string of ", length, " bytes at ",
                                              at, " runs past the end (", blob.size(), ")"));
    }
    strings.emplace_back(blob.substr(at, length));
    at += length;
  }
  return strings;
}

std::string EncodeChannelPts(const std::map<int64_t, int32_t>& channel_pts) {
  std::string blob(channel_pts.size() * kChannelPtsBlobSize, '\0');
  char* out = blob.data();
  for (const auto& [channel_id, pts] : channel_pts) {
    base::StoreLe64(static_cast<uint64_t>(channel_id), out);
    base::StoreLe32(static_cast<uint32_t>(pts), out + 8);
    out += kChannelPtsBlobSize;
  }
  return blob;
}

absl::StatusOr<std::map<int64_t, int32_t>> DecodeChannelPts(absl::string_view blob) {
  if (blob.size() % kChannelPtsBlobSize != 0) {
    return absl::DataLossError(absl::StrCat("channel pts: ", blob.size(),
                                            " bytes, not a multiple of ", kChannelPtsBlobSize));
  }
  std::map<int64_t, int32_t> channel_pts;
  for (size_t at = 0; at < blob.size(); at += kChannelPtsBlobSize) {
    const char* in = blob.data() + at;
    const int64_t channel_id = static_cast<int64_t>(base::LoadLe64(in));
    if (!channel_pts.empty() && channel_pts.rbegin()->first >= channel_id) {
      return absl::DataLossError(absl::StrCat("channel pts: channel ", channel_id, " after ",
                                              channel_pts.rbegin()->first));
    }
    channel_pts.emplace_hint(channel_pts.end(), channel_id,
                             static_cast<int32_t>(base::LoadLe32(in + 8)));
  }
  return channel_pts;
}

}  // namespace tgrpc::service
