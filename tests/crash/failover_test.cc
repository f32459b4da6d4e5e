// Failover on PostgreSQL (issue 13, until account leases): tgrpcd processes on one database and
// one fakedc, one active and one standby waiting for the database's active lock
// (service/storage/postgres_active_lock.h). The active one is killed with SIGKILL again and again
// while a caller keeps calling; each time the standby takes over, a new standby starts, and every
// account answers GetMe on the new active process without signing in again. Telegram (fakedc)
// must never see an account's key used by two processes at once (AUTH_KEY_DUPLICATED: zero), and
// every call is either answered or fails with a retryable status. Takeover times are printed.
//
// CI form: 5 kills, 6 accounts. Full form: TGRPC_FAILOVER_KILLS=50 (and TGRPC_FAILOVER_ACCOUNTS).
//   bazel test //tests/crash:failover_test --test_output=streamed
//       --test_env=TGRPC_FAILOVER_KILLS=50 --test_timeout=3600
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "service/storage/postgres_test_server.h"
#include "tests/bench/tgrpcd_bench_util.h"
#include "tests/crash/tgrpcd_child.h"

namespace tgrpc::crash {
namespace {

using tgrpcd_bench::Client;

bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED ||
         code == grpc::StatusCode::ABORTED || code == grpc::StatusCode::CANCELLED;
}

TEST(FailoverTest, TheStandbyTakesOverEveryKillWithNoKeyUsedTwice) {
  const int kills = EnvInt("TGRPC_FAILOVER_KILLS", 5);
  const int accounts = EnvInt("TGRPC_FAILOVER_ACCOUNTS", 6);
  absl::StatusOr<std::unique_ptr<service::PostgresTestServer>> pg =
      service::PostgresTestServer::Start();
  ASSERT_TRUE(pg.ok()) << pg.status();
  ASSERT_TRUE((*pg)->CreateDatabase("tgrpc").ok());
  absl::StatusOr<tgrpcd_bench::Sandbox> sandbox = tgrpcd_bench::StartSandbox("failover");
  ASSERT_TRUE(sandbox.ok()) << sandbox.status();

  int next_replica = 0;
  auto spawn = [&]() -> std::unique_ptr<TgrpcdChild> {
    const std::string name = absl::StrCat("replica-", next_replica++);
    std::vector<std::string> flags =
        SandboxFlags(*sandbox->dc, sandbox->public_key_path, sandbox->root + "/state-" + name);
    flags.push_back("--db=" + (*pg)->Conninfo("tgrpc"));
    flags.push_back("--key_file=" + sandbox->root + "/master.key");  // shared by the replicas
    flags.push_back("--instance=" + name);
    absl::StatusOr<std::unique_ptr<TgrpcdChild>> child =
        TgrpcdChild::Spawn(flags, sandbox->root + "/" + name + ".log");
    EXPECT_TRUE(child.ok()) << child.status();
    return child.ok() ? *std::move(child) : nullptr;
  };

  std::unique_ptr<TgrpcdChild> active = spawn();
  ASSERT_NE(active, nullptr);
  absl::StatusOr<int> port = active->WaitReady(absl::Seconds(60));
  ASSERT_TRUE(port.ok()) << port.status();
  std::unique_ptr<TgrpcdChild> standby = spawn();
  ASSERT_NE(standby, nullptr);

  std::vector<std::string> ids;
  {
    Client client(*port);
    for (int i = 0; i < accounts; ++i) {
      ids.push_back(absl::StrCat("acct-", i));
      absl::StatusOr<int64_t> user =
          client.SignUp(ids.back(), absl::StrFormat("9996620%03d", 300 + i), 2);
      ASSERT_TRUE(user.ok()) << user.status();
    }
  }

  // A caller that keeps calling whichever process is active.
  std::atomic<int> current_port{*port};
  std::atomic<bool> stop{false};
  std::atomic<int64_t> answered{0}, retryable{0}, other{0};
  absl::Mutex mu;
  std::string first_other;
  std::thread caller([&] {
    int i = 0;
    while (!stop.load()) {
      Client client(current_port.load());
      v1::GetMeRequest request;
      request.set_account("accounts/" + ids[i++ % ids.size()]);
      v1::User user;
      grpc::Status status = client.users->GetMe(client.Context(5).get(), request, &user);
      if (status.ok()) {
        ++answered;
      } else if (Retryable(status.error_code())) {
        ++retryable;
        absl::SleepFor(absl::Milliseconds(20));
      } else {
        ++other;
        absl::MutexLock lock(&mu);
        if (first_other.empty())
          first_other = absl::StrCat(status.error_code(), " ", status.error_message());
      }
    }
  });

  std::vector<double> takeover_ms;
  for (int kill = 0; kill < kills; ++kill) {
    absl::SleepFor(absl::Milliseconds(300));  // calls run on the active process
    const absl::Time killed = absl::Now();
    active->Signal(SIGKILL);
    ASSERT_TRUE(active->Wait(absl::Seconds(10)).ok());
    absl::StatusOr<int> next = standby->WaitReady(absl::Seconds(60));
    ASSERT_TRUE(next.ok())
        << "kill " << kill << ": the standby did not take over: " << next.status() << "\n"
        << TailOf(sandbox->root + "/replica-" + std::to_string(next_replica - 1) + ".log", 20);
    takeover_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - killed));
    current_port = *next;
    active = std::move(standby);
    standby = spawn();
    ASSERT_NE(standby, nullptr);
    // Every account answers on the new active process, signed in from the database.
    Client client(*next);
    for (const std::string& id : ids) {
      grpc::Status status;
      for (int attempt = 0; attempt < 50; ++attempt) {
        v1::GetMeRequest request;
        request.set_account("accounts/" + id);
        v1::User user;
        status = client.users->GetMe(client.Context(5).get(), request, &user);
        if (status.ok() || !Retryable(status.error_code())) break;
        absl::SleepFor(absl::Milliseconds(100));
      }
      EXPECT_TRUE(status.ok()) << "kill " << kill << ", " << id << ": " << status.error_code()
                               << " " << status.error_message();
    }
  }
  stop = true;
  caller.join();

  std::sort(takeover_ms.begin(), takeover_ms.end());
  std::printf(
      "failover: %d kills, %d accounts; takeover (SIGKILL to the standby's ready line) min %.0f "
      "ms, median %.0f ms, max %.0f ms; calls answered %lld, retryable failures %lld, other "
      "failures %lld; AUTH_KEY_DUPLICATED %lld\n",
      kills, accounts, takeover_ms.front(), takeover_ms[takeover_ms.size() / 2], takeover_ms.back(),
      static_cast<long long>(answered.load()), static_cast<long long>(retryable.load()),
      static_cast<long long>(other.load()),
      static_cast<long long>(sandbox->dc->DuplicatedAuthKeys()));
  EXPECT_EQ(sandbox->dc->DuplicatedAuthKeys(), 0);
  EXPECT_EQ(other.load(), 0) << first_other;
  EXPECT_GT(answered.load(), 0);
}

}  // namespace
}  // namespace tgrpc::crash
