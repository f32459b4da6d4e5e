#include "mtproto/session/session_test_util.h"

#include <random>
#include <utility>

#include "gtest/gtest.h"
#include "mtproto/session/wire.h"
#include "tl/generated/mtp.h"
#include "tl/runtime/binary.h"

namespace tgrpc::mtproto::session::testing {

crypto::RandomSource SeededRandom(uint64_t seed) {
  auto engine = std::make_shared<std::mt19937_64>(seed);
  return [engine](absl::Span<uint8_t> out) {
    for (uint8_t& b : out) b = static_cast<uint8_t>((*engine)() >> 56);
  };
}

crypto::AuthKey TestAuthKey(uint64_t seed) {
  crypto::AuthKey::Bytes bytes;
  SeededRandom(seed)(absl::MakeSpan(bytes));
  bytes[0] |= 0x80;
  return crypto::AuthKey(bytes);
}

std::string FakeObject(uint32_t id, int words, uint32_t fill) {
  std::string out;
  tl::Writer writer(&out);
  writer.U32(id);
  for (int i = 0; i < words; ++i) writer.U32(fill + static_cast<uint32_t>(i));
  return out;
}

std::string BigQuery(size_t bytes) {
  std::string out;
  tl::Writer writer(&out);
  writer.U32(0x0badf00d);
  while (out.size() + 4 <= bytes) writer.U32(0x41424344);
  return out;
}

uint32_t WireMessage::id() const { return ConstructorId(body); }

DecodedPacket DecodePacket(const crypto::PacketCipher& receiver, std::string packet) {
  DecodedPacket decoded;
  auto message = receiver.DecryptInPlace(
      absl::MakeSpan(reinterpret_cast<uint8_t*>(packet.data()), packet.size()));
  EXPECT_TRUE(message.ok()) << message.status();
  if (!message.ok()) return decoded;
  decoded.header = message->header;
  const absl::string_view body(reinterpret_cast<const char*>(message->body.data()),
                               message->body.size());
  if (ConstructorId(body) == tl::mtp::msg_container::kId) {
    decoded.container = true;
    auto inner = ParseContainer(body, 4096);
    EXPECT_TRUE(inner.ok()) << inner.status();
    if (!inner.ok()) return decoded;
    for (const InnerMessage& m : *inner) {
      decoded.messages.push_back(WireMessage{m.msg_id, m.seqno, std::string(m.body)});
    }
  } else {
    decoded.messages.push_back(WireMessage{static_cast<int64_t>(message->header.msg_id),
                                           static_cast<int32_t>(message->header.seq_no),
                                           std::string(body)});
  }
  return decoded;
}

std::string EncryptPacket(const crypto::PacketCipher& sender, const crypto::MessageHeader& header,
                          absl::string_view body) {
  std::string packet(crypto::PacketCipher::EncryptedSize(body.size()), '\0');
  auto size = sender.Encrypt(
      header, absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(body.data()), body.size()),
      SeededRandom(99), absl::MakeSpan(reinterpret_cast<uint8_t*>(packet.data()), packet.size()));
  EXPECT_TRUE(size.ok()) << size.status();
  if (size.ok()) packet.resize(*size);
  return packet;
}

std::string Container(const std::vector<WireMessage>& messages) {
  std::string out;
  AppendContainerHeader(messages.size(), out);
  for (const WireMessage& m : messages) AppendContainerMessage(m.msg_id, m.seqno, m.body, out);
  return out;
}

Link::Options Link::QuietOptions() {
  Options options;
  options.client.ping_interval = absl::ZeroDuration();
  options.client.future_salts_count = 0;
  options.client.ack_delay = absl::Seconds(30);
  return options;
}

Link::Link(Options options)
    : clock_(TestStart()),
      key_(TestAuthKey(options.seed)),
      server_(
          [key = key_, salt = options.first_salt](uint64_t id) -> std::optional<ServerKey> {
            if (id != key.id()) return std::nullopt;
            return ServerKey{key, salt};
          },
          [&] {
            ServerSessionOptions server = options.server;
            server.clock = clock_.AsClock();
            server.random = SeededRandom(options.seed * 2 + 1);
            return server;
          }()) {
  ClientSessionOptions client = options.client;
  client.clock = clock_.AsClock(options.client_skew);
  client.random = SeededRandom(options.seed * 2);
  client.salt = options.client_knows_salt ? options.first_salt : 0;
  client_ = std::make_unique<ClientSession>(key_, std::move(client));
  on_rpc = [](ServerSession& session, const ServerRpcCallEvent& call) {
    session.SendRpcResult(call.req_msg_id, call.body);
  };
}

ServerSession* Link::server_session() {
  return server_.FindSession(key_.id(), client_->session_id());
}

std::vector<std::string> Link::TakeClientPackets() {
  std::vector<std::string> packets;
  while (true) {
    auto packet = client_->BuildPacket();
    EXPECT_TRUE(packet.ok()) << packet.status();
    if (!packet.ok() || !packet->has_value()) break;
    packets.push_back(**std::move(packet));
  }
  return packets;
}

std::vector<std::string> Link::TakeServerPackets() {
  std::vector<std::string> packets;
  ServerSession* session = server_session();
  if (session == nullptr) return packets;
  while (true) {
    auto packet = session->BuildPacket();
    EXPECT_TRUE(packet.ok()) << packet.status();
    if (!packet.ok() || !packet->has_value()) break;
    packets.push_back(**std::move(packet));
  }
  return packets;
}

std::vector<ServerEvent> Link::DeliverToServer(std::vector<std::string> packets) {
  std::vector<ServerEvent> events;
  for (std::string& packet : packets) {
    auto incoming =
        server_.OnPacket(absl::MakeSpan(reinterpret_cast<uint8_t*>(packet.data()), packet.size()));
    EXPECT_TRUE(incoming.ok()) << incoming.status();
    if (!incoming.ok()) continue;
    for (ServerEvent& event : incoming->events) {
      if (const auto* call = std::get_if<ServerRpcCallEvent>(&event); call && on_rpc) {
        on_rpc(*incoming->session, *call);
      }
      events.push_back(std::move(event));
    }
  }
  return events;
}

std::vector<Event> Link::DeliverToClient(std::vector<std::string> packets) {
  std::vector<Event> events;
  for (std::string& packet : packets) {
    auto incoming =
        client_->OnPacket(absl::MakeSpan(reinterpret_cast<uint8_t*>(packet.data()), packet.size()));
    EXPECT_TRUE(incoming.ok()) << incoming.status();
    if (!incoming.ok()) continue;
    for (Event& event : *incoming) events.push_back(std::move(event));
  }
  return events;
}

Link::Exchange Link::Pump(int max_rounds) {
  Exchange exchange;
  for (int round = 0; round < max_rounds; ++round) {
    std::vector<std::string> up = TakeClientPackets();
    exchange.client_packets += static_cast<int>(up.size());
    for (ServerEvent& e : DeliverToServer(std::move(up))) {
      exchange.server_events.push_back(std::move(e));
    }
    std::vector<std::string> down = TakeServerPackets();
    exchange.server_packets += static_cast<int>(down.size());
    const bool quiet = down.empty();
    for (Event& e : DeliverToClient(std::move(down))) {
      exchange.client_events.push_back(std::move(e));
    }
    if (quiet && !client_->HasPendingOutput()) break;
  }
  return exchange;
}

}  // namespace tgrpc::mtproto::session::testing
