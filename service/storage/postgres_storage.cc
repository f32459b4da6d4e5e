#include "service/storage/postgres_storage.h"

#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "service/storage/future_salts_blob.h"
#include "service/storage/postgres_connection.h"
#include "service/storage/postgres_schema.h"
#include "service/storage/postgres_update_log.h"
#include "service/storage/storage_util.h"

namespace tgrpc::service {
namespace {

// A transaction that meets a deadlock or a serialization failure was rolled back by the server:
// it runs again, up to this many times in all.
constexpr int kMaxAttempts = 3;

constexpr absl::string_view kKeyCheckAad = "keycheck";
constexpr absl::string_view kKeyCheckPlaintext = "tgrpc postgres storage key check";

// The associated data of sealed secrets is the SQLite backend's (storage_util.h), so a sealed
// value means the same in either database.
using storage_util::AuthKeyAad;
using storage_util::BotTokenAad;
using storage_util::Describe;
using storage_util::WithContext;

// Every statement names an account by $1 (tenant) and $2 (id). Column lists are in the order
// ReadAccount and ReadPeer expect.
constexpr PgStatement kPutAccount = {
    "put_account",
    "INSERT INTO accounts (tenant, id, phone, bot_token_sealed, bot, max_sessions, state, "
    "home_dc, user_id, user_tl, display_name, create_time_unix, create_request_id) VALUES ($1, "
    "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (tenant, id) DO UPDATE SET "
    "phone = excluded.phone, bot_token_sealed = excluded.bot_token_sealed, bot = excluded.bot, "
    "max_sessions = excluded.max_sessions, state = excluded.state, home_dc = excluded.home_dc, "
    "user_id = excluded.user_id, user_tl = excluded.user_tl, display_name = "
    "excluded.display_name, create_time_unix = excluded.create_time_unix, create_request_id = "
    "excluded.create_request_id"};
constexpr PgStatement kGetAccount = {
    "get_account",
    "SELECT tenant, id, phone, bot_token_sealed, bot, max_sessions, state, home_dc, user_id, "
    "user_tl, display_name, create_time_unix, create_request_id FROM accounts WHERE tenant = $1 "
    "AND id = $2"};
constexpr PgStatement kListAccounts = {
    "list_accounts",
    "SELECT tenant, id, phone, bot_token_sealed, bot, max_sessions, state, home_dc, user_id, "
    "user_tl, display_name, create_time_unix, create_request_id FROM accounts ORDER BY tenant, "
    "id"};
// Holds the account against deletion to the end of the transaction, as a foreign key check does.
constexpr PgStatement kAccountExists = {
    "account_exists", "SELECT 1 FROM accounts WHERE tenant = $1 AND id = $2 FOR KEY SHARE"};
// Also conflicts with itself: peer writes to one account, from any connection or replica, take
// turns, so a username or phone moving between two peers never meets the unique index half-way.
constexpr PgStatement kLockAccount = {
    "lock_account", "SELECT 1 FROM accounts WHERE tenant = $1 AND id = $2 FOR NO KEY UPDATE"};
// The foreign keys cascade to keys, peers and the update log, in this one statement.
constexpr PgStatement kDeleteAccount = {"delete_account",
                                        "DELETE FROM accounts WHERE tenant = $1 AND id = $2"};
constexpr PgStatement kPutAuthKey = {
    "put_auth_key",
    "INSERT INTO auth_keys (tenant, account_id, dc_id, key_sealed, salt, time_offset_ms, "
    "future_salts) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant, account_id, dc_id) "
    "DO UPDATE SET key_sealed = excluded.key_sealed, salt = excluded.salt, time_offset_ms = "
    "excluded.time_offset_ms, future_salts = excluded.future_salts"};
constexpr PgStatement kGetAuthKeys = {
    "get_auth_keys",
    "SELECT dc_id, key_sealed, salt, time_offset_ms, future_salts FROM auth_keys WHERE tenant = "
    "$1 AND account_id = $2 ORDER BY dc_id"};
constexpr PgStatement kUpdateSalt = {
    "update_salt",
    "UPDATE auth_keys SET salt = $4, time_offset_ms = $5, future_salts = $6 WHERE tenant = $1 "
    "AND account_id = $2 AND dc_id = $3"};
constexpr PgStatement kDeleteAuthKeys = {
    "delete_auth_keys", "DELETE FROM auth_keys WHERE tenant = $1 AND account_id = $2"};
constexpr PgStatement kPutPeer = {
    "put_peer",
    "INSERT INTO peers (tenant, account_id, peer_id, type, access_hash, username, phone) VALUES "
    "($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant, account_id, peer_id) DO UPDATE SET type = "
    "excluded.type, access_hash = excluded.access_hash, username = excluded.username, phone = "
    "excluded.phone"};
// "<> ''" repeats the partial unique indexes' predicate, so that the planner may use them.
constexpr PgStatement kTakeUsername = {
    "take_username",
    "UPDATE peers SET username = '' WHERE tenant = $1 AND account_id = $2 AND username = $3 AND "
    "username <> '' AND peer_id <> $4"};
constexpr PgStatement kTakePhone = {
    "take_phone",
    "UPDATE peers SET phone = '' WHERE tenant = $1 AND account_id = $2 AND phone = $3 AND "
    "phone <> '' AND peer_id <> $4"};
constexpr PgStatement kGetPeer = {
    "get_peer",
    "SELECT tenant, account_id, peer_id, type, access_hash, username, phone FROM peers WHERE "
    "tenant = $1 AND account_id = $2 AND peer_id = $3"};
constexpr PgStatement kFindPeerByUsername = {
    "find_peer_by_username",
    "SELECT tenant, account_id, peer_id, type, access_hash, username, phone FROM peers WHERE "
    "tenant = $1 AND account_id = $2 AND username = $3 AND username <> ''"};
constexpr PgStatement kFindPeerByPhone = {
    "find_peer_by_phone",
    "SELECT tenant, account_id, peer_id, type, access_hash, username, phone FROM peers WHERE "
    "tenant = $1 AND account_id = $2 AND phone = $3 AND phone <> ''"};
constexpr PgStatement kPutKeyCheck = {
    "put_key_check",
    "INSERT INTO key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING"};
constexpr PgStatement kGetKeyCheck = {"get_key_check", "SELECT sealed FROM key_check WHERE id = 1"};

PgParams Of(const AccountKey& account) {
  PgParams params;
  params.Text(account.tenant).Text(account.id);
  return params;
}

PeerRecord ReadPeer(const PgResult& rows, int row) {
  PeerRecord peer;
  peer.account = {rows.Bytes(row, 0), rows.Bytes(row, 1)};
  peer.peer_id = rows.Int(row, 2);
  peer.type = static_cast<PeerType>(rows.Int(row, 3));
  peer.access_hash = rows.Int(row, 4);
  peer.username = rows.Bytes(row, 5);
  peer.phone = rows.Bytes(row, 6);
  return peer;
}

std::optional<PeerRecord> ReadOptionalPeer(const PgResult& rows) {
  if (rows.rows() == 0) return std::nullopt;
  return ReadPeer(rows, 0);
}

// NotFound unless the account exists; `lock` says how its row is held to the end of the
// transaction.
absl::Status RequireAccount(PgConnection& db, const AccountKey& account, const PgStatement& lock) {
  TGRPC_ASSIGN_OR_RETURN(PgResult row, db.Run(lock, Of(account)));
  if (row.rows() == 0) {
    return absl::NotFoundError(absl::StrCat("account ", Describe(account), " not found"));
  }
  return absl::OkStatus();
}

// Refuses a cipher other than the one the database's secrets are sealed under. The first opener
// of a new database makes its key the database's; another replica opening at the same moment
// waits for that insert and then checks its key against it.
absl::Status CheckKey(PgConnection& db, const KeyCipher& cipher) {
  TGRPC_RETURN_IF_ERROR(
      db.Run(kPutKeyCheck, PgParams().Bytes(cipher.Seal(kKeyCheckPlaintext, kKeyCheckAad)))
          .status());
  TGRPC_ASSIGN_OR_RETURN(PgResult stored, db.Run(kGetKeyCheck, PgParams()));
  if (stored.rows() != 1) return absl::InternalError("the key check value is not there");
  if (!cipher.Open(stored.Bytes(0, 0), kKeyCheckAad).ok()) {
    return absl::FailedPreconditionError(
        "the database's secrets were sealed under another key than the key file's (was the key "
        "file lost and made anew?): restore the key file the database was created with");
  }
  return absl::OkStatus();
}

// Lends connections to one call at a time, opening them as calls need them, up to a limit.
class ConnectionPool {
 public:
  ConnectionPool(std::string conninfo, int max_connections, std::unique_ptr<PgConnection> first)
      : conninfo_(std::move(conninfo)), max_connections_(max_connections), open_(1) {
    idle_.push_back(std::move(first));
  }

