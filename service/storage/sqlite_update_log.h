// The update log's part of the SQLite storage (schema step 5's tables update_state, update_log and
// update_consumers): its prepared statements, and the reads and writes SqliteStorage runs with
// them under its lock. Kept apart from sqlite_storage.cc so that each stays one concern.
#ifndef TGRPC_SERVICE_STORAGE_SQLITE_UPDATE_LOG_H_
#define TGRPC_SERVICE_STORAGE_SQLITE_UPDATE_LOG_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "service/storage/sqlite_connection.h"
#include "service/storage/storage.h"

namespace tgrpc::service {

// Not thread-safe, like the connection it was prepared on: the owner serializes all use. Methods
// that write more than one row say so; the caller runs them inside a transaction, so that they
// happen whole or not at all. None checks that the account exists: the caller does, where it
// must.
class SqliteUpdateLog {
 public:
  // Prepares the statements on `db`, which must outlive them (and be at schema version 5 or
  // later).
  static absl::StatusOr<SqliteUpdateLog> Prepare(SqliteConnection& db);

  // DataLoss if the stored channel pts do not read back.
  absl::StatusOr<UpdateLogInfo> Get(const AccountKey& account);
  // In a transaction. InvalidArgument for a user or chat of 4 GiB or more.
  absl::StatusOr<int64_t> Append(const AccountKey& account,
                                 const std::vector<UpdateLogEntry>& entries,
                                 const UpdateStateRecord& state);
  // DataLoss naming the position if an entry's users or chats do not read back.
  absl::StatusOr<std::vector<UpdateLogEntry>> Read(const AccountKey& account, int64_t after,
                                                   size_t limit);
  // In a transaction.
  absl::StatusOr<int64_t> Trim(const AccountKey& account, int64_t keep_from_position,
                               int64_t keep_logged_after_unix);
  // In a transaction.
  absl::StatusOr<ConsumerRecord> Advance(const AccountKey& account, const ConsumerRecord& record);
  absl::StatusOr<std::vector<ConsumerRecord>> Consumers(const AccountKey& account);
  // In a transaction: the account's entries, state and consumers.
  absl::Status DeleteAll(const AccountKey& account);

 private:
  SqliteUpdateLog() = default;

  // 0 when the account has stored no state.
  absl::StatusOr<int64_t> Head(const AccountKey& account);
  // The oldest retained position, or head + 1 when none is.
  absl::StatusOr<int64_t> Oldest(const AccountKey& account, int64_t head);

  SqliteStatement get_state_;
  SqliteStatement put_state_;
  SqliteStatement get_head_;
  SqliteStatement oldest_;
  SqliteStatement put_entry_;
  SqliteStatement read_entries_;
  SqliteStatement first_kept_by_age_;
  SqliteStatement trim_below_;
  SqliteStatement put_consumer_;
  SqliteStatement get_consumer_;
  SqliteStatement list_consumers_;
  SqliteStatement delete_entries_;
  SqliteStatement delete_state_;
  SqliteStatement delete_consumers_;
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_STORAGE_SQLITE_UPDATE_LOG_H_
