// The Storage conformance suite against SQLite, and what is SQLite's own: reopening, secrets at
// rest, the one-process lock, schema migrations and integrity.
#include "service/storage/storage.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/storage/key_cipher.h"
#include "service/storage/sqlite_connection.h"
#include "service/storage/sqlite_schema.h"
#include "service/storage/sqlite_storage.h"
#include "service/storage/storage_conformance.h"

namespace tgrpc::service {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;

std::string TestDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

KeyCipher TestCipher(char byte = 'k') {
  return *KeyCipher::FromKey(std::string(KeyCipher::kKeySize, byte));
}

absl::StatusOr<std::unique_ptr<Storage>> OpenSqliteByName(const std::string& database) {
  return OpenSqliteStorage(absl::StrCat(TestDir(), "/", database, ".db"), TestCipher());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StorageConformanceTest,
                         ::testing::Values(StorageFactory{"Sqlite", OpenSqliteByName}),
                         StorageFactoryName);

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// A raw connection, for what the Storage interface does not offer: looking at and damaging the
// file underneath it.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    absl::StatusOr<std::unique_ptr<SqliteConnection>> db = SqliteConnection::Open(path);
    EXPECT_TRUE(db.ok()) << db.status();
    if (db.ok()) db_ = *std::move(db);
  }

  void Exec(const char* sql) { ASSERT_TRUE(db_->Exec(sql).ok()) << sql; }

  std::string Text(const char* sql) {
    absl::StatusOr<SqliteStatement> statement = db_->Prepare(sql);
    EXPECT_TRUE(statement.ok()) << statement.status();
    if (!statement.ok()) return "";
    SqliteQuery query = statement->Start();
    absl::StatusOr<bool> row = query.Step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    return row.ok() && *row ? query.ColumnText(0) : "";
  }

  bool HasRow(const char* sql) {
    absl::StatusOr<SqliteStatement> statement = db_->Prepare(sql);
    EXPECT_TRUE(statement.ok()) << statement.status();
    if (!statement.ok()) return false;
    SqliteQuery query = statement->Start();
    absl::StatusOr<bool> row = query.Step();
    EXPECT_TRUE(row.ok()) << row.status();
    return row.ok() && *row;
  }

  std::string Blob(const char* sql, absl::string_view param) {
    absl::StatusOr<SqliteStatement> statement = db_->Prepare(sql);
    EXPECT_TRUE(statement.ok()) << statement.status();
    if (!statement.ok()) return "";
    SqliteQuery query = statement->Start();
    absl::StatusOr<bool> row = query.BindText(1, param).Step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    return row.ok() && *row ? query.ColumnBlob(0) : "";
  }

  // Runs `sql` with ?1 = blob, ?2 = text.
  void Write(const char* sql, absl::string_view blob, absl::string_view text) {
    absl::StatusOr<SqliteStatement> statement = db_->Prepare(sql);
    ASSERT_TRUE(statement.ok()) << statement.status();
    absl::Status status = statement->Start().BindBlob(1, blob).BindText(2, text).Run();
    ASSERT_TRUE(status.ok()) << status;
  }

 private:
  std::unique_ptr<SqliteConnection> db_;
};

// BotAccount's tenant.
AccountKey T(const std::string& id) { return {"tenant", id}; }

AccountRecord BotAccount(const std::string& id, const std::string& token) {
  AccountRecord account;
  account.id = id;
  account.tenant = T(id).tenant;
  account.phone = "15550001111";
  account.bot = true;
  account.bot_token = token;
  account.display_name = "Plaintext Display Name " + id;
  account.state = AccountState::kSignedIn;
  return account;
}

AuthKeyRecord PatternKey(const std::string& account_id, int dc_id, char fill) {
  AuthKeyRecord key;
  key.account = T(account_id);
  key.dc_id = dc_id;
  key.key = std::string(256, fill);
  key.salt = 77;
  key.time_offset_ms = -3;
  return key;
}

class SqliteStorageTest : public ::testing::Test {
 protected:
  SqliteStorageTest()
      : path_(absl::StrCat(TestDir(), "/",
                           ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                           ".db")) {
    for (const char* suffix : {"", "-wal", "-shm", ".lock"}) {
      std::filesystem::remove(path_ + suffix);
    }
  }