  // A connection lent out; it goes back to the pool when the lease ends, lost or not (the next
  // borrower reconnects it).
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<PgConnection> db)
        : pool_(pool), db_(std::move(db)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (db_ != nullptr) pool_->Release(std::move(db_));
    }
    PgConnection& operator*() const { return *db_; }
    PgConnection* operator->() const { return db_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<PgConnection> db_;
  };

  // Waits while every connection is lent out and no more may be opened. Unavailable if a new
  // connection cannot be made.
  absl::StatusOr<Lease> Acquire() {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &ConnectionPool::CanLend));
      if (!idle_.empty()) {
        // The most recently used: the likeliest to be alive still.
        std::unique_ptr<PgConnection> db = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(db));
      }
      ++open_;  // reserved; connecting happens outside the lock
    }
    absl::StatusOr<std::unique_ptr<PgConnection>> db = PgConnection::Open(conninfo_);
    if (!db.ok()) {
      absl::MutexLock lock(&mu_);
      --open_;
      return db.status();
    }
    return Lease(this, *std::move(db));
  }

 private:
  bool CanLend() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !idle_.empty() || open_ < max_connections_;
  }

  void Release(std::unique_ptr<PgConnection> db) {
    absl::MutexLock lock(&mu_);
    idle_.push_back(std::move(db));
  }

  const std::string conninfo_;
  const int max_connections_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<PgConnection>> idle_ ABSL_GUARDED_BY(mu_);
  // Idle and lent out.
  int open_ ABSL_GUARDED_BY(mu_);
};

