// What tgrpcd adds to a call: UserService.GetMe through a tgrpcd child process (gRPC, then
// users.getFullUser(inputUserSelf) on the account's MTProto sessions) against the same
// users.getFullUser sent straight on ClientConnections to the same in-process fakedc, in one
// run. For 1 and 10 sessions per account (Account.max_sessions on the tgrpcd side, as many
// ClientConnections on one key on the direct side) and each --concurrency (calls kept in flight,
// closed loop), it prints calls/s, p50 and p99 of both, the latency tgrpcd adds, the ratios, the
// sessions tgrpcd had open and its CPU time per call. tgrpcd opens a session beyond an account's
// first when every open one has --max_calls_per_session calls in flight. Figures only, never
// asserted (docs/testing.md).
//
//   bazel run -c opt //tests/bench:tgrpcd_latency_bench -- [--duration_ms=3000]
//       [--warmup_ms=500] [--concurrency=1,8,64] [--sessions=1,10] [--max_calls_per_session=8]
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "mtproto/crypto/rsa_key.h"
#include "mtproto/net/client_connection.h"
#include "tests/bench/tgrpcd_bench_util.h"
#include "tests/crash/tgrpcd_child.h"
#include "tests/e2e/with_layer.h"
#include "tl/generated/api.h"

namespace tgrpc::tgrpcd_bench {
namespace {

namespace api = tl::api;
using Clock = std::chrono::steady_clock;
using e2e::WithLayer;
using mtproto::net::ClientConnection;

struct Result {
  double calls_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t calls = 0;
  int64_t errors = 0;
  std::string first_error;
};

// Latencies of the calls that finished inside the measuring window.
class Recorder {
 public:
  Recorder(Clock::time_point from, Clock::time_point until) : from_(from), until_(until) {}

  // Records a finished call; false once the window is over (stop issuing).
  bool Done(Clock::time_point start, bool ok, const std::string& error) {
    const Clock::time_point now = Clock::now();
    std::lock_guard<std::mutex> lock(mutex_);
    if (!ok) {
      if (errors_++ == 0) first_error_ = error;
    } else if (start >= from_ && now <= until_) {
      latencies_ms_.push_back(std::chrono::duration<double, std::milli>(now - start).count());
    }
    return now < until_;
  }

  // A caller stopped issuing.
  void Retire() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++retired_;
    cv_.notify_all();
  }

  Result Wait(int callers) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return retired_ == callers; });
    Result r;
    r.calls = static_cast<int64_t>(latencies_ms_.size());
    r.calls_per_s =
        static_cast<double>(r.calls) / std::chrono::duration<double>(until_ - from_).count();
    r.p50_ms = Quantile(latencies_ms_, 0.5);
    r.p99_ms = Quantile(latencies_ms_, 0.99);
    r.errors = errors_;
    r.first_error = first_error_;
    return r;
  }

 private:
  const Clock::time_point from_;
  const Clock::time_point until_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<double> latencies_ms_;
  int64_t errors_ = 0;
  std::string first_error_;
  int retired_ = 0;
};

// --- straight on ClientConnections --------------------------------------------------------------

struct Direct {
  std::vector<std::unique_ptr<ClientConnection>> connections;
  std::string body;  // users.getFullUser(inputUserSelf)
};

mtproto::net::ClientConnectionOptions DirectOptions(const Sandbox& sandbox, uint64_t seed) {
  mtproto::net::ClientConnectionOptions options;
  options.port = sandbox.dc->port(2);
  options.dc_id = 2;
  absl::StatusOr<mtproto::crypto::RsaPrivateKey> key =
      mtproto::crypto::RsaPrivateKey::FromPem(sandbox.server_key_pem);
  if (key.ok()) options.server_keys = {key->public_key()};
  // Seeded, as the tests do: runs are comparable and need no entropy.
  auto engine = std::make_shared<std::mt19937_64>(seed);
  options.random = [engine](absl::Span<uint8_t> out) {
    for (uint8_t& b : out) b = static_cast<uint8_t>((*engine)() >> 56);
  };
  options.log = [](mtproto::net::LogLevel level, absl::string_view message) {
    if (level >= mtproto::net::LogLevel::kWarning) {
      std::fprintf(stderr, "direct: %s\n", std::string(message).c_str());
    }
  };
  return options;
}

