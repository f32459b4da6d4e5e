#include "mtproto/handshake/unencrypted_message.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tl/runtime/binary.h"

namespace tgrpc::mtproto::handshake {

std::string EncodeUnencryptedMessage(int64_t msg_id, absl::string_view body) {
  std::string out;
  out.reserve(kUnencryptedHeaderSize + body.size());
  tl::Writer w(&out);
  w.I64(0);
  w.I64(msg_id);
  w.I32(static_cast<int32_t>(body.size()));
  w.Raw(body);
  return out;
}

absl::StatusOr<UnencryptedMessage> DecodeUnencryptedMessage(absl::string_view message) {
  if (message.size() < kUnencryptedHeaderSize) {
    return absl::InvalidArgumentError(absl::StrCat("unencrypted message of ", message.size(),
                                                   " bytes is shorter than its header"));
  }
  tl::Reader r(message);
  const int64_t auth_key_id = r.I64();
  const int64_t msg_id = r.I64();
  const uint32_t length = r.U32();
  if (auth_key_id != 0) {
    return absl::InvalidArgumentError("not an unencrypted message: auth_key_id is not 0");
  }
  if (length % 4 != 0 || length > r.remaining()) {
    return absl::InvalidArgumentError(absl::StrCat("message_data_length ", length, " does not fit ",
                                                   r.remaining(), " bytes or is not 4-aligned"));
  }
  return UnencryptedMessage{msg_id, r.Raw(length)};
}

int64_t UnencryptedEnvelope::NextMsgId() {
  // msg_id ~ unix time * 2^32: seconds in the upper half, the fraction of a second below.
  const absl::Time now = clock_();
  const int64_t seconds = absl::ToUnixSeconds(now);  // rounds down
  const int64_t nanos = absl::ToInt64Nanoseconds(now - absl::FromUnixSeconds(seconds));
  const uint64_t low = static_cast<uint64_t>(nanos) * (uint64_t{1} << 32) / 1000000000;
  int64_t msg_id = static_cast<int64_t>(static_cast<uint64_t>(seconds) << 32 | low);
  msg_id &= ~int64_t{3};
  if (msg_id <= last_sent_) msg_id = (last_sent_ & ~int64_t{3}) + 4;
  if (self_ == crypto::Role::kServer) msg_id |= 1;
  last_sent_ = msg_id;
  return msg_id;
}

std::string UnencryptedEnvelope::Seal(absl::string_view body) {
  return EncodeUnencryptedMessage(NextMsgId(), body);
}

absl::StatusOr<absl::string_view> UnencryptedEnvelope::Open(absl::string_view message) {
  absl::StatusOr<UnencryptedMessage> decoded = DecodeUnencryptedMessage(message);
  if (!decoded.ok()) return decoded.status();
  const int64_t msg_id = decoded->msg_id;
  if (self_ == crypto::Role::kServer) {
    if (msg_id <= 0 || msg_id % 4 != 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("client msg_id 0x%016x is not a positive multiple of 4", msg_id));
    }
  } else if (msg_id <= 0 || msg_id % 2 != 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("server msg_id 0x%016x is not positive and odd", msg_id));
  }
  if (msg_id <= last_received_) {
    return absl::InvalidArgumentError(
        absl::StrFormat("msg_id 0x%016x does not increase (last 0x%016x)", msg_id, last_received_));
  }
  last_received_ = msg_id;
  return decoded->body;
}

}  // namespace tgrpc::mtproto::handshake
