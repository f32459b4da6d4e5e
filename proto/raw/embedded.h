// The raw API as compiled into tgrpcd: the descriptor set protoc made of the generated .proto
// files (a serialized google.protobuf.FileDescriptorSet, imports included) and the lock file the
// field numbers came from.
#ifndef TGRPC_PROTO_RAW_EMBEDDED_H_
#define TGRPC_PROTO_RAW_EMBEDDED_H_

#include "absl/strings/string_view.h"

namespace tgrpc::raw {

absl::string_view RawApiDescriptorSet();
absl::string_view RawApiLock();

}  // namespace tgrpc::raw

#endif  // TGRPC_PROTO_RAW_EMBEDDED_H_