  std::unique_ptr<Storage> OpenOrDie(char key_byte = 'k') {
    absl::StatusOr<std::unique_ptr<Storage>> storage =
        OpenSqliteStorage(path_, TestCipher(key_byte));
    EXPECT_TRUE(storage.ok()) << storage.status();
    return storage.ok() ? *std::move(storage) : nullptr;
  }

  const std::string path_;
};

TEST_F(SqliteStorageTest, ReopeningKeepsEverything) {
  const AccountRecord account = BotAccount("acc", "111:token");
  const PeerRecord peer{T("acc"), -1001234, PeerType::kChannel, -55, "chan", ""};
  {
    std::unique_ptr<Storage> storage = OpenOrDie();
    ASSERT_NE(storage, nullptr);
    ASSERT_TRUE(storage->PutAccount(account).ok());
    ASSERT_TRUE(storage->PutAuthKey(PatternKey("acc", 2, 'x')).ok());
    ASSERT_TRUE(storage->PutAuthKey(PatternKey("acc", 4, 'y')).ok());
    ASSERT_TRUE(storage->UpdateSalt(T("acc"), 4, 1234, 56, {{1700000000, 1700005400, 99}}).ok());
    ASSERT_TRUE(storage->PutPeers({peer}).ok());
  }
  std::unique_ptr<Storage> storage = OpenOrDie();
  ASSERT_NE(storage, nullptr);
  EXPECT_THAT(*storage->GetAccount(T("acc")), Optional(account));
  AuthKeyRecord dc4 = PatternKey("acc", 4, 'y');
  dc4.salt = 1234;
  dc4.time_offset_ms = 56;
  dc4.future_salts = {{1700000000, 1700005400, 99}};
  EXPECT_THAT(*storage->GetAuthKeys(T("acc")),
              ::testing::ElementsAre(PatternKey("acc", 2, 'x'), dc4));
  EXPECT_THAT(*storage->FindPeerByUsername(T("acc"), "chan"), Optional(peer));
}

// Both while the data sits in the write-ahead log and after it is checkpointed into the file.
TEST_F(SqliteStorageTest, SecretsNeverReachTheFileInPlaintext) {
  const std::string token = "987654321:AAE-very-secret-bot-token-value";
  // A key that is easy to find: its first 16 bytes.
  AuthKeyRecord key = PatternKey("acc", 2, 'Q');
  for (size_t i = 0; i < key.key.size(); ++i) key.key[i] = static_cast<char>('A' + i % 26);
  const std::string key_start = key.key.substr(0, 16);

  auto all_bytes = [&] {
    return ReadFileOrEmpty(path_) + ReadFileOrEmpty(path_ + "-wal") +
           ReadFileOrEmpty(path_ + "-shm");
  };
  std::unique_ptr<Storage> storage = OpenOrDie();
  ASSERT_NE(storage, nullptr);
  ASSERT_TRUE(storage->PutAccount(BotAccount("acc", token)).ok());
  ASSERT_TRUE(storage->PutAuthKey(key).ok());
  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "open, in the WAL" : "closed, checkpointed");
    const std::string bytes = all_bytes();
    // The search works: what is not secret is there in the clear.
    EXPECT_NE(bytes.find("Plaintext Display Name acc"), std::string::npos);
    EXPECT_EQ(bytes.find(token), std::string::npos);
    EXPECT_EQ(bytes.find("very-secret"), std::string::npos);
    EXPECT_EQ(bytes.find(key_start), std::string::npos);
    storage.reset();
  }
}

TEST_F(SqliteStorageTest, FilesAreReadableByTheOwnerOnly) {
  std::unique_ptr<Storage> storage = OpenOrDie();
  ASSERT_NE(storage, nullptr);
  ASSERT_TRUE(storage->PutAccount(BotAccount("acc", "1:t")).ok());
  for (const char* suffix : {"", "-wal", ".lock"}) {
    struct stat st;
    ASSERT_EQ(stat((path_ + suffix).c_str(), &st), 0) << suffix;
    EXPECT_EQ(st.st_mode & 0777, 0600) << suffix;
  }
}

