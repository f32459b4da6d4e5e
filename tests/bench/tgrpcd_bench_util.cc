#include "tests/bench/tgrpcd_bench_util.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "mtproto/crypto/rsa_key.h"
#include "tests/crash/tgrpcd_child.h"

namespace tgrpc::tgrpcd_bench {

Args::Args(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg.substr(0, 2) == "--") arg.remove_prefix(2);
    const size_t eq = arg.find('=');
    values_[std::string(arg.substr(0, eq))] =
        eq == absl::string_view::npos ? "" : std::string(arg.substr(eq + 1));
  }
}

int64_t Args::TakeInt(absl::string_view name, int64_t fallback) {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  int64_t value = fallback;
  if (!absl::SimpleAtoi(it->second, &value)) {
    std::fprintf(stderr, "--%s: not a number: %s\n", std::string(name).c_str(), it->second.c_str());
    std::exit(2);
  }
  values_.erase(it);
  return value;
}

double Args::TakeDouble(absl::string_view name, double fallback) {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  double value = fallback;
  if (!absl::SimpleAtod(it->second, &value)) {
    std::fprintf(stderr, "--%s: not a number: %s\n", std::string(name).c_str(), it->second.c_str());
    std::exit(2);
  }
  values_.erase(it);
  return value;
}

std::string Args::TakeString(absl::string_view name, absl::string_view fallback) {
  auto it = values_.find(name);
  if (it == values_.end()) return std::string(fallback);
  std::string value = it->second;
  values_.erase(it);
  return value;
}

std::vector<int> Args::TakeIntList(absl::string_view name, absl::string_view fallback) {
  const std::string text = TakeString(name, fallback);
  std::vector<int> out;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int value = 0;
    if (!absl::SimpleAtoi(item, &value) || value < 1) {
      std::fprintf(stderr, "--%s: expected positive numbers separated by commas: %s\n",
                   std::string(name).c_str(), text.c_str());
      std::exit(2);
    }
    out.push_back(value);
  }
  return out;
}

std::vector<std::string> Args::Leftover() const {
  std::vector<std::string> names;
  for (const auto& [name, value] : values_) names.push_back(name);
  return names;
}

absl::StatusOr<Sandbox> StartSandbox(absl::string_view name) {
  Sandbox sandbox;
  absl::StatusOr<mtproto::crypto::RsaPrivateKey> key =
      mtproto::crypto::RsaPrivateKey::Generate(2048);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> pem = key->ToPem();
  if (!pem.ok()) return pem.status();
  sandbox.server_key_pem = *pem;
  fakedc::FakeDcOptions options;
  options.rsa_key_pem = *pem;
  options.schema_dir = "tl/schema";  // runfiles (crash::EnterRunfiles)
  options.big_channel_members = 5;
  const char* tmp = std::getenv("TEST_TMPDIR");
  sandbox.root = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name, "-", getpid());
  std::filesystem::remove_all(sandbox.root);
  std::filesystem::create_directories(sandbox.root);
  options.state_dir = sandbox.root + "/fakedc";
  absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> dc = fakedc::FakeDc::Start(std::move(options));
  if (!dc.ok()) return dc.status();
  sandbox.dc = *std::move(dc);
  sandbox.public_key_path = sandbox.root + "/fakedc.pem";
  if (absl::Status s = crash::WriteFile(sandbox.public_key_path, sandbox.dc->public_key_pem());
      !s.ok()) {
    return s;
  }
  return sandbox;
}

uint64_t RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

Client::Client(int port) {
  grpc::ChannelArguments args;
  // One TCP connection is enough for a benchmark's callers; each Client has its own.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                      grpc::InsecureChannelCredentials(), args);
  accounts = v1::AccountService::NewStub(channel);
  users = v1::UserService::NewStub(channel);
  messages = v1::MessageService::NewStub(channel);
}

std::unique_ptr<grpc::ClientContext> Client::Context(int seconds) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", absl::StrCat("Bearer ", crash::kToken));
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return context;
}

