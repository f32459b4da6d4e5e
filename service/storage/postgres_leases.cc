#include "service/storage/postgres_leases.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "service/storage/postgres_connection.h"

namespace tgrpc::service {
namespace {

// Durations go as whole milliseconds ($n bigint).
constexpr PgStatement kHeartbeat = {
    "cluster_heartbeat",
    "INSERT INTO replicas (holder, instance, address, draining, expires_at) VALUES ($1, $2, $3, "
    "$4, now() + $5 * interval '1 millisecond') ON CONFLICT (holder) DO UPDATE SET instance = "
    "excluded.instance, address = excluded.address, draining = excluded.draining, expires_at = "
    "excluded.expires_at"};
constexpr PgStatement kForgetDeadReplicas = {
    "cluster_forget_dead", "DELETE FROM replicas WHERE expires_at < now() - interval '1 hour'"};
constexpr PgStatement kLeave = {"cluster_leave", "DELETE FROM replicas WHERE holder = $1"};
constexpr PgStatement kLiveReplicas = {
    "cluster_live_replicas",
    "SELECT holder, instance, address, draining FROM replicas WHERE expires_at > now() ORDER BY "
    "holder"};
constexpr PgStatement kLeases = {
    "cluster_leases",
    "SELECT a.tenant, a.id, l.holder, l.epoch, l.expires_at > now() FROM accounts a LEFT JOIN "
    "account_leases l ON l.tenant = a.tenant AND l.account_id = a.id ORDER BY a.tenant, a.id"};
constexpr PgStatement kRenew = {
    "cluster_renew",
    "UPDATE account_leases SET expires_at = now() + $2 * interval '1 millisecond' WHERE holder = "
    "$1 RETURNING tenant, account_id, epoch"};
// A lease row that expired is free: taking it bumps the epoch. A row that never existed starts at
// epoch 1.
constexpr PgStatement kAcquire = {
    "cluster_acquire",
    "INSERT INTO account_leases (tenant, account_id, holder, epoch, expires_at) VALUES ($1, $2, "
    "$3, 1, now() + $4 * interval '1 millisecond') ON CONFLICT (tenant, account_id) DO UPDATE SET "
    "holder = excluded.holder, epoch = account_leases.epoch + 1, expires_at = excluded.expires_at "
    "WHERE account_leases.expires_at <= now() RETURNING epoch"};
constexpr PgStatement kRelease = {
    "cluster_release",
    "UPDATE account_leases SET expires_at = now() - interval '1 millisecond' WHERE tenant = $1 "
    "AND account_id = $2 AND holder = $3 AND epoch = $4"};
constexpr PgStatement kForget = {"cluster_forget",
                                 "DELETE FROM account_leases WHERE tenant = $1 AND account_id = "
                                 "$2 AND holder = $3 AND epoch = $4"};
constexpr PgStatement kOwner = {
    "cluster_owner",
    "SELECT r.holder, r.instance, r.address, r.draining FROM account_leases l JOIN replicas r ON "
    "r.holder = l.holder WHERE l.tenant = $1 AND l.account_id = $2 AND l.expires_at > now() AND "
    "r.expires_at > now()"};
constexpr PgStatement kFence = {
    "cluster_fence",
    "SELECT 1 FROM account_leases WHERE tenant = $1 AND account_id = $2 AND holder = $3 AND epoch "
    "= $4 FOR SHARE"};

int64_t Millis(absl::Duration d) { return absl::ToInt64Milliseconds(d); }

PgParams Of(const AccountKey& account) { return PgParams().Text(account.tenant).Text(account.id); }

ReplicaRecord ReadReplica(const PgResult& rows, int row) {
  ReplicaRecord replica;
  replica.holder = rows.Bytes(row, 0);
  replica.instance = rows.Bytes(row, 1);
  replica.address = rows.Bytes(row, 2);
  replica.draining = rows.Int(row, 3) != 0;
  return replica;
}

}  // namespace

absl::Status CheckLeaseFence(PgConnection& db, const AccountKey& account, const std::string& holder,
                             int64_t epoch) {
  TGRPC_ASSIGN_OR_RETURN(PgResult rows, db.Run(kFence, Of(account).Text(holder).Int(epoch)));
  if (rows.rows() == 1) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("accounts/", account.id, ": this replica's lease on it (epoch ", epoch,
                   ") was taken over by another replica; nothing was written"));
}

absl::StatusOr<std::unique_ptr<PostgresLeases>> PostgresLeases::Open(const std::string& conninfo) {
  TGRPC_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> db, PgConnection::Open(conninfo));
  return std::unique_ptr<PostgresLeases>(new PostgresLeases(std::move(db)));
}

PostgresLeases::PostgresLeases(std::unique_ptr<PgConnection> db) : db_(std::move(db)) {}
PostgresLeases::~PostgresLeases() = default;

namespace {

// Runs `body` on `db`, once more on a new session if the first was found lost. Every statement
// here may run twice: a lease taken by a run whose answer was lost reads as taken by another
// replica, and expires unused.
template <typename Body>
absl::Status WithSession(PgConnection& db, Body body) {
  if (db.lost()) TGRPC_RETURN_IF_ERROR(db.Reconnect());
  absl::Status status = body(db);
  if (status.ok() || !db.lost()) return status;
  TGRPC_RETURN_IF_ERROR(db.Reconnect());
  return body(db);
}

}  // namespace

