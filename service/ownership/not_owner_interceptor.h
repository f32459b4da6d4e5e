// On a replica's peer port (cluster mode): an answer UNAVAILABLE with reason ACCOUNT_NOT_HERE
// (AccountManager: the account is stored but served elsewhere, or moving) also gets the trailing
// metadata the forwarder recognizes (service/cluster/forwarder.h, kNotOwnerMetadataKey), so the
// forwarding replica asks for the owner again and replays the call instead of failing it.
#ifndef TGRPC_SERVICE_OWNERSHIP_NOT_OWNER_INTERCEPTOR_H_
#define TGRPC_SERVICE_OWNERSHIP_NOT_OWNER_INTERCEPTOR_H_

#include <memory>

#include "grpcpp/support/server_interceptor.h"

namespace tgrpc::service {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewNotOwnerInterceptorFactory();

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_OWNERSHIP_NOT_OWNER_INTERCEPTOR_H_
