// Crash safety of tgrpcd: the real binary (a child process, --telegram=sandbox against an
// in-process fakedc, its own state directory) is killed with SIGKILL at pseudo-random points
// (fixed seed) while callers sign accounts in (CreateAccount, StartLogin, SubmitCode, SignUp,
// SubmitPassword) and write messages (SendMessage to saved messages), and restarted on the same
// state directory each time. A few kills land during startup and during the orderly shutdown
// SIGTERM starts.
//
// After every kill, with the process gone (and so its flock on <db>.lock): PRAGMA integrity_check
// on a read-only connection is "ok", and every account a caller saw reach SIGNED_IN is stored
// SIGNED_IN with a key for its home DC. Every restart must print the ready line. At the end a
// clean tgrpcd must show every such account SIGNED_IN, answer GetMe for it as the same user,
// list every message whose SendMessage was answered, and exit 0 on SIGTERM; the database is
// checked once more.
//
// A SendMessage the kill cut off is sent again with the same request_id. Copies of it in saved
// messages are counted, not failed: fakedc does not deduplicate random_id as Telegram does, and
// tgrpcd's random_id for a request_id is absl::HashOf (service/api/message_service.cc RandomId),
// salted per process, so it changes across a restart and Telegram could not deduplicate either.
//
// CI form: 200 kills. Full form: TGRPC_CRASH_FULL=1 (1,000 kills, more accounts);
// TGRPC_CRASH_KILLS=N and TGRPC_CRASH_SEED=S override. Figures are printed at the end.
//   bazel test //tests/crash:tgrpcd_crash_test --test_output=streamed
//   bazel test //tests/crash:tgrpcd_crash_test --test_output=streamed
//       --test_env=TGRPC_CRASH_FULL=1 --test_timeout=3600   (the full form, one line)
#include <signal.h>
#include <sqlite3.h>
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
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/crash/tgrpcd_child.h"
#include "tests/e2e/e2e_util.h"
#include "tests/fakedc/fakedc.h"
#include "tests/fakedc/world.h"
#include "tgrpc/v1/account.grpc.pb.h"
#include "tgrpc/v1/message.grpc.pb.h"
#include "tgrpc/v1/user.grpc.pb.h"

namespace tgrpc::crash {
namespace {

using Clock = std::chrono::steady_clock;

struct Settings {
  int kills = 200;
  int dc2_accounts = 50;  // test numbers 999662YYYY: sign up on DC 2, code 22222
  int dc1_accounts = 6;   // test numbers 999661YYYY: PHONE_MIGRATE_1, sign up on DC 1, code 11111
  int workers = 4;
  uint32_t seed = 20250611;
  bool full = false;

