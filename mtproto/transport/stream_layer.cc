#include "mtproto/transport/stream_layer.h"

#include "absl/strings/match.h"
#include "mtproto/transport/fake_tls_layer.h"
#include "mtproto/transport/http_layer.h"
#include "mtproto/transport/websocket_layer.h"

namespace tgrpc::mtproto::transport {

absl::StatusOr<LayerDetection> DetectStreamLayer(absl::string_view first_bytes,
                                                 const StreamLayerOptions& options) {
  // Every wrapping announces itself in its first four bytes; no MTProto transport starts so
  // (abridged 0xef, intermediate 0xeeeeeeee, padded 0xdddddddd, full a small length, obfuscated2
  // a random init that excludes these prefixes).
  if (first_bytes.size() < 4) return LayerDetection(std::monostate{});
  // WebSocket: the HTTP upgrade request (GramJS's and mtcute's ws transports).
  if (absl::StartsWith(first_bytes, "GET ")) {
    return LayerDetection(std::unique_ptr<StreamLayer>(std::make_unique<WebSocketLayer>()));
  }
  // HTTP: one POST /api per packet (Telethon's ConnectionHttp).
  if (absl::StartsWith(first_bytes, "POST")) {
    return LayerDetection(std::unique_ptr<StreamLayer>(std::make_unique<HttpLayer>()));
  }
  // MTProxy fake-TLS: a ClientHello, checked against the secrets by the layer.
  if (!options.fake_tls_secrets.empty()) {
    switch (ProbeClientHello(first_bytes)) {
      case ClientHelloProbe::kNeedMore:
        return LayerDetection(std::monostate{});
      case ClientHelloProbe::kClientHello: {
        FakeTlsOptions fake_tls;
        fake_tls.secrets = options.fake_tls_secrets;
        return LayerDetection(
            std::unique_ptr<StreamLayer>(std::make_unique<FakeTlsLayer>(std::move(fake_tls))));
      }
      case ClientHelloProbe::kNotClientHello:
        break;
    }
  }
  return LayerDetection(PlainStream{});
}

}  // namespace tgrpc::mtproto::transport
