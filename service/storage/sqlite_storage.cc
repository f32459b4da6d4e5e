#include "service/storage/sqlite_storage.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "service/storage/future_salts_blob.h"
#include "service/storage/sqlite_connection.h"
#include "service/storage/sqlite_schema.h"
#include "service/storage/sqlite_update_log.h"
#include "service/storage/storage_util.h"

namespace tgrpc::service {
namespace {

// Only tools outside tgrpcd (a backup, the sqlite3 shell) contend for the file: wait for them
// briefly rather than fail a write at once.
constexpr int kBusyTimeoutMs = 5000;

constexpr absl::string_view kKeyCheckAad = "keycheck";
constexpr absl::string_view kKeyCheckPlaintext = "tgrpc sqlite storage key check";

using storage_util::AuthKeyAad;
using storage_util::BotTokenAad;
using storage_util::Describe;
using storage_util::WithContext;

// Before schema step 3 an account was its id alone, and so were its secrets' associated data.
std::string LegacyBotTokenAad(absl::string_view account_id) {
  return absl::StrCat("bottoken:", account_id);
}
std::string LegacyAuthKeyAad(absl::string_view account_id, int dc_id) {
  return absl::StrCat("authkey:", account_id, ":", dc_id);
}

// The exclusive flock on "<database>.lock" that makes a database one process's at a time. A
// separate file, because SQLite takes and drops its own locks on the database file as it works.
class DatabaseLock {
 public:
  static absl::StatusOr<DatabaseLock> Acquire(const std::string& db_path) {
    const std::string path = db_path + ".lock";
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("open lock file ", path));
    DatabaseLock lock(fd);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK) {
        return absl::ErrnoToStatus(errno, absl::StrCat("lock ", path));
      }
      return absl::FailedPreconditionError(
          absl::StrCat("another tgrpcd holds this database (", path, " is locked", lock.Holder(),
                       "); an account must be served by one process at a time"));
    }
    // Only for the message another opener gets: the lock is what counts, so a failure to write
    // the note is no reason to refuse.
    const std::string pid = absl::StrCat(getpid(), "\n");
    const bool noted = ftruncate(fd, 0) == 0 &&
                       pwrite(fd, pid.data(), pid.size(), 0) == static_cast<ssize_t>(pid.size());
    static_cast<void>(noted);
    return lock;
  }

  DatabaseLock(DatabaseLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  DatabaseLock& operator=(DatabaseLock&&) = delete;
  // Closing the only descriptor of the open file releases the lock.
  ~DatabaseLock() {
    if (fd_ >= 0) close(fd_);
  }

 private:
  explicit DatabaseLock(int fd) : fd_(fd) {}

  // ", by pid N" from the holder's note in the file, or "" if there is none.
  std::string Holder() const {
    char buffer[32];
    const ssize_t n = pread(fd_, buffer, sizeof(buffer), 0);
    int64_t pid = 0;
    if (n <= 0 ||
        !absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::string_view(buffer, n)), &pid)) {
      return "";
    }
    return absl::StrCat(", by pid ", pid);
  }

  int fd_;
};

// The database holds phone numbers and the peer cache besides the sealed secrets: create it
// readable by the owner only. SQLite gives its -wal and -shm files the database file's mode.
absl::Status CreatePrivately(const std::string& path) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("open ", path));
  close(fd);
  return absl::OkStatus();
}

absl::StatusOr<std::string> QueryText(SqliteConnection& db, const char* sql) {
  TGRPC_ASSIGN_OR_RETURN(SqliteStatement statement, db.Prepare(sql));
  SqliteQuery query = statement.Start();
  TGRPC_ASSIGN_OR_RETURN(bool row, query.Step());
  if (!row) return absl::InternalError(absl::StrCat("\"", sql, "\" returned no row"));
  return query.ColumnText(0);
}