  static Settings FromEnv() {
    Settings s;
    s.full = EnvInt("TGRPC_CRASH_FULL", 0) != 0;
    if (s.full) {
      s.kills = 1000;
      s.dc2_accounts = 400;
      s.dc1_accounts = 40;
    }
    s.kills = EnvInt("TGRPC_CRASH_KILLS", s.kills);
    s.seed = static_cast<uint32_t>(EnvInt("TGRPC_CRASH_SEED", static_cast<int>(s.seed)));
    return s;
  }
};

// One account as its caller knows it. Only its worker thread touches it during a cycle.
struct Plan {
  std::string id;
  std::string phone;       // digits
  std::string fixed_code;  // test numbers; empty: the code fakedc issued last
  std::string password;    // 2FA
  bool created = false;
  bool signed_in = false;  // a call answered SIGNED_IN (or showed it)
  int64_t user_id = 0;
  int next_seq = 1;
  bool unanswered = false;  // next_seq was sent and the answer was lost to a kill
  std::set<int> acked;
};

enum class Outcome { kOk, kKilled, kError };

// Which RPCs were in flight when a kill landed.
enum InFlight { kSignInRpc = 0, kSendRpc = 1, kOtherRpc = 2 };

struct Figures {
  int kills = 0;
  int startup_kills = 0;
  int shutdown_kills = 0;
  int workload_kills = 0;
  int kills_during_sign_in = 0;
  int kills_during_send = 0;
  int clean_exits_before_kill = 0;  // SIGTERM finished the shutdown before the SIGKILL
  int restarts = 0;
  int sign_ins_answered = 0;
  int sign_ins_found_after_kill = 0;
  int messages_written = 0;
  int sends_retried = 0;
  int rpcs = 0;
  int rpcs_lost_to_kills = 0;
  int integrity_checks = 0;
  // GetAccount after a restart said LOGIN_IN_PROGRESS: the login died with the process.
  int stale_logins = 0;
  std::string stale_login_probe;
  std::vector<double> startup_ms;
};

std::string Truncate(const std::string& s, size_t n = 300) {
  return s.size() <= n ? s : s.substr(0, n) + "...";
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_ = Settings::FromEnv();
    absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> dc = e2e::StartFakeDc();
    ASSERT_TRUE(dc.ok()) << dc.status();
    dc_ = *std::move(dc);
    const char* tmp = std::getenv("TEST_TMPDIR");
    root_ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/tgrpcd-crash-", getpid());
    std::filesystem::create_directories(root_);
    state_dir_ = root_ + "/state";
    db_path_ = state_dir_ + "/tgrpc.db";
    const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
    log_path_ = absl::StrCat(outputs != nullptr ? outputs : root_.c_str(), "/tgrpcd.log");
    std::filesystem::remove(log_path_);
    const std::string key_path = root_ + "/fakedc.pem";
    ASSERT_TRUE(WriteFile(key_path, dc_->public_key_pem()).ok());
    flags_ = SandboxFlags(*dc_, key_path, state_dir_);

    for (int i = 0; i < settings_.dc2_accounts; ++i) {
      plans_.push_back({absl::StrFormat("dc2-%04d", i), absl::StrFormat("999662%04d", i), "22222"});
    }
    for (int i = 0; i < settings_.dc1_accounts; ++i) {
      plans_.push_back({absl::StrFormat("dc1-%04d", i), absl::StrFormat("999661%04d", i), "11111"});
    }
    // The seeded users: codes from fakedc's World; carol has a 2FA password; dave lives on DC 1.
    plans_.push_back({"alice", "15550000001", ""});
    plans_.push_back({"bob", "15550000002", ""});
    plans_.push_back({"carol", "15550000003", "", "correct horse"});
    plans_.push_back({"dave", "15550000004", ""});
    // The order accounts become active in: the kinds mixed through the run.
    std::shuffle(plans_.begin(), plans_.end(), std::mt19937_64(settings_.seed));
  }

  void TearDown() override { dc_.reset(); }

  std::string LastCode(const std::string& phone) {
    std::optional<std::string> code;
    dc_->Run([&](fakedc::World& world) { code = world.LastCode(phone); });
    return code.value_or("");
  }

  void Unexpected(const std::string& what) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (unexpected_.size() < 200) unexpected_.push_back(what);
    ++unexpected_count_;
  }

  // --- one tgrpcd lifetime --------------------------------------------------------------------

  struct Cycle {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<v1::AccountService::Stub> accounts;
    std::unique_ptr<v1::UserService::Stub> users;
    std::unique_ptr<v1::MessageService::Stub> messages;
    std::atomic<bool> killed{false};
    std::atomic<int> started{0};
    std::atomic<int> in_flight[3] = {0, 0, 0};
    std::atomic<int> lost{0};
    std::atomic<int> done_rpcs{0};
    // Accounts [0, active) may be signed in this cycle: new ones arrive over the first three
    // quarters of the kills, so kills keep landing in sign-ins.
    size_t active = 0;
  };

  static void Connect(Cycle& cycle, int port) {
    cycle.channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    cycle.accounts = v1::AccountService::NewStub(cycle.channel);
    cycle.users = v1::UserService::NewStub(cycle.channel);
    cycle.messages = v1::MessageService::NewStub(cycle.channel);
  }

