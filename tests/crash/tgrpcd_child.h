// tgrpcd as a child process, for the tests and benchmarks that must kill it or measure it from
// outside: spawned from the runfiles (a `data` dependency on //service:tgrpcd), its ready line
// read from stdout, its stderr appended to a log file, signals, a guarded wait, and its resident
// memory. Also the flags that point a tgrpcd at an in-process fakedc (--telegram=sandbox).
#ifndef TGRPC_TESTS_CRASH_TGRPCD_CHILD_H_
#define TGRPC_TESTS_CRASH_TGRPCD_CHILD_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/fakedc/fakedc.h"

namespace tgrpc::crash {

// Makes the runfiles tree the working directory when it is not already (a binary started from
// bazel-bin rather than through `bazel run` / `bazel test`), so that "service/tgrpcd" and
// "tl/schema" resolve. NotFound if neither place has them.
absl::Status EnterRunfiles(const char* argv0);

// An integer from the environment (test settings such as TGRPC_CRASH_KILLS), or `fallback` when
// it is unset or not a number.
int EnvInt(const char* name, int fallback);

// The bearer token the helpers configure (tenant "crash").
inline constexpr char kToken[] = "crash-test-token-0123456789";

// Flags for a tgrpcd on 127.0.0.1 (port 0 for gRPC and metrics) with its state in `state_dir`,
// talking to `dc` (its DCs 1-3) and trusting the key written to `public_key_path`.
std::vector<std::string> SandboxFlags(const fakedc::FakeDc& dc, const std::string& public_key_path,
                                      const std::string& state_dir);

// Writes `text` to `path` (whole). For the fakedc public key file.
absl::Status WriteFile(const std::string& path, const std::string& text);

class TgrpcdChild {
 public:
  // Starts `binary` (default: the runfiles' service/tgrpcd) with `flags`; its stderr goes to
  // `log_path` (appended; empty: inherited). The child gets SIGKILL if this process dies.
  static absl::StatusOr<std::unique_ptr<TgrpcdChild>> Spawn(const std::vector<std::string>& flags,
                                                            const std::string& log_path,
                                                            const std::string& binary = "");
  // SIGKILL and reap if still running.
  ~TgrpcdChild();

  // Reads stdout until the ready line {"grpc_port": N, "metrics_port": M}; the gRPC port.
  // FailedPrecondition if the process ends first, DeadlineExceeded after `guard`.
  absl::StatusOr<int> WaitReady(absl::Duration guard);
  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  pid_t pid() const { return pid_; }

  void Signal(int signal);
  // Waits for the process to end; its wait status (WIFEXITED, WTERMSIG ...). DeadlineExceeded
  // after `guard` (the process is left running).
  absl::StatusOr<int> Wait(absl::Duration guard);
  bool running() const { return !reaped_; }

  // VmRSS and RssAnon from /proc/<pid>/status, in bytes (0 if unreadable).
  int64_t RssBytes() const;
  int64_t RssAnonBytes() const;
  // The number of threads (/proc/<pid>/status Threads).
  int64_t Threads() const;

 private:
  TgrpcdChild() = default;
  int64_t StatusField(const char* name) const;

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string buffer_;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
};

// Describes a wait status: "exit 0", "signal 9 (Killed)".
std::string DescribeWaitStatus(int status);

// The last `lines` lines of a text file (for failure messages).
std::string TailOf(const std::string& path, int lines);

}  // namespace tgrpc::crash

#endif  // TGRPC_TESTS_CRASH_TGRPCD_CHILD_H_
