#include "tests/bench/bench_util.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <mutex>
#include <random>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "mtproto/crypto/rsa_key.h"

namespace tgrpc::bench {

namespace {

// The child: runs fakedc, reports its DC 2 port on `out`, and lives until `in` reaches EOF (the
// parent closed it or died).
[[noreturn]] void ServeFakeDc(const std::string& pem, int in, int out) {
  absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> dc = StartFakeDc(pem);
  uint16_t port = 0;
  if (dc.ok()) {
    port = (*dc)->port(2);
  } else {
    std::cerr << "fakedc: " << dc.status() << "\n";
  }
  if (write(out, &port, sizeof(port)) != sizeof(port)) _exit(1);
  char byte;
  while (read(in, &byte, 1) > 0) {
  }
  if (dc.ok()) dc->reset();
  _exit(0);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildFakeDc>> ChildFakeDc::Start(const std::string& pem) {
  int to_child[2];
  int from_child[2];
  if (pipe(to_child) != 0) return absl::InternalError("pipe failed");
  if (pipe(from_child) != 0) {
    close(to_child[0]);
    close(to_child[1]);
    return absl::InternalError("pipe failed");
  }
  const pid_t child = fork();
  if (child < 0) return absl::InternalError("fork failed");
  if (child == 0) {
    close(to_child[1]);
    close(from_child[0]);
    ServeFakeDc(pem, to_child[0], from_child[1]);
  }
  close(to_child[0]);
  close(from_child[1]);
  uint16_t port = 0;
  const bool started = read(from_child[0], &port, sizeof(port)) == sizeof(port) && port != 0;
  close(from_child[0]);
  std::unique_ptr<ChildFakeDc> dc(new ChildFakeDc(child, to_child[1], port));
  if (!started) return absl::UnavailableError("fakedc did not start");
  return dc;
}

ChildFakeDc::~ChildFakeDc() {
  close(to_child_);  // the child sees EOF and exits
  int status = 0;
  waitpid(pid_, &status, 0);
}

using mtproto::net::ClientConnectionOptions;
using mtproto::net::LogLevel;

Flags::Flags(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::StartsWith(arg, "--")) arg.remove_prefix(2);
    const size_t eq = arg.find('=');
    values_[std::string(arg.substr(0, eq))] =
        eq == absl::string_view::npos ? "" : std::string(arg.substr(eq + 1));
  }
}

absl::StatusOr<absl::Duration> Flags::Duration(absl::string_view name, absl::Duration fallback) {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  const std::string text = std::move(it->second);
  values_.erase(it);
  int64_t seconds = 0;
  absl::Duration value;
  if (absl::SimpleAtoi(text, &seconds)) return absl::Seconds(seconds);
  if (absl::ParseDuration(text, &value)) return value;
  return absl::InvalidArgumentError(absl::StrCat("--", name, ": not a duration: ", text));
}

absl::StatusOr<int64_t> Flags::Int(absl::string_view name, int64_t fallback) {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  int64_t value = 0;
  const bool ok = absl::SimpleAtoi(it->second, &value);
  const std::string text = std::move(it->second);
  values_.erase(it);
  if (!ok) return absl::InvalidArgumentError(absl::StrCat("--", name, ": not a number: ", text));
  return value;
}

std::string Flags::String(absl::string_view name, absl::string_view fallback) {
  auto it = values_.find(name);
  if (it == values_.end()) return std::string(fallback);
  std::string value = std::move(it->second);
  values_.erase(it);
  return value;
}

std::vector<std::string> Flags::Unknown() const {
  std::vector<std::string> names;
  for (const auto& [name, value] : values_) names.push_back(name);
  return names;
}

IoThread::IoThread() : work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}

IoThread::~IoThread() {
  work_.reset();
  thread_.join();
}

std::string MakeServerKeyPem() {
  absl::StatusOr<mtproto::crypto::RsaPrivateKey> key =
      mtproto::crypto::RsaPrivateKey::Generate(2048);
  absl::StatusOr<std::string> pem = key.ok() ? key->ToPem() : key.status();
  if (!pem.ok()) {
    std::cerr << "cannot make the server key: " << pem.status() << "\n";
    std::abort();
  }
  return *std::move(pem);
}

absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> StartFakeDc(const std::string& pem) {
  fakedc::FakeDcOptions options;
  options.rsa_key_pem = pem;
  options.schema_dir = "tl/schema";  // runfiles
  options.big_channel_members = 5;
  return fakedc::FakeDc::Start(std::move(options));
}

absl::StatusOr<mtproto::transport::ClientTransportOptions> ParseTransport(absl::string_view name) {
  using mtproto::transport::Protocol;
  mtproto::transport::ClientTransportOptions options;
  if (absl::ConsumePrefix(&name, "obfuscated-")) options.obfuscated = true;
  if (name == "intermediate") {
    options.protocol = Protocol::kIntermediate;
  } else if (name == "abridged") {
    options.protocol = Protocol::kAbridged;
  } else if (name == "padded") {
    options.protocol = Protocol::kPaddedIntermediate;
  } else if (name == "full" && !options.obfuscated) {
    options.protocol = Protocol::kFull;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown transport ", name));
  }
  return options;
}

ClientConnectionOptions ConnectionOptions(uint16_t port, const std::string& pem, uint64_t seed) {
  ClientConnectionOptions options;
  options.port = port;
  options.dc_id = 2;
  absl::StatusOr<mtproto::crypto::RsaPrivateKey> key = mtproto::crypto::RsaPrivateKey::FromPem(pem);
  if (key.ok()) options.server_keys = {key->public_key()};
  // A seeded generator, as the tests use: the figures then do not depend on the kernel's entropy
  // source, and runs are comparable.
  auto engine = std::make_shared<std::mt19937_64>(seed);
  options.random = [engine](absl::Span<uint8_t> out) {
    for (uint8_t& b : out) b = static_cast<uint8_t>((*engine)() >> 56);
  };
  options.log = [](LogLevel level, absl::string_view message) {
    if (level < LogLevel::kWarning) return;
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    std::cerr << "connection: " << message << "\n";
  };
  return options;
}

}  // namespace tgrpc::bench
