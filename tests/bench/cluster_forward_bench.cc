// What cluster mode costs a call: UserService.GetMe of one account, closed loop, through
//   single    - a tgrpcd on the same PostgreSQL without peer_listen (services on the public port);
//   owner     - the cluster replica that owns the account (public port -> its own peer port);
//   forwarded - the other replica (public port -> the owner's peer port).
// Two replicas share one PostgreSQL (started here) and one in-process fakedc; the account is
// moved to the first replica before measuring. Prints calls/s, p50 and p99 per route and
// concurrency, and each cluster route's ratio to single. Figures only, never asserted.
//
//   bazel run -c opt //tests/bench:cluster_forward_bench -- [--duration_ms=3000]
//       [--concurrency=1,16]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "service/storage/postgres_test_server.h"
#include "tests/bench/tgrpcd_bench_util.h"
#include "tests/crash/tgrpcd_child.h"

namespace tgrpc::tgrpcd_bench {
namespace {

struct Figures {
  double calls_per_second = 0, p50_ms = 0, p99_ms = 0;
  int64_t failures = 0;
};

Figures Measure(int port, const std::string& account, int concurrency, absl::Duration duration) {
  std::vector<double> latencies;
  absl::Mutex mutex;
  std::atomic<int64_t> failures{0};
  const absl::Time end = absl::Now() + duration;
  std::vector<std::thread> callers;
  Client client(port);
  for (int i = 0; i < concurrency; ++i) {
    callers.emplace_back([&] {
      std::vector<double> mine;
      v1::GetMeRequest request;
      request.set_account("accounts/" + account);
      while (absl::Now() < end) {
        v1::User user;
        const absl::Time start = absl::Now();
        grpc::Status status = client.users->GetMe(client.Context(10).get(), request, &user);
        if (!status.ok()) {
          ++failures;
          continue;
        }
        mine.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
      }
      absl::MutexLock lock(&mutex);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (std::thread& caller : callers) caller.join();
  Figures figures;
  figures.calls_per_second = latencies.size() / absl::ToDoubleSeconds(duration);
  figures.p50_ms = Quantile(latencies, 0.5);
  figures.p99_ms = Quantile(latencies, 0.99);
  figures.failures = failures.load();
  return figures;
}

int Run(int argc, char** argv) {
  Args args(argc, argv);
  const absl::Duration duration = absl::Milliseconds(args.TakeInt("duration_ms", 3000));
  const std::vector<int> concurrencies = args.TakeIntList("concurrency", "1,16");
  absl::StatusOr<std::unique_ptr<service::PostgresTestServer>> pg =
      service::PostgresTestServer::Start();
  if (!pg.ok() || !(*pg)->CreateDatabase("tgrpc").ok()) {
    std::fprintf(stderr, "PostgreSQL: %s\n", pg.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<Sandbox> sandbox = StartSandbox("cluster-bench");
  if (!sandbox.ok()) return 1;
  auto spawn = [&](const std::string& name, bool cluster) {
    std::vector<std::string> flags = crash::SandboxFlags(*sandbox->dc, sandbox->public_key_path,
                                                         sandbox->root + "/state-" + name);
    flags.push_back("--db=" + (*pg)->Conninfo("tgrpc"));
    flags.push_back("--key_file=" + sandbox->root + "/master.key");
    flags.push_back("--instance=" + name);
    if (cluster) {
      flags.push_back("--peer_listen=127.0.0.1:0");
      flags.push_back("--advertise_host=127.0.0.1");
      flags.push_back("--lease_ttl=2s");
    }
    absl::StatusOr<std::unique_ptr<crash::TgrpcdChild>> child =
        crash::TgrpcdChild::Spawn(flags, sandbox->root + "/" + name + ".log");
    return child.ok() ? *std::move(child) : nullptr;
  };

  std::printf("route       concurrency  calls/s   p50 ms  p99 ms  failures  vs single\n");
  std::vector<Figures> single;
  {
    std::unique_ptr<crash::TgrpcdChild> alone = spawn("single", false);
    absl::StatusOr<int> port = alone ? alone->WaitReady(absl::Seconds(60)) : absl::UnknownError("");
    if (!port.ok()) return 1;
    Client client(*port);
    if (absl::StatusOr<int64_t> user = client.SignUp("bench", "9996621001", 4); !user.ok()) {
      std::fprintf(stderr, "sign-up: %s\n", user.status().ToString().c_str());
      return 1;
    }
    for (int concurrency : concurrencies) {
      Measure(*port, "bench", concurrency, absl::Milliseconds(300));  // warm-up
      single.push_back(Measure(*port, "bench", concurrency, duration));
      std::printf("single      %11d  %8.0f  %7.2f  %6.2f  %8lld\n", concurrency,
                  single.back().calls_per_second, single.back().p50_ms, single.back().p99_ms,
                  static_cast<long long>(single.back().failures));
    }
  }
  // The owner starts alone, so it takes the account; the second joins with nothing to take.
  std::unique_ptr<crash::TgrpcdChild> owner = spawn("owner", true);
  absl::StatusOr<int> owner_port =
      owner ? owner->WaitReady(absl::Seconds(60)) : absl::UnknownError("");
  if (!owner_port.ok()) return 1;
  std::unique_ptr<crash::TgrpcdChild> other = spawn("other", true);
  absl::StatusOr<int> other_port =
      other ? other->WaitReady(absl::Seconds(60)) : absl::UnknownError("");
  if (!other_port.ok()) return 1;
  for (auto [name, port] : {std::pair<const char*, int>{"owner", *owner_port},
                            std::pair<const char*, int>{"forwarded", *other_port}}) {
    for (size_t i = 0; i < concurrencies.size(); ++i) {
      Measure(port, "bench", concurrencies[i], absl::Milliseconds(300));  // warm-up
      Figures figures = Measure(port, "bench", concurrencies[i], duration);
      std::printf("%-10s  %11d  %8.0f  %7.2f  %6.2f  %8lld  %.2f\n", name, concurrencies[i],
                  figures.calls_per_second, figures.p50_ms, figures.p99_ms,
                  static_cast<long long>(figures.failures),
                  figures.calls_per_second / std::max(single[i].calls_per_second, 1.0));
    }
  }
  std::printf("AUTH_KEY_DUPLICATED %lld\n",
              static_cast<long long>(sandbox->dc->DuplicatedAuthKeys()));
  return 0;
}

}  // namespace
}  // namespace tgrpc::tgrpcd_bench

int main(int argc, char** argv) {
  if (absl::Status s = tgrpc::crash::EnterRunfiles(argv[0]); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  return tgrpc::tgrpcd_bench::Run(argc, argv);
}
