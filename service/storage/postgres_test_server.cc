#include "service/storage/postgres_test_server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <postgresql/libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace tgrpc::service {
namespace {

constexpr char kSuperuser[] = "tgrpc_test";
constexpr auto kStartTimeout = std::chrono::seconds(30);
constexpr auto kStopTimeout = std::chrono::seconds(30);
constexpr auto kPollInterval = std::chrono::milliseconds(20);

bool HasServerBinaries(const std::string& bin) {
  return access((bin + "/initdb").c_str(), X_OK) == 0 &&
         access((bin + "/postgres").c_str(), X_OK) == 0;
}

// $TGRPC_POSTGRES_BINDIR, or else the newest /usr/lib/postgresql/<version>/bin, if it has initdb
// and postgres.
absl::StatusOr<std::string> FindBinDir() {
  std::string best;
  if (const char* dir = std::getenv("TGRPC_POSTGRES_BINDIR"); dir != nullptr && *dir != '\0') {
    if (HasServerBinaries(dir)) best = dir;
  } else {
    int best_version = -1;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", error)) {
      int version = 0;
      const std::string bin = entry.path().string() + "/bin";
      if (absl::SimpleAtoi(entry.path().filename().string(), &version) && version > best_version &&
          HasServerBinaries(bin)) {
        best_version = version;
        best = bin;
      }
    }
  }
  if (best.empty()) {
    return absl::FailedPreconditionError(
        "the PostgreSQL server (initdb and postgres in $TGRPC_POSTGRES_BINDIR or "
        "/usr/lib/postgresql/<version>/bin) is not installed: run deploy/postgres_setup.sh, which "
        "installs Debian's postgresql");
  }
  return best;
}

// Who the server runs as: nobody under root, which PostgreSQL refuses; nullopt for the caller.
struct ServerUser {
  uid_t uid;
  gid_t gid;
};
absl::StatusOr<std::optional<ServerUser>> UserToRunAs() {
  if (geteuid() != 0) return std::nullopt;
  const passwd* nobody = getpwnam("nobody");
  if (nobody == nullptr) {
    return absl::FailedPreconditionError(
        "running as root, and there is no user nobody to run PostgreSQL as (it refuses root)");
  }
  return ServerUser{nobody->pw_uid, nobody->pw_gid};
}

bool ValidName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresTestServer>> PostgresTestServer::Start() {
  TGRPC_ASSIGN_OR_RETURN(const std::string bin_dir, FindBinDir());
  TGRPC_ASSIGN_OR_RETURN(const std::optional<ServerUser> user, UserToRunAs());
  // /tmp rather than $TEST_TMPDIR: the server's user must reach the directory, and Bazel's
  // temporary directory lies under root's home, closed to others. Short, too: a socket's path
  // has room for 107 bytes.
  char dir[] = "/tmp/tgrpc-pg-XXXXXX";
  if (mkdtemp(dir) == nullptr) return absl::ErrnoToStatus(errno, "mkdtemp /tmp/tgrpc-pg-XXXXXX");
  std::unique_ptr<PostgresTestServer> server(new PostgresTestServer(bin_dir, dir));
  if (user.has_value() && chown(dir, user->uid, user->gid) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("chown ", dir, " to nobody"));
  }
  TGRPC_RETURN_IF_ERROR(server->InitCluster());
  TGRPC_RETURN_IF_ERROR(server->Resume());
  return server;
}

