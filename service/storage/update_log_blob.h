// How the SQLite backend keeps an update log entry's users and chats, and an update state's
// channel pts, each in one column.
//
// A list of byte strings (an entry's users, or its chats): each string as its length (4 bytes,
// little-endian) and then its bytes, in the list's order; no strings is the empty blob.
//
// Channel pts: 12 bytes per channel, its bare id (8 bytes, little-endian, two's complement) and
// its pts (4 bytes, little-endian, two's complement), by ascending channel id; none is the empty
// blob.
#ifndef TGRPC_SERVICE_STORAGE_UPDATE_LOG_BLOB_H_
#define TGRPC_SERVICE_STORAGE_UPDATE_LOG_BLOB_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tgrpc::service {

inline constexpr size_t kChannelPtsBlobSize = 12;

// InvalidArgument for a string of 4 GiB or more (its length does not fit).
absl::StatusOr<std::string> EncodeByteStrings(const std::vector<std::string>& strings);
// DataLoss for a blob that ends inside a length or a string (damaged, or written by something
// else).
absl::StatusOr<std::vector<std::string>> DecodeByteStrings(absl::string_view blob);

std::string EncodeChannelPts(const std::map<int64_t, int32_t>& channel_pts);
// DataLoss for a length that is not a whole number of channels, or ids out of order or repeated
// (a repeated one would lose a pts unseen).
absl::StatusOr<std::map<int64_t, int32_t>> DecodeChannelPts(absl::string_view blob);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_STORAGE_UPDATE_LOG_BLOB_H_
