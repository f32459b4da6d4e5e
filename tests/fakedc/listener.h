// The sockets of fakedc: a TCP listener on 127.0.0.1 whose connections hand received bytes to a
// per-connection handler and write back what it produces. All connections of all DCs run on one
// Asio io_context (one thread), so the emulator's state needs no locks of its own.
#ifndef TGRPC_TESTS_FAKEDC_LISTENER_H_
#define TGRPC_TESTS_FAKEDC_LISTENER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "asio.hpp"

namespace tgrpc::fakedc {

class Connection;

// What a connection does with its bytes. Called on the io_context thread only.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // Bytes received; the handler answers through the connection (Write / Close).
  virtual void OnBytes(absl::string_view bytes) = 0;
  // The peer closed, the socket failed, or Close() was called. Called once.
  virtual void OnClosed() {}
};

// One accepted socket. Lives while the socket is open; handlers keep a weak_ptr to write later
// (server pushes).
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  explicit Connection(asio::ip::tcp::socket socket);
  ~Connection();

  void Start(std::unique_ptr<ConnectionHandler> handler);
  // Queues bytes; they are written in order.
  void Write(std::string bytes);
  // Closes after the queued bytes are written (or at once with `flush` false).
  void Close(bool flush = true);

  uint64_t id() const { return id_; }
  std::string peer() const { return peer_; }

 private:
  void Read();
  void WriteNext();
  void Shutdown();

  asio::ip::tcp::socket socket_;
  std::unique_ptr<ConnectionHandler> handler_;
  std::string read_buffer_;
  std::string writing_;
  std::string queued_;
  bool write_in_flight_ = false;
  bool close_after_write_ = false;
  bool closed_ = false;
  uint64_t id_;
  std::string peer_;
};

// Accepts connections on 127.0.0.1:port (0 picks a free port) and gives each a handler.
class Listener {
 public:
  using HandlerFactory =
      std::function<std::unique_ptr<ConnectionHandler>(const std::shared_ptr<Connection>&)>;

  Listener(asio::io_context& io, HandlerFactory factory);
  absl::Status Listen(const std::string& address, uint16_t port);
  uint16_t port() const { return port_; }
  void Stop();

 private:
  void Accept();

  asio::io_context& io_;
  HandlerFactory factory_;
  asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
};

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_LISTENER_H_
