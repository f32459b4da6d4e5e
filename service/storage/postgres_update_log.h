// The update log's part of the PostgreSQL storage (schema step 1's update_state, update_log and
// update_consumers): the reads and writes PostgresStorage runs on a connection of its pool. Kept
// apart from postgres_storage.cc so that each stays one concern. The values are kept as the SQLite
// backend keeps them (update_log_blob.h), and the behaviour is storage.h's.
#ifndef TGRPC_SERVICE_STORAGE_POSTGRES_UPDATE_LOG_H_
#define TGRPC_SERVICE_STORAGE_POSTGRES_UPDATE_LOG_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "service/storage/postgres_connection.h"
#include "service/storage/storage.h"

namespace tgrpc::service::postgres_update_log {

// Functions that write more than one row say so: the caller runs them inside a transaction, so
// that they happen whole or not at all. Those that lock the account's row do so first: every
// writer takes the account's row before the rows that hang from it, so two transactions never
// wait for each other in a circle.

// One statement, so head, oldest and state are of one moment. DataLoss if the stored channel pts
// do not read back.
absl::StatusOr<UpdateLogInfo> Get(PgConnection& db, const AccountKey& account);
// In a transaction. Locks the account's row (FOR NO KEY UPDATE) before it reads the head, so
// appends to one account, from any connection or replica, take their positions one after
// another. NotFound if the account does not exist. InvalidArgument for a user or chat of 4 GiB
// or more.
absl::StatusOr<int64_t> Append(PgConnection& db, const AccountKey& account,
                               const std::vector<UpdateLogEntry>& entries,
                               const UpdateStateRecord& state);
// DataLoss naming the position if an entry's users or chats do not read back.
absl::StatusOr<std::vector<UpdateLogEntry>> Read(PgConnection& db, const AccountKey& account,
                                                 int64_t after, size_t limit);
// In a transaction; locks the account's row as Append does.
absl::StatusOr<int64_t> Trim(PgConnection& db, const AccountKey& account,
                             int64_t keep_from_position, int64_t keep_logged_after_unix);
// In a transaction, after the caller has made sure that the account exists (and holds it).
absl::StatusOr<ConsumerRecord> Advance(PgConnection& db, const AccountKey& account,
                                       const ConsumerRecord& record);
absl::StatusOr<std::vector<ConsumerRecord>> Consumers(PgConnection& db, const AccountKey& account);

}  // namespace tgrpc::service::postgres_update_log

#endif  // TGRPC_SERVICE_STORAGE_POSTGRES_UPDATE_LOG_H_