absl::Status Configure(SqliteConnection& db) {
  const int rc = sqlite3_busy_timeout(db.raw(), kBusyTimeoutMs);
  if (rc != SQLITE_OK) return SqliteStatus(rc, db.raw(), "set the busy timeout");
  // WAL: readers do not block the writer, and a commit is one append and one fsync.
  TGRPC_ASSIGN_OR_RETURN(std::string mode, QueryText(db, "PRAGMA journal_mode = WAL"));
  if (absl::AsciiStrToLower(mode) != "wal") {
    return absl::FailedPreconditionError(absl::StrCat(
        "the database cannot use write-ahead logging (journal mode stays \"", mode, "\")"));
  }
  // FULL: a commit is on disk when it returns, so an auth key Telegram has accepted is never lost
  // to a crash (NORMAL in WAL mode may lose the last commits on power loss).
  TGRPC_RETURN_IF_ERROR(db.Exec("PRAGMA synchronous = FULL"));
  TGRPC_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys = ON"));
  TGRPC_ASSIGN_OR_RETURN(std::string foreign_keys, QueryText(db, "PRAGMA foreign_keys"));
  if (foreign_keys != "1") {
    return absl::FailedPreconditionError("this SQLite does not enforce foreign keys");
  }
  return absl::OkStatus();
}

absl::Status WrongKeyError() {
  return absl::FailedPreconditionError(
      "the database's secrets were sealed under another key than the key file's (was the key "
      "file lost and made anew?): restore the key file the database was created with");
}

// Refuses a cipher other than the one the database's secrets are sealed under; the first open
// records the cipher by sealing a known value under it.
absl::Status CheckKey(SqliteConnection& db, const KeyCipher& cipher) {
  TGRPC_ASSIGN_OR_RETURN(SqliteTransaction transaction, SqliteTransaction::Begin(db));
  {
    TGRPC_ASSIGN_OR_RETURN(SqliteStatement get,
                           db.Prepare("SELECT sealed FROM key_check WHERE id = 1"));
    SqliteQuery query = get.Start();
    TGRPC_ASSIGN_OR_RETURN(bool row, query.Step());
    if (row) {
      if (!cipher.Open(query.ColumnBlob(0), kKeyCheckAad).ok()) return WrongKeyError();
      return absl::OkStatus();
    }
  }
  // No check value: a new database, or one from before schema step 2 that may hold secrets
  // already (carried over by step 3, so bound to the id alone). One of them must open before this
  // key becomes the database's.
  {
    TGRPC_ASSIGN_OR_RETURN(
        SqliteStatement get,
        db.Prepare(
            "SELECT tenant, account_id, dc_id, key_sealed, legacy_aad FROM auth_keys LIMIT 1"));
    SqliteQuery query = get.Start();
    TGRPC_ASSIGN_OR_RETURN(bool row, query.Step());
    if (row) {
      const AccountKey account{query.ColumnText(0), query.ColumnText(1)};
      const int dc_id = static_cast<int>(query.ColumnInt(2));
      const std::string aad = query.ColumnInt(4) != 0 ? LegacyAuthKeyAad(account.id, dc_id)
                                                      : AuthKeyAad(account, dc_id);
      if (!cipher.Open(query.ColumnBlob(3), aad).ok()) return WrongKeyError();
    }
  }
  {
    TGRPC_ASSIGN_OR_RETURN(
        SqliteStatement get,
        db.Prepare("SELECT tenant, id, bot_token_sealed, legacy_aad FROM accounts "
                   "WHERE bot_token_sealed IS NOT NULL LIMIT 1"));
    SqliteQuery query = get.Start();
    TGRPC_ASSIGN_OR_RETURN(bool row, query.Step());
    if (row) {
      const AccountKey account{query.ColumnText(0), query.ColumnText(1)};
      const std::string aad =
          query.ColumnInt(3) != 0 ? LegacyBotTokenAad(account.id) : BotTokenAad(account);
      if (!cipher.Open(query.ColumnBlob(2), aad).ok()) return WrongKeyError();
    }
  }
  {
    TGRPC_ASSIGN_OR_RETURN(SqliteStatement put,
                           db.Prepare("INSERT INTO key_check (id, sealed) VALUES (1, ?1)"));
    SqliteQuery query = put.Start();
    TGRPC_RETURN_IF_ERROR(query.BindBlob(1, cipher.Seal(kKeyCheckPlaintext, kKeyCheckAad)).Run());
  }
  return transaction.Commit();
}

