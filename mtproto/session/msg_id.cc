#include "mtproto/session/msg_id.h"

namespace tgrpc::mtproto::session {

absl::Time MsgIdTime(int64_t msg_id) {
  const uint64_t id = static_cast<uint64_t>(msg_id);
  const int64_t seconds = static_cast<int64_t>(id >> 32);
  const int64_t nanos = static_cast<int64_t>(((id & 0xffffffffu) * 1000000000u) >> 32);
  return absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos);
}

int64_t MsgIdAt(absl::Time time) {
  const int64_t nanos_total = absl::ToUnixNanos(time);
  int64_t seconds = nanos_total / 1000000000;
  int64_t nanos = nanos_total % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --seconds;
  }
  const uint64_t fraction = (static_cast<uint64_t>(nanos) << 32) / 1000000000u;
  const uint64_t id = (static_cast<uint64_t>(seconds) << 32) | fraction;
  return static_cast<int64_t>(id & ~uint64_t{3});
}

int64_t MsgIdGenerator::Next(absl::Time local_now, MsgIdKind kind) {
  const int64_t residue = static_cast<int64_t>(kind);
  int64_t id = MsgIdAt(local_now + time_offset_) | residue;
  if (id <= last_) {
    id = last_ + 1;
    id += (residue - (id & 3) + 4) & 3;
  }
  last_ = id;
  return id;
}

void MsgIdGenerator::SyncWith(int64_t server_msg_id, absl::Time local_now) {
  time_offset_ = MsgIdTime(server_msg_id) - local_now;
}

}  // namespace tgrpc::mtproto::session
