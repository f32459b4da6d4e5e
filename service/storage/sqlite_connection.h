// A thin layer over the SQLite C API for the SQLite storage: absl::Status instead of result
// codes, prepared statements whose every use ends in a reset (a statement left mid-result would
// hold a read snapshot open and stall WAL checkpoints), and transactions that roll back unless
// committed. Not thread-safe: the owner serializes all use of a connection and its statements.
#ifndef TGRPC_SERVICE_STORAGE_SQLITE_CONNECTION_H_
#define TGRPC_SERVICE_STORAGE_SQLITE_CONNECTION_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tgrpc::service {

// A status for SQLite result `code` (an extended code), with `what` was being done and SQLite's
// message. Corruption is DataLoss, a lock held elsewhere Unavailable, a full disk
// ResourceExhausted, a violated constraint FailedPrecondition.
absl::Status SqliteStatus(int code, sqlite3* db, absl::string_view what);

// One use of a prepared statement: bind, step, read columns. Resets the statement and clears its
// bindings when it goes out of scope.
class SqliteQuery {
 public:
  SqliteQuery(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteQuery(const SqliteQuery&) = delete;
  SqliteQuery& operator=(const SqliteQuery&) = delete;
  ~SqliteQuery();

  // Parameters count from 1, as in SQLite. A failure to bind is reported by the next Step, so
  // calls can be chained.
  SqliteQuery& Bind(int index, int64_t value);
  SqliteQuery& BindText(int index, absl::string_view value);
  SqliteQuery& BindBlob(int index, absl::string_view value);
  SqliteQuery& BindNull(int index);

  // True when a row is ready to read, false when the statement is done.
  absl::StatusOr<bool> Step();
  // Steps to the end (for statements that return no rows).
  absl::Status Run();

  // Columns count from 0. Valid after Step returned true.
  int64_t ColumnInt(int column);
  std::string ColumnText(int column);
  std::string ColumnBlob(int column);
  bool ColumnIsNull(int column);

 private:
  void Record(int rc, int index);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  absl::Status bind_status_;
};

// A statement prepared once and used many times.
class SqliteStatement {
 public:
  SqliteStatement() = default;
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  ~SqliteStatement();

  // One use at a time: the query must be gone before the next Start.
  SqliteQuery Start() { return SqliteQuery(db_, stmt_); }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteConnection {
 public:
  // Opens (creating if needed) the database file read-write.
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(const std::string& path);
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;
  // Statements prepared from the connection must be destroyed first.
  ~SqliteConnection();

  // Runs constant SQL without parameters (schema steps, pragmas, transaction control); it may
  // hold several statements. Never pass values in it: use a prepared statement.
  absl::Status Exec(const char* sql);
  absl::StatusOr<SqliteStatement> Prepare(absl::string_view sql);

  sqlite3* raw() { return db_; }

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
};

// BEGIN IMMEDIATE ... COMMIT: takes the write lock at the start, so a transaction never fails
// half-way for want of upgrading a read lock. Rolls back on destruction unless committed.
class SqliteTransaction {
 public:
  static absl::StatusOr<SqliteTransaction> Begin(SqliteConnection& db);
  SqliteTransaction(SqliteTransaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  ~SqliteTransaction();

  absl::Status Commit();

 private:
  explicit SqliteTransaction(SqliteConnection* db) : db_(db) {}

  // Null once committed or rolled back.
  SqliteConnection* db_;
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_STORAGE_SQLITE_CONNECTION_H_
