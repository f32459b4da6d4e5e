// Builds the plain framing object for a protocol and role.
#ifndef TGRPC_MTPROTO_TRANSPORT_MAKE_FRAMING_H_
#define TGRPC_MTPROTO_TRANSPORT_MAKE_FRAMING_H_

#include <memory>

#include "mtproto/transport/frame.h"
#include "mtproto/transport/framing.h"

namespace tgrpc::mtproto::transport {

std::unique_ptr<Framing> MakeFraming(Protocol protocol, Role role, const FramingOptions& options);

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_MAKE_FRAMING_H_
