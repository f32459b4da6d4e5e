#include "mtproto/transport/padded_intermediate.h"

#include <cstdint>

#include "absl/types/span.h"

namespace tgrpc::mtproto::transport {

PaddedIntermediateFraming::PaddedIntermediateFraming(Role role, const FramingOptions& options)
    : IntermediateFraming(role, options),
      random_(options.random ? options.random : crypto::SecureRandom()) {}

size_t PaddedIntermediateFraming::PaddingSize() {
  uint8_t byte = 0;
  random_(absl::MakeSpan(&byte, 1));
  return size_t{byte} % (kMaxPadding + 1);
}

void PaddedIntermediateFraming::FillPadding(char* data, size_t size) {
  random_(absl::MakeSpan(reinterpret_cast<uint8_t*>(data), size));
}

}  // namespace tgrpc::mtproto::transport
