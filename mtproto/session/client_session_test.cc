// ClientSession against a scripted server: hand-made server packets, decoded client packets.
#include "mtproto/session/client_session.h"

#include <memory>
#include <string>
#include <vector>

#include "base/fake_clock.h"
#include "gtest/gtest.h"
#include "mtproto/session/gzip.h"
#include "mtproto/session/session_test_util.h"
#include "mtproto/session/wire.h"
#include "tl/generated/mtp.h"

namespace tgrpc::mtproto::session {
namespace {

namespace mtp = ::tgrpc::tl::mtp;
using testing::DecodedPacket;
using testing::EventsOf;
using testing::FakeObject;
using testing::FakeQuery;
using testing::WireMessage;

constexpr uint64_t kSalt = 0x1111222233334444;

class ClientSessionTest : public ::testing::Test {
 protected:
  ClientSessionTest() : key_(testing::TestAuthKey()), server_cipher_(key_, crypto::Role::kServer) {
    options_.clock = clock_.AsClock();
    options_.random = testing::SeededRandom(5);
    options_.salt = kSalt;
    options_.session_id = 0xabcdef;
    options_.ping_interval = absl::ZeroDuration();
    options_.future_salts_count = 0;
    options_.ack_delay = absl::Seconds(30);
  }

  ClientSession& client() {
    if (client_ == nullptr) client_ = std::make_unique<ClientSession>(key_, options_);
    return *client_;
  }

  CallId Send(std::string body, SendOptions send_options = {}) {
    auto call = client().Send(std::move(body), send_options);
    EXPECT_TRUE(call.ok()) << call.status();
    return call.ok() ? *call : 0;
  }

  // The client's next packet, decoded.
  DecodedPacket Next() {
    auto packet = client().BuildPacket();
    EXPECT_TRUE(packet.ok()) << packet.status();
    if (!packet.ok() || !packet->has_value()) {
      ADD_FAILURE() << "no packet";
      return {};
    }
    return testing::DecodePacket(server_cipher_, **packet);
  }
  bool Idle() {
    auto packet = client().BuildPacket();
    return packet.ok() && !packet->has_value();
  }

  int64_t ServerMsgId(MsgIdKind kind = MsgIdKind::kServerResponse) {
    return server_ids_.Next(clock_.now(), kind);
  }

  // Sends server messages as one packet (a container if several).
  std::vector<Event> Deliver(std::vector<WireMessage> messages, uint64_t session_id = 0) {
    crypto::MessageHeader header;
    header.salt = kSalt;
    header.session_id = session_id != 0 ? session_id : client().session_id();
    std::string body;
    if (messages.size() == 1) {
      header.msg_id = static_cast<uint64_t>(messages[0].msg_id);
      header.seq_no = static_cast<uint32_t>(messages[0].seqno);
      body = messages[0].body;
    } else {
      header.msg_id = static_cast<uint64_t>(ServerMsgId(MsgIdKind::kServerOther));
      header.seq_no = 0;
      body = testing::Container(messages);
    }
    std::string packet = testing::EncryptPacket(server_cipher_, header, body);
    auto events =
        client().OnPacket(absl::MakeSpan(reinterpret_cast<uint8_t*>(packet.data()), packet.size()));
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? *events : std::vector<Event>{};
  }
  // One server message with a fresh msg_id.
  std::vector<Event> Deliver(std::string body, bool content_related = true) {
    return Deliver({WireMessage{ServerMsgId(), content_related ? 1 : 0, std::move(body)}});
  }

  std::string BadMsg(int64_t bad_msg_id, int code) {
    mtp::bad_msg_notification bad;
    bad.bad_msg_id = bad_msg_id;
    bad.error_code = code;
    return SerializeService(bad);
  }
  std::string BadSalt(int64_t bad_msg_id, uint64_t salt) {
    mtp::bad_server_salt bad;
    bad.bad_msg_id = bad_msg_id;
    bad.error_code = 48;
    bad.new_server_salt = static_cast<int64_t>(salt);
    return SerializeService(bad);
  }

