#include "mtproto/session/received_messages.h"

namespace tgrpc::mtproto::session {

ReceivedMessages::Lookup ReceivedMessages::Find(int64_t msg_id) const {
  if (seen_.count(msg_id) != 0) return Lookup::kDuplicate;
  if (has_forgotten_ && msg_id <= forgotten_) return Lookup::kTooOld;
  return Lookup::kNew;
}

void ReceivedMessages::Insert(int64_t msg_id, int32_t seqno) {
  seen_[msg_id] = seqno;
  while (seen_.size() > capacity_) {
    auto oldest = seen_.begin();
    if (!has_forgotten_ || oldest->first > forgotten_) forgotten_ = oldest->first;
    has_forgotten_ = true;
    seen_.erase(oldest);
  }
}

int ReceivedMessages::CheckSeqNo(int64_t msg_id, int32_t seqno) const {
  const bool odd = (seqno & 1) != 0;
  auto higher = seen_.upper_bound(msg_id);
  // Nearest lower entry with a seq_no.
  for (auto it = std::make_reverse_iterator(seen_.lower_bound(msg_id)); it != seen_.rend(); ++it) {
    if (it->second == kNoSeqNo) continue;
    if (it->second > seqno || (it->second == seqno && odd)) return 32;
    break;
  }
  for (auto it = higher; it != seen_.end(); ++it) {
    if (it->second == kNoSeqNo) continue;
    if (it->second < seqno || (it->second == seqno && odd)) return 33;
    break;
  }
  return 0;
}

uint8_t ReceivedMessages::State(int64_t msg_id) const {
  if (seen_.count(msg_id) != 0) return 4;
  if (has_forgotten_ && msg_id <= forgotten_) return 1;
  if (seen_.empty() || msg_id > seen_.rbegin()->first) return 3;
  if (msg_id < seen_.begin()->first) return 1;
  return 2;
}

int32_t ReceivedMessages::SeqNo(int64_t msg_id) const {
  auto it = seen_.find(msg_id);
  return it == seen_.end() ? kNoSeqNo : it->second;
}

}  // namespace tgrpc::mtproto::session
