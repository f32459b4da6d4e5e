#include "mtproto/transport/padded_intermediate.h"

#include <algorithm>
#include <cstdint>

#include "absl/types/span.h"

namespace tgrpc::mtproto::transport {

PaddedIntermediateFraming::PaddedIntermediateFraming(Role role, const FramingOptions& options)
    : IntermediateFraming(role, options),
      random_(options.random ? options.random : crypto::SecureRandom()),
      max_padding_(std::min(options.max_padding, kMaxPadding)) {}

size_t PaddedIntermediateFraming::PaddingSize() {
  uint8_t byte = 0;
  random_(absl::MakeSpan(&byte, 1));
  return size_t{byte} % (max_padding_ + 1);
}

void PaddedIntermediateFraming::FillPadding(char* data, size_t size) {
  random_(absl::MakeSpan(reinterpret_cast<uint8_t*>(data), size));
}

}  // namespace tgrpc::mtproto::transport
