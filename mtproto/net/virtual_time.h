// Time that moves only when a test moves it, with the timers waiting on it. A ClientConnection
// given one (ClientConnectionOptions::virtual_time, with `clock` set to its clock()) runs every
// timer on it: backoff, connect timeouts, keepalive and acks, temporary key renewal and call
// deadlines. Hours of protocol time then pass in a test at once, and nothing waits on the wall
// clock. Sockets stay real: a test advances time, then waits for what the I/O does.
//
// Thread-safe. Due timers' callbacks run on the thread that calls Advance, outside the lock; a
// connection's callbacks only post to its strand.
#ifndef TGRPC_MTPROTO_NET_VIRTUAL_TIME_H_
#define TGRPC_MTPROTO_NET_VIRTUAL_TIME_H_

#include <cstdint>
#include <functional>
#include <map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"

namespace tgrpc::mtproto::net {

class VirtualTime {
 public:
  explicit VirtualTime(absl::Time start = absl::FromUnixSeconds(1'700'000'000)) : now_(start) {}

  VirtualTime(const VirtualTime&) = delete;
  VirtualTime& operator=(const VirtualTime&) = delete;

  absl::Time now() const {
    absl::MutexLock lock(&mutex_);
    return now_;
  }
  // A Clock reading this time (valid while this object lives).
  base::Clock clock() {
    return [this] { return now(); };
  }

  // Runs `fn` once the time reaches `at` (in the Advance that gets there; at once in the next
  // Advance if `at` is not later than now). Returns an id for Cancel, never 0.
  uint64_t Schedule(absl::Time at, std::function<void()> fn) {
    absl::MutexLock lock(&mutex_);
    const uint64_t id = next_id_++;
    timers_.emplace(std::make_pair(at, id), std::move(fn));
    return id;
  }
  // Forgets a timer that has not run (no-op otherwise).
  void Cancel(uint64_t id) {
    absl::MutexLock lock(&mutex_);
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second == id) {
        timers_.erase(it);
        return;
      }
    }
  }

  // Moves the time forward by `d`, stopping at each due timer in time order (the clock reads
  // that timer's time while it runs).
  void Advance(absl::Duration d) {
    absl::Time target;
    {
      absl::MutexLock lock(&mutex_);
      target = now_ + d;
    }
    for (;;) {
      std::function<void()> fn;
      {
        absl::MutexLock lock(&mutex_);
        auto first = timers_.begin();
        if (first == timers_.end() || first->first.first > target) {
          now_ = target;
          return;
        }
        now_ = std::max(now_, first->first.first);
        fn = std::move(first->second);
        timers_.erase(first);
      }
      if (fn) fn();
    }
  }

  // Timers waiting (for tests of the tests).
  size_t pending() const {
    absl::MutexLock lock(&mutex_);
    return timers_.size();
  }

 private:
  mutable absl::Mutex mutex_;
  absl::Time now_ ABSL_GUARDED_BY(mutex_);
  uint64_t next_id_ ABSL_GUARDED_BY(mutex_) = 1;
  // (when, id) -> callback: in time order, ties in scheduling order.
  std::map<std::pair<absl::Time, uint64_t>, std::function<void()>> timers_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace tgrpc::mtproto::net

#endif  // TGRPC_MTPROTO_NET_VIRTUAL_TIME_H_
