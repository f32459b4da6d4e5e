// The server role against a hand-rolled client: every rule it enforces, and its answers.
#include "mtproto/session/server_session.h"

#include <optional>
#include <string>
#include <vector>

#include "base/fake_clock.h"
#include "gtest/gtest.h"
#include "mtproto/session/msg_id.h"
#include "mtproto/session/session_server.h"
#include "mtproto/session/session_test_util.h"
#include "mtproto/session/wire.h"
#include "tl/generated/mtp.h"

namespace tgrpc::mtproto::session {
namespace {

namespace mtp = ::tgrpc::tl::mtp;
using testing::EventsOf;
using testing::FakeObject;
using testing::FakeQuery;
using testing::WireMessage;

constexpr uint64_t kFirstSalt = 0xf1f1f1f1f1f1f1f1;
constexpr uint64_t kSession = 0x5e55;

class ServerSessionTest : public ::testing::Test {
 protected:
  ServerSessionTest() : key_(testing::TestAuthKey(3)), client_cipher_(key_, crypto::Role::kClient) {
    options_.clock = clock_.AsClock();
    options_.random = testing::SeededRandom(11);
  }

  SessionServer& server() {
    if (server_ == nullptr) {
      server_ = std::make_unique<SessionServer>(
          [this](uint64_t id) -> std::optional<ServerKey> {
            if (id != key_.id()) return std::nullopt;
            return ServerKey{key_, kFirstSalt};
          },
          options_);
    }
    return *server_;
  }

  int64_t NextId() { return ids_.Next(clock_.now(), MsgIdKind::kClient); }

  std::vector<ServerEvent> Send(int64_t msg_id, int32_t seqno, const std::string& body,
                                uint64_t salt = kFirstSalt, uint64_t session = kSession) {
    crypto::MessageHeader header{salt, session, static_cast<uint64_t>(msg_id),
                                 static_cast<uint32_t>(seqno)};
    // Through encryption, as a real packet.
    std::string packet = testing::EncryptPacket(client_cipher_, header, body);
    auto incoming =
        server().OnPacket(absl::MakeSpan(reinterpret_cast<uint8_t*>(packet.data()), packet.size()));
    EXPECT_TRUE(incoming.ok()) << incoming.status();
    if (!incoming.ok()) return {};
    for (const ServerEvent& event : incoming->events) {
      if (const auto* call = std::get_if<ServerRpcCallEvent>(&event); call && answer_rpcs_) {
        incoming->session->SendRpcResult(call->req_msg_id, FakeObject(0x600d, 1));
      }
    }
    return incoming->events;
  }
  // A content-related query with the next msg_id and seq_no.
  int64_t SendQuery(std::vector<ServerEvent>* events = nullptr) {
    const int64_t id = NextId();
    auto got = Send(id, seqno_.Next(true), FakeQuery());
    if (events != nullptr) *events = got;
    return id;
  }

  ServerSession* session() { return server().FindSession(key_.id(), kSession); }

  // Everything the session has to send, decoded and flattened.
  std::vector<testing::DecodedPacket> Packets() {
    std::vector<testing::DecodedPacket> packets;
    if (session() == nullptr) return packets;
    while (true) {
      auto packet = session()->BuildPacket();
      EXPECT_TRUE(packet.ok()) << packet.status();
      if (!packet.ok() || !packet->has_value()) break;
      packets.push_back(testing::DecodePacket(client_cipher_, **packet));
    }
    return packets;
  }
  std::vector<WireMessage> Replies() {
    std::vector<WireMessage> all;
    for (testing::DecodedPacket& packet : Packets()) {
      for (WireMessage& m : packet.messages) all.push_back(std::move(m));
    }
    return all;
  }
  // The error code of the bad_msg_notification (or bad_server_salt) about `msg_id`, or 0.
  static int BadMsgCode(const std::vector<WireMessage>& replies, int64_t msg_id) {
    for (const WireMessage& m : replies) {
      if (auto bad = ParseService<mtp::bad_msg_notification>(m.body);
          bad.ok() && bad->bad_msg_id == msg_id) {
        EXPECT_EQ(m.msg_id % 4, 1);  // a response
        return bad->error_code;
      }
      if (auto bad = ParseService<mtp::bad_server_salt>(m.body);
          bad.ok() && bad->bad_msg_id == msg_id) {
        return bad->error_code;
      }
    }
    return 0;
  }
  int Code(int64_t msg_id) { return BadMsgCode(Replies(), msg_id); }

