// Wrappings a server finds around the MTProto transport bytes of a TCP connection, before the
// transport itself (abridged, intermediate, ... plain or obfuscated2) is detected: WebSocket
// (GramJS's and mtcute's ws transports, `ws://host:port/apiws`), MTProxy fake-TLS (`ee` secrets:
// TLS records imitating HTTPS) and HTTP (`POST /api`, one packet per request, as Telethon's HTTP
// connection sends). Each layer turns the client's bytes into the transport stream inside them
// and wraps the server's stream bytes for the client.
#ifndef TGRPC_MTPROTO_TRANSPORT_STREAM_LAYER_H_
#define TGRPC_MTPROTO_TRANSPORT_STREAM_LAYER_H_

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tgrpc::mtproto::transport {

class StreamLayer {
 public:
  virtual ~StreamLayer() = default;
  // The layer's name for logs ("websocket", "fake-tls", "http").
  virtual absl::string_view name() const = 0;
  // Bytes from the client, in order, from the connection's first: appends the transport bytes
  // they carry to `stream` and what the layer itself answers (a handshake, a pong) to `reply`,
  // which goes to the client as is, before anything Wrap returns later. An error means the
  // connection is to be closed (after `reply` is sent).
  virtual absl::Status Unwrap(absl::string_view in, std::string& stream, std::string& reply) = 0;
  // Transport bytes for the client, wrapped (possibly nothing yet: HTTP holds them until a
  // request is waiting for them).
  virtual std::string Wrap(absl::string_view stream) = 0;
};

struct StreamLayerOptions {
  // MTProxy fake-TLS secrets (16 raw bytes each) that a TLS ClientHello is checked against.
  std::vector<std::string> fake_tls_secrets;
};

// What the connection's first bytes call for.
struct PlainStream {};  // no layer: the bytes are the transport's
using LayerDetection =
    std::variant<std::monostate /* need more bytes */, PlainStream, std::unique_ptr<StreamLayer>>;

// Looks at the first bytes (everything received so far): a layer, no layer, or more bytes needed
// to tell. An error for a wrapping that is recognised but refused (e.g. a TLS ClientHello that
// matches no secret).
absl::StatusOr<LayerDetection> DetectStreamLayer(absl::string_view first_bytes,
                                                 const StreamLayerOptions& options);

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_STREAM_LAYER_H_
