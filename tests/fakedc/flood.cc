#include "tests/fakedc/flood.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/fakedc/rpc.h"

namespace tgrpc::fakedc {

absl::StatusOr<FloodLimits> ParseFloodLimits(absl::string_view spec) {
  FloodLimits limits;
  for (absl::string_view item : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    // The method name has dots but no colon; the limit is "calls/seconds".
    const size_t colon = item.rfind(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return absl::InvalidArgumentError(absl::StrCat("expected method:calls/seconds, got ", item));
    }
    const std::vector<absl::string_view> numbers = absl::StrSplit(item.substr(colon + 1), '/');
    FloodLimit limit;
    if (numbers.size() != 2 || !absl::SimpleAtoi(numbers[0], &limit.max_calls) ||
        !absl::SimpleAtoi(numbers[1], &limit.window_seconds) || limit.max_calls <= 0 ||
        limit.window_seconds <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("expected positive calls/seconds in ", item));
    }
    limits[std::string(item.substr(0, colon))] = limit;
  }
  return limits;
}

void FloodControl::SetLimit(const std::string& method, FloodLimit limit) {
  // Calls counted under an old limit would distort the new one.
  for (auto it = calls_.begin(); it != calls_.end();) {
    it = it->first.first == method ? calls_.erase(it) : std::next(it);
  }
  if (limit.max_calls <= 0 || limit.window_seconds <= 0) {
    limits_.erase(method);
  } else {
    limits_[method] = limit;
  }
}

void FloodControl::SetLimits(const FloodLimits& limits) {
  limits_.clear();
  calls_.clear();
  for (const auto& [method, limit] : limits) SetLimit(method, limit);
}

absl::Status FloodControl::Check(absl::string_view method, const Account& account, int64_t now) {
  auto limit = limits_.find(method);
  if (limit == limits_.end()) return absl::OkStatus();
  std::deque<int64_t>& calls = calls_[{std::string(method), account}];
  // A call at t occupies the window until t + window_seconds.
  while (!calls.empty() && calls.front() + limit->second.window_seconds <= now) calls.pop_front();
  if (static_cast<int>(calls.size()) >= limit->second.max_calls) {
    const int64_t wait = calls.front() + limit->second.window_seconds - now;
    return FloodWait(static_cast<int>(wait > 0 ? wait : 1));
  }
  calls.push_back(now);
  return absl::OkStatus();
}

}  // namespace tgrpc::fakedc
