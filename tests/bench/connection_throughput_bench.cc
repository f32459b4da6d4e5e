// Throughput of one ClientConnection over time: `--in_flight` calls (help.getConfig by default)
// kept in flight against an in-process fakedc for `--duration`, with calls/s, p50 and p99
// latency printed per `--interval`, and the last interval's rate against the first. A service
// keeps its sessions open for days, so per-call cost must not grow with the session's age; this
// shows whether it does. Prints figures, asserts nothing (docs/testing.md).
//
//   bazel run //tests/bench:connection_throughput_bench -- [--duration=10m] [--interval=60s]
//       [--in_flight=64] [--method=help.getConfig|help.getNearestDc] [--transport=intermediate]
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "asio.hpp"
#include "mtproto/net/client_connection.h"
#include "tests/bench/bench_util.h"
#include "tl/generated/api.h"

namespace tgrpc::bench {
namespace {

namespace api = tl::api;
using mtproto::net::CallResult;
using mtproto::net::ClientConnection;
using Clock = std::chrono::steady_clock;

double CpuSeconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double RssMiB() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0;
  uint64_t resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE))) /
         (1024.0 * 1024.0);
}

// CPU seconds every process on the machine has used (/proc/stat), to show how much of the
// machine other work took during an interval: the figures are only comparable on a quiet one.
double HostBusySeconds() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return static_cast<double>(user + nice + system + irq + softirq + steal) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

// What the calls' callbacks (on the connection's strand) share with the reporting thread.
struct Load {
  ClientConnection* connection = nullptr;
  std::string body;
  std::atomic<bool> stopping{false};

  std::mutex mutex;
  std::vector<uint32_t> latencies_us;  // calls completed in the current interval
  uint64_t errors = 0;
  std::string first_error;
};

// Sends one call; its completion records the latency and sends the next, so the number in
// flight stays constant.
void Issue(const std::shared_ptr<Load>& load) {
  const Clock::time_point start = Clock::now();
  load->connection->Invoke(load->body, [load, start](CallResult result) {
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    if (load->stopping.load()) return;
    {
      std::lock_guard<std::mutex> lock(load->mutex);
      if (result.ok()) {
        load->latencies_us.push_back(static_cast<uint32_t>(std::min<int64_t>(us, UINT32_MAX)));
      } else {
        if (load->errors++ == 0) load->first_error = result.status().ToString();
      }
    }
    Issue(load);
  });
}

double Percentile(std::vector<uint32_t>& values, double q) {
  if (values.empty()) return 0;
  const size_t at = std::min(values.size() - 1, static_cast<size_t>(q * values.size()));
  std::nth_element(values.begin(), values.begin() + at, values.end());
  return values[at] / 1000.0;
}

