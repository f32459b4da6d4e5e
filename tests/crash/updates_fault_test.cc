// Issue 11's fault test for updates: tgrpcd's update log must give a named consumer every update
// exactly once per resume position, in order, none lost and none duplicated, while Telegram drops
// and replaces pushes, connections break, Telegram restarts and tgrpcd itself is killed.
//
// The tgrpcd binary runs as a child process against an in-process fakedc. Alice signs in through
// the gRPC API; Bob (a fakedc TestPoster, no tgrpcd) puts her in a basic group, a supergroup and a
// broadcast channel and then writes to her in those and in their private chat, at a steady pace,
// from his own thread, so that messages keep coming while tgrpcd is down. Meanwhile, at points of
// the message sequence drawn from a fixed seed: update gaps and updatesTooLong
// (FakeDc::SetFaults), windows in which every connection is dropped after a few packets
// (drop_after_packets), all connections dropped at once, fakedc restarts, and SIGKILL of tgrpcd
// (some right after a restart, during its catch-up), each followed by a restart on the same state
// directory once more messages went out. A named consumer (UpdateConsumer) reads new_message
// events and acknowledges each batch, reconnecting after every kill to where it committed, and a
// DeliveryAudit judges what it got.
//
// At the end the faults stop, Bob writes once more in every chat (a gap in the last pushes shows
// only when the next one comes), and the test waits until the consumer has every message fakedc
// holds for Alice. It prints the figures and asserts: none lost, none duplicated, none out of
// order; the log itself, read from the oldest entry, holds each message once; tgrpcd exits 0 on
// SIGTERM.
//
// CI form: 1,000 messages, 5 kills (about 30 s). Full form: TGRPC_UPDATES_FULL=1 (10,000 messages,
// 20 kills); TGRPC_UPDATES_MESSAGES, TGRPC_UPDATES_KILLS, TGRPC_UPDATES_SEED and
// TGRPC_UPDATES_RATE (Bob's messages per second: 80, full form 150) override.
//   bazel test //tests/crash:updates_fault_test --test_output=all
//       --test_env=TGRPC_UPDATES_FULL=1 --test_timeout=1800   (the full form, one line)
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/crash/delivery_audit.h"
#include "tests/crash/metrics_scrape.h"
#include "tests/crash/tgrpcd_child.h"
#include "tests/crash/update_consumer.h"
#include "tests/e2e/e2e_util.h"
#include "tests/fakedc/fakedc.h"
#include "tests/fakedc/seed.h"
#include "tests/fakedc/test_posting.h"
#include "tests/fakedc/world.h"
#include "tgrpc/v1/account.grpc.pb.h"
#include "tgrpc/v1/update.grpc.pb.h"

namespace tgrpc::crash {
namespace {

using Clock = std::chrono::steady_clock;
using fakedc::PeerKind;
using fakedc::PeerRef;

constexpr char kPrefix[] = "uf ";  // every message the test counts starts with it
constexpr char kAccount[] = "alice";
constexpr char kConsumer[] = "fault-consumer";

struct Settings {
  int messages = 1000;
  int kills = 5;
  int messages_per_second = 80;
  // Fault events over the run (each at a message drawn from the seed).
  int gap_bursts = 12;       // update_gaps += 1..4
  int too_long = 6;          // updates_too_long += 1..2
  int drop_windows = 3;      // drop_after_packets = 8..40 for 20..80 messages
  int connection_drops = 4;  // FakeDc::DropConnections
  int dc_restarts = 1;       // FakeDc::Restart, down 100..400 ms
  uint32_t seed = 20250612;
  bool full = false;