  // Starts the session with one accepted query and drains the answers.
  void Start() {
    SendQuery();
    Replies();
  }

  base::FakeClock clock_{testing::TestStart()};
  crypto::AuthKey key_;
  crypto::PacketCipher client_cipher_;
  ServerSessionOptions options_;
  std::unique_ptr<SessionServer> server_;
  MsgIdGenerator ids_;
  SeqNoCounter seqno_;
  bool answer_rpcs_ = true;
};

TEST_F(ServerSessionTest, FirstMessageCreatesTheSession) {
  std::vector<ServerEvent> events;
  const int64_t id = SendQuery(&events);
  const auto created = EventsOf<ServerSessionCreatedEvent>(events);
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].first_msg_id, id);
  const auto calls = EventsOf<ServerRpcCallEvent>(events);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].req_msg_id, id);
  EXPECT_EQ(calls[0].body, FakeQuery());

  const std::vector<testing::DecodedPacket> packets = Packets();
  ASSERT_EQ(packets.size(), 1u);
  const testing::DecodedPacket& packet = packets[0];
  EXPECT_TRUE(packet.container);
  EXPECT_EQ(packet.header.session_id, kSession);
  EXPECT_EQ(packet.header.msg_id % 4, 3u);
  EXPECT_EQ(packet.header.seq_no % 2, 0u);
  ASSERT_EQ(packet.messages.size(), 3u);
  // msgs_ack, new_session_created, rpc_result.
  EXPECT_EQ(packet.messages[0].id(), mtp::msgs_ack::kId);
  EXPECT_EQ(packet.messages[0].seqno % 2, 0);
  auto created_msg = ParseService<mtp::new_session_created>(packet.messages[1].body);
  ASSERT_TRUE(created_msg.ok());
  EXPECT_EQ(created_msg->first_msg_id, id);
  EXPECT_EQ(static_cast<uint64_t>(created_msg->server_salt),
            server().FindSalts(key_.id())->Current(clock_.now()));
  EXPECT_EQ(packet.messages[1].msg_id % 4, 3);
  EXPECT_EQ(packet.messages[1].seqno, 1);
  auto result = ParseRpcResult(packet.messages[2].body);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->req_msg_id, id);
  EXPECT_EQ(packet.messages[2].msg_id % 4, 1);
  EXPECT_EQ(packet.messages[2].seqno, 3);
  EXPECT_GT(packet.messages[2].msg_id, packet.messages[1].msg_id);
  EXPECT_GT(static_cast<int64_t>(packet.header.msg_id), packet.messages[2].msg_id);
}

TEST_F(ServerSessionTest, UpdatesAreContentRelatedAndNotResponses) {
  Start();
  session()->PushUpdate(FakeObject(0x74ae4240, 1));
  session()->PushUpdate(FakeObject(0x74ae4240, 2));
  const std::vector<WireMessage> replies = Replies();
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].msg_id % 4, 3);
  EXPECT_EQ(replies[1].msg_id % 4, 3);
  EXPECT_EQ(replies[0].seqno % 2, 1);
  EXPECT_EQ(replies[1].seqno, replies[0].seqno + 2);
}