template <class T>
absl::StatusOr<T> Get(std::future<absl::StatusOr<T>> future) {
  if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    return absl::DeadlineExceededError("no answer in 60 s");
  }
  return future.get();
}

// One connection makes the key and signs up `phone`; the others are new sessions on that key.
absl::StatusOr<Direct> StartDirect(const Sandbox& sandbox, const std::string& phone, int sessions) {
  Direct direct;
  auto stored = std::make_shared<std::promise<mtproto::net::StoredAuthKey>>();
  auto stored_future = stored->get_future();
  mtproto::net::ClientConnectionOptions options = DirectOptions(sandbox, 1);
  options.on_auth_key = [stored](const mtproto::net::StoredAuthKey& key) {
    try {
      stored->set_value(key);
    } catch (const std::future_error&) {
    }
  };
  absl::StatusOr<std::unique_ptr<ClientConnection>> first =
      ClientConnection::Create(std::move(options));
  if (!first.ok()) return first.status();
  ClientConnection& c = **first;
  absl::StatusOr<tl::Ptr<api::Config>> config =
      Get(c.Call<api::help_getConfig>(*WithLayer(std::make_unique<api::help_getConfig>())));
  if (!config.ok()) return config.status();
  api::auth_sendCode send_code;
  send_code.phone_number = "+" + phone;
  send_code.api_id = 1;
  send_code.api_hash = "bench";
  send_code.settings = std::make_unique<api::codeSettings>();
  absl::StatusOr<tl::Ptr<api::auth_SentCode>> sent = Get(c.Call<api::auth_sendCode>(send_code));
  if (!sent.ok()) return sent.status();
  const auto* sent_code = dynamic_cast<const api::auth_sentCode*>(sent->get());
  if (sent_code == nullptr) return absl::InternalError("auth.sendCode: not an auth.sentCode");
  api::auth_signIn sign_in;
  sign_in.phone_number = send_code.phone_number;
  sign_in.phone_code_hash = sent_code->phone_code_hash;
  sign_in.phone_code = std::string(5, phone[5]);
  absl::StatusOr<tl::Ptr<api::auth_Authorization>> authorization =
      Get(c.Call<api::auth_signIn>(sign_in));
  if (!authorization.ok()) return authorization.status();
  if (dynamic_cast<const api::auth_authorizationSignUpRequired*>(authorization->get()) != nullptr) {
    api::auth_signUp sign_up;
    sign_up.phone_number = send_code.phone_number;
    sign_up.phone_code_hash = sent_code->phone_code_hash;
    sign_up.first_name = "Direct";
    authorization = Get(c.Call<api::auth_signUp>(sign_up));
    if (!authorization.ok()) return authorization.status();
  }
  if (dynamic_cast<const api::auth_authorization*>(authorization->get()) == nullptr) {
    return absl::InternalError("sign-up: not an auth.authorization");
  }
  if (stored_future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    return absl::InternalError("no auth key reported");
  }
  const mtproto::net::StoredAuthKey key = stored_future.get();
  direct.connections.push_back(*std::move(first));
  for (int i = 1; i < sessions; ++i) {
    mtproto::net::ClientConnectionOptions more = DirectOptions(sandbox, 1 + i);
    more.auth_key = key;
    absl::StatusOr<std::unique_ptr<ClientConnection>> next =
        ClientConnection::Create(std::move(more));
    if (!next.ok()) return next.status();
    absl::StatusOr<tl::Ptr<api::Config>> hello = Get(
        (*next)->Call<api::help_getConfig>(*WithLayer(std::make_unique<api::help_getConfig>())));
    if (!hello.ok()) return hello.status();
    direct.connections.push_back(*std::move(next));
  }
  api::users_getFullUser request;
  request.id = std::make_unique<api::inputUserSelf>();
  absl::StatusOr<std::string> body = tl::Serialize(request);
  if (!body.ok()) return body.status();
  direct.body = *std::move(body);
  return direct;
}

struct DirectLoad {
  Direct* direct = nullptr;
  Recorder* recorder = nullptr;
  std::atomic<uint64_t> next{0};
};

void IssueDirect(const std::shared_ptr<DirectLoad>& load) {
  const Clock::time_point start = Clock::now();
  const size_t n = load->direct->connections.size();
  ClientConnection& connection = *load->direct->connections[load->next.fetch_add(1) % n];
  connection.Invoke(load->direct->body, [load, start](mtproto::net::CallResult result) {
    if (load->recorder->Done(start, result.ok(), result.ok() ? "" : result.status().ToString())) {
      IssueDirect(load);
    } else {
      load->recorder->Retire();
    }
  });
}