  static Settings FromEnv() {
    Settings s;
    s.full = EnvInt("TGRPC_UPDATES_FULL", 0) != 0;
    if (s.full) {
      s.messages = 10000;
      s.kills = 20;
      s.messages_per_second = 150;
      s.gap_bursts = 100;
      s.too_long = 40;
      s.drop_windows = 15;
      s.connection_drops = 25;
      s.dc_restarts = 4;
    }
    s.messages = EnvInt("TGRPC_UPDATES_MESSAGES", s.messages);
    s.kills = EnvInt("TGRPC_UPDATES_KILLS", s.kills);
    s.messages_per_second = std::max(1, EnvInt("TGRPC_UPDATES_RATE", s.messages_per_second));
    s.seed = static_cast<uint32_t>(EnvInt("TGRPC_UPDATES_SEED", static_cast<int>(s.seed)));
    return s;
  }
};

// A chat Bob writes to Alice in.
struct TargetChat {
  std::string name;
  PeerRef peer;
  int weight = 1;  // share of the messages
  int sent = 0;
};

enum class FaultKind {
  kKill,
  kGaps,
  kTooLong,
  kDropWindowStart,
  kDropWindowEnd,
  kDropConnections,
  kDcRestart,
};

struct Fault {
  int at_message = 0;  // once Bob has sent this many
  FaultKind kind = FaultKind::kKill;
  int value = 0;  // kills: 1, or 2 for a second kill right after the restart
};

struct Figures {
  int kills = 0;
  int catch_up_kills = 0;  // within 300 ms of a ready line
  int restarts = 0;
  std::vector<double> startup_ms;
  int gaps_asked = 0;
  int too_long_asked = 0;
  int gaps_left = 0;
  int too_long_left = 0;
  int drop_windows = 0;
  int drop_after_min = 1 << 30;
  int drop_after_max = 0;
  int connection_drops = 0;
  int dc_restarts = 0;
  int flush_rounds = 0;
};

// The marked chat id tgrpcd gives a fakedc peer, as Alice sees it.
int64_t MarkedId(const PeerRef& peer) {
  switch (peer.kind) {
    case PeerKind::kUser:
      return peer.id;
    case PeerKind::kChat:
      return -peer.id;
    case PeerKind::kChannel:
      return -(int64_t{1000000000000} + peer.id);
  }
  return 0;
}

class UpdatesFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_ = Settings::FromEnv();
    absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> dc = e2e::StartFakeDc();
    ASSERT_TRUE(dc.ok()) << dc.status();
    dc_ = *std::move(dc);
    const char* tmp = std::getenv("TEST_TMPDIR");
    root_ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/tgrpcd-updates-", getpid(), "-",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(root_);
    const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
    log_path_ = absl::StrCat(outputs != nullptr ? outputs : root_.c_str(), "/tgrpcd.log");
    std::filesystem::remove(log_path_);
    const std::string key_path = root_ + "/fakedc.pem";
    ASSERT_TRUE(WriteFile(key_path, dc_->public_key_pem()).ok());
    flags_ = SandboxFlags(*dc_, key_path, root_ + "/state");
    dc_->Run([&](fakedc::World& world) {
      alice_id_ = world.FindUserByPhone(fakedc::kSeedAlicePhone)->id;
    });
  }

  void TearDown() override {
    if (consumer_) consumer_->Stop();
    child_.reset();
    dc_.reset();
  }

