#include "mtproto/transport/client_transport.h"

#include <utility>

#include "base/status_macros.h"
#include "mtproto/transport/make_framing.h"
#include "mtproto/transport/obfuscated2_framing.h"
#include "mtproto/transport/obfuscated2_init.h"

namespace tgrpc::mtproto::transport {
namespace {

std::string PlainMarker(Protocol protocol) {
  switch (protocol) {
    case Protocol::kAbridged:
      return "\xef";
    case Protocol::kIntermediate:
      return std::string(4, '\xee');
    case Protocol::kPaddedIntermediate:
      return std::string(4, '\xdd');
    case Protocol::kFull:
      break;
  }
  return "";
}

}  // namespace

absl::StatusOr<ClientTransport> MakeClientTransport(const ClientTransportOptions& options,
                                                    const FramingOptions& framing_options) {
  std::unique_ptr<Framing> inner = MakeFraming(options.protocol, Role::kClient, framing_options);
  if (!options.obfuscated) {
    if (options.proxy_secret.has_value()) {
      return absl::InvalidArgumentError("MTProxy connections are obfuscated");
    }
    return ClientTransport{PlainMarker(options.protocol), std::move(inner)};
  }
  TGRPC_ASSIGN_OR_RETURN(Obfuscated2ClientInit init,
                         MakeObfuscated2Init(options.protocol, options.dc_id, options.proxy_secret,
                                             framing_options.random));
  TGRPC_ASSIGN_OR_RETURN(std::unique_ptr<Obfuscated2Framing> framing,
                         Obfuscated2Framing::Create(std::move(inner), init.keys, Role::kClient));
  return ClientTransport{std::move(init.init), std::move(framing)};
}

}  // namespace tgrpc::mtproto::transport
