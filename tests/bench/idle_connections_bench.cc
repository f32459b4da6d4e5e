// Memory per idle connection: `--connections` ClientConnections on one io_context (as a service
// holds them) each make one call to fakedc and then sit idle; the process's heap in use
// (mallinfo2) and resident set are compared with the same process before they existed. fakedc
// runs in a child process forked before any thread starts, so its own per-connection state is
// not counted. Prints figures, asserts nothing (docs/testing.md).
//
//   bazel run //tests/bench:idle_connections_bench -- [--connections=500] [--idle=2s]
//       [--transport=intermediate]
#include <malloc.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "asio.hpp"
#include "mtproto/crypto/random_source.h"
#include "mtproto/net/client_connection.h"
#include "tests/bench/bench_util.h"
#include "tl/generated/api.h"

namespace tgrpc::bench {
namespace {

namespace api = tl::api;
using mtproto::net::ClientConnection;
using mtproto::net::StoredAuthKey;

struct Memory {
  int64_t heap = 0;  // bytes malloc has handed out and not got back (every arena)
  int64_t rss = 0;
};

Memory Measure() {
  Memory m;
  const struct mallinfo2 info = mallinfo2();
  m.heap = static_cast<int64_t>(info.uordblks + info.hblkhd);
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0;
  int64_t resident = 0;
  statm >> size >> resident;
  m.rss = resident * sysconf(_SC_PAGESIZE);
  return m;
}

absl::Status FirstCall(ClientConnection& connection) {
  std::future<absl::StatusOr<tl::Ptr<api::Config>>> config =
      connection.Call<api::help_getConfig>(*WithLayer(std::make_unique<api::help_getConfig>()));
  if (config.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    return absl::DeadlineExceededError("no answer within 60 s");
  }
  return config.get().status();
}

int Run(int argc, char** argv) {
  Flags flags(argc, argv);
  absl::StatusOr<int64_t> count = flags.Int("connections", 500);
  absl::StatusOr<absl::Duration> idle = flags.Duration("idle", absl::Seconds(2));
  const std::string transport_name = flags.String("transport", "intermediate");
  absl::StatusOr<mtproto::transport::ClientTransportOptions> transport =
      ParseTransport(transport_name);
  for (const absl::Status& status : {count.status(), idle.status(), transport.status()}) {
    if (!status.ok()) {
      std::cerr << status.message() << "\n";
      return 2;
    }
  }
  if (!flags.Unknown().empty() || *count < 1) {
    std::cerr << "usage: idle_connections_bench [--connections=500] [--idle=2s] "
                 "[--transport=intermediate|abridged|padded|full|obfuscated-...]\n";
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
  const uint16_t port = (*dc)->port();

  IoThread io;

  // One permanent key for every connection (each still has its own session), so the run does
  // not spend its time in key exchanges; a key is a key's size whichever way it was made.
  std::optional<StoredAuthKey> key;
  {
    mtproto::net::ClientConnectionOptions options = ConnectionOptions(port, pem, 1);
    options.transport = *transport;
    options.on_auth_key = [&key](const StoredAuthKey& made) { key = made; };
    absl::StatusOr<std::unique_ptr<ClientConnection>> first =
        ClientConnection::Create(std::move(options), &io.io());
    absl::Status status = first.ok() ? FirstCall(**first) : first.status();
    if (!status.ok() || !key.has_value()) {
      std::cerr << "making the key: " << status << "\n";
      return 1;
    }
  }

  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  malloc_trim(0);
  const Memory before = Measure();
  std::vector<std::unique_ptr<ClientConnection>> connections;
  for (int64_t i = 0; i < *count; ++i) {
    mtproto::net::ClientConnectionOptions options = ConnectionOptions(port, pem, 100 + i);
    options.transport = *transport;
    options.auth_key = key;
    // As a service would: a seeded generator is a 2.5 KB std::mt19937_64 per connection, which
    // SecureRandom does not cost.
    options.random = mtproto::crypto::SecureRandom();
    absl::StatusOr<std::unique_ptr<ClientConnection>> connection =
        ClientConnection::Create(std::move(options), &io.io());
    if (!connection.ok()) {
      std::cerr << "connection " << i << ": " << connection.status() << "\n";
      return 1;
    }
    connections.push_back(*std::move(connection));
  }
  std::vector<std::future<absl::StatusOr<tl::Ptr<api::Config>>>> calls;
  for (auto& connection : connections) {
    calls.push_back(
        connection->Call<api::help_getConfig>(*WithLayer(std::make_unique<api::help_getConfig>())));
  }
  int failed = 0;
  for (auto& call : calls) {
    absl::Status status = call.wait_for(std::chrono::seconds(60)) == std::future_status::ready
                              ? call.get().status()
                              : absl::DeadlineExceededError("no answer within 60 s");
    if (!status.ok() && failed++ == 0) std::cerr << "a call failed: " << status << "\n";
  }
  // Past the session's ack_delay, so the acknowledgments have gone out and nothing is pending.
  std::this_thread::sleep_for(absl::ToChronoNanoseconds(*idle));
  malloc_trim(0);
  const Memory after = Measure();

  const double n = static_cast<double>(*count);
  std::printf("idle_connections_bench: %lld connections (%s) on one io_context, %d calls failed\n",
              static_cast<long long>(*count), transport_name.c_str(), failed);
  std::printf("heap in use: %.1f KiB before, %.1f KiB after: %.0f bytes per connection\n",
              before.heap / 1024.0, after.heap / 1024.0, (after.heap - before.heap) / n);
  std::printf("resident:    %.1f MiB before, %.1f MiB after: %.0f bytes per connection\n",
              before.rss / 1048576.0, after.rss / 1048576.0, (after.rss - before.rss) / n);
  std::fflush(stdout);

  connections.clear();
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace tgrpc::bench

int main(int argc, char** argv) { return tgrpc::bench::Run(argc, argv); }
