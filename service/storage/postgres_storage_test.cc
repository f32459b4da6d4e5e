// The Storage conformance suite against a real PostgreSQL server that this test starts
// (postgres_test_server.h), with a pool of connections and with one; and what is PostgreSQL's
// own: secrets at rest, the key check, the schema version, replicas sharing a database, lost
// connections and a server that goes away, text PostgreSQL cannot hold, the session settings.
// Without the PostgreSQL server installed every test fails, naming deploy/postgres_setup.sh.
#include "service/storage/postgres_storage.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/storage/key_cipher.h"
#include "service/storage/postgres_connection.h"
#include "service/storage/postgres_schema.h"
#include "service/storage/postgres_test_server.h"
#include "service/storage/storage.h"
#include "service/storage/storage_conformance.h"

namespace tgrpc::service {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

// The server, started once for the whole binary. If it does not start, every test fails with
// the reason.
class ServerEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<PostgresTestServer>> server = PostgresTestServer::Start();
    if (server.ok()) {
      server_ = *std::move(server);
    } else {
      status_ = server.status();
    }
  }
  void TearDown() override { server_.reset(); }

  absl::StatusOr<PostgresTestServer*> server() const {
    if (server_ == nullptr) return status_;
    return server_.get();
  }

 private:
  std::unique_ptr<PostgresTestServer> server_;
  absl::Status status_ = absl::InternalError("the server was not started");
};

ServerEnvironment* const kServer =
    static_cast<ServerEnvironment*>(::testing::AddGlobalTestEnvironment(new ServerEnvironment));

KeyCipher TestCipher(char byte = 'k') {
  return *KeyCipher::FromKey(std::string(KeyCipher::kKeySize, byte));
}

// The conninfo of database `name`, created the first time it is asked for.
absl::StatusOr<std::string> Database(const std::string& name) {
  TGRPC_ASSIGN_OR_RETURN(PostgresTestServer * server, kServer->server());
  static absl::Mutex mu(absl::kConstInit);
  static std::set<std::string>* const created = new std::set<std::string>();
  absl::MutexLock lock(&mu);
  if (!created->contains(name)) {
    TGRPC_RETURN_IF_ERROR(server->CreateDatabase(name));
    created->insert(name);
  }
  return server->Conninfo(name);
}

// The conformance suite's databases are schemas of one database, each named first in its
// conninfo's search_path: as empty as a new database, and a few milliseconds to make rather than
// a copy of the template database (some 100 ms and 7 MB each).
absl::StatusOr<std::string> ConformanceDatabase(const std::string& name) {
  TGRPC_ASSIGN_OR_RETURN(PostgresTestServer * server, kServer->server());
  TGRPC_ASSIGN_OR_RETURN(const std::string conninfo, Database("conformance"));
  static absl::Mutex mu(absl::kConstInit);
  static std::set<std::string>* const created = new std::set<std::string>();
  absl::MutexLock lock(&mu);
  if (!created->contains(name)) {
    // `name` is letters, digits and '_' (StorageFactory says so).
    TGRPC_RETURN_IF_ERROR(server->Execute("conformance", absl::StrCat("CREATE SCHEMA ", name)));
    created->insert(name);
  }
  return absl::StrCat(conninfo, " options='-csearch_path=", name, "'");
}

StorageFactory Factory(const std::string& name, int max_connections) {
  return {
      name,
      [max_connections](const std::string& database) -> absl::StatusOr<std::unique_ptr<Storage>> {
        TGRPC_ASSIGN_OR_RETURN(const std::string conninfo, ConformanceDatabase(database));
        return OpenPostgresStorage(conninfo, TestCipher(), {max_connections});
      }};
}

// The default pool, and one connection for every caller.
INSTANTIATE_TEST_SUITE_P(Postgres, StorageConformanceTest,
                         ::testing::Values(Factory("Postgres", 4),
                                           Factory("PostgresOneConnection", 1)),
                         StorageFactoryName);

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