  static std::unique_ptr<grpc::ClientContext> Context(int seconds = 20) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", absl::StrCat("Bearer ", kToken));
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
    return context;
  }

  // Runs one RPC: counted (the kill point is a count of started RPCs), its kind in flight while
  // it runs. A failure after the kill is the kill's; one before is unexpected unless `allowed`.
  template <class Fn>
  Outcome Rpc(Cycle& cycle, InFlight kind, const std::string& what, Fn&& fn,
              grpc::Status* out = nullptr) {
    if (cycle.killed.load()) return Outcome::kKilled;
    cycle.in_flight[kind].fetch_add(1);
    cycle.started.fetch_add(1);
    grpc::Status status = fn();
    cycle.in_flight[kind].fetch_sub(1);
    cycle.done_rpcs.fetch_add(1);
    if (out != nullptr) *out = status;
    if (status.ok()) return Outcome::kOk;
    if (cycle.killed.load()) {
      cycle.lost.fetch_add(1);
      return Outcome::kKilled;
    }
    if (out != nullptr) return Outcome::kError;  // the caller decides
    Unexpected(
        absl::StrCat(what, ": ", status.error_code(), " ", Truncate(status.error_message())));
    return Outcome::kError;
  }

  void MarkSignedIn(Plan& plan, int64_t user_id, bool answered) {
    const bool first = !plan.signed_in;
    if (plan.signed_in && plan.user_id != user_id) {
      Unexpected(
          absl::StrCat(plan.id, ": signed in as user ", user_id, ", before as ", plan.user_id));
    }
    plan.signed_in = true;
    plan.user_id = user_id;
    if (!first) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (answered) {
      ++figures_.sign_ins_answered;
    } else {
      ++figures_.sign_ins_found_after_kill;
    }
  }

  // Creates the account if needed and walks the sign-in as far as the kill lets it.
  Outcome SignInUnit(Cycle& cycle, Plan& plan) {
    const std::string name = "accounts/" + plan.id;
    if (!plan.created) {
      v1::CreateAccountRequest create;
      create.set_account_id(plan.id);
      create.set_request_id("create-" + plan.id);
      create.mutable_account()->set_phone_number("+" + plan.phone);
      create.mutable_account()->set_max_sessions(2);
      v1::Account account;
      grpc::Status status;
      Outcome o = Rpc(
          cycle, kSignInRpc, plan.id + " CreateAccount",
          [&] { return cycle.accounts->CreateAccount(Context().get(), create, &account); },
          &status);
      if (o == Outcome::kKilled) return o;
      if (o == Outcome::kError && status.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
        Unexpected(absl::StrCat(plan.id, " CreateAccount: ", status.error_code(), " ",
                                Truncate(status.error_message())));
        return o;
      }
      plan.created = true;
    }
    // Where a kill left it.
    {
      v1::GetAccountRequest get;
      get.set_name(name);
      v1::Account account;
      Outcome o = Rpc(cycle, kSignInRpc, plan.id + " GetAccount",
                      [&] { return cycle.accounts->GetAccount(Context().get(), get, &account); });
      if (o != Outcome::kOk) return o;
      if (account.state() == v1::Account::SIGNED_IN) {
        MarkSignedIn(plan, account.user().id(), /*answered=*/false);
        return Outcome::kOk;
      }
      if (account.state() == v1::Account::LOGIN_IN_PROGRESS) {
        // A unit starts after a kill, so no login of this process runs: the state is the dead
        // process's. Once, show what a caller who believes it gets from SubmitCode.
        bool probe = false;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          ++figures_.stale_logins;
          probe = figures_.stale_login_probe.empty();
          if (probe) figures_.stale_login_probe = "(probing)";
        }
        if (probe) {
          v1::SubmitCodeRequest code;
          code.set_name(name);
          code.set_code(plan.fixed_code.empty() ? LastCode(plan.phone) : plan.fixed_code);
          v1::LoginState ignored;
          grpc::Status status;
          Outcome o = Rpc(
              cycle, kSignInRpc, plan.id + " SubmitCode (probe)",
              [&] { return cycle.accounts->SubmitCode(Context().get(), code, &ignored); }, &status);
          std::lock_guard<std::mutex> lock(mutex_);
          figures_.stale_login_probe =
              o == Outcome::kKilled
                  ? ""
                  : absl::StrCat("SubmitCode -> ", status.error_code(), " ",
                                 Truncate(status.error_message(), 120),
                                 status.ok() ? absl::StrCat(" step ", ignored.step()) : "");
          if (o == Outcome::kKilled) return o;
          if (status.ok() && ignored.step() == v1::LoginState::SIGNED_IN) {
            MarkSignedIn(plan, ignored.user().id(), /*answered=*/true);
            return Outcome::kOk;
          }
        }
      }
    }
    v1::LoginState state;
    {
      v1::StartLoginRequest start;
      start.set_name(name);
      Outcome o = Rpc(cycle, kSignInRpc, plan.id + " StartLogin",
                      [&] { return cycle.accounts->StartLogin(Context().get(), start, &state); });
      if (o != Outcome::kOk) return o;
      if (state.step() != v1::LoginState::CODE_SENT) {
        Unexpected(absl::StrCat(plan.id, " StartLogin: step ", state.step()));
        return Outcome::kError;
      }
    }
    {
      v1::SubmitCodeRequest code;
      code.set_name(name);
      code.set_code(plan.fixed_code.empty() ? LastCode(plan.phone) : plan.fixed_code);
      Outcome o = Rpc(cycle, kSignInRpc, plan.id + " SubmitCode",
                      [&] { return cycle.accounts->SubmitCode(Context().get(), code, &state); });
      if (o != Outcome::kOk) return o;
    }
    if (state.step() == v1::LoginState::SIGN_UP_NEEDED) {
      v1::SignUpRequest sign_up;
      sign_up.set_name(name);
      sign_up.set_first_name("Crash");
      sign_up.set_last_name(plan.id);
      Outcome o = Rpc(cycle, kSignInRpc, plan.id + " SignUp",
                      [&] { return cycle.accounts->SignUp(Context().get(), sign_up, &state); });
      if (o != Outcome::kOk) return o;
    } else if (state.step() == v1::LoginState::PASSWORD_NEEDED) {
      v1::SubmitPasswordRequest password;
      password.set_name(name);
      password.set_password(plan.password);
      Outcome o = Rpc(cycle, kSignInRpc, plan.id + " SubmitPassword", [&] {
        return cycle.accounts->SubmitPassword(Context().get(), password, &state);
      });
      if (o != Outcome::kOk) return o;
    }
    if (state.step() != v1::LoginState::SIGNED_IN) {
      Unexpected(absl::StrCat(plan.id, ": sign-in ended at step ", state.step()));
      return Outcome::kError;
    }
    MarkSignedIn(plan, state.user().id(), /*answered=*/true);
    return Outcome::kOk;
  }

  static std::string MessageText(const Plan& plan, int seq) {
    return absl::StrCat("crash ", plan.id, " #", seq);
  }

  Outcome SendUnit(Cycle& cycle, Plan& plan) {
    v1::SendMessageRequest send;
    send.set_parent("accounts/" + plan.id + "/chats/me");
    send.set_text(MessageText(plan, plan.next_seq));
    send.set_request_id(absl::StrCat(plan.id, "-", plan.next_seq));
    const bool retry = plan.unanswered;
    v1::Message message;
    Outcome o = Rpc(cycle, kSendRpc, plan.id + " SendMessage",
                    [&] { return cycle.messages->SendMessage(Context().get(), send, &message); });
    if (o == Outcome::kKilled) {
      plan.unanswered = true;
      return o;
    }
    if (o != Outcome::kOk) return o;
    if (message.text() != send.text()) {
      Unexpected(
          absl::StrCat(plan.id, " SendMessage answered text \"", Truncate(message.text()), "\""));
    }
    plan.acked.insert(plan.next_seq);
    ++plan.next_seq;
    plan.unanswered = false;
    std::lock_guard<std::mutex> lock(mutex_);
    ++figures_.messages_written;
    if (retry) ++figures_.sends_retried;
    return o;
  }

  Outcome GetMeUnit(Cycle& cycle, Plan& plan) {
    v1::GetMeRequest get;
    get.set_account("accounts/" + plan.id);
    v1::User user;
    Outcome o = Rpc(cycle, kOtherRpc, plan.id + " GetMe",
                    [&] { return cycle.users->GetMe(Context().get(), get, &user); });
    if (o == Outcome::kOk && user.id() != plan.user_id) {
      Unexpected(
          absl::StrCat(plan.id, " GetMe: user ", user.id(), ", signed in as ", plan.user_id));
    }
    return o;
  }

  // A worker: its own accounts, one unit after another until the kill.
  void Work(Cycle& cycle, int worker, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<Plan*> mine;
    for (size_t i = worker; i < cycle.active; i += settings_.workers) mine.push_back(&plans_[i]);
    int errors_in_a_row = 0;
    while (!cycle.killed.load()) {
      std::vector<Plan*> pending;
      std::vector<Plan*> ready;
      for (Plan* p : mine) (p->signed_in ? ready : pending).push_back(p);
      Outcome o;
      if (!pending.empty()) {
        o = SignInUnit(cycle, *pending[rng() % pending.size()]);
      } else if (!ready.empty()) {
        Plan& plan = *ready[rng() % ready.size()];
        o = rng() % 5 == 0 ? GetMeUnit(cycle, plan) : SendUnit(cycle, plan);
      } else {
        return;
      }
      errors_in_a_row = o == Outcome::kError ? errors_in_a_row + 1 : 0;
      // Something is wrong with the service: do not spin on it.
      if (errors_in_a_row > 3) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  // --- checks with tgrpcd stopped --------------------------------------------------------------

  // integrity_check, then every account seen SIGNED_IN stored so, with a key for its home DC.
  void CheckDatabase(const std::string& when) {
    if (!std::filesystem::exists(db_path_)) {
      for (const Plan& plan : plans_) {
        if (plan.created) Unexpected(absl::StrCat(when, ": the database is gone"));
      }
      return;
    }
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(db_path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      Unexpected(absl::StrCat(when, ": cannot open the database read-only: ",
                              db != nullptr ? sqlite3_errmsg(db) : "?"));
      sqlite3_close(db);
      return;
    }
    sqlite3_busy_timeout(db, 5000);
    ++figures_.integrity_checks;
    std::vector<std::string> rows;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK) {
      while (sqlite3_step(stmt) == SQLITE_ROW) {
        rows.push_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
      }
    }
    sqlite3_finalize(stmt);
    if (rows.size() != 1 || rows[0] != "ok") {
      Unexpected(absl::StrCat(
          when, ": integrity_check: ", rows.empty() ? std::string(sqlite3_errmsg(db)) : rows[0]));
    }
    const char* kAccount =
        "SELECT a.state, a.user_id, (SELECT count(*) FROM auth_keys k WHERE k.account_id = a.id "
        "AND k.dc_id = a.home_dc) FROM accounts a WHERE a.id = ?";
    if (sqlite3_prepare_v2(db, kAccount, -1, &stmt, nullptr) != SQLITE_OK) {
      Unexpected(absl::StrCat(when, ": ", sqlite3_errmsg(db)));
    } else {
      for (const Plan& plan : plans_) {
        if (!plan.signed_in) continue;
        sqlite3_reset(stmt);
        sqlite3_bind_text(stmt, 1, plan.id.c_str(), -1, SQLITE_TRANSIENT);
        if (sqlite3_step(stmt) != SQLITE_ROW) {
          Unexpected(absl::StrCat(when, ": ", plan.id, " (signed in) is not stored"));
          continue;
        }
        const int state = sqlite3_column_int(stmt, 0);
        const int64_t user_id = sqlite3_column_int64(stmt, 1);
        const int keys = sqlite3_column_int(stmt, 2);
        if (state != 3 || user_id != plan.user_id || keys != 1) {
          Unexpected(absl::StrCat(when, ": ", plan.id, " (signed in as ", plan.user_id,
                                  ") stored with state ", state, ", user ", user_id, ", ", keys,
                                  " key(s) for its home DC"));
        }
      }
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  }

  // Starts tgrpcd and waits for its ready line; a start that fails is a failure of the test.
  std::unique_ptr<TgrpcdChild> Start(const std::string& label) {
    { std::ofstream(log_path_, std::ios::app) << "=== " << label << "\n"; }
    absl::StatusOr<std::unique_ptr<TgrpcdChild>> child = TgrpcdChild::Spawn(flags_, log_path_);
    if (!child.ok()) {
      Unexpected(absl::StrCat(label, ": spawn: ", child.status().message()));
      return nullptr;
    }
    return *std::move(child);
  }

  Settings settings_;
  std::unique_ptr<fakedc::FakeDc> dc_;
  std::string root_;
  std::string state_dir_;
  std::string db_path_;
  std::string log_path_;
  std::vector<std::string> flags_;
  std::vector<Plan> plans_;

  std::mutex mutex_;
  Figures figures_;
  std::vector<std::string> unexpected_;
  int unexpected_count_ = 0;
};

TEST_F(CrashTest, SigkillDuringSignInsAndSendsLosesNothing) {
  const Clock::time_point begin = Clock::now();
  std::mt19937_64 rng(settings_.seed);
  std::printf("tgrpcd crash test: %d kills, %zu accounts, %d callers, seed %u%s\n", settings_.kills,
              plans_.size(), settings_.workers, settings_.seed,
              settings_.full ? " (full form)" : "");
  std::fflush(stdout);
  double startup_estimate_ms = 50;
  int cycle_number = 0;
  while (figures_.kills < settings_.kills) {
    ++cycle_number;
    if (unexpected_count_ > 50) break;  // enough to read; stop early
    const std::string label = absl::StrCat("cycle ", cycle_number);
    std::unique_ptr<TgrpcdChild> child = Start(label);
    if (child == nullptr) break;
    ++figures_.restarts;
    const Clock::time_point spawned = Clock::now();
    const int kind = static_cast<int>(rng() % 100);
    if (kind < 8) {
      // During startup: opening the database, loading accounts, binding ports.
      const auto delay = std::chrono::microseconds(
          rng() % static_cast<uint64_t>(std::max(1.0, startup_estimate_ms * 1000 * 1.2)));
      std::this_thread::sleep_for(delay);
      child->Signal(SIGKILL);
      ++figures_.startup_kills;
    } else {
      absl::StatusOr<int> port = child->WaitReady(absl::Seconds(30));
      if (!port.ok()) {
        Unexpected(absl::StrCat(label, ": tgrpcd did not start cleanly: ", port.status().message(),
                                "\n", TailOf(log_path_, 20)));
        break;
      }
      const double startup_ms =
          std::chrono::duration<double, std::milli>(Clock::now() - spawned).count();
      figures_.startup_ms.push_back(startup_ms);
      startup_estimate_ms = 0.8 * startup_estimate_ms + 0.2 * startup_ms;

      Cycle cycle;
      Connect(cycle, *port);
      cycle.active =
          std::min(plans_.size(), static_cast<size_t>(settings_.workers) +
                                      plans_.size() * static_cast<size_t>(figures_.kills + 1) * 4 /
                                          (3 * static_cast<size_t>(std::max(1, settings_.kills))));
      // Mostly soon after the start; one cycle in six runs longer, so that slow sequences (2FA
      // with SRP, PHONE_MIGRATE with a new key on DC 1) also complete between kills.
      const bool long_cycle = rng() % 6 == 0;
      const int kill_after = 1 + static_cast<int>(rng() % (long_cycle ? 120 : 24));
      const auto extra = std::chrono::microseconds(rng() % (long_cycle ? 300000 : 20000));
      const bool in_shutdown = rng() % 100 < 5;
      std::vector<std::thread> workers;
      for (int w = 0; w < settings_.workers; ++w) {
        const uint64_t seed = settings_.seed * 1000003ULL + cycle_number * 31ULL + w;
        workers.emplace_back([this, &cycle, w, seed] { Work(cycle, w, seed); });
      }
      const Clock::time_point guard = Clock::now() + std::chrono::seconds(60);
      while (cycle.started.load() < kill_after && Clock::now() < guard) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      if (cycle.started.load() < kill_after) {
        Unexpected(absl::StrCat(label, ": only ", cycle.started.load(), " RPCs started in 60 s"));
      }
      std::this_thread::sleep_for(extra);
      const bool sign_in = cycle.in_flight[kSignInRpc].load() > 0;
      const bool send = cycle.in_flight[kSendRpc].load() > 0;
      // From here on a failed call is the kill's (or the shutdown's).
      cycle.killed.store(true);
      if (in_shutdown) {
        // SIGTERM starts the orderly shutdown (NOT_SERVING, drain, close); SIGKILL lands in it.
        child->Signal(SIGTERM);
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 50000));
      }
      child->Signal(SIGKILL);
      for (std::thread& t : workers) t.join();
      figures_.rpcs += cycle.done_rpcs.load();
      figures_.rpcs_lost_to_kills += cycle.lost.load();
      if (in_shutdown) {
        ++figures_.shutdown_kills;
      } else {
        ++figures_.workload_kills;
      }
      if (sign_in) ++figures_.kills_during_sign_in;
      if (send) ++figures_.kills_during_send;
    }
    absl::StatusOr<int> status = child->Wait(absl::Seconds(30));
    if (!status.ok()) {
      Unexpected(absl::StrCat(label, ": ", status.status().message()));
      break;
    }
    if (WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL) {
      ++figures_.kills;
    } else if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) {
      ++figures_.clean_exits_before_kill;  // the SIGTERM shutdown finished first
    } else {
      Unexpected(absl::StrCat(label, ": tgrpcd ended by itself: ", DescribeWaitStatus(*status),
                              "\n", TailOf(log_path_, 20)));
    }
    CheckDatabase(label);
    if (cycle_number % 50 == 0) {
      std::printf("  ... %d kills, %d sign-ins, %d messages\n", figures_.kills,
                  figures_.sign_ins_answered + figures_.sign_ins_found_after_kill,
                  figures_.messages_written);
      std::fflush(stdout);
    }
  }

  // A clean start: every account seen signed in is still signed in, as the same user, with its
  // answered messages in saved messages.
  int verified = 0;
  int messages_found = 0;
  int duplicates = 0;
  int signed_in = 0;
  std::string never;
  for (const Plan& plan : plans_) {
    signed_in += plan.signed_in ? 1 : 0;
    if (!plan.signed_in) absl::StrAppend(&never, " ", plan.id);
  }
  if (!never.empty()) std::printf("never signed in (no kill-free chance):%s\n", never.c_str());
  std::unique_ptr<TgrpcdChild> child = Start("final check");
  ASSERT_NE(child, nullptr);
  absl::StatusOr<int> port = child->WaitReady(absl::Seconds(30));
  ASSERT_TRUE(port.ok()) << port.status() << "\n" << TailOf(log_path_, 20);
  {
    Cycle cycle;
    Connect(cycle, *port);
    for (const Plan& plan : plans_) {
      if (!plan.signed_in) continue;
      v1::GetAccountRequest get;
      get.set_name("accounts/" + plan.id);
      v1::Account account;
      grpc::Status status = cycle.accounts->GetAccount(Context().get(), get, &account);
      if (!status.ok() || account.state() != v1::Account::SIGNED_IN) {
        Unexpected(absl::StrCat("final: ", plan.id, " GetAccount: ", status.error_message(),
                                " state ", account.state()));
        continue;
      }
      v1::GetMeRequest me;
      me.set_account("accounts/" + plan.id);
      v1::User user;
      status = cycle.users->GetMe(Context().get(), me, &user);
      if (!status.ok() || user.id() != plan.user_id) {
        Unexpected(absl::StrCat("final: ", plan.id, " GetMe: ", status.error_code(), " ",
                                status.error_message(), " user ", user.id(), " want ",
                                plan.user_id));
        continue;
      }
      std::map<int, int> seen;
      std::string token;
      bool listed = true;
      do {
        v1::ListMessagesRequest list;
        list.set_parent("accounts/" + plan.id + "/chats/me");
        list.set_page_size(100);
        list.set_page_token(token);
        v1::ListMessagesResponse page;
        status = cycle.messages->ListMessages(Context().get(), list, &page);
        if (!status.ok()) {
          Unexpected(absl::StrCat("final: ", plan.id, " ListMessages: ", status.error_message()));
          listed = false;
          break;
        }
        for (const v1::Message& m : page.messages()) {
          absl::string_view text = m.text();
          const std::string prefix = absl::StrCat("crash ", plan.id, " #");
          int seq = 0;
          if (absl::ConsumePrefix(&text, prefix) && absl::SimpleAtoi(text, &seq)) ++seen[seq];
        }
        token = page.next_page_token();
      } while (!token.empty());
      if (!listed) continue;
      bool all = true;
      for (int seq : plan.acked) {
        if (seen.count(seq) == 0) {
          all = false;
          Unexpected(absl::StrCat("final: ", plan.id, ": message #", seq,
                                  " was answered but is not in saved messages"));
        }
      }
      for (const auto& [seq, count] : seen) {
        messages_found += count;
        duplicates += count - 1;
      }
      if (all) ++verified;
    }
  }
  child->Signal(SIGTERM);
  absl::StatusOr<int> status = child->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << "SIGTERM: " << DescribeWaitStatus(*status) << "\n"
      << TailOf(log_path_, 20);
  CheckDatabase("after the final SIGTERM");

  std::vector<double> startup = figures_.startup_ms;
  std::sort(startup.begin(), startup.end());
  auto at = [&startup](double q) {
    return startup.empty()
               ? 0.0
               : startup[std::min(startup.size() - 1, static_cast<size_t>(q * startup.size()))];
  };
  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  std::printf(
      "tgrpcd crash test figures (seed %u):\n"
      "  kills (SIGKILL):          %d  (startup %d, workload %d, during SIGTERM shutdown %d;\n"
      "                            with a sign-in RPC in flight %d, with a SendMessage in flight "
      "%d)\n"
      "  SIGTERM done before kill: %d\n"
      "  restarts:                 %d  (ready line every time; startup p50 %.0f ms, max %.0f ms)\n"
      "  RPCs:                     %d  (%d lost to kills)\n"
      "  sign-ins completed:       %d  (%d answered SIGNED_IN, %d found signed in after a kill)\n"
      "  messages written:         %d  (answered SendMessage; %d were retries of a send a kill "
      "cut off)\n"
      "  messages found at the end: %d (%d duplicates: sends that reached Telegram before the "
      "kill and were sent again)\n"
      "  accounts verified:        %d of %d signed in (SIGNED_IN, GetMe as the same user, every "
      "answered message listed)\n"
      "  integrity checks:         %d (PRAGMA integrity_check, read-only, after every kill)\n"
      "  stale LOGIN_IN_PROGRESS:  %d (GetAccount after a restart; %s)\n"
      "  unexpected:               %d\n"
      "  time:                     %.1f s\n",
      settings_.seed, figures_.kills, figures_.startup_kills, figures_.workload_kills,
      figures_.shutdown_kills, figures_.kills_during_sign_in, figures_.kills_during_send,
      figures_.clean_exits_before_kill, figures_.restarts, at(0.5), at(1.0), figures_.rpcs,
      figures_.rpcs_lost_to_kills, figures_.sign_ins_answered + figures_.sign_ins_found_after_kill,
      figures_.sign_ins_answered, figures_.sign_ins_found_after_kill, figures_.messages_written,
      figures_.sends_retried, messages_found, duplicates, verified, signed_in,
      figures_.integrity_checks, figures_.stale_logins,
      figures_.stale_login_probe.empty() ? "not probed" : figures_.stale_login_probe.c_str(),
      unexpected_count_, seconds);
  std::fflush(stdout);

  for (const std::string& what : unexpected_) ADD_FAILURE() << what;
  EXPECT_EQ(unexpected_count_, 0);
  EXPECT_GE(figures_.kills, settings_.kills);
  EXPECT_EQ(verified, signed_in);
  EXPECT_GT(signed_in, 0);
  EXPECT_GT(figures_.messages_written, 0);
}

}  // namespace
}  // namespace tgrpc::crash
