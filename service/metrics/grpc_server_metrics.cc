#include "service/metrics/grpc_server_metrics.h"

#include <array>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/support/interceptor.h"
#include "grpcpp/support/status.h"

namespace tgrpc::service {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;

// go-grpc-prometheus's (Prometheus's DefBuckets), so the histograms line up with Go servers'.
const prometheus::Histogram::BucketBoundaries& HandlingBuckets() {
  static const auto* const buckets = new prometheus::Histogram::BucketBoundaries{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *buckets;
}

absl::string_view TypeName(ServerRpcInfo::Type type) {
  switch (type) {
    case ServerRpcInfo::Type::UNARY:
      return "unary";
    case ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    case ServerRpcInfo::Type::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "bidi_stream";
}

bool IsTypeName(absl::string_view type) {
  return type == "unary" || type == "client_stream" || type == "server_stream" ||
         type == "bidi_stream";
}

// "/package.Service/Method" into its two parts; false for anything else.
bool SplitFullMethod(absl::string_view full_method, absl::string_view* service,
                     absl::string_view* method) {
  if (full_method.size() < 4 || full_method[0] != '/') return false;
  const size_t slash = full_method.rfind('/');
  if (slash <= 1 || slash + 1 == full_method.size()) return false;
  *service = full_method.substr(1, slash - 1);
  *method = full_method.substr(slash + 1);
  return true;
}

// One per RPC, created when the call is matched (which is when go-grpc-prometheus counts it as
// started). It resolves its series once, so a stream's messages cost one atomic add each.
class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(std::shared_ptr<GrpcServerMetrics> metrics, GrpcMethodLabels labels)
      : metrics_(std::move(metrics)),
        labels_(std::move(labels)),
        start_(std::chrono::steady_clock::now()),
        received_(metrics_->msg_received.Add(Labels())),
        sent_(metrics_->msg_sent.Add(Labels())) {
    metrics_->started.Add(Labels()).Increment();
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    // A failed read (the client's half-close included) reports a null message: not a message.
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() != nullptr) {
      received_.Increment();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      sent_.Increment();
    }
    // Every server call ends by sending a status, cancelled ones too (the handler still
    // finishes), so this is the single place a call is counted as handled.
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      prometheus::Labels labels = Labels();
      metrics_->handling_seconds.Add(labels, HandlingBuckets()).Observe(seconds);
      labels.emplace("grpc_code", GrpcCodeName(methods->GetSendStatus().error_code()));
      metrics_->handled.Add(labels).Increment();
    }
    methods->Proceed();
  }

 private:
  prometheus::Labels Labels() const {
    return {{"grpc_service", labels_.service},
            {"grpc_method", labels_.method},
            {"grpc_type", labels_.type}};
  }

  const std::shared_ptr<GrpcServerMetrics> metrics_;
  const GrpcMethodLabels labels_;
  const std::chrono::steady_clock::time_point start_;
  prometheus::Counter& received_;
  prometheus::Counter& sent_;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(std::shared_ptr<GrpcServerMetrics> metrics)
      : metrics_(std::move(metrics)) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, metrics_->Resolve(info->method(), info->type()));
  }

 private:
  const std::shared_ptr<GrpcServerMetrics> metrics_;
};

}  // namespace

GrpcServerMetrics::GrpcServerMetrics(std::shared_ptr<prometheus::Registry> registry)
    : started(prometheus::BuildCounter()
                  .Name("grpc_server_started_total")
                  .Help("Total number of RPCs started on the server.")
                  .Register(*registry)),
      handled(prometheus::BuildCounter()
                  .Name("grpc_server_handled_total")
                  .Help("Total number of RPCs completed on the server, regardless of success "
                        "or failure.")
                  .Register(*registry)),
      handling_seconds(prometheus::BuildHistogram()
                           .Name("grpc_server_handling_seconds")
                           .Help("Histogram of response latency (seconds) of gRPC that had "
                                 "been application-level handled by the server.")
                           .Register(*registry)),
      msg_received(prometheus::BuildCounter()
                       .Name("grpc_server_msg_received_total")
                       .Help("Total number of RPC stream messages received on the server.")
                       .Register(*registry)),
      msg_sent(prometheus::BuildCounter()
                   .Name("grpc_server_msg_sent_total")
                   .Help("Total number of gRPC stream messages sent by the server.")
                   .Register(*registry)),
      registry_(std::move(registry)) {}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
GrpcServerMetrics::NewInterceptorFactory() {
  return std::make_unique<MetricsInterceptorFactory>(shared_from_this());
}

absl::Status GrpcServerMetrics::RegisterMethodType(const std::string& full_method,
                                                   const std::string& type) {
  absl::string_view service, method;
  if (!SplitFullMethod(full_method, &service, &method)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a \"/package.Service/Method\" name: \"", full_method, "\""));
  }
  if (!IsTypeName(type)) {
    return absl::InvalidArgumentError(
        absl::StrCat("grpc_type must be unary, client_stream, server_stream or bidi_stream, not \"",
                     type, "\""));
  }
  absl::MutexLock lock(&mu_);
  registered_types_[full_method] = type;
  return absl::OkStatus();
}

GrpcMethodLabels GrpcServerMetrics::Resolve(const char* full_method,
                                            ServerRpcInfo::Type registered_type) const {
  absl::string_view service, method;
  if (full_method == nullptr || !SplitFullMethod(full_method, &service, &method)) {
    return {"unknown", "unknown", std::string(TypeName(registered_type))};
  }
  {
    absl::MutexLock lock(&mu_);
    const auto it = registered_types_.find(absl::string_view(full_method));
    if (it != registered_types_.end()) {
      return {std::string(service), std::string(method), it->second};
    }
  }
  const google::protobuf::MethodDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          absl::StrCat(service, ".", method));
  if (descriptor == nullptr) {
    return {"unknown", "unknown", std::string(TypeName(registered_type))};
  }
  ServerRpcInfo::Type type = ServerRpcInfo::Type::UNARY;
  if (descriptor->client_streaming() && descriptor->server_streaming()) {
    type = ServerRpcInfo::Type::BIDI_STREAMING;
  } else if (descriptor->client_streaming()) {
    type = ServerRpcInfo::Type::CLIENT_STREAMING;
  } else if (descriptor->server_streaming()) {
    type = ServerRpcInfo::Type::SERVER_STREAMING;
  }
  return {std::string(service), std::string(method), std::string(TypeName(type))};
}

std::string GrpcCodeName(int code) {
  static constexpr std::array<const char*, 17> kNames = {
      "OK",
      "CANCELLED",
      "UNKNOWN",
      "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED",
      "NOT_FOUND",
      "ALREADY_EXISTS",
      "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION",
      "ABORTED",
      "OUT_OF_RANGE",
      "UNIMPLEMENTED",
      "INTERNAL",
      "UNAVAILABLE",
      "DATA_LOSS",
      "UNAUTHENTICATED",
  };
  // A code outside the enum (a peer's status is just an int) must not become a new label value.
  if (code < 0 || code >= static_cast<int>(kNames.size())) return "UNKNOWN";
  return kNames[code];
}

}  // namespace tgrpc::service
