// One TCP connection speaking one MTProto transport: it connects, writes the transport's preamble,
// frames outgoing payloads and hands decoded frames back. All protocol state lives in the
// framing object (mtproto/transport); this class only moves bytes. Internal to ClientConnection.
#ifndef TGRPC_MTPROTO_NET_TRANSPORT_SOCKET_H_
#define TGRPC_MTPROTO_NET_TRANSPORT_SOCKET_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "asio.hpp"
#include "mtproto/transport/client_transport.h"
#include "mtproto/transport/frame.h"

namespace tgrpc::mtproto::net {

using Strand = asio::strand<asio::io_context::executor_type>;

class TransportSocket : public std::enable_shared_from_this<TransportSocket> {
 public:
  // Called on the strand, never after Close().
  struct Callbacks {
    std::function<void()> on_connected;
    std::function<void(std::vector<transport::Frame> frames)> on_frames;
    // Once: the connection failed, the peer closed it or its bytes did not decode (frames
    // decoded before the bad bytes are delivered first).
    std::function<void(absl::Status status)> on_closed;
    // Everything sent so far has been written to the socket (for a writer that holds back while
    // unwritten() is large).
    std::function<void()> on_drained;
  };

  TransportSocket(Strand strand, transport::ClientTransport transport, Callbacks callbacks);
  ~TransportSocket();

  TransportSocket(const TransportSocket&) = delete;
  TransportSocket& operator=(const TransportSocket&) = delete;

  // Resolves and connects; on success writes the preamble and starts reading. On the strand.
  void Connect(const std::string& host, uint16_t port);
  // Frames `payload` and queues it; only after on_connected. On the strand.
  absl::Status Send(absl::string_view payload);
  // Closes the socket at once; no callback follows. On the strand.
  void Close();

  bool connected() const { return connected_; }
  // Bytes sent and not yet written to the socket.
  size_t unwritten() const { return queued_.size() + writing_.size(); }
  const std::string& peer() const { return peer_; }

 private:
  void OnResolved(const asio::ip::tcp::resolver::results_type& endpoints);
  // Waits until the socket is readable, then ReadAvailable.
  void Read();
  // Reads what is waiting into the thread's buffer, decodes it and hands the frames on.
  void ReadAvailable();
  void WriteNext();
  void Fail(absl::Status status);

  Strand strand_;
  transport::ClientTransport transport_;
  Callbacks callbacks_;
  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  std::string writing_;
  std::string queued_;
  bool write_in_flight_ = false;
  bool connected_ = false;
  bool closed_ = false;
  std::string peer_;
};

}  // namespace tgrpc::mtproto::net

#endif  // TGRPC_MTPROTO_NET_TRANSPORT_SOCKET_H_
