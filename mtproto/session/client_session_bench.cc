// ClientSession's CPU per call as the session ages, without sockets or a second thread: a
// ClientSession and a SessionServer in memory (session_test_util's Link) on a fake clock, driven
// at a steady simulated rate of `--packets_per_second` packets of `--calls_per_packet` calls, for
// `--minutes` simulated minutes. The client's own CPU time (this thread, only while it runs
// ClientSession code) is printed per simulated minute: flat once the five-minute memory of sends
// is full, if per-packet work does not grow with history. Prints figures, asserts nothing.
//
//   bazel run //mtproto/session:client_session_bench -- [--minutes=7]
//       [--packets_per_second=1250] [--calls_per_packet=8]
#include <malloc.h>
#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mtproto/session/client_session.h"
#include "mtproto/session/session_test_util.h"

namespace tgrpc::mtproto::session {
namespace {

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

int Run(int argc, char** argv) {
  int64_t minutes = 7;
  int64_t packets_per_second = 1250;
  int64_t calls_per_packet = 8;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    const size_t eq = arg.find('=');
    const absl::string_view name = arg.substr(0, eq);
    const absl::string_view value = eq == absl::string_view::npos ? "" : arg.substr(eq + 1);
    int64_t* target = name == "--minutes"              ? &minutes
                      : name == "--packets_per_second" ? &packets_per_second
                      : name == "--calls_per_packet"   ? &calls_per_packet
                                                       : nullptr;
    if (target == nullptr || !absl::SimpleAtoi(value, target) || *target < 1) {
      std::fprintf(stderr,
                   "usage: client_session_bench [--minutes=7] [--packets_per_second=1250] "
                   "[--calls_per_packet=8]\n");
      return 2;
    }
  }

  testing::Link link(testing::Link::Options{});
  ClientSession& client = link.client();
  const std::string query = testing::FakeQuery(3);
  const absl::Duration step = absl::Seconds(1) / packets_per_second;
  const int64_t rounds_per_minute = 60 * packets_per_second;

  std::printf("client_session_bench: %lld packets/s of %lld calls, %lld simulated minutes\n",
              static_cast<long long>(packets_per_second), static_cast<long long>(calls_per_packet),
              static_cast<long long>(minutes));
  std::printf("%-8s %10s %14s %14s %10s\n", "minute", "calls", "client us/call", "packets sent",
              "heap MiB");
  double first = 0;
  double last = 0;
  for (int64_t minute = 0; minute < minutes; ++minute) {
    double client_cpu = 0;
    int64_t answered = 0;
    for (int64_t round = 0; round < rounds_per_minute; ++round) {
      double start = ThreadCpuSeconds();
      for (int64_t i = 0; i < calls_per_packet; ++i) {
        if (!client.Send(query).ok()) std::abort();
      }
      if (client.NextTickTime() <= link.clock().now()) client.OnTick();
      std::vector<std::string> up = link.TakeClientPackets();
      client_cpu += ThreadCpuSeconds() - start;

      link.DeliverToServer(std::move(up));
      std::vector<std::string> down = link.TakeServerPackets();

      start = ThreadCpuSeconds();
      std::vector<Event> events = link.DeliverToClient(std::move(down));
      client_cpu += ThreadCpuSeconds() - start;
      answered += static_cast<int64_t>(testing::EventsOf<RpcResultEvent>(events).size());
      link.clock().Advance(step);
    }
    const double us_per_call = 1e6 * client_cpu / static_cast<double>(answered);
    if (minute == 0) first = us_per_call;
    last = us_per_call;
    const struct mallinfo2 heap = mallinfo2();
    std::printf("%-8lld %10lld %14.2f %14llu %10.1f\n", static_cast<long long>(minute + 1),
                static_cast<long long>(answered), us_per_call,
                static_cast<unsigned long long>(client.stats().packets_sent),
                static_cast<double>(heap.uordblks + heap.hblkhd) / (1024.0 * 1024.0));
    std::fflush(stdout);
  }
  if (first > 0) std::printf("last/first minute: client us/call %.2f\n", last / first);
  return 0;
}

}  // namespace
}  // namespace tgrpc::mtproto::session

int main(int argc, char** argv) { return tgrpc::mtproto::session::Run(argc, argv); }
