// Speed and memory of a large file through tgrpcd: a tgrpcd child process (so its memory is its
// own) against an in-process fakedc; one account uploads `--size_mib` of random bytes with
// FileService.UploadFile in `--chunk_kib` chunks, sends it to itself with SendMedia and
// downloads it back with DownloadFile (checked byte for byte with SHA-256). Prints MB/s each way
// and tgrpcd's peak resident set (VmHWM, reset before each transfer) against the file's size.
// fakedc and the caller share the machine with tgrpcd, so the speed is that of all three.
// Figures only, never asserted.
//
//   bazel run //tests/service:file_transfer_bench -- [--size_mib=100] [--chunk_kib=256]
#include <openssl/evp.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "grpcpp/grpcpp.h"
#include "tests/crash/tgrpcd_child.h"
#include "tests/e2e/e2e_util.h"
#include "tests/fakedc/fakedc.h"
#include "tests/fakedc/seed.h"
#include "tgrpc/v1/account.grpc.pb.h"
#include "tgrpc/v1/file.grpc.pb.h"
#include "tgrpc/v1/message.grpc.pb.h"

namespace tgrpc::file_bench {
namespace {

using Clock = std::chrono::steady_clock;

int64_t StatusField(pid_t pid, const std::string& field) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1)) * 1024;
  }
  return 0;
}

// Resets the process's VmHWM to its current resident set.
void ResetPeak(pid_t pid) { std::ofstream(absl::StrCat("/proc/", pid, "/clear_refs")) << "5"; }

std::string Sha256(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), length));
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", absl::StrCat("Bearer ", crash::kToken));
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
  return context;
}

int Fail(absl::string_view what, const grpc::Status& status) {
  std::fprintf(stderr, "%s: %d %s\n", std::string(what).c_str(), status.error_code(),
               status.error_message().c_str());
  return 1;
}

