// The go-grpc-prometheus grpc_server_* families and the server interceptor that records them, so
// dashboards and alerts written for Go gRPC servers work on tgrpcd unchanged. Private to
// //service/metrics: the service reaches it through Metrics.
#ifndef TGRPC_SERVICE_METRICS_GRPC_SERVER_METRICS_H_
#define TGRPC_SERVICE_METRICS_GRPC_SERVER_METRICS_H_

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace tgrpc::service {

// The labels one RPC is counted under.
struct GrpcMethodLabels {
  std::string service;
  std::string method;
  std::string type;  // unary, client_stream, server_stream or bidi_stream
};

// Thread-safe. Shared (std::shared_ptr) between Metrics and the interceptor factories it hands
// out, so a server may outlive the Metrics object that configured it.
class GrpcServerMetrics : public std::enable_shared_from_this<GrpcServerMetrics> {
 public:
  explicit GrpcServerMetrics(std::shared_ptr<prometheus::Registry> registry);

  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewInterceptorFactory();

  // full_method is "/package.Service/Method"; type one of the four grpc_type values.
  [[nodiscard]] absl::Status RegisterMethodType(const std::string& full_method,
                                                const std::string& type);

  // A method registered here, else one compiled into the binary (its .proto's descriptor says
  // how it streams, which is right even when a generic service serves it), else any path a
  // client sent: that one is counted as service and method "unknown", since the path is the
  // caller's input and would make the label set unbounded.
  GrpcMethodLabels Resolve(const char* full_method,
                           grpc::experimental::ServerRpcInfo::Type registered_type) const;

  prometheus::Family<prometheus::Counter>& started;
  prometheus::Family<prometheus::Counter>& handled;
  prometheus::Family<prometheus::Histogram>& handling_seconds;
  prometheus::Family<prometheus::Counter>& msg_received;
  prometheus::Family<prometheus::Counter>& msg_sent;

 private:
  // Keeps the families above alive.
  const std::shared_ptr<prometheus::Registry> registry_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::string, std::less<>> registered_types_ ABSL_GUARDED_BY(mu_);
};

// grpc_code's values: the upper-case names of grpc::StatusCode ("OK", "NOT_FOUND", ...).
std::string GrpcCodeName(int code);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_METRICS_GRPC_SERVER_METRICS_H_