TEST_F(ServerSessionTest, Code16And17MsgIdTime) {
  Start();
  const int64_t old_id = MsgIdAt(clock_.now() - absl::Seconds(301));
  auto events = Send(old_id, seqno_.Next(true), FakeQuery());
  EXPECT_EQ(Code(old_id), 16);
  ASSERT_EQ(EventsOf<ServerRejectedEvent>(events).size(), 1u);
  EXPECT_EQ(EventsOf<ServerRejectedEvent>(events)[0].error_code, 16);
  EXPECT_TRUE(EventsOf<ServerRpcCallEvent>(events).empty());

  const int64_t future_id = MsgIdAt(clock_.now() + absl::Seconds(31));
  Send(future_id, seqno_.Next(true), FakeQuery());
  EXPECT_EQ(Code(future_id), 17);

  // Inside the window both ways is fine.
  const int64_t edge_id = MsgIdAt(clock_.now() + absl::Seconds(29));
  Send(edge_id, seqno_.Next(true), FakeQuery());
  EXPECT_EQ(Code(edge_id), 0);
}

TEST_F(ServerSessionTest, Code16ForAnOldMessageInsideAContainer) {
  Start();
  const int64_t old_id = MsgIdAt(clock_.now() - absl::Seconds(400));
  const int64_t good_id = NextId();
  const int64_t container_id = NextId();
  auto events = Send(container_id, 6,
                     testing::Container({{old_id, seqno_.Next(true), FakeQuery(1)},
                                         {good_id, seqno_.Next(true), FakeQuery(2)}}));
  EXPECT_EQ(EventsOf<ServerRpcCallEvent>(events).size(), 1u);
  EXPECT_EQ(Code(old_id), 16);
}

TEST_F(ServerSessionTest, Code18MsgIdParity) {
  Start();
  const int64_t id = NextId() + 2;
  Send(id, seqno_.Next(true), FakeQuery());
  EXPECT_EQ(Code(id), 18);
}

TEST_F(ServerSessionTest, Code19ContainerMsgIdReused) {
  Start();
  const int64_t a = NextId();
  const int64_t container = NextId();
  Send(container, 4, testing::Container({{a, seqno_.Next(true), FakeQuery(1)}}));
  Replies();
  const int64_t b = NextId();
  Send(container, 6, testing::Container({{b, seqno_.Next(true), FakeQuery(2)}}));
  EXPECT_EQ(Code(container), 19);
  // A container whose msg_id was a plain message's.
  const int64_t plain = SendQuery();
  Replies();
  Send(plain, 8, testing::Container({{NextId() - 8, seqno_.Next(true), FakeQuery(3)}}));
  EXPECT_EQ(Code(plain), 19);
}

TEST_F(ServerSessionTest, Code20BelowTheRememberedWindow) {
  options_.received_window = 4;
  const int64_t early = NextId();
  for (int i = 0; i < 6; ++i) SendQuery();
  Replies();
  Send(early - 4, seqno_.Next(true), FakeQuery());
  EXPECT_EQ(Code(early - 4), 20);
}

TEST_F(ServerSessionTest, Code32And33SeqNoOrder) {
  Start();
  clock_.Advance(absl::Seconds(1));
  const int64_t a = NextId();
  Send(a, 11, FakeQuery());
  const int64_t b = NextId();
  Send(b, 9, FakeQuery());  // lower seq_no than an earlier msg_id
  EXPECT_EQ(Code(b), 32);
  const int64_t c = NextId();
  Send(c, 11, FakeQuery());  // the same odd seq_no again
  EXPECT_EQ(Code(c), 32);
  const int64_t d = a - 4;  // before a, but a higher seq_no than a's
  Send(d, 13, FakeQuery());
  EXPECT_EQ(Code(d), 33);
  const int64_t e = NextId();
  Send(e, 13, FakeQuery());
  EXPECT_EQ(Code(e), 0);
}