UpdateLogEntry Entry(int n) {
  UpdateLogEntry entry;
  entry.date = n;
  entry.update = absl::StrCat("update ", n);
  return entry;
}

std::string ReadFiles(const std::string& dir) {
  std::string bytes;
  std::error_code error;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, error)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream contents;
    contents << in.rdbuf();
    bytes += contents.str();
  }
  return bytes;
}

// Each test has a database of its own, named after it.
class PostgresStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<PostgresTestServer*> server = kServer->server();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *server;
    absl::StatusOr<std::string> conninfo = Database(
        absl::AsciiStrToLower(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    ASSERT_TRUE(conninfo.ok()) << conninfo.status();
    conninfo_ = *conninfo;
  }

  absl::StatusOr<std::unique_ptr<Storage>> Open(char key_byte = 'k', int max_connections = 4) {
    return OpenPostgresStorage(conninfo_, TestCipher(key_byte), {max_connections});
  }

  std::unique_ptr<Storage> OpenOrDie(char key_byte = 'k', int max_connections = 4) {
    absl::StatusOr<std::unique_ptr<Storage>> storage = Open(key_byte, max_connections);
    EXPECT_TRUE(storage.ok()) << storage.status();
    return storage.ok() ? *std::move(storage) : nullptr;
  }

  // Runs constant SQL on a connection of its own.
  void Sql(const char* sql) {
    const absl::Status status = server_->Execute(database(), sql);
    ASSERT_TRUE(status.ok()) << status;
  }

  // The first column of the first row of `sql`'s answer, as an integer.
  int64_t QueryInt(const char* sql) {
    absl::StatusOr<std::unique_ptr<PgConnection>> db = PgConnection::Open(conninfo_);
    EXPECT_TRUE(db.ok()) << db.status();
    if (!db.ok()) return -1;
    absl::StatusOr<PgResult> rows = (*db)->Run({"test_query", sql}, PgParams());
    EXPECT_TRUE(rows.ok() && rows->rows() > 0) << sql << ": " << rows.status();
    return rows.ok() && rows->rows() > 0 ? rows->Int(0, 0) : -1;
  }

  std::string database() const {
    return absl::AsciiStrToLower(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }

  PostgresTestServer* server_ = nullptr;
  std::string conninfo_;
};

// Both in the write-ahead log and, after a checkpoint, in the table files.
TEST_F(PostgresStorageTest, SecretsNeverReachTheServerInPlaintext) {
  const std::string token = "987654321:AAE-very-secret-bot-token-value";
  AuthKeyRecord key = PatternKey("acc", 2, 'Q');
  for (size_t i = 0; i < key.key.size(); ++i) key.key[i] = static_cast<char>('A' + i % 26);
  const std::string key_start = key.key.substr(0, 16);
  std::unique_ptr<Storage> storage = OpenOrDie();
  ASSERT_NE(storage, nullptr);
  ASSERT_TRUE(storage->PutAccount(BotAccount("acc", token)).ok());
  ASSERT_TRUE(storage->PutAuthKey(key).ok());
  const int64_t oid =
      QueryInt("SELECT oid::bigint FROM pg_database WHERE datname = current_database()");
  for (int pass = 0; pass < 2; ++pass) {
    SCOPED_TRACE(pass == 0 ? "the write-ahead log" : "the table files, after a checkpoint");
    if (pass == 1) ASSERT_NO_FATAL_FAILURE(Sql("CHECKPOINT"));
    const std::string bytes =
        ReadFiles(pass == 0 ? server_->data_dir() + "/pg_wal"
                            : absl::StrCat(server_->data_dir(), "/base/", oid));
    // The search works: what is not secret is there in the clear.
    EXPECT_NE(bytes.find("Plaintext Display Name acc"), std::string::npos);
    EXPECT_EQ(bytes.find(token), std::string::npos);
    EXPECT_EQ(bytes.find("very-secret"), std::string::npos);
    EXPECT_EQ(bytes.find(key_start), std::string::npos);
  }
}

TEST_F(PostgresStorageTest, AnotherKeyIsRefusedAtOpen) {
  ASSERT_NE(OpenOrDie('k'), nullptr);
  absl::StatusOr<std::unique_ptr<Storage>> other = Open('z');
  EXPECT_EQ(other.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(other.status().message(), HasSubstr("sealed under another key"));
  EXPECT_NE(OpenOrDie('k'), nullptr);
}

TEST_F(PostgresStorageTest, SecretThatDoesNotOpenIsDataLossForThatCallOnly) {
  std::unique_ptr<Storage> storage = OpenOrDie();
  ASSERT_NE(storage, nullptr);
  for (const char* id : {"damaged", "moved", "fine"}) {
    ASSERT_TRUE(storage->PutAccount(BotAccount(id, absl::StrCat("1:token-", id))).ok());
    ASSERT_TRUE(storage->PutAuthKey(PatternKey(id, 2, id[0])).ok());
  }
  // A flipped byte in one row's secrets; another row's intact secrets copied over (bound to their
  // own row, they do not open here).
  ASSERT_NO_FATAL_FAILURE(Sql(R"sql(
UPDATE accounts SET bot_token_sealed = set_byte(bot_token_sealed, 20,
    get_byte(bot_token_sealed, 20) # 1) WHERE id = 'damaged';
UPDATE auth_keys SET key_sealed = set_byte(key_sealed, 40, get_byte(key_sealed, 40) # 1)
  WHERE account_id = 'damaged';
UPDATE accounts SET bot_token_sealed = (SELECT bot_token_sealed FROM accounts WHERE id = 'fine')
  WHERE id = 'moved';
UPDATE auth_keys SET key_sealed = (SELECT key_sealed FROM auth_keys WHERE account_id = 'fine')
  WHERE account_id = 'moved';
)sql"));
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
  EXPECT_THAT(*storage->GetAuthKeys(T("fine")), ElementsAre(PatternKey("fine", 2, 'f')));
  // The damaged rows can still be replaced or dropped.
  EXPECT_TRUE(storage->PutAuthKey(PatternKey("damaged", 2, 'n')).ok());
  EXPECT_THAT(*storage->GetAuthKeys(T("damaged")), ElementsAre(PatternKey("damaged", 2, 'n')));
  EXPECT_TRUE(storage->DeleteAccount(T("moved")).ok());
}

TEST_F(PostgresStorageTest, RefusesADatabaseFromANewerVersion) {
  ASSERT_NE(OpenOrDie(), nullptr);
  EXPECT_EQ(QueryInt("SELECT version FROM tgrpc_schema"), kPostgresSchemaVersion);
  ASSERT_NO_FATAL_FAILURE(Sql("UPDATE tgrpc_schema SET version = version + 1"));
  absl::StatusOr<std::unique_ptr<Storage>> storage = Open();
  EXPECT_EQ(storage.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(storage.status().message(), HasSubstr("newer than the"));
}

// Replicas started together all migrate the new database, one of them doing it.
TEST_F(PostgresStorageTest, ReplicasOpeningAtOnceMigrateOnce) {
  constexpr int kReplicas = 4;
  std::vector<absl::Status> statuses(kReplicas);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] { statuses[i] = Open().status(); });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& status : statuses) EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(QueryInt("SELECT version FROM tgrpc_schema"), kPostgresSchemaVersion);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM key_check"), 1);
}

// Two replicas on one database: each sees the other's writes; appends to one account from both
// take distinct positions, each append's entries together; a username moving back and forth
// between them never trips the unique index.
TEST_F(PostgresStorageTest, ReplicasShareOneDatabase) {
  std::unique_ptr<Storage> replicas[2] = {OpenOrDie(), OpenOrDie()};
  ASSERT_NE(replicas[0], nullptr);
  ASSERT_NE(replicas[1], nullptr);
  AccountRecord account = BotAccount("shared", "1:t");
  ASSERT_TRUE(replicas[0]->PutAccount(account).ok());
  EXPECT_THAT(*replicas[1]->GetAccount(T("shared")), Optional(account));

  constexpr int kThreads = 4;
  constexpr int kRounds = 20;
  std::vector<absl::Status> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Storage& storage = *replicas[t % 2];
      for (int round = 0; round < kRounds && failures[t].ok(); ++round) {
        const int n = t * 1000 + round * 2;
        failures[t] = storage.AppendUpdates(T("shared"), {Entry(n), Entry(n + 1)}, {}).status();
        if (!failures[t].ok()) break;
        PeerRecord peer{T("shared"), t * 100 + round, PeerType::kUser, 1, "Hot", "15550009999"};
        failures[t] = storage.PutPeers({peer});
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& failure : failures) EXPECT_TRUE(failure.ok()) << failure;

  absl::StatusOr<std::vector<UpdateLogEntry>> all =
      replicas[1]->ReadUpdates(T("shared"), 0, kThreads * kRounds * 2 + 1);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), static_cast<size_t>(kThreads * kRounds * 2));
  for (size_t i = 0; i < all->size(); i += 2) {
    EXPECT_EQ((*all)[i].position, static_cast<int64_t>(i + 1));
    EXPECT_EQ((*all)[i + 1].date, (*all)[i].date + 1) << "an append split at " << i;
  }
  EXPECT_EQ(QueryInt("SELECT count(*) FROM peers WHERE username = 'hot'"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM peers WHERE phone = '15550009999'"), 1);
}

// Sessions ended by the server (a restart, a failover, an idle timeout) are replaced unseen by
// the callers: each call whose connection turns out lost runs again on a new one.
TEST_F(PostgresStorageTest, LostConnectionsAreMadeAnew) {
  std::unique_ptr<Storage> storage = OpenOrDie('k', 2);
  ASSERT_NE(storage, nullptr);
  ASSERT_TRUE(storage->PutAccount(BotAccount("acc", "1:t")).ok());
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    EXPECT_GE(QueryInt("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                       "datname = current_database() AND pid <> pg_backend_pid()"),
              1);
    EXPECT_TRUE(storage->GetAccount(T("acc"))->has_value());
    absl::StatusOr<int64_t> head = storage->AppendUpdates(T("acc"), {Entry(round)}, {});
    ASSERT_TRUE(head.ok()) << head.status();
    EXPECT_EQ(*head, round + 1);
    EXPECT_TRUE(storage->PutPeers({{T("acc"), round + 1, PeerType::kUser, 1, "", ""}}).ok());
  }
}

// With the server down, calls fail Unavailable (and do not hang or crash); once it is back, the
// same storage works again.
TEST_F(PostgresStorageTest, ServerGoneIsUnavailableUntilItIsBack) {
  std::unique_ptr<Storage> storage = OpenOrDie();
  ASSERT_NE(storage, nullptr);
  ASSERT_TRUE(storage->PutAccount(BotAccount("acc", "1:t")).ok());
  ASSERT_TRUE(server_->Stop().ok());
  absl::Cleanup resume = [&] { ASSERT_TRUE(server_->Resume().ok()); };

  EXPECT_EQ(storage->GetAccount(T("acc")).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(storage->PutAccount(BotAccount("other", "2:t")).code(), absl::StatusCode::kUnavailable);
  const absl::Status append = storage->AppendUpdates(T("acc"), {Entry(1)}, {}).status();
  EXPECT_EQ(append.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(append.message(), HasSubstr("AppendUpdates tenant/acc"));
  EXPECT_EQ(Open().status().code(), absl::StatusCode::kUnavailable);

  std::move(resume).Invoke();
  EXPECT_TRUE(storage->GetAccount(T("acc"))->has_value());
  EXPECT_EQ(*storage->GetAccount(T("other")), std::nullopt);
  EXPECT_EQ(*storage->AppendUpdates(T("acc"), {Entry(1)}, {}), 1);
}

// SQLite stores any bytes as text; PostgreSQL's text holds neither NUL nor bytes that are not
// UTF-8. Such a value is refused, never cut short or mangled, and the storage carries on.
TEST_F(PostgresStorageTest, TextPostgresCannotHoldIsInvalidArgument) {
  std::unique_ptr<Storage> storage = OpenOrDie();
  ASSERT_NE(storage, nullptr);
  const AccountKey with_nul{"tenant", std::string("a\0b", 3)};
  AccountRecord account = BotAccount("a", "1:t");
  account.id = with_nul.id;
  const absl::Status put = storage->PutAccount(account);
  EXPECT_EQ(put.code(), absl::StatusCode::kInvalidArgument) << put;
  EXPECT_THAT(put.message(), HasSubstr("NUL"));
  EXPECT_EQ(storage->GetAccount(with_nul).status().code(), absl::StatusCode::kInvalidArgument);

  AccountRecord not_utf8 = BotAccount("a", "1:t");
  not_utf8.display_name = "\xff\xfe";
  const absl::Status refused = storage->PutAccount(not_utf8);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << refused;
  EXPECT_THAT(refused.message(), HasSubstr("UTF8"));

  EXPECT_EQ(*storage->GetAccount(T("a")), std::nullopt);
  ASSERT_TRUE(storage->PutAccount(BotAccount("a", "1:t")).ok());
  EXPECT_THAT(*storage->GetAccount(T("a")), Optional(BotAccount("a", "1:t")));
}

TEST_F(PostgresStorageTest, BadConninfoOrNoServerIsAClearError) {
  absl::StatusOr<std::unique_ptr<Storage>> storage =
      OpenPostgresStorage("this is = not a conninfo", TestCipher());
  EXPECT_EQ(storage.status().code(), absl::StatusCode::kInvalidArgument) << storage.status();
  storage = OpenPostgresStorage("host=/nonexistent/dir dbname=x", TestCipher());
  EXPECT_EQ(storage.status().code(), absl::StatusCode::kUnavailable) << storage.status();
  EXPECT_THAT(storage.status().message(), HasSubstr("/nonexistent/dir"));
  storage = OpenPostgresStorage(conninfo_, TestCipher(), {0});
  EXPECT_EQ(storage.status().code(), absl::StatusCode::kInvalidArgument) << storage.status();
}

// A commit must be durable when it returns, whatever the server's default.
TEST_F(PostgresStorageTest, SynchronousCommitIsOnInEverySession) {
  ASSERT_NO_FATAL_FAILURE(
      Sql(absl::StrCat("ALTER DATABASE ", database(), " SET synchronous_commit = off").c_str()));
  absl::StatusOr<std::unique_ptr<PgConnection>> db = PgConnection::Open(conninfo_);
  ASSERT_TRUE(db.ok()) << db.status();
  absl::StatusOr<PgResult> setting =
      (*db)->Run({"show_synchronous_commit", "SHOW synchronous_commit"}, PgParams());
  ASSERT_TRUE(setting.ok()) << setting.status();
  EXPECT_EQ(setting->Bytes(0, 0), "on");
}

// The tables go into the first schema of the conninfo's search_path.
TEST_F(PostgresStorageTest, TablesGoWhereTheSearchPathSays) {
  ASSERT_NO_FATAL_FAILURE(Sql("CREATE SCHEMA tgrpc"));
  absl::StatusOr<std::unique_ptr<Storage>> storage =
      OpenPostgresStorage(conninfo_ + " options='-csearch_path=tgrpc'", TestCipher());
  ASSERT_TRUE(storage.ok()) << storage.status();
  ASSERT_TRUE((*storage)->PutAccount(BotAccount("acc", "1:t")).ok());
  EXPECT_EQ(QueryInt("SELECT count(*) FROM tgrpc.accounts"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), 0);
}

}  // namespace
}  // namespace tgrpc::service