class PostgresStorage final : public Storage {
 public:
  PostgresStorage(std::unique_ptr<ConnectionPool> pool, KeyCipher cipher,
                  std::shared_ptr<const LeaseFence> fence)
      : cipher_(std::move(cipher)), pool_(std::move(pool)), fence_(std::move(fence)) {}

  absl::Status PutAccount(const AccountRecord& account) override {
    PgParams params = Of(account.key());
    params.Text(account.phone);
    if (account.bot_token.empty()) {
      params.NullBytes();
    } else {
      params.Bytes(cipher_.Seal(account.bot_token, BotTokenAad(account.key())));
    }
    params.Bool(account.bot)
        .Int(account.max_sessions)
        .Int(static_cast<int>(account.state))
        .Int(account.home_dc)
        .Int(account.user_id)
        .Bytes(account.user_tl)
        .Text(account.display_name)
        .Int(account.create_time_unix)
        .Text(account.create_request_id);
    return WithContext(Write(account.key(), kPutAccount, params),
                       absl::StrCat("PutAccount ", Describe(account.key())));
  }

  absl::StatusOr<std::optional<AccountRecord>> GetAccount(const AccountKey& account) override {
    absl::StatusOr<PgResult> rows = Run(kGetAccount, Of(account));
    if (!rows.ok())
      return WithContext(rows.status(), absl::StrCat("GetAccount ", Describe(account)));
    if (rows->rows() == 0) return std::nullopt;
    return ReadAccount(*rows, 0);
  }

