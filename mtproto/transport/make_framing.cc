#include "mtproto/transport/make_framing.h"

#include "mtproto/transport/abridged.h"
#include "mtproto/transport/full.h"
#include "mtproto/transport/intermediate.h"
#include "mtproto/transport/padded_intermediate.h"

namespace tgrpc::mtproto::transport {

std::unique_ptr<Framing> MakeFraming(Protocol protocol, Role role, const FramingOptions& options) {
  switch (protocol) {
    case Protocol::kAbridged:
      return std::make_unique<AbridgedFraming>(role, options);
    case Protocol::kIntermediate:
      return std::make_unique<IntermediateFraming>(role, options);
    case Protocol::kPaddedIntermediate:
      return std::make_unique<PaddedIntermediateFraming>(role, options);
    case Protocol::kFull:
      return std::make_unique<FullFraming>(role, options);
  }
  return nullptr;
}

}  // namespace tgrpc::mtproto::transport