TEST_F(SqliteStorageTest, OneProcessAtATime) {
  std::unique_ptr<Storage> first = OpenOrDie();
  ASSERT_NE(first, nullptr);

  // In this process.
  absl::StatusOr<std::unique_ptr<Storage>> second = OpenSqliteStorage(path_, TestCipher());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr("another tgrpcd holds this database"));
  EXPECT_THAT(second.status().message(), HasSubstr(absl::StrCat("by pid ", getpid())));

  // In another process: the child reports the status code as its exit code.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<std::unique_ptr<Storage>> opened = OpenSqliteStorage(path_, TestCipher());
    _exit(static_cast<int>(opened.status().code()));
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), static_cast<int>(absl::StatusCode::kFailedPrecondition));

  // The first keeps working, and once it is closed the database opens again.
  EXPECT_TRUE(first->PutAccount(BotAccount("acc", "1:t")).ok());
  first.reset();
  std::unique_ptr<Storage> third = OpenOrDie();
  ASSERT_NE(third, nullptr);
  EXPECT_TRUE(third->GetAccount(T("acc"))->has_value());
}

TEST_F(SqliteStorageTest, AnotherKeyIsRefusedAtOpen) {
  {
    std::unique_ptr<Storage> storage = OpenOrDie('k');
    ASSERT_NE(storage, nullptr);
  }
  absl::StatusOr<std::unique_ptr<Storage>> other = OpenSqliteStorage(path_, TestCipher('z'));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(other.status().message(), HasSubstr("sealed under another key"));
  EXPECT_NE(OpenOrDie('k'), nullptr);
}