TEST_F(ServerSessionTest, Code34And35SeqNoParity) {
  Start();
  mtp::msgs_ack ack;
  ack.msg_ids = {1};
  const int64_t odd_ack = NextId();
  // Accepted, as Telegram does (mtcute sends acks so).
  Send(odd_ack, 3, SerializeService(ack));
  EXPECT_EQ(Code(odd_ack), 0);
  const int64_t container = NextId() + 4;
  Send(container, 5, testing::Container({{container - 4, 3, FakeQuery()}}));
  EXPECT_EQ(Code(container), 34);
  const int64_t even_query = NextId();
  Send(even_query, 4, FakeQuery());
  EXPECT_EQ(Code(even_query), 35);
  // Service messages are accepted either way.
  mtp::ping ping;
  ping.ping_id = 1;
  const int64_t even_ping = NextId();
  Send(even_ping, 4, SerializeService(ping));
  EXPECT_EQ(Code(even_ping), 0);
}

TEST_F(ServerSessionTest, Code48BadServerSaltAndSaltGrace) {
  options_.salt_period = absl::Hours(1);
  options_.salt_grace = absl::Minutes(30);
  options_.first_salt_lifetime = absl::Minutes(10);
  // The key exchange's salt works at first.
  EXPECT_EQ(BadMsgCode(Replies(), SendQuery()), 0);
  Replies();
  const int64_t wrong = NextId();
  auto events = Send(wrong, seqno_.Next(true), FakeQuery(), 12345);
  EXPECT_TRUE(EventsOf<ServerRpcCallEvent>(events).empty());
  std::vector<WireMessage> replies = Replies();
  EXPECT_EQ(BadMsgCode(replies, wrong), 48);
  ServerSalts& salts = *server().FindSalts(key_.id());
  auto bad = ParseService<mtp::bad_server_salt>(replies.back().body);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(static_cast<uint64_t>(bad->new_server_salt), salts.Current(clock_.now()));
  EXPECT_EQ(replies.back().msg_id % 4, 1);

  // After its lifetime the first salt is refused.
  clock_.Advance(absl::Minutes(11));
  const int64_t stale = NextId();
  Send(stale, seqno_.Next(true), FakeQuery());
  EXPECT_EQ(Code(stale), 48);

  // The salt of the previous period is accepted for the grace time, then refused.
  const uint64_t salt = salts.Current(clock_.now());
  clock_.Advance(absl::Hours(1));
  const uint64_t next_salt = salts.Current(clock_.now());
  ASSERT_NE(salt, next_salt);
  const absl::Duration into_period = (clock_.now() - absl::UnixEpoch()) -
                                     absl::Floor(clock_.now() - absl::UnixEpoch(), absl::Hours(1));
  if (into_period < absl::Minutes(30)) {
    const int64_t grace = NextId();
    Send(grace, seqno_.Next(true), FakeQuery(), salt);
    EXPECT_EQ(Code(grace), 0);
  }
  clock_.Advance(absl::Minutes(31));
  const int64_t late = NextId();
  Send(late, seqno_.Next(true), FakeQuery(), salt);
  EXPECT_EQ(Code(late), 48);
}

TEST_F(ServerSessionTest, Code64InvalidContainers) {
  Start();
  {  // inner msg_id not below the container's
    const int64_t container = NextId();
    Send(container, 2, testing::Container({{container + 4, seqno_.Next(true), FakeQuery()}}));
    EXPECT_EQ(Code(container), 64);
  }
  {  // the same inner msg_id twice
    const int64_t inner = NextId();
    const int64_t container = NextId();
    Send(container, 4,
         testing::Container(
             {{inner, seqno_.Next(true), FakeQuery()}, {inner, seqno_.Next(true), FakeQuery()}}));
    EXPECT_EQ(Code(container), 64);
  }
  {  // truncated
    const int64_t container = NextId();
    const std::string body = testing::Container({{container - 4, 1, FakeQuery()}});
    Send(container, 4, body.substr(0, body.size() - 4));
    EXPECT_EQ(Code(container), 64);
  }
  {  // nested
    const int64_t outer = NextId() + 8;
    const std::string inner = testing::Container({{outer - 8, 1, FakeQuery()}});
    Send(outer, 4, testing::Container({{outer - 4, 2, inner}}));
    EXPECT_EQ(Code(outer), 64);
  }
  {  // a container hidden in gzip_packed
    const int64_t id = NextId();
    const std::string inner = testing::Container({{id - 4, 1, FakeQuery()}});
    Send(id, seqno_.Next(true), *PackGzip(inner));
    EXPECT_EQ(Code(id), 64);
  }
}

