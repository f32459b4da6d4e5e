// Update fan-out: events per second that a tgrpcd child delivers to 1, 10 and 100 StreamUpdates
// consumers of one account, and the latency from the post (a fakedc user, over MTProto, straight
// into fakedc; fakedc pushes at once) to each consumer's receipt. Each round posts --messages
// texts to the account's private chat, as fast as the poster goes (one call at a time) or at
// --rate per second, each carrying its send time; every consumer must get every one.
// Besides the wall clock (which other work on the machine disturbs), each round prints tgrpcd's
// own CPU time per delivery (utime + stime over the round), which such work disturbs far less.
// Figures only, never asserted.
//
//   bazel run -c opt //tests/bench:update_fanout_bench -- [--consumers=1,10,100]
//       [--messages=2000] [--rate=0] [--paced_rate=1000] [--paced_consumers=10]
//       [--connections=10]
// Consumers read on gRPC's callback API, spread over --connections connections.
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/bench/tgrpcd_bench_util.h"
#include "tests/crash/tgrpcd_child.h"
#include "tests/fakedc/test_posting.h"
#include "tgrpc/v1/update.grpc.pb.h"

namespace tgrpc::tgrpcd_bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kAlicePhone[] = "9996621001";
constexpr char kBobPhone[] = "9996621002";

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// One StreamUpdates consumer on gRPC's callback API (no thread of its own, as a caller with
// many streams would do it): it records each of its round's messages' latency.
class Consumer final : public grpc::ClientReadReactor<v1::UpdateEvent> {
 public:
  Consumer(std::string tag, int messages, std::atomic<int>* ready)
      : tag_(std::move(tag)), messages_(messages), ready_(ready) {
    latencies_ms_.reserve(messages);
  }

  void Start(v1::UpdateService::Stub* stub, std::unique_ptr<grpc::ClientContext> context) {
    context_ = std::move(context);
    request_.add_accounts("accounts/alice");
    request_.set_now(true);
    request_.mutable_filter()->add_kinds("new_message");
    request_.mutable_checkpoint_interval()->set_nanos(200'000'000);
    stub->async()->StreamUpdates(context_.get(), &request_, this);
    StartRead(&event_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    if (!counted_) {  // the first event (a checkpoint) says the stream is open
      ++*ready_;
      counted_ = true;
    }
    if (event_.has_new_message()) Record(event_.new_message().text());
    StartRead(&event_);
  }

  void OnDone(const grpc::Status&) override {
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
    done_cv_.notify_all();
  }

  int received() {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(latencies_ms_.size());
  }
  // Ends the stream and waits for gRPC to be done with it.
  void Stop() {
    context_->TryCancel();
    std::unique_lock<std::mutex> lock(mutex_);
    done_cv_.wait(lock, [this] { return done_; });
  }
  // After Stop.
  const std::vector<double>& latencies_ms() const { return latencies_ms_; }
  int64_t last_receipt() const { return last_receipt_; }

 private:
  void Record(const std::string& text) {
    if (text.rfind(tag_, 0) != 0) return;  // an earlier round's
    int64_t sent = 0;
    if (!absl::SimpleAtoi(text.substr(tag_.size()), &sent)) return;
    const int64_t now = NowNanos();
    std::lock_guard<std::mutex> lock(mutex_);
    if (static_cast<int>(latencies_ms_.size()) >= messages_) return;
    latencies_ms_.push_back(static_cast<double>(now - sent) / 1e6);
    last_receipt_ = now;
  }

  const std::string tag_;
  const int messages_;
  std::atomic<int>* const ready_;
  std::unique_ptr<grpc::ClientContext> context_;
  v1::StreamUpdatesRequest request_;
  v1::UpdateEvent event_;
  bool counted_ = false;
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::vector<double> latencies_ms_;
  int64_t last_receipt_ = 0;
};

struct Round {
  int consumers = 0;
  int messages = 0;
  int64_t delivered = 0;
  double seconds = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  double rate = 0;                // posts per second asked (0: as fast as the poster goes)
  double tgrpcd_cpu_seconds = 0;  // over the round (posting to the last receipt)
  double bench_cpu_seconds = 0;   // this process's: fakedc, the poster and the consumers
};

class Bench {
 public:
  // Consumers spread over `connections` gRPC connections (each Client has its own).
  Bench(Sandbox* sandbox, int port, pid_t tgrpcd, int connections, fakedc::TestPoster* poster,
        fakedc::PeerRef chat)
      : sandbox_(sandbox), tgrpcd_(tgrpcd), poster_(poster), chat_(chat) {
    for (int i = 0; i < std::max(connections, 1); ++i) {
      clients_.push_back(std::make_unique<Client>(port));
      stubs_.push_back(v1::UpdateService::NewStub(clients_.back()->channel));
    }
  }

