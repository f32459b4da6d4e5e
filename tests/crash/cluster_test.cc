// Cluster mode on PostgreSQL (issue 13): three tgrpcd replicas on one database and one fakedc,
// every replica active, each account owned by one of them through a lease, any replica taking any
// call and forwarding it to the owner. Replicas are killed with SIGKILL again and again (a random
// one each round, with a fixed seed) and restarted under a new instance name, while two callers
// call GetMe on random accounts through random live replicas and named consumers stream the
// update logs of some accounts (UpdateConsumer, each through a replica of its own, moved to a
// live one when that one is killed; the first four accounts are read two by one stream, which
// is merged from two owners whenever they differ) as Bob (a fakedc TestPoster, no tgrpcd) writes
// numbered messages to those accounts. Some rounds restart the killed replica before the survivors
// have taken its accounts, so that a join (and its rebalancing) runs while the leases are expiring.
//
// It proves: Telegram (fakedc) never sees an account's key used by two replicas at once
// (AUTH_KEY_DUPLICATED: zero); every call is either answered or fails with a retryable status
// (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, CANCELLED); each consumer gets every message, none
// lost and none duplicated for its resume position; after each kill, every account answers GetMe
// through a surviving replica. The takeover time of a kill is from the SIGKILL until the last
// account answered through a survivor (all accounts polled at once, over and over); min, median
// and max are printed with the rest of the figures.
//
// CI form: 6 kills, 30 accounts, 6 consumers (about a minute). Full form: TGRPC_CLUSTER_KILLS=50;
// TGRPC_CLUSTER_ACCOUNTS, TGRPC_CLUSTER_CONSUMERS, TGRPC_CLUSTER_SEED and TGRPC_CLUSTER_RATE (Bob's
// messages per second over all consumers: 20) override.
// The full form, one line:
// clang-format off
//   bazel test //tests/crash:cluster_test --test_output=streamed --test_env=TGRPC_CLUSTER_KILLS=50 --test_timeout=3600
// clang-format on
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/client_unary_call.h"
#include "grpcpp/impl/rpc_method.h"
#include "gtest/gtest.h"
#include "service/storage/postgres_test_server.h"
#include "tests/bench/tgrpcd_bench_util.h"
#include "tests/crash/delivery_audit.h"
#include "tests/crash/tgrpcd_child.h"
#include "tests/crash/update_consumer.h"
#include "tests/fakedc/seed.h"
#include "tests/fakedc/test_posting.h"

namespace tgrpc::crash {
namespace {

using tgrpcd_bench::Client;

constexpr int kReplicas = 3;
constexpr char kPrefix[] = "cl ";  // every message the consumers audit starts with it
constexpr char kLeaseTtl[] = "2s";
// How long a takeover may take (leases expire within about lease_ttl * 1.2).
constexpr absl::Duration kTakeoverGuard = absl::Seconds(30);

bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED ||
         code == grpc::StatusCode::ABORTED || code == grpc::StatusCode::CANCELLED;
}

// Every GetMe the test makes (the callers' and the takeover polls'), by outcome.
class Tally {
 public:
  void Count(const grpc::Status& status, const std::string& what) {
    if (status.ok()) {
      answered_.fetch_add(1);
    } else if (Retryable(status.error_code())) {
      retryable_.fetch_add(1);
    } else {
      other_.fetch_add(1);
      absl::MutexLock lock(&mutex_);
      if (first_other_.empty()) {
        first_other_ = absl::StrCat(what, ": ", status.error_code(), " ", status.error_message());
      }
    }
  }
  int64_t answered() const { return answered_.load(); }
  int64_t retryable() const { return retryable_.load(); }
  int64_t other() const { return other_.load(); }
  std::string first_other() const {
    absl::MutexLock lock(&mutex_);
    return first_other_;
  }