// Seals again, bound to the tenant too, the secrets schema step 3 carried over (bound to the id
// alone), in one transaction; a secret that does not open stays as it is, and reading it is
// DataLoss as for any damaged secret. After this no secret opens with id-only associated data, so
// a sealed value cannot move to another tenant's account of the same id.
absl::Status ResealLegacySecrets(SqliteConnection& db, const KeyCipher& cipher) {
  TGRPC_ASSIGN_OR_RETURN(SqliteTransaction transaction, SqliteTransaction::Begin(db));
  struct Sealed {
    AccountKey account;
    int dc_id = 0;  // auth keys only
    std::string value;
  };
  std::vector<Sealed> tokens, keys;
  {
    TGRPC_ASSIGN_OR_RETURN(SqliteStatement get,
                           db.Prepare("SELECT tenant, id, bot_token_sealed FROM accounts WHERE "
                                      "legacy_aad <> 0 AND bot_token_sealed IS NOT NULL"));
    SqliteQuery query = get.Start();
    while (true) {
      TGRPC_ASSIGN_OR_RETURN(bool row, query.Step());
      if (!row) break;
      tokens.push_back({{query.ColumnText(0), query.ColumnText(1)}, 0, query.ColumnBlob(2)});
    }
  }
  {
    TGRPC_ASSIGN_OR_RETURN(
        SqliteStatement get,
        db.Prepare(
            "SELECT tenant, account_id, dc_id, key_sealed FROM auth_keys WHERE legacy_aad <> 0"));
    SqliteQuery query = get.Start();
    while (true) {
      TGRPC_ASSIGN_OR_RETURN(bool row, query.Step());
      if (!row) break;
      keys.push_back({{query.ColumnText(0), query.ColumnText(1)},
                      static_cast<int>(query.ColumnInt(2)),
                      query.ColumnBlob(3)});
    }
  }
  TGRPC_ASSIGN_OR_RETURN(SqliteStatement put_token,
                         db.Prepare("UPDATE accounts SET bot_token_sealed = ?3, legacy_aad = 0 "
                                    "WHERE tenant = ?1 AND id = ?2"));
  for (const Sealed& token : tokens) {
    absl::StatusOr<std::string> opened =
        cipher.Open(token.value, LegacyBotTokenAad(token.account.id));
    if (!opened.ok()) continue;
    TGRPC_RETURN_IF_ERROR(put_token.Start()
                              .BindText(1, token.account.tenant)
                              .BindText(2, token.account.id)
                              .BindBlob(3, cipher.Seal(*opened, BotTokenAad(token.account)))
                              .Run());
  }
  TGRPC_ASSIGN_OR_RETURN(SqliteStatement put_key,
                         db.Prepare("UPDATE auth_keys SET key_sealed = ?4, legacy_aad = 0 "
                                    "WHERE tenant = ?1 AND account_id = ?2 AND dc_id = ?3"));
  for (const Sealed& key : keys) {
    absl::StatusOr<std::string> opened =
        cipher.Open(key.value, LegacyAuthKeyAad(key.account.id, key.dc_id));
    if (!opened.ok()) continue;
    TGRPC_RETURN_IF_ERROR(put_key.Start()
                              .BindText(1, key.account.tenant)
                              .BindText(2, key.account.id)
                              .Bind(3, key.dc_id)
                              .BindBlob(4, cipher.Seal(*opened, AuthKeyAad(key.account, key.dc_id)))
                              .Run());
  }
  // Accounts without a bot token had nothing to seal again.
  TGRPC_RETURN_IF_ERROR(db.Exec(
      "UPDATE accounts SET legacy_aad = 0 WHERE legacy_aad <> 0 AND bot_token_sealed IS NULL"));
  return transaction.Commit();
}

// Column lists shared by the statements that read whole rows, in the order ReadAccount and
// ReadPeer expect.
constexpr absl::string_view kAccountColumns =
    "id, tenant, phone, bot_token_sealed, bot, max_sessions, state, home_dc, user_id, user_tl, "
    "display_name, create_time_unix, create_request_id";
constexpr absl::string_view kPeerColumns =
    "tenant, account_id, peer_id, type, access_hash, username, phone";

struct Statements {
  SqliteStatement put_account;
  SqliteStatement get_account;
  SqliteStatement list_accounts;
  SqliteStatement account_exists;
  SqliteStatement delete_account;
  SqliteStatement delete_account_peers;
  SqliteStatement put_auth_key;
  SqliteStatement get_auth_keys;
  SqliteStatement update_salt;
  SqliteStatement delete_auth_keys;
  SqliteStatement put_peer;
  SqliteStatement take_username;
  SqliteStatement take_phone;
  SqliteStatement get_peer;
  SqliteStatement find_peer_by_username;
  SqliteStatement find_peer_by_phone;
};