Result RunDirect(Direct& direct, int concurrency, absl::Duration warmup, absl::Duration duration) {
  const Clock::time_point from = Clock::now() + absl::ToChronoNanoseconds(warmup);
  Recorder recorder(from, from + absl::ToChronoNanoseconds(duration));
  auto load = std::make_shared<DirectLoad>();
  load->direct = &direct;
  load->recorder = &recorder;
  for (int i = 0; i < concurrency; ++i) IssueDirect(load);
  return recorder.Wait(concurrency);
}

// --- through tgrpcd ---------------------------------------------------------------------------

struct GrpcCall {
  std::unique_ptr<grpc::ClientContext> context;
  v1::GetMeRequest request;
  v1::User response;
  Clock::time_point start;
};

struct GrpcLoad {
  Client* client = nullptr;
  std::string account;
  Recorder* recorder = nullptr;
};

void IssueGrpc(const std::shared_ptr<GrpcLoad>& load) {
  auto call = std::make_shared<GrpcCall>();
  call->context = load->client->Context(60);
  call->request.set_account("accounts/" + load->account);
  call->start = Clock::now();
  load->client->users->async()->GetMe(
      call->context.get(), &call->request, &call->response, [load, call](grpc::Status status) {
        if (load->recorder->Done(call->start, status.ok(),
                                 status.ok() ? "" : status.error_message())) {
          IssueGrpc(load);
        } else {
          load->recorder->Retire();
        }
      });
}

Result RunGrpc(Client& client, const std::string& account, int concurrency, absl::Duration warmup,
               absl::Duration duration) {
  const Clock::time_point from = Clock::now() + absl::ToChronoNanoseconds(warmup);
  Recorder recorder(from, from + absl::ToChronoNanoseconds(duration));
  auto load = std::make_shared<GrpcLoad>();
  load->client = &client;
  load->account = account;
  load->recorder = &recorder;
  for (int i = 0; i < concurrency; ++i) IssueGrpc(load);
  return recorder.Wait(concurrency);
}

// utime + stime of a process, in seconds.
double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> fields = absl::StrSplit(text.substr(close + 2), ' ');
  // After the command: state is field 3; utime and stime are fields 14 and 15.
  if (fields.size() < 13) return 0;
  double utime = 0, stime = 0;
  (void)absl::SimpleAtod(fields[11], &utime);
  (void)absl::SimpleAtod(fields[12], &stime);
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

