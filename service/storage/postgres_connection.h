// A thin layer over libpq for the PostgreSQL storage: absl::Status instead of result states and
// SQLSTATEs, parameters and results in binary format (nothing escaped or parsed as text: bytes go
// and come back as they are), statements prepared on a connection the first time they run there,
// and transactions that roll back unless committed. Not thread-safe: the owner serializes all use
// of a connection (the storage's pool lends each to one caller at a time).
#ifndef TGRPC_SERVICE_STORAGE_POSTGRES_CONNECTION_H_
#define TGRPC_SERVICE_STORAGE_POSTGRES_CONNECTION_H_

#include <postgresql/libpq-fe.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tgrpc::service {

// A status for a failed command: a lost connection (or a server shutting down) is Unavailable,
// a serialization failure or deadlock Aborted (the server rolled the transaction back: running it
// again is safe), a violated constraint FailedPrecondition, a value the server refuses (text that
// is not UTF-8, a number out of range) InvalidArgument, a full disk or too many connections
// ResourceExhausted, a corrupted page DataLoss. `result` may be null.
absl::Status PostgresStatus(PGconn* conn, const PGresult* result, absl::string_view what);

// A statement that is prepared on each connection the first time it runs there, under `name`
// (unique among the storage's statements), with the parameter types of that first run.
struct PgStatement {
  const char* name;
  const char* sql;
};

// Parameters ($1, $2, ... in the order added), each sent in binary with its type fixed here: the
// server neither infers types nor parses text. Integers are all bigint (the server converts on
// assignment to an integer column).
class PgParams {
 public:
  // text: a NUL byte, which PostgreSQL's text cannot hold, is InvalidArgument at the run (rather
  // than cutting the string short); text that is not valid in the database's encoding is refused
  // by the server (InvalidArgument).
  PgParams& Text(absl::string_view value);
  PgParams& Bytes(absl::string_view value);  // bytea
  PgParams& Int(int64_t value);              // bigint
  PgParams& Bool(bool value);
  PgParams& NullBytes();  // a bytea NULL

  int size() const { return static_cast<int>(types_.size()); }
  const std::vector<Oid>& types() const { return types_; }

 private:
  friend class PgConnection;

  void Add(Oid type, std::string value, bool null);

  std::vector<Oid> types_;
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
  absl::Status error_;
};

// A command's rows, in binary format.
class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result) {}

  int rows() const { return PQntuples(result_.get()); }
  // A bigint, integer, smallint or boolean column; 0 for NULL.
  int64_t Int(int row, int column) const;
  // A text or bytea column's bytes; empty for NULL.
  std::string Bytes(int row, int column) const;
  bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }

 private:
  struct Clear {
    void operator()(PGresult* result) const { PQclear(result); }
  };
  std::unique_ptr<PGresult, Clear> result_;
};

class PgConnection {
 public:
  // Connects with `conninfo`, a libpq connection string or URI (its password is never put in a
  // message). Sets what the storage relies on for every session: client_encoding UTF8,
  // synchronous_commit on where the server has it off (a commit must be on disk when it returns),
  // and a connect_timeout of 10 s unless the conninfo gives one. Unavailable if the server
  // cannot be reached; InvalidArgument for a conninfo libpq cannot parse.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Open(const std::string& conninfo);
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection();

  // Runs constant SQL without parameters (schema steps, transaction control); it may hold several
  // statements. Never put values in it: use Run.
  absl::Status Exec(const char* sql);
  // Prepares `statement` on this connection if it is not yet (Internal if it was prepared with
  // other parameter types), then runs it.
  absl::StatusOr<PgResult> Run(const PgStatement& statement, const PgParams& params);
  // SQL built at run time from constant text and placeholders only (a multi-row insert whose
  // row count varies): parsed at each run, never prepared.
  absl::StatusOr<PgResult> RunOnce(const std::string& sql, const PgParams& params);

  // True once the connection to the server is gone: every command fails Unavailable until
  // Reconnect.
  bool lost() const { return conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD; }
  // True when the connection was lost while a COMMIT was under way: whether it took effect is
  // unknown, so the transaction must not simply run again. Cleared by Reconnect.
  bool lost_in_commit() const { return lost_in_commit_; }
  // Opens a new session in place of a lost one; its statements are prepared anew as they run.
  absl::Status Reconnect();

  // "database D on H" as the session names it, for messages.
  std::string Describe() const;

 private:
  friend class PgTransaction;

  explicit PgConnection(std::string conninfo) : conninfo_(std::move(conninfo)) {}
  absl::Status Connect();
  absl::StatusOr<PgResult> Check(PGresult* result, absl::string_view what);

  const std::string conninfo_;
  PGconn* conn_ = nullptr;
  // Statement name -> the parameter types it was prepared with, in this session.
  std::map<std::string, std::vector<Oid>> prepared_;
  bool lost_in_commit_ = false;
};

// BEGIN ... COMMIT at READ COMMITTED: callers take the row locks they need (SELECT ... FOR ...)
// as their first statement. Rolls back on destruction unless committed.
class PgTransaction {
 public:
  static absl::StatusOr<PgTransaction> Begin(PgConnection& db);
  PgTransaction(PgTransaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  PgTransaction& operator=(PgTransaction&&) = delete;
  ~PgTransaction();

  // Aborted if the server rolled back instead (the transaction had failed); Unavailable, with
  // lost_in_commit() set, if the connection was lost on the way.
  absl::Status Commit();

 private:
  explicit PgTransaction(PgConnection* db) : db_(db) {}

  // Null once committed or rolled back.
  PgConnection* db_;
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_STORAGE_POSTGRES_CONNECTION_H_
