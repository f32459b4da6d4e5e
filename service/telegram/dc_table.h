// The addresses an account's sessions connect to, per DC: the built-in list (dc_options.h) as the
// bootstrap and fallback, replaced DC by DC by what help.getConfig's dc_options say. Main
// sessions take a plain IPv4 address; media-only ones are kept for file sessions. A config never
// wipes the table: entries with a bad id, port or address are ignored, and DCs a config does not
// list usably keep what they had.
//
// A plain value, not thread-safe (the Invoker guards its copy).
#ifndef TGRPC_SERVICE_TELEGRAM_DC_TABLE_H_
#define TGRPC_SERVICE_TELEGRAM_DC_TABLE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "service/telegram/dc_options.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

// One dcOption of a config, checked.
struct DcAddress {
  int dc = 0;
  DcEndpoint endpoint;
  bool ipv6 = false;
  bool media_only = false;
  bool tcpo_only = false;
  bool cdn = false;
  bool is_static = false;
  bool this_port_only = false;
  // Raw bytes; empty: none (only obfuscated connections with this secret reach the address).
  std::string secret;
};

// "host:port", "[v6]:port" for IPv6.
std::string DcEndpointString(const DcEndpoint& endpoint);

class DcAddressTable {
 public:
  explicit DcAddressTable(std::map<int, DcEndpoint> built_in);

  // Where a main session of `dc` connects: the config's first plain IPv4 address (not media-only,
  // CDN or TCPO-only, no secret), else the built-in one, else the config's first plain IPv6 one.
  // nullopt: an unknown DC.
  std::optional<DcEndpoint> Main(int dc) const;
  bool Knows(int dc) const { return Main(dc).has_value(); }
  // The config's media-only addresses of `dc` (for file sessions), IPv4 first; empty: use Main.
  std::vector<DcAddress> Media(int dc) const;
  // Where a CDN DC's sessions connect: the config's first cdn address of `dc`, IPv4 first, without
  // a secret. nullopt: the config names no CDN address for it.
  std::optional<DcEndpoint> Cdn(int dc) const;
  // Every checked address the last config that listed `dc` gave for it.
  std::vector<DcAddress> Listed(int dc) const;
  // Every DC with a main address, ascending.
  std::vector<int> Dcs() const;

  struct Applied {
    int used = 0;     // dc_options entries taken
    int ignored = 0;  // entries with a bad id, port or address
    // For the log: "DC 4 moved from a to b", "DC 7 added at c".
    std::vector<std::string> changes;
    // DCs whose main address changed (their sessions elsewhere are stale).
    std::vector<int> moved;
  };
  // Takes a config's dc_options: each DC listed with at least one usable entry gets exactly those
  // entries, unless they leave it without the main address it had; everything else stays.
  Applied Apply(const tl::api::config& config);

 private:
  const std::vector<DcAddress>& ListedRef(int dc) const;

  std::map<int, DcEndpoint> built_in_;
  std::map<int, std::vector<DcAddress>> listed_;
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_TELEGRAM_DC_TABLE_H_
