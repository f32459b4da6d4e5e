// The checks behind the transport fuzz targets, kept apart from both the targets (one line each)
// and any driver, so libFuzzer and the deterministic driver run the same code.
//
// Input layout shared by every target: one control byte, then the received byte stream.
//   bit 0     0: decode as the server (bytes a client sent); 1: decode as the client
//   bits 1-2  obfuscated2 target only: inner protocol (0 abridged, 1 intermediate, 2-3 padded)
//   bits 3-7  seed for the sizes of the pieces the stream is fed in
// Every violated invariant aborts, which both libFuzzer and the driver report as a crash.
#ifndef TGRPC_MTPROTO_TRANSPORT_FUZZ_FUZZ_SUPPORT_H_
#define TGRPC_MTPROTO_TRANSPORT_FUZZ_FUZZ_SUPPORT_H_

#include <cstddef>
#include <cstdint>

#include "mtproto/transport/frame.h"

namespace tgrpc::mtproto::transport::fuzz {

// Also the limit the driver keeps inputs under.
inline constexpr size_t kFuzzMaxFrameSize = size_t{1} << 16;

// Plain framing decoder: whole input and piecewise input must give the same frames and status, and
// re-encoding the decoded frames with the peer's encoder must decode to the same frames again.
void FuzzPlainDecoder(Protocol protocol, const uint8_t* data, size_t size);

// Obfuscated2 around each inner protocol: the stream is encrypted with the peer's key stream and
// must then decode exactly as the plain decoder decodes the unencrypted stream.
void FuzzObfuscated2Decoder(const uint8_t* data, size_t size);

// ServerTransport from the first byte of a connection (detection, then frames): whole and
// piecewise input must agree on status, frames and the detected transport.
void FuzzServerTransport(const uint8_t* data, size_t size);

}  // namespace tgrpc::mtproto::transport::fuzz

#endif  // TGRPC_MTPROTO_TRANSPORT_FUZZ_FUZZ_SUPPORT_H_