  base::FakeClock clock_{testing::TestStart()};
  crypto::AuthKey key_;
  crypto::PacketCipher server_cipher_;
  ClientSessionOptions options_;
  std::unique_ptr<ClientSession> client_;
  MsgIdGenerator server_ids_;
};

TEST_F(ClientSessionTest, MsgIdsSeqNosAndContainer) {
  Send(FakeQuery(1));
  Send(FakeQuery(2));
  const DecodedPacket first = Next();
  EXPECT_EQ(first.header.session_id, 0xabcdefu);
  EXPECT_EQ(first.header.salt, kSalt);
  ASSERT_TRUE(first.container);
  ASSERT_EQ(first.messages.size(), 2u);
  EXPECT_EQ(first.messages[0].msg_id % 4, 0);
  EXPECT_GT(first.messages[1].msg_id, first.messages[0].msg_id);
  EXPECT_GT(static_cast<int64_t>(first.header.msg_id), first.messages[1].msg_id);
  EXPECT_EQ(first.header.msg_id % 4, 0u);
  EXPECT_EQ(first.messages[0].seqno, 1);
  EXPECT_EQ(first.messages[1].seqno, 3);
  EXPECT_EQ(first.header.seq_no, 4u);
  EXPECT_LT(absl::AbsDuration(MsgIdTime(first.messages[0].msg_id) - clock_.now()),
            absl::Milliseconds(1));
  EXPECT_TRUE(Idle());

  Send(FakeQuery(3), {.content_related = false});
  const DecodedPacket second = Next();
  ASSERT_FALSE(second.container);
  EXPECT_EQ(second.header.seq_no, 4u);
  Send(FakeQuery(4));
  EXPECT_EQ(Next().header.seq_no, 5u);
}

// BuildPackets builds until the packets fill the budget (at least one), encrypts them together,
// and the server decrypts each: three 512 KiB calls go as two packets, then one, then none.
TEST_F(ClientSessionTest, BuildPacketsFillsTheBudgetAndEncryptsEachPacket) {
  constexpr int kWords = 128 * 1024;
  for (uint32_t fill : {1u, 2u, 3u}) Send(FakeQuery(kWords, fill), {.compress = false});
  std::vector<DecodedPacket> decoded;
  for (size_t expected : {2u, 1u, 0u}) {
    auto packets = client().BuildPackets(size_t{1} << 20);
    ASSERT_TRUE(packets.ok()) << packets.status();
    ASSERT_EQ(packets->size(), expected);
    for (const std::string& packet : *packets) {
      decoded.push_back(testing::DecodePacket(server_cipher_, packet));
    }
  }
  ASSERT_EQ(decoded.size(), 3u);
  for (size_t i = 0; i < decoded.size(); ++i) {
    ASSERT_FALSE(decoded[i].container) << i;
    ASSERT_EQ(decoded[i].messages.size(), 1u) << i;
    EXPECT_EQ(decoded[i].messages[0].body, FakeQuery(kWords, static_cast<uint32_t>(i + 1))) << i;
    if (i > 0) EXPECT_GT(decoded[i].header.msg_id, decoded[i - 1].header.msg_id);
  }
  // A budget smaller than one packet still gets one.
  Send(FakeQuery(1));
  Send(FakeQuery(2), {.content_related = false});
  auto small = client().BuildPackets(1);
  ASSERT_TRUE(small.ok()) << small.status();
  ASSERT_EQ(small->size(), 1u);
  EXPECT_EQ(testing::DecodePacket(server_cipher_, (*small)[0]).messages.size(), 2u);
  EXPECT_TRUE(Idle());
}

TEST_F(ClientSessionTest, SendRejectsWhatIsNotATlObject) {
  EXPECT_EQ(client().Send("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client().Send("abcde").status().code(), absl::StatusCode::kInvalidArgument);
  options_.max_packet_body_size = 64;
  client_.reset();
  EXPECT_EQ(client().Send(FakeQuery(20)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ClientSessionTest, RpcResultRoutesInsideAServerContainer) {
  const CallId a = Send(FakeQuery(1));
  const CallId b = Send(FakeQuery(2));
  const DecodedPacket sent = Next();
  std::vector<Event> events =
      Deliver({WireMessage{ServerMsgId(), 1, BuildRpcResult(sent.messages[1].msg_id, "BBBB")},
               WireMessage{ServerMsgId(), 1, BuildRpcResult(sent.messages[0].msg_id, "AAAA")}});
  const auto results = EventsOf<RpcResultEvent>(events);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].call, b);
  EXPECT_EQ(results[0].body, "BBBB");
  EXPECT_EQ(results[1].call, a);
  EXPECT_EQ(results[1].body, "AAAA");
  EXPECT_EQ(client().pending_calls(), 0u);
}

TEST_F(ClientSessionTest, TimeCorrectionOn16And17) {
  for (int code : {16, 17}) {
    const absl::Duration skew = code == 16 ? -absl::Seconds(500) : absl::Seconds(60);
    options_.clock = clock_.AsClock(skew);
    client_.reset();
    const CallId call = Send(FakeQuery());
    const int64_t bad_id = Next().messages[0].msg_id;
    EXPECT_TRUE(Deliver(BadMsg(bad_id, code), false).empty());
    const DecodedPacket resent = Next();
    ASSERT_EQ(resent.messages.size(), 1u) << code;
    EXPECT_EQ(resent.messages[0].body, FakeQuery());
    EXPECT_NE(resent.messages[0].msg_id, bad_id);
    // The new msg_id carries the server's time.
    EXPECT_LT(absl::AbsDuration(MsgIdTime(resent.messages[0].msg_id) - clock_.now()),
              absl::Milliseconds(1))
        << code;
    EXPECT_LT(absl::AbsDuration(client().time_offset() + skew), absl::Milliseconds(1));
    EXPECT_EQ(client().pending_calls(), 1u);
    (void)call;
  }
}

TEST_F(ClientSessionTest, Code18FailsTheCall) {
  const CallId call = Send(FakeQuery());
  const int64_t bad_id = Next().messages[0].msg_id;
  const auto failed = EventsOf<CallFailedEvent>(Deliver(BadMsg(bad_id, 18), false));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].call, call);
  EXPECT_EQ(failed[0].status.code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(Idle());
  EXPECT_EQ(client().pending_calls(), 0u);
}

TEST_F(ClientSessionTest, UnknownCodeFailsTheCall) {
  const CallId call = Send(FakeQuery());
  const int64_t bad_id = Next().messages[0].msg_id;
  const auto failed = EventsOf<CallFailedEvent>(Deliver(BadMsg(bad_id, 99), false));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].call, call);
}

TEST_F(ClientSessionTest, Codes19And20And32And33ResendWithANewMsgId) {
  for (int code : {19, 20, 32, 33}) {
    client_.reset();
    Send(FakeQuery());
    const DecodedPacket first = Next();
    EXPECT_TRUE(Deliver(BadMsg(first.messages[0].msg_id, code), false).empty());
    const DecodedPacket resent = Next();
    ASSERT_EQ(resent.messages.size(), 1u);
    EXPECT_GT(resent.messages[0].msg_id, first.messages[0].msg_id) << code;
    EXPECT_GT(resent.messages[0].seqno, first.messages[0].seqno) << code;
    EXPECT_EQ(resent.messages[0].seqno % 2, 1) << code;
  }
}

TEST_F(ClientSessionTest, Codes34And35FixTheSeqNoParity) {
  Send(FakeQuery());
  const DecodedPacket first = Next();
  EXPECT_EQ(first.messages[0].seqno % 2, 1);
  Deliver(BadMsg(first.messages[0].msg_id, 34), false);
  const DecodedPacket even = Next();
  EXPECT_EQ(even.messages[0].seqno % 2, 0);

  Send(FakeQuery(1), {.content_related = false});
  const DecodedPacket second = Next();
  EXPECT_EQ(second.messages[0].seqno % 2, 0);
  Deliver(BadMsg(second.messages[0].msg_id, 35), false);
  const DecodedPacket odd = Next();
  EXPECT_EQ(odd.messages[0].body, FakeQuery(1));
  EXPECT_EQ(odd.messages[0].seqno % 2, 1);
}

TEST_F(ClientSessionTest, BadServerSaltOnAContainerResendsEverythingWithTheNewSalt) {
  const CallId a = Send(FakeQuery(1));
  Send(FakeQuery(2));
  const DecodedPacket first = Next();
  ASSERT_TRUE(first.container);
  Deliver(BadSalt(static_cast<int64_t>(first.header.msg_id), 0x5a5a), false);
  EXPECT_EQ(client().salt(), 0x5a5au);
  const DecodedPacket resent = Next();
  EXPECT_EQ(resent.header.salt, 0x5a5au);
  ASSERT_EQ(resent.messages.size(), 2u);
  EXPECT_EQ(resent.messages[0].body, FakeQuery(1));
  EXPECT_EQ(resent.messages[1].body, FakeQuery(2));
  // An answer to the first msg_id of a resent query still finds its call.
  const auto results = EventsOf<RpcResultEvent>(
      Deliver(BuildRpcResult(first.messages[0].msg_id, FakeObject(0x1, 1))));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].call, a);
}

