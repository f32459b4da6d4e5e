// What the update log does in SQLite beyond the conformance suite: damaged blobs read back, an
// append is one transaction, and reads and trims are range scans of the primary key.
#include "service/storage/sqlite_update_log.h"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/storage/key_cipher.h"
#include "service/storage/sqlite_connection.h"
#include "service/storage/sqlite_storage.h"
#include "service/storage/storage.h"

namespace tgrpc::service {
namespace {

using ::testing::HasSubstr;

const AccountKey kAccount{"tenant", "acc"};

UpdateLogEntry Entry(int n) {
  UpdateLogEntry entry;
  entry.update = absl::StrCat("update ", n);
  entry.users = {absl::StrCat("user ", n)};
  entry.chats = {absl::StrCat("chat ", n)};
  entry.logged_at_unix = 1000 + n;
  return entry;
}

const UpdateStateRecord kState{5, 6, 7, 8, {{100, 1}, {200, 2}}};

class SqliteUpdateLogTest : public ::testing::Test {
 protected:
  SqliteUpdateLogTest() {
    const char* dir = std::getenv("TEST_TMPDIR");
    path_ = absl::StrCat(dir != nullptr ? dir : "/tmp", "/",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".db");
    for (const char* suffix : {"", "-wal", "-shm", ".lock"}) {
      std::filesystem::remove(path_ + suffix);
    }
  }

  void Open() {
    storage_.reset();
    absl::StatusOr<std::unique_ptr<Storage>> storage =
        OpenSqliteStorage(path_, *KeyCipher::FromKey(std::string(KeyCipher::kKeySize, 'k')));
    ASSERT_TRUE(storage.ok()) << storage.status();
    storage_ = *std::move(storage);
  }

  // An account with entries 1..3 and kState.
  void OpenWithLog() {
    ASSERT_NO_FATAL_FAILURE(Open());
    AccountRecord account;
    account.tenant = kAccount.tenant;
    account.id = kAccount.id;
    ASSERT_TRUE(storage_->PutAccount(account).ok());
    ASSERT_EQ(*storage_->AppendUpdates(kAccount, {Entry(1), Entry(2), Entry(3)}, kState), 3);
  }

  // A connection of its own, beside the storage's (which it does not lock out).
  std::unique_ptr<SqliteConnection> Raw() {
    absl::StatusOr<std::unique_ptr<SqliteConnection>> db = SqliteConnection::Open(path_);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? *std::move(db) : nullptr;
  }

  // Runs `sql` with ?1 = blob on a connection of its own.
  void Write(const char* sql, absl::string_view blob) {
    std::unique_ptr<SqliteConnection> db = Raw();
    ASSERT_NE(db, nullptr);
    absl::StatusOr<SqliteStatement> statement = db->Prepare(sql);
    ASSERT_TRUE(statement.ok()) << statement.status();
    const absl::Status status = statement->Start().BindBlob(1, blob).Run();
    ASSERT_TRUE(status.ok()) << status;
  }

  // SQLite's plan for `sql`, its steps' details joined by "; ".
  std::string Plan(const std::string& sql) {
    std::unique_ptr<SqliteConnection> db = Raw();
    if (db == nullptr) return "";
    absl::StatusOr<SqliteStatement> statement = db->Prepare("EXPLAIN QUERY PLAN " + sql);
    EXPECT_TRUE(statement.ok()) << statement.status();
    if (!statement.ok()) return "";
    SqliteQuery query = statement->Start();
    std::string plan;
    while (true) {
      absl::StatusOr<bool> row = query.Step();
      EXPECT_TRUE(row.ok()) << row.status();
      if (!row.ok() || !*row) return plan;
      absl::StrAppend(&plan, plan.empty() ? "" : "; ", query.ColumnText(3));
    }
  }

