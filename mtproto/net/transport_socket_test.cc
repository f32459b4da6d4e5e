// TransportSocket against a plain TCP peer on 127.0.0.1:0 that writes intermediate frames by
// hand: frames far larger than the read buffer, frames split into single bytes, then EOF.
#include "mtproto/net/transport_socket.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "asio.hpp"
#include "gtest/gtest.h"
#include "mtproto/transport/client_transport.h"

namespace tgrpc::mtproto::net {
namespace {

constexpr auto kGuard = std::chrono::seconds(30);  // failure guard only

std::string Payload(size_t size, uint8_t seed) {
  std::string payload(size, '\0');
  for (size_t i = 0; i < size; ++i) payload[i] = static_cast<char>(seed + i * 7);
  return payload;
}

std::string IntermediateFrame(const std::string& payload) {
  const auto length = static_cast<uint32_t>(payload.size());
  std::string frame(4, '\0');
  for (int i = 0; i < 4; ++i) frame[i] = static_cast<char>(length >> (8 * i));
  return frame + payload;
}

TEST(TransportSocketTest, FramesOfAnySizeArriveWholeThenEof) {
  // Several times the 64 KiB read buffer (and more than one wakeup's reads), a run of frames
  // written a byte at a time, and a last frame right before the peer closes.
  std::vector<std::string> sent = {Payload(3 << 20, 1)};
  for (int i = 0; i < 20; ++i) sent.push_back(Payload(8 + 4 * i, static_cast<uint8_t>(i)));
  sent.push_back(Payload(100 * 1024, 99));

  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io);
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  acceptor.open(endpoint.protocol());
  acceptor.bind(endpoint);
  acceptor.listen();
  const uint16_t port = acceptor.local_endpoint().port();

  std::thread peer([&] {
    asio::io_context peer_io;
    asio::ip::tcp::socket socket(peer_io);
    acceptor.accept(socket);
    socket.set_option(asio::ip::tcp::no_delay(true));
    char marker[4];
    asio::read(socket, asio::buffer(marker));  // the intermediate preamble
    asio::write(socket, asio::buffer(IntermediateFrame(sent[0])));
    for (size_t i = 1; i + 1 < sent.size(); ++i) {
      for (char byte : IntermediateFrame(sent[i])) asio::write(socket, asio::buffer(&byte, 1));
    }
    asio::write(socket, asio::buffer(IntermediateFrame(sent.back())));
    socket.shutdown(asio::ip::tcp::socket::shutdown_both);
    socket.close();
  });

  transport::FramingOptions framing;
  absl::StatusOr<transport::ClientTransport> transport =
      transport::MakeClientTransport({.protocol = transport::Protocol::kIntermediate}, framing);
  ASSERT_TRUE(transport.ok()) << transport.status();
  std::vector<std::string> received;
  std::optional<absl::Status> closed;
  TransportSocket::Callbacks callbacks;
  callbacks.on_frames = [&](std::vector<transport::Frame> frames) {
    for (transport::Frame& frame : frames) {
      auto* payload = std::get_if<transport::PayloadFrame>(&frame);
      ASSERT_NE(payload, nullptr);
      received.push_back(std::move(payload->payload));
    }
  };
  callbacks.on_closed = [&](absl::Status status) { closed = std::move(status); };
  Strand strand = asio::make_strand(io);
  auto socket =
      std::make_shared<TransportSocket>(strand, *std::move(transport), std::move(callbacks));
  asio::post(strand, [&] { socket->Connect("127.0.0.1", port); });
  io.run_for(kGuard);
  peer.join();

  ASSERT_EQ(received.size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(received[i], sent[i]) << i;
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->code(), absl::StatusCode::kUnavailable) << *closed;
  EXPECT_EQ(closed->message(), "connection closed by the peer");
}

}  // namespace
}  // namespace tgrpc::mtproto::net
