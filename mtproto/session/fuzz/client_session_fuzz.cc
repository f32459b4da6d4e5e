// Fuzz target: ClientSession fed arbitrary decrypted server messages (see fuzz_support.h).
#include <cstddef>
#include <cstdint>

#include "mtproto/session/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tgrpc::mtproto::session::fuzz::FuzzClientSession(data, size);
  return 0;
}