  absl::StatusOr<std::vector<AccountRecord>> ListAccounts() override {
    absl::StatusOr<PgResult> rows = Run(kListAccounts, PgParams());
    if (!rows.ok()) return WithContext(rows.status(), "ListAccounts");
    std::vector<AccountRecord> accounts;
    accounts.reserve(rows->rows());
    for (int row = 0; row < rows->rows(); ++row) {
      TGRPC_ASSIGN_OR_RETURN(AccountRecord account, ReadAccount(*rows, row));
      accounts.push_back(std::move(account));
    }
    return accounts;
  }

  absl::Status DeleteAccount(const AccountKey& account) override {
    return WithContext(Write(account, kDeleteAccount, Of(account)),
                       absl::StrCat("DeleteAccount ", Describe(account)));
  }

  absl::Status PutAuthKey(const AuthKeyRecord& key) override {
    PgParams params = Of(key.account);
    params.Int(key.dc_id)
        .Bytes(cipher_.Seal(key.key, AuthKeyAad(key.account, key.dc_id)))
        .Int(static_cast<int64_t>(key.salt))
        .Int(key.time_offset_ms)
        .Bytes(EncodeFutureSalts(key.future_salts));
    const absl::Status status = InTransaction([&](PgConnection& db) -> absl::Status {
      TGRPC_RETURN_IF_ERROR(Fence(db, key.account));
      TGRPC_RETURN_IF_ERROR(RequireAccount(db, key.account, kAccountExists));
      return db.Run(kPutAuthKey, params).status();
    });
    return WithContext(status,
                       absl::StrCat("PutAuthKey ", Describe(key.account), " DC ", key.dc_id));
  }

  absl::StatusOr<std::vector<AuthKeyRecord>> GetAuthKeys(const AccountKey& account) override {
    absl::StatusOr<PgResult> rows = Run(kGetAuthKeys, Of(account));
    if (!rows.ok()) {
      return WithContext(rows.status(), absl::StrCat("GetAuthKeys ", Describe(account)));
    }
    std::vector<AuthKeyRecord> keys;
    for (int row = 0; row < rows->rows(); ++row) {
      AuthKeyRecord& key = keys.emplace_back();
      key.account = account;
      key.dc_id = static_cast<int>(rows->Int(row, 0));
      absl::StatusOr<std::string> opened =
          cipher_.Open(rows->Bytes(row, 1), AuthKeyAad(account, key.dc_id));
      if (!opened.ok()) {
        return WithContext(opened.status(), absl::StrCat("account ", Describe(account), " DC ",
                                                         key.dc_id, " auth key"));
      }
      key.key = *std::move(opened);
      key.salt = static_cast<uint64_t>(rows->Int(row, 2));
      key.time_offset_ms = rows->Int(row, 3);
      // Hints: damaged ones are left out rather than failing the key with them.
      absl::StatusOr<std::vector<FutureSaltRecord>> future_salts =
          DecodeFutureSalts(rows->Bytes(row, 4));
      if (future_salts.ok()) {
        key.future_salts = *std::move(future_salts);
      } else {
        key.future_salts_unreadable = true;
      }
    }
    return keys;
  }

  absl::Status UpdateSalt(const AccountKey& account, int dc_id, uint64_t salt,
                          int64_t time_offset_ms,
                          const std::vector<FutureSaltRecord>& future_salts) override {
    return WithContext(Write(account, kUpdateSalt,
                             Of(account)
                                 .Int(dc_id)
                                 .Int(static_cast<int64_t>(salt))
                                 .Int(time_offset_ms)
                                 .Bytes(EncodeFutureSalts(future_salts))),
                       absl::StrCat("UpdateSalt ", Describe(account), " DC ", dc_id));
  }

  absl::Status DeleteAuthKeys(const AccountKey& account) override {
    return WithContext(Write(account, kDeleteAuthKeys, Of(account)),
                       absl::StrCat("DeleteAuthKeys ", Describe(account)));
  }

