#include "tests/crash/delivery_audit.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tgrpc::crash {

int DeliveryAudit::BeginStream(int64_t start) {
  absl::MutexLock lock(&mutex_);
  streams_.push_back(Stream{start, 0, false, {}});
  ++figures_.streams;
  return static_cast<int>(streams_.size()) - 1;
}

DeliveryAudit::Verdict DeliveryAudit::OnMessage(int stream, int64_t position,
                                                const std::string& key, int64_t chat_id,
                                                int32_t message_id) {
  absl::MutexLock lock(&mutex_);
  Stream& s = streams_.at(static_cast<size_t>(stream));
  ++figures_.deliveries;
  const std::string where = absl::StrCat(
      "\"", key, "\" at position ", position, " in stream ", stream, " (started after ", s.start,
      s.any ? absl::StrCat(", last position ", s.last) : "", ")");
  Verdict verdict = Verdict::kNew;
  if (s.any && position <= s.last) {
    ++figures_.position_went_back;
    Problem("position went back", where);
    verdict = Verdict::kOutOfOrder;
  }
  s.last = s.any ? std::max(s.last, position) : position;
  s.any = true;
  const bool again_in_stream = !s.keys.insert(key).second;
  auto at = key_at_.find(position);
  if (at != key_at_.end() && at->second != key) {
    ++figures_.position_conflicts;
    Problem("position conflict", absl::StrCat(where, "; the position held \"", at->second, "\""));
  }
  auto first = first_.find(key);
  if (first == first_.end()) {
    first_[key] = First{position, chat_id, message_id, stream};
    key_at_.emplace(position, key);
    ++figures_.distinct;
    if (position <= s.start) {
      ++figures_.new_before_start;
      Problem("new message at or before the stream's start", where);
      verdict = Verdict::kOutOfOrder;
    }
    return verdict;
  }
  if (first->second.position == position && position > s.start && !again_in_stream) {
    ++figures_.redelivered;
    return verdict == Verdict::kNew ? Verdict::kRedelivered : verdict;
  }
  ++figures_.duplicated;
  Problem("duplicate", absl::StrCat(where, "; first delivered at position ", first->second.position,
                                    " in stream ", first->second.stream,
                                    again_in_stream ? "; twice in this stream" : ""));
  return Verdict::kDuplicated;
}

DeliveryAudit::Figures DeliveryAudit::figures() const {
  absl::MutexLock lock(&mutex_);
  Figures out = figures_;
  // Per chat, by log position: a message id lower than one before it.
  std::map<int64_t, std::vector<std::pair<int64_t, int32_t>>> chats;
  for (const auto& [key, first] : first_) {
    chats[first.chat_id].emplace_back(first.position, first.message_id);
  }
  for (auto& [chat, messages] : chats) {
    std::sort(messages.begin(), messages.end());
    int32_t highest = 0;
    for (const auto& [position, id] : messages) {
      if (id < highest) ++out.chat_order;
      highest = std::max(highest, id);
    }
  }
  out.out_of_order = out.position_went_back + out.new_before_start + out.chat_order;
  return out;
}

bool DeliveryAudit::Delivered(const std::string& key) const {
  absl::MutexLock lock(&mutex_);
  return first_.count(key) != 0;
}

std::vector<std::string> DeliveryAudit::Missing(const std::set<std::string>& expected) const {
  absl::MutexLock lock(&mutex_);
  std::vector<std::string> out;
  for (const std::string& key : expected) {
    if (first_.count(key) == 0) out.push_back(key);
  }
  return out;
}

DeliveryAudit::Delivery DeliveryAudit::FirstDelivery(const std::string& key) const {
  absl::MutexLock lock(&mutex_);
  auto it = first_.find(key);
  if (it == first_.end()) return {};
  return {it->second.position, it->second.chat_id, it->second.message_id};
}

std::vector<std::string> DeliveryAudit::problems() const {
  absl::MutexLock lock(&mutex_);
  return problems_;
}

void DeliveryAudit::Problem(const std::string& kind, const std::string& text) {
  if (++problem_counts_[kind] > 50) return;
  problems_.push_back(absl::StrCat(kind, ": ", text));
}

}  // namespace tgrpc::crash