absl::StatusOr<Statements> PrepareStatements(SqliteConnection& db) {
  Statements s;
  // An upsert, not INSERT OR REPLACE: replacing deletes the row first, and the delete would
  // cascade to the account's keys and peers. Every statement names an account by ?1 (tenant) and
  // ?2 (id).
  TGRPC_ASSIGN_OR_RETURN(
      s.put_account,
      db.Prepare(
          absl::StrCat("INSERT INTO accounts (", kAccountColumns,
                       ") VALUES (?2, ?1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
                       "ON CONFLICT (tenant, id) DO UPDATE SET phone = ?3, bot_token_sealed = ?4, "
                       "bot = ?5, max_sessions = ?6, state = ?7, home_dc = ?8, user_id = ?9, "
                       "user_tl = ?10, display_name = ?11, create_time_unix = ?12, "
                       "create_request_id = ?13, legacy_aad = 0")));
  TGRPC_ASSIGN_OR_RETURN(s.get_account,
                         db.Prepare(absl::StrCat("SELECT ", kAccountColumns,
                                                 " FROM accounts WHERE tenant = ?1 AND id = ?2")));
  TGRPC_ASSIGN_OR_RETURN(
      s.list_accounts,
      db.Prepare(absl::StrCat("SELECT ", kAccountColumns, " FROM accounts ORDER BY tenant, id")));
  TGRPC_ASSIGN_OR_RETURN(s.account_exists,
                         db.Prepare("SELECT 1 FROM accounts WHERE tenant = ?1 AND id = ?2"));
  TGRPC_ASSIGN_OR_RETURN(s.delete_account,
                         db.Prepare("DELETE FROM accounts WHERE tenant = ?1 AND id = ?2"));
  TGRPC_ASSIGN_OR_RETURN(s.delete_account_peers,
                         db.Prepare("DELETE FROM peers WHERE tenant = ?1 AND account_id = ?2"));
  TGRPC_ASSIGN_OR_RETURN(
      s.put_auth_key,
      db.Prepare("INSERT INTO auth_keys (tenant, account_id, dc_id, key_sealed, salt, "
                 "time_offset_ms, future_salts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT "
                 "(tenant, account_id, dc_id) DO UPDATE SET key_sealed = ?4, salt = ?5, "
                 "time_offset_ms = ?6, future_salts = ?7, legacy_aad = 0"));
  TGRPC_ASSIGN_OR_RETURN(
      s.get_auth_keys,
      db.Prepare("SELECT dc_id, key_sealed, salt, time_offset_ms, future_salts FROM auth_keys "
                 "WHERE tenant = ?1 AND account_id = ?2 ORDER BY dc_id"));
  TGRPC_ASSIGN_OR_RETURN(
      s.update_salt,
      db.Prepare("UPDATE auth_keys SET salt = ?4, time_offset_ms = ?5, future_salts = ?6 "
                 "WHERE tenant = ?1 AND account_id = ?2 AND dc_id = ?3"));
  TGRPC_ASSIGN_OR_RETURN(s.delete_auth_keys,
                         db.Prepare("DELETE FROM auth_keys WHERE tenant = ?1 AND account_id = ?2"));
  TGRPC_ASSIGN_OR_RETURN(
      s.put_peer,
      db.Prepare(absl::StrCat(
          "INSERT INTO peers (", kPeerColumns,
          ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (tenant, account_id, peer_id) DO "
          "UPDATE SET type = ?4, access_hash = ?5, username = ?6, phone = ?7")));
  TGRPC_ASSIGN_OR_RETURN(
      s.take_username,
      db.Prepare("UPDATE peers SET username = '' WHERE tenant = ?1 AND account_id = ?2 AND "
                 "username = ?3 AND peer_id <> ?4"));
  TGRPC_ASSIGN_OR_RETURN(
      s.take_phone,
      db.Prepare("UPDATE peers SET phone = '' WHERE tenant = ?1 AND account_id = ?2 AND "
                 "phone = ?3 AND peer_id <> ?4"));
  TGRPC_ASSIGN_OR_RETURN(
      s.get_peer, db.Prepare(absl::StrCat(
                      "SELECT ", kPeerColumns,
                      " FROM peers WHERE tenant = ?1 AND account_id = ?2 AND peer_id = ?3")));
  TGRPC_ASSIGN_OR_RETURN(
      s.find_peer_by_username,
      db.Prepare(absl::StrCat("SELECT ", kPeerColumns,
                              " FROM peers WHERE tenant = ?1 AND account_id = ?2 AND username = ?3 "
                              "AND username <> ''")));
  TGRPC_ASSIGN_OR_RETURN(
      s.find_peer_by_phone,
      db.Prepare(absl::StrCat("SELECT ", kPeerColumns,
                              " FROM peers WHERE tenant = ?1 AND account_id = ?2 AND phone = ?3 "
                              "AND phone <> ''")));
  return s;
}

