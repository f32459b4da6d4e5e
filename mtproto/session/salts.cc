#include "mtproto/session/salts.h"

#include <algorithm>
#include <cstring>

namespace tgrpc::mtproto::session {

void ClientSalts::SetFromServer(uint64_t salt) {
  current_ = salt;
  future_.clear();
}

void ClientSalts::AddFuture(const std::vector<FutureSalt>& salts) {
  for (const FutureSalt& salt : salts) {
    if (salt.valid_until <= salt.valid_since) continue;
    future_.erase(std::remove_if(future_.begin(), future_.end(),
                                 [&](const FutureSalt& s) { return s.salt == salt.salt; }),
                  future_.end());
    future_.push_back(salt);
  }
  std::sort(future_.begin(), future_.end(),
            [](const FutureSalt& a, const FutureSalt& b) { return a.valid_since < b.valid_since; });
}

uint64_t ClientSalts::Select(absl::Time server_now, absl::Duration margin) {
  future_.erase(std::remove_if(future_.begin(), future_.end(),
                               [&](const FutureSalt& s) { return s.valid_until <= server_now; }),
                future_.end());
  for (auto it = future_.rbegin(); it != future_.rend(); ++it) {
    if (it->valid_since + margin <= server_now && server_now + margin < it->valid_until) {
      current_ = it->salt;
      break;
    }
  }
  return current_;
}

absl::Time ClientSalts::covered_until() const {
  absl::Time until = absl::InfinitePast();
  for (const FutureSalt& salt : future_) until = std::max(until, salt.valid_until);
  return until;
}

ServerSalts::ServerSalts(crypto::RandomSource random, absl::Duration period, absl::Duration grace)
    : random_(std::move(random)),
      period_(period > absl::ZeroDuration() ? period : absl::Hours(1)),
      grace_(grace) {}

void ServerSalts::AddSalt(uint64_t salt, absl::Time valid_since, absl::Time valid_until) {
  extra_.push_back(FutureSalt{valid_since, valid_until, salt});
}

int64_t ServerSalts::Epoch(absl::Time now) const {
  absl::Duration remainder;
  return absl::IDivDuration(now - absl::UnixEpoch(), period_, &remainder);
}

absl::Time ServerSalts::Start(int64_t epoch) const { return absl::UnixEpoch() + epoch * period_; }

uint64_t ServerSalts::SaltOf(int64_t epoch) {
  auto it = by_epoch_.find(epoch);
  if (it != by_epoch_.end()) return it->second;
  uint8_t bytes[8];
  random_(absl::MakeSpan(bytes));
  uint64_t salt;
  std::memcpy(&salt, bytes, 8);
  by_epoch_.emplace(epoch, salt);
  return salt;
}

void ServerSalts::Forget(int64_t current_epoch) {
  // Salts of epochs before the previous one are never valid again.
  while (!by_epoch_.empty() && by_epoch_.begin()->first < current_epoch - 1) {
    by_epoch_.erase(by_epoch_.begin());
  }
}

bool ServerSalts::IsValid(uint64_t salt, absl::Time now) {
  const int64_t epoch = Epoch(now);
  Forget(epoch);
  if (salt == SaltOf(epoch)) return true;
  if (now < Start(epoch) + grace_ && by_epoch_.count(epoch - 1) != 0 &&
      by_epoch_[epoch - 1] == salt) {
    return true;
  }
  extra_.erase(std::remove_if(extra_.begin(), extra_.end(),
                              [&](const FutureSalt& s) { return s.valid_until <= now; }),
               extra_.end());
  for (const FutureSalt& extra : extra_) {
    if (extra.salt == salt && extra.valid_since <= now) return true;
  }
  return false;
}

uint64_t ServerSalts::Current(absl::Time now) {
  Forget(Epoch(now));
  return SaltOf(Epoch(now));
}

std::vector<FutureSalt> ServerSalts::Upcoming(absl::Time now, int count) {
  std::vector<FutureSalt> salts;
  const int64_t first = Epoch(now);
  for (int64_t epoch = first; epoch < first + count; ++epoch) {
    salts.push_back(FutureSalt{Start(epoch), Start(epoch + 1) + grace_, SaltOf(epoch)});
  }
  return salts;
}

}  // namespace tgrpc::mtproto::session
