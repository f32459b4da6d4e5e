// One active tgrpcd per PostgreSQL database, until account leases let replicas share one (issue
// 13). Several replicas on one database would each serve every account, and Telegram revokes a
// key used from two places at once (AUTH_KEY_DUPLICATED). So a replica first takes a
// session-level advisory lock on a connection of its own and holds it for its whole life; the
// others wait for it (standbys). The lock goes with the session: when the active replica stops,
// or dies and its socket closes, a standby takes it and starts. A replica that loses its lock
// session (the database restarted, the network failed) is told, so it can stop before a standby
// starts on the same accounts.
#ifndef TGRPC_SERVICE_STORAGE_POSTGRES_ACTIVE_LOCK_H_
#define TGRPC_SERVICE_STORAGE_POSTGRES_ACTIVE_LOCK_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace tgrpc::service {

class PgConnection;

class PostgresActiveLock {
 public:
  // Takes the lock, waiting as long as another replica holds it (`waiting` is called once, first,
  // if so). Then checks the lock's session every `check_every`, and calls `lost` (once, on its
  // own thread) if the session is gone.
  static absl::StatusOr<std::unique_ptr<PostgresActiveLock>> Acquire(
      const std::string& conninfo, std::function<void()> waiting, std::function<void()> lost,
      absl::Duration check_every = absl::Seconds(2));
  PostgresActiveLock(const PostgresActiveLock&) = delete;
  PostgresActiveLock& operator=(const PostgresActiveLock&) = delete;
  // Releases the lock (closes its session).
  ~PostgresActiveLock();

 private:
  PostgresActiveLock() = default;

  std::unique_ptr<PgConnection> session_;
  absl::Notification stop_;
  std::thread checker_;
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_STORAGE_POSTGRES_ACTIVE_LOCK_H_
