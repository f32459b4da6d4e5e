#include "service/api/upload_message.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/api/errors.h"

namespace tgrpc::service {
namespace {

// The wire format's field numbers and types (file.proto).
constexpr uint32_t kHeaderField = 1;
constexpr uint32_t kChunkField = 2;
enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Reads the bytes of a list of slices in order, across their boundaries.
class SliceCursor {
 public:
  explicit SliceCursor(const std::vector<grpc::Slice>& slices) : slices_(slices) { Settle(); }

  bool done() const { return index_ == slices_.size(); }

  bool ReadVarint(uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (done()) return false;
      const uint8_t byte = slices_[index_].begin()[offset_];
      Advance(1);
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;  // more than 10 bytes
  }

  // The next `size` bytes as views, or false if fewer are left.
  bool Take(size_t size, std::vector<absl::string_view>& pieces) {
    while (size > 0) {
      if (done()) return false;
      const grpc::Slice& slice = slices_[index_];
      const size_t take = std::min(size, slice.size() - offset_);
      pieces.emplace_back(reinterpret_cast<const char*>(slice.begin()) + offset_, take);
      Advance(take);
      size -= take;
    }
    return true;
  }

  bool Skip(size_t size) {
    std::vector<absl::string_view> ignored;
    return Take(size, ignored);
  }

 private:
  void Advance(size_t n) {
    offset_ += n;
    Settle();
  }
  // Moves past finished (and empty) slices.
  void Settle() {
    while (index_ < slices_.size() && offset_ >= slices_[index_].size()) {
      ++index_;
      offset_ = 0;
    }
  }

  const std::vector<grpc::Slice>& slices_;
  size_t index_ = 0;
  size_t offset_ = 0;
};

// What the unparsed-request interceptor answers for unary calls (unparsed_request.h), which does
// not see a client stream's messages.
absl::Status Malformed(absl::string_view what) {
  return ServiceError(absl::StatusCode::kInvalidArgument, "REQUEST_UNPARSABLE",
                      absl::StrCat("a message of /tgrpc.v1.FileService/UploadFile does not parse "
                                   "as an UploadFileRequest: ",
                                   what));
}

}  // namespace

absl::Status ReadUploadMessage(grpc::ByteBuffer& message, UploadMessage& out) {
  out = UploadMessage();
  if (!message.Dump(&out.slices).ok()) return Malformed("unreadable message");
  message.Clear();
  SliceCursor cursor(out.slices);
  bool saw_header = false;
  while (!cursor.done()) {
    uint64_t tag = 0;
    if (!cursor.ReadVarint(tag)) return Malformed("a truncated field tag");
    const uint64_t field = tag >> 3;
    const uint32_t type = static_cast<uint32_t>(tag & 7);
    if (field == 0) return Malformed("field number 0");
    uint64_t skipped = 0;
    switch (type) {
      case kVarint:
        if (!cursor.ReadVarint(skipped)) return Malformed("a truncated varint");
        continue;
      case kFixed64:
        if (!cursor.Skip(8)) return Malformed("a truncated fixed64");
        continue;
      case kFixed32:
        if (!cursor.Skip(4)) return Malformed("a truncated fixed32");
        continue;
      case kLengthDelimited:
        break;
      default:
        return Malformed(absl::StrCat("wire type ", type));
    }
    uint64_t size = 0;
    if (!cursor.ReadVarint(size)) return Malformed("a truncated length");
    if (size > (uint64_t{1} << 31)) return Malformed("a field longer than 2 GiB");
    std::vector<absl::string_view> pieces;
    if (!cursor.Take(static_cast<size_t>(size), pieces)) {
      return Malformed(absl::StrCat("a field of ", size, " bytes is cut short"));
    }
    if (field == kChunkField) {
      // The last one counts (it replaces what an earlier one set).
      out.has_chunk = true;
      out.chunk_size = static_cast<size_t>(size);
      out.chunk = std::move(pieces);
    } else if (field == kHeaderField) {
      std::string bytes;
      bytes.reserve(static_cast<size_t>(size));
      for (absl::string_view piece : pieces) bytes.append(piece.data(), piece.size());
      // A repeated embedded message merges, as protobuf's parser does.
      if (!out.header.has_value()) out.header.emplace();
      if (!out.header->MergeFromString(bytes)) {
        return Malformed(
            "its header is not an UploadFileRequest.Header (every string field must be valid "
            "UTF-8)");
      }
      saw_header = true;
    }
  }
  if (saw_header && out.has_chunk) {
    return InvalidField("content", "a message carries the header or a chunk, not both");
  }
  return absl::OkStatus();
}

}  // namespace tgrpc::service