PostgresTestServer::~PostgresTestServer() {
  static_cast<void>(Stop());
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string PostgresTestServer::Conninfo(const std::string& database) const {
  return absl::StrCat("host=", dir_, " user=", kSuperuser, " dbname=", database);
}

absl::Status PostgresTestServer::Execute(const std::string& database,
                                         const std::string& sql) const {
  PGconn* conn = PQconnectdb(Conninfo(database).c_str());
  absl::Status status;
  if (PQstatus(conn) != CONNECTION_OK) {
    status = absl::UnavailableError(absl::StrCat("connect: ", PQerrorMessage(conn)));
  } else {
    PGresult* result = PQexec(conn, sql.c_str());
    const ExecStatusType outcome = PQresultStatus(result);
    if (outcome != PGRES_COMMAND_OK && outcome != PGRES_TUPLES_OK) {
      status = absl::InternalError(absl::StrCat(sql, ": ", PQerrorMessage(conn)));
    }
    PQclear(result);
  }
  PQfinish(conn);
  return status;
}

absl::Status PostgresTestServer::CreateDatabase(const std::string& name) const {
  if (!ValidName(name)) return absl::InvalidArgumentError(absl::StrCat("database name ", name));
  // FILE_COPY copies the template's files; the default, WAL_LOG, would also write all of them
  // (some 7 MB) to the write-ahead log, for every database a test makes.
  return Execute("postgres", absl::StrCat("CREATE DATABASE ", name, " STRATEGY FILE_COPY"));
}

absl::StatusOr<pid_t> PostgresTestServer::Spawn(const std::string& program,
                                                const std::vector<std::string>& args) {
  TGRPC_ASSIGN_OR_RETURN(const std::optional<ServerUser> user, UserToRunAs());
  // Everything the child needs is made before fork: after it, only async-signal-safe calls.
  const std::string path = absl::StrCat(bin_dir_, "/", program);
  const std::string log = absl::StrCat(dir_, "/server.log");
  std::vector<std::string> words = {path};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid < 0) return absl::ErrnoToStatus(errno, "fork");
  if (pid == 0) {
    const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    const int in = open("/dev/null", O_RDONLY);
    if (out < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) _exit(126);
    if (user.has_value() &&
        (setgroups(0, nullptr) != 0 || setgid(user->gid) != 0 || setuid(user->uid) != 0)) {
      _exit(126);
    }
    // A test that dies must not leave a server behind: the kernel sends SIGQUIT (an immediate
    // shutdown) when the test process goes. Set after setuid, which clears it.
    if (prctl(PR_SET_PDEATHSIG, SIGQUIT) != 0 || getppid() != parent) _exit(125);
    execv(path.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

absl::Status PostgresTestServer::InitCluster() {
  // No fsync (-N): the cluster lives as long as the test. ICU en-US as the default collation:
  // see the header.
  TGRPC_ASSIGN_OR_RETURN(
      const pid_t pid,
      Spawn("initdb", {"-D", data_dir(), "-U", kSuperuser, "-A", "trust", "-E", "UTF8",
                       "--locale=C.UTF-8", "--locale-provider=icu", "--icu-locale=en-US", "-N"}));
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return absl::ErrnoToStatus(errno, "waitpid initdb");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(
        absl::StrCat("initdb failed (wait status ", status, "): ", LogTail()));
  }
  return absl::OkStatus();
}

absl::Status PostgresTestServer::Resume() {
  if (postmaster_ > 0) return absl::FailedPreconditionError("the server is running");
  // The socket only: no TCP port. fsync and full-page writes off: nothing here must survive a
  // power cut, and they are most of a commit's time.
  TGRPC_ASSIGN_OR_RETURN(
      postmaster_,
      Spawn("postgres", {"-D", data_dir(), "-k", dir_, "-c", "listen_addresses=", "-c", "fsync=off",
                         "-c", "full_page_writes=off", "-c", "shared_buffers=16MB"}));
  const std::string conninfo = Conninfo();
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (PQping(conninfo.c_str()) != PQPING_OK) {
    int status = 0;
    if (waitpid(postmaster_, &status, WNOHANG) == postmaster_) {
      postmaster_ = -1;
      return absl::InternalError(
          absl::StrCat("postgres exited (wait status ", status, "): ", LogTail()));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("postgres did not accept connections within 30 s: ", LogTail()));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return absl::OkStatus();
}

absl::Status PostgresTestServer::Stop() {
  if (postmaster_ <= 0) return absl::OkStatus();
  const pid_t pid = std::exchange(postmaster_, -1);
  kill(pid, SIGINT);  // a fast shutdown: sessions are ended, nothing waits for them
  const auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return absl::DeadlineExceededError(absl::StrCat("postgres did not stop: ", LogTail()));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return absl::OkStatus();
}

std::string PostgresTestServer::LogTail() const {
  std::ifstream in(dir_ + "/server.log");
  std::stringstream contents;
  contents << in.rdbuf();
  const std::string log = contents.str();
  return log.size() <= 2000 ? log : log.substr(log.size() - 2000);
}

}  // namespace tgrpc::service
