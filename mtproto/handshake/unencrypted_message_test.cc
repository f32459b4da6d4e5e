#include "mtproto/handshake/unencrypted_message.h"

#include <string>

#include "absl/time/time.h"
#include "base/fake_clock.h"
#include "gtest/gtest.h"
#include "mtproto/handshake/handshake_test_util.h"

namespace tgrpc::mtproto::handshake {
namespace {

using ::tgrpc::base::FakeClock;

// 2024-02-08T20:45:05Z plus half a second: msg_id ~ time * 2^32.
const absl::Time kNow = absl::FromUnixSeconds(1707425105) + absl::Milliseconds(500);

TEST(UnencryptedMessageTest, EncodesHeaderAndBody) {
  const std::string message = EncodeUnencryptedMessage(0x0102030405060708, "abcd");
  EXPECT_EQ(message,
            std::string("\0\0\0\0\0\0\0\0\x08\x07\x06\x05\x04\x03\x02\x01\x04\0\0\0abcd", 24));
  absl::StatusOr<UnencryptedMessage> decoded = DecodeUnencryptedMessage(message);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->msg_id, 0x0102030405060708);
  EXPECT_EQ(decoded->body, "abcd");
}

TEST(UnencryptedMessageTest, IgnoresTransportPaddingAfterTheMessage) {
  const std::string message = EncodeUnencryptedMessage(4, "abcd") + "0123456789abcde";
  absl::StatusOr<UnencryptedMessage> decoded = DecodeUnencryptedMessage(message);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->body, "abcd");
}

TEST(UnencryptedMessageTest, RejectsMalformedEnvelopes) {
  const std::string good = EncodeUnencryptedMessage(4, "abcdefgh");
  for (size_t size = 0; size < good.size(); ++size) {
    EXPECT_FALSE(DecodeUnencryptedMessage(good.substr(0, size)).ok()) << size;
  }
  std::string with_key_id = good;
  with_key_id[3] = 1;
  EXPECT_FALSE(DecodeUnencryptedMessage(with_key_id).ok());
  std::string unaligned = good;
  unaligned[16] = 7;
  EXPECT_FALSE(DecodeUnencryptedMessage(unaligned).ok());
  std::string huge = good;
  huge[19] = static_cast<char>(0xff);  // length 0xff000008: reads past the end
  EXPECT_FALSE(DecodeUnencryptedMessage(huge).ok());
}

TEST(UnencryptedEnvelopeTest, MsgIdsFollowTheClockAndTheRole) {
  FakeClock clock(kNow);
  UnencryptedEnvelope client(crypto::Role::kClient, clock.AsClock());
  UnencryptedEnvelope server(crypto::Role::kServer, clock.AsClock());

  absl::StatusOr<UnencryptedMessage> first = DecodeUnencryptedMessage(client.Seal("abcd"));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->msg_id % 4, 0);
  EXPECT_EQ(first->msg_id >> 32, 1707425105);
  EXPECT_NEAR(static_cast<double>(first->msg_id & 0xffffffff), 0.5 * 4294967296.0, 4.0);

  // The clock stands still: msg_ids still increase.
  absl::StatusOr<UnencryptedMessage> second = DecodeUnencryptedMessage(client.Seal("abcd"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->msg_id, first->msg_id + 4);

  absl::StatusOr<UnencryptedMessage> answer = DecodeUnencryptedMessage(server.Seal("abcd"));
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->msg_id % 4, 1);
  absl::StatusOr<UnencryptedMessage> answer2 = DecodeUnencryptedMessage(server.Seal("abcd"));
  ASSERT_TRUE(answer2.ok());
  EXPECT_EQ(answer2->msg_id % 4, 1);
  EXPECT_GT(answer2->msg_id, answer->msg_id);
}

TEST(UnencryptedEnvelopeTest, ChecksThePeersMsgIds) {
  FakeClock clock(kNow);
  UnencryptedEnvelope server(crypto::Role::kServer, clock.AsClock());
  const int64_t base = int64_t{1707425105} << 32;
  EXPECT_FALSE(server.Open(EncodeUnencryptedMessage(base + 1, "")).ok());  // a server's id
  EXPECT_FALSE(server.Open(EncodeUnencryptedMessage(base + 2, "")).ok());
  EXPECT_FALSE(server.Open(EncodeUnencryptedMessage(0, "")).ok());
  EXPECT_FALSE(server.Open(EncodeUnencryptedMessage(-4, "")).ok());
  EXPECT_TRUE(server.Open(EncodeUnencryptedMessage(base + 8, "")).ok());
  EXPECT_FALSE(server.Open(EncodeUnencryptedMessage(base + 8, "")).ok());  // replayed
  EXPECT_FALSE(server.Open(EncodeUnencryptedMessage(base + 4, "")).ok());  // older
  EXPECT_TRUE(server.Open(EncodeUnencryptedMessage(base + 12, "")).ok());
  EXPECT_EQ(server.last_received_msg_id(), base + 12);

  UnencryptedEnvelope client(crypto::Role::kClient, clock.AsClock());
  EXPECT_FALSE(client.Open(EncodeUnencryptedMessage(base + 4, "")).ok());  // a client's id
  EXPECT_TRUE(client.Open(EncodeUnencryptedMessage(base + 1, "")).ok());
  EXPECT_TRUE(client.Open(EncodeUnencryptedMessage(base + 7, "")).ok());
  EXPECT_FALSE(client.Open(EncodeUnencryptedMessage(base + 5, "")).ok());
}

}  // namespace
}  // namespace tgrpc::mtproto::handshake
