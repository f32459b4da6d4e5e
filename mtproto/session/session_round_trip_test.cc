// A ClientSession against a SessionServer, back to back in memory on one fake clock.
#include <zlib.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mtproto/session/client_session.h"
#include "mtproto/session/gzip.h"
#include "mtproto/session/session_server.h"
#include "mtproto/session/session_test_util.h"
#include "mtproto/session/wire.h"
#include "tl/generated/mtp.h"

namespace tgrpc::mtproto::session {
namespace {

namespace mtp = ::tgrpc::tl::mtp;
using testing::BigQuery;
using testing::EventsOf;
using testing::FakeObject;
using testing::FakeQuery;
using testing::Link;

std::vector<int32_t> RejectionCodes(const std::vector<ServerEvent>& events) {
  std::vector<int32_t> codes;
  for (const auto& e : EventsOf<ServerRejectedEvent>(events)) codes.push_back(e.error_code);
  return codes;
}

TEST(SessionRoundTripTest, PingPong) {
  Link link(Link::QuietOptions());
  mtp::ping ping;
  ping.ping_id = 42;
  auto call = link.client().Send(SerializeService(ping));
  ASSERT_TRUE(call.ok()) << call.status();
  const Link::Exchange exchange = link.Pump();

  const auto created = EventsOf<ServerSessionCreatedEvent>(exchange.server_events);
  ASSERT_EQ(created.size(), 1u);
  const auto new_session = EventsOf<NewSessionEvent>(exchange.client_events);
  ASSERT_EQ(new_session.size(), 1u);
  EXPECT_EQ(new_session[0].unique_id, created[0].unique_id);

  const auto results = EventsOf<RpcResultEvent>(exchange.client_events);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].call, *call);
  auto pong = ParseService<mtp::pong>(results[0].body);
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(pong->ping_id, 42);
  EXPECT_EQ(link.client().pending_calls(), 0u);
  EXPECT_TRUE(RejectionCodes(exchange.server_events).empty());
}

TEST(SessionRoundTripTest, RpcRoundTrip) {
  Link link(Link::QuietOptions());
  const std::string query = FakeQuery(5);
  const std::string answer = FakeObject(0x3e11affb, 4, 77);
  link.on_rpc = [&](ServerSession& session, const ServerRpcCallEvent& call) {
    EXPECT_EQ(call.body, query);
    session.SendRpcResult(call.req_msg_id, answer);
  };
  auto call = link.client().Send(query);
  ASSERT_TRUE(call.ok());
  const Link::Exchange exchange = link.Pump();
  ASSERT_EQ(EventsOf<ServerRpcCallEvent>(exchange.server_events).size(), 1u);
  const auto results = EventsOf<RpcResultEvent>(exchange.client_events);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].call, *call);
  EXPECT_EQ(results[0].body, answer);
}

TEST(SessionRoundTripTest, AcksAreSent) {
  Link link(Link::QuietOptions());
  ASSERT_TRUE(link.client().Send(FakeQuery()).ok());
  link.Pump();
  // new_session_created and the rpc_result wait for the client's acknowledgment.
  ASSERT_NE(link.server_session(), nullptr);
  EXPECT_EQ(link.server_session()->unacked_count(), 2u);
  EXPECT_FALSE(link.client().HasPendingOutput());

  // The ack timer fires.
  link.clock().Advance(absl::Seconds(31));
  link.client().OnTick();
  std::vector<std::string> packets = link.TakeClientPackets();
  ASSERT_EQ(packets.size(), 1u);
  const testing::DecodedPacket decoded =
      testing::DecodePacket(crypto::PacketCipher(link.key(), crypto::Role::kServer), packets[0]);
  ASSERT_EQ(decoded.messages.size(), 1u);
  EXPECT_EQ(decoded.messages[0].id(), mtp::msgs_ack::kId);
  EXPECT_EQ(decoded.messages[0].seqno % 2, 0);
  link.DeliverToServer(link.TakeClientPackets());
  link.DeliverToServer(std::move(packets));
  EXPECT_EQ(link.server_session()->unacked_count(), 0u);
}

