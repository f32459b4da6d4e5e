// tgrpcd's Prometheus metrics, served on their own port (DESIGN.md, Service: Metrics): the
// go-grpc-prometheus grpc_server_* families, recorded by a server interceptor, and the tgrpc_*
// domain metrics that the Telegram layers report through the calls below.
//
// Every label value comes from a bounded set, so a client can never grow the series count:
// gRPC methods are those compiled into the binary or registered here (any other path is counted
// as "unknown"); the domain labels are TL method names, DC ids, session and account states and
// error types chosen by the code. As a last guard, a domain label value that is not a short
// [A-Za-z0-9_.] word becomes "other", and a run of digits between underscores becomes "X"
// ("FLOOD_WAIT_42" -> "FLOOD_WAIT_X").
//
// Thread-safe.
#ifndef TGRPC_SERVICE_METRICS_METRICS_H_
#define TGRPC_SERVICE_METRICS_METRICS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace tgrpc::service {

class GrpcServerMetrics;

class Metrics {
 public:
  // With its own registry, so tests and several instances in one process never share series.
  Metrics();
  ~Metrics();

  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Serves /metrics on address "host:port" (port 0: any free port; then port() tells which).
  // Once per Metrics.
  [[nodiscard]] absl::Status StartExposer(const std::string& address);
  // The exposer's port; 0 before StartExposer succeeded.
  int port() const;

  // Text exposition of the registry (for tests and a debug RPC).
  std::string Scrape() const;

  // For grpc::ServerBuilder::experimental().SetInterceptorCreators: counts every RPC under
  // grpc_service, grpc_method, grpc_type and grpc_code. The factory shares the families with
  // this object, so either may be destroyed first.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewInterceptorFactory();
  // grpc_type ("unary", "client_stream", "server_stream" or "bidi_stream") of a method that a
  // generic service serves, whose own registration says only bidi_stream, or one not compiled
  // into this binary. full_method is "/package.Service/Method". A method registered here takes
  // this type over the one its .proto declares.
  [[nodiscard]] absl::Status RegisterMethodType(const std::string& full_method,
                                                const std::string& type);

  // One finished MTProto call. result: "ok", Telegram's error type ("FLOOD_WAIT") or the absl
  // code name ("DEADLINE_EXCEEDED").
  void ObserveMtprotoCall(const std::string& method, int dc, const std::string& result,
                          double seconds);
  // Telegram told a method to wait this long.
  void ObserveFloodWait(const std::string& method, double seconds);
  // The account's home DC moved (from_dc is not a label: to_dc says where traffic goes).
  void ObserveMigration(int from_dc, int to_dc);
  void ObserveReconnect(int dc);
  // MTProto bytes on the wire, sent or received.
  void AddBytes(bool sent, int64_t bytes);
  // A session moved from one state to another; "" for none (the session opened or closed).
  void SessionStateChanged(int dc, const std::string& from, const std::string& to);
  // The number of accounts in each state, set whole: a state missing from by_state drops to 0.
  void SetAccounts(const std::map<std::string, int>& by_state);
  // Update log work (service/updates): `event` is "logged" (events appended), "difference" and
  // "channel_difference" (catch-ups asked), "gap" (history Telegram dropped); `count` how many.
  void ObserveUpdates(const std::string& event, int64_t count);
  // Cluster mode: a call the public port forwarded, to this replica's own peer port ("here") or
  // another's ("peer"), and the code its caller got.
  void ObserveForward(bool here, const std::string& code);
  // Cluster mode: the accounts this replica serves, and its lease counts so far (taken, handed
  // over, lost), set whole.
  void SetLeases(int served, int64_t acquired, int64_t released, int64_t lost);

 private:
  const std::shared_ptr<prometheus::Registry> registry_;
  const std::shared_ptr<GrpcServerMetrics> grpc_;

  prometheus::Family<prometheus::Counter>& mtproto_calls_;
  prometheus::Family<prometheus::Histogram>& mtproto_call_seconds_;
  prometheus::Family<prometheus::Counter>& flood_waits_;
  prometheus::Family<prometheus::Counter>& flood_wait_seconds_;
  prometheus::Family<prometheus::Counter>& migrations_;
  prometheus::Family<prometheus::Counter>& reconnects_;
  prometheus::Family<prometheus::Counter>& bytes_;
  prometheus::Family<prometheus::Gauge>& sessions_;
  prometheus::Family<prometheus::Gauge>& accounts_;
  prometheus::Family<prometheus::Counter>& updates_;
  prometheus::Family<prometheus::Counter>& forwarded_;
  prometheus::Family<prometheus::Gauge>& leases_;

  mutable absl::Mutex mu_;
  std::unique_ptr<prometheus::Exposer> exposer_ ABSL_GUARDED_BY(mu_);
  // Every state SetAccounts has seen, so that a state that empties is set to 0, not left stale.
  std::set<std::string> account_states_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_METRICS_METRICS_H_
