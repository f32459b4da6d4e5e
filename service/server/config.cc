#include "service/server/config.h"

#include <fstream>
#include <functional>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace tgrpc::service {
namespace {

using Setter = std::function<absl::Status(Config&, const std::string&)>;

absl::Status SetString(std::string& field, const std::string& value) {
  field = value;
  return absl::OkStatus();
}

absl::Status SetInt(int& field, const std::string& value, const std::string& name, int min,
                    int max) {
  int parsed = 0;
  if (!absl::SimpleAtoi(value, &parsed) || parsed < min || parsed > max) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": expected a whole number in [", min,
                                                   ", ", max, "], got \"", value, "\""));
  }
  field = parsed;
  return absl::OkStatus();
}

absl::Status SetBool(bool& field, const std::string& value, const std::string& name) {
  const std::string v = absl::AsciiStrToLower(value);
  if (v.empty() || v == "true" || v == "1" || v == "yes") {
    field = true;
  } else if (v == "false" || v == "0" || v == "no") {
    field = false;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(name, ": expected true or false"));
  }
  return absl::OkStatus();
}

absl::Status SetDuration(absl::Duration& field, const std::string& value, const std::string& name) {
  if (!absl::ParseDuration(value, &field) || field < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": expected a duration such as 10s or 1m30s, got \"", value, "\""));
  }
  return absl::OkStatus();
}

absl::Status AddToken(Config& config, const std::string& value) {
  std::vector<std::string> parts = absl::StrSplit(value, absl::MaxSplits(':', 1));
  if (parts.size() != 2 || parts[0].empty() || parts[1].size() < 16) {
    return absl::InvalidArgumentError(
        "token: expected <tenant>:<token> with a token of at least 16 characters");
  }
  config.tokens[parts[1]] = parts[0];
  return absl::OkStatus();
}

absl::Status LoadTokensFile(Config& config, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("tokens_file: cannot read ", path));
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    std::vector<std::string> parts =
        absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (parts.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("tokens_file ", path, ":", number, ": expected \"<tenant> <token>\""));
    }
    if (absl::Status s = AddToken(config, parts[0] + ":" + parts[1]); !s.ok()) return s;
  }
  return absl::OkStatus();
}