TEST(SessionRoundTripTest, AcksRideAlongWithTheNextCall) {
  Link link(Link::QuietOptions());
  ASSERT_TRUE(link.client().Send(FakeQuery()).ok());
  link.Pump();
  ASSERT_TRUE(link.client().Send(FakeQuery(2)).ok());
  std::vector<std::string> packets = link.TakeClientPackets();
  ASSERT_EQ(packets.size(), 1u);
  const testing::DecodedPacket decoded =
      testing::DecodePacket(crypto::PacketCipher(link.key(), crypto::Role::kServer), packets[0]);
  ASSERT_TRUE(decoded.container);
  ASSERT_EQ(decoded.messages.size(), 2u);
  EXPECT_EQ(decoded.messages[0].id(), mtp::msgs_ack::kId);
  link.DeliverToServer(std::move(packets));
  EXPECT_EQ(link.server_session()->unacked_count(), 0u);
}

TEST(SessionRoundTripTest, ContainersBothWays) {
  Link link(Link::QuietOptions());
  std::vector<CallId> calls;
  for (int i = 0; i < 3; ++i) calls.push_back(*link.client().Send(FakeQuery(2, i * 100)));
  const Link::Exchange exchange = link.Pump();
  EXPECT_EQ(exchange.client_packets, 1);  // one container
  EXPECT_EQ(exchange.server_packets, 1);  // acks, new_session_created and three results
  const auto rpcs = EventsOf<ServerRpcCallEvent>(exchange.server_events);
  ASSERT_EQ(rpcs.size(), 3u);
  const auto results = EventsOf<RpcResultEvent>(exchange.client_events);
  ASSERT_EQ(results.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(results[i].call, calls[i]);
    EXPECT_EQ(results[i].body, FakeQuery(2, i * 100));
  }
}

TEST(SessionRoundTripTest, ContainerLimitsSplitPackets) {
  Link::Options options = Link::QuietOptions();
  options.client.max_container_messages = 4;
  Link link(std::move(options));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(link.client().Send(FakeQuery(1, i)).ok());
  EXPECT_EQ(link.TakeClientPackets().size(), 3u);  // 4 + 4 + 2

  Link::Options by_size = Link::QuietOptions();
  by_size.client.max_packet_body_size = 4096;
  Link sized(std::move(by_size));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(sized.client().Send(BigQuery(1500)).ok());
  EXPECT_EQ(sized.TakeClientPackets().size(), 2u);
  EXPECT_EQ(sized.client().Send(BigQuery(5000)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SessionRoundTripTest, GzipBothWays) {
  Link::Options options = Link::QuietOptions();
  options.client.compress_min_size = 512;
  options.server.compress_min_size = 512;
  Link link(std::move(options));
  const std::string query = BigQuery(8192);
  const std::string answer = BigQuery(16000);
  link.on_rpc = [&](ServerSession& session, const ServerRpcCallEvent& call) {
    EXPECT_EQ(call.body, query);  // inflated
    session.SendRpcResult(call.req_msg_id, answer);
  };
  ASSERT_TRUE(link.client().Send(query).ok());

  // The query travels compressed.
  std::vector<std::string> up = link.TakeClientPackets();
  ASSERT_EQ(up.size(), 1u);
  EXPECT_LT(up[0].size(), 2048u);
  link.DeliverToServer(std::move(up));
  std::vector<std::string> down = link.TakeServerPackets();
  ASSERT_EQ(down.size(), 1u);
  EXPECT_LT(down[0].size(), 2048u);
  const auto results = EventsOf<RpcResultEvent>(link.DeliverToClient(std::move(down)));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].body, answer);
}

std::string ZlibPacked(const std::string& body) {
  uLongf size = compressBound(body.size());
  std::string zlib(size, '\0');
  EXPECT_EQ(compress2(reinterpret_cast<Bytef*>(zlib.data()), &size,
                      reinterpret_cast<const Bytef*>(body.data()), body.size(), 6),
            Z_OK);
  zlib.resize(size);
  mtp::gzip_packed packed;
  packed.packed_data = zlib;
  return SerializeService(packed);
}

