// Cluster mode: each Telegram account is served by exactly one replica at a time, because
// Telegram revokes an auth key used from two places at once (AUTH_KEY_DUPLICATED). The replicas
// share one PostgreSQL database and coordinate only through it (postgres_leases.h): no consensus
// protocol of their own, no peer-to-peer membership.
//
// Every round (lease_ttl / 5) a replica:
//   1. refreshes its row in `replicas` (alive until now + lease_ttl, with its peer address);
//   2. renews all its leases in one statement; an account whose lease it finds gone (taken over
//      after it stalled) is dropped at once. If the database cannot be reached, it drops every
//      account before its leases can expire (0.75 * lease_ttl after the last renewal began), so
//      its MTProto connections are closed before another replica may take one over;
//   3. reads every account's lease and the live replicas, and balances: the share is
//      ceil(accounts / live replicas); below it, it takes free leases (never taken, expired, or
//      released), in an order hashed by its own id so replicas rarely race for one; above it,
//      while some replica is below the share, it hands accounts over: stops their MTProto
//      connections, waits for their queued log writes, then releases the lease (expires it now).
// A crashed replica's accounts are free once their leases expire: taken within lease_ttl plus one
// round (lease_ttl * 1.2) of its last renewal. A draining replica (shutdown) hands every account
// over the same way and leaves. Storage writes check the lease's epoch (LeaseFence), so a replica
// that lost a lease cannot write even before it notices.
#ifndef TGRPC_SERVICE_OWNERSHIP_LEASE_MANAGER_H_
#define TGRPC_SERVICE_OWNERSHIP_LEASE_MANAGER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "service/storage/postgres_leases.h"
#include "service/telegram/account_manager.h"

namespace tgrpc::service {

struct LeaseManagerOptions {
  // The replica's name (config `instance`); its holder id adds a random part, so a restarted
  // replica is a new holder that waits for its predecessor's leases to expire.
  std::string instance;
  absl::Duration ttl = absl::Seconds(10);
  // Log lines (level, message).
  std::function<void(absl::string_view, absl::string_view)> log;
  // Seeds the holder id's random part (tests); 0: from the OS.
  uint64_t seed = 0;
};

// Where a call for an account goes.
struct AccountOwner {
  bool here = false;
  // The owner's peer address, when it is another replica.
  std::string address;
  std::string instance;
};

struct OwnershipFigures {
  int served = 0;
  int64_t acquired = 0, released = 0, lost = 0, rounds = 0, failed_rounds = 0;
};

class LeaseManager final : public LeaseFence {
 public:
  LeaseManager(std::unique_ptr<PostgresLeases> leases, LeaseManagerOptions options);
  ~LeaseManager() override;

  // Joins with this replica's peer address, runs a first round (which takes the replica's share
  // of free accounts) and starts the rounds' thread. `accounts` must outlive Drain.
  absl::Status Start(AccountManager* accounts, const std::string& address);
  // Hands every account over (stop, flush, release), leaves, and stops the rounds. Idempotent.
  void Drain();

  // The routing of a call: which replica serves `account` now. nullopt when no live replica
  // holds a live lease on it (it does not exist, or it is moving): the caller serves it here,
  // where Get answers NotFound or ACCOUNT_NOT_HERE. `fresh`: ask the database, not the last
  // round's view.
  absl::StatusOr<std::optional<AccountOwner>> OwnerOf(const AccountKey& account, bool fresh);

  // AccountOwnership's: a new account's lease (Unavailable if another replica has it), and a
  // deleted one's.
  absl::Status Claim(const AccountKey& account);
  void Forget(const AccountKey& account);

  // LeaseFence.
  const std::string& holder() const override { return holder_; }
  std::optional<int64_t> EpochOf(const AccountKey& account) const override;

  OwnershipFigures figures() const;

 private:
  void Run();
  absl::Status Round();
  // Stops serving `account` and releases its lease (handover).
  void HandOver(const AccountKey& account, int64_t epoch);
  // Stops serving every account now (leases lost or about to expire unrenewed).
  void DropAll(absl::string_view why);
  void Log(absl::string_view level, absl::string_view message) const;

  const std::unique_ptr<PostgresLeases> leases_;
  const LeaseManagerOptions options_;
  const std::string holder_;
  AccountManager* accounts_ = nullptr;
  ReplicaRecord self_;

  mutable absl::Mutex mutex_;
  // The leases held, with their epochs (what the fence checks).
  std::map<AccountKey, int64_t> held_ ABSL_GUARDED_BY(mutex_);
  // The last round's view for routing: account -> live holder, holder -> replica.
  std::map<AccountKey, std::string> owners_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, ReplicaRecord> replicas_ ABSL_GUARDED_BY(mutex_);
  // Leases are dropped locally by then unless renewed.
  absl::Time deadline_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  OwnershipFigures figures_ ABSL_GUARDED_BY(mutex_);

  // Serializes rounds, claims and the drain.
  absl::Mutex round_mutex_;
  std::atomic<bool> draining_{false};
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_OWNERSHIP_LEASE_MANAGER_H_
