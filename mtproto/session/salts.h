// Server salts (core.telegram.org/mtproto/service_messages, "Request for several future salts").
// A salt belongs to the auth key, changes over time, and each one has a validity window that
// overlaps the next, so a client that switches salts by the clock never sends a stale one.
//
// ClientSalts is the client's view: the salt in use plus future salts learned from
// get_future_salts. ServerSalts is a server's schedule: one random salt per period, the previous
// one still accepted for a grace time, plus extra salts such as the one the key exchange yields.
#ifndef TGRPC_MTPROTO_SESSION_SALTS_H_
#define TGRPC_MTPROTO_SESSION_SALTS_H_

#include <cstdint>
#include <map>
#include <vector>

#include "absl/time/time.h"
#include "mtproto/crypto/random_source.h"

namespace tgrpc::mtproto::session {

struct FutureSalt {
  absl::Time valid_since;
  absl::Time valid_until;
  uint64_t salt = 0;

  friend bool operator==(const FutureSalt&, const FutureSalt&) = default;
};

class ClientSalts {
 public:
  explicit ClientSalts(uint64_t initial = 0) : current_(initial) {}

  uint64_t current() const { return current_; }
  // The server named the valid salt (bad_server_salt, new_session_created). Stored future salts
  // disagree with the server, so they are dropped and should be fetched again.
  void SetFromServer(uint64_t salt);
  // Uses `salt` from now on and keeps the stored future salts (new_session_created).
  void SetCurrent(uint64_t salt) { current_ = salt; }
  // Adds salts from future_salts (duplicates replace older entries for the same salt).
  void AddFuture(const std::vector<FutureSalt>& salts);
  // Switches to the newest stored salt that has been valid for at least `margin` and stays valid
  // for at least `margin` at server time `server_now`; forgets expired ones. Keeps the current
  // salt if none qualifies. Returns the salt to use.
  uint64_t Select(absl::Time server_now, absl::Duration margin);
  // The end of the last stored salt's validity (InfinitePast if none).
  absl::Time covered_until() const;
  const std::vector<FutureSalt>& future() const { return future_; }

 private:
  uint64_t current_;
  // Sorted by valid_since.
  std::vector<FutureSalt> future_;
};

class ServerSalts {
 public:
  // Salt k is valid from epoch + k * period until epoch + (k + 1) * period + grace.
  ServerSalts(crypto::RandomSource random, absl::Duration period, absl::Duration grace);

  // Also accept `salt` in [valid_since, valid_until), e.g. the key exchange's first salt.
  void AddSalt(uint64_t salt, absl::Time valid_since, absl::Time valid_until);
  bool IsValid(uint64_t salt, absl::Time now);
  // The salt for new messages and for bad_server_salt.
  uint64_t Current(absl::Time now);
  // `count` salts starting with the current one, for future_salts.
  std::vector<FutureSalt> Upcoming(absl::Time now, int count);

 private:
  int64_t Epoch(absl::Time now) const;
  uint64_t SaltOf(int64_t epoch);
  void Forget(int64_t current_epoch);
  absl::Time Start(int64_t epoch) const;

  crypto::RandomSource random_;
  absl::Duration period_;
  absl::Duration grace_;
  std::map<int64_t, uint64_t> by_epoch_;
  std::vector<FutureSalt> extra_;
};

}  // namespace tgrpc::mtproto::session

#endif  // TGRPC_MTPROTO_SESSION_SALTS_H_
