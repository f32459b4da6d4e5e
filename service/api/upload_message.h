// UploadFile's request messages read where gRPC received them. UploadFile is a raw method
// (services.h): protobuf's parser would copy each chunk into a string before tgrpcd copies it
// into the part it cuts; reading the wire format here hands the chunk over as views into gRPC's
// own slices, so a part's bytes are copied once between the caller's socket and the encryption.
#ifndef TGRPC_SERVICE_API_UPLOAD_MESSAGE_H_
#define TGRPC_SERVICE_API_UPLOAD_MESSAGE_H_

#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "tgrpc/v1/file.pb.h"

namespace tgrpc::service {

// One UploadFileRequest: its header, or its chunk as pieces that view `slices`.
struct UploadMessage {
  std::optional<v1::UploadFileRequest::Header> header;
  bool has_chunk = false;
  size_t chunk_size = 0;
  std::vector<absl::string_view> chunk;  // in order; their sizes add up to chunk_size
  std::vector<grpc::Slice> slices;       // owns the bytes the pieces view
};

// Reads `message` (left empty) into `out`, as protobuf would: unknown fields are skipped, and of
// a field given twice the last counts. INVALID_ARGUMENT with reason REQUEST_UNPARSABLE for bytes
// that are not an UploadFileRequest (truncated, a header that does not parse), and naming
// `content` for a message with both a header and a chunk.
absl::Status ReadUploadMessage(grpc::ByteBuffer& message, UploadMessage& out);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_UPLOAD_MESSAGE_H_
