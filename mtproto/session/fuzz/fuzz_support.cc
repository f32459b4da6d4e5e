#include "mtproto/session/fuzz/fuzz_support.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>

#include "absl/strings/string_view.h"
#include "base/fake_clock.h"
#include "mtproto/crypto/packet_cipher.h"
#include "mtproto/session/client_session.h"
#include "mtproto/session/msg_id.h"
#include "mtproto/session/session_server.h"
#include "mtproto/session/session_test_util.h"
#include "mtproto/session/wire.h"
#include "tl/generated/mtp.h"

namespace tgrpc::mtproto::session::fuzz {
namespace {

namespace mtp = ::tgrpc::tl::mtp;

constexpr uint64_t kClientSession = 0xc1c1c1c1;
constexpr uint64_t kServerSession = 0x5e5e5e5e;
constexpr uint64_t kFirstSalt = 0x0102030405060708;
// Packets one input may make a session build; a loop beyond this is a bug.
constexpr int kMaxPackets = 64;

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "session fuzz invariant violated: %s\n", what);
    std::abort();
  }
}

struct Input {
  uint8_t control = 0;
  int32_t seqno = 0;
  absl::string_view body;
};

Input Split(const uint8_t* data, size_t size) {
  Input input;
  if (size >= 1) input.control = data[0];
  if (size >= 5) std::memcpy(&input.seqno, data + 1, 4);
  if (size > 5) input.body = absl::string_view(reinterpret_cast<const char*>(data + 5), size - 5);
  return input;
}

struct Decoded {
  crypto::MessageHeader header;
  std::vector<InnerMessage> messages;
  std::string plaintext;
};

// Decrypts a packet of the other role and checks its framing; aborts if it is malformed.
Decoded DecodeOrDie(const crypto::PacketCipher& receiver, std::string packet) {
  auto message = receiver.DecryptInPlace(
      absl::MakeSpan(reinterpret_cast<uint8_t*>(packet.data()), packet.size()));
  Check(message.ok(), "a built packet decrypts");
  Decoded decoded;
  decoded.header = message->header;
  decoded.plaintext.assign(reinterpret_cast<const char*>(message->body.data()),
                           message->body.size());
  const int64_t msg_id = static_cast<int64_t>(decoded.header.msg_id);
  if (ConstructorId(decoded.plaintext) == mtp::msg_container::kId) {
    auto inner = ParseContainer(decoded.plaintext, 4096);
    Check(inner.ok(), "a built container parses");
    Check(!inner->empty() && inner->size() <= 1024, "a built container has 1..1024 messages");
    Check((decoded.header.seq_no & 1) == 0, "a container's seq_no is even");
    for (const InnerMessage& m : *inner) {
      Check(m.msg_id < msg_id, "inner msg_ids are below the container's");
    }
    decoded.messages = *std::move(inner);
  } else {
    decoded.messages.push_back(
        InnerMessage{msg_id, static_cast<int32_t>(decoded.header.seq_no), decoded.plaintext});
  }
  return decoded;
}

// ---- client ----

struct ClientFixture {
  base::FakeClock clock{testing::TestStart()};
  crypto::AuthKey key = testing::TestAuthKey(21);
  std::unique_ptr<ClientSession> client;
  std::vector<CallId> calls;
  std::vector<int64_t> msg_ids;
  int64_t container_id = 0;
};

std::unique_ptr<ClientFixture> MakeClientFixture() {
  auto fixture = std::make_unique<ClientFixture>();
  ClientSessionOptions options;
  options.clock = fixture->clock.AsClock();
  options.random = testing::SeededRandom(21);
  options.session_id = kClientSession;
  options.salt = kFirstSalt;
  options.ping_interval = absl::Seconds(30);
  options.future_salts_count = 2;
  options.max_inflated_size = 1 << 16;
  options.max_resends = 3;
  fixture->client = std::make_unique<ClientSession>(fixture->key, std::move(options));
  mtp::ping ping;
  ping.ping_id = 7;
  mtp::destroy_session destroy;
  destroy.session_id = 1;
  for (const std::string& body :
       {testing::FakeQuery(), SerializeService(ping), SerializeService(destroy)}) {
    auto call = fixture->client->Send(body);
    Check(call.ok(), "fixture Send");
    fixture->calls.push_back(*call);
  }
  auto packet = fixture->client->BuildPacket();
  Check(packet.ok() && packet->has_value(), "fixture packet");
  const Decoded decoded =
      DecodeOrDie(crypto::PacketCipher(fixture->key, crypto::Role::kServer), **packet);
  fixture->container_id = static_cast<int64_t>(decoded.header.msg_id);
  for (const InnerMessage& m : decoded.messages) {
    if (ConstructorId(m.body) != mtp::get_future_salts::kId) fixture->msg_ids.push_back(m.msg_id);
  }
  Check(fixture->msg_ids.size() == 3, "fixture container holds the three calls");
  return fixture;
}