int Run(int argc, char** argv) {
  Args args(argc, argv);
  const absl::Duration duration = absl::Milliseconds(args.TakeInt("duration_ms", 3000));
  const absl::Duration warmup = absl::Milliseconds(args.TakeInt("warmup_ms", 500));
  const std::vector<int> concurrencies = args.TakeIntList("concurrency", "1,8,64");
  const std::vector<int> session_counts = args.TakeIntList("sessions", "1,10");
  const int max_calls_per_session = static_cast<int>(args.TakeInt("max_calls_per_session", 8));
  if (!args.Leftover().empty()) {
    std::fprintf(stderr,
                 "unknown flags: %s\nusage: tgrpcd_latency_bench [--duration_ms=3000] "
                 "[--warmup_ms=500] [--concurrency=1,8,64] [--sessions=1,10] "
                 "[--max_calls_per_session=8]\n",
                 absl::StrJoin(args.Leftover(), ", ").c_str());
    return 2;
  }
  if (absl::Status s = crash::EnterRunfiles(argv[0]); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  RaiseFileLimit();
  absl::StatusOr<Sandbox> sandbox = StartSandbox("tgrpcd-latency-bench");
  if (!sandbox.ok()) {
    std::fprintf(stderr, "fakedc: %s\n", sandbox.status().ToString().c_str());
    return 1;
  }
  std::vector<std::string> flags =
      crash::SandboxFlags(*sandbox->dc, sandbox->public_key_path, sandbox->root + "/tgrpcd");
  flags.push_back(absl::StrCat("--max_calls_per_session=", max_calls_per_session));
  absl::StatusOr<std::unique_ptr<crash::TgrpcdChild>> child =
      crash::TgrpcdChild::Spawn(flags, sandbox->root + "/tgrpcd.log");
  if (!child.ok()) {
    std::fprintf(stderr, "tgrpcd: %s\n", child.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<int> port = (*child)->WaitReady(absl::Seconds(30));
  if (!port.ok()) {
    std::fprintf(stderr, "tgrpcd: %s\n%s\n", port.status().ToString().c_str(),
                 crash::TailOf(sandbox->root + "/tgrpcd.log", 20).c_str());
    return 1;
  }
  Client client(*port);

  std::printf(
      "tgrpcd_latency_bench: UserService.GetMe through tgrpcd vs users.getFullUser(self) on "
      "ClientConnections, same fakedc; %s per run after %s warm-up; tgrpcd "
      "--max_calls_per_session=%d\n",
      absl::FormatDuration(duration).c_str(), absl::FormatDuration(warmup).c_str(),
      max_calls_per_session);
  std::printf("%8s %6s | %10s %8s %8s | %10s %8s %8s | %9s %9s | %8s %8s %8s | %9s %9s\n",
              "sessions", "conc", "direct/s", "p50 ms", "p99 ms", "tgrpcd/s", "p50 ms", "p99 ms",
              "+p50 ms", "+p99 ms", "p50 x", "p99 x", "rate x", "sessions", "cpu us");
  std::fflush(stdout);

  int phone = 0;
  for (int sessions : session_counts) {
    const std::string account = absl::StrCat("bench-s", sessions);
    absl::StatusOr<int64_t> user =
        client.SignUp(account, absl::StrFormat("9996620%03d", ++phone), sessions);
    if (!user.ok()) {
      std::fprintf(stderr, "%s\n", user.status().ToString().c_str());
      return 1;
    }
    absl::StatusOr<Direct> direct =
        StartDirect(*sandbox, absl::StrFormat("9996620%03d", 500 + phone), sessions);
    if (!direct.ok()) {
      std::fprintf(stderr, "direct: %s\n", direct.status().ToString().c_str());
      return 1;
    }
    for (int concurrency : concurrencies) {
      const Result d = RunDirect(*direct, concurrency, warmup, duration);
      const double cpu_before = ProcessCpuSeconds((*child)->pid());
      const Result t = RunGrpc(client, account, concurrency, warmup, duration);
      const double cpu = ProcessCpuSeconds((*child)->pid()) - cpu_before;
      absl::StatusOr<std::pair<int, int>> open = client.Sessions(account);
      // tgrpcd's CPU per call, over the whole run (warm-up included, so per call of it too).
      const double calls_in_run = t.calls_per_s * absl::ToDoubleSeconds(duration + warmup);
      std::printf(
          "%8d %6d | %10.0f %8.3f %8.3f | %10.0f %8.3f %8.3f | %+9.3f %+9.3f | %8.2f %8.2f %8.2f "
          "| %9s %9.0f\n",
          sessions, concurrency, d.calls_per_s, d.p50_ms, d.p99_ms, t.calls_per_s, t.p50_ms,
          t.p99_ms, t.p50_ms - d.p50_ms, t.p99_ms - d.p99_ms,
          d.p50_ms > 0 ? t.p50_ms / d.p50_ms : 0, d.p99_ms > 0 ? t.p99_ms / d.p99_ms : 0,
          d.calls_per_s > 0 ? t.calls_per_s / d.calls_per_s : 0,
          open.ok() ? absl::StrCat(open->first, "/", open->second).c_str() : "?",
          calls_in_run > 0 ? cpu * 1e6 / calls_in_run : 0);
      if (d.errors + t.errors > 0) {
        std::printf("    errors: direct %lld (%s), tgrpcd %lld (%s)\n",
                    static_cast<long long>(d.errors), d.first_error.c_str(),
                    static_cast<long long>(t.errors), t.first_error.c_str());
      }
      std::fflush(stdout);
    }
  }
  std::printf(
      "columns: calls/s and latency of each path; +p50/+p99: what tgrpcd adds; p50 x, p99 x, "
      "rate x: tgrpcd / direct; sessions: the account's READY/open sessions in tgrpcd after the "
      "run; cpu us: tgrpcd's CPU time per call\n");
  (*child)->Signal(SIGTERM);
  (void)(*child)->Wait(absl::Seconds(30));
  return 0;
}

}  // namespace
}  // namespace tgrpc::tgrpcd_bench

int main(int argc, char** argv) { return tgrpc::tgrpcd_bench::Run(argc, argv); }
