// Fuzz target: a server connection from its first byte, transport detection included (see
// fuzz_support.h).
#include <cstddef>
#include <cstdint>

#include "mtproto/transport/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tgrpc::mtproto::transport::fuzz::FuzzServerTransport(data, size);
  return 0;
}
