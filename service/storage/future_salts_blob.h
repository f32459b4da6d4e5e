// How an auth key's future salts are kept in one column: 24 bytes per salt, valid_since and
// valid_until (unix seconds, signed) and the salt, each 8 bytes little-endian, in the list's order.
// Any list round-trips as it was given.
#ifndef TGRPC_SERVICE_STORAGE_FUTURE_SALTS_BLOB_H_
#define TGRPC_SERVICE_STORAGE_FUTURE_SALTS_BLOB_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/storage/storage.h"

namespace tgrpc::service {

inline constexpr size_t kFutureSaltBlobSize = 24;

std::string EncodeFutureSalts(const std::vector<FutureSaltRecord>& salts);

// DataLoss for a length that is not a whole number of salts (the value was damaged or written by
// something else).
absl::StatusOr<std::vector<FutureSaltRecord>> DecodeFutureSalts(absl::string_view blob);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_STORAGE_FUTURE_SALTS_BLOB_H_
