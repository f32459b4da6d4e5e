// Update fan-out: events per second that a tgrpcd child delivers to 1, 10 and 100 StreamUpdates
// consumers of one account, and the latency from the post (a fakedc user, over MTProto, straight
// into fakedc; fakedc pushes at once) to each consumer's receipt. Each round posts --messages
// texts to the account's private chat, as fast as the poster goes (one call at a time) or at
// --rate per second, each carrying its send time; every consumer must get every one.
// Figures only, never asserted.
//
//   bazel run -c opt //tests/bench:update_fanout_bench -- [--consumers=1,10,100]
//       [--messages=2000] [--rate=0] [--paced_rate=1000] [--paced_consumers=10]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

struct Consumer {
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientReader<v1::UpdateEvent>> reader;
  std::mutex mutex;
  std::vector<double> latencies_ms;
  int64_t last_receipt = 0;
  std::thread thread;
};

struct Round {
  int consumers = 0;
  int messages = 0;
  int64_t delivered = 0;
  double seconds = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  double rate = 0;  // posts per second asked (0: as fast as the poster goes)
};

class Bench {
 public:
  Bench(Sandbox* sandbox, Client* client, fakedc::TestPoster* poster, fakedc::PeerRef chat)
      : sandbox_(sandbox), client_(client), poster_(poster), chat_(chat) {
    stub_ = v1::UpdateService::NewStub(client_->channel);
  }

  absl::StatusOr<Round> Run(int consumers, int messages, double rate) {
    const std::string tag = absl::StrCat("r", round_++, "-");
    std::vector<std::unique_ptr<Consumer>> readers;
    std::atomic<int> ready{0};
    for (int i = 0; i < consumers; ++i) {
      auto consumer = std::make_unique<Consumer>();
      consumer->context = client_->Context(600);
      v1::StreamUpdatesRequest request;
      request.add_accounts("accounts/alice");
      request.set_now(true);
      request.mutable_filter()->add_kinds("new_message");
      request.mutable_checkpoint_interval()->set_nanos(200'000'000);
      consumer->reader = stub_->StreamUpdates(consumer->context.get(), request);
      Consumer* c = consumer.get();
      c->latencies_ms.reserve(messages);
      c->thread = std::thread([c, &ready, messages, tag] {
        v1::UpdateEvent event;
        bool counted = false;
        int received = 0;
        while (received < messages && c->reader->Read(&event)) {
          if (!counted) {  // the first event (a checkpoint) says the stream is open
            ++ready;
            counted = true;
          }
          if (!event.has_new_message()) continue;
          const std::string& text = event.new_message().text();
          if (text.rfind(tag, 0) != 0) continue;  // an earlier round's
          int64_t sent = 0;
          if (!absl::SimpleAtoi(text.substr(tag.size()), &sent)) continue;
          const int64_t now = NowNanos();
          std::lock_guard<std::mutex> lock(c->mutex);
          c->latencies_ms.push_back(static_cast<double>(now - sent) / 1e6);
          c->last_receipt = now;
          ++received;
        }
      });
      readers.push_back(std::move(consumer));
    }
    for (int i = 0; i < 3000 && ready.load() < consumers; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (ready.load() < consumers) return absl::DeadlineExceededError("streams did not open");

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
      while (Clock::now() < give_up) {
        {
          std::lock_guard<std::mutex> lock(c->mutex);
          if (static_cast<int>(c->latencies_ms.size()) >= messages) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      c->context->TryCancel();
      c->thread.join();
      round.delivered += static_cast<int64_t>(c->latencies_ms.size());
      all.insert(all.end(), c->latencies_ms.begin(), c->latencies_ms.end());
      last = std::max(last, c->last_receipt);
    }
    round.seconds = static_cast<double>(last - start) / 1e9;
    round.p50_ms = Quantile(all, 0.5);
    round.p99_ms = Quantile(all, 0.99);
    round.max_ms = Quantile(all, 1.0);
    return round;
  }

 private:
  Sandbox* sandbox_;
  Client* client_;
  fakedc::TestPoster* poster_;
  fakedc::PeerRef chat_;
  std::unique_ptr<v1::UpdateService::Stub> stub_;
  int round_ = 0;
};

void Print(const Round& r) {
  std::printf("%9d  %8d  %10lld  %8.2f  %12.0f  %8.2f  %8.2f  %8.2f  %s\n", r.consumers, r.messages,
              static_cast<long long>(r.delivered), r.seconds,
              r.seconds > 0 ? static_cast<double>(r.delivered) / r.seconds : 0.0, r.p50_ms,
              r.p99_ms, r.max_ms,
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
  Bench bench(&*sandbox, &client, poster->get(), *chat);
  // A warm-up round, not printed: the account's sessions, the log and the first difference.
  if (absl::StatusOr<Round> warm = bench.Run(1, 50, 0); !warm.ok()) {
    std::fprintf(stderr, "warm-up: %s\n", warm.status().ToString().c_str());
    return 1;
  }
  std::printf("update_fanout_bench: %d messages per round, latency from the post to receipt\n",
              messages);
  std::printf("%9s  %8s  %10s  %8s  %12s  %8s  %8s  %8s  %s\n", "consumers", "messages",
              "delivered", "seconds", "deliveries/s", "p50 ms", "p99 ms", "max ms", "posting");
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
