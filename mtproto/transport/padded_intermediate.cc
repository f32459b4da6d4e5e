#include "mtproto/transport/padded_intermediate.h"

#include <cstdint>

#include "absl/types/span.h"
#include "tl/runtime/status_macros.h"

namespace tgrpc::mtproto::transport {

PaddedIntermediateFraming::PaddedIntermediateFraming(Role role, const FramingOptions& options)
    : IntermediateFraming(role, options), random_(options.random) {}

absl::StatusOr<size_t> PaddedIntermediateFraming::PaddingSize() {
  if (!random_) return absl::FailedPreconditionError("padded intermediate needs a random source");
  uint8_t byte = 0;
  TGRPC_RETURN_IF_ERROR(random_(absl::MakeSpan(&byte, 1)));
  return size_t{byte} % (kMaxPadding + 1);
}

absl::Status PaddedIntermediateFraming::FillPadding(char* data, size_t size) {
  return random_(absl::MakeSpan(reinterpret_cast<uint8_t*>(data), size));
}

}  // namespace tgrpc::mtproto::transport
