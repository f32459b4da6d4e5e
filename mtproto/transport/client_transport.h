// The client end of a connection: the bytes to send first (protocol marker or obfuscated2 init)
// and the framing for everything after them.
#ifndef TGRPC_MTPROTO_TRANSPORT_CLIENT_TRANSPORT_H_
#define TGRPC_MTPROTO_TRANSPORT_CLIENT_TRANSPORT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "mtproto/transport/frame.h"
#include "mtproto/transport/framing.h"
#include "mtproto/transport/proxy_secret.h"

namespace tgrpc::mtproto::transport {

struct ClientTransportOptions {
  Protocol protocol = Protocol::kIntermediate;
  // Wrap the framing in obfuscated2 (not available for full).
  bool obfuscated = false;
  // Obfuscated only: the DC to reach, negative for a media DC.
  int16_t dc_id = 0;
  // Obfuscated only: connect through an MTProxy; a `dd` secret requires padded intermediate.
  std::optional<ProxySecret> proxy_secret;
};

struct ClientTransport {
  // Write these bytes before anything else (empty for plain full).
  std::string preamble;
  std::unique_ptr<Framing> framing;
};

// The random source in `framing_options` also makes the obfuscated2 init.
absl::StatusOr<ClientTransport> MakeClientTransport(const ClientTransportOptions& options,
                                                    const FramingOptions& framing_options);

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_CLIENT_TRANSPORT_H_
