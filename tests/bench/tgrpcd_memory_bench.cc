// tgrpcd's resident memory with idle signed-in accounts: a tgrpcd child process against an
// in-process fakedc, its VmRSS (and RssAnon) read from /proc after each step has settled:
//   A. 0, then --accounts_small (100), then --accounts_large (1,000) accounts signed up through
//      AccountService (Telegram test numbers 999662YYYY, code 22222, SignUp), 1 session each;
//      then tgrpcd restarted on the same state and one GetMe per account (a session each again,
//      without the sign-in's garbage);
//   B. a fresh tgrpcd with --max_calls_per_session=1: --accounts_small accounts with
//      max_sessions 10, each given 10 concurrent GetMe calls so it opens 10 sessions (counted
//      with GetAccountStatus; measured before the 60 s idle timeout closes the extra ones).
// Prints bytes per idle session (the goal is 64 KiB or less). Figures only, never asserted.
//
//   bazel run -c opt //tests/bench:tgrpcd_memory_bench -- [--accounts_small=100]
//       [--accounts_large=1000] [--sessions=10] [--settle_ms=3000] [--threads=8]
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tests/bench/tgrpcd_bench_util.h"
#include "tests/crash/tgrpcd_child.h"

namespace tgrpc::tgrpcd_bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Sample {
  std::string label;
  int accounts = 0;
  int sessions = 0;  // READY sessions tgrpcd reports
  int64_t rss = 0;
  int64_t anon = 0;
  int64_t threads = 0;
};

class Bench {
 public:
  Bench(Sandbox* sandbox, int settle_ms, int threads)
      : sandbox_(sandbox), settle_ms_(settle_ms), threads_(threads) {}

  absl::Status Start(const std::string& state, const std::vector<std::string>& extra) {
    std::vector<std::string> flags =
        crash::SandboxFlags(*sandbox_->dc, sandbox_->public_key_path, sandbox_->root + "/" + state);
    flags.insert(flags.end(), extra.begin(), extra.end());
    log_ = sandbox_->root + "/" + state + ".log";
    absl::StatusOr<std::unique_ptr<crash::TgrpcdChild>> child =
        crash::TgrpcdChild::Spawn(flags, log_);
    if (!child.ok()) return child.status();
    child_ = *std::move(child);
    absl::StatusOr<int> port = child_->WaitReady(absl::Seconds(60));
    if (!port.ok()) {
      return absl::Status(port.status().code(),
                          absl::StrCat(port.status().message(), "\n", crash::TailOf(log_, 20)));
    }
    port_ = *port;
    client_ = std::make_unique<Client>(port_);
    // A first call, so the gRPC server's own lazily made state is in the baseline.
    v1::ListAccountsRequest list;
    v1::ListAccountsResponse response;
    grpc::Status status =
        client_->accounts->ListAccounts(client_->Context().get(), list, &response);
    if (!status.ok()) return absl::InternalError(status.error_message());
    return absl::OkStatus();
  }

  absl::Status Stop() {
    child_->Signal(SIGTERM);
    absl::StatusOr<int> status = child_->Wait(absl::Seconds(60));
    client_.reset();
    child_.reset();
    return status.status();
  }

  // READY sessions over the accounts "<prefix>-NNNN", 0 <= N < count.
  int ReadySessions(const std::string& prefix, int count) {
    int ready = 0;
    for (int i = 0; i < count; ++i) {
      absl::StatusOr<std::pair<int, int>> s =
          client_->Sessions(absl::StrFormat("%s-%04d", prefix, i));
      if (s.ok()) ready += s->first;
    }
    return ready;
  }

  Sample Measure(const std::string& label, int accounts, int sessions) {
    std::this_thread::sleep_for(std::chrono::milliseconds(settle_ms_));
    Sample s{
        label, accounts, sessions, child_->RssBytes(), child_->RssAnonBytes(), child_->Threads()};
    std::printf("  %-52s accounts %5d  sessions %5d  RSS %10s  anon %10s  threads %3lld\n",
                label.c_str(), accounts, sessions, Mib(s.rss).c_str(), Mib(s.anon).c_str(),
                static_cast<long long>(s.threads));
    std::fflush(stdout);
    return s;
  }

