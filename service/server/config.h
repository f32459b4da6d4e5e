// tgrpcd's configuration: defaults that run, then a JSON file (--config), then TGRPC_* environment
// variables, then flags, each overriding the one before. Secrets (api_hash, tokens) are never
// logged: Describe() prints everything else.
#ifndef TGRPC_SERVICE_SERVER_CONFIG_H_
#define TGRPC_SERVICE_SERVER_CONFIG_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mtproto/transport/proxy_secret.h"

namespace tgrpc::service {

struct Config {
  std::string listen = "127.0.0.1:50051";
  // Empty: no metrics endpoint.
  std::string metrics_listen = "127.0.0.1:9464";
  std::string state_dir = "./tgrpc-state";
  // Default: <state_dir>/tgrpc.db and <state_dir>/master.key.
  std::string db;
  std::string key_file;

  // production, test or sandbox.
  std::string telegram = "production";
  // sandbox: "1=127.0.0.1:4431,2=..." and the fakedc public key (PEM file).
  std::string sandbox_dcs;
  std::string sandbox_public_key;
  int api_id = 0;
  std::string api_hash;
  std::string device_model = "tgrpc";
  std::string system_version = "Linux";
  std::string app_version = "0.1.0";
  std::string lang_code = "en";
  // This process's name among the replicas that share accounts (initConnection's params carry it
  // as {"tgrpc_instance": ...}, so a key used by two replicas at once can be told apart). Empty:
  // the host name.
  std::string instance;

  // Cluster mode (several replicas on one PostgreSQL database): the address of this replica's
  // peer port, where the others forward calls for the accounts it owns. Empty: no cluster (on
  // PostgreSQL, one active replica and standbys). Needs a PostgreSQL db.
  std::string peer_listen;
  // The host the other replicas dial for this replica's peer port (in Kubernetes the pod's IP).
  // Empty: the host name.
  std::string advertise_host;
  // How long an account's lease lasts without renewal: after a replica dies, another takes its
  // accounts once their leases expire, within about lease_ttl * 1.2. Renewed every lease_ttl / 5.
  absl::Duration lease_ttl = absl::Seconds(10);
  // intermediate, abridged, padded or full; obfuscated2 on top when `obfuscated`.
  std::string transport = "intermediate";
  bool obfuscated = false;
  // Every connection through this MTProxy: host:port:secret (the secret in hex as in tg://proxy
  // links: 32 digits, or dd + 32 for padded intermediate; ee fake-TLS secrets are refused, this
  // client has no fake-TLS side). Empty: straight to the DCs.
  std::string mtproxy;

  // Bearer token -> tenant (flags: --token=tenant:token, repeated; file: "tokens": {...};
  // --tokens_file: lines of "tenant token").
  std::map<std::string, std::string> tokens;
  bool allow_unauthenticated = false;

  absl::Duration flood_wait_threshold = absl::Seconds(10);
  int max_calls_per_session = 32;
  // Perfect forward secrecy: sessions run on temporary keys of this lifetime, bound to the
  // permanent key and shared by an account's sessions on a DC (0: off, sessions run on the
  // permanent key).
  absl::Duration pfs_key_lifetime = absl::Hours(24);
  int io_threads = 2;
  absl::Duration shutdown_grace = absl::Seconds(10);

  std::string tls_cert;
  std::string tls_key;
  // Set: callers must present a certificate signed by this CA (mTLS).
  std::string tls_client_ca;

  bool verbose = false;
  bool version = false;

  std::string Describe() const;
};

// Parses argv (and the environment and the --config file they name). `env` is the process
// environment as NAME=VALUE strings.
absl::StatusOr<Config> ParseConfig(const std::vector<std::string>& args,
                                   const std::vector<std::string>& env);
// Applies one JSON config document (the same keys as the flags) over `config`.
absl::Status ApplyConfigJson(const std::string& json, Config& config);
std::string ConfigUsage();

// `db` with any password in it replaced by *** (for logs and errors).
std::string RedactedDb(const std::string& db);
// Whether `db` names a PostgreSQL database (a postgresql:// URI or a libpq key=value string)
// rather than a SQLite file.
bool IsPostgresDb(const std::string& db);

// --mtproxy: host:port:secret.
struct MtProxy {
  std::string host;
  uint16_t port = 0;
  mtproto::transport::ProxySecret secret;
};
absl::StatusOr<MtProxy> ParseMtProxy(absl::string_view spec);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_SERVER_CONFIG_H_