 private:
  std::atomic<int64_t> answered_{0}, retryable_{0}, other_{0};
  mutable absl::Mutex mutex_;
  std::string first_other_ ABSL_GUARDED_BY(mutex_);
};

// The gRPC ports of the replicas that have joined and are not being killed, by slot (0: none).
class LiveSet {
 public:
  void Set(int slot, int port) {
    absl::MutexLock lock(&mutex_);
    ports_[slot] = port;
  }
  std::vector<int> Ports() const {
    absl::MutexLock lock(&mutex_);
    std::vector<int> out;
    for (int port : ports_) {
      if (port != 0) out.push_back(port);
    }
    return out;
  }
  // A random live port, 0 when none.
  int Pick(std::mt19937_64& rng) const {
    const std::vector<int> ports = Ports();
    return ports.empty() ? 0 : ports[rng() % ports.size()];
  }

 private:
  mutable absl::Mutex mutex_;
  int ports_[kReplicas] ABSL_GUARDED_BY(mutex_) = {};
};

// One thread's clients, one per port it called.
class Clients {
 public:
  Client& Of(int port) {
    std::unique_ptr<Client>& client = clients_[port];
    if (client == nullptr) client = std::make_unique<Client>(port);
    return *client;
  }

 private:
  std::map<int, std::unique_ptr<Client>> clients_;
};

// grpc.health.v1.Health/Check of the service "tgrpc.readiness" (the repository compiles the health
// schema without stubs, so the call is made from its method name).
grpc::Status CheckReadiness(int port, grpc::health::v1::HealthCheckResponse* response) {
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  const grpc::internal::RpcMethod method("/grpc.health.v1.Health/Check",
                                         grpc::internal::RpcMethod::NORMAL_RPC, channel);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service("tgrpc.readiness");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return grpc::internal::BlockingUnaryCall(channel.get(), method, &context, request, response);
}

// One GetMe of a takeover poll.
struct Probe {
  int port = 0;
  std::string id;
  grpc::Status status;
  absl::Time done;
};

// Sends every probe's GetMe at once (each through its port) and waits for all the answers.
void RunProbes(Clients& clients, std::vector<Probe>& probes, int deadline_seconds) {
  struct Call {
    std::unique_ptr<grpc::ClientContext> context;
    v1::User user;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::User>> reader;
  };
  grpc::CompletionQueue queue;
  std::vector<Call> calls(probes.size());
  for (size_t i = 0; i < probes.size(); ++i) {
    Client& client = clients.Of(probes[i].port);
    calls[i].context = client.Context(deadline_seconds);
    v1::GetMeRequest request;
    request.set_account("accounts/" + probes[i].id);
    calls[i].reader = client.users->AsyncGetMe(calls[i].context.get(), request, &queue);
    calls[i].reader->Finish(&calls[i].user, &probes[i].status, reinterpret_cast<void*>(i));
  }
  void* tag = nullptr;
  bool ok = false;
  for (size_t n = 0; n < probes.size() && queue.Next(&tag, &ok); ++n) {
    probes[reinterpret_cast<size_t>(tag)].done = absl::Now();
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
}

struct Settings {
  int kills = 6;
  int accounts = 30;
  int consumers = 6;
  int messages_per_second = 20;
  uint32_t seed = 1;

  static Settings FromEnv() {
    Settings s;
    s.kills = EnvInt("TGRPC_CLUSTER_KILLS", s.kills);
    s.accounts = std::max(1, EnvInt("TGRPC_CLUSTER_ACCOUNTS", s.accounts));
    s.consumers = std::clamp(EnvInt("TGRPC_CLUSTER_CONSUMERS", s.consumers), 1, s.accounts);
    s.messages_per_second = std::max(1, EnvInt("TGRPC_CLUSTER_RATE", s.messages_per_second));
    s.seed = static_cast<uint32_t>(EnvInt("TGRPC_CLUSTER_SEED", static_cast<int>(s.seed)));
    return s;
  }
};

// A tgrpcd process in one of the three slots.
struct Replica {
  std::string name;  // its --instance, new for every process
  std::string log;
  std::unique_ptr<TgrpcdChild> child;
  int port = 0;  // gRPC, once its ready line came
  absl::Time spawned;
  bool killed = false;  // by the test
};

// One account's update log as a consumer reads it: what Bob sent it, what it got.
struct ConsumerSlot {
  std::string id;        // the account
  fakedc::PeerRef chat;  // Bob's private chat with it
  PortBoard board;
  DeliveryAudit audit;
  // The stream's owner: a consumer of this account alone, or of a pair (then the pair's first
  // slot owns it and the second points to it).
  std::unique_ptr<UpdateConsumer> consumer;
  UpdateConsumer* reader = nullptr;
};

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_ = Settings::FromEnv();
    absl::StatusOr<std::unique_ptr<service::PostgresTestServer>> pg =
        service::PostgresTestServer::Start();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = *std::move(pg);
    ASSERT_TRUE(pg_->CreateDatabase("tgrpc").ok());
    absl::StatusOr<tgrpcd_bench::Sandbox> sandbox = tgrpcd_bench::StartSandbox("cluster");
    ASSERT_TRUE(sandbox.ok()) << sandbox.status();
    sandbox_ = std::make_unique<tgrpcd_bench::Sandbox>(*std::move(sandbox));
  }

