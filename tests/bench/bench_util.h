// Shared pieces of the connection benchmarks: --name=value flags, a server key, an in-process
// fakedc, connection options that trust it, and the invokeWithLayer wrapper (tests/e2e's
// with_layer, which is not test-only). Benchmarks cannot use tests/e2e's other helpers (e2e_util
// is test-only), so the few lines they need are repeated here.
#ifndef TGRPC_TESTS_BENCH_BENCH_UTIL_H_
#define TGRPC_TESTS_BENCH_BENCH_UTIL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "asio.hpp"
#include "mtproto/net/client_connection.h"
#include "tests/e2e/with_layer.h"
#include "tests/fakedc/fakedc.h"
#include "tl/runtime/object.h"

namespace tgrpc::bench {

// --name=value (or --name) arguments. Each getter consumes its flag; Unknown() lists what no
// getter asked for, so a misspelt flag is an error rather than silently ignored.
class Flags {
 public:
  Flags(int argc, char** argv);

  // A duration such as "90s" or "10m"; a bare number is seconds.
  absl::StatusOr<absl::Duration> Duration(absl::string_view name, absl::Duration fallback);
  absl::StatusOr<int64_t> Int(absl::string_view name, int64_t fallback);
  std::string String(absl::string_view name, absl::string_view fallback);
  std::vector<std::string> Unknown() const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

// An io_context run by a thread of its own until this is destroyed (connections using it must be
// destroyed first: declare them after it).
class IoThread {
 public:
  IoThread();
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  asio::io_context& io() { return io_; }
  std::thread& thread() { return thread_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

// A fresh 2048-bit RSA private key (PEM) for fakedc; aborts if OpenSSL fails.
std::string MakeServerKeyPem();

// A fakedc on 127.0.0.1 (port 0) with `pem` as its key, the schema from the runfiles and a small
// seed world.
absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> StartFakeDc(const std::string& pem);

// fakedc in a child process forked now (before the caller starts any thread), so that the
// parent's memory figures leave the server's out. It lives until this is destroyed.
class ChildFakeDc {
 public:
  // Forks and waits for the child's DC 2 port.
  static absl::StatusOr<std::unique_ptr<ChildFakeDc>> Start(const std::string& pem);
  ~ChildFakeDc();
  ChildFakeDc(const ChildFakeDc&) = delete;
  ChildFakeDc& operator=(const ChildFakeDc&) = delete;

  uint16_t port() const { return port_; }

 private:
  ChildFakeDc(int pid, int to_child, uint16_t port) : pid_(pid), to_child_(to_child), port_(port) {}
  int pid_;
  int to_child_;  // closing it ends the child
  uint16_t port_;
};

// "intermediate" (the default), "abridged", "padded" or "full"; "obfuscated-" in front of the
// first three obfuscates.
absl::StatusOr<mtproto::transport::ClientTransportOptions> ParseTransport(absl::string_view name);

// Options for a connection to DC 2 at `port` trusting `pem`, with random bytes from `seed`;
// warnings and errors go to stderr.
mtproto::net::ClientConnectionOptions ConnectionOptions(uint16_t port, const std::string& pem,
                                                        uint64_t seed);

// invokeWithLayer(layer, initConnection(..., query)), as a client's first call: the one of the
// end-to-end tests (tests/e2e/with_layer.h).
using e2e::WithLayer;

}  // namespace tgrpc::bench

#endif  // TGRPC_TESTS_BENCH_BENCH_UTIL_H_
