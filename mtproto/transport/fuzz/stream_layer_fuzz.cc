// Fuzz target: a server connection's first bytes through DetectStreamLayer and the layer it picks
// (WebSocket, HTTP, fake-TLS; a fake-TLS secret is configured), fed whole and in pieces the way
// fakedc's connections feed them. Invariants: no crash; a layer that accepted everything gives
// the same transport stream whether the bytes came whole or in pieces (fake-TLS answers carry
// random bytes, so only the stream is compared); Wrap of a few bytes never fails afterwards.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "mtproto/transport/stream_layer.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using tgrpc::mtproto::transport::DetectStreamLayer;
using tgrpc::mtproto::transport::LayerDetection;
using tgrpc::mtproto::transport::StreamLayer;
using tgrpc::mtproto::transport::StreamLayerOptions;

struct Outcome {
  bool ok = true;
  bool layered = false;
  std::string stream;
};

// Feeds `bytes` in pieces of the sizes `seed` draws (seed 0: whole), as a connection would.
Outcome Feed(absl::string_view bytes, unsigned seed) {
  StreamLayerOptions options;
  options.fake_tls_secrets.push_back("0123456789abcdef");
  Outcome out;
  std::string first;
  std::unique_ptr<StreamLayer> layer;
  bool decided = false;
  uint32_t state = seed * 2654435761u + 1;
  while (!bytes.empty()) {
    size_t piece = bytes.size();
    if (seed != 0) {
      state = state * 1103515245u + 12345u;
      piece = std::min<size_t>(bytes.size(), 1 + (state >> 16) % 37);
    }
    absl::string_view chunk = bytes.substr(0, piece);
    bytes.remove_prefix(piece);
    if (!decided) {
      first.append(chunk.data(), chunk.size());
      absl::StatusOr<LayerDetection> detected = DetectStreamLayer(first, options);
      if (!detected.ok()) return {false, false, ""};
      if (std::holds_alternative<std::monostate>(*detected)) continue;
      decided = true;
      if (auto* found = std::get_if<std::unique_ptr<StreamLayer>>(&*detected)) {
        layer = std::move(*found);
        out.layered = true;
      }
      chunk = first;
    }
    if (layer == nullptr) {
      out.stream.append(chunk.data(), chunk.size());
      continue;
    }
    std::string reply;
    if (!layer->Unwrap(chunk, out.stream, reply).ok()) {
      out.ok = false;
      return out;
    }
  }
  if (layer != nullptr) (void)layer->Wrap("\xee\xee\xee\xee");
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const unsigned seed = 1 + data[0];
  const absl::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Outcome whole = Feed(bytes, 0);
  const Outcome pieces = Feed(bytes, seed);
  if (whole.ok && pieces.ok && whole.layered) TGRPC_FUZZ_CHECK(whole.stream == pieces.stream);
  return 0;
}

std::vector<std::string> TgrpcFuzzSeeds() {
  std::string ws =
      "\x01GET /apiws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Protocol: binary\r\n\r\n";
  // A masked binary frame of 4 bytes (mask 01 02 03 04).
  ws += std::string("\x82\x84\x01\x02\x03\x04\xef\xec\xed\xea", 10);
  std::string http = "\x05POST /api HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 8\r\n\r\n";
  http += std::string(8, '\x00');
  // A TLS record header and a ClientHello header with a random that matches no secret.
  std::string tls("\x07\x16\x03\x01\x00\x30\x01\x00\x00\x2c\x03\x03", 12);
  tls += std::string(44, 'r');
  return {ws, http + http, tls, std::string("\x02\xef\x01\x02\x03\x04", 6)};
}
