// gzip_packed payloads: Telegram sends gzip (RFC 1952) streams, mtcute sends zlib (RFC 1950)
// streams, so inflation detects the header; compression writes gzip, which every peer reads.
#ifndef TGRPC_MTPROTO_SESSION_GZIP_H_
#define TGRPC_MTPROTO_SESSION_GZIP_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tgrpc::mtproto::session {

// Compresses `data` into a gzip stream.
absl::StatusOr<std::string> GzipCompress(absl::string_view data);

// Inflates one gzip or zlib stream (bytes after its end are ignored). ResourceExhausted if the
// output would exceed `max_size` (a compressed bomb stops there), InvalidArgument if the stream
// is corrupt or truncated.
absl::StatusOr<std::string> Inflate(absl::string_view data, size_t max_size);

}  // namespace tgrpc::mtproto::session

#endif  // TGRPC_MTPROTO_SESSION_GZIP_H_
