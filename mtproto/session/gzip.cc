#include "mtproto/session/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tgrpc::mtproto::session {
namespace {

// windowBits 15 + 16: write a gzip header; 15 + 32: accept gzip or zlib, detected.
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kAutoDetectWindowBits = 15 + 32;
constexpr size_t kChunk = 64 * 1024;

Bytef* InputBytes(absl::string_view data) {
  // zlib's API is not const-correct; it never writes through next_in.
  return reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
}

}  // namespace

absl::StatusOr<std::string> GzipCompress(absl::string_view data) {
  if (data.size() > UINT_MAX) return absl::InvalidArgumentError("input too large to compress");
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("deflateInit2 failed");
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  stream.next_in = InputBytes(data);
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  const size_t produced = stream.total_out;
  deflateEnd(&stream);
  if (result != Z_STREAM_END) return absl::InternalError(absl::StrCat("deflate: ", result));
  out.resize(produced);
  return out;
}

absl::StatusOr<std::string> Inflate(absl::string_view data, size_t max_size) {
  if (data.size() > UINT_MAX) return absl::InvalidArgumentError("compressed input too large");
  z_stream stream{};
  if (inflateInit2(&stream, kAutoDetectWindowBits) != Z_OK) {
    return absl::InternalError("inflateInit2 failed");
  }
  stream.next_in = InputBytes(data);
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  int result = Z_OK;
  while (result != Z_STREAM_END) {
    if (out.size() >= max_size + 1) break;
    const size_t chunk = std::min(kChunk, max_size + 1 - out.size());
    const size_t before = out.size();
    out.resize(before + chunk);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + before);
    stream.avail_out = static_cast<uInt>(chunk);
    result = inflate(&stream, Z_NO_FLUSH);
    out.resize(before + chunk - stream.avail_out);
    if (result == Z_STREAM_END) break;
    if (result != Z_OK) {
      const std::string message = stream.msg != nullptr ? stream.msg : "truncated stream";
      inflateEnd(&stream);
      return absl::InvalidArgumentError(absl::StrCat("gzip_packed: ", message));
    }
    if (stream.avail_in == 0 && stream.avail_out != 0) {
      inflateEnd(&stream);
      return absl::InvalidArgumentError("gzip_packed: truncated stream");
    }
  }
  inflateEnd(&stream);
  if (out.size() > max_size) {
    return absl::ResourceExhaustedError(
        absl::StrCat("gzip_packed inflates to more than ", max_size, " bytes"));
  }
  return out;
}

}  // namespace tgrpc::mtproto::session
