#include "tests/fakedc/listener.h"

#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tgrpc::fakedc {
namespace {

constexpr size_t kReadChunk = 256 * 1024;
std::atomic<uint64_t> next_connection_id{1};

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket)
    : socket_(std::move(socket)), id_(next_connection_id++) {
  asio::error_code error;
  const asio::ip::tcp::endpoint remote = socket_.remote_endpoint(error);
  peer_ = error ? "?" : absl::StrCat(remote.address().to_string(), ":", remote.port());
  socket_.set_option(asio::ip::tcp::no_delay(true), error);
}

Connection::~Connection() = default;

void Connection::Start(std::unique_ptr<ConnectionHandler> handler) {
  handler_ = std::move(handler);
  Read();
}

void Connection::Read() {
  read_buffer_.resize(kReadChunk);
  socket_.async_read_some(asio::buffer(read_buffer_), [self = shared_from_this()](
                                                          const asio::error_code& error, size_t n) {
    if (self->closed_) return;
    if (error) {
      self->Shutdown();
      return;
    }
    self->handler_->OnBytes(absl::string_view(self->read_buffer_.data(), n));
    if (!self->closed_ && !self->close_after_write_) self->Read();
  });
}

void Connection::Write(std::string bytes) {
  if (closed_ || close_after_write_) return;
  queued_ += bytes;
  if (!write_in_flight_) WriteNext();
}

void Connection::WriteNext() {
  if (queued_.empty()) {
    write_in_flight_ = false;
    if (close_after_write_) Shutdown();
    return;
  }
  write_in_flight_ = true;
  writing_.swap(queued_);
  queued_.clear();
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](const asio::error_code& error, size_t) {
                      if (self->closed_) return;
                      if (error) {
                        self->Shutdown();
                        return;
                      }
                      self->writing_.clear();
                      self->WriteNext();
                    });
}

void Connection::Close(bool flush) {
  if (closed_) return;
  if (flush && write_in_flight_) {
    close_after_write_ = true;
    return;
  }
  Shutdown();
}

void Connection::Shutdown() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  if (handler_ != nullptr) handler_->OnClosed();
}

Listener::Listener(asio::io_context& io, HandlerFactory factory)
    : io_(io), factory_(std::move(factory)), acceptor_(io) {}

absl::Status Listener::Listen(const std::string& address, uint16_t port) {
  asio::error_code error;
  const asio::ip::address ip = asio::ip::make_address(address, error);
  if (error) return absl::InvalidArgumentError(absl::StrCat("bad address ", address));
  const asio::ip::tcp::endpoint endpoint(ip, port);
  acceptor_.open(endpoint.protocol(), error);
  if (!error) acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), error);
  if (!error) acceptor_.bind(endpoint, error);
  if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, ":", port, ": ", error.message()));
  }
  port_ = acceptor_.local_endpoint().port();
  Accept();
  return absl::OkStatus();
}

void Listener::Stop() {
  asio::error_code ignored;
  acceptor_.close(ignored);
}

void Listener::Accept() {
  acceptor_.async_accept([this](const asio::error_code& error, asio::ip::tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;
    if (!error) {
      auto connection = std::make_shared<Connection>(std::move(socket));
      connection->Start(factory_(connection));
    }
    if (acceptor_.is_open()) Accept();
  });
}

}  // namespace tgrpc::fakedc