absl::Status PostgresLeases::Heartbeat(const ReplicaRecord& replica, absl::Duration ttl) {
  absl::MutexLock lock(&mutex_);
  return WithSession(*db_, [&](PgConnection& db) -> absl::Status {
    TGRPC_RETURN_IF_ERROR(db.Run(kHeartbeat, PgParams()
                                                 .Text(replica.holder)
                                                 .Text(replica.instance)
                                                 .Text(replica.address)
                                                 .Bool(replica.draining)
                                                 .Int(Millis(ttl)))
                              .status());
    return db.Run(kForgetDeadReplicas, PgParams()).status();
  });
}

absl::Status PostgresLeases::Leave(const std::string& holder) {
  absl::MutexLock lock(&mutex_);
  return WithSession(*db_, [&](PgConnection& db) -> absl::Status {
    return db.Run(kLeave, PgParams().Text(holder)).status();
  });
}

absl::StatusOr<ClusterSnapshot> PostgresLeases::Snapshot() {
  absl::MutexLock lock(&mutex_);
  ClusterSnapshot snapshot;
  TGRPC_RETURN_IF_ERROR(WithSession(*db_, [&](PgConnection& db) -> absl::Status {
    snapshot = ClusterSnapshot();
    TGRPC_ASSIGN_OR_RETURN(PgResult replicas, db.Run(kLiveReplicas, PgParams()));
    for (int row = 0; row < replicas.rows(); ++row) {
      snapshot.replicas.push_back(ReadReplica(replicas, row));
    }
    TGRPC_ASSIGN_OR_RETURN(PgResult leases, db.Run(kLeases, PgParams()));
    for (int row = 0; row < leases.rows(); ++row) {
      LeaseRecord& lease = snapshot.leases.emplace_back();
      lease.account = {leases.Bytes(row, 0), leases.Bytes(row, 1)};
      lease.holder = leases.Bytes(row, 2);
      lease.epoch = leases.Int(row, 3);
      lease.live = leases.Int(row, 4) != 0;
    }
    return absl::OkStatus();
  }));
  return snapshot;
}

absl::StatusOr<std::map<AccountKey, int64_t>> PostgresLeases::Renew(const std::string& holder,
                                                                    absl::Duration ttl) {
  absl::MutexLock lock(&mutex_);
  std::map<AccountKey, int64_t> held;
  TGRPC_RETURN_IF_ERROR(WithSession(*db_, [&](PgConnection& db) -> absl::Status {
    held.clear();
    TGRPC_ASSIGN_OR_RETURN(PgResult rows, db.Run(kRenew, PgParams().Text(holder).Int(Millis(ttl))));
    for (int row = 0; row < rows.rows(); ++row) {
      held[{rows.Bytes(row, 0), rows.Bytes(row, 1)}] = rows.Int(row, 2);
    }
    return absl::OkStatus();
  }));
  return held;
}

absl::StatusOr<std::optional<int64_t>> PostgresLeases::Acquire(const AccountKey& account,
                                                               const std::string& holder,
                                                               absl::Duration ttl) {
  absl::MutexLock lock(&mutex_);
  std::optional<int64_t> epoch;
  TGRPC_RETURN_IF_ERROR(WithSession(*db_, [&](PgConnection& db) -> absl::Status {
    TGRPC_ASSIGN_OR_RETURN(PgResult rows,
                           db.Run(kAcquire, Of(account).Text(holder).Int(Millis(ttl))));
    epoch.reset();
    if (rows.rows() == 1) epoch = rows.Int(0, 0);
    return absl::OkStatus();
  }));
  return epoch;
}

absl::Status PostgresLeases::Release(const AccountKey& account, const std::string& holder,
                                     int64_t epoch) {
  absl::MutexLock lock(&mutex_);
  return WithSession(*db_, [&](PgConnection& db) -> absl::Status {
    return db.Run(kRelease, Of(account).Text(holder).Int(epoch)).status();
  });
}

absl::Status PostgresLeases::Forget(const AccountKey& account, const std::string& holder,
                                    int64_t epoch) {
  absl::MutexLock lock(&mutex_);
  return WithSession(*db_, [&](PgConnection& db) -> absl::Status {
    return db.Run(kForget, Of(account).Text(holder).Int(epoch)).status();
  });
}

absl::StatusOr<std::optional<ReplicaRecord>> PostgresLeases::Owner(const AccountKey& account) {
  absl::MutexLock lock(&mutex_);
  std::optional<ReplicaRecord> owner;
  TGRPC_RETURN_IF_ERROR(WithSession(*db_, [&](PgConnection& db) -> absl::Status {
    TGRPC_ASSIGN_OR_RETURN(PgResult rows, db.Run(kOwner, Of(account)));
    owner.reset();
    if (rows.rows() == 1) owner = ReadReplica(rows, 0);
    return absl::OkStatus();
  }));
  return owner;
}

}  // namespace tgrpc::service
