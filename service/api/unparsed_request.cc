#include "service/api/unparsed_request.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "grpcpp/support/interceptor.h"
#include "service/api/errors.h"

namespace tgrpc::service {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;

// One per unary or server-streaming call: the only kinds whose one request message is parsed
// before the handler runs (in a client stream a missing message is the end of the stream).
class UnparsedRequestInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit UnparsedRequestInterceptor(std::string method) : method_(std::move(method)) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    // The request failed to parse when there is no message after it was received.
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      unparsed_ = true;
    }
    if (unparsed_ && methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        methods->GetSendStatus().error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      methods->ModifySendStatus(ToGrpcStatus(UnparsableRequest(method_)));
    }
    methods->Proceed();
  }

 private:
  const std::string method_;
  bool unparsed_ = false;
};

class UnparsedRequestInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(ServerRpcInfo* info) override {
    if (info->type() != ServerRpcInfo::Type::UNARY &&
        info->type() != ServerRpcInfo::Type::SERVER_STREAMING) {
      return nullptr;
    }
    return new UnparsedRequestInterceptor(info->method());
  }
};

}  // namespace

absl::Status UnparsableRequest(absl::string_view method) {
  return ServiceError(absl::StatusCode::kInvalidArgument, "REQUEST_UNPARSABLE",
                      absl::StrCat("the request of ", method,
                                   " does not parse as its protobuf message: every string field "
                                   "must be valid UTF-8 (send raw bytes only in bytes fields)"));
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewUnparsedRequestInterceptorFactory() {
  return std::make_unique<UnparsedRequestInterceptorFactory>();
}

}  // namespace tgrpc::service
