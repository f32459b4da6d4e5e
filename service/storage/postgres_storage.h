// Storage in a PostgreSQL database (libpq), for several tgrpcd replicas sharing one database. The
// same behaviour as the SQLite storage (the conformance suite holds both to it): secrets sealed
// with a KeyCipher, the schema migrated forward at open (postgres_schema.h), every multi-row write
// in one transaction, and a write that returned OK committed durably (synchronous_commit stays on).
//
// Unlike SQLite's, this storage does not make the database one process's: any number of replicas
// may open it, and writes to one account from several of them are serialized by locks on the
// account's row, so they stay consistent. Which replica serves an account (Telegram revokes a key
// used from two places at once) is decided above storage, by per-account leases.
#ifndef TGRPC_SERVICE_STORAGE_POSTGRES_STORAGE_H_
#define TGRPC_SERVICE_STORAGE_POSTGRES_STORAGE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "service/storage/key_cipher.h"
#include "service/storage/postgres_leases.h"
#include "service/storage/storage.h"

namespace tgrpc::service {

struct PostgresStorageOptions {
  // Connections opened at most, as calls need them (the first at open); a call waits while all
  // are in use. Each serves one call at a time.
  int max_connections = 4;
  // Cluster mode: every write of an account first checks, in its transaction, that this replica
  // still holds the account's lease at the epoch the fence gives (Unavailable, writing nothing,
  // if not). Null: no check (one replica).
  std::shared_ptr<const LeaseFence> fence;
};

// Connects with `conninfo` (a libpq connection string, "host=/run/postgresql dbname=tgrpc", or
// URI; the tables go into the first schema of its search_path, which `options=-csearch_path=...`
// can choose), migrates the schema and checks that `cipher` is the key the database's secrets
// were sealed under (FailedPrecondition if not).
//
// Errors: Unavailable when the server cannot be reached or the connection is lost. A call whose
// connection turns out lost is run once more on a new one, unless the connection was lost during
// its COMMIT: then the write may or may not have been made, and the call is Unavailable. Aborted
// if a transaction still meets a deadlock or serialization failure after three attempts.
absl::StatusOr<std::unique_ptr<Storage>> OpenPostgresStorage(const std::string& conninfo,
                                                             KeyCipher cipher,
                                                             PostgresStorageOptions options = {});

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_STORAGE_POSTGRES_STORAGE_H_