TEST_F(ClientSessionTest, Code64ResendsTheContainersMessagesAlone) {
  Send(FakeQuery(1));
  Send(FakeQuery(2));
  const DecodedPacket first = Next();
  ASSERT_TRUE(first.container);
  Deliver(BadMsg(static_cast<int64_t>(first.header.msg_id), 64), false);
  const DecodedPacket one = Next();
  const DecodedPacket two = Next();
  EXPECT_FALSE(one.container);
  EXPECT_FALSE(two.container);
  EXPECT_EQ(one.messages[0].body, FakeQuery(1));
  EXPECT_EQ(two.messages[0].body, FakeQuery(2));

  // About a single message, 64 cannot be fixed.
  const CallId call = Send(FakeQuery(3));
  const int64_t single = Next().messages[0].msg_id;
  const auto failed = EventsOf<CallFailedEvent>(Deliver(BadMsg(single, 64), false));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].call, call);
}

TEST_F(ClientSessionTest, TooManyResendsFailTheCall) {
  options_.max_resends = 2;
  const CallId call = Send(FakeQuery());
  std::vector<Event> events;
  for (int i = 0; i < 3; ++i) {
    events = Deliver(BadMsg(Next().messages[0].msg_id, 20), false);
  }
  const auto failed = EventsOf<CallFailedEvent>(events);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].call, call);
  EXPECT_EQ(failed[0].status.code(), absl::StatusCode::kUnavailable);
}