  std::string path_;
  std::unique_ptr<Storage> storage_;
};

// A damaged entry fails the reads that would return it, naming the account and the position;
// the entries around it still read, and trimming it away mends the log.
TEST_F(SqliteUpdateLogTest, DamagedUsersOrChatsAreDataLoss) {
  ASSERT_NO_FATAL_FAILURE(OpenWithLog());
  Write("UPDATE update_log SET users = ?1 WHERE position = 2", std::string("\x09\0\0\0ab", 6));
  Write("UPDATE update_log SET chats = ?1 WHERE position = 3", std::string("\x01\0", 2));
  for (int64_t after : {0, 1}) {
    const absl::Status status = storage_->ReadUpdates(kAccount, after, 10).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
    EXPECT_THAT(status.message(), HasSubstr("ReadUpdates tenant/acc"));
    EXPECT_THAT(status.message(), HasSubstr("update log position 2 users"));
  }
  const absl::Status chats = storage_->ReadUpdates(kAccount, 2, 10).status();
  EXPECT_THAT(chats.message(), HasSubstr("update log position 3 chats"));
  absl::StatusOr<std::vector<UpdateLogEntry>> first = storage_->ReadUpdates(kAccount, 0, 1);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->at(0).users, Entry(1).users);
  // The log's state and positions are untouched.
  EXPECT_EQ(storage_->GetUpdateLog(kAccount)->head, 3);
  EXPECT_EQ(*storage_->TrimUpdates(kAccount, 4, 0), 4);
  EXPECT_TRUE(storage_->ReadUpdates(kAccount, 0, 10)->empty());
}

TEST_F(SqliteUpdateLogTest, DamagedChannelPtsAreDataLossUntilTheNextAppend) {
  ASSERT_NO_FATAL_FAILURE(OpenWithLog());
  Write("UPDATE update_state SET channel_pts = ?1", std::string(13, '\0'));
  const absl::Status status = storage_->GetUpdateLog(kAccount).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(status.message(), HasSubstr("GetUpdateLog tenant/acc: update state: channel pts"));
  // The entries are fine, and the next append stores a whole state.
  EXPECT_EQ(storage_->ReadUpdates(kAccount, 0, 10)->size(), 3u);
  ASSERT_EQ(*storage_->AppendUpdates(kAccount, {Entry(4)}, kState), 4);
  EXPECT_EQ(storage_->GetUpdateLog(kAccount)->state, kState);
}

// 1,000 entries in one transaction: one that fails on the last entry leaves nothing of the others
// and the state as it was.
TEST_F(SqliteUpdateLogTest, AnAppendIsOneTransaction) {
  ASSERT_NO_FATAL_FAILURE(OpenWithLog());
  {
    std::unique_ptr<SqliteConnection> db = Raw();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->Exec("CREATE TRIGGER fail_last BEFORE INSERT ON update_log "
                         "WHEN NEW.position = 1003 BEGIN SELECT RAISE(ABORT, 'injected'); END")
                    .ok());
  }
  ASSERT_NO_FATAL_FAILURE(Open());  // statements prepared after the trigger
  std::vector<UpdateLogEntry> entries;
  for (int n = 4; n <= 1003; ++n) entries.push_back(Entry(n));
  UpdateStateRecord later = kState;
  later.pts = 999;
  const absl::Status status = storage_->AppendUpdates(kAccount, entries, later).status();
  EXPECT_THAT(status.message(), HasSubstr("injected"));
  absl::StatusOr<UpdateLogInfo> info = storage_->GetUpdateLog(kAccount);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->head, 3);
  EXPECT_EQ(info->state, kState);
  EXPECT_EQ(storage_->ReadUpdates(kAccount, 0, 2000)->size(), 3u);

  entries.pop_back();
  EXPECT_EQ(*storage_->AppendUpdates(kAccount, entries, later), 1002);
  EXPECT_EQ(storage_->ReadUpdates(kAccount, 0, 2000)->size(), 1002u);
}

// Reading after a position, finding the oldest and trimming walk the primary key's range for the
// account; none scans the table.
TEST_F(SqliteUpdateLogTest, ReadsAndTrimsAreRangeScans) {
  ASSERT_NO_FATAL_FAILURE(OpenWithLog());
  const std::string where = "WHERE tenant = 't' AND account_id = 'a'";
  const std::string index = "INDEX sqlite_autoindex_update_log_1 (tenant=? AND account_id=?";
  // The statements' texts (sqlite_update_log.cc), and the range each must walk.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"SELECT * FROM update_log " + where + " AND position > 5 ORDER BY position LIMIT 10",
       index + " AND position>?)"},
      {"SELECT position FROM update_log " + where + " ORDER BY position LIMIT 1", index + ")"},
      {"SELECT position FROM update_log " + where +
           " AND position >= 5 AND logged_at_unix >= 9 ORDER BY position LIMIT 1",
       index + " AND position>?)"},
      {"DELETE FROM update_log " + where + " AND position < 5", index + " AND position<?)"},
  };
  for (const auto& [sql, range] : cases) {
    SCOPED_TRACE(sql);
    const std::string plan = Plan(sql);
    EXPECT_THAT(plan, HasSubstr(range));
    EXPECT_THAT(plan, ::testing::Not(HasSubstr("TEMP B-TREE")));
  }
}

}  // namespace
}  // namespace tgrpc::service
