#include "service/server/server.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "asio.hpp"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "service/api/unparsed_request.h"
#include "service/cluster/account_of_request.h"
#include "service/ownership/not_owner_interceptor.h"
#include "service/storage/key_cipher.h"
#include "service/storage/postgres_leases.h"
#include "service/storage/postgres_storage.h"
#include "service/storage/sqlite_storage.h"

namespace tgrpc::service {

namespace {

std::string ReadFile(const std::string& path, absl::Status* status) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *status = absl::NotFoundError(absl::StrCat("cannot read ", path));
    return "";
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<DcTable> DcsFor(const Config& config) {
  if (config.telegram == "production") return ProductionDcs();
  if (config.telegram == "test") return TestDcs();
  absl::Status status;
  const std::string pem = ReadFile(config.sandbox_public_key, &status);
  if (!status.ok()) return status;
  return SandboxDcs(config.sandbox_dcs, pem);
}

const char* LevelName(mtproto::net::LogLevel level) {
  switch (level) {
    case mtproto::net::LogLevel::kDebug:
      return "debug";
    case mtproto::net::LogLevel::kInfo:
      return "info";
    case mtproto::net::LogLevel::kWarning:
      return "warning";
    case mtproto::net::LogLevel::kError:
      return "error";
  }
  return "info";
}

}  // namespace

void LogLine(absl::string_view level, absl::string_view message) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  std::cerr << absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()) << " "
            << level << " " << message << "\n";
}