TEST_F(ClientSessionTest, NewSessionCreatedResendsEarlierCallsAndTakesTheSalt) {
  const CallId early = Send(FakeQuery(1));
  const int64_t early_id = Next().messages[0].msg_id;
  clock_.Advance(absl::Seconds(1));
  Send(FakeQuery(2));
  const int64_t later_id = Next().messages[0].msg_id;
  mtp::new_session_created created;
  created.first_msg_id = later_id;
  created.unique_id = 77;
  created.server_salt = 0x777;
  const std::vector<Event> events =
      Deliver({WireMessage{ServerMsgId(MsgIdKind::kServerOther), 1, SerializeService(created)}});
  const auto sessions = EventsOf<NewSessionEvent>(events);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].first_msg_id, later_id);
  EXPECT_EQ(sessions[0].unique_id, 77u);
  EXPECT_EQ(client().salt(), 0x777u);
  const DecodedPacket resent = Next();  // the ack and the lost call
  bool found = false;
  for (const WireMessage& m : resent.messages) {
    if (m.body == FakeQuery(1)) {
      found = true;
      EXPECT_GT(m.msg_id, early_id);
    }
  }
  EXPECT_TRUE(found);
  (void)early;
}

TEST_F(ClientSessionTest, MsgResendReqResendsWithTheSameMsgId) {
  Send(FakeQuery());
  const DecodedPacket first = Next();
  mtp::msg_resend_req request;
  request.msg_ids = {first.messages[0].msg_id, 12345678};
  Deliver(SerializeService(request));
  const DecodedPacket again = Next();
  bool found = false;
  for (const WireMessage& m : again.messages) {
    if (m.body != FakeQuery()) continue;
    found = true;
    EXPECT_EQ(m.msg_id, first.messages[0].msg_id);
    EXPECT_EQ(m.seqno, first.messages[0].seqno);
  }
  EXPECT_TRUE(found);
}