TEST_F(ServerSessionTest, Code64TooManyMessagesInAContainer) {
  options_.max_container_messages = 2;
  Start();
  const int64_t a = NextId();
  const int64_t b = NextId();
  const int64_t c = NextId();
  const int64_t container = NextId();
  Send(container, 8,
       testing::Container({{a, seqno_.Next(true), FakeQuery(1)},
                           {b, seqno_.Next(true), FakeQuery(2)},
                           {c, seqno_.Next(true), FakeQuery(3)}}));
  EXPECT_EQ(Code(container), 64);
}

TEST_F(ServerSessionTest, DuplicateQueryGetsItsSmallAnswerAgain) {
  std::vector<ServerEvent> events;
  const int64_t id = SendQuery(&events);
  EXPECT_EQ(EventsOf<ServerRpcCallEvent>(events).size(), 1u);
  int64_t answer_id = 0;
  for (const WireMessage& m : Replies()) {
    if (m.id() == mtp::rpc_result::kId) answer_id = m.msg_id;
  }
  ASSERT_NE(answer_id, 0);

  events = Send(id, 1, FakeQuery());
  EXPECT_TRUE(EventsOf<ServerRpcCallEvent>(events).empty());
  ASSERT_EQ(EventsOf<ServerDuplicateEvent>(events).size(), 1u);
  // The answer comes again, with its original msg_id.
  bool resent = false;
  for (const WireMessage& m : Replies()) resent |= m.msg_id == answer_id;
  EXPECT_TRUE(resent);
}

TEST_F(ServerSessionTest, DuplicateQueryWithALargeAnswerGetsMsgDetailedInfo) {
  options_.resend_answer_max_size = 4;
  const int64_t id = SendQuery();
  int64_t answer_id = 0;
  for (const WireMessage& m : Replies()) {
    if (m.id() == mtp::rpc_result::kId) answer_id = m.msg_id;
  }
  auto events = Send(id, 1, FakeQuery());
  EXPECT_TRUE(EventsOf<ServerRpcCallEvent>(events).empty());
  bool detailed = false;
  for (const WireMessage& m : Replies()) {
    if (auto info = ParseService<mtp::msg_detailed_info>(m.body); info.ok()) {
      detailed = true;
      EXPECT_EQ(info->msg_id, id);
      EXPECT_EQ(info->answer_msg_id, answer_id);
      EXPECT_GT(info->bytes, 0);
      EXPECT_EQ(m.seqno % 2, 0);
    }
  }
  EXPECT_TRUE(detailed);
}

TEST_F(ServerSessionTest, PingAndPingDelayDisconnect) {
  Start();
  mtp::ping ping;
  ping.ping_id = 99;
  const int64_t ping_id = NextId();
  Send(ping_id, seqno_.Next(true), SerializeService(ping));
  std::vector<WireMessage> replies = Replies();
  bool ponged = false;
  for (const WireMessage& m : replies) {
    if (auto pong = ParseService<mtp::pong>(m.body); pong.ok()) {
      ponged = true;
      EXPECT_EQ(pong->msg_id, ping_id);
      EXPECT_EQ(pong->ping_id, 99);
      EXPECT_EQ(m.msg_id % 4, 1);
    }
  }
  EXPECT_TRUE(ponged);

  mtp::ping_delay_disconnect delayed;
  delayed.ping_id = 5;
  delayed.disconnect_delay = 75;
  auto events = Send(NextId(), seqno_.Next(true), SerializeService(delayed));
  const auto delays = EventsOf<ServerPingDelayDisconnectEvent>(events);
  ASSERT_EQ(delays.size(), 1u);
  EXPECT_EQ(delays[0].disconnect_delay, 75);
}