TEST_F(SqliteStorageTest, SecretThatDoesNotOpenIsDataLossForThatCallOnly) {
  {
    std::unique_ptr<Storage> storage = OpenOrDie();
    ASSERT_NE(storage, nullptr);
    for (const char* id : {"damaged", "moved", "fine"}) {
      ASSERT_TRUE(storage->PutAccount(BotAccount(id, absl::StrCat("1:token-", id))).ok());
      ASSERT_TRUE(storage->PutAuthKey(PatternKey(id, 2, id[0])).ok());
    }
  }
  {
    RawDb raw(path_);
    // A flipped byte in one row's secrets.
    std::string token = raw.Blob("SELECT bot_token_sealed FROM accounts WHERE id = ?1", "damaged");
    std::string key = raw.Blob("SELECT key_sealed FROM auth_keys WHERE account_id = ?1", "damaged");
    token[20] ^= 1;
    key[40] ^= 1;
    raw.Write("UPDATE accounts SET bot_token_sealed = ?1 WHERE id = ?2", token, "damaged");
    raw.Write("UPDATE auth_keys SET key_sealed = ?1 WHERE account_id = ?2", key, "damaged");
    // Another row's intact secrets, copied over: bound to their own row, they do not open here.
    raw.Write("UPDATE accounts SET bot_token_sealed = ?1 WHERE id = ?2",
              raw.Blob("SELECT bot_token_sealed FROM accounts WHERE id = ?1", "fine"), "moved");
    raw.Write("UPDATE auth_keys SET key_sealed = ?1 WHERE account_id = ?2",
              raw.Blob("SELECT key_sealed FROM auth_keys WHERE account_id = ?1", "fine"), "moved");
  }
  std::unique_ptr<Storage> storage = OpenOrDie();
  ASSERT_NE(storage, nullptr);
  for (const char* id : {"damaged", "moved"}) {
    SCOPED_TRACE(id);
    absl::StatusOr<std::optional<AccountRecord>> account = storage->GetAccount(T(id));
    EXPECT_EQ(account.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(account.status().message(),
                HasSubstr(absl::StrCat("account tenant/", id, " bot token")));
    absl::StatusOr<std::vector<AuthKeyRecord>> keys = storage->GetAuthKeys(T(id));
    EXPECT_EQ(keys.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(keys.status().message(),
                HasSubstr(absl::StrCat("account tenant/", id, " DC 2 auth key")));
  }
  EXPECT_EQ(storage->ListAccounts().status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(*storage->GetAccount(T("fine")), Optional(BotAccount("fine", "1:token-fine")));
  EXPECT_THAT(*storage->GetAuthKeys(T("fine")), ::testing::ElementsAre(PatternKey("fine", 2, 'f')));
  // The damaged rows can still be replaced or dropped.
  EXPECT_TRUE(storage->PutAuthKey(PatternKey("damaged", 2, 'n')).ok());
  EXPECT_THAT(*storage->GetAuthKeys(T("damaged")),
              ::testing::ElementsAre(PatternKey("damaged", 2, 'n')));
  EXPECT_TRUE(storage->DeleteAccount(T("moved")).ok());
}

// Step 1's tables as the first release made them; kept here as they were, whatever later steps do.
constexpr const char* kVersion1Schema = R"sql(
CREATE TABLE accounts (
  id TEXT NOT NULL PRIMARY KEY,
  tenant TEXT NOT NULL,
  phone TEXT NOT NULL,
  bot_token_sealed BLOB,
  bot INTEGER NOT NULL,
  max_sessions INTEGER NOT NULL,
  state INTEGER NOT NULL,
  home_dc INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  user_tl BLOB NOT NULL,
  display_name TEXT NOT NULL,
  create_time_unix INTEGER NOT NULL,
  create_request_id TEXT NOT NULL
);
CREATE TABLE auth_keys (
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  dc_id INTEGER NOT NULL,
  key_sealed BLOB NOT NULL,
  salt INTEGER NOT NULL,
  time_offset_ms INTEGER NOT NULL,
  PRIMARY KEY (account_id, dc_id)
);
CREATE TABLE peers (
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  peer_id INTEGER NOT NULL,
  type INTEGER NOT NULL,
  access_hash INTEGER NOT NULL,
  username TEXT NOT NULL,
  phone TEXT NOT NULL,
  PRIMARY KEY (account_id, peer_id)
);
CREATE UNIQUE INDEX peers_by_username ON peers (account_id, username) WHERE username <> '';
CREATE UNIQUE INDEX peers_by_phone ON peers (account_id, phone) WHERE phone <> '';
INSERT INTO accounts VALUES ('old', 't', '1555', NULL, 0, 4, 3, 2, 42, x'', 'Old', 1600000000, '');
INSERT INTO peers VALUES ('old', 42, 1, 9, 'oldname', '');
PRAGMA user_version = 1;
)sql";

// A version 1 database holding one account, one peer and one auth key sealed under `cipher`.
void MakeVersion1Database(const std::string& path, const KeyCipher& cipher) {
  RawDb raw(path);
  raw.Exec(kVersion1Schema);
  raw.Write("INSERT INTO auth_keys VALUES (?2, 2, ?1, 5, 6)",
            cipher.Seal(std::string(256, 'o'), "authkey:old:2"), "old");
}

TEST_F(SqliteStorageTest, MigratesAVersion1Database) {
  MakeVersion1Database(path_, TestCipher());
  std::unique_ptr<Storage> storage = OpenOrDie();
  ASSERT_NE(storage, nullptr);
  // The account keeps its tenant, "t".
  const AccountKey old{"t", "old"};
  absl::StatusOr<std::optional<AccountRecord>> account = storage->GetAccount(old);
  ASSERT_TRUE(account.ok()) << account.status();
  ASSERT_TRUE(account->has_value());
  EXPECT_EQ((*account)->display_name, "Old");
  EXPECT_EQ((*account)->state, AccountState::kSignedIn);
  AuthKeyRecord key = PatternKey("old", 2, 'o');
  key.account = old;
  key.salt = 5;
  key.time_offset_ms = 6;
  EXPECT_THAT(*storage->GetAuthKeys(old), ::testing::ElementsAre(key));
  EXPECT_THAT(*storage->FindPeerByUsername(old, "OldName"),
              Optional(PeerRecord{old, 42, PeerType::kUser, 9, "oldname", ""}));
  storage.reset();

  RawDb raw(path_);
  EXPECT_EQ(raw.Text("PRAGMA user_version"), std::to_string(kSqliteSchemaVersion));
  EXPECT_EQ(raw.Text("SELECT count(*) FROM key_check"), "1");
  EXPECT_EQ(raw.Text("PRAGMA integrity_check"), "ok");
  EXPECT_FALSE(raw.HasRow("PRAGMA foreign_key_check"));
}

// Version 2 as the release before per-tenant ids made it: two tenants' accounts (ids unique
// across tenants then), a bot token, keys and peers, all sealed bound to the id alone.
void MakeVersion2Database(const std::string& path, const KeyCipher& cipher) {
  MakeVersion1Database(path, cipher);
  RawDb raw(path);
  raw.Exec(R"sql(
CREATE TABLE key_check (id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1), sealed BLOB NOT NULL);
INSERT INTO accounts VALUES ('bot', 'u', '', NULL, 1, 4, 3, 1, 77, x'', 'Bot', 1600000001, 'r1');
INSERT INTO peers VALUES ('bot', 42, 1, 10, 'oldname', '15550004242');
PRAGMA user_version = 2;
)sql");
  raw.Write("INSERT INTO key_check SELECT 1, ?1 WHERE ?2 = ''",
            cipher.Seal("tgrpc sqlite storage key check", "keycheck"), "");
  raw.Write("UPDATE accounts SET bot_token_sealed = ?1 WHERE id = ?2",
            cipher.Seal("77:bot-token", "bottoken:bot"), "bot");
  raw.Write("INSERT INTO auth_keys VALUES (?2, 1, ?1, 8, 9)",
            cipher.Seal(std::string(256, 'b'), "authkey:bot:1"), "bot");
}

TEST_F(SqliteStorageTest, MigrationKeepsEveryRowWithItsTenant) {
  MakeVersion2Database(path_, TestCipher());
  std::unique_ptr<Storage> storage = OpenOrDie();
  ASSERT_NE(storage, nullptr);
  absl::StatusOr<std::vector<AccountRecord>> accounts = storage->ListAccounts();
  ASSERT_TRUE(accounts.ok()) << accounts.status();
  ASSERT_EQ(accounts->size(), 2u);
  EXPECT_EQ((*accounts)[0].key(), (AccountKey{"t", "old"}));
  EXPECT_EQ((*accounts)[1].key(), (AccountKey{"u", "bot"}));
  EXPECT_EQ((*accounts)[1].bot_token, "77:bot-token");
  EXPECT_EQ((*accounts)[1].create_request_id, "r1");
  const AccountKey bot{"u", "bot"};
  absl::StatusOr<std::vector<AuthKeyRecord>> keys = storage->GetAuthKeys(bot);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].key, std::string(256, 'b'));
  EXPECT_EQ((*keys)[0].salt, 8u);
  // Each account's peers stay its own, the same username in both.
  EXPECT_THAT(*storage->FindPeerByUsername(bot, "oldname"),
              Optional(PeerRecord{bot, 42, PeerType::kUser, 10, "oldname", "15550004242"}));
  EXPECT_THAT(*storage->FindPeerByUsername({"t", "old"}, "oldname"),
              Optional(PeerRecord{{"t", "old"}, 42, PeerType::kUser, 9, "oldname", ""}));
  EXPECT_EQ(*storage->GetAccount({"t", "bot"}), std::nullopt);

  // Tenant t may now have its own "bot", and keys of its own there.
  AccountRecord mine = BotAccount("bot", "5:mine");
  mine.tenant = "t";
  ASSERT_TRUE(storage->PutAccount(mine).ok());
  AuthKeyRecord mine_key = PatternKey("bot", 1, 'm');
  mine_key.account = mine.key();
  ASSERT_TRUE(storage->PutAuthKey(mine_key).ok());
  EXPECT_EQ(storage->GetAccount(bot)->value().bot_token, "77:bot-token");
  EXPECT_EQ((*storage->GetAuthKeys(bot))[0].key, std::string(256, 'b'));
  storage.reset();

  // The carried-over secrets were sealed again, bound to their tenant: copied into tenant t's
  // "bot", u's no longer open (sealed under the id alone, they would).
  {
    RawDb raw(path_);
    EXPECT_EQ(raw.Text("SELECT count(*) FROM accounts WHERE legacy_aad <> 0"), "0");
    EXPECT_EQ(raw.Text("SELECT count(*) FROM auth_keys WHERE legacy_aad <> 0"), "0");
    EXPECT_EQ(raw.Text("PRAGMA integrity_check"), "ok");
    EXPECT_FALSE(raw.HasRow("PRAGMA foreign_key_check"));
    raw.Write(
        "UPDATE accounts SET bot_token_sealed = ?1 WHERE tenant = 't' AND id = ?2",
        raw.Blob("SELECT bot_token_sealed FROM accounts WHERE tenant = 'u' AND id = ?1", "bot"),
        "bot");
    raw.Write(
        "UPDATE auth_keys SET key_sealed = ?1 WHERE tenant = 't' AND account_id = ?2",
        raw.Blob("SELECT key_sealed FROM auth_keys WHERE tenant = 'u' AND account_id = ?1", "bot"),
        "bot");
  }
  storage = OpenOrDie();
  ASSERT_NE(storage, nullptr);
  EXPECT_EQ(storage->GetAccount(mine.key()).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(storage->GetAuthKeys(mine.key()).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(storage->GetAccount(bot)->value().bot_token, "77:bot-token");
}

// Version 3 as the release before future salts made it (schema step 3's tables, secrets bound to
// their tenant), with one account and its key on DC 2; kept as it was, whatever later steps do.
void MakeVersion3Database(const std::string& path, const KeyCipher& cipher) {
  RawDb raw(path);
  raw.Exec(R"sql(
CREATE TABLE accounts (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  phone TEXT NOT NULL,
  bot_token_sealed BLOB,
  bot INTEGER NOT NULL,
  max_sessions INTEGER NOT NULL,
  state INTEGER NOT NULL,
  home_dc INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  user_tl BLOB NOT NULL,
  display_name TEXT NOT NULL,
  create_time_unix INTEGER NOT NULL,
  create_request_id TEXT NOT NULL,
  legacy_aad INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, id)
);
CREATE TABLE auth_keys (
  tenant TEXT NOT NULL,
  account_id TEXT NOT NULL,
  dc_id INTEGER NOT NULL,
  key_sealed BLOB NOT NULL,
  salt INTEGER NOT NULL,
  time_offset_ms INTEGER NOT NULL,
  legacy_aad INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, account_id, dc_id),
  FOREIGN KEY (tenant, account_id) REFERENCES accounts (tenant, id) ON DELETE CASCADE
);
CREATE TABLE peers (
  tenant TEXT NOT NULL,
  account_id TEXT NOT NULL,
  peer_id INTEGER NOT NULL,
  type INTEGER NOT NULL,
  access_hash INTEGER NOT NULL,
  username TEXT NOT NULL,
  phone TEXT NOT NULL,
  PRIMARY KEY (tenant, account_id, peer_id),
  FOREIGN KEY (tenant, account_id) REFERENCES accounts (tenant, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX peers_by_username ON peers (tenant, account_id, username) WHERE username <> '';
CREATE UNIQUE INDEX peers_by_phone ON peers (tenant, account_id, phone) WHERE phone <> '';
CREATE TABLE key_check (id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1), sealed BLOB NOT NULL);
INSERT INTO accounts VALUES ('t', 'v3', '1555', NULL, 0, 4, 3, 2, 42, x'', 'Three', 1650000000,
                             'r3', 0);
INSERT INTO peers VALUES ('t', 'v3', 42, 1, 9, 'threename', '');
PRAGMA user_version = 3;
)sql");
  raw.Write("INSERT INTO key_check SELECT 1, ?1 WHERE ?2 = ''",
            cipher.Seal("tgrpc sqlite storage key check", "keycheck"), "");
  raw.Write("INSERT INTO auth_keys VALUES ('t', ?2, 2, ?1, -5, 6, 0)",
            cipher.Seal(std::string(256, 'v'), "authkey:1:t:v3:2"), "v3");
}