absl::StatusOr<std::unique_ptr<TgrpcServer>> TgrpcServer::Start(Config config,
                                                                ServerOverrides overrides) {
  std::unique_ptr<TgrpcServer> server(new TgrpcServer());
  server->config_ = config;
  absl::StatusOr<DcTable> dcs =
      overrides.dcs.has_value() ? absl::StatusOr<DcTable>(*overrides.dcs) : DcsFor(config);
  if (!dcs.ok()) return dcs.status();
  if (config.telegram == "sandbox") {
    // fakedc wants some api_id, like Telegram: the sandbox needs no real one.
    if (config.api_id == 0) config.api_id = 1;
    if (config.api_hash.empty()) config.api_hash = "sandbox";
  }
  if (config.telegram != "sandbox" && !overrides.dcs.has_value() &&
      (config.api_id == 0 || config.api_hash.empty())) {
    return absl::InvalidArgumentError(
        "Telegram needs --api_id and --api_hash (from my.telegram.org), or --telegram=sandbox");
  }

  // Storage: the state directory, the key-encryption key and the database.
  std::error_code error;
  if (!config.state_dir.empty()) std::filesystem::create_directories(config.state_dir, error);
  bool created = false;
  absl::StatusOr<KeyCipher> cipher = KeyCipher::LoadOrCreate(config.key_file, &created);
  if (!cipher.ok()) return cipher.status();
  if (created) {
    LogLine("warning", absl::StrCat("generated a new key-encryption key in ", config.key_file,
                                    ": back it up; without it the stored auth keys are lost"));
  }
  std::string instance = config.instance;
  if (instance.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) == 0) instance = host;
  }
  if (!config.peer_listen.empty()) {
    // Cluster mode: leases instead of one active replica.
    absl::StatusOr<std::unique_ptr<PostgresLeases>> leases = PostgresLeases::Open(config.db);
    if (!leases.ok()) {
      return absl::Status(leases.status().code(),
                          absl::StrCat("storage ", RedactedDb(config.db), ": ",
                                       RedactedDb(std::string(leases.status().message()))));
    }
    LeaseManagerOptions options;
    options.instance = instance;
    options.ttl = config.lease_ttl;
    options.log = [](absl::string_view level, absl::string_view message) {
      LogLine(level, message);
    };
    server->lease_manager_ = std::make_shared<LeaseManager>(*std::move(leases), options);
  } else if (IsPostgresDb(config.db)) {
    absl::StatusOr<std::unique_ptr<PostgresActiveLock>> lock = PostgresActiveLock::Acquire(
        config.db,
        [] {
          LogLine("info",
                  "standby: another tgrpcd is active on this database; waiting for it to stop "
                  "(one active replica per database until account leases)");
        },
        [] {
          // Another replica may take the lock now: stop before it starts on the same accounts.
          LogLine("error", "lost the database's active lock (its session ended): shutting down");
          kill(getpid(), SIGTERM);
        });
    if (!lock.ok()) {
      return absl::Status(lock.status().code(),
                          absl::StrCat("storage ", RedactedDb(config.db), ": ",
                                       RedactedDb(std::string(lock.status().message()))));
    }
    LogLine("info", "active: holding the database's active lock");
    server->active_lock_ = *std::move(lock);
  }
  absl::StatusOr<std::unique_ptr<Storage>> storage =
      IsPostgresDb(config.db)
          ? OpenPostgresStorage(config.db, *std::move(cipher),
                                PostgresStorageOptions{.fence = server->lease_manager_})
          : OpenSqliteStorage(config.db, *std::move(cipher));
  if (!storage.ok()) {
    return absl::Status(storage.status().code(),
                        absl::StrCat("storage ", RedactedDb(config.db), ": ",
                                     RedactedDb(std::string(storage.status().message()))));
  }
  server->storage_ = *std::move(storage);

  server->metrics_ = std::make_unique<Metrics>();
  if (!config.metrics_listen.empty()) {
    if (absl::Status s = server->metrics_->StartExposer(config.metrics_listen); !s.ok()) return s;
  }

  for (int i = 0; i < config.io_threads; ++i) {
    // The hint: this loop has one thread, so it need not lock against others.
    server->ios_.push_back(std::make_unique<asio::io_context>(1));
    server->io_work_.push_back(asio::make_work_guard(*server->ios_.back()));
  }
  for (const auto& io : server->ios_) {
    server->io_threads_.emplace_back([io = io.get()] { io->run(); });
  }

  AccountEnv env;
  env.io = server->ios_[0].get();
  env.next_io = [raw = server.get()] {
    return raw->ios_[raw->next_io_.fetch_add(1, std::memory_order_relaxed) % raw->ios_.size()]
        .get();
  };
  env.storage = server->storage_.get();
  server->log_writer_ = std::make_unique<asio::thread_pool>(1);
  env.run_log_write = [pool = server->log_writer_.get()](std::function<void()> job) {
    asio::post(*pool, std::move(job));
  };
  env.invoker.dcs = *dcs;
  env.invoker.app.api_id = config.api_id;
  env.invoker.app.api_hash = config.api_hash;
  env.invoker.app.device_model = config.device_model;
  env.invoker.app.system_version = config.system_version;
  env.invoker.app.app_version = config.app_version;
  env.invoker.app.lang_code = config.lang_code;
  // In cluster mode the holder id (instance#random): a restarted replica is another instance,
  // so a key still used by its predecessor shows up as used twice.
  env.invoker.app.instance =
      server->lease_manager_ != nullptr ? server->lease_manager_->holder() : instance;
  env.invoker.app.system_lang_code = config.lang_code;
  env.invoker.flood_wait_threshold = config.flood_wait_threshold;
  env.invoker.max_calls_per_session = config.max_calls_per_session;
  env.invoker.temp_key_lifetime =
      static_cast<int32_t>(absl::ToInt64Seconds(config.pfs_key_lifetime));
  env.invoker.random = overrides.random;
  using mtproto::transport::Protocol;
  env.invoker.transport.protocol = config.transport == "abridged" ? Protocol::kAbridged
                                   : config.transport == "padded" ? Protocol::kPaddedIntermediate
                                   : config.transport == "full"   ? Protocol::kFull
                                                                  : Protocol::kIntermediate;
  env.invoker.transport.obfuscated = config.obfuscated;
  if (!config.mtproxy.empty()) {
    absl::StatusOr<MtProxy> proxy = ParseMtProxy(config.mtproxy);  // checked by ParseConfig
    if (proxy.ok()) {
      env.invoker.mtproxy = DcEndpoint{proxy->host, proxy->port};
      env.invoker.transport.obfuscated = true;
      if (proxy->secret.padded) env.invoker.transport.protocol = Protocol::kPaddedIntermediate;
      env.invoker.transport.proxy_secret = proxy->secret;
    }
  }
  const bool verbose = config.verbose;
  env.log = [verbose](const std::string& account, mtproto::net::LogLevel level,
                      absl::string_view message) {
    if (level == mtproto::net::LogLevel::kDebug && !verbose) return;
    LogLine(LevelName(level), absl::StrCat("accounts/", account, ": ", message));
  };
  Metrics* metrics = server->metrics_.get();
  env.on_call = [metrics](const CallStats& stats) {
    std::string result = "ok";
    if (!stats.rpc_error_type.empty()) {
      result = stats.rpc_error_type;
    } else if (stats.code != absl::StatusCode::kOk) {
      result = absl::StatusCodeToString(stats.code);
    }
    metrics->ObserveMtprotoCall(stats.method, stats.dc, result,
                                absl::ToDoubleSeconds(stats.latency));
    if ((stats.rpc_error_type == "FLOOD_WAIT" || stats.rpc_error_type == "FLOOD_PREMIUM_WAIT") &&
        stats.rpc_error_argument >= 0) {
      metrics->ObserveFloodWait(stats.method, static_cast<double>(stats.rpc_error_argument));
    }
  };
  env.on_migration = [metrics](int from, int to) { metrics->ObserveMigration(from, to); };
  env.on_update_event = [metrics](absl::string_view event, int64_t count) {
    metrics->ObserveUpdates(std::string(event), count);
  };
  env.on_session_state = [metrics](int dc, absl::string_view from, absl::string_view to) {
    metrics->SessionStateChanged(dc, std::string(from), std::string(to));
    if (to == "backoff") metrics->ObserveReconnect(dc);
  };
  server->accounts_ = std::make_unique<AccountManager>(std::move(env));
  if (LeaseManager* leases = server->lease_manager_.get()) {
    // The accounts come with their leases (LeaseManager::Start).
    server->accounts_->SetOwnership(
        {[leases](const AccountKey& account) { return leases->Claim(account); },
         [leases](const AccountKey& account) { leases->Forget(account); }});
  } else if (absl::Status s = server->accounts_->LoadAll(); !s.ok()) {
    return s;
  }
  metrics->SetAccounts(server->accounts_->CountByState());

  server->api_.accounts = server->accounts_.get();
  server->api_.requests = &server->requests_;
  server->api_.tokens = config.tokens;
  server->api_.allow_unauthenticated = config.allow_unauthenticated;
  server->account_service_ = std::make_unique<AccountServiceImpl>(&server->api_);
  server->user_service_ = std::make_unique<UserServiceImpl>(&server->api_);
  server->bot_service_ = std::make_unique<BotServiceImpl>(&server->api_);
  server->chat_service_ = std::make_unique<ChatServiceImpl>(&server->api_);
  server->message_service_ = std::make_unique<MessageServiceImpl>(&server->api_);
  server->file_service_ = std::make_unique<FileServiceImpl>(&server->api_);
  server->update_service_ = std::make_unique<UpdateServiceImpl>(&server->api_);
  server->raw_json_service_ = std::make_unique<RawServiceImpl>(&server->api_);
  // Also puts the raw .proto files into the generated pool, for reflection and metrics.
  absl::StatusOr<std::vector<std::unique_ptr<grpc::Service>>> raw = MakeRawServices(&server->api_);
  if (!raw.ok()) return raw.status();
  server->raw_services_ = *std::move(raw);

  // Reflection describes services from the generated pool: make sure the health schema is there.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!config.tls_cert.empty()) {
    absl::Status status;
    grpc::SslServerCredentialsOptions tls(
        config.tls_client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                     : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
    pair.cert_chain = ReadFile(config.tls_cert, &status);
    pair.private_key = ReadFile(config.tls_key, &status);
    if (!config.tls_client_ca.empty()) tls.pem_root_certs = ReadFile(config.tls_client_ca, &status);
    if (!status.ok()) return status;
    tls.pem_key_cert_pairs.push_back(std::move(pair));
    credentials = grpc::SslServerCredentials(tls);
  }
  builder.AddListeningPort(config.listen, credentials, &server->port_);
  const bool cluster = server->lease_manager_ != nullptr;
  if (cluster) {
    if (absl::Status s = server->StartCluster(builder); !s.ok()) return s;
  } else {
    server->RegisterServices(builder, false);
  }
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen));
  }
  server->server_->GetHealthCheckService()->SetServingStatus(true);
  if (cluster) {
    std::string host = config.advertise_host.empty() ? instance : config.advertise_host;
    absl::Status joined = server->lease_manager_->Start(
        server->accounts_.get(), absl::StrCat(host, ":", server->peer_port_));
    if (!joined.ok()) {
      return absl::Status(joined.code(), absl::StrCat("cluster: cannot join: ", joined.message()));
    }
  }
  server->server_->GetHealthCheckService()->SetServingStatus(kReadinessService, true);
  // Account gauges refreshed every few seconds.
  server->metrics_thread_ = std::thread([raw = server.get()] {
    while (!raw->shut_down_.load()) {
      for (int i = 0; i < 50 && !raw->shut_down_.load(); ++i)
        absl::SleepFor(absl::Milliseconds(100));
      raw->metrics_->SetAccounts(raw->accounts_->CountByState());
      if (raw->lease_manager_ != nullptr) {
        const OwnershipFigures leases = raw->lease_manager_->figures();
        raw->metrics_->SetLeases(leases.served, leases.acquired, leases.released, leases.lost);
      }
    }
  });
  LogLine("info",
          absl::StrCat("tgrpcd serving on port ", server->port_, " (", config.Describe(), ")"));
  return server;
}