void DrainClient(ClientFixture& fixture) {
  const crypto::PacketCipher server(fixture.key, crypto::Role::kServer);
  for (int i = 0;; ++i) {
    Check(i < kMaxPackets, "the client stops building packets");
    auto packet = fixture.client->BuildPacket();
    Check(packet.ok(), "BuildPacket succeeds");
    if (!packet->has_value()) return;
    const Decoded decoded = DecodeOrDie(server, **packet);
    Check(decoded.header.session_id == kClientSession, "the client's session_id");
    Check(decoded.header.msg_id % 4 == 0, "client msg_ids are divisible by 4");
    for (const InnerMessage& m : decoded.messages) {
      Check(m.msg_id % 4 == 0, "inner client msg_ids are divisible by 4");
      Check(m.body.size() >= 4 && m.body.size() % 4 == 0, "bodies are TL objects");
    }
  }
}

void CheckClientEvents(const ClientFixture& fixture, const std::vector<Event>& events,
                       std::set<CallId>& finished) {
  for (const Event& event : events) {
    CallId call = 0;
    if (const auto* e = std::get_if<RpcResultEvent>(&event)) call = e->call;
    if (const auto* e = std::get_if<RpcErrorEvent>(&event)) call = e->call;
    if (const auto* e = std::get_if<CallFailedEvent>(&event)) {
      call = e->call;
      Check(!e->status.ok(), "a failed call carries an error");
    }
    if (call == 0) continue;
    Check(std::find(fixture.calls.begin(), fixture.calls.end(), call) != fixture.calls.end(),
          "events name only calls that were made");
    Check(finished.insert(call).second, "a call finishes at most once");
  }
}

// ---- server ----

struct ServerFixture {
  base::FakeClock clock{testing::TestStart()};
  crypto::AuthKey key = testing::TestAuthKey(22);
  std::unique_ptr<SessionServer> server;
  MsgIdGenerator client_ids;
  int64_t query_id = 0;
  std::vector<int64_t> answer_ids;
};

bool IsDefinedBadMsgCode(int code) {
  switch (code) {
    case 16:
    case 17:
    case 18:
    case 19:
    case 20:
    case 32:
    case 33:
    case 34:
    case 35:
    case 48:
    case 64:
      return true;
    default:
      return false;
  }
}

std::vector<Decoded> DrainServer(ServerFixture& fixture, ServerSession& session) {
  const crypto::PacketCipher client(fixture.key, crypto::Role::kClient);
  std::vector<Decoded> packets;
  for (int i = 0;; ++i) {
    Check(i < kMaxPackets, "the server stops building packets");
    auto packet = session.BuildPacket();
    Check(packet.ok(), "server BuildPacket succeeds");
    if (!packet->has_value()) return packets;
    Decoded decoded = DecodeOrDie(client, **packet);
    Check(decoded.header.session_id == session.session_id(), "the session's id");
    Check(decoded.header.msg_id % 2 == 1, "server msg_ids are odd");
    for (const InnerMessage& m : decoded.messages) {
      Check(m.msg_id % 2 == 1, "inner server msg_ids are odd");
      if (ConstructorId(m.body) == mtp::bad_msg_notification::kId) {
        auto bad = ParseService<mtp::bad_msg_notification>(m.body);
        Check(bad.ok() && IsDefinedBadMsgCode(bad->error_code), "defined bad_msg codes only");
      }
    }
    packets.push_back(std::move(decoded));
  }
}

std::unique_ptr<ServerFixture> MakeServerFixture() {
  auto fixture = std::make_unique<ServerFixture>();
  ServerSessionOptions options;
  options.clock = fixture->clock.AsClock();
  options.random = testing::SeededRandom(22);
  options.max_inflated_size = 1 << 16;
  options.compress_min_size = 512;
  options.received_window = 64;
  options.max_unacked = 64;
  const crypto::AuthKey key = fixture->key;
  fixture->server = std::make_unique<SessionServer>(
      [key](uint64_t id) -> std::optional<ServerKey> {
        if (id != key.id()) return std::nullopt;
        return ServerKey{key, kFirstSalt};
      },
      std::move(options));
  fixture->query_id = fixture->client_ids.Next(fixture->clock.now(), MsgIdKind::kClient);
  auto incoming = fixture->server->OnMessage(
      key.id(), {kFirstSalt, kServerSession, static_cast<uint64_t>(fixture->query_id), 1},
      testing::FakeQuery());
  Check(incoming.ok() && incoming->session != nullptr, "fixture query");
  incoming->session->SendRpcResult(fixture->query_id, testing::FakeObject(0x600d, 2));
  for (const Decoded& packet : DrainServer(*fixture, *incoming->session)) {
    for (const InnerMessage& m : packet.messages) fixture->answer_ids.push_back(m.msg_id);
  }
  return fixture;
}

}  // namespace