TEST_F(SqliteStorageTest, MigrationToFutureSaltsKeepsEveryKey) {
  MakeVersion3Database(path_, TestCipher());
  std::unique_ptr<Storage> storage = OpenOrDie();
  ASSERT_NE(storage, nullptr);
  const AccountKey v3{"t", "v3"};
  AuthKeyRecord key;
  key.account = v3;
  key.dc_id = 2;
  key.key = std::string(256, 'v');
  key.salt = static_cast<uint64_t>(-5);
  key.time_offset_ms = 6;
  // Without future salts: the first session asks for them.
  EXPECT_THAT(*storage->GetAuthKeys(v3), ::testing::ElementsAre(key));
  EXPECT_EQ(storage->GetAccount(v3)->value().display_name, "Three");
  EXPECT_THAT(*storage->FindPeerByUsername(v3, "threename"),
              Optional(PeerRecord{v3, 42, PeerType::kUser, 9, "threename", ""}));

  key.future_salts = {{1700000000, 1700005400, 1}, {1700003600, 1700009000, 2}};
  ASSERT_TRUE(storage->UpdateSalt(v3, 2, key.salt, key.time_offset_ms, key.future_salts).ok());
  storage.reset();
  storage = OpenOrDie();
  ASSERT_NE(storage, nullptr);
  EXPECT_THAT(*storage->GetAuthKeys(v3), ::testing::ElementsAre(key));
  storage.reset();

  RawDb raw(path_);
  EXPECT_EQ(raw.Text("PRAGMA user_version"), std::to_string(kSqliteSchemaVersion));
  EXPECT_EQ(raw.Text("PRAGMA integrity_check"), "ok");
  EXPECT_FALSE(raw.HasRow("PRAGMA foreign_key_check"));
}

