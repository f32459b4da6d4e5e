#include "service/ownership/lease_manager.h"

#include <algorithm>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace tgrpc::service {
namespace {

std::string HolderId(const std::string& instance, uint64_t seed) {
  uint64_t bits = seed;
  if (bits == 0) {
    std::random_device device;
    bits = (static_cast<uint64_t>(device()) << 32) ^ device();
  }
  return absl::StrFormat("%s#%012x", instance, bits & 0xffffffffffffULL);
}

// The order in which a holder goes through free leases: its own, so that replicas taking their
// shares at the same time mostly want different accounts.
size_t Preference(const std::string& holder, const AccountKey& account) {
  return std::hash<std::string>()(absl::StrCat(holder, "\n", account.tenant, "\n", account.id));
}

std::string Name(const AccountKey& account) {
  return account.tenant.empty()
             ? absl::StrCat("accounts/", account.id)
             : absl::StrCat("accounts/", account.id, " (tenant ", account.tenant, ")");
}

}  // namespace

LeaseManager::LeaseManager(std::unique_ptr<PostgresLeases> leases, LeaseManagerOptions options)
    : leases_(std::move(leases)),
      options_(std::move(options)),
      holder_(HolderId(options_.instance, options_.seed)) {}

LeaseManager::~LeaseManager() { Drain(); }

void LeaseManager::Log(absl::string_view level, absl::string_view message) const {
  if (options_.log) options_.log(level, absl::StrCat("cluster: ", message));
}

