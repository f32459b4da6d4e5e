// Storage in one SQLite file: the embedded default, for one tgrpcd process. WAL with
// synchronous=FULL, so a write that returned OK survives a crash or power loss; secrets sealed
// with a KeyCipher; the schema migrated forward at open (sqlite_schema.h).
#ifndef TGRPC_SERVICE_STORAGE_SQLITE_STORAGE_H_
#define TGRPC_SERVICE_STORAGE_SQLITE_STORAGE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "service/storage/key_cipher.h"
#include "service/storage/storage.h"

namespace tgrpc::service {

// Opens or creates the database at `path` (created with mode 0600), migrates its schema and
// checks that `cipher` is the key its secrets were sealed under (FailedPrecondition if not).
//
// Telegram revokes a key used from two places at once (AUTH_KEY_DUPLICATED), so an account must be
// served by one process at a time. Here that is one process per database: the storage holds an
// exclusive lock on "<path>.lock" for its whole life, and opening a database another storage
// holds, in this process or another, is FailedPrecondition. The kernel drops the lock when a
// process dies, however it dies.
absl::StatusOr<std::unique_ptr<Storage>> OpenSqliteStorage(const std::string& path,
                                                           KeyCipher cipher);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_STORAGE_SQLITE_STORAGE_H_