// Version 4 as the release before the update log made it: version 3 and schema step 4's future
// salts, one of them stored; kept as it was, whatever later steps do.
void MakeVersion4Database(const std::string& path, const KeyCipher& cipher) {
  MakeVersion3Database(path, cipher);
  RawDb raw(path);
  raw.Exec(R"sql(
ALTER TABLE auth_keys ADD COLUMN future_salts BLOB NOT NULL DEFAULT x'';
PRAGMA user_version = 4;
)sql");
  raw.Write("UPDATE auth_keys SET future_salts = ?1 WHERE account_id = ?2",
            std::string("\x01\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0\x03\0\0\0\0\0\0\0", 24), "v3");
}

TEST_F(SqliteStorageTest, MigrationToTheUpdateLogKeepsEveryRow) {
  MakeVersion4Database(path_, TestCipher());
  std::unique_ptr<Storage> storage = OpenOrDie();
  ASSERT_NE(storage, nullptr);
  const AccountKey v3{"t", "v3"};
  absl::StatusOr<std::vector<AuthKeyRecord>> keys = storage->GetAuthKeys(v3);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].key, std::string(256, 'v'));
  EXPECT_EQ((*keys)[0].future_salts, (std::vector<FutureSaltRecord>{{1, 2, 3}}));
  EXPECT_EQ(storage->GetAccount(v3)->value().display_name, "Three");
  EXPECT_THAT(*storage->FindPeerByUsername(v3, "threename"),
              Optional(PeerRecord{v3, 42, PeerType::kUser, 9, "threename", ""}));
  // The account has an empty log, and one that works.
  absl::StatusOr<UpdateLogInfo> info = storage->GetUpdateLog(v3);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->state, std::nullopt);
  EXPECT_EQ(info->head, 0);
  EXPECT_EQ(info->oldest, 1);
  UpdateLogEntry entry;
  entry.update = "u";
  const UpdateStateRecord state{5, 6, 7, 8, {{9, 10}}};
  EXPECT_EQ(*storage->AppendUpdates(v3, {entry, entry}, state), 2);
  ASSERT_TRUE(storage->AdvanceConsumer(v3, {"c", 1, 2}).ok());
  storage.reset();
  storage = OpenOrDie();
  ASSERT_NE(storage, nullptr);
  EXPECT_EQ(storage->GetUpdateLog(v3)->state, state);
  EXPECT_EQ(storage->ReadUpdates(v3, 0, 10)->size(), 2u);
  EXPECT_THAT(*storage->ListConsumers(v3), ::testing::ElementsAre(ConsumerRecord{"c", 1, 2}));
  storage.reset();

  RawDb raw(path_);
  EXPECT_EQ(raw.Text("PRAGMA user_version"), std::to_string(kSqliteSchemaVersion));
  EXPECT_EQ(raw.Text("PRAGMA integrity_check"), "ok");
  EXPECT_FALSE(raw.HasRow("PRAGMA foreign_key_check"));
}

