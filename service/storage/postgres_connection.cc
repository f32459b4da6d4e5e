#include "service/storage/postgres_connection.h"

#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace tgrpc::service {
namespace {

// Type OIDs of the parameters we send (catalog/pg_type_d.h, which libpq-dev does not ship).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;

constexpr int kBinary = 1;

absl::StatusCode CodeForSqlState(absl::string_view state) {
  // 57P01-03: the server is shutting down, crashed or still starting; 25006: a read-only
  // transaction, as on a standby that was not promoted. All pass once a server is back.
  if (state == "57P01" || state == "57P02" || state == "57P03" || state == "25006") {
    return absl::StatusCode::kUnavailable;
  }
  if (state == "57014") return absl::StatusCode::kDeadlineExceeded;  // a statement timeout
  if (state == "55P03") return absl::StatusCode::kUnavailable;       // a lock held elsewhere
  if (state == "XX001" || state == "XX002") return absl::StatusCode::kDataLoss;
  if (state == "42501") return absl::StatusCode::kPermissionDenied;
  const absl::string_view state_class = state.substr(0, 2);
  if (state_class == "08") return absl::StatusCode::kUnavailable;
  if (state_class == "40") return absl::StatusCode::kAborted;
  if (state_class == "23") return absl::StatusCode::kFailedPrecondition;
  if (state_class == "22") return absl::StatusCode::kInvalidArgument;
  if (state_class == "53") return absl::StatusCode::kResourceExhausted;
  if (state_class == "28") return absl::StatusCode::kPermissionDenied;
  // Among others 42 (a statement that does not fit the schema: a bug, or tables changed by hand).
  return absl::StatusCode::kInternal;
}

// libpq's messages end in a newline.
std::string Trimmed(const char* message) {
  return std::string(absl::StripTrailingAsciiWhitespace(message == nullptr ? "" : message));
}

// The argument arrays PQexecPrepared and PQexecParams take, pointing into a PgParams' values.
struct Arguments {
  Arguments(const std::vector<std::string>& values, const std::vector<bool>& nulls) {
    for (size_t i = 0; i < values.size(); ++i) {
      pointers.push_back(nulls[i] ? nullptr : values[i].data());
      lengths.push_back(static_cast<int>(values[i].size()));
      formats.push_back(kBinary);
    }
  }
  std::vector<const char*> pointers;
  std::vector<int> lengths;
  std::vector<int> formats;
};

// Notices (CREATE TABLE IF NOT EXISTS on a table that exists) would go to stderr.
void IgnoreNotice(void*, const char*) {}

}  // namespace

absl::Status PostgresStatus(PGconn* conn, const PGresult* result, absl::string_view what) {
  std::string message;
  std::string state;
  if (result != nullptr) {
    message = Trimmed(PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY));
    state = Trimmed(PQresultErrorField(result, PG_DIAG_SQLSTATE));
  }
  if (message.empty()) message = conn != nullptr ? Trimmed(PQerrorMessage(conn)) : "out of memory";
  // No SQLSTATE: libpq failed on this side (out of memory, a protocol error).
  absl::StatusCode code = state.size() == 5 ? CodeForSqlState(state) : absl::StatusCode::kInternal;
  if (conn == nullptr || PQstatus(conn) == CONNECTION_BAD) {
    code = absl::StatusCode::kUnavailable;
    message = absl::StrCat("the connection to PostgreSQL was lost: ", message);
  }
  if (!state.empty()) absl::StrAppend(&message, " (SQLSTATE ", state, ")");
  return absl::Status(code, absl::StrCat(what, ": ", message));
}

void PgParams::Add(Oid type, std::string value, bool null) {
  types_.push_back(type);
  values_.push_back(std::move(value));
  nulls_.push_back(null);
}

PgParams& PgParams::Text(absl::string_view value) {
  if (error_.ok() && absl::StrContains(value, absl::string_view("\0", 1))) {
    error_ = absl::InvalidArgumentError(absl::StrCat(
        "parameter $", size() + 1, " holds a NUL byte, which PostgreSQL text cannot store"));
  }
  Add(kTextOid, std::string(value), false);
  return *this;
}