  absl::Status PutPeers(const std::vector<PeerRecord>& peers) override {
    if (peers.empty()) return absl::OkStatus();
    std::set<AccountKey> accounts;
    for (const PeerRecord& peer : peers) accounts.insert(peer.account);
    const absl::Status status = InTransaction([&](PgConnection& db) -> absl::Status {
      // Every account's row first, in one order, so that two batches over the same accounts
      // never wait for each other in a circle.
      for (const AccountKey& account : accounts) {
        TGRPC_RETURN_IF_ERROR(Fence(db, account));
        TGRPC_RETURN_IF_ERROR(RequireAccount(db, account, kLockAccount));
      }
      for (const PeerRecord& peer : peers) TGRPC_RETURN_IF_ERROR(PutPeer(db, peer));
      return absl::OkStatus();
    });
    return WithContext(status, "PutPeers");
  }

  absl::StatusOr<std::optional<PeerRecord>> GetPeer(const AccountKey& account,
                                                    int64_t peer_id) override {
    absl::StatusOr<PgResult> rows = Run(kGetPeer, Of(account).Int(peer_id));
    if (!rows.ok()) return WithContext(rows.status(), absl::StrCat("GetPeer ", Describe(account)));
    return ReadOptionalPeer(*rows);
  }

  absl::StatusOr<std::optional<PeerRecord>> FindPeerByUsername(
      const AccountKey& account, absl::string_view username) override {
    absl::StatusOr<PgResult> rows =
        Run(kFindPeerByUsername, Of(account).Text(absl::AsciiStrToLower(username)));
    if (!rows.ok()) {
      return WithContext(rows.status(), absl::StrCat("FindPeerByUsername ", Describe(account)));
    }
    return ReadOptionalPeer(*rows);
  }

  absl::StatusOr<std::optional<PeerRecord>> FindPeerByPhone(const AccountKey& account,
                                                            absl::string_view phone) override {
    absl::StatusOr<PgResult> rows = Run(kFindPeerByPhone, Of(account).Text(phone));
    if (!rows.ok()) {
      return WithContext(rows.status(), absl::StrCat("FindPeerByPhone ", Describe(account)));
    }
    return ReadOptionalPeer(*rows);
  }

  absl::StatusOr<UpdateLogInfo> GetUpdateLog(const AccountKey& account) override {
    UpdateLogInfo info;
    const absl::Status status = WithConnection([&](PgConnection& db) -> absl::Status {
      TGRPC_ASSIGN_OR_RETURN(info, postgres_update_log::Get(db, account));
      return absl::OkStatus();
    });
    if (!status.ok()) return WithContext(status, absl::StrCat("GetUpdateLog ", Describe(account)));
    return info;
  }

  absl::StatusOr<int64_t> AppendUpdates(const AccountKey& account,
                                        const std::vector<UpdateLogEntry>& entries,
                                        const UpdateStateRecord& state) override {
    int64_t head = 0;
    const absl::Status status = InTransaction([&](PgConnection& db) -> absl::Status {
      TGRPC_RETURN_IF_ERROR(Fence(db, account));
      TGRPC_ASSIGN_OR_RETURN(head, postgres_update_log::Append(db, account, entries, state));
      return absl::OkStatus();
    });
    if (!status.ok()) return WithContext(status, absl::StrCat("AppendUpdates ", Describe(account)));
    return head;
  }

  absl::StatusOr<std::vector<UpdateLogEntry>> ReadUpdates(const AccountKey& account, int64_t after,
                                                          size_t limit) override {
    std::vector<UpdateLogEntry> entries;
    const absl::Status status = WithConnection([&](PgConnection& db) -> absl::Status {
      TGRPC_ASSIGN_OR_RETURN(entries, postgres_update_log::Read(db, account, after, limit));
      return absl::OkStatus();
    });
    if (!status.ok()) return WithContext(status, absl::StrCat("ReadUpdates ", Describe(account)));
    return entries;
  }

  absl::StatusOr<int64_t> TrimUpdates(const AccountKey& account, int64_t keep_from_position,
                                      int64_t keep_logged_after_unix) override {
    int64_t oldest = 0;
    const absl::Status status = InTransaction([&](PgConnection& db) -> absl::Status {
      TGRPC_RETURN_IF_ERROR(Fence(db, account));
      TGRPC_ASSIGN_OR_RETURN(oldest, postgres_update_log::Trim(db, account, keep_from_position,
                                                               keep_logged_after_unix));
      return absl::OkStatus();
    });
    if (!status.ok()) return WithContext(status, absl::StrCat("TrimUpdates ", Describe(account)));
    return oldest;
  }