absl::Status LeaseManager::Start(AccountManager* accounts, const std::string& address) {
  accounts_ = accounts;
  self_ = {holder_, options_.instance, address, false};
  {
    absl::MutexLock lock(&round_mutex_);
    if (absl::Status s = Round(); !s.ok()) return s;
  }
  Log("info", absl::StrCat("joined as ", holder_, " (peer ", address, ", lease_ttl ",
                           absl::FormatDuration(options_.ttl), "), serving ",
                           accounts_->Served().size(), " accounts"));
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void LeaseManager::Run() {
  const absl::Duration every = options_.ttl / 5;
  // The watchdog: between rounds and while one is stuck on the database, leases that were not
  // renewed in time are given up before they can expire.
  std::thread watchdog([this] {
    while (!stop_.WaitForNotificationWithTimeout(options_.ttl / 20)) {
      bool late = false;
      {
        absl::MutexLock lock(&mutex_);
        late = !held_.empty() && absl::Now() > deadline_;
      }
      if (late) DropAll("its leases could not be renewed in time (database unreachable?)");
    }
  });
  while (!stop_.WaitForNotificationWithTimeout(every)) {
    absl::MutexLock lock(&round_mutex_);
    if (draining_.load()) break;
    absl::Status status = Round();
    absl::MutexLock figures(&mutex_);
    ++figures_.rounds;
    if (!status.ok()) {
      ++figures_.failed_rounds;
      Log("warning", absl::StrCat("round failed: ", status.message()));
    }
  }
  watchdog.join();
}

absl::Status LeaseManager::Round() {
  if (absl::Status s = leases_->Heartbeat(self_, options_.ttl); !s.ok()) return s;

  // Renew, then drop what was lost: leases held before the renewal that it did not find.
  std::map<AccountKey, int64_t> before;
  {
    absl::MutexLock lock(&mutex_);
    before = held_;
  }
  const absl::Time renew_start = absl::Now();
  absl::StatusOr<std::map<AccountKey, int64_t>> renewed = leases_->Renew(holder_, options_.ttl);
  if (!renewed.ok()) return renewed.status();
  std::vector<AccountKey> lost;
  std::vector<std::pair<AccountKey, int64_t>> stray;
  {
    absl::MutexLock lock(&mutex_);
    deadline_ = renew_start + options_.ttl * 3 / 4;
    for (const auto& [account, epoch] : before) {
      auto now_held = held_.find(account);
      if (now_held == held_.end() || now_held->second != epoch) continue;
      auto found = renewed->find(account);
      if (found == renewed->end() || found->second != epoch) {
        lost.push_back(account);
        held_.erase(now_held);
      }
    }
    // Renewed but not served (dropped by the watchdog, a claim whose answer was lost): let go.
    // A claim under way is not stray: its lease is taken and about to be held.
    for (const auto& [account, epoch] : *renewed) {
      if (held_.count(account) == 0 && claiming_.count(account) == 0) {
        stray.emplace_back(account, epoch);
      }
    }
    figures_.lost += static_cast<int64_t>(lost.size());
  }
  for (const AccountKey& account : lost) {
    accounts_->Drop(account);
    Log("warning", absl::StrCat(Name(account), ": its lease was taken over; stopped serving it"));
  }
  for (const auto& [account, epoch] : stray) (void)leases_->Release(account, holder_, epoch);

  absl::StatusOr<ClusterSnapshot> snapshot = leases_->Snapshot();
  if (!snapshot.ok()) return snapshot.status();
  std::map<std::string, int> counts;  // live replica -> live leases
  int live_replicas = 0;
  bool self_listed = false;
  {
    absl::MutexLock lock(&mutex_);
    owners_.clear();
    replicas_.clear();
    for (const ReplicaRecord& replica : snapshot->replicas) {
      replicas_[replica.holder] = replica;
      if (replica.holder == holder_) self_listed = true;
      if (!replica.draining) {
        ++live_replicas;
        counts[replica.holder] = 0;
      }
    }
    for (const LeaseRecord& lease : snapshot->leases) {
      if (!lease.live) continue;
      owners_[lease.account] = lease.holder;
      auto count = counts.find(lease.holder);
      if (count != counts.end()) ++count->second;
    }
  }
  if (draining_.load()) return absl::OkStatus();
  if (!self_listed) ++live_replicas;
  const int total = static_cast<int>(snapshot->leases.size());
  const int share = (total + live_replicas - 1) / std::max(live_replicas, 1);
  int mine = 0;
  {
    absl::MutexLock lock(&mutex_);
    mine = static_cast<int>(held_.size());
  }

  // Below the share: take free leases.
  std::vector<AccountKey> free;
  for (const LeaseRecord& lease : snapshot->leases) {
    if (!lease.live) free.push_back(lease.account);
  }
  std::sort(free.begin(), free.end(), [this](const AccountKey& a, const AccountKey& b) {
    return Preference(holder_, a) < Preference(holder_, b);
  });
  for (const AccountKey& account : free) {
    if (mine >= share || draining_.load()) break;
    absl::StatusOr<std::optional<int64_t>> epoch = leases_->Acquire(account, holder_, options_.ttl);
    if (!epoch.ok()) return epoch.status();
    if (!epoch->has_value()) continue;  // another replica was faster
    {
      absl::MutexLock lock(&mutex_);
      held_[account] = **epoch;
      ++figures_.acquired;
    }
    if (absl::Status adopted = accounts_->Adopt(account); !adopted.ok()) {
      Log("warning", absl::StrCat(Name(account), ": cannot serve it: ", adopted.message()));
      {
        absl::MutexLock lock(&mutex_);
        held_.erase(account);
      }
      (void)leases_->Release(account, holder_, **epoch);
      continue;
    }
    ++mine;
  }

  // Above the share while another replica is below it: hand the excess over.
  bool someone_below = false;
  for (const auto& [holder, count] : counts) {
    if (holder != holder_ && count < share) someone_below = true;
  }
  if (mine > share && someone_below) {
    std::vector<std::pair<AccountKey, int64_t>> excess;
    {
      absl::MutexLock lock(&mutex_);
      excess.assign(held_.begin(), held_.end());
    }
    // Not an account in the middle of a sign-in, or made less than 5 lease_ttl ago (its caller
    // is likely signing it in): moving it would break that.
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    const int64_t settle = std::max<int64_t>(1, absl::ToInt64Seconds(options_.ttl * 5));
    excess.erase(std::remove_if(excess.begin(), excess.end(),
                                [&](const auto& held) {
                                  absl::StatusOr<std::shared_ptr<Account>> account =
                                      accounts_->Get(held.first.tenant, held.first.id);
                                  if (!account.ok()) return true;
                                  const AccountRecord record = (*account)->record();
                                  return record.state == AccountState::kLoginInProgress ||
                                         now - record.create_time_unix < settle;
                                }),
                 excess.end());
    std::sort(excess.begin(), excess.end(), [this](const auto& a, const auto& b) {
      return Preference(holder_, a.first) > Preference(holder_, b.first);
    });
    if (excess.size() > static_cast<size_t>(mine - share)) excess.resize(mine - share);
    for (const auto& [account, epoch] : excess) HandOver(account, epoch);
    if (!excess.empty()) {
      Log("info", absl::StrCat("handed ", excess.size(), " accounts over to rebalance (share ",
                               share, " of ", total, " over ", live_replicas, " replicas)"));
    }
  }
  return absl::OkStatus();
}

void LeaseManager::HandOver(const AccountKey& account, int64_t epoch) {
  // Stop MTProto and flush first: the next holder must not see this replica use the key.
  accounts_->Drop(account);
  {
    absl::MutexLock lock(&mutex_);
    auto it = held_.find(account);
    if (it != held_.end() && it->second == epoch) held_.erase(it);
    ++figures_.released;
  }
  if (absl::Status s = leases_->Release(account, holder_, epoch); !s.ok()) {
    // It expires by itself within lease_ttl.
    Log("warning", absl::StrCat(Name(account), ": release failed: ", s.message()));
  }
}

void LeaseManager::DropAll(absl::string_view why) {
  std::map<AccountKey, int64_t> held;
  {
    absl::MutexLock lock(&mutex_);
    held.swap(held_);
    figures_.lost += static_cast<int64_t>(held.size());
  }
  for (const auto& [account, epoch] : held) accounts_->Drop(account);
  if (!held.empty()) {
    Log("error", absl::StrCat("stopped serving ", held.size(), " accounts: ", why));
  }
}

void LeaseManager::Drain() {
  if (draining_.exchange(true)) return;
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
  if (accounts_ == nullptr) return;
  absl::MutexLock round(&round_mutex_);
  ReplicaRecord leaving = self_;
  leaving.draining = true;
  (void)leases_->Heartbeat(leaving, options_.ttl);
  std::map<AccountKey, int64_t> held;
  {
    absl::MutexLock lock(&mutex_);
    held = held_;
  }
  const absl::Time start = absl::Now();
  for (const auto& [account, epoch] : held) HandOver(account, epoch);
  (void)leases_->Leave(holder_);
  Log("info", absl::StrCat("handed ", held.size(), " accounts over in ",
                           absl::FormatDuration(absl::Now() - start), " and left"));
}

absl::Status LeaseManager::Claim(const AccountKey& account) {
  {
    absl::MutexLock lock(&mutex_);
    claiming_.insert(account);
  }
  absl::StatusOr<std::optional<int64_t>> epoch = leases_->Acquire(account, holder_, options_.ttl);
  absl::MutexLock lock(&mutex_);
  claiming_.erase(account);
  if (!epoch.ok()) return epoch.status();
  if (!epoch->has_value()) {
    return absl::UnavailableError(
        absl::StrCat("accounts/", account.id, " is being made by another replica: retry"));
  }
  held_[account] = **epoch;
  ++figures_.acquired;
  return absl::OkStatus();
}

void LeaseManager::Forget(const AccountKey& account) {
  int64_t epoch = 0;
  {
    absl::MutexLock lock(&mutex_);
    auto it = held_.find(account);
    if (it == held_.end()) return;
    epoch = it->second;
    held_.erase(it);
  }
  (void)leases_->Forget(account, holder_, epoch);
}

std::optional<int64_t> LeaseManager::EpochOf(const AccountKey& account) const {
  absl::MutexLock lock(&mutex_);
  auto it = held_.find(account);
  if (it == held_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::optional<AccountOwner>> LeaseManager::OwnerOf(const AccountKey& account,
                                                                  bool fresh) {
  {
    absl::MutexLock lock(&mutex_);
    if (held_.count(account) != 0) return AccountOwner{true, "", options_.instance};
    if (!fresh) {
      auto owner = owners_.find(account);
      if (owner != owners_.end() && owner->second != holder_) {
        auto replica = replicas_.find(owner->second);
        if (replica != replicas_.end()) {
          return AccountOwner{false, replica->second.address, replica->second.instance};
        }
      }
    }
  }
  absl::StatusOr<std::optional<ReplicaRecord>> owner = leases_->Owner(account);
  if (!owner.ok()) return owner.status();
  if (!owner->has_value() || (*owner)->holder == holder_) return std::nullopt;
  return AccountOwner{false, (*owner)->address, (*owner)->instance};
}

OwnershipFigures LeaseManager::figures() const {
  absl::MutexLock lock(&mutex_);
  OwnershipFigures figures = figures_;
  figures.served = static_cast<int>(held_.size());
  return figures;
}

}  // namespace tgrpc::service
