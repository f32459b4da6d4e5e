// The msg_ids (and seq_nos) one side has received in a session, kept in a bounded window. Both
// roles use it to drop duplicates and answer msgs_state_req; the server also checks seq_no order
// against it (bad_msg_notification 32/33).
#ifndef TGRPC_MTPROTO_SESSION_RECEIVED_MESSAGES_H_
#define TGRPC_MTPROTO_SESSION_RECEIVED_MESSAGES_H_

#include <cstddef>
#include <cstdint>
#include <map>

namespace tgrpc::mtproto::session {

class ReceivedMessages {
 public:
  // Marks an entry that takes part in duplicate detection but not in seq_no order (containers).
  static constexpr int32_t kNoSeqNo = -1;

  explicit ReceivedMessages(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  enum class Lookup {
    kNew,
    kDuplicate,
    // At or below the oldest msg_id the window has forgotten: it cannot tell (code 20).
    kTooOld,
  };
  Lookup Find(int64_t msg_id) const;

  // Records a message; the oldest entry is forgotten beyond the capacity.
  void Insert(int64_t msg_id, int32_t seqno);

  // 0 if `seqno` fits between its neighbours by msg_id, 32 if a lower msg_id has a higher seq_no
  // (or the same odd one), 33 if a higher msg_id has a lower seq_no (or the same odd one).
  int CheckSeqNo(int64_t msg_id, int32_t seqno) const;

  // msgs_state_info's low bits: 1 below the window (nothing known), 2 not received (within the
  // window), 3 not received (above the window), 4 received.
  uint8_t State(int64_t msg_id) const;

  // The seq_no of a received message, or kNoSeqNo.
  int32_t SeqNo(int64_t msg_id) const;
  bool empty() const { return seen_.empty(); }
  int64_t max_msg_id() const { return seen_.empty() ? 0 : seen_.rbegin()->first; }

 private:
  size_t capacity_;
  std::map<int64_t, int32_t> seen_;
  // The largest msg_id dropped from the window (0: none yet).
  int64_t forgotten_ = 0;
  bool has_forgotten_ = false;
};

}  // namespace tgrpc::mtproto::session

#endif  // TGRPC_MTPROTO_SESSION_RECEIVED_MESSAGES_H_
