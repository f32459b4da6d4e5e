#include "service/metrics/metrics.h"

#include <algorithm>
#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "prometheus/text_serializer.h"
#include "service/metrics/grpc_server_metrics.h"

namespace tgrpc::service {
namespace {

// MTProto calls range from a millisecond-scale help.getConfig to a 512 KiB upload.getFile part on
// a slow link, and a call may wait out a short FLOOD_WAIT or retry within its deadline: hence two
// buckets above go-grpc-prometheus's 10 s.
const prometheus::Histogram::BucketBoundaries& MtprotoCallBuckets() {
  static const auto* const buckets = new prometheus::Histogram::BucketBoundaries{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return *buckets;
}

// The last guard on a domain label (see metrics.h): callers pass words from a closed set, but
// a bug that passed a raw error message or a user's string must not add a series per value.
std::string LabelValue(absl::string_view value) {
  constexpr size_t kMaxLength = 64;
  if (value.empty() || value.size() > kMaxLength) return "other";
  for (const char c : value) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.') return "other";
  }
  std::vector<std::string> parts = absl::StrSplit(value, '_');
  for (std::string& part : parts) {
    if (!part.empty() && std::all_of(part.begin(), part.end(), absl::ascii_isdigit)) part = "X";
  }
  return absl::StrJoin(parts, "_");
}

std::string DcLabel(int dc) { return std::to_string(dc); }

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      grpc_(std::make_shared<GrpcServerMetrics>(registry_)),
      mtproto_calls_(prometheus::BuildCounter()
                         .Name("tgrpc_mtproto_calls_total")
                         .Help("MTProto calls finished, by TL method, DC and result (ok, "
                               "Telegram's error type or the status code name).")
                         .Register(*registry_)),
      mtproto_call_seconds_(prometheus::BuildHistogram()
                                .Name("tgrpc_mtproto_call_seconds")
                                .Help("Latency of finished MTProto calls in seconds, by TL method.")
                                .Register(*registry_)),
      flood_waits_(prometheus::BuildCounter()
                       .Name("tgrpc_flood_waits_total")
                       .Help("FLOOD_WAIT errors Telegram returned, by TL method.")
                       .Register(*registry_)),
      flood_wait_seconds_(prometheus::BuildCounter()
                              .Name("tgrpc_flood_wait_seconds_total")
                              .Help("Seconds Telegram told callers to wait, by TL method.")
                              .Register(*registry_)),
      migrations_(prometheus::BuildCounter()
                      .Name("tgrpc_migrations_total")
                      .Help("Moves of an account's home DC, by the DC moved to.")
                      .Register(*registry_)),
      reconnects_(prometheus::BuildCounter()
                      .Name("tgrpc_reconnects_total")
                      .Help("MTProto connections re-established after a loss, by DC.")
                      .Register(*registry_)),
      bytes_(prometheus::BuildCounter()
                 .Name("tgrpc_mtproto_bytes_total")
                 .Help("MTProto bytes on the wire, by direction (sent or received).")
                 .Register(*registry_)),
      sessions_(prometheus::BuildGauge()
                    .Name("tgrpc_sessions")
                    .Help("MTProto sessions open, by DC and connection state.")
                    .Register(*registry_)),
      accounts_(prometheus::BuildGauge()
                    .Name("tgrpc_accounts")
                    .Help("Accounts served, by state.")
                    .Register(*registry_)),
      updates_(prometheus::BuildCounter()
                   .Name("tgrpc_update_events_total")
                   .Help("Update log work: events logged, getDifference and getChannelDifference "
                         "catch-ups asked, history gaps Telegram reported; by event.")
                   .Register(*registry_)),
      forwarded_(prometheus::BuildCounter()
                     .Name("tgrpc_cluster_forwarded_calls_total")
                     .Help("Cluster mode: calls the public port forwarded to the account's owner, "
                           "by target (here: this replica; peer: another) and gRPC code.")
                     .Register(*registry_)),
      leases_(prometheus::BuildGauge()
                  .Name("tgrpc_cluster_leases")
                  .Help("Cluster mode: accounts served (kind=served) and leases taken, handed "
                        "over and lost since start (acquired, released, lost).")
                  .Register(*registry_)) {}

Metrics::~Metrics() = default;

absl::Status Metrics::StartExposer(const std::string& address) {
  absl::MutexLock lock(&mu_);
  if (exposer_ != nullptr) return absl::FailedPreconditionError("the exposer already runs");
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    // prometheus-cpp reports a failed bind only by throwing (civetweb's CivetException).
    exposer = std::make_unique<prometheus::Exposer>(address);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", address, ": ", e.what()));
  }
  exposer->RegisterCollectable(registry_);
  exposer_ = std::move(exposer);
  return absl::OkStatus();
}

int Metrics::port() const {
  absl::MutexLock lock(&mu_);
  if (exposer_ == nullptr) return 0;
  const std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

std::string Metrics::Scrape() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
Metrics::NewInterceptorFactory() {
  return grpc_->NewInterceptorFactory();
}

absl::Status Metrics::RegisterMethodType(const std::string& full_method, const std::string& type) {
  return grpc_->RegisterMethodType(full_method, type);
}

void Metrics::ObserveMtprotoCall(const std::string& method, int dc, const std::string& result,
                                 double seconds) {
  const std::string method_label = LabelValue(method);
  mtproto_calls_
      .Add({{"method", method_label}, {"dc", DcLabel(dc)}, {"result", LabelValue(result)}})
      .Increment();
  mtproto_call_seconds_.Add({{"method", method_label}}, MtprotoCallBuckets()).Observe(seconds);
}

void Metrics::ObserveFloodWait(const std::string& method, double seconds) {
  const prometheus::Labels labels = {{"method", LabelValue(method)}};
  flood_waits_.Add(labels).Increment();
  // Counter::Increment ignores a negative amount, which a clock-skewed caller could pass.
  flood_wait_seconds_.Add(labels).Increment(seconds);
}

void Metrics::ObserveMigration(int from_dc, int to_dc) {
  migrations_.Add({{"to_dc", DcLabel(to_dc)}}).Increment();
}

void Metrics::ObserveReconnect(int dc) { reconnects_.Add({{"dc", DcLabel(dc)}}).Increment(); }

void Metrics::AddBytes(bool sent, int64_t bytes) {
  bytes_.Add({{"direction", sent ? "sent" : "received"}}).Increment(static_cast<double>(bytes));
}

void Metrics::SessionStateChanged(int dc, const std::string& from, const std::string& to) {
  if (!from.empty()) sessions_.Add({{"dc", DcLabel(dc)}, {"state", LabelValue(from)}}).Decrement();
  if (!to.empty()) sessions_.Add({{"dc", DcLabel(dc)}, {"state", LabelValue(to)}}).Increment();
}

void Metrics::ObserveUpdates(const std::string& event, int64_t count) {
  if (count > 0) updates_.Add({{"event", LabelValue(event)}}).Increment(static_cast<double>(count));
}

void Metrics::ObserveForward(bool here, const std::string& code) {
  forwarded_.Add({{"target", here ? "here" : "peer"}, {"code", LabelValue(code)}}).Increment();
}

void Metrics::SetLeases(int served, int64_t acquired, int64_t released, int64_t lost) {
  leases_.Add({{"kind", "served"}}).Set(served);
  leases_.Add({{"kind", "acquired"}}).Set(static_cast<double>(acquired));
  leases_.Add({{"kind", "released"}}).Set(static_cast<double>(released));
  leases_.Add({{"kind", "lost"}}).Set(static_cast<double>(lost));
}

void Metrics::SetAccounts(const std::map<std::string, int>& by_state) {
  // Under the lock, so that two concurrent calls cannot interleave into a mix of both.
  absl::MutexLock lock(&mu_);
  std::map<std::string, int> counts;
  for (const std::string& state : account_states_) counts[state] = 0;
  // Two states may fold into one label value ("other"): their counts add up.
  for (const auto& [state, count] : by_state) counts[LabelValue(state)] += count;
  for (const auto& [state, count] : counts) {
    accounts_.Add({{"state", state}}).Set(count);
    account_states_.insert(state);
  }
}

}  // namespace tgrpc::service
