// A throwaway PostgreSQL server for tests: a cluster made by Debian's initdb in a new directory
// under /tmp, served by `postgres` on a Unix socket in that directory only (no TCP port to pick or
// collide on), with fsync off, stopped and removed when the object goes. PostgreSQL refuses to run
// as root: under root the server runs as the user nobody (the child drops to it before exec), and
// the directory is nobody's; otherwise as the caller. The cluster's default collation is ICU
// en-US, so a test that expects byte order sees it only where the schema asks for it.
#ifndef TGRPC_SERVICE_STORAGE_POSTGRES_TEST_SERVER_H_
#define TGRPC_SERVICE_STORAGE_POSTGRES_TEST_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tgrpc::service {

class PostgresTestServer {
 public:
  // Finds the server binaries (/usr/lib/postgresql/<highest version>/bin, or the directory in
  // $TGRPC_POSTGRES_BINDIR), makes the cluster and starts the server. FailedPrecondition naming
  // deploy/postgres_setup.sh when the binaries are not installed; Internal with the tail of the
  // server's log when it does not come up.
  static absl::StatusOr<std::unique_ptr<PostgresTestServer>> Start();
  PostgresTestServer(const PostgresTestServer&) = delete;
  PostgresTestServer& operator=(const PostgresTestServer&) = delete;
  // Stops the server and removes the directory.
  ~PostgresTestServer();

  // A libpq connection string for `database` as the cluster's superuser, over the socket.
  std::string Conninfo(const std::string& database = "postgres") const;
  // Runs constant SQL (it may hold several statements) in `database`.
  absl::Status Execute(const std::string& database, const std::string& sql) const;
  // CREATE DATABASE `name` (lower-case letters, digits and '_').
  absl::Status CreateDatabase(const std::string& name) const;

  // A fast shutdown: sessions end, and connecting fails until Resume.
  absl::Status Stop();
  // Starts the server again on the same cluster.
  absl::Status Resume();

  // The cluster's files (its data and write-ahead log).
  std::string data_dir() const { return dir_ + "/data"; }

 private:
  PostgresTestServer(std::string bin_dir, std::string dir) : bin_dir_(bin_dir), dir_(dir) {}

  // Runs a server binary as the server's user with output to the log; returns its pid.
  absl::StatusOr<pid_t> Spawn(const std::string& program, const std::vector<std::string>& args);
  absl::Status InitCluster();
  std::string LogTail() const;

  const std::string bin_dir_;
  // Holds data/, the socket and server.log.
  const std::string dir_;
  pid_t postmaster_ = -1;
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_STORAGE_POSTGRES_TEST_SERVER_H_