namespace {
absl::Status Failed(const std::string& what, const grpc::Status& status) {
  return absl::InternalError(
      absl::StrCat(what, ": ", status.error_code(), " ", status.error_message()));
}
}  // namespace

absl::StatusOr<int64_t> Client::SignUp(const std::string& account_id, const std::string& phone,
                                       int max_sessions) {
  const std::string name = "accounts/" + account_id;
  v1::CreateAccountRequest create;
  create.set_account_id(account_id);
  create.mutable_account()->set_phone_number("+" + phone);
  create.mutable_account()->set_max_sessions(max_sessions);
  v1::Account account;
  grpc::Status status = accounts->CreateAccount(Context().get(), create, &account);
  if (!status.ok()) return Failed(account_id + " CreateAccount", status);
  v1::StartLoginRequest start;
  start.set_name(name);
  v1::LoginState state;
  status = accounts->StartLogin(Context().get(), start, &state);
  if (!status.ok()) return Failed(account_id + " StartLogin", status);
  v1::SubmitCodeRequest code;
  code.set_name(name);
  code.set_code(std::string(5, phone.size() > 5 ? phone[5] : '2'));
  status = accounts->SubmitCode(Context().get(), code, &state);
  if (!status.ok()) return Failed(account_id + " SubmitCode", status);
  if (state.step() == v1::LoginState::SIGN_UP_NEEDED) {
    v1::SignUpRequest sign_up;
    sign_up.set_name(name);
    sign_up.set_first_name("Bench");
    sign_up.set_last_name(account_id);
    status = accounts->SignUp(Context().get(), sign_up, &state);
    if (!status.ok()) return Failed(account_id + " SignUp", status);
  }
  if (state.step() != v1::LoginState::SIGNED_IN) {
    return absl::InternalError(absl::StrCat(account_id, ": sign-in ended at step ", state.step()));
  }
  return state.user().id();
}

absl::StatusOr<std::pair<int, int>> Client::Sessions(const std::string& account_id) {
  v1::GetAccountStatusRequest request;
  request.set_name("accounts/" + account_id);
  v1::AccountStatus response;
  grpc::Status status = accounts->GetAccountStatus(Context().get(), request, &response);
  if (!status.ok()) return Failed(account_id + " GetAccountStatus", status);
  int ready = 0;
  for (const auto& session : response.sessions()) ready += session.state() == "READY" ? 1 : 0;
  return std::make_pair(ready, response.sessions_size());
}

absl::Status SignUpMany(int port, const std::string& prefix, int dc, int phone_base, int from,
                        int to, int max_sessions, int threads) {
  std::atomic<int> next{from};
  std::mutex mutex;
  absl::Status failure;
  std::vector<std::thread> callers;
  for (int t = 0; t < threads; ++t) {
    callers.emplace_back([&] {
      Client client(port);
      while (true) {
        const int i = next.fetch_add(1);
        if (i >= to) return;
        {
          std::lock_guard<std::mutex> lock(mutex);
          if (!failure.ok()) return;
        }
        absl::StatusOr<int64_t> user =
            client.SignUp(absl::StrFormat("%s-%04d", prefix, i),
                          absl::StrFormat("99966%d%04d", dc, phone_base + i), max_sessions);
        if (!user.ok()) {
          std::lock_guard<std::mutex> lock(mutex);
          if (failure.ok()) failure = user.status();
          return;
        }
      }
    });
  }
  for (std::thread& t : callers) t.join();
  return failure;
}

double Quantile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  const size_t at = std::min(values.size() - 1, static_cast<size_t>(q * values.size()));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(at), values.end());
  return values[at];
}

std::string Mib(int64_t bytes) {
  return absl::StrFormat("%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

double CpuSeconds(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(text).substr(close + 2), ' ');
  // Fields 14 and 15 (utime, stime) are the 12th and 13th after the name.
  int64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return -1;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace tgrpc::tgrpcd_bench