  absl::StatusOr<ConsumerRecord> AdvanceConsumer(const AccountKey& account,
                                                 const ConsumerRecord& record) override {
    ConsumerRecord stored;
    const absl::Status status = InTransaction([&](PgConnection& db) -> absl::Status {
      TGRPC_RETURN_IF_ERROR(Fence(db, account));
      TGRPC_RETURN_IF_ERROR(RequireAccount(db, account, kAccountExists));
      TGRPC_ASSIGN_OR_RETURN(stored, postgres_update_log::Advance(db, account, record));
      return absl::OkStatus();
    });
    if (!status.ok()) {
      return WithContext(status, absl::StrCat("AdvanceConsumer ", Describe(account), " consumer ",
                                              record.consumer));
    }
    return stored;
  }

  absl::StatusOr<std::vector<ConsumerRecord>> ListConsumers(const AccountKey& account) override {
    std::vector<ConsumerRecord> consumers;
    const absl::Status status = WithConnection([&](PgConnection& db) -> absl::Status {
      TGRPC_ASSIGN_OR_RETURN(consumers, postgres_update_log::Consumers(db, account));
      return absl::OkStatus();
    });
    if (!status.ok()) return WithContext(status, absl::StrCat("ListConsumers ", Describe(account)));
    return consumers;
  }

 private:
  // Cluster mode, first in a write's transaction: this replica still holds the account's lease at
  // the epoch it took (postgres_leases.h). Nothing without a fence.
  absl::Status Fence(PgConnection& db, const AccountKey& account) const {
    if (fence_ == nullptr) return absl::OkStatus();
    const std::optional<int64_t> epoch = fence_->EpochOf(account);
    if (!epoch.has_value()) {
      return absl::UnavailableError(absl::StrCat(
          "accounts/", account.id, ": this replica holds no lease on it; nothing was written"));
    }
    return CheckLeaseFence(db, account, fence_->holder(), *epoch);
  }

  // One statement writing `account`: alone, or after the fence check in a transaction.
  absl::Status Write(const AccountKey& account, const PgStatement& statement,
                     const PgParams& params) {
    if (fence_ == nullptr) return Run(statement, params).status();
    return InTransaction([&](PgConnection& db) -> absl::Status {
      TGRPC_RETURN_IF_ERROR(Fence(db, account));
      return db.Run(statement, params).status();
    });
  }

  // Runs `body` (absl::Status(PgConnection&)) on a connection of the pool. A connection found
  // lost is made anew, and a body that loses its connection runs once more on a new one: the
  // server rolled back whatever it had begun, and every single-statement write here is
  // idempotent, so running it again is safe. Not so when the connection was lost during a
  // COMMIT (it may have been made: an append would be made twice). A body that ends Aborted
  // (a deadlock, a serialization failure: rolled back by the server) runs again too.
  template <typename Body>
  absl::Status WithConnection(Body body) {
    TGRPC_ASSIGN_OR_RETURN(ConnectionPool::Lease db, pool_->Acquire());
    bool reconnected = false;
    for (int attempt = 1;; ++attempt) {
      if (db->lost()) {
        TGRPC_RETURN_IF_ERROR(db->Reconnect());
        reconnected = true;
      }
      const absl::Status status = body(*db);
      if (status.ok()) return status;
      if (db->lost()) {
        if (reconnected || db->lost_in_commit()) return status;
        continue;
      }
      if (status.code() != absl::StatusCode::kAborted || attempt >= kMaxAttempts) return status;
    }
  }

  // WithConnection, with `body` (absl::Status(PgConnection&)) in a transaction that commits if
  // it succeeds.
  template <typename Body>
  absl::Status InTransaction(Body body) {
    return WithConnection([&](PgConnection& db) -> absl::Status {
      TGRPC_ASSIGN_OR_RETURN(PgTransaction transaction, PgTransaction::Begin(db));
      TGRPC_RETURN_IF_ERROR(body(db));
      return transaction.Commit();
    });
  }

