// The PostgreSQL storage's schema as an append-only list of steps, like SQLite's
// (sqlite_schema.h): the table tgrpc_schema counts the steps a database has had; opening runs the
// missing ones, each in its own transaction, so a failure mid-migration leaves the database at the
// last whole step. A new version appends a step and never edits an old one. Several replicas may
// open one database at once: each step runs under a transaction-level advisory lock, so one
// replica applies it and the others find it done.
#ifndef TGRPC_SERVICE_STORAGE_POSTGRES_SCHEMA_H_
#define TGRPC_SERVICE_STORAGE_POSTGRES_SCHEMA_H_

#include "absl/status/status.h"
#include "service/storage/postgres_connection.h"

namespace tgrpc::service {

// The version this build brings databases to: the number of steps it knows.
inline constexpr int kPostgresSchemaVersion = 2;

// Runs the steps the database lacks, in the schema the connection's search_path names first.
// FailedPrecondition for a database of a later version than kPostgresSchemaVersion: a newer
// tgrpcd wrote it and this one cannot know what changed.
absl::Status MigratePostgresSchema(PgConnection& db);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_STORAGE_POSTGRES_SCHEMA_H_
