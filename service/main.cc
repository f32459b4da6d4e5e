// tgrpcd: the tgrpc service. See README.md and docs/operations.md.
#include <malloc.h>

#include <csignal>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "service/server/config.h"
#include "service/server/server.h"

extern char** environ;

namespace {
constexpr char kVersion[] = "tgrpcd 0.1.0 (TL layer 228)";
}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::cout << tgrpc::service::ConfigUsage();
      return 0;
    }
  }
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  absl::StatusOr<tgrpc::service::Config> config = tgrpc::service::ParseConfig(args, env);
  if (!config.ok()) {
    std::cerr << "tgrpcd: " << config.status().message() << "\n" << tgrpc::service::ConfigUsage();
    return 2;
  }
  if (config->version) {
    std::cout << kVersion << "\n";
    return 0;
  }
  // Debian's Abseil is built with Mutex deadlock detection on, which records every lock order
  // on every acquisition (a few percent of the CPU under load, measured with
  // update_fanout_bench). Tests keep it; the service turns it off.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // File transfers allocate and free 512 KiB buffers all the time. glibc's defaults give memory
  // above a moving threshold back to the kernel (trimmed heaps, munmap) and fault it in again
  // on the next part; with these, such buffers are reused from the heap (file_transfer_bench:
  // page faults and CPU per GiB). The memory a transfer holds is bounded anyway (parts in
  // flight); what is freed stays mapped up to the trim threshold.
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  // SIGTERM / SIGINT end the process through an orderly shutdown, handled on a thread of its
  // own (sigwait), never inside a signal handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<std::unique_ptr<tgrpc::service::TgrpcServer>> server =
      tgrpc::service::TgrpcServer::Start(*config);
  if (!server.ok()) {
    std::cerr << "tgrpcd: " << server.status().message() << "\n";
    return 1;
  }
  std::cout << "{\"grpc_port\": " << (*server)->port()
            << ", \"metrics_port\": " << (*server)->metrics_port() << "}" << std::endl;
  std::thread waiter([&signals, raw = server->get()] {
    int signal = 0;
    sigwait(&signals, &signal);
    tgrpc::service::LogLine("info", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    raw->Shutdown();
  });
  (*server)->Wait();
  waiter.join();
  server->reset();
  return 0;
}