  // `per_account` concurrent GetMe calls on each of the accounts, all at once per account.
  absl::Status GetMeAll(const std::string& prefix, int count, int per_account) {
    std::atomic<int> next{0};
    std::mutex mutex;
    absl::Status failure;
    std::vector<std::thread> callers;
    for (int t = 0; t < threads_; ++t) {
      callers.emplace_back([&] {
        while (true) {
          const int i = next.fetch_add(1);
          if (i >= count) return;
          const std::string account = absl::StrFormat("accounts/%s-%04d", prefix, i);
          std::mutex done_mutex;
          std::condition_variable done_cv;
          int done = 0;
          std::vector<grpc::Status> statuses(per_account);
          std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
          std::vector<v1::GetMeRequest> requests(per_account);
          std::vector<v1::User> responses(per_account);
          for (int k = 0; k < per_account; ++k) {
            contexts.push_back(client_->Context(60));
            requests[k].set_account(account);
          }
          for (int k = 0; k < per_account; ++k) {
            client_->users->async()->GetMe(contexts[k].get(), &requests[k], &responses[k],
                                           [&, k](grpc::Status status) {
                                             std::lock_guard<std::mutex> lock(done_mutex);
                                             statuses[k] = status;
                                             ++done;
                                             done_cv.notify_all();
                                           });
          }
          std::unique_lock<std::mutex> lock(done_mutex);
          done_cv.wait(lock, [&] { return done == per_account; });
          for (const grpc::Status& status : statuses) {
            if (!status.ok()) {
              std::lock_guard<std::mutex> guard(mutex);
              if (failure.ok()) {
                failure =
                    absl::InternalError(absl::StrCat(account, " GetMe: ", status.error_message()));
              }
            }
          }
        }
      });
    }
    for (std::thread& t : callers) t.join();
    return failure;
  }

  int port() const { return port_; }
  const std::string& log() const { return log_; }

 private:
  Sandbox* sandbox_;
  const int settle_ms_;
  const int threads_;
  std::unique_ptr<crash::TgrpcdChild> child_;
  std::unique_ptr<Client> client_;
  int port_ = 0;
  std::string log_;
};

void PerSession(const char* what, const Sample& from, const Sample& to) {
  const int sessions = to.sessions - from.sessions;
  if (sessions <= 0) return;
  const double rss = static_cast<double>(to.rss - from.rss) / sessions;
  const double anon = static_cast<double>(to.anon - from.anon) / sessions;
  std::printf("  %-60s %6.1f KiB RSS, %6.1f KiB anon per session (%d sessions)%s\n", what,
              rss / 1024, anon / 1024, sessions, rss <= 64 * 1024 ? "" : "  > 64 KiB goal");
}

