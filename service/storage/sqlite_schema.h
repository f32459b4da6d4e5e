// The SQLite storage's schema as an append-only list of steps. PRAGMA user_version counts the
// steps a database has had; opening runs the missing ones, each in its own transaction, so a crash
// mid-migration leaves the database at the last whole step. A new version appends a step and
// never edits an old one (databases in the field have run it as it was).
#ifndef TGRPC_SERVICE_STORAGE_SQLITE_SCHEMA_H_
#define TGRPC_SERVICE_STORAGE_SQLITE_SCHEMA_H_

#include "absl/status/status.h"
#include "service/storage/sqlite_connection.h"

namespace tgrpc::service {

// The version this build brings databases to: the number of steps it knows.
inline constexpr int kSqliteSchemaVersion = 5;

// Runs the steps the database lacks. FailedPrecondition for a database of a later version than
// kSqliteSchemaVersion: a newer tgrpcd wrote it and this one cannot know what changed.
absl::Status MigrateSqliteSchema(SqliteConnection& db);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_STORAGE_SQLITE_SCHEMA_H_
