#include "mtproto/crypto/packet_cipher.h"

#include <numeric>
#include <vector>

#include "gtest/gtest.h"
#include "mtproto/crypto/crypto_test_util.h"
#include "mtproto/crypto/sample_vectors.h"

namespace tgrpc::mtproto::crypto {
namespace {

using ::tgrpc::mtproto::crypto::testing::HexBytes;
using ::tgrpc::mtproto::crypto::testing::NormalizedHex;
using ::tgrpc::mtproto::crypto::testing::ScriptedRandom;
using ::tgrpc::mtproto::crypto::testing::SeededRandom;
using ::tgrpc::mtproto::crypto::testing::ToHex;

AuthKey SampleKey() { return *AuthKey::FromBytes(HexBytes(testing::samples::kAuthKey)); }

MessageHeader SampleHeader() {
  return MessageHeader{.salt = 0x0123456789ABCDEF,
                       .session_id = 0x1122334455667788,
                       .msg_id = 0x65C5DC4F00000004,
                       .seq_no = 1};
}

std::vector<uint8_t> SamplePadding() {
  std::vector<uint8_t> padding(20);
  std::iota(padding.begin(), padding.end(), 0xA0);
  return padding;
}

// Produced by testdata/packet_vectors.py, an independent implementation of the spec.
constexpr char kClientPacket[] =
    "65588b3350ef784ea2ff186b66ce80a97f490bb1cf7d91c95621c1febdad505aa94ff95e4c5aea8ec4b24b62b6"
    "6d3a4190cdd6dcb207e067a4f140eda3bdba5509d2dc2e716ef3ff7dffa1b755426d830e226c1011354126";
constexpr char kServerPacket[] =
    "65588b3350ef784e1494d2cb2f43d05548b4a1f8a0374951efc3cca2ca52e11bacb65a1cfbd7781e0c4b333cfa"
    "49175404172479b7856243aaab56170c646e2c5d4b705737867b3d004a7e6b77513decd6bcc4f68ab62b71";
constexpr char kPingBody[] = "ec77be7a0102030405060708";

class PacketCipherVectorTest : public ::testing::TestWithParam<Role> {};

TEST_P(PacketCipherVectorTest, MatchesIndependentImplementation) {
  const Role role = GetParam();
  const char* expected = role == Role::kClient ? kClientPacket : kServerPacket;
  const PacketCipher cipher(SampleKey(), role);
  const auto body = HexBytes(kPingBody);
  ASSERT_EQ(PacketCipher::PaddingSize(body.size()), 20u);
  std::vector<uint8_t> packet(PacketCipher::EncryptedSize(body.size()));
  auto size =
      cipher.Encrypt(SampleHeader(), body, ScriptedRandom(SamplePadding()), absl::MakeSpan(packet));
  ASSERT_TRUE(size.ok()) << size.status();
  EXPECT_EQ(*size, packet.size());
  EXPECT_EQ(ToHex(packet), NormalizedHex(expected));

  // The peer decrypts it.
  const PacketCipher peer(SampleKey(), role == Role::kClient ? Role::kServer : Role::kClient);
  auto message = peer.DecryptInPlace(absl::MakeSpan(packet));
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(message->header, SampleHeader());
  EXPECT_EQ(ToHex(message->body), kPingBody);
  EXPECT_EQ(message->body.data(), packet.data() + PacketCipher::kBodyOffset);
}

TEST_P(PacketCipherVectorTest, SameRoleCannotDecryptItsOwnPackets) {
  const PacketCipher cipher(SampleKey(), GetParam());
  std::vector<uint8_t> packet =
      HexBytes(GetParam() == Role::kClient ? kClientPacket : kServerPacket);
  EXPECT_EQ(cipher.DecryptInPlace(absl::MakeSpan(packet)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Roles, PacketCipherVectorTest,
                         ::testing::Values(Role::kClient, Role::kServer),
                         [](const ::testing::TestParamInfo<Role>& info) {
                           return info.param == Role::kClient ? "Client" : "Server";
                         });

TEST(PacketCipherTest, PaddingSizes) {
  for (size_t body = 0; body < 200; body += 4) {
    for (size_t extra : {size_t{0}, size_t{1}, PacketCipher::kMaxExtraPaddingBlocks}) {
      const size_t padding = PacketCipher::PaddingSize(body, extra);
      EXPECT_GE(padding, PacketCipher::kMinPadding);
      EXPECT_LE(padding, PacketCipher::kMaxPadding);
      EXPECT_EQ((32 + body + padding) % 16, 0u);
      if (extra == 0) {
        EXPECT_LT(padding, PacketCipher::kMinPadding + 16);
      }
    }
  }
}

TEST(PacketCipherTest, RoundTripsLargeBodiesInPlaceWithExtraPadding) {
  RandomSource random = SeededRandom(7);
  const PacketCipher client(SampleKey(), Role::kClient);
  const PacketCipher server(SampleKey(), Role::kServer);
  for (size_t body_size : {0u, 4u, 64u, 4096u, 512u * 1024u}) {
    for (size_t extra : {size_t{0}, size_t{3}, PacketCipher::kMaxExtraPaddingBlocks}) {
      std::vector<uint8_t> packet(PacketCipher::EncryptedSize(body_size, extra));
      std::vector<uint8_t> body(body_size);
      random(absl::MakeSpan(body));
      std::copy(body.begin(), body.end(), packet.begin() + PacketCipher::kBodyOffset);
      auto size =
          server.EncryptInPlace(SampleHeader(), body_size, random, absl::MakeSpan(packet), extra);
      ASSERT_TRUE(size.ok()) << size.status();
      ASSERT_EQ(*size, packet.size());
      auto message = client.DecryptInPlace(absl::MakeSpan(packet));
      ASSERT_TRUE(message.ok()) << message.status();
      EXPECT_EQ(message->header, SampleHeader());
      EXPECT_EQ(std::vector<uint8_t>(message->body.begin(), message->body.end()), body);
    }
  }
}

// A batch through PrepareInPlace and EncryptPrepared (each next packet hashed while the one
// before is encrypted) gives, byte for byte, what EncryptInPlace gives each packet alone with the
// same padding, and the peer decrypts every packet.
TEST(PacketCipherTest, EncryptPreparedBatchEqualsOneByOne) {
  const PacketCipher client(SampleKey(), Role::kClient);
  const PacketCipher server(SampleKey(), Role::kServer);
  const std::vector<size_t> body_sizes = {512u * 1024u, 0u, 4u, 512u * 1024u, 4096u, 60u};
  std::vector<std::vector<uint8_t>> batch, alone;
  std::vector<std::vector<uint8_t>> bodies;
  RandomSource body_random = SeededRandom(3);
  RandomSource batch_padding = SeededRandom(5);
  RandomSource alone_padding = SeededRandom(5);
  for (size_t i = 0; i < body_sizes.size(); ++i) {
    std::vector<uint8_t> body(body_sizes[i]);
    body_random(absl::MakeSpan(body));
    std::vector<uint8_t> packet(PacketCipher::EncryptedSize(body.size(), i % 2));
    std::copy(body.begin(), body.end(), packet.begin() + PacketCipher::kBodyOffset);
    MessageHeader header = SampleHeader();
    header.msg_id += 4 * i;
    auto size =
        client.PrepareInPlace(header, body.size(), batch_padding, absl::MakeSpan(packet), i % 2);
    ASSERT_TRUE(size.ok()) << size.status();
    ASSERT_EQ(*size, packet.size());
    batch.push_back(packet);
    std::vector<uint8_t> one = packet;
    std::copy(body.begin(), body.end(), one.begin() + PacketCipher::kBodyOffset);
    ASSERT_TRUE(
        client.EncryptInPlace(header, body.size(), alone_padding, absl::MakeSpan(one), i % 2).ok());
    alone.push_back(std::move(one));
    bodies.push_back(std::move(body));
  }
  std::vector<absl::Span<uint8_t>> spans;
  for (auto& packet : batch) spans.push_back(absl::MakeSpan(packet));
  ASSERT_TRUE(client.EncryptPrepared(spans).ok());
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(ToHex(batch[i]), ToHex(alone[i])) << "packet " << i;
    auto message = server.DecryptInPlace(absl::MakeSpan(batch[i]));
    ASSERT_TRUE(message.ok()) << "packet " << i << ": " << message.status();
    EXPECT_EQ(message->header.msg_id, SampleHeader().msg_id + 4 * i);
    EXPECT_EQ(std::vector<uint8_t>(message->body.begin(), message->body.end()), bodies[i]);
  }
  EXPECT_TRUE(client.EncryptPrepared({}).ok());
}

TEST(PacketCipherTest, EncryptPreparedRejectsBadSizes) {
  const PacketCipher client(SampleKey(), Role::kClient);
  std::vector<uint8_t> short_packet(PacketCipher::kOuterHeaderSize + 32);
  std::vector<uint8_t> ragged(PacketCipher::kOuterHeaderSize + 56);
  absl::Span<uint8_t> one = absl::MakeSpan(short_packet);
  EXPECT_EQ(client.EncryptPrepared(absl::MakeConstSpan(&one, 1)).code(),
            absl::StatusCode::kInvalidArgument);
  one = absl::MakeSpan(ragged);
  EXPECT_EQ(client.EncryptPrepared(absl::MakeConstSpan(&one, 1)).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PacketCipherTest, EncryptRejectsBadArguments) {
  const PacketCipher cipher(SampleKey(), Role::kClient);
  RandomSource random = SeededRandom(1);
  std::vector<uint8_t> out(1024);
  EXPECT_FALSE(
      cipher.Encrypt(SampleHeader(), std::vector<uint8_t>(6), random, absl::MakeSpan(out)).ok());
  EXPECT_FALSE(
      cipher.Encrypt(SampleHeader(), std::vector<uint8_t>(8), random, absl::MakeSpan(out).first(70))
          .ok());
  EXPECT_FALSE(cipher
                   .Encrypt(SampleHeader(), std::vector<uint8_t>(8), random, absl::MakeSpan(out),
                            PacketCipher::kMaxExtraPaddingBlocks + 1)
                   .ok());
}

// A server-side encrypted packet whose plaintext the test controls completely, to exercise
// the checks that come after the msg_key.
std::vector<uint8_t> PacketWithLengthField(uint32_t length_field, size_t body_and_padding) {
  const AuthKey key = SampleKey();
  std::vector<uint8_t> plain(32 + body_and_padding, 0x5a);
  for (int i = 0; i < 4; ++i) plain[28 + i] = static_cast<uint8_t>(length_field >> (8 * i));
  const MsgKey msg_key = ComputeMsgKey(key, Role::kServer, plain);
  const MessageAesKey aes_key = DeriveMessageAesKey(key, Role::kServer, msg_key);
  auto aes = AesIge::Create(aes_key.key);
  EXPECT_TRUE(aes.ok());
  EXPECT_TRUE(aes->Encrypt(aes_key.iv, plain, absl::MakeSpan(plain)).ok());
  std::vector<uint8_t> packet(PacketCipher::kOuterHeaderSize + plain.size());
  auto at = std::copy(key.id_bytes().begin(), key.id_bytes().end(), packet.begin());
  at = std::copy(msg_key.begin(), msg_key.end(), at);
  std::copy(plain.begin(), plain.end(), at);
  return packet;
}

TEST(PacketCipherTest, DecryptChecksLengthAndPadding) {
  const PacketCipher client(SampleKey(), Role::kClient);
  struct Case {
    uint32_t length;
    size_t body_and_padding;
    bool ok;
  };
  const Case cases[] = {
      {4, 16, true},           // 12 bytes of padding: the minimum.
      {8, 16, false},          // 8 bytes of padding.
      {6, 32, false},          // Not a multiple of 4.
      {0, 1024 + 16, false},   // 1040 bytes of padding.
      {16, 1024 + 16, true},   // 1024 bytes of padding: the maximum.
      {12, 1024 + 16, false},  // 1028 bytes of padding.
      {0xfffffffc, 32, false},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> packet = PacketWithLengthField(c.length, c.body_and_padding);
    auto message = client.DecryptInPlace(absl::MakeSpan(packet));
    EXPECT_EQ(message.ok(), c.ok) << "length " << c.length << ": " << message.status();
  }
}

TEST(PacketCipherTest, DecryptRejectsTampering) {
  const PacketCipher client(SampleKey(), Role::kClient);
  const std::vector<uint8_t> good = HexBytes(kServerPacket);
  for (size_t i = 0; i < good.size(); i += 7) {
    std::vector<uint8_t> packet = good;
    packet[i] ^= 0x01;
    EXPECT_FALSE(client.DecryptInPlace(absl::MakeSpan(packet)).ok()) << "byte " << i;
  }
  std::vector<uint8_t> truncated(good.begin(), good.end() - 16);
  EXPECT_FALSE(client.DecryptInPlace(absl::MakeSpan(truncated)).ok());
  std::vector<uint8_t> ragged(good.begin(), good.end() - 1);
  EXPECT_FALSE(client.DecryptInPlace(absl::MakeSpan(ragged)).ok());
}

TEST(PacketCipherTest, DecryptRejectsOtherKeys) {
  AuthKey::Bytes other_bytes = SampleKey().bytes();
  other_bytes[0] ^= 1;
  const PacketCipher client(AuthKey(other_bytes), Role::kClient);
  std::vector<uint8_t> packet = HexBytes(kServerPacket);
  EXPECT_FALSE(client.DecryptInPlace(absl::MakeSpan(packet)).ok());
}

TEST(PacketCipherTest, PeekAuthKeyId) {
  auto id = PeekAuthKeyId(HexBytes(kClientPacket));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, SampleKey().id());
  EXPECT_FALSE(PeekAuthKeyId(std::vector<uint8_t>(7)).ok());
}

TEST(PacketCipherTest, EncryptedPacketSizeCutsTransportPadding) {
  EXPECT_EQ(PacketCipher::EncryptedPacketSize(24 + 48), 24u + 48u);
  for (size_t padding = 1; padding < 16; ++padding) {
    EXPECT_EQ(PacketCipher::EncryptedPacketSize(24 + 48 + padding), 24u + 48u) << padding;
  }
  // Too short to hold a packet: left as is for the decryption to reject.
  EXPECT_EQ(PacketCipher::EncryptedPacketSize(20), 20u);
}

}  // namespace
}  // namespace tgrpc::mtproto::crypto