const std::map<std::string, Setter>& Setters() {
  static const auto* setters = new std::map<std::string, Setter>{
      {"listen", [](Config& c, const std::string& v) { return SetString(c.listen, v); }},
      {"metrics_listen",
       [](Config& c, const std::string& v) { return SetString(c.metrics_listen, v); }},
      {"state_dir", [](Config& c, const std::string& v) { return SetString(c.state_dir, v); }},
      {"db", [](Config& c, const std::string& v) { return SetString(c.db, v); }},
      {"key_file", [](Config& c, const std::string& v) { return SetString(c.key_file, v); }},
      {"telegram",
       [](Config& c, const std::string& v) {
         if (v != "production" && v != "test" && v != "sandbox") {
           return absl::InvalidArgumentError("telegram: production, test or sandbox");
         }
         return SetString(c.telegram, v);
       }},
      {"sandbox_dcs", [](Config& c, const std::string& v) { return SetString(c.sandbox_dcs, v); }},
      {"sandbox_public_key",
       [](Config& c, const std::string& v) { return SetString(c.sandbox_public_key, v); }},
      {"api_id",
       [](Config& c, const std::string& v) { return SetInt(c.api_id, v, "api_id", 0, INT32_MAX); }},
      {"api_hash", [](Config& c, const std::string& v) { return SetString(c.api_hash, v); }},
      {"device_model",
       [](Config& c, const std::string& v) { return SetString(c.device_model, v); }},
      {"system_version",
       [](Config& c, const std::string& v) { return SetString(c.system_version, v); }},
      {"app_version", [](Config& c, const std::string& v) { return SetString(c.app_version, v); }},
      {"lang_code", [](Config& c, const std::string& v) { return SetString(c.lang_code, v); }},
      {"instance", [](Config& c, const std::string& v) { return SetString(c.instance, v); }},
      {"peer_listen", [](Config& c, const std::string& v) { return SetString(c.peer_listen, v); }},
      {"advertise_host",
       [](Config& c, const std::string& v) { return SetString(c.advertise_host, v); }},
      {"lease_ttl",
       [](Config& c, const std::string& v) -> absl::Status {
         absl::Status set = SetDuration(c.lease_ttl, v, "lease_ttl");
         if (!set.ok()) return set;
         if (c.lease_ttl < absl::Milliseconds(500) || c.lease_ttl > absl::Minutes(10)) {
           return absl::InvalidArgumentError("lease_ttl must be between 500ms and 10m");
         }
         return absl::OkStatus();
       }},
      {"transport",
       [](Config& c, const std::string& v) {
         if (v != "intermediate" && v != "abridged" && v != "padded" && v != "full") {
           return absl::InvalidArgumentError("transport: intermediate, abridged, padded or full");
         }
         return SetString(c.transport, v);
       }},
      {"obfuscated",
       [](Config& c, const std::string& v) { return SetBool(c.obfuscated, v, "obfuscated"); }},
      {"mtproxy",
       [](Config& c, const std::string& v) -> absl::Status {
         if (!v.empty()) {
           absl::StatusOr<MtProxy> proxy = ParseMtProxy(v);
           if (!proxy.ok()) return proxy.status();
         }
         c.mtproxy = v;
         return absl::OkStatus();
       }},
      {"token", AddToken},
      {"tokens_file", LoadTokensFile},
      {"allow_unauthenticated",
       [](Config& c,
          const std::string&
              v) { return SetBool(c.allow_unauthenticated, v, "allow_unauthenticated"); }},
      {"flood_wait_threshold",
       [](Config& c,
          const std::string&
              v) { return SetDuration(c.flood_wait_threshold, v, "flood_wait_threshold"); }},
      {"max_calls_per_session",
       [](Config& c,
          const std::string&
              v) { return SetInt(c.max_calls_per_session, v, "max_calls_per_session", 1, 1024); }},
      {"pfs_key_lifetime",
       [](Config& c, const std::string& v)
           -> absl::
               Status {
                 absl::Status set = SetDuration(c.pfs_key_lifetime, v, "pfs_key_lifetime");
                 if (!set.ok()) return set;
                 if (c.pfs_key_lifetime != absl::ZeroDuration() &&
                     (c.pfs_key_lifetime < absl::Minutes(1) ||
                      c.pfs_key_lifetime > absl::Hours(24 * 30))) {
                   return absl::InvalidArgumentError(
                       "pfs_key_lifetime must be 0 (off) or between 1m and 720h");
                 }
                 return absl::OkStatus();
               }},
      {"io_threads",
       [](Config& c,
          const std::string& v) { return SetInt(c.io_threads, v, "io_threads", 1, 64); }},
      {"shutdown_grace",
       [](Config& c,
          const std::string& v) { return SetDuration(c.shutdown_grace, v, "shutdown_grace"); }},
      {"tls_cert", [](Config& c, const std::string& v) { return SetString(c.tls_cert, v); }},
      {"tls_key", [](Config& c, const std::string& v) { return SetString(c.tls_key, v); }},
      {"tls_client_ca",
       [](Config& c, const std::string& v) { return SetString(c.tls_client_ca, v); }},
      {"verbose", [](Config& c, const std::string& v) { return SetBool(c.verbose, v, "verbose"); }},
      {"version", [](Config& c, const std::string& v) { return SetBool(c.version, v, "version"); }},
  };
  return *setters;
}

