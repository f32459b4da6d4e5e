// msg_id and seq_no bookkeeping shared by both roles (core.telegram.org/mtproto/description,
// "Message Identifier" and "Message Sequence Number").
//
// A msg_id is unix time * 2^32 (the low 32 bits carry the fraction of a second). Client msg_ids
// are divisible by 4; a server's are 1 mod 4 for responses and 3 mod 4 otherwise. Within a
// session they only grow.
#ifndef TGRPC_MTPROTO_SESSION_MSG_ID_H_
#define TGRPC_MTPROTO_SESSION_MSG_ID_H_

#include <cstdint>

#include "absl/time/time.h"

namespace tgrpc::mtproto::session {

// The low two bits a msg_id must have.
enum class MsgIdKind : int {
  kClient = 0,
  kServerResponse = 1,
  kServerOther = 3,
};

// The time a msg_id carries.
absl::Time MsgIdTime(int64_t msg_id);
// The msg_id for `time`, with the low two bits cleared.
int64_t MsgIdAt(absl::Time time);

// Generates strictly increasing msg_ids from a local clock corrected by the peer's time offset.
class MsgIdGenerator {
 public:
  // `local_now` is the local clock; the id carries local_now + time_offset().
  int64_t Next(absl::Time local_now, MsgIdKind kind);

  // server time - local time.
  absl::Duration time_offset() const { return time_offset_; }
  void set_time_offset(absl::Duration offset) { time_offset_ = offset; }
  // Sets the offset so that `local_now` corresponds to the time in `server_msg_id`.
  void SyncWith(int64_t server_msg_id, absl::Time local_now);
  absl::Time ServerNow(absl::Time local_now) const { return local_now + time_offset_; }

  // The largest id generated (or the floor set last).
  int64_t last() const { return last_; }
  // Lets the next ids go down to just above `floor` (after the peer rejected ids that were too
  // high), or forces them above it.
  void set_floor(int64_t floor) { last_ = floor; }

 private:
  absl::Duration time_offset_ = absl::ZeroDuration();
  int64_t last_ = 0;
};

// seq_no: twice the number of content-related messages sent before, plus one if this message is
// content-related itself.
class SeqNoCounter {
 public:
  int32_t Next(bool content_related) {
    if (!content_related) return 2 * count_;
    return 2 * count_++ + 1;
  }
  void Reset() { count_ = 0; }
  int32_t count() const { return count_; }

 private:
  int32_t count_ = 0;
};

}  // namespace tgrpc::mtproto::session

#endif  // TGRPC_MTPROTO_SESSION_MSG_ID_H_