TEST_F(ServerSessionTest, GetFutureSalts) {
  Start();
  mtp::get_future_salts request;
  request.num = 100;  // capped at 64
  const int64_t id = NextId();
  Send(id, seqno_.Next(true), SerializeService(request));
  std::optional<mtp::future_salts> salts;
  for (const WireMessage& m : Replies()) {
    if (auto parsed = ParseService<mtp::future_salts>(m.body); parsed.ok()) {
      salts = *std::move(parsed);
      EXPECT_EQ(m.seqno % 2, 1);
    }
  }
  ASSERT_TRUE(salts.has_value());
  EXPECT_EQ(salts->req_msg_id, id);
  EXPECT_EQ(salts->now, absl::ToUnixSeconds(clock_.now()));
  ASSERT_EQ(salts->salts.size(), 64u);
  EXPECT_EQ(static_cast<uint64_t>(salts->salts[0].salt),
            server().FindSalts(key_.id())->Current(clock_.now()));
  EXPECT_LE(salts->salts[0].valid_since, salts->now);
  EXPECT_GT(salts->salts[0].valid_until, salts->now);
  EXPECT_GT(salts->salts[1].valid_since, salts->salts[0].valid_since);
  // The announced salts are the ones accepted later.
  clock_.Advance(absl::Hours(2) + absl::Minutes(1));
  const int64_t later = NextId();
  Send(later, seqno_.Next(true), FakeQuery(), static_cast<uint64_t>(salts->salts[2].salt));
  EXPECT_EQ(Code(later), 0);
}

TEST_F(ServerSessionTest, MsgsStateReq) {
  answer_rpcs_ = false;
  const int64_t pending = SendQuery();
  Replies();  // the query is acknowledged
  answer_rpcs_ = true;
  const int64_t answered = SendQuery();
  Replies();
  mtp::msgs_state_req request;
  request.msg_ids = {pending, answered, pending - 400, answered + 4000};
  const int64_t id = NextId();
  Send(id, seqno_.Next(true), SerializeService(request));
  std::optional<mtp::msgs_state_info> info;
  for (const WireMessage& m : Replies()) {
    if (auto parsed = ParseService<mtp::msgs_state_info>(m.body); parsed.ok())
      info = *std::move(parsed);
  }
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->req_msg_id, id);
  ASSERT_EQ(info->info.size(), 4u);
  EXPECT_EQ(static_cast<uint8_t>(info->info[0]), 4 | 8 | 32);
  EXPECT_EQ(static_cast<uint8_t>(info->info[1]), 4 | 8 | 32 | 64);
  EXPECT_EQ(static_cast<uint8_t>(info->info[2]), 1);
  EXPECT_EQ(static_cast<uint8_t>(info->info[3]), 3);
}

TEST_F(ServerSessionTest, MsgResendReq) {
  Start();
  session()->PushUpdate(FakeObject(0x74ae4240, 1));
  const std::vector<WireMessage> sent = Replies();
  ASSERT_EQ(sent.size(), 1u);
  mtp::msg_resend_req request;
  request.msg_ids = {sent[0].msg_id};
  Send(NextId(), seqno_.Next(true), SerializeService(request));
  bool resent = false;
  for (const WireMessage& m : Replies()) {
    if (m.msg_id == sent[0].msg_id) {
      resent = true;
      EXPECT_EQ(m.seqno, sent[0].seqno);
      EXPECT_EQ(m.body, sent[0].body);
    }
  }
  EXPECT_TRUE(resent);
  // Unknown ids: msgs_state_info instead.
  request.msg_ids = {sent[0].msg_id + 4000};
  Send(NextId(), seqno_.Next(true), SerializeService(request));
  bool answered = false;
  for (const WireMessage& m : Replies()) answered |= m.id() == mtp::msgs_state_info::kId;
  EXPECT_TRUE(answered);
  // Acknowledged messages are forgotten.
  mtp::msgs_ack ack;
  ack.msg_ids = {sent[0].msg_id};
  EXPECT_GT(session()->unacked_count(), 0u);
  Send(NextId(), seqno_.Next(false), SerializeService(ack));
  const size_t left = session()->unacked_count();
  session()->ResendUnacked();
  for (const WireMessage& m : Replies()) EXPECT_NE(m.msg_id, sent[0].msg_id);
  (void)left;
}