TEST(SessionRoundTripTest, ZlibStreamsBothWays) {
  Link link(Link::QuietOptions());
  const std::string query = BigQuery(4096);
  const std::string update = FakeObject(0x74ae4240, 600, 5);
  link.on_rpc = [&](ServerSession& session, const ServerRpcCallEvent& call) {
    EXPECT_EQ(call.body, query);
    session.SendRpcResult(call.req_msg_id, ZlibPacked(FakeObject(0x55555555, 300, 1)));
    session.PushUpdate(ZlibPacked(update));
  };
  // As mtcute does: the body is already a gzip_packed zlib stream.
  ASSERT_TRUE(link.client().Send(ZlibPacked(query), {.compress = false}).ok());
  const Link::Exchange exchange = link.Pump();
  ASSERT_EQ(EventsOf<ServerRpcCallEvent>(exchange.server_events).size(), 1u);
  const auto results = EventsOf<RpcResultEvent>(exchange.client_events);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].body, FakeObject(0x55555555, 300, 1));
  const auto updates = EventsOf<UpdateEvent>(exchange.client_events);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].body, update);
}

TEST(SessionRoundTripTest, BadServerSaltIsFixedAndTheCallCompletes) {
  Link::Options options = Link::QuietOptions();
  options.client_knows_salt = false;  // salt 0, like GramJS and Telethon
  Link link(std::move(options));
  auto call = link.client().Send(FakeQuery());
  const Link::Exchange exchange = link.Pump();
  EXPECT_EQ(RejectionCodes(exchange.server_events), std::vector<int32_t>{48});
  const auto results = EventsOf<RpcResultEvent>(exchange.client_events);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].call, *call);
  EXPECT_EQ(link.client().salt(),
            link.server().FindSalts(link.key().id())->Current(link.clock().now()));
}

TEST(SessionRoundTripTest, ClockAheadGets17AndIsCorrected) {
  Link::Options options = Link::QuietOptions();
  options.client_skew = absl::Seconds(100);
  Link link(std::move(options));
  auto call = link.client().Send(FakeQuery());
  const Link::Exchange exchange = link.Pump();
  EXPECT_EQ(RejectionCodes(exchange.server_events), std::vector<int32_t>{17});
  ASSERT_EQ(EventsOf<RpcResultEvent>(exchange.client_events).size(), 1u);
  EXPECT_EQ(EventsOf<RpcResultEvent>(exchange.client_events)[0].call, *call);
  EXPECT_LT(absl::AbsDuration(link.client().time_offset() + absl::Seconds(100)), absl::Seconds(1));
  // Later calls go through at once.
  ASSERT_TRUE(link.client().Send(FakeQuery()).ok());
  const Link::Exchange again = link.Pump();
  EXPECT_TRUE(RejectionCodes(again.server_events).empty());
  EXPECT_EQ(EventsOf<RpcResultEvent>(again.client_events).size(), 1u);
}

TEST(SessionRoundTripTest, ClockBehindGets16AndIsCorrected) {
  Link::Options options = Link::QuietOptions();
  options.client_skew = -absl::Seconds(400);
  Link link(std::move(options));
  auto call = link.client().Send(FakeQuery());
  const Link::Exchange exchange = link.Pump();
  EXPECT_EQ(RejectionCodes(exchange.server_events), std::vector<int32_t>{16});
  ASSERT_EQ(EventsOf<RpcResultEvent>(exchange.client_events).size(), 1u);
  EXPECT_LT(absl::AbsDuration(link.client().time_offset() - absl::Seconds(400)), absl::Seconds(1));
}