PgParams& PgParams::Bytes(absl::string_view value) {
  Add(kByteaOid, std::string(value), false);
  return *this;
}

PgParams& PgParams::Int(int64_t value) {
  // bigint's binary form: 8 bytes, big-endian, two's complement.
  std::string bytes(8, '\0');
  const auto bits = static_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(bits >> (56 - 8 * i));
  Add(kInt8Oid, std::move(bytes), false);
  return *this;
}

PgParams& PgParams::Bool(bool value) {
  Add(kBoolOid, std::string(1, value ? '\1' : '\0'), false);
  return *this;
}

PgParams& PgParams::NullBytes() {
  Add(kByteaOid, "", true);
  return *this;
}

int64_t PgResult::Int(int row, int column) const {
  if (IsNull(row, column)) return 0;
  const char* value = PQgetvalue(result_.get(), row, column);
  const int length = PQgetlength(result_.get(), row, column);
  uint64_t bits = 0;
  for (int i = 0; i < length; ++i) bits = (bits << 8) | static_cast<uint8_t>(value[i]);
  switch (length) {  // boolean, smallint, integer, bigint: big-endian, two's complement
    case 1:
      return static_cast<int64_t>(bits);
    case 2:
      return static_cast<int16_t>(bits);
    case 4:
      return static_cast<int32_t>(bits);
    case 8:
      return static_cast<int64_t>(bits);
    default:
      return 0;
  }
}

std::string PgResult::Bytes(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     PQgetlength(result_.get(), row, column));
}

absl::StatusOr<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& conninfo) {
  std::unique_ptr<PgConnection> db(new PgConnection(conninfo));
  TGRPC_RETURN_IF_ERROR(db->Connect());
  return db;
}

PgConnection::~PgConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

absl::Status PgConnection::Connect() {
  if (conn_ != nullptr) PQfinish(std::exchange(conn_, nullptr));
  prepared_.clear();
  lost_in_commit_ = false;

  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo_.c_str(), &parse_error);
  if (options == nullptr) {
    const std::string message = Trimmed(parse_error != nullptr ? parse_error : "out of memory");
    PQfreemem(parse_error);
    return absl::InvalidArgumentError(
        absl::StrCat("the PostgreSQL connection string does not parse: ", message));
  }
  bool has_timeout = false;
  for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (std::strcmp(option->keyword, "connect_timeout") == 0 && option->val != nullptr &&
        option->val[0] != '\0') {
      has_timeout = true;
    }
  }
  PQconninfoFree(options);

  // The conninfo goes in as "dbname" and is expanded; what follows it overrides it. Text crosses
  // as UTF-8 bytes; a server that does not answer must not hold a caller forever.
  std::vector<const char*> keywords = {"dbname", "client_encoding", "fallback_application_name"};
  std::vector<const char*> values = {conninfo_.c_str(), "UTF8", "tgrpcd"};
  if (!has_timeout) {
    keywords.push_back("connect_timeout");
    values.push_back("10");
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) return absl::ResourceExhaustedError("libpq: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string message = Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return absl::UnavailableError(absl::StrCat("connect to PostgreSQL: ", message));
  }
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  conn_ = conn;

  // An operator may run the server with synchronous_commit off for speed; then a commit that
  // returned could still be lost to a crash, and an auth key Telegram has accepted with it. Any
  // other setting (local, remote_write, on, remote_apply) flushes locally at least: kept.
  TGRPC_ASSIGN_OR_RETURN(PgResult setting,
                         Check(PQexecParams(conn_, "SHOW synchronous_commit", 0, nullptr, nullptr,
                                            nullptr, nullptr, kBinary),
                               "SHOW synchronous_commit"));
  if (setting.rows() == 1 && setting.Bytes(0, 0) == "off") {
    TGRPC_RETURN_IF_ERROR(Exec("SET synchronous_commit = on"));
  }
  return absl::OkStatus();
}