TEST_F(ClientSessionTest, MsgDetailedInfo) {
  Send(FakeQuery());
  const int64_t query_id = Next().messages[0].msg_id;
  // An answer we have: acknowledge it again.
  const int64_t received = ServerMsgId();
  Deliver({WireMessage{received, 1, FakeObject(0x74ae4240, 1)}});
  client().FlushAcks();
  Next();
  mtp::msg_detailed_info info;
  info.msg_id = query_id;
  info.answer_msg_id = received;
  info.bytes = 100;
  Deliver(SerializeService(info), false);
  client().FlushAcks();
  const DecodedPacket ack = Next();
  ASSERT_EQ(ack.messages.size(), 1u);
  auto acks = ParseService<mtp::msgs_ack>(ack.messages[0].body);
  ASSERT_TRUE(acks.ok());
  EXPECT_EQ(acks->msg_ids, std::vector<int64_t>{received});

  // An answer we never got: ask for it.
  mtp::msg_new_detailed_info missing;
  missing.answer_msg_id = ServerMsgId() + 4000;
  Deliver(SerializeService(missing), false);
  const DecodedPacket request = Next();
  ASSERT_EQ(request.messages.size(), 1u);
  auto resend = ParseService<mtp::msg_resend_req>(request.messages[0].body);
  ASSERT_TRUE(resend.ok());
  EXPECT_EQ(resend->msg_ids, std::vector<int64_t>{missing.answer_msg_id});
}

TEST_F(ClientSessionTest, DuplicatesAreIgnoredButAcknowledged) {
  const int64_t id = ServerMsgId(MsgIdKind::kServerOther);
  const std::string update = FakeObject(0x74ae4240, 2);
  EXPECT_EQ(EventsOf<UpdateEvent>(Deliver({WireMessage{id, 1, update}})).size(), 1u);
  client().FlushAcks();
  Next();
  EXPECT_TRUE(Deliver({WireMessage{id, 1, update}}).empty());
  EXPECT_EQ(client().stats().duplicates_ignored, 1u);
  client().FlushAcks();
  auto acks = ParseService<mtp::msgs_ack>(Next().messages[0].body);
  ASSERT_TRUE(acks.ok());
  EXPECT_EQ(acks->msg_ids, std::vector<int64_t>{id});
}

TEST_F(ClientSessionTest, ForeignAndMalformedMessagesAreIgnored) {
  client();
  EXPECT_TRUE(Deliver({WireMessage{ServerMsgId(), 1, FakeObject(0x74ae4240, 1)}}, 999).empty());
  EXPECT_TRUE(Deliver({WireMessage{ServerMsgId() + 1, 1, FakeObject(0x74ae4240, 1)}}).empty());
  EXPECT_TRUE(Deliver(std::string("\xa1\xcf\x72\x30\x03zzz", 8)).empty());  // bad gzip_packed
  EXPECT_TRUE(Deliver(BuildRpcResult(1, "")).empty());
  EXPECT_EQ(client().stats().malformed_ignored, 4u);

  std::string packet = testing::EncryptPacket(server_cipher_, {kSalt, client().session_id(), 1, 1},
                                              FakeObject(0x74ae4240, 1));
  packet[40] ^= 1;
  EXPECT_FALSE(
      client()
          .OnPacket(absl::MakeSpan(reinterpret_cast<uint8_t*>(packet.data()), packet.size()))
          .ok());
}

TEST_F(ClientSessionTest, GzipAnswersAreInflatedWithALimit) {
  options_.max_inflated_size = 1024;
  const CallId small = Send(FakeQuery(1));
  const CallId bomb = Send(FakeQuery(2));
  const DecodedPacket sent = Next();
  mtp::rpc_error error;
  error.error_code = 420;
  error.error_message = "FLOOD_WAIT_7";
  const std::string packed_error = *PackGzip(SerializeService(error));
  const std::string packed_bomb = *PackGzip(std::string(1 << 20, '\0'));
  const std::vector<Event> events = Deliver(
      {WireMessage{ServerMsgId(), 1, BuildRpcResult(sent.messages[0].msg_id, packed_error)},
       WireMessage{ServerMsgId(), 1, BuildRpcResult(sent.messages[1].msg_id, packed_bomb)}});
  const auto errors = EventsOf<RpcErrorEvent>(events);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].call, small);
  EXPECT_EQ(errors[0].error.type, "FLOOD_WAIT");
  EXPECT_EQ(errors[0].error.argument, 7);
  const auto failed = EventsOf<CallFailedEvent>(events);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].call, bomb);
  EXPECT_EQ(failed[0].status.code(), absl::StatusCode::kDataLoss);
}