TEST_F(ServerSessionTest, BigResultsAreGzipped) {
  options_.compress_min_size = 256;
  answer_rpcs_ = false;
  std::vector<ServerEvent> events;
  const int64_t id = SendQuery(&events);
  std::string big;
  for (int i = 0; i < 200; ++i) big += FakeObject(0x1, 1, 0);
  session()->SendRpcResult(id, big);
  for (const WireMessage& m : Replies()) {
    if (m.id() != mtp::rpc_result::kId) continue;
    auto result = ParseRpcResult(m.body);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(ConstructorId(result->result), mtp::gzip_packed::kId);
    EXPECT_EQ(*UnpackGzip(result->result, 1 << 20), big);
  }
}

TEST_F(ServerSessionTest, GzipQueriesAreInflatedAndBadGzipDropped) {
  Start();
  const std::string query = testing::BigQuery(2048);
  auto events = Send(NextId(), seqno_.Next(true), *PackGzip(query));
  const auto calls = EventsOf<ServerRpcCallEvent>(events);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].body, query);
  events = Send(NextId(), seqno_.Next(true), std::string("\xa1\xcf\x72\x30\x03zzz", 8));
  const auto rejected = EventsOf<ServerRejectedEvent>(events);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].error_code, 0);
}

TEST_F(ServerSessionTest, PacketErrors) {
  std::string packet =
      testing::EncryptPacket(client_cipher_, {kFirstSalt, kSession, 4, 1}, FakeQuery());
  std::string tampered = packet;
  tampered[50] ^= 1;
  EXPECT_EQ(
      server()
          .OnPacket(absl::MakeSpan(reinterpret_cast<uint8_t*>(tampered.data()), tampered.size()))
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  const crypto::AuthKey other = testing::TestAuthKey(4);
  std::string foreign = testing::EncryptPacket(crypto::PacketCipher(other, crypto::Role::kClient),
                                               {kFirstSalt, kSession, 4, 1}, FakeQuery());
  EXPECT_EQ(
      server()
          .OnPacket(absl::MakeSpan(reinterpret_cast<uint8_t*>(foreign.data()), foreign.size()))
          .status()
          .code(),
      absl::StatusCode::kNotFound);
}

TEST_F(ServerSessionTest, SessionLimitPerKey) {
  options_.max_sessions_per_key = 2;
  crypto::MessageHeader header{kFirstSalt, 1, static_cast<uint64_t>(NextId()), 1};
  EXPECT_TRUE(server().OnMessage(key_.id(), header, FakeQuery()).ok());
  header.session_id = 2;
  EXPECT_TRUE(server().OnMessage(key_.id(), header, FakeQuery()).ok());
  header.session_id = 3;
  EXPECT_EQ(server().OnMessage(key_.id(), header, FakeQuery()).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(ServerSessionTest, DestroySessionAndDropAnswer) {
  Start();
  mtp::destroy_session destroy;
  destroy.session_id = 0x999;
  Send(NextId(), seqno_.Next(true), SerializeService(destroy));
  bool none = false;
  for (const WireMessage& m : Replies()) none |= m.id() == mtp::destroy_session_none::kId;
  EXPECT_TRUE(none);

  mtp::rpc_drop_answer drop;
  drop.req_msg_id = 12345;
  const int64_t id = NextId();
  Send(id, seqno_.Next(true), SerializeService(drop));
  bool unknown = false;
  for (const WireMessage& m : Replies()) {
    if (auto result = ParseRpcResult(m.body); result.ok() && result->req_msg_id == id) {
      unknown = ConstructorId(result->result) == mtp::rpc_answer_unknown::kId;
    }
  }
  EXPECT_TRUE(unknown);
}

}  // namespace
}  // namespace tgrpc::mtproto::session
