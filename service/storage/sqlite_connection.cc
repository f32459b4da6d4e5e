#include "service/storage/sqlite_connection.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tgrpc::service {

absl::Status SqliteStatus(int code, sqlite3* db, absl::string_view what) {
  // sqlite3_errmsg describes the connection's most recent error, which is this one only if it
  // came from the connection; a code from elsewhere gets SQLite's generic text for it.
  const char* detail = db != nullptr && sqlite3_extended_errcode(db) == code ? sqlite3_errmsg(db)
                                                                             : sqlite3_errstr(code);
  const std::string message =
      absl::StrFormat("sqlite: %s: %s (code %d)", what, detail != nullptr ? detail : "", code);
  switch (code & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(message);
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_TOOBIG:
      return absl::ResourceExhaustedError(message);
    case SQLITE_CONSTRAINT:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
      return absl::FailedPreconditionError(message);
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return absl::PermissionDeniedError(message);
    default:
      return absl::InternalError(message);
  }
}

SqliteQuery::~SqliteQuery() {
  // The result of reset repeats the last step's error, already reported.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void SqliteQuery::Record(int rc, int index) {
  if (rc != SQLITE_OK && bind_status_.ok()) {
    bind_status_ = SqliteStatus(rc, db_, absl::StrCat("bind parameter ", index));
  }
}

SqliteQuery& SqliteQuery::Bind(int index, int64_t value) {
  Record(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

SqliteQuery& SqliteQuery::BindText(int index, absl::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies, so the caller's buffer need not outlive the query.
  Record(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
  return *this;
}

SqliteQuery& SqliteQuery::BindBlob(int index, absl::string_view value) {
  // A null pointer would bind NULL; an empty blob must stay an empty blob.
  static const char kEmpty = 0;
  Record(sqlite3_bind_blob64(stmt_, index, value.empty() ? &kEmpty : value.data(), value.size(),
                             SQLITE_TRANSIENT),
         index);
  return *this;
}

SqliteQuery& SqliteQuery::BindNull(int index) {
  Record(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

absl::StatusOr<bool> SqliteQuery::Step() {
  if (!bind_status_.ok()) return bind_status_;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(rc, db_, absl::StrCat("step \"", sqlite3_sql(stmt_), "\""));
}

absl::Status SqliteQuery::Run() {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

int64_t SqliteQuery::ColumnInt(int column) { return sqlite3_column_int64(stmt_, column); }

std::string SqliteQuery::ColumnText(int column) {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  // Read the size after the pointer: the conversion to text may change it.
  const int size = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

std::string SqliteQuery::ColumnBlob(int column) {
  const void* blob = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (blob == nullptr) return std::string();
  return std::string(static_cast<const char*>(blob), static_cast<size_t>(size));
}

bool SqliteQuery::ColumnIsNull(int column) {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path) {
  sqlite3* db = nullptr;
  // NOMUTEX: the owner serializes access already. EXRESCODE: extended codes from every call.
  const int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteStatus(rc, db, absl::StrCat("open ", path));
    sqlite3_close_v2(db);
    return status;
  }
  return std::unique_ptr<SqliteConnection>(new SqliteConnection(db));
}

SqliteConnection::~SqliteConnection() { sqlite3_close_v2(db_); }

absl::Status SqliteConnection::Exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(rc, db_, absl::StrCat("run \"", sql, "\""));
  return absl::OkStatus();
}

absl::StatusOr<SqliteStatement> SqliteConnection::Prepare(absl::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  // PERSISTENT: these statements live as long as the connection.
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, db_, absl::StrCat("prepare \"", sql, "\""));
  }
  return SqliteStatement(db_, stmt);
}

absl::StatusOr<SqliteTransaction> SqliteTransaction::Begin(SqliteConnection& db) {
  absl::Status begun = db.Exec("BEGIN IMMEDIATE");
  if (!begun.ok()) return begun;
  return SqliteTransaction(&db);
}

SqliteTransaction::~SqliteTransaction() {
  // A failed COMMIT may already have rolled back (an I/O error does): then there is nothing to
  // roll back, and ROLLBACK would only fail.
  if (db_ != nullptr && sqlite3_get_autocommit(db_->raw()) == 0) {
    db_->Exec("ROLLBACK").IgnoreError();
  }
}

absl::Status SqliteTransaction::Commit() {
  absl::Status committed = db_->Exec("COMMIT");
  if (committed.ok()) db_ = nullptr;
  return committed;
}

}  // namespace tgrpc::service
