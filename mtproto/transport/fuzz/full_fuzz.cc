// Fuzz target: the full framing decoder in both roles (see fuzz_support.h).
#include <cstddef>
#include <cstdint>

#include "mtproto/transport/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tgrpc::mtproto::transport::fuzz::FuzzPlainDecoder(tgrpc::mtproto::transport::Protocol::kFull,
                                                    data, size);
  return 0;
}
