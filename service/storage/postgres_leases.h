// The cluster's shared state in PostgreSQL (schema step 2): which replicas are alive and where
// their peer ports are, and which replica holds each account's lease, until when, at which fencing
// epoch. service/ownership/lease_manager.h drives it; the storage's writes check the epoch
// (LeaseFence) in their own transactions.
//
// Time is the database's: every expiry is now() + ttl on the server, so replicas' clocks need not
// agree. A lease is free once it has expired: taking it then bumps its epoch, which fences off
// every later write of the replica that held it before. Taking a lease waits for the writes that
// checked the old epoch (they hold its row FOR SHARE) to commit, so the new holder reads
// everything the old one wrote.
#ifndef TGRPC_SERVICE_STORAGE_POSTGRES_LEASES_H_
#define TGRPC_SERVICE_STORAGE_POSTGRES_LEASES_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/storage/storage.h"

namespace tgrpc::service {

class PgConnection;

// What a storage write checks before it writes an account (PostgresStorageOptions::fence): the
// lease this replica holds on it. Thread-safe.
class LeaseFence {
 public:
  virtual ~LeaseFence() = default;
  // This replica's holder id (unique per process: a restarted replica is a new holder).
  virtual const std::string& holder() const = 0;
  // The epoch of this replica's lease on `account`, or nullopt if it holds none.
  virtual std::optional<int64_t> EpochOf(const AccountKey& account) const = 0;
};

struct ReplicaRecord {
  std::string holder;
  std::string instance;
  // host:port of its peer port.
  std::string address;
  // Shutting down: it takes no accounts and hands over those it has.
  bool draining = false;
};

struct LeaseRecord {
  AccountKey account;
  // Empty for an account no lease was ever taken on.
  std::string holder;
  int64_t epoch = 0;
  // Not expired (on the database's clock).
  bool live = false;
};

// The accounts and live replicas as the database has them now.
struct ClusterSnapshot {
  // Live replicas, by holder.
  std::vector<ReplicaRecord> replicas;
  // Every stored account with its lease (if any), by tenant then id.
  std::vector<LeaseRecord> leases;
};

class PostgresLeases {
 public:
  // Connects (its own session; the storage's schema must be migrated first, by opening it).
  static absl::StatusOr<std::unique_ptr<PostgresLeases>> Open(const std::string& conninfo);
  ~PostgresLeases();

  // Records `replica` as alive until now() + ttl (insert or refresh), and forgets replicas that
  // expired an hour ago.
  absl::Status Heartbeat(const ReplicaRecord& replica, absl::Duration ttl);
  // Removes the replica's row (orderly shutdown).
  absl::Status Leave(const std::string& holder);
  absl::StatusOr<ClusterSnapshot> Snapshot();
  // Extends every lease `holder` has (expired or not, as long as no one took it since) to
  // now() + ttl; returns them with their epochs.
  absl::StatusOr<std::map<AccountKey, int64_t>> Renew(const std::string& holder,
                                                      absl::Duration ttl);
  // Takes the lease on `account` if it is free (none yet, or expired): its new epoch. nullopt if
  // another replica holds it.
  absl::StatusOr<std::optional<int64_t>> Acquire(const AccountKey& account,
                                                 const std::string& holder, absl::Duration ttl);
  // Expires the lease now, if `holder` still has it at `epoch`: another replica may take it.
  absl::Status Release(const AccountKey& account, const std::string& holder, int64_t epoch);
  // Forgets the account's lease (the account was deleted), if `holder` has it at `epoch`.
  absl::Status Forget(const AccountKey& account, const std::string& holder, int64_t epoch);
  // The live replica holding a live lease on `account`, if any.
  absl::StatusOr<std::optional<ReplicaRecord>> Owner(const AccountKey& account);

 private:
  explicit PostgresLeases(std::unique_ptr<PgConnection> db);
  absl::Mutex mutex_;
  std::unique_ptr<PgConnection> db_ ABSL_GUARDED_BY(mutex_);
};

// The fence check a write runs first in its transaction: the row of `holder`'s lease on `account`
// at `epoch`, locked FOR SHARE to the transaction's end. Unavailable, naming the account, if this
// replica no longer holds it.
absl::Status CheckLeaseFence(PgConnection& db, const AccountKey& account, const std::string& holder,
                             int64_t epoch);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_STORAGE_POSTGRES_LEASES_H_
