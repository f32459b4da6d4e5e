// A TCP forwarder on 127.0.0.1:0 that injects connection faults between a client and a server:
// drop every connection, refuse new ones, hold the client's bytes back. For reconnect tests; it
// knows nothing about MTProto. Runs its own io_context thread; methods are thread-safe and take
// effect before they return.
#ifndef TGRPC_TESTS_E2E_FAULT_PROXY_H_
#define TGRPC_TESTS_E2E_FAULT_PROXY_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "asio.hpp"

namespace tgrpc::e2e {

class FaultProxy {
 public:
  // Listens on 127.0.0.1:0 and forwards each connection to 127.0.0.1:upstream_port.
  static absl::StatusOr<std::unique_ptr<FaultProxy>> Start(uint16_t upstream_port);
  ~FaultProxy();

  uint16_t port() const { return port_; }

  // Closes both ends of every open connection; held bytes are lost.
  void DropAll();
  // While set, new connections are accepted and closed at once.
  void SetRefuse(bool refuse);
  // While set, bytes from clients are kept instead of forwarded. Clearing it forwards them, but
  // not ordered against bytes the client sends meanwhile: drop the connections instead when that
  // matters.
  void SetHoldUpstream(bool hold);

  // Bytes held back now, and connections accepted so far (refused ones included).
  size_t held_bytes();
  int accepted();

  class Pair;

 private:
  explicit FaultProxy(uint16_t upstream_port);
  void Accept();
  // Runs `fn` on the proxy's thread and waits for it.
  void Run(const std::function<void()>& fn);

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  asio::ip::tcp::endpoint upstream_;
  uint16_t port_ = 0;
  bool refuse_ = false;
  bool hold_ = false;
  int accepted_ = 0;
  std::vector<std::weak_ptr<Pair>> pairs_;
  std::thread thread_;
};

}  // namespace tgrpc::e2e

#endif  // TGRPC_TESTS_E2E_FAULT_PROXY_H_