  void TearDown() override {
    StopThreads();
    for (std::unique_ptr<ConsumerSlot>& c : consumers_) {
      if (c->consumer) c->consumer->Stop();
    }
    consumers_.clear();
    for (Replica& r : replicas_) r.child.reset();
    sandbox_.reset();
    pg_.reset();
  }

  void StopThreads() {
    stop_callers_.store(true);
    stop_sender_.store(true);
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

  // Starts a new process (a new instance name) in `slot`; WaitJoined waits for it.
  ::testing::AssertionResult Spawn(int slot) {
    Replica& r = replicas_[slot];
    r = Replica{};
    r.name = absl::StrCat("replica-", next_replica_++);
    r.log = sandbox_->root + "/" + r.name + ".log";
    std::vector<std::string> flags =
        SandboxFlags(*sandbox_->dc, sandbox_->public_key_path, sandbox_->root + "/state-" + r.name);
    flags.push_back("--db=" + pg_->Conninfo("tgrpc"));
    flags.push_back("--key_file=" + sandbox_->root + "/master.key");  // shared by the replicas
    flags.push_back("--peer_listen=127.0.0.1:0");
    flags.push_back("--advertise_host=127.0.0.1");
    flags.push_back(absl::StrCat("--lease_ttl=", kLeaseTtl));
    flags.push_back("--instance=" + r.name);
    r.spawned = absl::Now();
    absl::StatusOr<std::unique_ptr<TgrpcdChild>> child = TgrpcdChild::Spawn(flags, r.log);
    if (!child.ok()) return ::testing::AssertionFailure() << r.name << ": " << child.status();
    r.child = *std::move(child);
    return ::testing::AssertionSuccess();
  }

  // Until the slot's process printed its ready line and its readiness service says SERVING (it
  // joined the cluster); then callers and consumers may use it.
  ::testing::AssertionResult WaitJoined(int slot, absl::Duration guard) {
    Replica& r = replicas_[slot];
    const absl::Time deadline = absl::Now() + guard;
    absl::StatusOr<int> port = r.child->WaitReady(guard);
    if (!port.ok()) {
      return ::testing::AssertionFailure() << r.name << ": " << port.status() << "\n"
                                           << TailOf(r.log, 30);
    }
    r.port = *port;
    grpc::Status status;
    grpc::health::v1::HealthCheckResponse response;
    while (true) {
      status = CheckReadiness(r.port, &response);
      if (status.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
        break;
      }
      if (Ended(r)) {
        return ::testing::AssertionFailure()
               << r.name << " ended before it joined: " << DescribeWaitStatus(*r.child->Wait({}))
               << "\n"
               << TailOf(r.log, 30);
      }
      if (absl::Now() > deadline) {
        return ::testing::AssertionFailure()
               << r.name << ": tgrpc.readiness not SERVING within " << absl::FormatDuration(guard)
               << " (last: " << status.error_code() << " " << status.error_message()
               << ", serving status " << response.status() << ")\n"
               << TailOf(r.log, 30);
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    join_ms_.push_back(absl::ToDoubleMilliseconds(absl::Now() - r.spawned));
    live_.Set(slot, r.port);
    return ::testing::AssertionSuccess();
  }

  static bool Ended(Replica& r) { return r.child != nullptr && r.child->Wait({}).ok(); }

  // Fails if a replica the test did not kill has ended (by itself).
  ::testing::AssertionResult AllRunning(const std::string& when) {
    for (Replica& r : replicas_) {
      if (!r.killed && Ended(r)) {
        return ::testing::AssertionFailure() << when << ": " << r.name << " ended by itself ("
                                             << DescribeWaitStatus(*r.child->Wait({})) << ")\n"
                                             << TailOf(r.log, 30);
      }
    }
    return ::testing::AssertionSuccess();
  }

  // The lease table as PostgreSQL has it (psql), for a failed takeover: who holds each account's
  // lease, at which epoch, whether it is live, and the holder's instance.
  std::string Leases() const {
    const std::string command = absl::StrCat(
        "psql '", pg_->Conninfo("tgrpc"),
        "' -X -A -F ' ' -c \"SELECT l.account_id, r.instance, l.epoch, "
        "CASE WHEN l.expires_at > now() THEN 'live' ELSE 'expired' END, "
        "CASE WHEN r.expires_at > now() THEN 'replica live' ELSE 'replica gone' END "
        "FROM account_leases l LEFT JOIN replicas r ON r.holder = l.holder ORDER BY 1\" 2>&1");
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return "(psql could not start)";
    std::string out;
    char buffer[4096];
    for (size_t got; (got = fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, got);
    pclose(pipe);
    return out;
  }

  std::string LogTails(int lines) const {
    std::string out;
    for (const Replica& r : replicas_) {
      absl::StrAppend(&out, "--- ", r.name, " (", r.log, ")\n", TailOf(r.log, lines));
    }
    return out;
  }

  // The first `settings_.accounts` accounts, signed up through the three replicas at once.
  ::testing::AssertionResult SignUpAccounts() {
    for (int i = 0; i < settings_.accounts; ++i) ids_.push_back(absl::StrFormat("acct-%04d", i));
    absl::Mutex mutex;
    std::string failure;
    std::vector<std::thread> threads;
    for (int slot = 0; slot < kReplicas; ++slot) {
      threads.emplace_back([&, slot] {
        Client client(replicas_[slot].port);
        for (int i = slot; i < settings_.accounts; i += kReplicas) {
          absl::StatusOr<int64_t> user = client.SignUp(ids_[i], Phone(i), /*max_sessions=*/1);
          if (!user.ok()) {
            absl::MutexLock lock(&mutex);
            if (failure.empty()) failure = user.status().ToString();
            return;
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    if (!failure.empty()) return ::testing::AssertionFailure() << "sign-up: " << failure;
    return ::testing::AssertionSuccess();
  }

  // Telegram test numbers on DC 2 (99966 2 YYYY, code 22222).
  static std::string Phone(int i) { return absl::StrFormat("999662%04d", 1000 + i); }

  // Bob's message to consumer `c`, remembered as expected.
  absl::Status Post(int c, const std::string& tag) {
    ConsumerSlot& slot = *consumers_[c];
    const std::string text = absl::StrCat(kPrefix, tag, " to ", slot.id);
    absl::Status s = poster_->Send(slot.chat, text);
    if (!s.ok()) return absl::Status(s.code(), absl::StrCat(text, ": ", s.message()));
    absl::MutexLock lock(&expected_mutex_);
    expected_[c].insert(text);
    return absl::OkStatus();
  }

  std::set<std::string> Expected(int c) {
    absl::MutexLock lock(&expected_mutex_);
    return expected_[c];
  }

  // The number of expected messages consumers have not got yet; waits until none (true) or
  // `guard`. With `flush`, Bob writes again to the accounts still missing some after 5 s without
  // progress (a lost push shows only when the next one comes).
  bool WaitForDelivery(absl::Duration guard, bool flush) {
    const absl::Time deadline = absl::Now() + guard;
    absl::Time progress = absl::Now();
    size_t last_missing = 0;
    while (true) {
      size_t missing = 0;
      std::vector<int> behind;
      for (size_t c = 0; c < consumers_.size(); ++c) {
        const size_t m = consumers_[c]->audit.Missing(Expected(static_cast<int>(c))).size();
        missing += m;
        if (m > 0) behind.push_back(static_cast<int>(c));
      }
      if (missing == 0) return true;
      if (absl::Now() > deadline) return false;
      if (missing != last_missing) {
        last_missing = missing;
        progress = absl::Now();
      } else if (flush && absl::Now() - progress > absl::Seconds(5)) {
        ++flush_rounds_;
        std::printf("  flush round %d: %zu messages missing\n", flush_rounds_, missing);
        std::fflush(stdout);
        for (int c : behind) {
          if (!Post(c, absl::StrCat("flush ", flush_rounds_)).ok()) return false;
        }
        progress = absl::Now();
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  // Consumers whose board shows `port` move to another live replica.
  void MoveConsumersOff(int port, std::mt19937_64& rng) {
    for (std::unique_ptr<ConsumerSlot>& c : consumers_) {
      if (c->board.port() == port) c->board.Set(live_.Pick(rng));
    }
  }

  struct Round {
    double takeover_ms = 0;
    bool early_restart = false;
  };

  // One chaos round: SIGKILL of the replica in `slot`, the takeover polled, a new process in its
  // place (before the takeover completes when `early_after` is set) joined.
  ::testing::AssertionResult KillAndRestart(int kill, int slot, std::mt19937_64& rng,
                                            Round* round) {
    Replica& victim = replicas_[slot];
    const std::string victim_name = victim.name;
    const int victim_port = victim.port;
    std::vector<int> survivors;
    for (int s = 0; s < kReplicas; ++s) {
      if (s != slot) survivors.push_back(replicas_[s].port);
    }
    live_.Set(slot, 0);
    MoveConsumersOff(victim_port, rng);

    victim.killed = true;
    const absl::Time killed = absl::Now();
    victim.child->Signal(SIGKILL);
    absl::StatusOr<int> status = victim.child->Wait(absl::Seconds(10));
    if (!status.ok())
      return ::testing::AssertionFailure() << victim_name << ": " << status.status();
    if (!WIFSIGNALED(*status) || WTERMSIG(*status) != SIGKILL) {
      return ::testing::AssertionFailure()
             << victim_name << " had ended by itself (" << DescribeWaitStatus(*status) << ")\n"
             << TailOf(victim.log, 30);
    }
    // A third of the rounds start the new process while the dead one's leases are expiring.
    round->early_restart = rng() % 3 == 0;
    const absl::Duration early_after = absl::Milliseconds(static_cast<int64_t>(rng() % 1500));
    bool respawned = false;

    // Every account through a random survivor, all at once, until each has answered once.
    std::set<std::string> pending(ids_.begin(), ids_.end());
    std::map<std::string, std::string> last_failure;
    absl::Time last_answer = killed;
    while (!pending.empty()) {
      if (round->early_restart && !respawned && absl::Now() - killed >= early_after) {
        if (auto spawned = Spawn(slot); !spawned) return spawned;
        respawned = true;
      }
      if (absl::Now() - killed > kTakeoverGuard) {
        std::string accounts;
        for (const std::string& id : pending) {
          absl::StrAppend(&accounts, "\n  ", id, ": ", last_failure[id]);
        }
        return ::testing::AssertionFailure()
               << "kill " << kill << " (" << victim_name << "): " << pending.size()
               << " accounts still not answering through a survivor after "
               << absl::FormatDuration(kTakeoverGuard) << ":" << accounts
               << "\nleases (account, holder instance, epoch, lease, holder):\n"
               << Leases() << LogTails(30);
      }
      std::vector<Probe> probes;
      for (const std::string& id : pending) {
        probes.push_back(Probe{survivors[rng() % survivors.size()], id, {}, {}});
      }
      RunProbes(poll_clients_, probes, /*deadline_seconds=*/2);
      for (const Probe& p : probes) {
        tally_.Count(p.status, absl::StrCat("takeover poll, GetMe ", p.id, " via ", p.port));
        if (p.status.ok()) {
          pending.erase(p.id);
          last_answer = std::max(last_answer, p.done);
        } else {
          last_failure[p.id] = absl::StrCat(p.status.error_code(), " ", p.status.error_message());
        }
      }
      if (!pending.empty()) absl::SleepFor(absl::Milliseconds(20));
    }
    round->takeover_ms = absl::ToDoubleMilliseconds(last_answer - killed);
    if (auto running = AllRunning(absl::StrCat("kill ", kill)); !running) return running;

    if (!respawned) {
      if (auto spawned = Spawn(slot); !spawned) return spawned;
    }
    if (auto joined = WaitJoined(slot, absl::Seconds(60)); !joined) return joined;
    std::printf(
        "  kill %d: %s (port %d) SIGKILLed; every account answered through a survivor after %.0f "
        "ms; %s %s, joined %.0f ms after its start\n",
        kill, victim_name.c_str(), victim_port, round->takeover_ms,
        round->early_restart
            ? absl::StrFormat("restarted %lld ms after the kill as",
                              static_cast<long long>(absl::ToInt64Milliseconds(early_after)))
                  .c_str()
            : "then restarted as",
        replicas_[slot].name.c_str(), join_ms_.back());
    std::fflush(stdout);
    return ::testing::AssertionSuccess();
  }

  Settings settings_;
  std::unique_ptr<service::PostgresTestServer> pg_;
  std::unique_ptr<tgrpcd_bench::Sandbox> sandbox_;
  Replica replicas_[kReplicas];
  int next_replica_ = 0;
  LiveSet live_;
  std::vector<double> join_ms_;  // from a process's start until its readiness said SERVING
  std::vector<std::string> ids_;
  Tally tally_;
  Clients poll_clients_;  // the main thread's

  std::unique_ptr<fakedc::TestPoster> poster_;
  absl::Mutex expected_mutex_;
  std::map<int, std::set<std::string>> expected_ ABSL_GUARDED_BY(expected_mutex_);
  std::vector<std::unique_ptr<ConsumerSlot>> consumers_;
  int flush_rounds_ = 0;

  std::atomic<bool> stop_callers_{false};
  std::atomic<bool> stop_sender_{false};
  std::vector<std::thread> threads_;
};

TEST_F(ClusterTest, ReplicasKilledAtRandomLoseNoCallNoUpdateAndNoKeyIsUsedTwice) {
  const absl::Time begin = absl::Now();
  std::printf("cluster test: %d replicas, %d kills, %d accounts, %d consumers, seed %u\n",
              kReplicas, settings_.kills, settings_.accounts, settings_.consumers, settings_.seed);
  std::fflush(stdout);

  // The first replica makes the shared key file; then the other two.
  ASSERT_TRUE(Spawn(0));
  ASSERT_TRUE(WaitJoined(0, absl::Seconds(60)));
  for (int slot = 1; slot < kReplicas; ++slot) ASSERT_TRUE(Spawn(slot));
  for (int slot = 1; slot < kReplicas; ++slot) ASSERT_TRUE(WaitJoined(slot, absl::Seconds(60)));
  ASSERT_TRUE(SignUpAccounts());

  absl::StatusOr<std::unique_ptr<fakedc::TestPoster>> poster =
      fakedc::TestPoster::SignIn(*sandbox_->dc, fakedc::kSeedBobPhone);
  ASSERT_TRUE(poster.ok()) << poster.status();
  poster_ = *std::move(poster);
  for (int c = 0; c < settings_.consumers; ++c) {
    auto slot = std::make_unique<ConsumerSlot>();
    slot->id = ids_[c];
    absl::StatusOr<fakedc::PeerRef> chat = poster_->PrivateChatWith(Phone(c));
    ASSERT_TRUE(chat.ok()) << chat.status();
    slot->chat = *chat;
    slot->board.Set(replicas_[c % kReplicas].port);
    consumers_.push_back(std::move(slot));
  }
  // The first four accounts are read in pairs, one stream over two accounts (which replicas
  // own them changes with every kill: the stream is merged from two owners, or one); the rest
  // alone.
  for (int c = 0; c < settings_.consumers;) {
    const int accounts = c + 1 < std::min(4, settings_.consumers) ? 2 : 1;
    UpdateConsumerOptions options;
    std::vector<DeliveryAudit*> audits;
    for (int i = c; i < c + accounts; ++i) {
      options.accounts.push_back("accounts/" + consumers_[i]->id);
      audits.push_back(&consumers_[i]->audit);
    }
    options.consumer = absl::StrCat("cluster-consumer-", c);
    options.bearer_token = kToken;
    options.text_prefix = kPrefix;
    options.seed = settings_.seed * 1000 + 100 + c;
    consumers_[c]->consumer =
        std::make_unique<UpdateConsumer>(options, &consumers_[c]->board, std::move(audits));
    for (int i = c; i < c + accounts; ++i) consumers_[i]->reader = consumers_[c]->consumer.get();
    c += accounts;
  }
  for (std::unique_ptr<ConsumerSlot>& c : consumers_) {
    if (c->consumer) c->consumer->Start();
  }
  // A first message to each, through before the chaos starts.
  for (int c = 0; c < settings_.consumers; ++c) ASSERT_TRUE(Post(c, "warm-up").ok());
  ASSERT_TRUE(WaitForDelivery(absl::Seconds(30), /*flush=*/false))
      << "the warm-up messages did not arrive\n"
      << LogTails(30);

  // Two callers through random live replicas.
  for (int t = 0; t < 2; ++t) {
    threads_.emplace_back([this, t] {
      std::mt19937_64 rng(settings_.seed * 1000 + 10 + t);
      Clients clients;
      while (!stop_callers_.load()) {
        const int port = live_.Pick(rng);
        if (port == 0) {
          absl::SleepFor(absl::Milliseconds(10));
          continue;
        }
        const std::string& id = ids_[rng() % ids_.size()];
        Client& client = clients.Of(port);
        v1::GetMeRequest request;
        request.set_account("accounts/" + id);
        v1::User user;
        grpc::Status status = client.users->GetMe(client.Context(5).get(), request, &user);
        tally_.Count(status, absl::StrCat("caller, GetMe ", id, " via ", port));
        absl::SleepFor(absl::Milliseconds(status.ok() ? 5 : 20));
      }
    });
  }
  // Bob writes to the consumers' accounts in turn at a steady pace.
  std::atomic<int> sent{0};
  absl::Mutex sender_mutex;
  std::string sender_error;
  threads_.emplace_back([&] {
    const absl::Time start = absl::Now();
    for (int i = 0; !stop_sender_.load(); ++i) {
      absl::SleepFor(start + absl::Seconds(1) * i / settings_.messages_per_second - absl::Now());
      absl::Status s = Post(i % settings_.consumers, absl::StrCat(i));
      if (!s.ok()) {
        absl::MutexLock lock(&sender_mutex);
        sender_error = s.ToString();
        return;
      }
      sent.fetch_add(1);
    }
  });

  // The chaos.
  std::mt19937_64 rng(settings_.seed);
  std::vector<double> takeover_ms;
  int early_restarts = 0;
  ::testing::AssertionResult chaos = ::testing::AssertionSuccess();
  for (int kill = 1; kill <= settings_.kills; ++kill) {
    absl::SleepFor(absl::Milliseconds(300 + static_cast<int64_t>(rng() % 700)));
    if (chaos = AllRunning(absl::StrCat("before kill ", kill)); !chaos) break;
    Round round;
    if (chaos = KillAndRestart(kill, static_cast<int>(rng() % kReplicas), rng, &round); !chaos) {
      break;
    }
    takeover_ms.push_back(round.takeover_ms);
    early_restarts += round.early_restart ? 1 : 0;
  }
  // A failed round ends the chaos; the consumers still drain (a shorter wait) and the figures are
  // printed, so that what the updates went through shows too.
  EXPECT_TRUE(chaos);
  const bool chaos_failed = !chaos;

  // The end: Bob stops, one closing message each, and the consumers drain.
  stop_sender_.store(true);
  stop_callers_.store(true);
  StopThreads();
  {
    absl::MutexLock lock(&sender_mutex);
    ASSERT_TRUE(sender_error.empty()) << "Bob: " << sender_error;
  }
  for (int c = 0; c < settings_.consumers; ++c) ASSERT_TRUE(Post(c, "closing").ok());
  const absl::Duration drain_guard = chaos_failed ? absl::Seconds(15) : absl::Seconds(60);
  const bool drained = WaitForDelivery(drain_guard, /*flush=*/true);
  absl::SleepFor(absl::Milliseconds(700));  // the last batches get acknowledged at a checkpoint
  for (std::unique_ptr<ConsumerSlot>& c : consumers_) {
    if (c->consumer) c->consumer->Stop();
  }
  EXPECT_TRUE(AllRunning("at the end"));

  std::string per_consumer;
  int64_t lost_total = 0, duplicated_total = 0, out_of_order_total = 0;
  std::vector<std::string> problems;
  for (size_t c = 0; c < consumers_.size(); ++c) {
    const DeliveryAudit::Figures f = consumers_[c]->audit.figures();
    const UpdateConsumer::Figures u = consumers_[c]->reader->figures();
    const std::set<std::string> expected = Expected(static_cast<int>(c));
    const std::vector<std::string> missing = consumers_[c]->audit.Missing(expected);
    lost_total += static_cast<int64_t>(missing.size());
    duplicated_total += f.duplicated;
    out_of_order_total += f.out_of_order;
    absl::StrAppend(&per_consumer, c == 0 ? "" : "; ", consumers_[c]->id, " ", expected.size(),
                    " sent ", f.distinct, " delivered (", f.deliveries, " deliveries, ",
                    f.redelivered, " redelivered, ", u.streams, " streams) ", missing.size(),
                    " lost ", f.duplicated, " duplicated ", f.out_of_order, " out of order");
    for (size_t i = 0; i < missing.size() && i < 10; ++i) {
      problems.push_back(absl::StrCat(consumers_[c]->id, " lost \"", missing[i], "\""));
    }
    for (const std::string& p : consumers_[c]->audit.problems()) {
      problems.push_back(absl::StrCat(consumers_[c]->id, ": ", p));
    }
  }
  std::sort(takeover_ms.begin(), takeover_ms.end());
  std::vector<double> joins = join_ms_;
  std::sort(joins.begin(), joins.end());
  const int64_t duplicated_keys = sandbox_->dc->DuplicatedAuthKeys();
  std::printf(
      "cluster: %s%zu kills (%d restarted before the takeover ended), %d accounts, %d replicas "
      "(lease_ttl %s, %d processes); takeover (SIGKILL until every account answered through a "
      "survivor) min %.0f ms, median %.0f ms, max %.0f ms; join (start until readiness SERVING) "
      "median %.0f ms, max %.0f ms; calls answered %lld, retryable %lld, other %lld; Bob sent "
      "%d messages (+ warm-up, closing, %d flush rounds); consumers: %s; AUTH_KEY_DUPLICATED "
      "%lld; %.1f s\n",
      chaos_failed ? "CHAOS STOPPED BY A FAILED ROUND, " : "", takeover_ms.size(), early_restarts,
      settings_.accounts, kReplicas, kLeaseTtl, next_replica_,
      takeover_ms.empty() ? 0.0 : takeover_ms.front(),
      takeover_ms.empty() ? 0.0 : takeover_ms[takeover_ms.size() / 2],
      takeover_ms.empty() ? 0.0 : takeover_ms.back(), joins.empty() ? 0.0 : joins[joins.size() / 2],
      joins.empty() ? 0.0 : joins.back(), static_cast<long long>(tally_.answered()),
      static_cast<long long>(tally_.retryable()), static_cast<long long>(tally_.other()),
      sent.load(), flush_rounds_, per_consumer.c_str(), static_cast<long long>(duplicated_keys),
      absl::ToDoubleSeconds(absl::Now() - begin));
  for (size_t i = 0; i < problems.size() && i < 50; ++i) {
    std::printf("  problem: %s\n", problems[i].c_str());
  }
  std::fflush(stdout);

  EXPECT_TRUE(drained) << "the consumers did not get every message within "
                       << absl::FormatDuration(drain_guard);
  EXPECT_EQ(duplicated_keys, 0);
  EXPECT_EQ(tally_.other(), 0) << tally_.first_other();
  EXPECT_GT(tally_.answered(), 0);
  EXPECT_EQ(lost_total, 0);
  EXPECT_EQ(duplicated_total, 0);
  EXPECT_EQ(static_cast<int>(takeover_ms.size()), settings_.kills);
}

}  // namespace
}  // namespace tgrpc::crash