// Future salts are hints: a damaged value read back is left out, and the key comes back good.
TEST_F(SqliteStorageTest, DamagedFutureSaltsAreLeftOutAndTheKeyKept) {
  AuthKeyRecord key = PatternKey("acc", 2, 'x');
  key.future_salts = {{1700000000, 1700005400, 1}, {1700003600, 1700009000, 2}};
  {
    std::unique_ptr<Storage> storage = OpenOrDie();
    ASSERT_NE(storage, nullptr);
    ASSERT_TRUE(storage->PutAccount(BotAccount("acc", "1:t")).ok());
    ASSERT_TRUE(storage->PutAuthKey(key).ok());
    ASSERT_TRUE(storage->PutAuthKey(PatternKey("acc", 4, 'y')).ok());
  }
  {
    RawDb raw(path_);
    std::string blob =
        raw.Blob("SELECT future_salts FROM auth_keys WHERE account_id = ?1 AND dc_id = 2", "acc");
    ASSERT_EQ(blob.size(), 48u);
    blob.pop_back();  // truncated
    raw.Write("UPDATE auth_keys SET future_salts = ?1 WHERE account_id = ?2 AND dc_id = 2", blob,
              "acc");
  }
  std::unique_ptr<Storage> storage = OpenOrDie();
  ASSERT_NE(storage, nullptr);
  absl::StatusOr<std::vector<AuthKeyRecord>> keys = storage->GetAuthKeys(T("acc"));
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 2u);
  AuthKeyRecord damaged = key;
  damaged.future_salts.clear();
  damaged.future_salts_unreadable = true;
  EXPECT_EQ((*keys)[0], damaged);
  EXPECT_EQ((*keys)[1], PatternKey("acc", 4, 'y'));
  // The next write of the key's state mends it.
  ASSERT_TRUE(
      storage->UpdateSalt(T("acc"), 2, key.salt, key.time_offset_ms, key.future_salts).ok());
  EXPECT_THAT(*storage->GetAuthKeys(T("acc")),
              ::testing::ElementsAre(key, PatternKey("acc", 4, 'y')));
}

