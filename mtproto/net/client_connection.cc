#include "mtproto/net/client_connection.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "asio.hpp"
#include "mtproto/net/client_connection_impl.h"

namespace tgrpc::mtproto::net {

absl::string_view ConnectionStateName(ConnectionState state) {
  switch (state) {
    case ConnectionState::kConnecting:
      return "connecting";
    case ConnectionState::kHandshaking:
      return "handshaking";
    case ConnectionState::kReady:
      return "ready";
    case ConnectionState::kBackoff:
      return "backoff";
    case ConnectionState::kStopped:
      return "stopped";
  }
  return "?";
}

absl::StatusOr<std::unique_ptr<ClientConnection>> ClientConnection::Create(
    ClientConnectionOptions options, asio::io_context* io) {
  if (options.host.empty() || options.port == 0) {
    return absl::InvalidArgumentError("a host and a non-zero port are required");
  }
  const bool has_key = options.keys != nullptr ? options.keys->permanent().has_value()
                                               : options.auth_key.has_value();
  const int32_t temp_key_lifetime =
      options.keys != nullptr ? options.keys->temp_key_lifetime() : options.temp_key_lifetime;
  if (!has_key && options.server_keys.empty()) {
    return absl::InvalidArgumentError("no auth key and no server key to make one with");
  }
  if (temp_key_lifetime < 0) {
    return absl::InvalidArgumentError("temp_key_lifetime must not be negative");
  }
  if (temp_key_lifetime > 0 && options.server_keys.empty()) {
    return absl::InvalidArgumentError("temporary keys need a server key to make them with");
  }
  if (options.max_unwritten_bytes == 0) {
    return absl::InvalidArgumentError("max_unwritten_bytes must be positive");
  }
  if (options.connect_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("connect_timeout must be positive");
  }
  if (options.virtual_time != nullptr) options.clock = options.virtual_time->clock();
  if (!options.clock || !options.random) {
    return absl::InvalidArgumentError("clock and random must be set");
  }
  if (absl::Status policy = ValidateBackoffPolicy(options.backoff); !policy.ok()) return policy;
  // The transport options are checked by making one (with throwaway randomness, so the injected
  // source gives the same bytes as without this check).
  transport::ClientTransportOptions transport_options = options.transport;
  if (transport_options.dc_id == 0) transport_options.dc_id = static_cast<int16_t>(options.dc_id);
  transport::FramingOptions framing;
  framing.random = crypto::SecureRandom();
  if (absl::StatusOr<transport::ClientTransport> transport =
          transport::MakeClientTransport(transport_options, framing);
      !transport.ok()) {
    return transport.status();
  }

  std::unique_ptr<asio::io_context> owned_io;
  if (io == nullptr) {
    owned_io = std::make_unique<asio::io_context>(1);
    io = owned_io.get();
  }
  auto impl = std::make_shared<Impl>(*io, std::move(options), owned_io != nullptr);
  std::unique_ptr<ClientConnection> connection(new ClientConnection(std::move(owned_io), impl));
  if (connection->owned_io_ != nullptr) {
    connection->thread_ = std::thread([io = connection->owned_io_.get()] { io->run(); });
  }
  asio::post(impl->strand(), [impl] { impl->Start(); });
  return connection;
}

ClientConnection::ClientConnection(std::unique_ptr<asio::io_context> owned_io,
                                   std::shared_ptr<Impl> impl)
    : owned_io_(std::move(owned_io)), impl_(std::move(impl)) {}

ClientConnection::~ClientConnection() {
  if (impl_ == nullptr) return;  // Close()d
  impl_->StopAndWait();
  // The owned io_context runs out of work once the stopped connection's handlers have run.
  if (thread_.joinable()) thread_.join();
  impl_.reset();
}

CallId ClientConnection::Invoke(base::SharedBytes body, CallCallback done, CallOptions options) {
  const CallId id = impl_->NewCallId();
  asio::post(impl_->strand(), [impl = impl_, id, body = std::move(body), done = std::move(done),
                               options = std::move(options)]() mutable {
    impl->Invoke(id, std::move(body), std::move(done), std::move(options));
  });
  return id;
}

std::future<CallResult> ClientConnection::Invoke(base::SharedBytes body, CallOptions options) {
  auto promise = std::make_shared<std::promise<CallResult>>();
  std::future<CallResult> future = promise->get_future();
  Invoke(
      std::move(body), [promise](CallResult result) { promise->set_value(std::move(result)); },
      std::move(options));
  return future;
}

CallId ClientConnection::Reject(absl::Status status, CallCallback done) {
  const CallId id = impl_->NewCallId();
  asio::post(impl_->strand(),
             [impl = impl_, status = std::move(status), done = std::move(done)]() mutable {
               impl->Reject(std::move(status), std::move(done));
             });
  return id;
}

void ClientConnection::Cancel(CallId call) {
  asio::post(impl_->strand(), [impl = impl_, call] {
    impl->Cancel(call, absl::CancelledError("the call was cancelled"));
  });
}

void ClientConnection::Stop() {
  asio::post(impl_->strand(), [impl = impl_] { impl->Stop(); });
}

void ClientConnection::Close(std::unique_ptr<ClientConnection> connection) {
  if (connection == nullptr) return;
  if (connection->owned_io_ != nullptr) return;  // its own thread: the destructor waits
  // The strand holds the last reference: the connection stops and is freed there.
  std::shared_ptr<Impl> impl = std::move(connection->impl_);
  Strand& strand = impl->strand();
  asio::post(strand, [impl = std::move(impl)] { impl->Stop(); });
}

ConnectionState ClientConnection::state() const { return impl_->state(); }

}  // namespace tgrpc::mtproto::net