PeerRecord ReadPeer(SqliteQuery& query) {
  PeerRecord peer;
  peer.account = {query.ColumnText(0), query.ColumnText(1)};
  peer.peer_id = query.ColumnInt(2);
  peer.type = static_cast<PeerType>(query.ColumnInt(3));
  peer.access_hash = query.ColumnInt(4);
  peer.username = query.ColumnText(5);
  peer.phone = query.ColumnText(6);
  return peer;
}

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(DatabaseLock lock, std::unique_ptr<SqliteConnection> db, Statements statements,
                SqliteUpdateLog update_log, KeyCipher cipher)
      : lock_(std::move(lock)),
        cipher_(std::move(cipher)),
        db_(std::move(db)),
        statements_(std::move(statements)),
        update_log_(std::move(update_log)) {}

  absl::Status PutAccount(const AccountRecord& account) override {
    // Sealing needs no database: done before taking the lock.
    std::optional<std::string> sealed_token;
    if (!account.bot_token.empty()) {
      sealed_token = cipher_.Seal(account.bot_token, BotTokenAad(account.key()));
    }
    absl::MutexLock lock(&mu_);
    SqliteQuery query = statements_.put_account.Start();
    query.BindText(1, account.tenant).BindText(2, account.id).BindText(3, account.phone);
    if (sealed_token.has_value()) {
      query.BindBlob(4, *sealed_token);
    } else {
      query.BindNull(4);
    }
    query.Bind(5, account.bot ? 1 : 0)
        .Bind(6, account.max_sessions)
        .Bind(7, static_cast<int>(account.state))
        .Bind(8, account.home_dc)
        .Bind(9, account.user_id)
        .BindBlob(10, account.user_tl)
        .BindText(11, account.display_name)
        .Bind(12, account.create_time_unix)
        .BindText(13, account.create_request_id);
    return WithContext(query.Run(), absl::StrCat("PutAccount ", Describe(account.key())));
  }

  absl::StatusOr<std::optional<AccountRecord>> GetAccount(const AccountKey& account) override {
    absl::MutexLock lock(&mu_);
    SqliteQuery query = statements_.get_account.Start();
    query.BindText(1, account.tenant).BindText(2, account.id);
    absl::StatusOr<bool> row = query.Step();
    if (!row.ok()) return WithContext(row.status(), absl::StrCat("GetAccount ", Describe(account)));
    if (!*row) return std::nullopt;
    return ReadAccount(query);
  }

  absl::StatusOr<std::vector<AccountRecord>> ListAccounts() override {
    absl::MutexLock lock(&mu_);
    SqliteQuery query = statements_.list_accounts.Start();
    std::vector<AccountRecord> accounts;
    while (true) {
      absl::StatusOr<bool> row = query.Step();
      if (!row.ok()) return WithContext(row.status(), "ListAccounts");
      if (!*row) return accounts;
      TGRPC_ASSIGN_OR_RETURN(AccountRecord account, ReadAccount(query));
      accounts.push_back(std::move(account));
    }
  }

  absl::Status DeleteAccount(const AccountKey& account) override {
    absl::MutexLock lock(&mu_);
    const absl::Status status =
        InTransaction([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
          // The foreign keys would cascade; deleting explicitly does not depend on them.
          TGRPC_RETURN_IF_ERROR(update_log_.DeleteAll(account));
          for (SqliteStatement* statement :
               {&statements_.delete_auth_keys, &statements_.delete_account_peers,
                &statements_.delete_account}) {
            TGRPC_RETURN_IF_ERROR(
                statement->Start().BindText(1, account.tenant).BindText(2, account.id).Run());
          }
          return absl::OkStatus();
        });
    return WithContext(status, absl::StrCat("DeleteAccount ", Describe(account)));
  }

  absl::Status PutAuthKey(const AuthKeyRecord& key) override {
    const std::string sealed = cipher_.Seal(key.key, AuthKeyAad(key.account, key.dc_id));
    const std::string future_salts = EncodeFutureSalts(key.future_salts);
    absl::MutexLock lock(&mu_);
    const absl::Status status =
        InTransaction([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
          TGRPC_RETURN_IF_ERROR(RequireAccount(key.account));
          return statements_.put_auth_key.Start()
              .BindText(1, key.account.tenant)
              .BindText(2, key.account.id)
              .Bind(3, key.dc_id)
              .BindBlob(4, sealed)
              .Bind(5, static_cast<int64_t>(key.salt))
              .Bind(6, key.time_offset_ms)
              .BindBlob(7, future_salts)
              .Run();
        });
    return WithContext(status,
                       absl::StrCat("PutAuthKey ", Describe(key.account), " DC ", key.dc_id));
  }

  absl::StatusOr<std::vector<AuthKeyRecord>> GetAuthKeys(const AccountKey& account) override {
    absl::MutexLock lock(&mu_);
    SqliteQuery query = statements_.get_auth_keys.Start();
    query.BindText(1, account.tenant).BindText(2, account.id);
    std::vector<AuthKeyRecord> keys;
    while (true) {
      absl::StatusOr<bool> row = query.Step();
      if (!row.ok()) {
        return WithContext(row.status(), absl::StrCat("GetAuthKeys ", Describe(account)));
      }
      if (!*row) return keys;
      AuthKeyRecord& key = keys.emplace_back();
      key.account = account;
      key.dc_id = static_cast<int>(query.ColumnInt(0));
      absl::StatusOr<std::string> opened =
          cipher_.Open(query.ColumnBlob(1), AuthKeyAad(account, key.dc_id));
      if (!opened.ok()) {
        return WithContext(opened.status(), absl::StrCat("account ", Describe(account), " DC ",
                                                         key.dc_id, " auth key"));
      }
      key.key = *std::move(opened);
      key.salt = static_cast<uint64_t>(query.ColumnInt(2));
      key.time_offset_ms = query.ColumnInt(3);
      // Hints: damaged ones are left out rather than failing the key with them.
      absl::StatusOr<std::vector<FutureSaltRecord>> future_salts =
          DecodeFutureSalts(query.ColumnBlob(4));
      if (future_salts.ok()) {
        key.future_salts = *std::move(future_salts);
      } else {
        key.future_salts_unreadable = true;
      }
    }
  }

  absl::Status UpdateSalt(const AccountKey& account, int dc_id, uint64_t salt,
                          int64_t time_offset_ms,
                          const std::vector<FutureSaltRecord>& future_salts) override {
    const std::string encoded = EncodeFutureSalts(future_salts);
    absl::MutexLock lock(&mu_);
    return WithContext(statements_.update_salt.Start()
                           .BindText(1, account.tenant)
                           .BindText(2, account.id)
                           .Bind(3, dc_id)
                           .Bind(4, static_cast<int64_t>(salt))
                           .Bind(5, time_offset_ms)
                           .BindBlob(6, encoded)
                           .Run(),
                       absl::StrCat("UpdateSalt ", Describe(account), " DC ", dc_id));
  }

  absl::Status DeleteAuthKeys(const AccountKey& account) override {
    absl::MutexLock lock(&mu_);
    return WithContext(statements_.delete_auth_keys.Start()
                           .BindText(1, account.tenant)
                           .BindText(2, account.id)
                           .Run(),
                       absl::StrCat("DeleteAuthKeys ", Describe(account)));
  }

  absl::Status PutPeers(const std::vector<PeerRecord>& peers) override {
    absl::MutexLock lock(&mu_);
    const absl::Status status =
        InTransaction([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
          const AccountKey* checked_account = nullptr;
          for (const PeerRecord& peer : peers) {
            // A batch is usually one account's: check the account once per run of its peers.
            if (checked_account == nullptr || *checked_account != peer.account) {
              TGRPC_RETURN_IF_ERROR(RequireAccount(peer.account));
              checked_account = &peer.account;
            }
            TGRPC_RETURN_IF_ERROR(PutPeer(peer));
          }
          return absl::OkStatus();
        });
    return WithContext(status, "PutPeers");
  }

  absl::StatusOr<std::optional<PeerRecord>> GetPeer(const AccountKey& account,
                                                    int64_t peer_id) override {
    absl::MutexLock lock(&mu_);
    SqliteQuery query = statements_.get_peer.Start();
    query.BindText(1, account.tenant).BindText(2, account.id).Bind(3, peer_id);
    return WithContext(ReadOptionalPeer(query), absl::StrCat("GetPeer ", Describe(account)));
  }

  absl::StatusOr<std::optional<PeerRecord>> FindPeerByUsername(
      const AccountKey& account, absl::string_view username) override {
    absl::MutexLock lock(&mu_);
    SqliteQuery query = statements_.find_peer_by_username.Start();
    query.BindText(1, account.tenant)
        .BindText(2, account.id)
        .BindText(3, absl::AsciiStrToLower(username));
    return WithContext(ReadOptionalPeer(query),
                       absl::StrCat("FindPeerByUsername ", Describe(account)));
  }

  absl::StatusOr<std::optional<PeerRecord>> FindPeerByPhone(const AccountKey& account,
                                                            absl::string_view phone) override {
    absl::MutexLock lock(&mu_);
    SqliteQuery query = statements_.find_peer_by_phone.Start();
    query.BindText(1, account.tenant).BindText(2, account.id).BindText(3, phone);
    return WithContext(ReadOptionalPeer(query),
                       absl::StrCat("FindPeerByPhone ", Describe(account)));
  }

  absl::StatusOr<UpdateLogInfo> GetUpdateLog(const AccountKey& account) override {
    absl::MutexLock lock(&mu_);
    return WithContext(update_log_.Get(account), absl::StrCat("GetUpdateLog ", Describe(account)));
  }

  absl::StatusOr<int64_t> AppendUpdates(const AccountKey& account,
                                        const std::vector<UpdateLogEntry>& entries,
                                        const UpdateStateRecord& state) override {
    absl::MutexLock lock(&mu_);
    int64_t head = 0;
    const absl::Status status =
        InTransaction([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
          TGRPC_RETURN_IF_ERROR(RequireAccount(account));
          TGRPC_ASSIGN_OR_RETURN(head, update_log_.Append(account, entries, state));
          return absl::OkStatus();
        });
    if (!status.ok()) return WithContext(status, absl::StrCat("AppendUpdates ", Describe(account)));
    return head;
  }

  absl::StatusOr<std::vector<UpdateLogEntry>> ReadUpdates(const AccountKey& account, int64_t after,
                                                          size_t limit) override {
    absl::MutexLock lock(&mu_);
    return WithContext(update_log_.Read(account, after, limit),
                       absl::StrCat("ReadUpdates ", Describe(account)));
  }

  absl::StatusOr<int64_t> TrimUpdates(const AccountKey& account, int64_t keep_from_position,
                                      int64_t keep_logged_after_unix) override {
    absl::MutexLock lock(&mu_);
    int64_t oldest = 0;
    const absl::Status status =
        InTransaction([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
          TGRPC_ASSIGN_OR_RETURN(
              oldest, update_log_.Trim(account, keep_from_position, keep_logged_after_unix));
          return absl::OkStatus();
        });
    if (!status.ok()) return WithContext(status, absl::StrCat("TrimUpdates ", Describe(account)));
    return oldest;
  }

  absl::StatusOr<ConsumerRecord> AdvanceConsumer(const AccountKey& account,
                                                 const ConsumerRecord& record) override {
    absl::MutexLock lock(&mu_);
    ConsumerRecord stored;
    const absl::Status status =
        InTransaction([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
          TGRPC_RETURN_IF_ERROR(RequireAccount(account));
          TGRPC_ASSIGN_OR_RETURN(stored, update_log_.Advance(account, record));
          return absl::OkStatus();
        });
    if (!status.ok()) {
      return WithContext(status, absl::StrCat("AdvanceConsumer ", Describe(account), " consumer ",
                                              record.consumer));
    }
    return stored;
  }

  absl::StatusOr<std::vector<ConsumerRecord>> ListConsumers(const AccountKey& account) override {
    absl::MutexLock lock(&mu_);
    return WithContext(update_log_.Consumers(account),
                       absl::StrCat("ListConsumers ", Describe(account)));
  }

 private:
  // Runs `body` in a transaction, committing if it succeeds.
  template <typename Body>
  absl::Status InTransaction(Body body) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    TGRPC_ASSIGN_OR_RETURN(SqliteTransaction transaction, SqliteTransaction::Begin(*db_));
    TGRPC_RETURN_IF_ERROR(body());
    return transaction.Commit();
  }

  // Inside a transaction: the username and phone move to this peer.
  absl::Status PutPeer(const PeerRecord& peer) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const std::string username = absl::AsciiStrToLower(peer.username);
    if (!username.empty()) {
      TGRPC_RETURN_IF_ERROR(statements_.take_username.Start()
                                .BindText(1, peer.account.tenant)
                                .BindText(2, peer.account.id)
                                .BindText(3, username)
                                .Bind(4, peer.peer_id)
                                .Run());
    }
    if (!peer.phone.empty()) {
      TGRPC_RETURN_IF_ERROR(statements_.take_phone.Start()
                                .BindText(1, peer.account.tenant)
                                .BindText(2, peer.account.id)
                                .BindText(3, peer.phone)
                                .Bind(4, peer.peer_id)
                                .Run());
    }
    return statements_.put_peer.Start()
        .BindText(1, peer.account.tenant)
        .BindText(2, peer.account.id)
        .Bind(3, peer.peer_id)
        .Bind(4, static_cast<int>(peer.type))
        .Bind(5, peer.access_hash)
        .BindText(6, username)
        .BindText(7, peer.phone)
        .Run();
  }

  absl::Status RequireAccount(const AccountKey& account) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    SqliteQuery query = statements_.account_exists.Start();
    TGRPC_ASSIGN_OR_RETURN(bool exists,
                           query.BindText(1, account.tenant).BindText(2, account.id).Step());
    if (!exists)
      return absl::NotFoundError(absl::StrCat("account ", Describe(account), " not found"));
    return absl::OkStatus();
  }

  absl::StatusOr<AccountRecord> ReadAccount(SqliteQuery& query) const {
    AccountRecord account;
    account.id = query.ColumnText(0);
    account.tenant = query.ColumnText(1);
    account.phone = query.ColumnText(2);
    if (!query.ColumnIsNull(3)) {
      absl::StatusOr<std::string> token =
          cipher_.Open(query.ColumnBlob(3), BotTokenAad(account.key()));
      if (!token.ok()) {
        return WithContext(token.status(),
                           absl::StrCat("account ", Describe(account.key()), " bot token"));
      }
      account.bot_token = *std::move(token);
    }
    account.bot = query.ColumnInt(4) != 0;
    account.max_sessions = static_cast<int>(query.ColumnInt(5));
    account.state = static_cast<AccountState>(query.ColumnInt(6));
    account.home_dc = static_cast<int>(query.ColumnInt(7));
    account.user_id = query.ColumnInt(8);
    account.user_tl = query.ColumnBlob(9);
    account.display_name = query.ColumnText(10);
    account.create_time_unix = query.ColumnInt(11);
    account.create_request_id = query.ColumnText(12);
    return account;
  }

  static absl::StatusOr<std::optional<PeerRecord>> ReadOptionalPeer(SqliteQuery& query) {
    TGRPC_ASSIGN_OR_RETURN(bool row, query.Step());
    if (!row) return std::nullopt;
    return ReadPeer(query);
  }

  // Declared first so that it is released last, after the connection has closed.
  const DatabaseLock lock_;
  const KeyCipher cipher_;
  absl::Mutex mu_;
  std::unique_ptr<SqliteConnection> db_ ABSL_GUARDED_BY(mu_);
  // Declared after db_: statements are finalized before the connection closes.
  Statements statements_ ABSL_GUARDED_BY(mu_);
  SqliteUpdateLog update_log_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::unique_ptr<Storage>> Open(const std::string& path, KeyCipher cipher) {
  // The lock comes first: nothing, not even a migration, touches a database another process has.
  TGRPC_ASSIGN_OR_RETURN(DatabaseLock lock, DatabaseLock::Acquire(path));
  TGRPC_RETURN_IF_ERROR(CreatePrivately(path));
  TGRPC_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> db, SqliteConnection::Open(path));
  TGRPC_RETURN_IF_ERROR(Configure(*db));
  TGRPC_RETURN_IF_ERROR(MigrateSqliteSchema(*db));
  TGRPC_RETURN_IF_ERROR(CheckKey(*db, cipher));
  TGRPC_RETURN_IF_ERROR(ResealLegacySecrets(*db, cipher));
  TGRPC_ASSIGN_OR_RETURN(Statements statements, PrepareStatements(*db));
  TGRPC_ASSIGN_OR_RETURN(SqliteUpdateLog update_log, SqliteUpdateLog::Prepare(*db));
  return std::make_unique<SqliteStorage>(std::move(lock), std::move(db), std::move(statements),
                                         std::move(update_log), std::move(cipher));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Storage>> OpenSqliteStorage(const std::string& path,
                                                           KeyCipher cipher) {
  absl::StatusOr<std::unique_ptr<Storage>> storage = Open(path, std::move(cipher));
  if (!storage.ok()) return WithContext(storage.status(), absl::StrCat("SQLite storage ", path));
  return storage;
}

}  // namespace tgrpc::service
