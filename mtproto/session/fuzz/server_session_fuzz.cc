// Fuzz target: the server role fed arbitrary decrypted client messages (see fuzz_support.h).
#include <cstddef>
#include <cstdint>

#include "mtproto/session/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tgrpc::mtproto::session::fuzz::FuzzServerSession(data, size);
  return 0;
}