#define CHECK_OK(expr)                                                \
  do {                                                                \
    absl::Status _s = (expr);                                         \
    if (!_s.ok()) {                                                   \
      std::fprintf(stderr, "%s: %s\n", #expr, _s.ToString().c_str()); \
      return 1;                                                       \
    }                                                                 \
  } while (0)

int Run(int argc, char** argv) {
  Args args(argc, argv);
  const int small = static_cast<int>(args.TakeInt("accounts_small", 100));
  const int large = static_cast<int>(args.TakeInt("accounts_large", 1000));
  const int sessions = static_cast<int>(args.TakeInt("sessions", 10));
  const int settle_ms = static_cast<int>(args.TakeInt("settle_ms", 3000));
  const int threads = static_cast<int>(args.TakeInt("threads", 8));
  if (!args.Leftover().empty() || small < 1 || large < small || large > 9000 || sessions < 1 ||
      sessions > 10) {
    std::fprintf(stderr,
                 "usage: tgrpcd_memory_bench [--accounts_small=100] [--accounts_large=1000] "
                 "[--sessions=10 (1-10)] [--settle_ms=3000] [--threads=8]\n");
    return 2;
  }
  if (absl::Status s = crash::EnterRunfiles(argv[0]); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  const uint64_t files = RaiseFileLimit();
  absl::StatusOr<Sandbox> sandbox = StartSandbox("tgrpcd-memory-bench");
  if (!sandbox.ok()) {
    std::fprintf(stderr, "fakedc: %s\n", sandbox.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "tgrpcd_memory_bench: idle signed-in accounts, RSS of the tgrpcd process after %d ms "
      "of quiet (open files limit %llu)\n",
      settle_ms, static_cast<unsigned long long>(files));
  const Clock::time_point begin = Clock::now();

  // A: 1 session per account.
  Bench a(&*sandbox, settle_ms, threads);
  std::printf("A. 1 session per account\n");
  CHECK_OK(a.Start("state-a", {}));
  const Sample a0 = a.Measure("started, no accounts", 0, 0);
  CHECK_OK(SignUpMany(a.port(), "idle", 2, 0, 0, small, 1, threads));
  const Sample a1 =
      a.Measure(absl::StrCat("after signing up ", small), small, a.ReadySessions("idle", small));
  CHECK_OK(SignUpMany(a.port(), "idle", 2, 0, small, large, 1, threads));
  const Sample a2 =
      a.Measure(absl::StrCat("after signing up ", large), large, a.ReadySessions("idle", large));
  CHECK_OK(a.Stop());
  CHECK_OK(a.Start("state-a", {}));
  const Sample a3 = a.Measure(absl::StrCat("restarted, ", large, " accounts loaded"), large,
                              a.ReadySessions("idle", large));
  CHECK_OK(a.GetMeAll("idle", large, 1));
  const Sample a4 = a.Measure(absl::StrCat("restarted, one GetMe on each of ", large), large,
                              a.ReadySessions("idle", large));
  CHECK_OK(a.Stop());

  // B: `sessions` sessions per account.
  std::printf("B. %d sessions per account (--max_calls_per_session=1, %d concurrent GetMe each)\n",
              sessions, sessions);
  Bench b(&*sandbox, settle_ms, threads);
  CHECK_OK(b.Start("state-b", {"--max_calls_per_session=1"}));
  const Sample b0 = b.Measure("started, no accounts", 0, 0);
  CHECK_OK(SignUpMany(b.port(), "multi", 2, 5000, 0, small, sessions, threads));
  const Sample b1 =
      b.Measure(absl::StrCat("after signing up ", small), small, b.ReadySessions("multi", small));
  CHECK_OK(b.GetMeAll("multi", small, sessions));
  const Sample b2 = b.Measure(absl::StrCat(sessions, " concurrent GetMe on each of ", small), small,
                              b.ReadySessions("multi", small));
  CHECK_OK(b.Stop());

  std::printf(
      "per idle session (RSS and anonymous memory growth / sessions added; goal 64 KiB):\n");
  PerSession(absl::StrCat("A: 0 -> ", small, " accounts signed up").c_str(), a0, a1);
  PerSession(absl::StrCat("A: 0 -> ", large, " accounts signed up").c_str(), a0, a2);
  PerSession(absl::StrCat("A: ", small, " -> ", large, " accounts signed up").c_str(), a1, a2);
  PerSession(absl::StrCat("A: restarted, 0 -> ", large, " sessions (vs the empty start)").c_str(),
             a0, a4);
  PerSession(absl::StrCat("A: restarted, loaded -> ", large, " sessions").c_str(), a3, a4);
  PerSession(absl::StrCat("B: 0 -> ", small, "x1 sessions").c_str(), b0, b1);
  PerSession(absl::StrCat("B: 0 -> ", small, "x", sessions, " sessions").c_str(), b0, b2);
  PerSession(
      absl::StrCat("B: ", small, "x1 -> ", small, "x", sessions, " (extra sessions only)").c_str(),
      b1, b2);
  if (a3.accounts > 0) {
    std::printf("  an account loaded without a session: %.1f KiB RSS (restart, %d accounts)\n",
                static_cast<double>(a3.rss - a0.rss) / a3.accounts / 1024, a3.accounts);
  }
  std::printf("time: %.0f s\n", std::chrono::duration<double>(Clock::now() - begin).count());
  return 0;
}

}  // namespace
}  // namespace tgrpc::tgrpcd_bench

int main(int argc, char** argv) { return tgrpc::tgrpcd_bench::Run(argc, argv); }
