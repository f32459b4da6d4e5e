// The MTProto envelopes the session layer reads and writes around bodies it does not interpret:
// msg_container, rpc_result, gzip_packed. Bodies stay raw bytes (any boxed TL object, API or
// service), so this layer links only the small MTProto schema. Service messages themselves go
// through the generated codec (tl::mtp) with ParseService / SerializeService.
#ifndef TGRPC_MTPROTO_SESSION_WIRE_H_
#define TGRPC_MTPROTO_SESSION_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tl/runtime/binary.h"
#include "tl/runtime/object.h"

namespace tgrpc::mtproto::session {

// The boxed constructor id at the start of a body; 0 if it is shorter than 4 bytes.
uint32_t ConstructorId(absl::string_view body);

// One message of a msg_container; `body` points into the container.
struct InnerMessage {
  int64_t msg_id = 0;
  int32_t seqno = 0;
  absl::string_view body;
};

// Parses a boxed msg_container. Fails on truncation, a declared length that is negative, not a
// multiple of 4 or past the end, trailing bytes, a nested container, or more than
// `max_messages` messages.
absl::StatusOr<std::vector<InnerMessage>> ParseContainer(absl::string_view body,
                                                         size_t max_messages);
// Size of a container holding messages whose bodies total `bodies_size` bytes.
inline size_t ContainerSize(size_t count, size_t bodies_size) {
  return 8 + 16 * count + bodies_size;
}
void AppendContainerHeader(size_t count, std::string& out);
void AppendContainerMessage(int64_t msg_id, int32_t seqno, absl::string_view body,
                            std::string& out);

struct RpcResultView {
  int64_t req_msg_id = 0;
  // The boxed result: any object, rpc_error or gzip_packed.
  absl::string_view result;
};
absl::StatusOr<RpcResultView> ParseRpcResult(absl::string_view body);
std::string BuildRpcResult(int64_t req_msg_id, absl::string_view result);

// gzip_packed#3072cfa1 packed_data:bytes around a compressed copy of `body`.
absl::StatusOr<std::string> PackGzip(absl::string_view body);
// If `body` is gzip_packed, its inflated content (at most `max_size` bytes), else `body` itself.
absl::StatusOr<std::string> UnpackGzip(absl::string_view body, size_t max_size);

// Parses a boxed service message of generated type T (T::kId must match, no trailing bytes).
template <class T>
absl::StatusOr<T> ParseService(absl::string_view body) {
  tl::Reader reader(body);
  const uint32_t id = reader.U32();
  if (reader.ok() && id != T::kId) reader.FailUnknownId(T::kName, id);
  T value;
  if (reader.ok()) value.TlParse(reader);
  if (reader.ok() && reader.remaining() != 0) reader.Fail("trailing bytes after a service message");
  if (!reader.ok()) return reader.status();
  return value;
}

// Serializes a service message (these have no fields that can fail to encode).
std::string SerializeService(const tl::Object& object);

}  // namespace tgrpc::mtproto::session

#endif  // TGRPC_MTPROTO_SESSION_WIRE_H_
