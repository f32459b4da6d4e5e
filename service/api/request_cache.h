// Answers of mutations by request_id, so a retried call (same tenant, account, method and
// request_id) acts once and gets the first call's answer (AIP-155). Kept in memory, bounded in
// count and age; Telegram's own random_id deduplication covers sends beyond it.
#ifndef TGRPC_SERVICE_API_REQUEST_CACHE_H_
#define TGRPC_SERVICE_API_REQUEST_CACHE_H_

#include <deque>
#include <map>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tgrpc::service {

class RequestCache {
 public:
  explicit RequestCache(size_t max_entries = 10000, absl::Duration max_age = absl::Hours(1))
      : max_entries_(max_entries), max_age_(max_age) {}

  // The serialized answer of an earlier call with this key.
  std::optional<std::string> Find(const std::string& key);
  void Store(const std::string& key, std::string answer);

 private:
  void Expire() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const size_t max_entries_;
  const absl::Duration max_age_;
  absl::Mutex mutex_;
  std::map<std::string, std::string> answers_ ABSL_GUARDED_BY(mutex_);
  std::deque<std::pair<absl::Time, std::string>> order_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_REQUEST_CACHE_H_