absl::Status Set(Config& config, const std::string& key, const std::string& value,
                 absl::string_view source) {
  auto it = Setters().find(key);
  if (it == Setters().end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": unknown setting \"", key, "\" (see --help)"));
  }
  absl::Status status = it->second(config, value);
  if (!status.ok()) return absl::InvalidArgumentError(absl::StrCat(source, ": ", status.message()));
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyConfigJson(const std::string& json, Config& config) {
  nlohmann::json document = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    return absl::InvalidArgumentError("config file: not a JSON object");
  }
  for (auto& [key, value] : document.items()) {
    if (key == "tokens") {
      if (!value.is_object()) {
        return absl::InvalidArgumentError("config file: tokens: an object of tenant -> token");
      }
      for (auto& [tenant, token] : value.items()) {
        if (!token.is_string()) {
          return absl::InvalidArgumentError("config file: tokens: each token is a string");
        }
        if (absl::Status s = AddToken(config, tenant + ":" + token.get<std::string>()); !s.ok()) {
          return absl::InvalidArgumentError(absl::StrCat("config file: ", s.message()));
        }
      }
      continue;
    }
    std::string text;
    if (value.is_string()) {
      text = value.get<std::string>();
    } else if (value.is_boolean() || value.is_number_integer()) {
      text = value.dump();
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("config file: ", key, ": expected a string, number or boolean"));
    }
    if (absl::Status s = Set(config, key, text, "config file"); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<Config> ParseConfig(const std::vector<std::string>& args,
                                   const std::vector<std::string>& env) {
  Config config;
  // --config first: flags and the environment override it.
  std::vector<std::pair<std::string, std::string>> flags;
  for (size_t i = 1; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (!absl::ConsumePrefix(&arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
    }
    std::vector<std::string> kv = absl::StrSplit(arg, absl::MaxSplits('=', 1));
    std::string value = kv.size() == 2 ? kv[1] : "";
    if (kv.size() == 1 && kv[0] != "verbose" && kv[0] != "version" && kv[0] != "obfuscated" &&
        kv[0] != "allow_unauthenticated" && i + 1 < args.size()) {
      value = args[++i];
    }
    flags.emplace_back(kv[0], value);
  }
  for (const auto& [key, value] : flags) {
    if (key != "config") continue;
    std::ifstream in(value);
    if (!in) return absl::NotFoundError(absl::StrCat("--config: cannot read ", value));
    std::stringstream text;
    text << in.rdbuf();
    if (absl::Status s = ApplyConfigJson(text.str(), config); !s.ok()) return s;
  }
  for (const std::string& entry : env) {
    absl::string_view name = entry;
    if (!absl::ConsumePrefix(&name, "TGRPC_")) continue;
    const size_t eq = name.find('=');
    if (eq == absl::string_view::npos) continue;
    const std::string key = absl::AsciiStrToLower(name.substr(0, eq));
    if (key == "test") continue;  // TGRPC_TEST is the test runner's own marker
    if (Setters().count(key) == 0) continue;
    if (absl::Status s = Set(config, key, std::string(name.substr(eq + 1)),
                             absl::StrCat("TGRPC_", absl::AsciiStrToUpper(key)));
        !s.ok()) {
      return s;
    }
  }
  for (const auto& [key, value] : flags) {
    if (key == "config") continue;
    if (absl::Status s = Set(config, key, value, absl::StrCat("--", key)); !s.ok()) return s;
  }
  if (config.db.empty()) config.db = config.state_dir + "/tgrpc.db";
  if (config.key_file.empty()) config.key_file = config.state_dir + "/master.key";
  if (config.telegram == "sandbox" &&
      (config.sandbox_dcs.empty() || config.sandbox_public_key.empty())) {
    return absl::InvalidArgumentError(
        "--telegram=sandbox needs --sandbox_dcs and --sandbox_public_key");
  }
  if (!config.mtproxy.empty() && config.transport == "full") {
    return absl::InvalidArgumentError(
        "--mtproxy needs an obfuscatable transport (abridged, intermediate or padded), not full");
  }
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  if (!config.tls_client_ca.empty() && config.tls_cert.empty()) {
    return absl::InvalidArgumentError("--tls_client_ca needs --tls_cert and --tls_key");
  }
  if (!config.peer_listen.empty() && !IsPostgresDb(config.db)) {
    return absl::InvalidArgumentError(
        "--peer_listen (cluster mode) needs a PostgreSQL --db: the replicas share it");
  }
  return config;
}

std::string RedactedDb(const std::string& db) {
  std::string out = db;
  // postgresql://user:secret@host/db
  if (size_t scheme = out.find("://"); scheme != std::string::npos) {
    const size_t at = out.find('@', scheme + 3);
    const size_t colon = out.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // host=... password=secret dbname=...
  for (size_t key = out.find("password="); key != std::string::npos;
       key = out.find("password=", key + 1)) {
    const size_t from = key + 9;
    const size_t to = out.find(' ', from);
    out.replace(from, (to == std::string::npos ? out.size() : to) - from, "***");
  }
  return out;
}

bool IsPostgresDb(const std::string& db) {
  return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0 ||
         db.find("dbname=") != std::string::npos || db.find("host=") != std::string::npos;
}

std::string Config::Describe() const {
  return absl::StrCat(
      "listen=", listen, " metrics_listen=", metrics_listen, " db=", RedactedDb(db),
      " key_file=", key_file, " telegram=", telegram,
      telegram == "sandbox" ? absl::StrCat(" sandbox_dcs=", sandbox_dcs) : "", " api_id=", api_id,
      " api_hash=", api_hash.empty() ? "(unset)" : "(set)", " transport=", transport,
      obfuscated ? "+obfuscated" : "", mtproxy.empty() ? "" : " mtproxy=(set)",
      " tenants_tokens=", tokens.size(), allow_unauthenticated ? " allow_unauthenticated" : "",
      " flood_wait_threshold=", absl::FormatDuration(flood_wait_threshold), " pfs_key_lifetime=",
      pfs_key_lifetime == absl::ZeroDuration() ? std::string("off")
                                               : absl::FormatDuration(pfs_key_lifetime),
      " io_threads=", io_threads,
      peer_listen.empty() ? ""
                          : absl::StrCat(" peer_listen=", peer_listen,
                                         " lease_ttl=", absl::FormatDuration(lease_ttl)),
      " tls=", tls_cert.empty() ? "off" : (tls_client_ca.empty() ? "on" : "mtls"));
}

absl::StatusOr<MtProxy> ParseMtProxy(absl::string_view spec) {
  const size_t last = spec.rfind(':');
  const size_t port_colon = last == absl::string_view::npos || last == 0
                                ? absl::string_view::npos
                                : spec.rfind(':', last - 1);
  if (port_colon == absl::string_view::npos || port_colon == 0) {
    return absl::InvalidArgumentError("mtproxy: expected host:port:secret");
  }
  MtProxy proxy;
  proxy.host = std::string(spec.substr(0, port_colon));
  int port = 0;
  if (!absl::SimpleAtoi(spec.substr(port_colon + 1, last - port_colon - 1), &port) || port < 1 ||
      port > 65535) {
    return absl::InvalidArgumentError("mtproxy: the port must be 1-65535");
  }
  proxy.port = static_cast<uint16_t>(port);
  absl::StatusOr<mtproto::transport::ProxySecret> secret =
      mtproto::transport::ParseProxySecret(spec.substr(last + 1));
  if (!secret.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("mtproxy: ", secret.status().message()));
  }
  if (secret->fake_tls) {
    return absl::InvalidArgumentError(
        "mtproxy: fake-TLS (ee) secrets are not supported by tgrpcd's client; use the proxy's "
        "plain or dd secret");
  }
  proxy.secret = *std::move(secret);
  return proxy;
}

std::string ConfigUsage() {
  std::vector<std::string> keys;
  for (const auto& [key, setter] : Setters()) keys.push_back("--" + key);
  return absl::StrCat(
      "usage: tgrpcd [--config=file.json] [--key=value ...]\n"
      "Every setting is also read from TGRPC_<KEY> in the environment and from the JSON file.\n"
      "Settings: --config ",
      absl::StrJoin(keys, " "), "\nSee docs/operations.md.\n");
}

}  // namespace tgrpc::service