  absl::StatusOr<Round> Run(int consumers, int messages, double rate) {
    const std::string tag = absl::StrCat("r", round_++, "-");
    std::vector<std::unique_ptr<Consumer>> readers;
    std::atomic<int> ready{0};
    for (int i = 0; i < consumers; ++i) {
      const size_t c = static_cast<size_t>(i) % clients_.size();
      readers.push_back(std::make_unique<Consumer>(tag, messages, &ready));
      readers.back()->Start(stubs_[c].get(), clients_[c]->Context(600));
    }
    for (int i = 0; i < 3000 && ready.load() < consumers; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (ready.load() < consumers) return absl::DeadlineExceededError("streams did not open");

    const double cpu_before = tgrpcd_bench::CpuSeconds(tgrpcd_);
    const double bench_cpu_before = tgrpcd_bench::CpuSeconds(getpid());
    const int64_t start = NowNanos();
    for (int i = 0; i < messages; ++i) {
      if (rate > 0) {
        const int64_t due = start + static_cast<int64_t>(1e9 * i / rate);
        while (NowNanos() < due) std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
      absl::Status sent = poster_->Send(chat_, absl::StrCat(tag, NowNanos()));
      if (!sent.ok()) return sent;
    }
    Round round;
    round.consumers = consumers;
    round.messages = messages;
    round.rate = rate;
    // Every message should reach every consumer; one that lost some is cut off after 30 s.
    std::vector<double> all;
    int64_t last = start;
    const Clock::time_point give_up = Clock::now() + std::chrono::seconds(30);
    for (auto& c : readers) {
      while (Clock::now() < give_up && c->received() < messages) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    round.tgrpcd_cpu_seconds = tgrpcd_bench::CpuSeconds(tgrpcd_) - cpu_before;
    round.bench_cpu_seconds = tgrpcd_bench::CpuSeconds(getpid()) - bench_cpu_before;
    for (auto& c : readers) {
      c->Stop();
      round.delivered += static_cast<int64_t>(c->latencies_ms().size());
      all.insert(all.end(), c->latencies_ms().begin(), c->latencies_ms().end());
      last = std::max(last, c->last_receipt());
    }
    round.seconds = static_cast<double>(last - start) / 1e9;
    round.p50_ms = Quantile(all, 0.5);
    round.p99_ms = Quantile(all, 0.99);
    round.max_ms = Quantile(all, 1.0);
    return round;
  }

 private:
  Sandbox* sandbox_;
  const pid_t tgrpcd_;
  fakedc::TestPoster* poster_;
  fakedc::PeerRef chat_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<std::unique_ptr<v1::UpdateService::Stub>> stubs_;
  int round_ = 0;
};

void Print(const Round& r) {
  const double delivered = static_cast<double>(r.delivered);
  std::printf("%9d  %8d  %10lld  %8.2f  %12.0f  %8.2f  %8.2f  %8.2f  %13.2f  %10.0f  %9.2f  %s\n",
              r.consumers, r.messages, static_cast<long long>(r.delivered), r.seconds,
              r.seconds > 0 ? delivered / r.seconds : 0.0, r.p50_ms, r.p99_ms, r.max_ms,
              r.delivered > 0 ? 1e6 * r.tgrpcd_cpu_seconds / delivered : 0.0,
              r.tgrpcd_cpu_seconds > 0 ? delivered / r.tgrpcd_cpu_seconds : 0.0,
              r.seconds > 0 ? (r.tgrpcd_cpu_seconds + r.bench_cpu_seconds) / r.seconds : 0.0,
              r.rate > 0 ? absl::StrCat(r.rate, "/s").c_str() : "as fast as posted");
  std::fflush(stdout);
}

int Main(int argc, char** argv) {
  Args args(argc, argv);
  const std::vector<int> consumer_counts = args.TakeIntList("consumers", "1,10,100");
  const int messages = static_cast<int>(args.TakeInt("messages", 2000));
  const double rate = args.TakeDouble("rate", 0);
  const double paced_rate = args.TakeDouble("paced_rate", 1000);
  const int paced_consumers = static_cast<int>(args.TakeInt("paced_consumers", 10));
  // Consumers are spread over this many connections (separate callers would each have theirs).
  const int connections = static_cast<int>(args.TakeInt("connections", 10));
  if (!args.Leftover().empty()) {
    std::fprintf(stderr, "unknown flags: %s\n", absl::StrJoin(args.Leftover(), ", ").c_str());
    return 2;
  }
  absl::StatusOr<Sandbox> sandbox = StartSandbox("update_fanout_bench");
  if (!sandbox.ok()) {
    std::fprintf(stderr, "fakedc: %s\n", sandbox.status().ToString().c_str());
    return 1;
  }
  const std::string log = sandbox->root + "/tgrpcd.log";
  absl::StatusOr<std::unique_ptr<crash::TgrpcdChild>> child = crash::TgrpcdChild::Spawn(
      crash::SandboxFlags(*sandbox->dc, sandbox->public_key_path, sandbox->root + "/state"), log);
  if (!child.ok()) {
    std::fprintf(stderr, "tgrpcd: %s\n", child.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<int> port = (*child)->WaitReady(absl::Seconds(60));
  if (!port.ok()) {
    std::fprintf(stderr, "tgrpcd: %s\n%s\n", port.status().ToString().c_str(),
                 crash::TailOf(log, 20).c_str());
    return 1;
  }
  Client client(*port);
  // Alice is served by tgrpcd; Bob exists on fakedc (signed up through tgrpcd once) and posts
  // over his own MTProto connection.
  for (const auto& [id, phone] : {std::pair{"alice", kAlicePhone}, std::pair{"bob", kBobPhone}}) {
    absl::StatusOr<int64_t> user = client.SignUp(id, phone, 1);
    if (!user.ok()) {
      std::fprintf(stderr, "sign-up %s: %s\n", id, user.status().ToString().c_str());
      return 1;
    }
  }
  absl::StatusOr<std::unique_ptr<fakedc::TestPoster>> poster =
      fakedc::TestPoster::SignIn(*sandbox->dc, kBobPhone);
  if (!poster.ok()) {
    std::fprintf(stderr, "poster: %s\n", poster.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<fakedc::PeerRef> chat = (*poster)->PrivateChatWith(kAlicePhone);
  if (!chat.ok()) {
    std::fprintf(stderr, "chat: %s\n", chat.status().ToString().c_str());
    return 1;
  }
  Bench bench(&*sandbox, *port, (*child)->pid(), connections, poster->get(), *chat);
  // A warm-up round, not printed: the account's sessions, the log and the first difference.
  if (absl::StatusOr<Round> warm = bench.Run(1, 50, 0); !warm.ok()) {
    std::fprintf(stderr, "warm-up: %s\n", warm.status().ToString().c_str());
    return 1;
  }
  std::printf("update_fanout_bench: %d messages per round, latency from the post to receipt\n",
              messages);
  std::printf("%9s  %8s  %10s  %8s  %12s  %8s  %8s  %8s  %13s  %10s  %9s  %s\n", "consumers",
              "messages", "delivered", "seconds", "deliveries/s", "p50 ms", "p99 ms", "max ms",
              "tgrpcd CPU us", "per CPU s", "cores", "posting");
  std::printf(
      "(tgrpcd CPU us: tgrpcd's CPU microseconds per delivery; per CPU s: deliveries per second "
      "of\n"
      " tgrpcd's own CPU, the rate one core spent only on tgrpcd gives; cores: CPU seconds per\n"
      " second of tgrpcd and of this process (fakedc, the poster and the consumers) together,\n"
      " i.e. how much of the machine the round kept busy)\n");
  for (int consumers : consumer_counts) {
    absl::StatusOr<Round> round = bench.Run(consumers, messages, rate);
    if (!round.ok()) {
      std::fprintf(stderr, "%d consumers: %s\n", consumers, round.status().ToString().c_str());
      return 1;
    }
    Print(*round);
  }
  if (paced_rate > 0) {
    absl::StatusOr<Round> paced = bench.Run(paced_consumers, messages, paced_rate);
    if (!paced.ok()) {
      std::fprintf(stderr, "paced: %s\n", paced.status().ToString().c_str());
      return 1;
    }
    Print(*paced);
  }
  std::printf("tgrpcd RSS at the end %s\n", Mib((*child)->RssBytes()).c_str());
  return 0;
}

}  // namespace
}  // namespace tgrpc::tgrpcd_bench

int main(int argc, char** argv) { return tgrpc::tgrpcd_bench::Main(argc, argv); }