  // One statement, through WithConnection.
  absl::StatusOr<PgResult> Run(const PgStatement& statement, const PgParams& params) {
    std::optional<PgResult> result;
    TGRPC_RETURN_IF_ERROR(WithConnection([&](PgConnection& db) -> absl::Status {
      TGRPC_ASSIGN_OR_RETURN(PgResult rows, db.Run(statement, params));
      result.emplace(std::move(rows));
      return absl::OkStatus();
    }));
    return *std::move(result);
  }

  // Inside a transaction that holds the peer's account: the username and phone move to this peer.
  static absl::Status PutPeer(PgConnection& db, const PeerRecord& peer) {
    const std::string username = absl::AsciiStrToLower(peer.username);
    if (!username.empty()) {
      TGRPC_RETURN_IF_ERROR(
          db.Run(kTakeUsername, Of(peer.account).Text(username).Int(peer.peer_id)).status());
    }
    if (!peer.phone.empty()) {
      TGRPC_RETURN_IF_ERROR(
          db.Run(kTakePhone, Of(peer.account).Text(peer.phone).Int(peer.peer_id)).status());
    }
    return db
        .Run(kPutPeer, Of(peer.account)
                           .Int(peer.peer_id)
                           .Int(static_cast<int>(peer.type))
                           .Int(peer.access_hash)
                           .Text(username)
                           .Text(peer.phone))
        .status();
  }

  absl::StatusOr<AccountRecord> ReadAccount(const PgResult& rows, int row) const {
    AccountRecord account;
    account.tenant = rows.Bytes(row, 0);
    account.id = rows.Bytes(row, 1);
    account.phone = rows.Bytes(row, 2);
    if (!rows.IsNull(row, 3)) {
      absl::StatusOr<std::string> token =
          cipher_.Open(rows.Bytes(row, 3), BotTokenAad(account.key()));
      if (!token.ok()) {
        return WithContext(token.status(),
                           absl::StrCat("account ", Describe(account.key()), " bot token"));
      }
      account.bot_token = *std::move(token);
    }
    account.bot = rows.Int(row, 4) != 0;
    account.max_sessions = static_cast<int>(rows.Int(row, 5));
    account.state = static_cast<AccountState>(rows.Int(row, 6));
    account.home_dc = static_cast<int>(rows.Int(row, 7));
    account.user_id = rows.Int(row, 8);
    account.user_tl = rows.Bytes(row, 9);
    account.display_name = rows.Bytes(row, 10);
    account.create_time_unix = rows.Int(row, 11);
    account.create_request_id = rows.Bytes(row, 12);
    return account;
  }

  const KeyCipher cipher_;
  const std::unique_ptr<ConnectionPool> pool_;
  const std::shared_ptr<const LeaseFence> fence_;
};

absl::StatusOr<std::unique_ptr<Storage>> Open(const std::string& conninfo, KeyCipher cipher,
                                              const PostgresStorageOptions& options) {
  if (options.max_connections < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_connections is ", options.max_connections, "; it must be 1 or more"));
  }
  TGRPC_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> db, PgConnection::Open(conninfo));
  absl::Status ready = MigratePostgresSchema(*db);
  if (ready.ok()) ready = CheckKey(*db, cipher);
  if (!ready.ok()) return WithContext(ready, db->Describe());
  return std::make_unique<PostgresStorage>(
      std::make_unique<ConnectionPool>(conninfo, options.max_connections, std::move(db)),
      std::move(cipher), options.fence);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Storage>> OpenPostgresStorage(const std::string& conninfo,
                                                             KeyCipher cipher,
                                                             PostgresStorageOptions options) {
  absl::StatusOr<std::unique_ptr<Storage>> storage = Open(conninfo, std::move(cipher), options);
  if (!storage.ok()) return WithContext(storage.status(), "PostgreSQL storage");
  return storage;
}

}  // namespace tgrpc::service
