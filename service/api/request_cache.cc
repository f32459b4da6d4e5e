#include "service/api/request_cache.h"

#include <utility>

namespace tgrpc::service {

void RequestCache::Expire() {
  const absl::Time now = absl::Now();
  while (!order_.empty() &&
         (order_.size() > max_entries_ || now - order_.front().first > max_age_)) {
    answers_.erase(order_.front().second);
    order_.pop_front();
  }
}

std::optional<std::string> RequestCache::Find(const std::string& key) {
  absl::MutexLock lock(&mutex_);
  Expire();
  auto it = answers_.find(key);
  if (it == answers_.end()) return std::nullopt;
  return it->second;
}

void RequestCache::Store(const std::string& key, std::string answer) {
  absl::MutexLock lock(&mutex_);
  if (answers_.emplace(key, std::move(answer)).second) order_.emplace_back(absl::Now(), key);
  Expire();
}

}  // namespace tgrpc::service
