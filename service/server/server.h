// tgrpcd as an object: storage, accounts, the gRPC server (tgrpc.v1, health, reflection),
// metrics, and an orderly shutdown (NOT_SERVING, calls drained within a deadline, connections
// closed). main.cc runs one; the end-to-end tests run it in-process against fakedc.
//
// Cluster mode (peer_listen set, PostgreSQL): the services listen on the peer port, and the public
// port holds a Forwarder that sends each call to the replica that owns its account (its own peer
// port in-process when that is this replica); a LeaseManager decides which accounts this replica
// serves. Health: "" is liveness, "tgrpc.readiness" readiness (SERVING once the replica has
// joined, NOT_SERVING from the start of a shutdown).
#ifndef TGRPC_SERVICE_SERVER_SERVER_H_
#define TGRPC_SERVICE_SERVER_SERVER_H_

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "asio.hpp"
#include "grpcpp/grpcpp.h"
#include "service/api/raw_service.h"
#include "service/api/services.h"
#include "service/cluster/forwarder.h"
#include "service/cluster/update_merger.h"
#include "service/metrics/metrics.h"
#include "service/ownership/lease_manager.h"
#include "service/server/config.h"
#include "service/storage/postgres_active_lock.h"
#include "service/storage/storage.h"
#include "service/telegram/account_manager.h"
#include "service/telegram/dc_options.h"

namespace asio {
class io_context;
}  // namespace asio

namespace tgrpc::service {

struct ServerOverrides {
  // Instead of the table `config.telegram` names (tests hand in fakedc's).
  std::optional<DcTable> dcs;
  // Randomness for connections (tests seed it).
  std::function<mtproto::crypto::RandomSource()> random;
};

class TgrpcServer {
 public:
  static absl::StatusOr<std::unique_ptr<TgrpcServer>> Start(Config config,
                                                            ServerOverrides overrides = {});
  ~TgrpcServer();

  int port() const { return port_; }
  // Cluster mode: the peer port (0 otherwise).
  int peer_port() const { return peer_port_; }
  // Cluster mode: the lease manager (null otherwise).
  LeaseManager* lease_manager() { return lease_manager_.get(); }
  int metrics_port() const;
  const Config& config() const { return config_; }
  AccountManager& accounts() { return *accounts_; }

  // NOT_SERVING, then waits for calls to finish until the grace period ends, then closes every
  // account's connections. Idempotent.
  void Shutdown();
  // Blocks until Shutdown.
  void Wait();

 private:
  TgrpcServer() = default;
  // Cluster mode: the peer server with the services, and the forwarder for the public port.
  absl::Status StartCluster(grpc::ServerBuilder& public_builder);
  absl::StatusOr<cluster::RouteTarget> Route(const std::string& method,
                                             grpc::GenericCallbackServerContext* context,
                                             const grpc::ByteBuffer& first, bool refresh);
  // StreamUpdates' accounts by owner, for the merger.
  absl::StatusOr<std::vector<cluster::StreamRoute>> RouteStream(
      grpc::CallbackServerContext* context, const v1::StreamUpdatesRequest& request, bool refresh);
  // The channel to another replica's peer port (made once per address).
  std::shared_ptr<grpc::Channel> PeerChannel(const std::string& address);
  // The services, on `builder`.
  void RegisterServices(grpc::ServerBuilder& builder, bool cluster);

  Config config_;
  // One event loop per io thread (Config::io_threads), each run by its thread alone: an account's
  // network work stays on one thread, with no locking or wake-ups between threads inside it.
  // ios_[0] also runs what belongs to no account.
  std::vector<std::unique_ptr<asio::io_context>> ios_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> io_work_;
  std::vector<std::thread> io_threads_;
  std::atomic<size_t> next_io_{0};
  // Held for the process's life on a PostgreSQL database (one active replica per database until
  // account leases); destroyed after the storage.
  std::unique_ptr<PostgresActiveLock> active_lock_;
  // Cluster mode: the leases (also the storage's fence); drained at shutdown.
  std::shared_ptr<LeaseManager> lease_manager_;
  std::unique_ptr<Storage> storage_;
  // One thread for the accounts' update log writes (group commit, off the network threads);
  // joined before storage_ goes.
  std::unique_ptr<asio::thread_pool> log_writer_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<AccountManager> accounts_;
  RequestCache requests_;
  ApiContext api_;
  std::unique_ptr<AccountServiceImpl> account_service_;
  std::unique_ptr<UserServiceImpl> user_service_;
  std::unique_ptr<BotServiceImpl> bot_service_;
  std::unique_ptr<ChatServiceImpl> chat_service_;
  std::unique_ptr<MessageServiceImpl> message_service_;
  std::unique_ptr<FileServiceImpl> file_service_;
  std::unique_ptr<UpdateServiceImpl> update_service_;
  std::unique_ptr<RawServiceImpl> raw_json_service_;
  std::vector<std::unique_ptr<grpc::Service>> raw_services_;  // tgrpc.raw.v1, one per namespace
  // Cluster mode: the services' server on the peer port, the public port's forwarder and
  // StreamUpdates merger, and the channels to the other replicas' peer ports by address.
  std::unique_ptr<grpc::Server> peer_server_;
  int peer_port_ = 0;
  std::unique_ptr<cluster::Forwarder> forwarder_;
  std::unique_ptr<cluster::UpdateMerger> update_merger_;
  std::shared_ptr<grpc::Channel> local_channel_;
  absl::Mutex channels_mutex_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_ ABSL_GUARDED_BY(channels_mutex_);
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::atomic<bool> shut_down_{false};
  std::thread metrics_thread_;
};

// The readiness health service's name.
inline constexpr char kReadinessService[] = "tgrpc.readiness";

// Log lines on stderr: time, level, what. Never a key, code, password or token.
void LogLine(absl::string_view level, absl::string_view message);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_SERVER_SERVER_H_
