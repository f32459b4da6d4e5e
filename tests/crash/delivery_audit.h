// The bookkeeping of a consumer of tgrpcd's update log: what each stream delivered, judged
// against "every message exactly once per resume position, in order". A stream starts right
// after a known position (the consumer's committed one, or before the oldest); a message is
// identified by a key (its text in the fault tests) and has the log position it came at.
//
//   new          the key's first delivery;
//   redelivered  the key again at the same position, after the stream's start (at-least-once:
//                delivered before, never acknowledged, and so sent again after a reconnect);
//   duplicated   the key again at another position (logged twice), or at or before the
//                stream's start (the stream went back past the commit), or twice in one stream;
//   out of order positions that do not grow within a stream, a new key at or before the stream's
//                start, and, per chat, a message id lower than one delivered at an earlier
//                position.
//
// Thread-safe.
#ifndef TGRPC_TESTS_CRASH_DELIVERY_AUDIT_H_
#define TGRPC_TESTS_CRASH_DELIVERY_AUDIT_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace tgrpc::crash {

class DeliveryAudit {
 public:
  enum class Verdict { kNew, kRedelivered, kDuplicated, kOutOfOrder };

  struct Figures {
    int streams = 0;
    int64_t deliveries = 0;  // every message event
    int64_t distinct = 0;
    int64_t redelivered = 0;
    int64_t duplicated = 0;
    // Of out_of_order: positions that went back in a stream, new keys at or before the start,
    // and message ids lower than an earlier one of their chat.
    int64_t position_went_back = 0;
    int64_t new_before_start = 0;
    int64_t chat_order = 0;
    int64_t out_of_order = 0;  // the sum
    // One position delivered with two keys.
    int64_t position_conflicts = 0;
  };

  // A stream that starts right after `start`; its number for OnMessage.
  int BeginStream(int64_t start);
  Verdict OnMessage(int stream, int64_t position, const std::string& key, int64_t chat_id,
                    int32_t message_id);

  Figures figures() const;
  bool Delivered(const std::string& key) const;
  // The keys of `expected` never delivered.
  std::vector<std::string> Missing(const std::set<std::string>& expected) const;
  // Where a key was first delivered (position 0: never).
  struct Delivery {
    int64_t position = 0;
    int64_t chat_id = 0;
    int32_t message_id = 0;
  };
  Delivery FirstDelivery(const std::string& key) const;
  // What went wrong, with positions and streams: the first 50 of each kind.
  std::vector<std::string> problems() const;

 private:
  struct Stream {
    int64_t start = 0;
    int64_t last = 0;  // the last position delivered, if any
    bool any = false;
    std::set<std::string> keys;
  };
  struct First {
    int64_t position = 0;
    int64_t chat_id = 0;
    int32_t message_id = 0;
    int stream = 0;
  };
  void Problem(const std::string& kind, const std::string& text)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  mutable absl::Mutex mutex_;
  std::vector<Stream> streams_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, First> first_ ABSL_GUARDED_BY(mutex_);
  std::map<int64_t, std::string> key_at_ ABSL_GUARDED_BY(mutex_);
  Figures figures_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, int> problem_counts_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::string> problems_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace tgrpc::crash

#endif  // TGRPC_TESTS_CRASH_DELIVERY_AUDIT_H_
