// Shared pieces of the tgrpcd benchmarks (tgrpcd_latency_bench, tgrpcd_memory_bench): an
// in-process fakedc with its public key in a file, a gRPC client of a tgrpcd child process
// (tests/crash/tgrpcd_child.h) with the sign-up of Telegram test numbers (99966XYYYY, code XXXXX)
// through AccountService, flags, and percentiles.
#ifndef TGRPC_TESTS_BENCH_TGRPCD_BENCH_UTIL_H_
#define TGRPC_TESTS_BENCH_TGRPCD_BENCH_UTIL_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"
#include "tests/fakedc/fakedc.h"
#include "tgrpc/v1/account.grpc.pb.h"
#include "tgrpc/v1/message.grpc.pb.h"
#include "tgrpc/v1/user.grpc.pb.h"

namespace tgrpc::tgrpcd_bench {

// --name=value arguments; Take* consume them, Leftover() lists the ones nobody asked for.
class Args {
 public:
  Args(int argc, char** argv);
  int64_t TakeInt(absl::string_view name, int64_t fallback);
  double TakeDouble(absl::string_view name, double fallback);
  std::string TakeString(absl::string_view name, absl::string_view fallback);
  std::vector<int> TakeIntList(absl::string_view name, absl::string_view fallback);
  std::vector<std::string> Leftover() const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

// fakedc in this process (127.0.0.1, port 0, seed 1, a small seed world), and a scratch
// directory holding its public key for tgrpcd's --sandbox_public_key.
struct Sandbox {
  std::unique_ptr<fakedc::FakeDc> dc;
  std::string root;
  std::string public_key_path;
  std::string server_key_pem;  // private, for direct ClientConnections' server_keys
};
absl::StatusOr<Sandbox> StartSandbox(absl::string_view name);

// Raises the open-file limit to its hard limit (a thousand sessions are a thousand sockets on
// each side). Returns the new soft limit.
uint64_t RaiseFileLimit();

// Blocking stubs of a tgrpcd at 127.0.0.1:port with the helpers' bearer token.
class Client {
 public:
  explicit Client(int port);
  std::unique_ptr<grpc::ClientContext> Context(int seconds = 60) const;

  // CreateAccount + StartLogin + SubmitCode (+ SignUp) for a test number: the signed-in user's
  // id. `phone` is digits (99966XYYYY); the code is X five times.
  absl::StatusOr<int64_t> SignUp(const std::string& account_id, const std::string& phone,
                                 int max_sessions);
  // Sessions of the account tgrpcd reports READY, and all of them.
  absl::StatusOr<std::pair<int, int>> Sessions(const std::string& account_id);

  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::AccountService::Stub> accounts;
  std::unique_ptr<v1::UserService::Stub> users;
  std::unique_ptr<v1::MessageService::Stub> messages;
};

// Signs up the accounts "<prefix>-NNNN", from <= N < to, for the phones 99966<dc><phone_base + N>
// with `threads` callers. Fails on the first error.
absl::Status SignUpMany(int port, const std::string& prefix, int dc, int phone_base, int from,
                        int to, int max_sessions, int threads);

// The q-quantile (0..1) of `values` (reordered), 0 when empty.
double Quantile(std::vector<double>& values, double q);

std::string Mib(int64_t bytes);

// utime + stime of a process in seconds (/proc/<pid>/stat); -1 if unreadable.
double CpuSeconds(pid_t pid);

}  // namespace tgrpc::tgrpcd_bench

#endif  // TGRPC_TESTS_BENCH_TGRPCD_BENCH_UTIL_H_
