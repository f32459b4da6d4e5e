// Pieces of file_transfer_bench that are not about tgrpcd: child processes measured from outside
// (CPU seconds and peak resident set from /proc, a line protocol on stdin/stdout), the benchmark
// file's bytes from a seed (never whole in memory), streaming SHA-256, and the machine's
// single-core AES-256-CBC speed (what `openssl speed -evp aes-256-cbc` measures).
#ifndef TGRPC_TESTS_BENCH_FILE_TRANSFER_BENCH_SUPPORT_H_
#define TGRPC_TESTS_BENCH_FILE_TRANSFER_BENCH_SUPPORT_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tests/bench/tgrpcd_bench_util.h"

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;
typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace tgrpc::file_bench {

using tgrpcd_bench::CpuSeconds;  // tgrpcd_bench_util.h

// A program started with its stdin and stdout as pipes to this process and its stderr appended
// to a log file. It gets SIGKILL if this process dies; the destructor kills and reaps it.
class ChildProcess {
 public:
  // argv[0] is looked up in PATH when it has no slash.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(const std::vector<std::string>& argv,
                                                             const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The next line of its stdout (without the newline); DeadlineExceeded after `guard`,
  // OutOfRange at the end of its output.
  absl::StatusOr<std::string> ReadLine(absl::Duration guard);
  absl::Status WriteLine(absl::string_view line);

  // Sends SIGTERM and waits up to `guard`, then SIGKILL. Its exit status (as waitpid's).
  int Stop(absl::Duration guard);

  pid_t pid() const { return pid_; }

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string buffer_;
};

// VmHWM of a process in bytes (/proc/<pid>/status); 0 if unreadable.
int64_t PeakRss(pid_t pid);
// Resets VmHWM to the current resident set (writes 5 to /proc/<pid>/clear_refs).
void ResetPeakRss(pid_t pid);

// The benchmark file: AES-256-CTR's key stream under SHA-256("tgrpc file_transfer_bench <seed>")
// with a zero IV, so any size is a prefix of the same bytes and takes no memory to make.
class SeededBytes {
 public:
  explicit SeededBytes(uint64_t seed);
  ~SeededBytes();
  SeededBytes(const SeededBytes&) = delete;
  SeededBytes& operator=(const SeededBytes&) = delete;
  // The next `size` bytes.
  void Next(char* out, size_t size);

 private:
  EVP_CIPHER_CTX* ctx_;
  std::vector<unsigned char> zeros_;
};

class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(absl::string_view data);
  // Lower-case hex; the stream must not be used afterwards.
  std::string Finish();

 private:
  EVP_MD_CTX* ctx_;
};

// Writes the first `size` bytes of SeededBytes(seed) to `path`; their SHA-256 in hex.
absl::StatusOr<std::string> WriteSeededFile(const std::string& path, uint64_t seed, int64_t size);

// MB/s (10^6 bytes) of one core encrypting 16 KiB buffers with EVP aes-256-cbc for `seconds`
// (as `openssl speed -evp aes-256-cbc -bytes 16384`): the best of `rounds`.
double AesCbcMegabytesPerSecond(double seconds, int rounds);

// The value after "key": in one line of JSON: a number or a string's contents, nullopt if absent.
std::optional<std::string> JsonField(absl::string_view line, absl::string_view key);

}  // namespace tgrpc::file_bench

#endif  // TGRPC_TESTS_BENCH_FILE_TRANSFER_BENCH_SUPPORT_H_
