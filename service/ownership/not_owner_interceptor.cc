#include "service/ownership/not_owner_interceptor.h"

#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/support/interceptor.h"
#include "service/cluster/forwarder.h"

namespace tgrpc::service {
namespace {

using grpc::experimental::InterceptionHookPoints;

bool NotHere(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE || status.error_details().empty()) {
    return false;
  }
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return false;
  for (const google::protobuf::Any& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info) && info.reason() == "ACCOUNT_NOT_HERE") return true;
  }
  return false;
}

class NotOwnerInterceptor final : public grpc::experimental::Interceptor {
 public:
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        NotHere(methods->GetSendStatus())) {
      methods->GetSendTrailingMetadata()->emplace(cluster::kNotOwnerMetadataKey, "1");
    }
    methods->Proceed();
  }
};

class NotOwnerInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new NotOwnerInterceptor();
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewNotOwnerInterceptorFactory() {
  return std::make_unique<NotOwnerInterceptorFactory>();
}

}  // namespace tgrpc::service