TEST(SessionRoundTripTest, FutureSaltsAreFetchedAndUsed) {
  Link::Options options = Link::QuietOptions();
  options.client.future_salts_count = 8;
  options.client.salt_refresh_before = absl::Minutes(30);
  Link link(std::move(options));
  ASSERT_TRUE(link.client().Send(FakeQuery()).ok());
  Link::Exchange exchange = link.Pump();
  EXPECT_EQ(link.client().salts().future().size(), 8u);
  EXPECT_TRUE(RejectionCodes(exchange.server_events).empty());

  // Three hours on, the first salt (from the key exchange) has long expired on the server;
  // the client switches to the right stored salt by itself.
  for (int hour = 1; hour <= 3; ++hour) {
    link.clock().Advance(absl::Hours(1));
    auto call = link.client().Send(FakeQuery());
    exchange = link.Pump();
    EXPECT_TRUE(RejectionCodes(exchange.server_events).empty()) << "hour " << hour;
    ASSERT_EQ(EventsOf<RpcResultEvent>(exchange.client_events).size(), 1u);
    EXPECT_EQ(link.client().salt(),
              link.server().FindSalts(link.key().id())->Current(link.clock().now()));
  }
}

TEST(SessionRoundTripTest, WithoutFutureSaltsAnExpiredSaltIsRefreshedByTheServer) {
  Link link(Link::QuietOptions());
  ASSERT_TRUE(link.client().Send(FakeQuery()).ok());
  link.Pump();
  link.clock().Advance(absl::Hours(3));
  auto call = link.client().Send(FakeQuery());
  const Link::Exchange exchange = link.Pump();
  EXPECT_EQ(RejectionCodes(exchange.server_events), std::vector<int32_t>{48});
  ASSERT_EQ(EventsOf<RpcResultEvent>(exchange.client_events).size(), 1u);
}

TEST(SessionRoundTripTest, ReconnectResendsUnsentQueries) {
  Link link(Link::QuietOptions());
  auto call = link.client().Send(FakeQuery());
  EXPECT_EQ(link.TakeClientPackets().size(), 1u);  // lost with the connection
  link.client().OnReconnect();
  const Link::Exchange exchange = link.Pump();
  ASSERT_EQ(EventsOf<ServerRpcCallEvent>(exchange.server_events).size(), 1u);
  const auto results = EventsOf<RpcResultEvent>(exchange.client_events);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].call, *call);
}

TEST(SessionRoundTripTest, ReconnectAfterALostAnswerGetsTheAnswerOnce) {
  Link link(Link::QuietOptions());
  int answered = 0;
  link.on_rpc = [&](ServerSession& session, const ServerRpcCallEvent& call) {
    ++answered;
    session.SendRpcResult(call.req_msg_id, FakeObject(0x66666666, 2));
  };
  auto call = link.client().Send(FakeQuery());
  link.DeliverToServer(link.TakeClientPackets());
  EXPECT_EQ(link.TakeServerPackets().size(), 1u);  // answer lost with the connection
  link.client().OnReconnect();
  // The same msg_id goes again; the server recognises the duplicate and resends its answer.
  const Link::Exchange exchange = link.Pump();
  EXPECT_EQ(answered, 1);
  EXPECT_EQ(EventsOf<ServerDuplicateEvent>(exchange.server_events).size(), 1u);
  const auto results = EventsOf<RpcResultEvent>(exchange.client_events);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].call, *call);
}

TEST(SessionRoundTripTest, LargeLostAnswerComesBackThroughMsgDetailedInfo) {
  Link::Options options = Link::QuietOptions();
  options.server.resend_answer_max_size = 64;
  Link link(std::move(options));
  const std::string answer = FakeObject(0x77777777, 100);
  link.on_rpc = [&](ServerSession& session, const ServerRpcCallEvent& call) {
    session.SendRpcResult(call.req_msg_id, answer);
  };
  auto call = link.client().Send(FakeQuery());
  link.DeliverToServer(link.TakeClientPackets());
  link.TakeServerPackets();  // lost
  link.client().OnReconnect();
  // duplicate -> msg_detailed_info -> msg_resend_req -> the answer with its original msg_id.
  const Link::Exchange exchange = link.Pump();
  const auto results = EventsOf<RpcResultEvent>(exchange.client_events);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].call, *call);
  EXPECT_EQ(results[0].body, answer);
}

