// What a caller hears about a request that does not parse. gRPC C++ (1.51) answers such a request
// (most often a string field that is not valid UTF-8, which proto3 refuses) with UNIMPLEMENTED and
// no message, before any handler runs: the caller cannot tell it from a method tgrpcd lacks. This
// server interceptor turns that answer into INVALID_ARGUMENT with reason REQUEST_UNPARSABLE.
#ifndef TGRPC_SERVICE_API_UNPARSED_REQUEST_H_
#define TGRPC_SERVICE_API_UNPARSED_REQUEST_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/server_interceptor.h"

namespace tgrpc::service {

// INVALID_ARGUMENT with reason REQUEST_UNPARSABLE for `method` ("/tgrpc.v1.Service/Method"): what
// the interceptor answers, and what a raw method that parses its own request answers too.
absl::Status UnparsableRequest(absl::string_view method);

// Register it before interceptors that look at the status sent (metrics), so they see the
// INVALID_ARGUMENT: a server runs the interceptors of a sent status in their order.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewUnparsedRequestInterceptorFactory();

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_UNPARSED_REQUEST_H_
