#include "mtproto/transport/frame.h"

namespace tgrpc::mtproto::transport {

absl::string_view ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kAbridged:
      return "abridged";
    case Protocol::kIntermediate:
      return "intermediate";
    case Protocol::kPaddedIntermediate:
      return "padded intermediate";
    case Protocol::kFull:
      return "full";
  }
  return "unknown";
}

}  // namespace tgrpc::mtproto::transport
