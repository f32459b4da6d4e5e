#include "tests/crash/tgrpcd_child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace tgrpc::crash {

namespace {

constexpr char kBinary[] = "service/tgrpcd";

bool HasRunfiles(const std::filesystem::path& dir) {
  std::error_code error;
  return std::filesystem::exists(dir / kBinary, error) &&
         std::filesystem::exists(dir / "tl/schema/api.tl", error);
}

// The integer after `"key":` in a one-line JSON object, or -1.
int JsonInt(const std::string& line, const std::string& key) {
  const std::string quoted = absl::StrCat("\"", key, "\"");
  size_t at = line.find(quoted);
  if (at == std::string::npos) return -1;
  at = line.find(':', at + quoted.size());
  if (at == std::string::npos) return -1;
  size_t end = at + 1;
  while (end < line.size() && (line[end] == ' ' || (line[end] >= '0' && line[end] <= '9'))) ++end;
  int value = -1;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(at + 1, end - at - 1)), &value)) {
    return -1;
  }
  return value;
}

}  // namespace

int EnvInt(const char* name, int fallback) {
  const char* value = std::getenv(name);
  int parsed = 0;
  return value != nullptr && absl::SimpleAtoi(value, &parsed) ? parsed : fallback;
}

absl::Status EnterRunfiles(const char* argv0) {
  if (HasRunfiles(std::filesystem::current_path())) return absl::OkStatus();
  std::vector<std::filesystem::path> candidates;
  if (const char* srcdir = std::getenv("TEST_SRCDIR")) {
    candidates.push_back(std::filesystem::path(srcdir) / "tgrpc");
  }
  if (const char* dir = std::getenv("RUNFILES_DIR")) {
    candidates.push_back(std::filesystem::path(dir) / "tgrpc");
  }
  if (argv0 != nullptr) {
    std::error_code error;
    std::filesystem::path self = std::filesystem::absolute(argv0, error);
    candidates.push_back(std::filesystem::path(self.string() + ".runfiles") / "tgrpc");
  }
  for (const std::filesystem::path& dir : candidates) {
    if (HasRunfiles(dir)) {
      std::filesystem::current_path(dir);
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError(
      "cannot find the runfiles (service/tgrpcd, tl/schema): run through bazel run / bazel test, "
      "or from bazel-bin after a build");
}

std::vector<std::string> SandboxFlags(const fakedc::FakeDc& dc, const std::string& public_key_path,
                                      const std::string& state_dir) {
  std::vector<std::string> dcs;
  for (int id = 1; id <= 3; ++id) dcs.push_back(absl::StrCat(id, "=127.0.0.1:", dc.port(id)));
  return {
      "--listen=127.0.0.1:0",
      "--metrics_listen=127.0.0.1:0",
      absl::StrCat("--state_dir=", state_dir),
      "--telegram=sandbox",
      absl::StrCat("--sandbox_dcs=", absl::StrJoin(dcs, ",")),
      absl::StrCat("--sandbox_public_key=", public_key_path),
      "--api_id=1",
      "--api_hash=crash",
      absl::StrCat("--token=crash:", kToken),
      "--shutdown_grace=2s",
  };
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<TgrpcdChild>> TgrpcdChild::Spawn(
    const std::vector<std::string>& flags, const std::string& log_path, const std::string& binary) {
  const std::string program =
      binary.empty() ? (std::filesystem::current_path() / kBinary).string() : binary;
  // Everything the child needs is made before fork: after it, only async-signal-safe calls.
  std::vector<std::string> args = {program};
  args.insert(args.end(), flags.begin(), flags.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int log_fd = -1;
  if (!log_path.empty()) {
    log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("open ", log_path));
  }
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    if (log_fd >= 0) close(log_fd);
    return absl::ErrnoToStatus(errno, "pipe2");
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    close(out[0]);
    close(out[1]);
    if (log_fd >= 0) close(log_fd);
    return absl::ErrnoToStatus(error, "fork");
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(out[1], STDOUT_FILENO);
    if (log_fd >= 0) dup2(log_fd, STDERR_FILENO);
    // The parent's sockets (fakedc's listeners, gRPC channels) stay with the parent.
    close_range(3, ~0U, 0);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  if (log_fd >= 0) close(log_fd);
  std::unique_ptr<TgrpcdChild> child(new TgrpcdChild());
  child->pid_ = pid;
  child->stdout_fd_ = out[0];
  return child;
}

TgrpcdChild::~TgrpcdChild() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

absl::StatusOr<int> TgrpcdChild::WaitReady(absl::Duration guard) {
  const absl::Time deadline = absl::Now() + guard;
  while (true) {
    const size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      const std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      const int grpc = JsonInt(line, "grpc_port");
      if (grpc > 0) {
        grpc_port_ = grpc;
        metrics_port_ = JsonInt(line, "metrics_port");
        return grpc_port_;
      }
      continue;  // not the ready line
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(absl::StrCat(
          "tgrpcd (pid ", pid_, ") printed no ready line within ", absl::FormatDuration(guard)));
    }
    pollfd fd{stdout_fd_, POLLIN, 0};
    const int ready = poll(
        &fd, 1, static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1000)));
    if (ready < 0 && errno != EINTR) return absl::ErrnoToStatus(errno, "poll");
    if (ready <= 0) continue;
    char chunk[4096];
    const ssize_t got = read(stdout_fd_, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      absl::StatusOr<int> status = Wait(absl::Seconds(10));
      return absl::FailedPreconditionError(absl::StrCat(
          "tgrpcd (pid ", pid_, ") ended before its ready line: ",
          status.ok() ? DescribeWaitStatus(*status) : std::string(status.status().message())));
    }
    buffer_.append(chunk, static_cast<size_t>(got));
  }
}

void TgrpcdChild::Signal(int signal) {
  if (!reaped_ && pid_ > 0) kill(pid_, signal);
}

absl::StatusOr<int> TgrpcdChild::Wait(absl::Duration guard) {
  if (reaped_) return status_;
  const absl::Time deadline = absl::Now() + guard;
  while (true) {
    int status = 0;
    const pid_t got = waitpid(pid_, &status, WNOHANG);
    if (got == pid_) {
      reaped_ = true;
      status_ = status;
      return status;
    }
    if (got < 0 && errno != EINTR) return absl::ErrnoToStatus(errno, "waitpid");
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("tgrpcd (pid ", pid_, ") did not end within ", absl::FormatDuration(guard)));
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
}

int64_t TgrpcdChild::StatusField(const char* name) const {
  std::ifstream in(absl::StrCat("/proc/", pid_, "/status"));
  std::string line;
  const std::string prefix = absl::StrCat(name, ":");
  while (std::getline(in, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, prefix)) continue;
    rest = absl::StripAsciiWhitespace(rest);
    const bool kib = absl::ConsumeSuffix(&rest, " kB");
    int64_t value = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(rest), &value)) return 0;
    return kib ? value * 1024 : value;
  }
  return 0;
}

int64_t TgrpcdChild::RssBytes() const { return StatusField("VmRSS"); }
int64_t TgrpcdChild::RssAnonBytes() const { return StatusField("RssAnon"); }
int64_t TgrpcdChild::Threads() const { return StatusField("Threads"); }

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exit ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return absl::StrCat("signal ", WTERMSIG(status), " (", strsignal(WTERMSIG(status)), ")");
  }
  return absl::StrCat("wait status ", status);
}

std::string TailOf(const std::string& path, int lines) {
  std::ifstream in(path);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  return absl::StrJoin(last, "\n");
}

}  // namespace tgrpc::crash
