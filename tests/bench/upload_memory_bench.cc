// Memory and speed of a large upload on one ClientConnection: `--size_mib` of
// upload.saveBigFilePart parts of `--part_kib`, `--in_flight` of them queued at a time (0: all at
// once), to fakedc in a child process (so its memory is not counted). Prints the process's peak
// resident set against the file's size, the resident bytes each part in flight costs, and MB/s.
// `--max_unwritten_kib` sets ClientConnectionOptions::max_unwritten_bytes (a huge value behaves
// as the unbounded write path did). Prints figures, asserts nothing (docs/testing.md).
//
//   bazel run //tests/bench:upload_memory_bench -- [--size_mib=256] [--part_kib=512]
//       [--in_flight=0] [--max_unwritten_kib=1024]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "mtproto/net/client_connection.h"
#include "tests/bench/bench_util.h"
#include "tl/generated/api.h"

namespace tgrpc::bench {
namespace {

namespace api = tl::api;
using mtproto::net::ClientConnection;

// VmRSS or VmHWM (the peak) from /proc/self/status, in bytes.
int64_t StatusBytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1)) * 1024;
  }
  return 0;
}

// Resets VmHWM to the current resident set (Linux: write 5 to clear_refs).
void ResetPeak() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
}

template <class T>
absl::StatusOr<T> Wait(std::future<absl::StatusOr<T>> future) {
  if (future.wait_for(std::chrono::seconds(120)) != std::future_status::ready) {
    return absl::DeadlineExceededError("no answer within 120 s");
  }
  return future.get();
}

// Signs in a sandbox test number on DC 2 (core.telegram.org/api/auth: 99966 2 YYYY, code 22222).
absl::Status SignIn(ClientConnection& connection) {
  api::auth_sendCode send;
  send.phone_number = "9996627001";
  send.api_id = 1;
  send.api_hash = "bench";
  send.settings = std::make_unique<api::codeSettings>();
  absl::StatusOr<tl::Ptr<api::auth_SentCode>> sent = Wait(connection.Call<api::auth_sendCode>(
      *WithLayer(std::make_unique<api::auth_sendCode>(std::move(send)))));
  if (!sent.ok()) return sent.status();
  const auto* code = dynamic_cast<const api::auth_sentCode*>(sent->get());
  if (code == nullptr) return absl::InternalError("unexpected auth.sendCode answer");
  api::auth_signIn sign_in;
  sign_in.phone_number = "9996627001";
  sign_in.phone_code_hash = code->phone_code_hash;
  sign_in.phone_code = "22222";
  absl::StatusOr<tl::Ptr<api::auth_Authorization>> signed_in =
      Wait(connection.Call<api::auth_signIn>(sign_in));
  if (!signed_in.ok()) return signed_in.status();
  if (dynamic_cast<const api::auth_authorizationSignUpRequired*>(signed_in->get()) != nullptr) {
    api::auth_signUp sign_up;
    sign_up.phone_number = "9996627001";
    sign_up.phone_code_hash = code->phone_code_hash;
    sign_up.first_name = "Bench";
    return Wait(connection.Call<api::auth_signUp>(sign_up)).status();
  }
  return absl::OkStatus();
}

int Run(int argc, char** argv) {
  Flags flags(argc, argv);
  absl::StatusOr<int64_t> size_mib = flags.Int("size_mib", 256);
  absl::StatusOr<int64_t> part_kib = flags.Int("part_kib", 512);
  absl::StatusOr<int64_t> in_flight = flags.Int("in_flight", 0);
  absl::StatusOr<int64_t> max_unwritten_kib = flags.Int("max_unwritten_kib", 1024);
  for (const absl::Status& status :
       {size_mib.status(), part_kib.status(), in_flight.status(), max_unwritten_kib.status()}) {
    if (!status.ok()) {
      std::cerr << status.message() << "\n";
      return 2;
    }
  }
  if (!flags.Unknown().empty() || *size_mib < 1 || *part_kib < 1 || *part_kib > 512 ||
      512 % *part_kib != 0 || *in_flight < 0 || *max_unwritten_kib < 1) {
    std::cerr << "usage: upload_memory_bench [--size_mib=256] [--part_kib=512 (divides 512)] "
                 "[--in_flight=0 (all)] [--max_unwritten_kib=1024]\n";
    if (!flags.Unknown().empty()) {
      std::cerr << "unknown flags: " << absl::StrJoin(flags.Unknown(), ", ") << "\n";
    }
    return 2;
  }
  const std::string pem = MakeServerKeyPem();
  absl::StatusOr<std::unique_ptr<ChildFakeDc>> dc = ChildFakeDc::Start(pem);
  if (!dc.ok()) {
    std::cerr << dc.status() << "\n";
    return 1;
  }
  IoThread io;
  mtproto::net::ClientConnectionOptions options = ConnectionOptions((*dc)->port(), pem, 7);
  options.max_unwritten_bytes = static_cast<size_t>(*max_unwritten_kib) * 1024;
  absl::StatusOr<std::unique_ptr<ClientConnection>> connection =
      ClientConnection::Create(std::move(options), &io.io());
  if (!connection.ok()) {
    std::cerr << connection.status() << "\n";
    return 1;
  }
  if (absl::Status status = SignIn(**connection); !status.ok()) {
    std::cerr << "sign-in: " << status << "\n";
    return 1;
  }

  const int64_t part_size = *part_kib * 1024;
  const int64_t parts = *size_mib * 1024 * 1024 / part_size;
  const int64_t window = *in_flight == 0 ? parts : *in_flight;
  std::string bytes(static_cast<size_t>(part_size), '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131 + 7);
  const int64_t rss_before = StatusBytes("VmRSS");
  ResetPeak();
  const absl::Time start = absl::Now();
  std::deque<std::future<absl::StatusOr<bool>>> pending;
  int64_t next = 0, failed = 0;
  std::string first_error;
  while (next < parts || !pending.empty()) {
    while (next < parts && static_cast<int64_t>(pending.size()) < window) {
      api::upload_saveBigFilePart part;
      part.file_id = 42;
      part.file_part = static_cast<int32_t>(next++);
      part.file_total_parts = static_cast<int32_t>(parts);
      part.bytes = bytes;
      pending.push_back((*connection)->Call<api::upload_saveBigFilePart>(part));
    }
    absl::StatusOr<bool> saved = Wait(std::move(pending.front()));
    pending.pop_front();
    if (!saved.ok() && failed++ == 0) first_error = saved.status().ToString();
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const int64_t peak = StatusBytes("VmHWM");
  const double file = static_cast<double>(parts * part_size);
  std::printf(
      "upload_memory_bench: %lld MiB in %lld parts of %lld KiB, %lld in flight, "
      "max_unwritten %lld KiB; %lld failed%s%s\n",
      static_cast<long long>(*size_mib), static_cast<long long>(parts),
      static_cast<long long>(*part_kib), static_cast<long long>(window),
      static_cast<long long>(*max_unwritten_kib), static_cast<long long>(failed),
      failed > 0 ? ": " : "", first_error.c_str());
  std::printf("peak resident %.1f MiB (%.1f before): %.2fx the file; %.2f MiB per part in flight\n",
              peak / 1048576.0, rss_before / 1048576.0, peak / file,
              (peak - rss_before) / 1048576.0 / static_cast<double>(window));
  std::printf("%.1f s, %.1f MB/s\n", seconds, file / 1e6 / seconds);
  std::fflush(stdout);
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace tgrpc::bench

int main(int argc, char** argv) { return tgrpc::bench::Run(argc, argv); }
