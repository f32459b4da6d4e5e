#include "mtproto/session/wire.h"

#include "absl/strings/str_cat.h"
#include "base/bytes.h"
#include "base/status_macros.h"
#include "mtproto/session/gzip.h"
#include "tl/generated/mtp.h"

namespace tgrpc::mtproto::session {

uint32_t ConstructorId(absl::string_view body) {
  return body.size() < 4 ? 0 : base::LoadLe32(body.data());
}

absl::StatusOr<std::vector<InnerMessage>> ParseContainer(absl::string_view body,
                                                         size_t max_messages) {
  tl::Reader reader(body);
  if (reader.U32() != tl::mtp::msg_container::kId || !reader.ok()) {
    return absl::InvalidArgumentError("not a msg_container");
  }
  const uint32_t count = reader.VectorLength(16);
  if (!reader.ok()) return reader.status();
  if (count > max_messages) {
    return absl::InvalidArgumentError(
        absl::StrCat("msg_container holds ", count, " messages; at most ", max_messages));
  }
  std::vector<InnerMessage> messages;
  messages.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    InnerMessage message;
    message.msg_id = reader.I64();
    message.seqno = reader.I32();
    const int32_t length = reader.I32();
    if (!reader.ok()) return reader.status();
    if (length < 4 || length % 4 != 0 || static_cast<size_t>(length) > reader.remaining()) {
      return absl::InvalidArgumentError(
          absl::StrCat("msg_container message ", i, " has an invalid length ", length));
    }
    message.body = reader.Raw(static_cast<size_t>(length));
    if (ConstructorId(message.body) == tl::mtp::msg_container::kId) {
      return absl::InvalidArgumentError("nested msg_container");
    }
    messages.push_back(message);
  }
  if (reader.remaining() != 0) {
    return absl::InvalidArgumentError("trailing bytes after a msg_container");
  }
  return messages;
}

void AppendContainerHeader(size_t count, std::string& out) {
  tl::Writer writer(&out);
  writer.U32(tl::mtp::msg_container::kId);
  writer.U32(static_cast<uint32_t>(count));
}

void AppendContainerMessage(int64_t msg_id, int32_t seqno, absl::string_view body,
                            std::string& out) {
  tl::Writer writer(&out);
  writer.I64(msg_id);
  writer.I32(seqno);
  writer.I32(static_cast<int32_t>(body.size()));
  writer.Raw(body);
}

absl::StatusOr<RpcResultView> ParseRpcResult(absl::string_view body) {
  tl::Reader reader(body);
  if (reader.U32() != tl::mtp::rpc_result::kId || !reader.ok()) {
    return absl::InvalidArgumentError("not an rpc_result");
  }
  RpcResultView view;
  view.req_msg_id = reader.I64();
  if (!reader.ok()) return reader.status();
  view.result = reader.rest();
  if (view.result.size() < 4) return absl::InvalidArgumentError("rpc_result without a result");
  return view;
}

std::string BuildRpcResult(int64_t req_msg_id, absl::string_view result) {
  std::string out;
  out.reserve(12 + result.size());
  tl::Writer writer(&out);
  writer.U32(tl::mtp::rpc_result::kId);
  writer.I64(req_msg_id);
  writer.Raw(result);
  return out;
}

absl::StatusOr<std::string> PackGzip(absl::string_view body) {
  TGRPC_ASSIGN_OR_RETURN(std::string compressed, GzipCompress(body));
  tl::mtp::gzip_packed packed;
  packed.packed_data = std::move(compressed);
  return tl::Serialize(packed);
}

absl::StatusOr<std::string> UnpackGzip(absl::string_view body, size_t max_size) {
  if (ConstructorId(body) != tl::mtp::gzip_packed::kId) return std::string(body);
  tl::Reader reader(body);
  reader.U32();
  const absl::string_view packed = reader.BytesView();
  if (!reader.ok()) return reader.status();
  if (reader.remaining() != 0)
    return absl::InvalidArgumentError("trailing bytes after gzip_packed");
  TGRPC_ASSIGN_OR_RETURN(std::string inflated, Inflate(packed, max_size));
  if (inflated.size() < 4 || inflated.size() % 4 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("gzip_packed holds ", inflated.size(), " bytes, not a TL object"));
  }
  if (ConstructorId(inflated) == tl::mtp::gzip_packed::kId) {
    return absl::InvalidArgumentError("nested gzip_packed");
  }
  return inflated;
}

std::string SerializeService(const tl::Object& object) {
  std::string out;
  tl::Writer writer(&out);
  tl::WriteBoxed(writer, &object);
  return out;
}

}  // namespace tgrpc::mtproto::session
