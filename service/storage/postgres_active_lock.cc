#include "service/storage/postgres_active_lock.h"

#include "service/storage/postgres_connection.h"

namespace tgrpc::service {
namespace {

// The advisory lock's key: "tgrpcd" in ASCII, so it does not meet other applications' keys.
constexpr char kTryLock[] = "SELECT pg_try_advisory_lock(116103114112099100)";
constexpr char kLock[] = "SELECT pg_advisory_lock(116103114112099100)";

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresActiveLock>> PostgresActiveLock::Acquire(
    const std::string& conninfo, std::function<void()> waiting, std::function<void()> lost,
    absl::Duration check_every) {
  std::unique_ptr<PostgresActiveLock> lock(new PostgresActiveLock());
  absl::StatusOr<std::unique_ptr<PgConnection>> session = PgConnection::Open(conninfo);
  if (!session.ok()) return session.status();
  lock->session_ = *std::move(session);
  absl::StatusOr<PgResult> tried = lock->session_->RunOnce(kTryLock, PgParams());
  if (!tried.ok()) return tried.status();
  if (tried->rows() != 1 || tried->Int(0, 0) == 0) {
    if (waiting) waiting();
    absl::StatusOr<PgResult> taken = lock->session_->RunOnce(kLock, PgParams());
    if (!taken.ok()) return taken.status();
  }
  PostgresActiveLock* raw = lock.get();
  lock->checker_ = std::thread([raw, lost = std::move(lost), check_every] {
    while (!raw->stop_.WaitForNotificationWithTimeout(check_every)) {
      absl::StatusOr<PgResult> alive = raw->session_->RunOnce("SELECT 1", PgParams());
      if (!alive.ok() || raw->session_->lost()) {
        if (lost) lost();
        return;
      }
    }
  });
  return lock;
}

PostgresActiveLock::~PostgresActiveLock() {
  stop_.Notify();
  if (checker_.joinable()) checker_.join();
}

}  // namespace tgrpc::service