FixtureIds GetFixtureIds() {
  FixtureIds ids;
  std::unique_ptr<ClientFixture> client = MakeClientFixture();
  ids.client_msg_ids = client->msg_ids;
  ids.client_container_id = client->container_id;
  std::unique_ptr<ServerFixture> server = MakeServerFixture();
  ids.server_query_id = server->query_id;
  ids.server_msg_ids = server->answer_ids;
  ids.server_salt = kFirstSalt;
  return ids;
}

void FuzzClientSession(const uint8_t* data, size_t size) {
  const Input input = Split(data, size);
  std::unique_ptr<ClientFixture> fixture = MakeClientFixture();
  MsgIdGenerator server_ids;
  static constexpr int kResidues[] = {1, 3, 0, 2};
  const int residue = kResidues[(input.control >> 1) & 3];
  const int64_t msg_id =
      (server_ids.Next(fixture->clock.now(), MsgIdKind::kServerResponse) & ~3) | residue;
  const crypto::MessageHeader header{kFirstSalt, kClientSession, static_cast<uint64_t>(msg_id),
                                     static_cast<uint32_t>(input.seqno)};
  std::set<CallId> finished;
  const int deliveries = (input.control & 1) ? 2 : 1;
  for (int i = 0; i < deliveries; ++i) {
    CheckClientEvents(*fixture, fixture->client->OnMessage(header, input.body), finished);
  }
  DrainClient(*fixture);
  if (input.control & 8) {
    fixture->clock.Advance(absl::Minutes(1));
    CheckClientEvents(*fixture, fixture->client->OnTick(), finished);
    DrainClient(*fixture);
  }
  if (input.control & 16) {
    fixture->client->OnReconnect();
    DrainClient(*fixture);
  }
  Check(fixture->client->pending_calls() + finished.size() <= fixture->calls.size(),
        "calls are either pending or finished");
}

void FuzzServerSession(const uint8_t* data, size_t size) {
  const Input input = Split(data, size);
  std::unique_ptr<ServerFixture> fixture = MakeServerFixture();
  int64_t msg_id = 0;
  switch ((input.control >> 1) & 3) {
    case 0:
      msg_id = fixture->client_ids.Next(fixture->clock.now(), MsgIdKind::kClient);
      break;
    case 1:
      msg_id = fixture->query_id;
      break;
    case 2:
      msg_id = fixture->client_ids.Next(fixture->clock.now(), MsgIdKind::kClient) + 2;
      break;
    default:
      msg_id = MsgIdAt(fixture->clock.now() - absl::Seconds(400));
      break;
  }
  const uint64_t salt = (input.control & 1) ? kFirstSalt ^ 0xff : kFirstSalt;
  const uint64_t session_id = (input.control & 8) ? kServerSession + 1 : kServerSession;
  auto incoming = fixture->server->OnMessage(
      fixture->key.id(),
      {salt, session_id, static_cast<uint64_t>(msg_id), static_cast<uint32_t>(input.seqno)},
      input.body);
  Check(incoming.ok(), "a decrypted message for a known key is handled");
  for (const ServerEvent& event : incoming->events) {
    if (const auto* rejected = std::get_if<ServerRejectedEvent>(&event)) {
      Check(rejected->error_code == 0 || IsDefinedBadMsgCode(rejected->error_code),
            "rejections carry defined codes");
    }
    if (const auto* call = std::get_if<ServerRpcCallEvent>(&event)) {
      Check(call->body.size() >= 4 && call->body.size() % 4 == 0, "queries are TL objects");
      std::string result = testing::FakeObject(0x600d, (input.control & 16) ? 400 : 1);
      incoming->session->SendRpcResult(call->req_msg_id, std::move(result));
    }
  }
  DrainServer(*fixture, *incoming->session);
  incoming->session->ResendUnacked();
  DrainServer(*fixture, *incoming->session);
}

}  // namespace tgrpc::mtproto::session::fuzz
