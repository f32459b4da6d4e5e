// SessionSlots over a SessionServer in memory, on a fixed clock: a full key frees the session
// used least recently that no connection uses (so thousands of sessions opened and closed one
// after another all get answers), keeps those in use, and SessionServer refuses a new session
// only when every slot is in use.
#include "tests/fakedc/session_slots.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "mtproto/crypto/auth_key.h"
#include "mtproto/crypto/packet_cipher.h"
#include "mtproto/session/msg_id.h"
#include "mtproto/session/session_server.h"
#include "tl/generated/mtp.h"
#include "tl/runtime/object.h"

namespace tgrpc::fakedc {
namespace {

namespace session = mtproto::session;

constexpr uint64_t kFirstSalt = 0x5a17;

mtproto::crypto::AuthKey TestKey() {
  mtproto::crypto::AuthKey::Bytes bytes;
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 3);
  return mtproto::crypto::AuthKey(bytes);
}

class SessionSlotsTest : public ::testing::Test {
 protected:
  void Start(size_t max_sessions) {
    session::ServerSessionOptions options;
    options.clock = [this] { return now_; };
    options.random = [](absl::Span<uint8_t> out) {
      for (uint8_t& b : out) b = 0x42;
    };
    slots_.emplace(max_sessions, options.clock);
    options.max_sessions_per_key = slots_->server_limit();
    server_.emplace(
        [this](uint64_t id) -> std::optional<session::ServerKey> {
          if (id != key_.id()) return std::nullopt;
          return session::ServerKey{key_, kFirstSalt};
        },
        options);
  }

  // What fakedc does with a packet: room first, then the packet (a ping from `session_id` that
  // arrived on `connection`). OK if the session answered it; the refusal otherwise.
  absl::Status Ping(uint64_t session_id, int64_t connection) {
    slots_->MakeRoom(*server_, key_.id());
    mtproto::crypto::MessageHeader header;
    header.salt = kFirstSalt;
    header.session_id = session_id;
    header.msg_id = static_cast<uint64_t>(msg_ids_.Next(now_, session::MsgIdKind::kClient));
    header.seq_no = 0;
    tl::mtp::ping ping;
    ping.ping_id = static_cast<int64_t>(header.msg_id);
    absl::StatusOr<std::string> body = tl::Serialize(ping);
    if (!body.ok()) return body.status();
    absl::StatusOr<session::SessionServer::Incoming> incoming =
        server_->OnMessage(key_.id(), header, *body);
    if (!incoming.ok()) return incoming.status();
    slots_->Used(key_.id(), session_id, connection);
    absl::StatusOr<std::optional<std::string>> packet = incoming->session->BuildPacket();
    if (!packet.ok()) return packet.status();
    if (!packet->has_value()) return absl::InternalError("no answer");
    while (packet->has_value()) packet = incoming->session->BuildPacket();
    return absl::OkStatus();
  }

  bool Kept(uint64_t session_id) { return server_->FindSession(key_.id(), session_id) != nullptr; }

  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
  mtproto::crypto::AuthKey key_ = TestKey();
  session::MsgIdGenerator msg_ids_;  // one client clock for every session
  std::optional<SessionSlots> slots_;
  std::optional<session::SessionServer> server_;
};

TEST_F(SessionSlotsTest, ThousandsOfSessionsOpenedAndClosedAllGetAnswers) {
  Start(SessionSlots::kDefaultMaxSessions);
  for (int64_t i = 1; i <= 2500; ++i) {
    ASSERT_TRUE(Ping(static_cast<uint64_t>(i), /*connection=*/i).ok()) << "session " << i;
    slots_->Closed(i);
    ASSERT_LE(slots_->sessions(key_.id()), SessionSlots::kDefaultMaxSessions);
  }
  // The newest ones are kept for their clients to come back to; the oldest went.
  EXPECT_TRUE(Kept(2500));
  EXPECT_TRUE(Kept(1600));
  EXPECT_FALSE(Kept(1));
  EXPECT_TRUE(Ping(1, 2501).ok());  // a new session under an old id
}

TEST_F(SessionSlotsTest, TheLeastRecentlyUsedIdleSessionGoesFirst) {
  Start(3);
  ASSERT_TRUE(Ping(1, 1).ok());
  ASSERT_TRUE(Ping(2, 2).ok());
  ASSERT_TRUE(Ping(3, 3).ok());
  ASSERT_TRUE(Ping(1, 1).ok());  // 1 is now used more recently than 2 and 3
  slots_->Closed(1);
  slots_->Closed(2);
  EXPECT_EQ(slots_->idle(key_.id()), 2u);
  ASSERT_TRUE(Ping(4, 4).ok());
  EXPECT_FALSE(Kept(2));
  EXPECT_TRUE(Kept(1));
  EXPECT_TRUE(Kept(3));
  EXPECT_EQ(slots_->sessions(key_.id()), 3u);
  // Session 1 comes back on a new connection: the same session, no longer idle.
  const session::ServerSession* before = server_->FindSession(key_.id(), 1);
  ASSERT_TRUE(Ping(1, 5).ok());
  EXPECT_EQ(server_->FindSession(key_.id(), 1), before);
  EXPECT_EQ(slots_->idle(key_.id()), 0u);
}

TEST_F(SessionSlotsTest, WithEverySlotInUseANewSessionIsRefused) {
  Start(2);
  ASSERT_TRUE(Ping(1, 1).ok());
  ASSERT_TRUE(Ping(2, 2).ok());
  EXPECT_EQ(Ping(3, 3).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(Ping(1, 1).ok());  // the sessions in use are untouched
  EXPECT_TRUE(Ping(2, 2).ok());
  // A session carried by two connections is in use until both close.
  ASSERT_TRUE(Ping(2, 4).ok());
  slots_->Closed(2);
  EXPECT_EQ(Ping(3, 3).code(), absl::StatusCode::kResourceExhausted);
  slots_->Closed(4);
  EXPECT_TRUE(Ping(3, 3).ok());
  EXPECT_FALSE(Kept(2));
  EXPECT_TRUE(Kept(1));
}

TEST_F(SessionSlotsTest, DestroyedSessionsAndForgottenKeysLeaveNoSlotsBehind) {
  Start(2);
  ASSERT_TRUE(Ping(1, 1).ok());
  ASSERT_TRUE(Ping(2, 2).ok());
  slots_->Destroyed(key_.id(), 2);  // as after a client's destroy_session
  EXPECT_EQ(slots_->sessions(key_.id()), 1u);
  slots_->ForgetKey(key_.id());
  EXPECT_EQ(slots_->sessions(key_.id()), 0u);
}

}  // namespace
}  // namespace tgrpc::fakedc