int Run(int argc, char** argv) {
  int64_t size_mib = 100, chunk_kib = 256;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    bool ok = false;
    if (absl::ConsumePrefix(&arg, "--size_mib=")) ok = absl::SimpleAtoi(arg, &size_mib);
    if (absl::ConsumePrefix(&arg, "--chunk_kib=")) ok = absl::SimpleAtoi(arg, &chunk_kib);
    if (!ok || size_mib < 1 || size_mib > 2000 || chunk_kib < 1 || chunk_kib > 1024) {
      std::fprintf(stderr, "usage: file_transfer_bench [--size_mib=100] [--chunk_kib=256]\n");
      return 2;
    }
  }
  if (absl::Status s = crash::EnterRunfiles(argv[0]); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string root = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/file-bench-", getpid());
  std::filesystem::create_directories(root);
  fakedc::FakeDcOptions options;
  options.rsa_key_pem = e2e::ServerKeyPem();
  options.schema_dir = "tl/schema";
  options.big_channel_members = 5;
  options.state_dir = root + "/fakedc";
  absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> dc = fakedc::FakeDc::Start(std::move(options));
  if (!dc.ok()) return std::fprintf(stderr, "%s\n", dc.status().ToString().c_str()), 1;
  const std::string key_path = root + "/fakedc.pem";
  if (!crash::WriteFile(key_path, (*dc)->public_key_pem()).ok()) return 1;
  absl::StatusOr<std::unique_ptr<crash::TgrpcdChild>> child = crash::TgrpcdChild::Spawn(
      crash::SandboxFlags(**dc, key_path, root + "/tgrpcd"), root + "/tgrpcd.log");
  if (!child.ok()) return std::fprintf(stderr, "%s\n", child.status().ToString().c_str()), 1;
  absl::StatusOr<int> port = (*child)->WaitReady(absl::Seconds(60));
  if (!port.ok()) return std::fprintf(stderr, "%s\n", port.status().ToString().c_str()), 1;
  const pid_t pid = (*child)->pid();

  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port), grpc::InsecureChannelCredentials());
  auto accounts = v1::AccountService::NewStub(channel);
  auto messages = v1::MessageService::NewStub(channel);
  auto files = v1::FileService::NewStub(channel);

  // Alice of fakedc's seed, signed in with the code fakedc issues.
  v1::CreateAccountRequest create;
  create.set_account_id("alice");
  create.mutable_account()->set_phone_number(absl::StrCat("+", fakedc::kSeedAlicePhone));
  v1::Account account;
  grpc::Status status = accounts->CreateAccount(Context().get(), create, &account);
  if (!status.ok()) return Fail("CreateAccount", status);
  v1::StartLoginRequest start;
  start.set_name("accounts/alice");
  v1::LoginState state;
  if (!(status = accounts->StartLogin(Context().get(), start, &state)).ok()) {
    return Fail("StartLogin", status);
  }
  std::optional<std::string> code;
  (*dc)->Run([&](fakedc::World& world) { code = world.LastCode(fakedc::kSeedAlicePhone); });
  v1::SubmitCodeRequest submit;
  submit.set_name("accounts/alice");
  submit.set_code(code.value_or(""));
  if (!(status = accounts->SubmitCode(Context().get(), submit, &state)).ok()) {
    return Fail("SubmitCode", status);
  }

  const int64_t size = size_mib * 1024 * 1024;
  std::string data(static_cast<size_t>(size), '\0');
  std::mt19937_64 random(7);
  for (int64_t i = 0; i + 8 <= size; i += 8) {
    const uint64_t word = random();
    std::memcpy(&data[static_cast<size_t>(i)], &word, 8);
  }
  const int64_t rss_idle = StatusField(pid, "VmRSS");

  // Upload.
  ResetPeak(pid);
  auto started = Clock::now();
  v1::UploadedFile uploaded;
  {
    auto context = Context();
    auto writer = files->UploadFile(context.get(), &uploaded);
    v1::UploadFileRequest request;
    request.mutable_header()->set_account("accounts/alice");
    request.mutable_header()->set_file_name("bench.bin");
    request.mutable_header()->set_size(size);
    bool open = writer->Write(request);
    const size_t chunk = static_cast<size_t>(chunk_kib) * 1024;
    for (size_t at = 0; open && at < data.size(); at += chunk) {
      request.set_chunk(data.substr(at, chunk));
      open = writer->Write(request);
    }
    writer->WritesDone();
    if (!(status = writer->Finish()).ok()) return Fail("UploadFile", status);
  }
  const double up_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const int64_t up_peak = StatusField(pid, "VmHWM");

  v1::SendMediaRequest send;
  send.set_parent("accounts/alice/chats/me");
  *send.mutable_file() = uploaded;
  v1::Message sent;
  if (!(status = messages->SendMedia(Context().get(), send, &sent)).ok()) {
    return Fail("SendMedia", status);
  }

  // Download.
  ResetPeak(pid);
  started = Clock::now();
  std::string back;
  back.reserve(data.size());
  {
    auto context = Context();
    v1::DownloadFileRequest request;
    request.set_message(sent.name());
    auto reader = files->DownloadFile(context.get(), request);
    v1::DownloadFileResponse response;
    while (reader->Read(&response)) back += response.data();
    if (!(status = reader->Finish()).ok()) return Fail("DownloadFile", status);
  }
  const double down_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const int64_t down_peak = StatusField(pid, "VmHWM");

  const double mib = 1024.0 * 1024.0;
  std::printf("file_transfer_bench: %lld MiB, %lld KiB chunks, %d parts (big: %s)\n",
              static_cast<long long>(size_mib), static_cast<long long>(chunk_kib), uploaded.parts(),
              uploaded.big() ? "yes" : "no");
  std::printf("  upload   %6.2f s  %7.1f MB/s  tgrpcd peak RSS %7.1f MiB (idle %.1f MiB)\n",
              up_seconds, size / 1e6 / up_seconds, up_peak / mib, rss_idle / mib);
  std::printf("  download %6.2f s  %7.1f MB/s  tgrpcd peak RSS %7.1f MiB; byte for byte: %s\n",
              down_seconds, size / 1e6 / down_seconds, down_peak / mib,
              Sha256(back) == Sha256(data) ? "yes" : "NO");
  std::printf("  tgrpcd's peak above idle: %.1f MiB up, %.1f MiB down (the file: %lld MiB)\n",
              (up_peak - rss_idle) / mib, (down_peak - rss_idle) / mib,
              static_cast<long long>(size_mib));
  std::fflush(stdout);
  (*child)->Signal(SIGTERM);
  (void)(*child)->Wait(absl::Seconds(30));
  std::filesystem::remove_all(root);
  return Sha256(back) == Sha256(data) ? 0 : 1;
}

}  // namespace
}  // namespace tgrpc::file_bench

int main(int argc, char** argv) { return tgrpc::file_bench::Run(argc, argv); }