TEST(SessionRoundTripTest, AcknowledgedQueryWaitsForTheServersResend) {
  Link link(Link::QuietOptions());
  ServerRpcCallEvent pending;
  link.on_rpc = [&](ServerSession&, const ServerRpcCallEvent& call) { pending = call; };
  auto call = link.client().Send(FakeQuery());
  link.Pump();  // the server acknowledges, answers later
  ASSERT_NE(pending.req_msg_id, 0);
  link.server_session()->SendRpcResult(pending.req_msg_id, FakeObject(0x12121212, 1));
  link.TakeServerPackets();  // lost
  link.client().OnReconnect();
  EXPECT_TRUE(link.TakeClientPackets().empty());  // nothing to resend: the server has it
  link.server_session()->ResendUnacked();
  const auto events = link.DeliverToClient(link.TakeServerPackets());
  const auto results = EventsOf<RpcResultEvent>(events);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].call, *call);
}

TEST(SessionRoundTripTest, RpcErrorsAreParsed) {
  Link link(Link::QuietOptions());
  const std::vector<std::pair<int, std::string>> errors = {
      {420, "FLOOD_WAIT_42"}, {303, "PHONE_MIGRATE_2"}, {401, "AUTH_KEY_UNREGISTERED"}};
  size_t next = 0;
  link.on_rpc = [&](ServerSession& session, const ServerRpcCallEvent& call) {
    session.SendRpcError(call.req_msg_id, errors[next].first, errors[next].second);
    ++next;
  };
  std::vector<CallId> calls;
  for (size_t i = 0; i < errors.size(); ++i) calls.push_back(*link.client().Send(FakeQuery()));
  const auto failures = EventsOf<RpcErrorEvent>(link.Pump().client_events);
  ASSERT_EQ(failures.size(), 3u);
  EXPECT_EQ(failures[0].call, calls[0]);
  EXPECT_EQ(failures[0].error.code, 420);
  EXPECT_EQ(failures[0].error.type, "FLOOD_WAIT");
  EXPECT_EQ(failures[0].error.argument, 42);
  EXPECT_EQ(failures[1].error.code, 303);
  EXPECT_EQ(failures[1].error.type, "PHONE_MIGRATE");
  EXPECT_EQ(failures[1].error.argument, 2);
  EXPECT_EQ(failures[2].error.code, 401);
  EXPECT_EQ(failures[2].error.type, "AUTH_KEY_UNREGISTERED");
  EXPECT_FALSE(failures[2].error.argument.has_value());
}

TEST(SessionRoundTripTest, UpdatesArePassedUpAndAcknowledged) {
  Link link(Link::QuietOptions());
  ASSERT_TRUE(link.client().Send(FakeQuery()).ok());
  link.Pump();
  const std::string update = FakeObject(0x74ae4240, 6);
  link.server_session()->PushUpdate(update);
  const auto updates = EventsOf<UpdateEvent>(link.DeliverToClient(link.TakeServerPackets()));
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].body, update);
  EXPECT_EQ(updates[0].msg_id % 4, 3);  // not a response
  link.client().FlushAcks();
  link.DeliverToServer(link.TakeClientPackets());
  EXPECT_EQ(link.server_session()->unacked_count(), 0u);
}

TEST(SessionRoundTripTest, KeepalivePingAndTimeout) {
  Link::Options options = Link::QuietOptions();
  options.client.ping_interval = absl::Seconds(10);
  options.client.pong_timeout = absl::Seconds(5);
  options.client.ping_disconnect_delay = 35;
  Link link(std::move(options));
  EXPECT_EQ(link.client().NextTickTime(), link.clock().now() + absl::Seconds(10));
  link.clock().Advance(absl::Seconds(10));
  EXPECT_TRUE(link.client().OnTick().empty());
  link.clock().Advance(absl::Milliseconds(30));
  const Link::Exchange exchange = link.Pump();
  const auto delays = EventsOf<ServerPingDelayDisconnectEvent>(exchange.server_events);
  ASSERT_EQ(delays.size(), 1u);
  EXPECT_EQ(delays[0].disconnect_delay, 35);
  const auto pongs = EventsOf<PongEvent>(exchange.client_events);
  ASSERT_EQ(pongs.size(), 1u);
  EXPECT_TRUE(EventsOf<RpcResultEvent>(exchange.client_events).empty());

  // The next pong never comes.
  link.clock().Advance(absl::Seconds(10));
  link.client().OnTick();
  link.TakeClientPackets();
  link.clock().Advance(absl::Seconds(5));
  const auto timeouts = EventsOf<KeepaliveTimeoutEvent>(link.client().OnTick());
  EXPECT_EQ(timeouts.size(), 1u);
}

