// FLOOD_WAIT in fakedc: per-method limits of calls per account in a sliding window, answered
// with 420 FLOOD_WAIT_X like Telegram, X being the seconds until the window takes the call.
// Time is whatever the caller passes (the World's clock), so tests never sleep.
#ifndef TGRPC_TESTS_FAKEDC_FLOOD_H_
#define TGRPC_TESTS_FAKEDC_FLOOD_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tgrpc::fakedc {

// At most `max_calls` calls in any `window_seconds` seconds.
struct FloodLimit {
  int max_calls = 0;
  int window_seconds = 0;
  friend bool operator==(const FloodLimit&, const FloodLimit&) = default;
};

// Limits by method name ("messages.sendMessage").
using FloodLimits = std::map<std::string, FloodLimit, std::less<>>;

// "messages.sendMessage:5/10,auth.sendCode:3/60": max calls / window seconds per method.
absl::StatusOr<FloodLimits> ParseFloodLimits(absl::string_view spec);

class FloodControl {
 public:
  // Whose calls are counted: the signed-in user, or the auth key for calls before sign-in.
  struct Account {
    int64_t user_id = 0;
    uint64_t auth_key_id = 0;
    auto operator<=>(const Account&) const = default;
  };

  // Replaces the limit of `method`; max_calls <= 0 removes it (and its counted calls).
  void SetLimit(const std::string& method, FloodLimit limit);
  void SetLimits(const FloodLimits& limits);
  const FloodLimits& limits() const { return limits_; }

  // Counts a call of `method` by `account` at `now` (seconds) if the window has room; otherwise
  // 420 FLOOD_WAIT_X, and the refused call is not counted.
  absl::Status Check(absl::string_view method, const Account& account, int64_t now);

 private:
  FloodLimits limits_;
  // Times of the calls still in the window, oldest first, by method and account.
  std::map<std::pair<std::string, Account>, std::deque<int64_t>, std::less<>> calls_;
};

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_FLOOD_H_
