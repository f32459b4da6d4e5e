// Fuzz target: ClientHandshake fed arbitrary server messages (see fuzz_support.h).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mtproto/handshake/fuzz/fuzz_support.h"

std::vector<std::string> TgrpcFuzzSeeds() {
  return tgrpc::mtproto::handshake::fuzz::ClientHandshakeSeeds();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tgrpc::mtproto::handshake::fuzz::FuzzClientHandshake(data, size);
  return 0;
}