TEST(SessionRoundTripTest, DestroySessionOfAnotherSession) {
  Link link(Link::QuietOptions());
  ASSERT_TRUE(link.client().Send(FakeQuery()).ok());
  link.Pump();
  // A second session on the same key asks the server to forget the first.
  ClientSessionOptions options;
  options.clock = link.clock().AsClock();
  options.random = testing::SeededRandom(1234);
  options.salt = link.client().salt();
  options.ping_interval = absl::ZeroDuration();
  options.future_salts_count = 0;
  ClientSession second(link.key(), std::move(options));
  mtp::destroy_session destroy;
  destroy.session_id = static_cast<int64_t>(link.client().session_id());
  auto call = second.Send(SerializeService(destroy));
  ASSERT_TRUE(call.ok());
  auto packet = second.BuildPacket();
  ASSERT_TRUE(packet.ok() && packet->has_value());
  std::string bytes = **packet;
  auto incoming = link.server().OnPacket(
      absl::MakeSpan(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size()));
  ASSERT_TRUE(incoming.ok()) << incoming.status();
  ASSERT_EQ(EventsOf<ServerSessionDestroyedEvent>(incoming->events).size(), 1u);
  EXPECT_EQ(link.server_session(), nullptr);

  std::vector<Event> events;
  while (true) {
    auto answer = incoming->session->BuildPacket();
    ASSERT_TRUE(answer.ok());
    if (!answer->has_value()) break;
    std::string answer_bytes = **answer;
    auto got = second.OnPacket(
        absl::MakeSpan(reinterpret_cast<uint8_t*>(answer_bytes.data()), answer_bytes.size()));
    ASSERT_TRUE(got.ok());
    for (Event& e : *got) events.push_back(std::move(e));
  }
  const auto results = EventsOf<RpcResultEvent>(events);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].call, *call);
  EXPECT_EQ(ConstructorId(results[0].body), mtp::destroy_session_ok::kId);
}

TEST(SessionRoundTripTest, CancelDropsTheAnswer) {
  Link link(Link::QuietOptions());
  ServerRpcCallEvent pending;
  link.on_rpc = [&](ServerSession&, const ServerRpcCallEvent& call) { pending = call; };
  auto call = link.client().Send(FakeQuery());
  link.Pump();
  link.client().Cancel(*call);
  EXPECT_EQ(link.client().pending_calls(), 0u);
  const Link::Exchange exchange = link.Pump();  // rpc_drop_answer -> rpc_answer_dropped_running
  EXPECT_TRUE(exchange.client_events.empty());
  link.server_session()->SendRpcResult(pending.req_msg_id, FakeObject(0x12121212, 1));
  EXPECT_FALSE(link.server_session()->HasPendingOutput());
}

TEST(SessionRoundTripTest, ServerStateRequestIsAnswered) {
  Link link(Link::QuietOptions());
  ASSERT_TRUE(link.client().Send(FakeQuery()).ok());
  link.Pump();
  mtp::msgs_state_req request;
  request.msg_ids = {1, 3};
  link.server_session()->PushUpdate(SerializeService(request));
  link.DeliverToClient(link.TakeServerPackets());
  std::vector<std::string> packets = link.TakeClientPackets();
  ASSERT_EQ(packets.size(), 1u);
  const testing::DecodedPacket decoded =
      testing::DecodePacket(crypto::PacketCipher(link.key(), crypto::Role::kServer), packets[0]);
  bool found = false;
  for (const testing::WireMessage& m : decoded.messages) {
    if (m.id() != mtp::msgs_state_info::kId) continue;
    auto info = ParseService<mtp::msgs_state_info>(m.body);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->info, std::string("\x01\x01", 2));  // older than anything received
    EXPECT_EQ(m.seqno % 2, 0);
    found = true;
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace tgrpc::mtproto::session