  static std::unique_ptr<grpc::ClientContext> Context(int seconds = 20) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", absl::StrCat("Bearer ", kToken));
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
    return context;
  }

  std::shared_ptr<grpc::Channel> Channel() const {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_),
                               grpc::InsecureChannelCredentials());
  }

  // Starts tgrpcd on the state directory and waits for its ready line; the board follows it.
  ::testing::AssertionResult StartTgrpcd(const std::string& label) {
    { std::ofstream(log_path_, std::ios::app) << "=== " << label << "\n"; }
    const Clock::time_point spawned = Clock::now();
    absl::StatusOr<std::unique_ptr<TgrpcdChild>> child = TgrpcdChild::Spawn(flags_, log_path_);
    if (!child.ok()) return ::testing::AssertionFailure() << label << ": " << child.status();
    child_ = *std::move(child);
    absl::StatusOr<int> port = child_->WaitReady(absl::Seconds(30));
    if (!port.ok()) {
      return ::testing::AssertionFailure() << label << ": " << port.status() << "\n"
                                           << TailOf(log_path_, 30);
    }
    figures_.startup_ms.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - spawned).count());
    port_ = *port;
    board_.Set(port_);
    return ::testing::AssertionSuccess();
  }

  // Alice's named consumer, reading new messages with the test's prefix.
  void StartConsumer() {
    UpdateConsumerOptions options;
    options.accounts = {absl::StrCat("accounts/", kAccount)};
    options.consumer = kConsumer;
    options.bearer_token = kToken;
    options.text_prefix = kPrefix;
    options.seed = settings_.seed + 1;
    consumer_ =
        std::make_unique<UpdateConsumer>(options, &board_, std::vector<DeliveryAudit*>{&audit_});
    consumer_->Start();
  }

  // What tgrpcd's counters say so far (they start over with every process).
  void ScrapeCounters() {
    const std::string scrape = ScrapeMetrics(child_->metrics_port());
    AddSeries(scrape, "tgrpc_mtproto_calls_total", "method", calls_);
    AddSeries(scrape, "tgrpc_update_events_total", "event", update_events_);
  }

  ::testing::AssertionResult KillTgrpcd(const std::string& label) {
    ScrapeCounters();
    board_.Set(0);
    child_->Signal(SIGKILL);
    absl::StatusOr<int> status = child_->Wait(absl::Seconds(30));
    if (!status.ok()) return ::testing::AssertionFailure() << label << ": " << status.status();
    if (!WIFSIGNALED(*status) || WTERMSIG(*status) != SIGKILL) {
      return ::testing::AssertionFailure()
             << label << ": tgrpcd ended by itself (" << DescribeWaitStatus(*status) << ")\n"
             << TailOf(log_path_, 30);
    }
    ++figures_.kills;
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult SignInAlice() {
    std::unique_ptr<v1::AccountService::Stub> accounts = v1::AccountService::NewStub(Channel());
    v1::CreateAccountRequest create;
    create.set_account_id(kAccount);
    create.mutable_account()->set_phone_number(absl::StrCat("+", fakedc::kSeedAlicePhone));
    v1::Account account;
    grpc::Status status = accounts->CreateAccount(Context().get(), create, &account);
    if (!status.ok())
      return ::testing::AssertionFailure() << "CreateAccount: " << status.error_message();
    v1::StartLoginRequest start;
    start.set_name(absl::StrCat("accounts/", kAccount));
    v1::LoginState state;
    status = accounts->StartLogin(Context().get(), start, &state);
    if (!status.ok())
      return ::testing::AssertionFailure() << "StartLogin: " << status.error_message();
    v1::SubmitCodeRequest code;
    code.set_name(start.name());
    dc_->Run([&](fakedc::World& world) {
      code.set_code(world.LastCode(fakedc::kSeedAlicePhone).value_or(""));
    });
    status = accounts->SubmitCode(Context().get(), code, &state);
    if (!status.ok())
      return ::testing::AssertionFailure() << "SubmitCode: " << status.error_message();
    if (state.step() != v1::LoginState::SIGNED_IN) {
      return ::testing::AssertionFailure() << "sign-in ended at step " << state.step();
    }
    return ::testing::AssertionSuccess();
  }

  // Every message fakedc holds for Alice that the test wrote: text -> its chat (marked) and id.
  std::map<std::string, DeliveryAudit::Delivery> Expected() {
    std::map<std::string, DeliveryAudit::Delivery> out;
    duplicate_texts_in_fakedc_ = 0;
    dc_->Run([&](fakedc::World& world) {
      auto add = [&](const fakedc::MessageBox& box) {
        for (const auto& [id, message] : box.messages) {
          if (!absl::StartsWith(message.text, kPrefix) || message.from_id == alice_id_) continue;
          const bool fresh =
              out.emplace(message.text, DeliveryAudit::Delivery{0, MarkedId(message.peer), id})
                  .second;
          if (!fresh) ++duplicate_texts_in_fakedc_;
        }
      };
      add(world.BoxOf(alice_id_));
      for (const TargetChat& chat : chats_) {
        if (chat.peer.kind != PeerKind::kChannel) continue;
        if (const fakedc::ChannelRecord* channel = world.FindChannel(chat.peer.id)) {
          add(channel->box);
        }
      }
    });
    return out;
  }

  static std::set<std::string> Keys(const std::map<std::string, DeliveryAudit::Delivery>& m) {
    std::set<std::string> keys;
    for (const auto& [key, where] : m) keys.insert(key);
    return keys;
  }

  // Draws the fault events over the message sequence (fixed seed).
  std::vector<Fault> Schedule(std::mt19937_64& rng) const {
    const int n = settings_.messages;
    const int lo = std::max(1, n * 3 / 100);
    const int hi = std::max(lo + 1, n * 92 / 100);
    auto at = [&] { return lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo)); };
    std::vector<Fault> faults;
    for (int left = settings_.kills; left > 0;) {
      const int chain = left >= 2 && rng() % 4 == 0 ? 2 : 1;
      faults.push_back({at(), FaultKind::kKill, chain});
      left -= chain;
    }
    for (int i = 0; i < settings_.gap_bursts; ++i) {
      faults.push_back({at(), FaultKind::kGaps, 1 + static_cast<int>(rng() % 4)});
    }
    for (int i = 0; i < settings_.too_long; ++i) {
      faults.push_back({at(), FaultKind::kTooLong, 1 + static_cast<int>(rng() % 2)});
    }
    for (int i = 0; i < settings_.drop_windows; ++i) {
      const int start = at();
      faults.push_back({start, FaultKind::kDropWindowStart, 8 + static_cast<int>(rng() % 33)});
      faults.push_back({std::min(n - 1, start + 20 + static_cast<int>(rng() % 61)),
                        FaultKind::kDropWindowEnd, 0});
    }
    for (int i = 0; i < settings_.connection_drops; ++i) {
      faults.push_back({at(), FaultKind::kDropConnections, static_cast<int>(rng() % 2) * 2});
    }
    for (int i = 0; i < settings_.dc_restarts; ++i) {
      faults.push_back({at(), FaultKind::kDcRestart, 100 + static_cast<int>(rng() % 301)});
    }
    std::stable_sort(faults.begin(), faults.end(),
                     [](const Fault& a, const Fault& b) { return a.at_message < b.at_message; });
    return faults;
  }

  // Waits until Bob has sent `count` messages (or stopped).
  void WaitForSent(int count) {
    while (sent_.load() < count && !poster_done_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  ::testing::AssertionResult Inject(const Fault& fault, std::mt19937_64& rng) {
    switch (fault.kind) {
      case FaultKind::kKill:
        for (int k = 0; k < fault.value; ++k) {
          if (k > 0) {
            // Right after the restart: tgrpcd is catching up (getDifference) and the consumer
            // reconnecting.
            std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 300));
            ++figures_.catch_up_kills;
          } else {
            std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20000));
          }
          const std::string label = absl::StrCat("kill ", figures_.kills + 1);
          if (auto killed = KillTgrpcd(label); !killed) return killed;
          // Down while Bob writes 10..70 more messages.
          const Clock::time_point down = Clock::now();
          WaitForSent(sent_.load() + 10 + static_cast<int>(rng() % 61));
          while (Clock::now() - down < std::chrono::milliseconds(50)) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
          }
          if (auto started = StartTgrpcd(absl::StrCat("restart after ", label)); !started) {
            return started;
          }
          ++figures_.restarts;
        }
        break;
      case FaultKind::kGaps: {
        fakedc::FaultOptions f = dc_->faults();
        f.update_gaps += fault.value;
        dc_->SetFaults(f);
        figures_.gaps_asked += fault.value;
        break;
      }
      case FaultKind::kTooLong: {
        fakedc::FaultOptions f = dc_->faults();
        f.updates_too_long += fault.value;
        dc_->SetFaults(f);
        figures_.too_long_asked += fault.value;
        break;
      }
      case FaultKind::kDropWindowStart: {
        fakedc::FaultOptions f = dc_->faults();
        f.drop_after_packets = fault.value;
        dc_->SetFaults(f);
        ++figures_.drop_windows;
        figures_.drop_after_min = std::min(figures_.drop_after_min, fault.value);
        figures_.drop_after_max = std::max(figures_.drop_after_max, fault.value);
        break;
      }
      case FaultKind::kDropWindowEnd: {
        fakedc::FaultOptions f = dc_->faults();
        f.drop_after_packets = 0;
        dc_->SetFaults(f);
        break;
      }
      case FaultKind::kDropConnections:
        dc_->DropConnections(fault.value);
        ++figures_.connection_drops;
        break;
      case FaultKind::kDcRestart:
        if (absl::Status s = dc_->Restart(absl::Milliseconds(fault.value)); !s.ok()) {
          return ::testing::AssertionFailure() << "fakedc restart: " << s;
        }
        ++figures_.dc_restarts;
        break;
    }
    return ::testing::AssertionSuccess();
  }

  // Bob writes in every chat once (faults off): the warm-up, the closing round, flush rounds.
  ::testing::AssertionResult WriteInEveryChat(const std::string& tag) {
    for (TargetChat& chat : chats_) {
      absl::Status s = poster_->Send(chat.peer, absl::StrCat(kPrefix, tag, " ", chat.name));
      if (!s.ok()) return ::testing::AssertionFailure() << tag << " in " << chat.name << ": " << s;
      ++chat.sent;
      ++extra_sent_;
    }
    return ::testing::AssertionSuccess();
  }

  // Until the consumer has every expected message, or `guard` passes; while nothing new arrives
  // for 5 s, Bob writes in every chat again (a flush round: a lost push shows only when the next
  // one comes). The messages still missing.
  std::vector<std::string> WaitForCatchUp(absl::Duration guard, bool flush) {
    const absl::Time deadline = absl::Now() + guard;
    absl::Time progress = absl::Now();
    size_t last_missing = 0;
    for (;;) {
      std::vector<std::string> missing = audit_.Missing(Keys(Expected()));
      if (missing.empty() || absl::Now() > deadline) return missing;
      if (missing.size() != last_missing) {
        last_missing = missing.size();
        progress = absl::Now();
      } else if (flush && absl::Now() - progress > absl::Seconds(5)) {
        ++figures_.flush_rounds;
        std::printf("  flush round %d: %zu missing, e.g. \"%s\"\n", figures_.flush_rounds,
                    missing.size(), missing.front().c_str());
        std::fflush(stdout);
        if (!WriteInEveryChat(absl::StrCat("flush ", figures_.flush_rounds))) return missing;
        progress = absl::Now();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  struct LogAudit {
    int64_t entries = 0;  // new_message events with the test's texts
    int64_t duplicated = 0;
    int64_t missing = 0;
    bool complete = false;
  };
  // Reads the whole log from its oldest entry (no consumer): each expected message once.
  LogAudit AuditLog(const std::set<std::string>& expected) {
    LogAudit out;
    std::unique_ptr<v1::UpdateService::Stub> updates = v1::UpdateService::NewStub(Channel());
    v1::StreamUpdatesRequest request;
    request.add_accounts(absl::StrCat("accounts/", kAccount));
    request.mutable_filter()->add_kinds("new_message");
    request.set_oldest(true);
    request.mutable_checkpoint_interval()->set_nanos(300'000'000);
    std::unique_ptr<grpc::ClientContext> context = Context(120);
    std::unique_ptr<grpc::ClientReader<v1::UpdateEvent>> reader =
        updates->StreamUpdates(context.get(), request);
    std::map<std::string, int> seen;
    v1::UpdateEvent event;
    while (reader->Read(&event)) {
      if (event.has_checkpoint()) {  // written once nothing is left to send
        out.complete = true;
        context->TryCancel();
        break;
      }
      if (!absl::StartsWith(event.new_message().text(), kPrefix)) continue;
      ++out.entries;
      if (++seen[event.new_message().text()] > 1) ++out.duplicated;
    }
    reader->Finish();
    for (const std::string& key : expected) out.missing += seen.count(key) == 0 ? 1 : 0;
    return out;
  }

  Settings settings_;
  std::unique_ptr<fakedc::FakeDc> dc_;
  std::string root_;
  std::string log_path_;
  std::vector<std::string> flags_;
  std::unique_ptr<TgrpcdChild> child_;
  int port_ = 0;
  PortBoard board_;
  int64_t alice_id_ = 0;

  std::unique_ptr<fakedc::TestPoster> poster_;
  std::vector<TargetChat> chats_;
  std::atomic<int> sent_{0};
  std::atomic<bool> poster_done_{false};
  int extra_sent_ = 0;  // warm-up, closing and flush messages
  int duplicate_texts_in_fakedc_ = 0;

  DeliveryAudit audit_;
  std::unique_ptr<UpdateConsumer> consumer_;
  Figures figures_;
  // tgrpcd's counters, added up over its lifetimes (scraped before each kill and at the end).
  std::map<std::string, double> calls_;
  std::map<std::string, double> update_events_;
};

TEST_F(UpdatesFaultTest, EveryMessageOnceAndInOrderThroughFaultsAndKills) {
  const Clock::time_point begin = Clock::now();
  std::mt19937_64 rng(settings_.seed);
  std::printf("tgrpcd update fault test: %d messages, %d kills, seed %u%s\n", settings_.messages,
              settings_.kills, settings_.seed, settings_.full ? " (full form)" : "");
  std::fflush(stdout);

  ASSERT_TRUE(StartTgrpcd("start"));
  ASSERT_TRUE(SignInAlice());
  absl::StatusOr<std::unique_ptr<fakedc::TestPoster>> poster =
      fakedc::TestPoster::SignIn(*dc_, fakedc::kSeedBobPhone);
  ASSERT_TRUE(poster.ok()) << poster.status();
  poster_ = *std::move(poster);
  {
    absl::StatusOr<PeerRef> private_chat = poster_->PrivateChatWith(fakedc::kSeedAlicePhone);
    ASSERT_TRUE(private_chat.ok()) << private_chat.status();
    absl::StatusOr<PeerRef> group =
        poster_->CreateBasicGroup("uf group", {fakedc::kSeedAlicePhone});
    ASSERT_TRUE(group.ok()) << group.status();
    absl::StatusOr<PeerRef> supergroup =
        poster_->CreateChannel("uf supergroup", {fakedc::kSeedAlicePhone}, /*megagroup=*/true);
    ASSERT_TRUE(supergroup.ok()) << supergroup.status();
    absl::StatusOr<PeerRef> channel =
        poster_->CreateChannel("uf channel", {fakedc::kSeedAlicePhone}, /*megagroup=*/false);
    ASSERT_TRUE(channel.ok()) << channel.status();
    chats_ = {{"private", *private_chat, 3},
              {"group", *group, 3},
              {"supergroup", *supergroup, 2},
              {"channel", *channel, 2}};
  }

  StartConsumer();

  // Warm-up without faults: tgrpcd learns every chat (and the channels' pts) before pushes get
  // lost. A channel's first push sets where its pts starts.
  ASSERT_TRUE(WriteInEveryChat("warm-up"));
  {
    std::vector<std::string> missing = WaitForCatchUp(absl::Seconds(30), /*flush=*/false);
    ASSERT_TRUE(missing.empty()) << "the warm-up did not arrive: " << absl::StrJoin(missing, ", ")
                                 << "\n"
                                 << TailOf(log_path_, 30);
  }

  // Bob writes at a steady pace from his own thread.
  std::string poster_error;
  std::thread writer([&] {
    std::mt19937_64 pick(settings_.seed + 2);
    int total_weight = 0;
    for (const TargetChat& chat : chats_) total_weight += chat.weight;
    const Clock::time_point start = Clock::now();
    for (int i = 0; i < settings_.messages; ++i) {
      std::this_thread::sleep_until(
          start + std::chrono::microseconds(int64_t{1000000} * i / settings_.messages_per_second));
      int draw = static_cast<int>(pick() % static_cast<uint64_t>(total_weight));
      TargetChat* chat = &chats_.front();
      for (TargetChat& c : chats_) {
        if (draw < c.weight) {
          chat = &c;
          break;
        }
        draw -= c.weight;
      }
      absl::Status s = poster_->Send(chat->peer, absl::StrCat(kPrefix, i, " ", chat->name));
      if (!s.ok()) {
        poster_error = absl::StrCat("message ", i, " to ", chat->name, ": ", s.ToString());
        break;
      }
      ++chat->sent;
      sent_.fetch_add(1);
    }
    poster_done_.store(true);
  });

  std::vector<std::string> unexpected;
  for (const Fault& fault : Schedule(rng)) {
    WaitForSent(fault.at_message);
    if (poster_done_.load() && sent_.load() < settings_.messages) break;
    ::testing::AssertionResult injected = Inject(fault, rng);
    if (!injected) {
      unexpected.push_back(injected.message());
      break;
    }
  }
  writer.join();
  ASSERT_TRUE(poster_error.empty()) << poster_error;
  ASSERT_TRUE(unexpected.empty()) << absl::StrJoin(unexpected, "\n");
  if (child_ == nullptr || !child_->running()) {
    ASSERT_TRUE(StartTgrpcd("after the faults"));
  }

  // The faults stop; Bob writes once more everywhere, so the last lost pushes show.
  {
    const fakedc::FaultOptions left = dc_->faults();
    figures_.gaps_left = left.update_gaps;
    figures_.too_long_left = left.updates_too_long;
    dc_->SetFaults({});
  }
  ASSERT_TRUE(WriteInEveryChat("closing"));
  const std::vector<std::string> missing =
      WaitForCatchUp(settings_.full ? absl::Seconds(180) : absl::Seconds(60), /*flush=*/true);
  // The consumer's last batch gets acknowledged at its next checkpoint.
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  consumer_->Stop();

  const std::map<std::string, DeliveryAudit::Delivery> expected = Expected();
  const LogAudit log = AuditLog(Keys(expected));
  int64_t identity_mismatches = 0;
  for (const auto& [text, where] : expected) {
    const DeliveryAudit::Delivery got = audit_.FirstDelivery(text);
    if (got.position != 0 && (got.chat_id != where.chat_id || got.message_id != where.message_id)) {
      ++identity_mismatches;
    }
  }
  int64_t consumer_lag = -1;
  {
    std::unique_ptr<v1::UpdateService::Stub> updates = v1::UpdateService::NewStub(Channel());
    v1::GetUpdateStateRequest get;
    get.set_account(absl::StrCat("accounts/", kAccount));
    v1::UpdateLogState state;
    if (updates->GetUpdateState(Context().get(), get, &state).ok()) {
      for (const v1::ConsumerPosition& c : state.consumers()) {
        if (c.consumer() == kConsumer) consumer_lag = c.lag();
      }
    }
  }
  ScrapeCounters();
  child_->Signal(SIGTERM);
  absl::StatusOr<int> exit_status = child_->Wait(absl::Seconds(30));
  ASSERT_TRUE(exit_status.ok()) << exit_status.status();
  EXPECT_TRUE(WIFEXITED(*exit_status) && WEXITSTATUS(*exit_status) == 0)
      << "SIGTERM: " << DescribeWaitStatus(*exit_status) << "\n"
      << TailOf(log_path_, 20);

  // What tgrpcd's update engine said, from its log.
  int catch_ups = 0, jumps = 0, difference_failures = 0;
  {
    std::ifstream in(log_path_);
    std::string line;
    while (std::getline(in, line)) {
      if (absl::StrContains(line, "updates: catching up")) ++catch_ups;
      if (absl::StrContains(line, "updates: Telegram skipped")) ++jumps;
      if (absl::StrContains(line, "Difference failed")) ++difference_failures;
    }
  }

  const DeliveryAudit::Figures f = audit_.figures();
  const UpdateConsumer::Figures c = consumer_->figures();
  const int sent = sent_.load() + extra_sent_;
  std::vector<double> startup = figures_.startup_ms;
  std::sort(startup.begin(), startup.end());
  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  std::string engine;
  for (const auto& [event, count] : update_events_) {
    absl::StrAppend(&engine, engine.empty() ? "" : ", ", event, " ", count);
  }
  std::string per_chat;
  for (const TargetChat& chat : chats_) absl::StrAppend(&per_chat, " ", chat.name, " ", chat.sent);
  std::printf(
      "tgrpcd update fault test figures (seed %u):\n"
      "  sent:                %d  (%d in the run, %d warm-up/closing/flush;%s)\n"
      "  in fakedc for alice: %zu  (texts stored twice: %d)\n"
      "  received (distinct): %lld\n"
      "  lost:                %zu\n"
      "  duplicated:          %lld\n"
      "  redelivered:         %lld  (at-least-once after a kill cut a batch off before its ack)\n"
      "  out of order:        %lld  (positions back in a stream %lld, new at or before the start "
      "%lld, chat order %lld)\n"
      "  position conflicts:  %lld;  chat/id mismatches with fakedc: %lld\n"
      "  the log from oldest: %lld entries of the test's messages, %lld duplicated, %lld "
      "missing%s\n"
      "  kills:               %d  (%d in a catch-up right after a restart); restarts %d, ready "
      "every time (startup p50 %.0f ms, max %.0f ms)\n"
      "  faults:              update gaps %d asked (%d left unused), updatesTooLong %d (%d "
      "unused), %d drop windows (drop_after_packets %d..%d), %d connection drops, %d fakedc "
      "restarts; Bob reconnected %d times\n"
      "  consumer:            %d streams (%d broken, %d failed starts), %lld deliveries, %lld acks "
      "(%lld lost to "
      "kills, %lld answered another position), %lld checkpoints; lag at the end %lld\n"
      "  tgrpcd log:          %d catch-ups, %d pts jumps (history gaps), %d failed differences\n"
      "  tgrpcd metrics:      getDifference %.0f, getChannelDifference %.0f, getState %.0f; update "
      "events: %s (scraped before each kill: at least)\n"
      "  flush rounds:        %d\n"
      "  time:                %.1f s\n",
      settings_.seed, sent, sent_.load(), extra_sent_, per_chat.c_str(), expected.size(),
      duplicate_texts_in_fakedc_, static_cast<long long>(f.distinct), missing.size(),
      static_cast<long long>(f.duplicated), static_cast<long long>(f.redelivered),
      static_cast<long long>(f.out_of_order), static_cast<long long>(f.position_went_back),
      static_cast<long long>(f.new_before_start), static_cast<long long>(f.chat_order),
      static_cast<long long>(f.position_conflicts), static_cast<long long>(identity_mismatches),
      static_cast<long long>(log.entries), static_cast<long long>(log.duplicated),
      static_cast<long long>(log.missing), log.complete ? "" : " (read cut short)", figures_.kills,
      figures_.catch_up_kills, figures_.restarts,
      startup.empty() ? 0.0 : startup[startup.size() / 2], startup.empty() ? 0.0 : startup.back(),
      figures_.gaps_asked, figures_.gaps_left, figures_.too_long_asked, figures_.too_long_left,
      figures_.drop_windows, figures_.drop_windows > 0 ? figures_.drop_after_min : 0,
      figures_.drop_after_max, figures_.connection_drops, figures_.dc_restarts,
      poster_->reconnects(), c.streams, c.stream_errors, c.state_failures,
      static_cast<long long>(f.deliveries), static_cast<long long>(c.acks),
      static_cast<long long>(c.ack_failures), static_cast<long long>(c.ack_mismatches),
      static_cast<long long>(c.checkpoints), static_cast<long long>(consumer_lag), catch_ups, jumps,
      difference_failures, calls_["updates.getDifference"], calls_["updates.getChannelDifference"],
      calls_["updates.getState"], engine.empty() ? "none" : engine.c_str(), figures_.flush_rounds,
      seconds);
  for (const std::string& problem : audit_.problems())
    std::printf("  problem: %s\n", problem.c_str());
  for (size_t i = 0; i < missing.size() && i < 20; ++i) {
    std::printf("  lost: \"%s\"\n", missing[i].c_str());
  }
  std::fflush(stdout);

  EXPECT_EQ(missing.size(), 0u) << "lost";
  EXPECT_EQ(f.duplicated, 0);
  EXPECT_EQ(f.out_of_order, 0);
  EXPECT_EQ(f.position_conflicts, 0);
  EXPECT_EQ(identity_mismatches, 0);
  EXPECT_EQ(log.duplicated, 0);
  EXPECT_EQ(log.missing, 0);
  EXPECT_TRUE(log.complete);
  EXPECT_EQ(c.ack_mismatches, 0);
  EXPECT_EQ(duplicate_texts_in_fakedc_, 0);
  EXPECT_EQ(static_cast<int>(expected.size()), sent);
  EXPECT_EQ(figures_.kills, settings_.kills);
}

// A joined channel's first post is lost: its pts, learned on joining, shows the gap to fill.
TEST_F(UpdatesFaultTest, AJoinedChannelsLostFirstPostIsFetched) {
  ASSERT_TRUE(StartTgrpcd("start"));
  ASSERT_TRUE(SignInAlice());
  absl::StatusOr<std::unique_ptr<fakedc::TestPoster>> poster =
      fakedc::TestPoster::SignIn(*dc_, fakedc::kSeedBobPhone);
  ASSERT_TRUE(poster.ok()) << poster.status();
  poster_ = *std::move(poster);
  StartConsumer();
  absl::StatusOr<PeerRef> channel =
      poster_->CreateChannel("uf news", {fakedc::kSeedAlicePhone}, /*megagroup=*/false);
  ASSERT_TRUE(channel.ok()) << channel.status();
  chats_ = {{"channel", *channel, 1}};
  std::map<std::string, double> events;  // up to 3 s for tgrpcd to ask the channel's pts
  for (int i = 0; i < 60 && events["channel_state"] < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    events.clear();
    AddSeries(ScrapeMetrics(child_->metrics_port()), "tgrpc_update_events_total", "event", events);
  }
  std::printf("channels.getFullChannel asked %.0f time(s)\n", events["channel_state"]);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // its answer lands

  dc_->SetFaults({.update_gaps = 2});  // Bob's own push of the post and Alice's
  ASSERT_TRUE(poster_->Send(*channel, absl::StrCat(kPrefix, "first post")).ok());
  dc_->SetFaults({});
  ASSERT_TRUE(poster_->Send(*channel, absl::StrCat(kPrefix, "second post")).ok());
  std::vector<std::string> missing = WaitForCatchUp(absl::Seconds(30), /*flush=*/false);
  EXPECT_TRUE(missing.empty()) << "lost: " << absl::StrJoin(missing, ", ") << "\n"
                               << TailOf(log_path_, 30);
  EXPECT_EQ(audit_.problems().size(), 0u);
}

}  // namespace
}  // namespace tgrpc::crash