absl::Status PgConnection::Reconnect() { return Connect(); }

std::string PgConnection::Describe() const {
  if (conn_ == nullptr) return "no connection";
  const char* host = PQhost(conn_);
  return absl::StrCat("database ", PQdb(conn_), " on ", host != nullptr ? host : "", ":",
                      PQport(conn_));
}

absl::StatusOr<PgResult> PgConnection::Check(PGresult* result, absl::string_view what) {
  PgResult owned(result);
  const ExecStatusType status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return owned;
  return PostgresStatus(conn_, result, what);
}

absl::Status PgConnection::Exec(const char* sql) {
  if (lost()) return PostgresStatus(conn_, nullptr, sql);
  return Check(PQexec(conn_, sql), sql).status();
}

absl::StatusOr<PgResult> PgConnection::Run(const PgStatement& statement, const PgParams& params) {
  if (!params.error_.ok()) {
    return absl::Status(params.error_.code(),
                        absl::StrCat(statement.name, ": ", params.error_.message()));
  }
  if (lost()) return PostgresStatus(conn_, nullptr, statement.name);
  auto prepared = prepared_.find(statement.name);
  if (prepared == prepared_.end()) {
    TGRPC_RETURN_IF_ERROR(
        Check(PQprepare(conn_, statement.name, statement.sql, params.size(), params.types().data()),
              absl::StrCat("prepare ", statement.name))
            .status());
    prepared_.emplace(statement.name, params.types());
  } else if (prepared->second != params.types()) {
    return absl::InternalError(absl::StrCat(
        statement.name, " was run with other parameter types than it was prepared with"));
  }
  const Arguments arguments(params.values_, params.nulls_);
  return Check(PQexecPrepared(conn_, statement.name, params.size(), arguments.pointers.data(),
                              arguments.lengths.data(), arguments.formats.data(), kBinary),
               statement.name);
}

absl::StatusOr<PgResult> PgConnection::RunOnce(const std::string& sql, const PgParams& params) {
  if (!params.error_.ok()) return params.error_;
  if (lost()) return PostgresStatus(conn_, nullptr, "run");
  const Arguments arguments(params.values_, params.nulls_);
  return Check(PQexecParams(conn_, sql.c_str(), params.size(), params.types().data(),
                            arguments.pointers.data(), arguments.lengths.data(),
                            arguments.formats.data(), kBinary),
               absl::StrCat("run ", sql.substr(0, 40)));
}

absl::StatusOr<PgTransaction> PgTransaction::Begin(PgConnection& db) {
  TGRPC_RETURN_IF_ERROR(db.Exec("BEGIN"));
  return PgTransaction(&db);
}

PgTransaction::~PgTransaction() {
  // A lost session's transaction was rolled back by the server when the session ended.
  if (db_ != nullptr && !db_->lost()) PQclear(PQexec(db_->conn_, "ROLLBACK"));
}

absl::Status PgTransaction::Commit() {
  PgConnection* db = std::exchange(db_, nullptr);
  if (db->lost()) return PostgresStatus(db->conn_, nullptr, "COMMIT");
  PGresult* raw = PQexec(db->conn_, "COMMIT");
  // Read before Check takes ownership of the result.
  const std::string command = raw != nullptr ? PQcmdStatus(raw) : "";
  absl::StatusOr<PgResult> result = db->Check(raw, "COMMIT");
  if (!result.ok()) {
    if (!db->lost()) return result.status();
    db->lost_in_commit_ = true;
    return absl::UnavailableError(absl::StrCat(
        result.status().message(), "; whether the transaction was committed is unknown"));
  }
  // COMMIT of a transaction that had failed succeeds, and says ROLLBACK.
  if (command != "COMMIT") {
    return absl::AbortedError(absl::StrCat("the transaction was rolled back (", command, ")"));
  }
  return absl::OkStatus();
}

}  // namespace tgrpc::service