// Before step 2 nothing recorded the key, so the secrets already there decide.
TEST_F(SqliteStorageTest, MigrationRefusesAKeyTheOldSecretsDoNotOpenWith) {
  MakeVersion1Database(path_, TestCipher('k'));
  absl::StatusOr<std::unique_ptr<Storage>> other = OpenSqliteStorage(path_, TestCipher('z'));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(other.status().message(), HasSubstr("sealed under another key"));
  EXPECT_NE(OpenOrDie('k'), nullptr);
}

TEST_F(SqliteStorageTest, RefusesADatabaseFromANewerVersion) {
  { ASSERT_NE(OpenOrDie(), nullptr); }
  const std::string newer = std::to_string(kSqliteSchemaVersion + 1);
  {
    RawDb raw(path_);
    raw.Exec(absl::StrCat("PRAGMA user_version = ", newer).c_str());
  }
  absl::StatusOr<std::unique_ptr<Storage>> storage = OpenSqliteStorage(path_, TestCipher());
  EXPECT_EQ(storage.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(storage.status().message(), HasSubstr(absl::StrCat("schema version ", newer)));
  EXPECT_THAT(storage.status().message(), HasSubstr(path_));
  RawDb raw(path_);
  EXPECT_EQ(raw.Text("PRAGMA user_version"), newer);
}

TEST_F(SqliteStorageTest, RefusesAFileThatIsNotADatabase) {
  {
    std::ofstream out(path_, std::ios::binary);
    out << std::string(8192, '\x5a');
  }
  absl::StatusOr<std::unique_ptr<Storage>> storage = OpenSqliteStorage(path_, TestCipher());
  EXPECT_EQ(storage.status().code(), absl::StatusCode::kDataLoss) << storage.status();
  // The failed open let go of the lock.
  std::filesystem::remove(path_);
  EXPECT_NE(OpenOrDie(), nullptr);
}

TEST_F(SqliteStorageTest, IntegrityCheckPassesAfterAWorkload) {
  {
    std::unique_ptr<Storage> storage = OpenOrDie();
    ASSERT_NE(storage, nullptr);
    for (int i = 0; i < 50; ++i) {
      const std::string id = absl::StrCat("acc", i % 10);
      ASSERT_TRUE(storage->PutAccount(BotAccount(id, absl::StrCat(i, ":t"))).ok());
      ASSERT_TRUE(storage->PutAuthKey(PatternKey(id, i % 5 + 1, 'a' + i % 26)).ok());
      ASSERT_TRUE(
          storage
              ->PutPeers({PeerRecord{T(id), i, PeerType::kUser, i, absl::StrCat("u", i % 7), ""}})
              .ok());
      if (i % 9 == 0) {
        ASSERT_TRUE(storage->DeleteAccount(T(absl::StrCat("acc", i % 4))).ok());
      }
    }
    RawDb raw(path_);  // A second connection sees a consistent database while the first is open.
    EXPECT_EQ(raw.Text("PRAGMA integrity_check"), "ok");
    EXPECT_FALSE(raw.HasRow("PRAGMA foreign_key_check"));
  }
  RawDb raw(path_);
  EXPECT_EQ(raw.Text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(raw.Text("PRAGMA journal_mode"), "wal");
}

}  // namespace
}  // namespace tgrpc::service