void TgrpcServer::RegisterServices(grpc::ServerBuilder& builder, bool cluster) {
  builder.RegisterService(account_service_.get());
  builder.RegisterService(user_service_.get());
  builder.RegisterService(bot_service_.get());
  builder.RegisterService(chat_service_.get());
  builder.RegisterService(message_service_.get());
  builder.RegisterService(file_service_.get());
  builder.RegisterService(update_service_.get());
  builder.RegisterService(raw_json_service_.get());
  for (const auto& service : raw_services_) builder.RegisterService(service.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  // First: the metrics count the status it gives an unparsable request.
  interceptors.push_back(NewUnparsedRequestInterceptorFactory());
  interceptors.push_back(metrics_->NewInterceptorFactory());
  if (cluster) interceptors.push_back(NewNotOwnerInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
}

absl::Status TgrpcServer::StartCluster(grpc::ServerBuilder& public_builder) {
  grpc::ServerBuilder peer;
  // Replicas talk inside the cluster's network (the NetworkPolicy keeps the port to tgrpcd's
  // pods); callers' credentials travel with each call and are checked by the owner.
  peer.AddListeningPort(config_.peer_listen, grpc::InsecureServerCredentials(), &peer_port_);
  RegisterServices(peer, true);
  peer_server_ = peer.BuildAndStart();
  if (peer_server_ == nullptr || peer_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on peer_listen ", config_.peer_listen));
  }
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);
  // This replica's own peer port over loopback TCP. (An in-process channel lost unary answers
  // when relayed by the generic forwarder: seen in service_cluster_test, not chased further.)
  std::string local = config_.peer_listen.substr(0, config_.peer_listen.rfind(':'));
  if (local.empty() || local == "0.0.0.0" || local == "[::]" || local == "::") local = "127.0.0.1";
  local_channel_ = grpc::CreateCustomChannel(absl::StrCat(local, ":", peer_port_),
                                             grpc::InsecureChannelCredentials(), arguments);
  cluster::ForwarderOptions options;
  Metrics* metrics = metrics_.get();
  options.on_forward = [metrics](const std::string& replica, grpc::StatusCode code) {
    metrics->ObserveForward(replica == "here",
                            absl::StatusCodeToString(static_cast<absl::StatusCode>(code)));
  };
  forwarder_ = std::make_unique<cluster::Forwarder>(
      [this](const std::string& method, grpc::GenericCallbackServerContext* context,
             const grpc::ByteBuffer& first,
             bool refresh) { return Route(method, context, first, refresh); },
      options);
  public_builder.RegisterCallbackGenericService(forwarder_.get());
  // StreamUpdates may name accounts of several owners: merged here rather than forwarded whole.
  cluster::UpdateMergerOptions merger;
  merger.on_part_done = options.on_forward;
  update_merger_ = std::make_unique<cluster::UpdateMerger>(
      [this](grpc::CallbackServerContext* context, const v1::StreamUpdatesRequest& request,
             bool refresh) { return RouteStream(context, request, refresh); },
      merger);
  public_builder.RegisterService(update_merger_.get());
  return absl::OkStatus();
}

absl::StatusOr<cluster::RouteTarget> TgrpcServer::Route(const std::string& method,
                                                        grpc::GenericCallbackServerContext* context,
                                                        const grpc::ByteBuffer& first,
                                                        bool refresh) {
  const cluster::RouteTarget here{local_channel_, "here"};
  // Whatever names no account, or not one of the caller's, is answered here: the services give
  // the errors (bad name, unauthenticated, not found) as they always do.
  absl::StatusOr<std::string> id = cluster::AccountOfRequest(method, first);
  if (!id.ok() || id->empty()) return here;
  absl::StatusOr<std::string> tenant = Authenticate(*context, api_);
  if (!tenant.ok()) return here;
  absl::StatusOr<std::optional<AccountOwner>> owner =
      lease_manager_->OwnerOf({*tenant, *id}, refresh);
  if (!owner.ok()) {
    return absl::UnavailableError(absl::StrCat("cannot tell which replica serves accounts/", *id,
                                               ": ", owner.status().message()));
  }
  if (!owner->has_value() || (*owner)->here) return here;
  return cluster::RouteTarget{PeerChannel((*owner)->address), (*owner)->instance};
}

absl::StatusOr<std::vector<cluster::StreamRoute>> TgrpcServer::RouteStream(
    grpc::CallbackServerContext* context, const v1::StreamUpdatesRequest& request, bool refresh) {
  // Whatever cannot be split (no tenant, a bad or repeated name) goes whole to this replica's
  // service, which answers as it always does.
  const std::vector<cluster::StreamRoute> here_all = {
      {local_channel_, "here", {request.accounts().begin(), request.accounts().end()}}};
  absl::StatusOr<std::string> tenant = Authenticate(*context, api_);
  if (!tenant.ok()) return here_all;
  std::vector<cluster::StreamRoute> routes;
  std::map<std::string, size_t> route_of;  // by peer address ("" here)
  std::set<std::string> seen;
  for (const std::string& name : request.accounts()) {
    absl::StatusOr<std::string> id = ParseAccountName(name, "accounts");
    if (!id.ok() || !seen.insert(*id).second) return here_all;
    absl::StatusOr<std::optional<AccountOwner>> owner =
        lease_manager_->OwnerOf({*tenant, *id}, refresh);
    if (!owner.ok()) {
      return absl::UnavailableError(
          absl::StrCat("cannot tell which replica serves ", name, ": ", owner.status().message()));
    }
    const bool here = !owner->has_value() || (*owner)->here;
    const std::string address = here ? "" : (*owner)->address;
    auto [it, added] = route_of.emplace(address, routes.size());
    if (added) {
      routes.push_back(here ? cluster::StreamRoute{local_channel_, "here", {}}
                            : cluster::StreamRoute{PeerChannel(address), (*owner)->instance, {}});
    }
    routes[it->second].accounts.push_back(name);
  }
  if (routes.empty()) return here_all;
  return routes;
}

std::shared_ptr<grpc::Channel> TgrpcServer::PeerChannel(const std::string& address) {
  absl::MutexLock lock(&channels_mutex_);
  std::shared_ptr<grpc::Channel>& channel = channels_[address];
  if (channel == nullptr) {
    grpc::ChannelArguments arguments;
    arguments.SetMaxReceiveMessageSize(-1);
    channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
  }
  return channel;
}

int TgrpcServer::metrics_port() const { return metrics_ ? metrics_->port() : 0; }

void TgrpcServer::Shutdown() {
  if (shut_down_.exchange(true)) return;
  LogLine("info", "shutting down: NOT_SERVING, draining calls");
  if (server_ != nullptr) {
    server_->GetHealthCheckService()->SetServingStatus(kReadinessService, false);
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->Shutdown(std::chrono::system_clock::now() +
                      absl::ToChronoNanoseconds(config_.shutdown_grace));
  }
  // Cluster mode: hand the accounts over (stop MTProto, flush, release the leases), then close
  // the peer port (calls other replicas still forward here meanwhile are told ACCOUNT_NOT_HERE
  // and go to the new owners).
  if (lease_manager_ != nullptr) lease_manager_->Drain();
  if (peer_server_ != nullptr) {
    peer_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }
  if (accounts_ != nullptr) accounts_->StopAll();
  if (metrics_thread_.joinable()) metrics_thread_.join();
  LogLine("info", "stopped");
}

void TgrpcServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

TgrpcServer::~TgrpcServer() {
  Shutdown();
  if (server_ != nullptr) server_->Wait();
  if (peer_server_ != nullptr) peer_server_->Wait();
  accounts_.reset();
  io_work_.clear();
  for (const auto& io : ios_) io->stop();
  for (std::thread& t : io_threads_) t.join();
  // Queued update log writes finish before storage closes.
  if (log_writer_) log_writer_->join();
}

}  // namespace tgrpc::service