int Run(int argc, char** argv) {
  Flags flags(argc, argv);
  absl::StatusOr<absl::Duration> duration = flags.Duration("duration", absl::Minutes(10));
  absl::StatusOr<absl::Duration> interval = flags.Duration("interval", absl::Seconds(60));
  absl::StatusOr<int64_t> in_flight = flags.Int("in_flight", 64);
  const std::string method = flags.String("method", "help.getConfig");
  absl::StatusOr<mtproto::transport::ClientTransportOptions> transport =
      ParseTransport(flags.String("transport", "intermediate"));
  for (const absl::Status& status :
       {duration.status(), interval.status(), in_flight.status(), transport.status()}) {
    if (!status.ok()) {
      std::cerr << status.message() << "\n";
      return 2;
    }
  }
  if (!flags.Unknown().empty() || *interval <= absl::ZeroDuration() || *in_flight < 1 ||
      (method != "help.getConfig" && method != "help.getNearestDc")) {
    std::cerr << "usage: connection_throughput_bench [--duration=10m] [--interval=60s] "
                 "[--in_flight=64] [--method=help.getConfig|help.getNearestDc] "
                 "[--transport=intermediate|abridged|padded|full|obfuscated-...]\n";
    if (!flags.Unknown().empty()) {
      std::cerr << "unknown flags: " << absl::StrJoin(flags.Unknown(), ", ") << "\n";
    }
    return 2;
  }

  const std::string pem = MakeServerKeyPem();
  absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> dc = StartFakeDc(pem);
  if (!dc.ok()) {
    std::cerr << "fakedc: " << dc.status() << "\n";
    return 1;
  }

  // The connection runs on an io_context of ours, so its thread's CPU time can be read.
  IoThread io;
  clockid_t client_clock;
  pthread_getcpuclockid(io.thread().native_handle(), &client_clock);

  mtproto::net::ClientConnectionOptions options = ConnectionOptions((*dc)->port(2), pem, 1);
  options.transport = *transport;
  absl::StatusOr<std::unique_ptr<ClientConnection>> connection =
      ClientConnection::Create(std::move(options), &io.io());
  if (!connection.ok()) {
    std::cerr << "connection: " << connection.status() << "\n";
    return 1;
  }

  // The first call makes the key and declares the layer; the measured calls follow.
  std::future<absl::StatusOr<tl::Ptr<api::Config>>> first =
      (*connection)->Call<api::help_getConfig>(*WithLayer(std::make_unique<api::help_getConfig>()));
  if (first.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    std::cerr << "the first call got no answer within 60 s\n";
    return 1;
  }
  if (absl::StatusOr<tl::Ptr<api::Config>> config = first.get(); !config.ok()) {
    std::cerr << "the first call failed: " << config.status() << "\n";
    return 1;
  }

  auto load = std::make_shared<Load>();
  load->connection = connection->get();
  absl::StatusOr<std::string> body = method == "help.getConfig"
                                         ? tl::Serialize(api::help_getConfig())
                                         : tl::Serialize(api::help_getNearestDc());
  if (!body.ok()) {
    std::cerr << "serializing " << method << ": " << body.status() << "\n";
    return 1;
  }
  load->body = *std::move(body);

  std::printf("connection_throughput_bench: %s, %lld in flight, %s%s, %s in %s intervals\n",
              method.c_str(), static_cast<long long>(*in_flight),
              transport->obfuscated ? "obfuscated " : "",
              std::string(mtproto::transport::ProtocolName(transport->protocol)).c_str(),
              absl::FormatDuration(*duration).c_str(), absl::FormatDuration(*interval).c_str());
  // CPU is in % of one core: the client's thread (and its CPU microseconds per call), the whole
  // process (client and fakedc), and everything else on the machine.
  std::printf("%-13s %10s %10s %8s %8s %11s %11s %9s %10s %6s %8s\n", "interval", "calls",
              "calls/s", "p50 ms", "p99 ms", "client cpu", "client us", "all cpu", "other cpu",
              "errors", "rss MiB");
  std::fflush(stdout);

  const Clock::time_point start = Clock::now();
  for (int64_t i = 0; i < *in_flight; ++i) Issue(load);

  std::vector<double> rates;
  std::vector<double> p50s;
  Clock::time_point from = start;
  double client_cpu = CpuSeconds(client_clock);
  double all_cpu = CpuSeconds(CLOCK_PROCESS_CPUTIME_ID);
  double host_cpu = HostBusySeconds();
  const absl::Duration total = *duration;
  for (absl::Duration end = std::min(*interval, total); end > absl::ZeroDuration();) {
    std::this_thread::sleep_until(start + absl::ToChronoNanoseconds(end));
    std::vector<uint32_t> latencies;
    uint64_t errors = 0;
    std::string first_error;
    {
      std::lock_guard<std::mutex> lock(load->mutex);
      latencies.swap(load->latencies_us);
      errors = load->errors;
      load->errors = 0;
      first_error = std::move(load->first_error);
      load->first_error.clear();
    }
    const Clock::time_point now = Clock::now();
    const double seconds = std::chrono::duration<double>(now - from).count();
    const double client_now = CpuSeconds(client_clock);
    const double all_now = CpuSeconds(CLOCK_PROCESS_CPUTIME_ID);
    const double host_now = HostBusySeconds();
    const double rate = latencies.size() / seconds;
    const double p50 = Percentile(latencies, 0.50);
    const double p99 = Percentile(latencies, 0.99);
    rates.push_back(rate);
    p50s.push_back(p50);
    const std::string span =
        absl::StrCat(std::llround(std::chrono::duration<double>(from - start).count()), "-",
                     std::llround(absl::ToDoubleSeconds(end)), " s");
    std::printf("%-13s %10zu %10.0f %8.2f %8.2f %10.0f%% %11.1f %8.0f%% %9.0f%% %6llu %8.1f\n",
                span.c_str(), latencies.size(), rate, p50, p99,
                100 * (client_now - client_cpu) / seconds,
                latencies.empty() ? 0.0 : 1e6 * (client_now - client_cpu) / latencies.size(),
                100 * (all_now - all_cpu) / seconds,
                100 * std::max(0.0, (host_now - host_cpu) - (all_now - all_cpu)) / seconds,
                static_cast<unsigned long long>(errors), RssMiB());
    if (!first_error.empty()) std::printf("  first error: %s\n", first_error.c_str());
    std::fflush(stdout);
    from = now;
    client_cpu = client_now;
    all_cpu = all_now;
    host_cpu = host_now;
    if (end >= total) break;
    end = std::min(end + *interval, total);
  }

  load->stopping = true;
  connection->reset();  // cancels what is still in flight

  if (rates.size() >= 2 && rates.front() > 0 && p50s.front() > 0) {
    std::printf("last/first interval: calls/s %.2f, p50 %.2f (goal: calls/s within 10%%)\n",
                rates.back() / rates.front(), p50s.back() / p50s.front());
  }
  return 0;
}

}  // namespace
}  // namespace tgrpc::bench

int main(int argc, char** argv) { return tgrpc::bench::Run(argc, argv); }
