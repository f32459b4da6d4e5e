#include "service/telegram/dc_table.h"

#include <arpa/inet.h>

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tgrpc::service {
namespace {

namespace api = tl::api;

// Test DCs go into the key exchange as id + 10000: anything that high is not a DC id.
constexpr int kMaxDcId = 9999;

// A literal address of the family the entry claims, and not 0.0.0.0 / ::.
bool IsUsableIp(const std::string& ip, bool ipv6) {
  unsigned char bytes[16] = {};
  if (inet_pton(ipv6 ? AF_INET6 : AF_INET, ip.c_str(), bytes) != 1) return false;
  const size_t size = ipv6 ? 16 : 4;
  return std::any_of(bytes, bytes + size, [](unsigned char b) { return b != 0; });
}

std::optional<DcAddress> Check(const api::DcOption& option) {
  const auto* dc_option = dynamic_cast<const api::dcOption*>(&option);
  if (dc_option == nullptr) return std::nullopt;
  if (dc_option->id <= 0 || dc_option->id > kMaxDcId) return std::nullopt;
  if (dc_option->port <= 0 || dc_option->port > 65535) return std::nullopt;
  if (!IsUsableIp(dc_option->ip_address, dc_option->ipv6)) return std::nullopt;
  DcAddress address;
  address.dc = dc_option->id;
  address.endpoint = {dc_option->ip_address, static_cast<uint16_t>(dc_option->port)};
  address.ipv6 = dc_option->ipv6;
  address.media_only = dc_option->media_only;
  address.tcpo_only = dc_option->tcpo_only;
  address.cdn = dc_option->cdn;
  address.is_static = dc_option->static_;
  address.this_port_only = dc_option->this_port_only;
  address.secret = dc_option->secret.value_or("");
  return address;
}

// An address any session can use as it is: not for media, CDN or TCPO-only clients, no secret.
bool IsPlain(const DcAddress& address) {
  return !address.media_only && !address.cdn && !address.tcpo_only && address.secret.empty();
}

bool SameEndpoint(const DcEndpoint& a, const DcEndpoint& b) {
  return a.host == b.host && a.port == b.port;
}

}  // namespace

std::string DcEndpointString(const DcEndpoint& endpoint) {
  if (endpoint.host.find(':') != std::string::npos) {
    return absl::StrCat("[", endpoint.host, "]:", endpoint.port);
  }
  return absl::StrCat(endpoint.host, ":", endpoint.port);
}

DcAddressTable::DcAddressTable(std::map<int, DcEndpoint> built_in)
    : built_in_(std::move(built_in)) {}

const std::vector<DcAddress>& DcAddressTable::ListedRef(int dc) const {
  static const std::vector<DcAddress>* const kNone = new std::vector<DcAddress>();
  auto it = listed_.find(dc);
  return it == listed_.end() ? *kNone : it->second;
}

std::optional<DcEndpoint> DcAddressTable::Main(int dc) const {
  const std::vector<DcAddress>& listed = ListedRef(dc);
  for (const DcAddress& address : listed) {
    if (IsPlain(address) && !address.ipv6) return address.endpoint;
  }
  if (auto it = built_in_.find(dc); it != built_in_.end()) return it->second;
  for (const DcAddress& address : listed) {
    if (IsPlain(address)) return address.endpoint;
  }
  return std::nullopt;
}

std::vector<DcAddress> DcAddressTable::Media(int dc) const {
  std::vector<DcAddress> media;
  for (const DcAddress& address : ListedRef(dc)) {
    if (address.media_only && !address.cdn) media.push_back(address);
  }
  std::stable_partition(media.begin(), media.end(), [](const DcAddress& a) { return !a.ipv6; });
  return media;
}

std::optional<DcEndpoint> DcAddressTable::Cdn(int dc) const {
  std::optional<DcEndpoint> ipv6;
  for (const DcAddress& address : ListedRef(dc)) {
    if (!address.cdn || !address.secret.empty()) continue;
    if (!address.ipv6) return address.endpoint;
    if (!ipv6.has_value()) ipv6 = address.endpoint;
  }
  return ipv6;
}

std::vector<DcAddress> DcAddressTable::Listed(int dc) const { return ListedRef(dc); }

std::vector<int> DcAddressTable::Dcs() const {
  std::set<int> ids;
  for (const auto& [dc, unused] : built_in_) ids.insert(dc);
  for (const auto& [dc, unused] : listed_) ids.insert(dc);
  std::vector<int> out;
  for (int dc : ids) {
    if (Knows(dc)) out.push_back(dc);
  }
  return out;
}

DcAddressTable::Applied DcAddressTable::Apply(const api::config& config) {
  Applied applied;
  std::map<int, std::vector<DcAddress>> fresh;
  for (const auto& option : config.dc_options) {
    std::optional<DcAddress> address = option ? Check(*option) : std::nullopt;
    if (!address.has_value()) {
      ++applied.ignored;
      continue;
    }
    ++applied.used;
    fresh[address->dc].push_back(*std::move(address));
  }
  for (auto& [dc, addresses] : fresh) {
    const std::optional<DcEndpoint> was = Main(dc);
    std::vector<DcAddress> old = Listed(dc);
    listed_[dc] = std::move(addresses);
    const std::optional<DcEndpoint> now = Main(dc);
    if (was.has_value() && !now.has_value()) {
      // Only media, CDN or secret addresses now: keep the ones sessions can use.
      listed_[dc] = std::move(old);
      continue;
    }
    if (!now.has_value() || (was.has_value() && SameEndpoint(*was, *now))) continue;
    if (was.has_value()) {
      applied.changes.push_back(absl::StrCat("DC ", dc, " moved from ", DcEndpointString(*was),
                                             " to ", DcEndpointString(*now)));
      applied.moved.push_back(dc);
    } else {
      applied.changes.push_back(absl::StrCat("DC ", dc, " added at ", DcEndpointString(*now)));
    }
  }
  return applied;
}

}  // namespace tgrpc::service