TEST_F(ClientSessionTest, FutureSaltsAreRequestedAndStored) {
  options_.future_salts_count = 3;
  client().OnTick();
  const DecodedPacket request = Next();
  ASSERT_EQ(request.messages.size(), 1u);
  auto get = ParseService<mtp::get_future_salts>(request.messages[0].body);
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->num, 3);
  mtp::future_salts salts;
  salts.req_msg_id = request.messages[0].msg_id;
  salts.now = static_cast<int32_t>(absl::ToUnixSeconds(clock_.now()));
  for (int i = 0; i < 3; ++i) {
    mtp::future_salt& salt = salts.salts.emplace_back();
    salt.valid_since = salts.now - 600 + 3600 * i;
    salt.valid_until = salt.valid_since + 5400;
    salt.salt = 1000 + i;
  }
  EXPECT_TRUE(Deliver(SerializeService(salts)).empty());
  EXPECT_EQ(client().salts().future().size(), 3u);
  client().FlushAcks();
  Next();
  // Nothing more to ask for a while.
  client().OnTick();
  EXPECT_TRUE(Idle());
  Send(FakeQuery());
  EXPECT_EQ(Next().header.salt, 1000u);
  clock_.Advance(absl::Hours(1));
  Send(FakeQuery());
  EXPECT_EQ(Next().header.salt, 1001u);
}

TEST_F(ClientSessionTest, MsgsAllInfoResendsWhatTheServerLacks) {
  Send(FakeQuery());
  const int64_t id = Next().messages[0].msg_id;
  mtp::msgs_all_info info;
  info.msg_ids = {id};
  info.info = std::string(1, '\x02');
  Deliver(SerializeService(info), false);
  const DecodedPacket resent = Next();
  EXPECT_EQ(resent.messages[0].body, FakeQuery());
}

TEST_F(ClientSessionTest, AcksBatchByCount) {
  options_.ack_batch = 3;
  client();
  for (int i = 0; i < 2; ++i) Deliver(FakeObject(0x74ae4240, 1));
  EXPECT_FALSE(client().HasPendingOutput());
  Deliver(FakeObject(0x74ae4240, 1));
  EXPECT_TRUE(client().HasPendingOutput());
  auto acks = ParseService<mtp::msgs_ack>(Next().messages[0].body);
  ASSERT_TRUE(acks.ok());
  EXPECT_EQ(acks->msg_ids.size(), 3u);
}

// Acks, fire-and-forget messages and containers are remembered for five minutes after they are
// sent, so a bad_msg_notification about them can still be acted on; then they are forgotten.
TEST_F(ClientSessionTest, RecentSendsAreRememberedForFiveMinutes) {
  Deliver(FakeObject(0x74ae4240, 1));  // content-related: to be acknowledged
  client().FlushAcks();
  const DecodedPacket ack = Next();
  ASSERT_EQ(ack.messages.size(), 1u);
  ASSERT_EQ(ack.messages[0].id(), mtp::msgs_ack::kId);
  Send(FakeQuery(1), {.content_related = false});
  const DecodedPacket alone = Next();
  Send(FakeQuery(2), {.content_related = false});
  Send(FakeQuery(3), {.content_related = false});
  const DecodedPacket pair = Next();
  ASSERT_TRUE(pair.container);

  // Five minutes on, all are still known: a bad salt about each resends it.
  clock_.Advance(absl::Minutes(5));
  EXPECT_TRUE(Idle());  // housekeeping ran
  Deliver(BadSalt(ack.messages[0].msg_id, 0x5a5a), false);
  EXPECT_EQ(Next().messages[0].body, ack.messages[0].body);
  Deliver(BadSalt(alone.messages[0].msg_id, 0x5a5a), false);
  EXPECT_EQ(Next().messages[0].body, FakeQuery(1));
  Deliver(BadSalt(static_cast<int64_t>(pair.header.msg_id), 0x5a5a), false);
  const DecodedPacket pair_again = Next();
  ASSERT_EQ(pair_again.messages.size(), 2u);
  EXPECT_EQ(pair_again.messages[1].body, FakeQuery(3));
  EXPECT_TRUE(Idle());

  // Just past that, the first sends are forgotten (the resends are not).
  clock_.Advance(absl::Nanoseconds(1));
  EXPECT_TRUE(Idle());
  Deliver(BadSalt(static_cast<int64_t>(pair.header.msg_id), 0x5a5a), false);
  EXPECT_TRUE(Idle());
  Deliver(BadSalt(pair_again.messages[0].msg_id, 0x5a5a), false);
  EXPECT_EQ(Next().messages[0].body, FakeQuery(2));

  // Five minutes after the resends, everything is forgotten.
  clock_.Advance(absl::Minutes(5) + absl::Nanoseconds(1));
  EXPECT_TRUE(Idle());
  for (int64_t msg_id : {ack.messages[0].msg_id, alone.messages[0].msg_id,
                         static_cast<int64_t>(pair_again.header.msg_id)}) {
    Deliver(BadSalt(msg_id, 0x5a5a), false);
    EXPECT_TRUE(Idle());
  }
}

