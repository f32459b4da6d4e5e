// Callbacks that streams register to hear of changes (login states, account status) and remove
// when they end: the observer list an Account keeps for each kind of change.
//
// Thread-safe. Notify calls the callbacks outside the list's lock, so a callback may add or remove
// watchers; one removed while a Notify is under way may still get that call.
#ifndef TGRPC_SERVICE_TELEGRAM_WATCHER_LIST_H_
#define TGRPC_SERVICE_TELEGRAM_WATCHER_LIST_H_

#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace tgrpc::service {

template <class... Args>
class WatcherList {
 public:
  using Watcher = std::function<void(const Args&...)>;

  // Returns an id for Remove (never 0).
  int Add(Watcher watcher) {
    absl::MutexLock lock(&mutex_);
    const int id = next_id_++;
    watchers_.emplace(id, std::move(watcher));
    return id;
  }

  void Remove(int id) {
    absl::MutexLock lock(&mutex_);
    watchers_.erase(id);
  }

  void Notify(const Args&... args) const {
    std::vector<Watcher> watchers;
    {
      absl::MutexLock lock(&mutex_);
      for (const auto& [id, watcher] : watchers_) watchers.push_back(watcher);
    }
    for (const Watcher& watcher : watchers) watcher(args...);
  }

 private:
  mutable absl::Mutex mutex_;
  std::map<int, Watcher> watchers_ ABSL_GUARDED_BY(mutex_);
  int next_id_ ABSL_GUARDED_BY(mutex_) = 1;
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_TELEGRAM_WATCHER_LIST_H_