// Housekeeping looks at each remembered send once, when its five minutes end, instead of walking
// all of them on every packet (which made a busy session slower the longer it ran).
TEST_F(ClientSessionTest, HousekeepingWorkDoesNotGrowWithHistory) {
  // One packet per round: two fire-and-forget messages in a container, three sends remembered.
  auto round = [&] {
    Send(FakeQuery(1), {.content_related = false});
    Send(FakeQuery(2), {.content_related = false});
    EXPECT_TRUE(Next().container);
    clock_.Advance(absl::Milliseconds(100));
  };
  // The window fills (3000 rounds in 300 s, 9000 sends) without a single look.
  for (int i = 0; i < 3000; ++i) round();
  EXPECT_EQ(client().stats().expiry_checks, 0u);
  clock_.Advance(absl::Milliseconds(1));
  // Then each packet looks at the three sends that have just expired, and only at them.
  for (int i = 0; i < 1000; ++i) {
    const uint64_t before = client().stats().expiry_checks;
    round();
    ASSERT_EQ(client().stats().expiry_checks - before, 3u) << i;
  }
  // Once everything has expired, each send has been looked at exactly once.
  clock_.Advance(absl::Minutes(5));
  EXPECT_TRUE(Idle());
  EXPECT_EQ(client().stats().expiry_checks, 3u * 4000);
  EXPECT_TRUE(Idle());
  EXPECT_EQ(client().stats().expiry_checks, 3u * 4000);
}

// Past max_remembered_sends, the oldest non-call sends are forgotten before their five minutes:
// a busy session's memory stays bounded however many packets it sends.
TEST_F(ClientSessionTest, RememberedSendsAreCappedByCount) {
  options_.max_remembered_sends = 8;
  std::vector<DecodedPacket> sent;
  for (int i = 0; i < 20; ++i) {
    Send(FakeQuery(i), {.content_related = false});
    sent.push_back(Next());
    clock_.Advance(absl::Milliseconds(10));
  }
  EXPECT_TRUE(Idle());  // housekeeping ran
  // No time has run out, yet the first twelve were looked at and forgotten.
  EXPECT_EQ(client().stats().expiry_checks, 12u);
  Deliver(BadSalt(sent[0].messages[0].msg_id, 0x5a5a), false);
  EXPECT_TRUE(Idle());
  Deliver(BadSalt(sent[11].messages[0].msg_id, 0x5a5a), false);
  EXPECT_TRUE(Idle());
  // The last eight are still known: a bad salt about one of them resends it.
  Deliver(BadSalt(sent[12].messages[0].msg_id, 0x5a5a), false);
  EXPECT_EQ(Next().messages[0].body, FakeQuery(12));

  // Containers are capped the same way.
  for (int i = 0; i < 12; ++i) {
    Send(FakeQuery(100 + i), {.content_related = false});
    Send(FakeQuery(200 + i), {.content_related = false});
    sent.push_back(Next());
    ASSERT_TRUE(sent.back().container);
  }
  EXPECT_TRUE(Idle());
  Deliver(BadSalt(static_cast<int64_t>(sent[20].header.msg_id), 0x5a5a), false);
  EXPECT_TRUE(Idle());
  Deliver(BadSalt(static_cast<int64_t>(sent.back().header.msg_id), 0x5a5a), false);
  const DecodedPacket again = Next();
  ASSERT_EQ(again.messages.size(), 2u);
  EXPECT_EQ(again.messages[1].body, FakeQuery(211));
}

// A query whose body repeats its own msg_id (as auth.bindTempAuthKey's binding message does).
std::string BodyOf(int64_t msg_id) {
  std::string body = FakeObject(0x0badf00d, 0);
  body.append(reinterpret_cast<const char*>(&msg_id), sizeof(msg_id));
  return body;
}

SendOptions BuiltFromMsgId(int* builds) {
  SendOptions send_options;
  send_options.body_for_msg_id = [builds](int64_t msg_id) -> absl::StatusOr<std::string> {
    ++*builds;
    return BodyOf(msg_id);
  };
  return send_options;
}

TEST_F(ClientSessionTest, BodyForMsgIdIsRebuiltForEveryNewMsgId) {
  int builds = 0;
  const CallId call = Send("", BuiltFromMsgId(&builds));
  EXPECT_EQ(builds, 0);  // built when it gets its msg_id
  const DecodedPacket first = Next();
  ASSERT_EQ(first.messages.size(), 1u);
  EXPECT_FALSE(first.container);
  EXPECT_EQ(first.messages[0].body, BodyOf(first.messages[0].msg_id));
  EXPECT_EQ(builds, 1);

  // bad_server_salt: a new msg_id, so a new body.
  Deliver(BadSalt(first.messages[0].msg_id, 0x5a5a), false);
  const DecodedPacket salted = Next();
  ASSERT_EQ(salted.messages.size(), 1u);
  EXPECT_NE(salted.messages[0].msg_id, first.messages[0].msg_id);
  EXPECT_EQ(salted.messages[0].body, BodyOf(salted.messages[0].msg_id));
  EXPECT_EQ(builds, 2);

  // msg_id too low (16): the same.
  Deliver(BadMsg(salted.messages[0].msg_id, 16), false);
  const DecodedPacket corrected = Next();
  ASSERT_EQ(corrected.messages.size(), 1u);
  EXPECT_NE(corrected.messages[0].msg_id, salted.messages[0].msg_id);
  EXPECT_EQ(corrected.messages[0].body, BodyOf(corrected.messages[0].msg_id));
  EXPECT_EQ(builds, 3);

  // msg_resend_req keeps the msg_id, so the body stays.
  mtp::msg_resend_req request;
  request.msg_ids = {corrected.messages[0].msg_id};
  Deliver(SerializeService(request));
  bool found = false;
  // The ack goes in a packet of its own: a message with a built body travels alone.
  while (!found && !Idle()) {
    for (const WireMessage& m : Next().messages) {
      if (m.msg_id != corrected.messages[0].msg_id) continue;
      found = true;
      EXPECT_EQ(m.body, corrected.messages[0].body);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(builds, 3);

  const auto results = EventsOf<RpcResultEvent>(
      Deliver(BuildRpcResult(corrected.messages[0].msg_id, FakeObject(0x1, 1))));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].call, call);
}

TEST_F(ClientSessionTest, BodyForMsgIdTravelsAlone) {
  int builds = 0;
  Send(FakeQuery(1));
  Send("", BuiltFromMsgId(&builds));
  Send(FakeQuery(2));
  // The others share a container; the built one follows in a packet of its own.
  const DecodedPacket first = Next();
  ASSERT_EQ(first.messages.size(), 2u);
  EXPECT_EQ(first.messages[0].body, FakeQuery(1));
  EXPECT_EQ(first.messages[1].body, FakeQuery(2));
  const DecodedPacket built = Next();
  ASSERT_EQ(built.messages.size(), 1u);
  EXPECT_FALSE(built.container);
  EXPECT_EQ(built.messages[0].body, BodyOf(built.messages[0].msg_id));
  EXPECT_EQ(builds, 1);
  EXPECT_TRUE(Idle());
}

TEST_F(ClientSessionTest, BodyForMsgIdFailureFailsTheCallOnTheNextTick) {
  SendOptions send_options;
  send_options.body_for_msg_id = [](int64_t) -> absl::StatusOr<std::string> {
    return absl::InternalError("no key");
  };
  const CallId bad = Send("", send_options);
  send_options.body_for_msg_id = [](int64_t) -> absl::StatusOr<std::string> {
    return std::string("abc");  // not a whole number of words
  };
  const CallId odd = Send("", send_options);
  Send(FakeQuery());
  EXPECT_EQ(Next().messages[0].body, FakeQuery());
  EXPECT_TRUE(Idle());
  EXPECT_LE(client().NextTickTime(), clock_.now());
  const auto failed = EventsOf<CallFailedEvent>(client().OnTick());
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_EQ(failed[0].call, bad);
  EXPECT_EQ(failed[0].status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(failed[1].call, odd);
  EXPECT_EQ(failed[1].status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client().pending_calls(), 1u);
  EXPECT_GT(client().NextTickTime(), clock_.now());
}

}  // namespace
}  // namespace tgrpc::mtproto::session
