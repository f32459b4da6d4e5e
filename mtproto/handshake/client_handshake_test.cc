// What the client handshake rejects (forged and tampered server messages, truncations, calls out
// of order), and the client against the worked example of
// core.telegram.org/mtproto/samples-auth_key.
#include "mtproto/handshake/client_handshake.h"

#include <algorithm>
#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/time/time.h"
#include "base/bytes.h"
#include "base/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtproto/crypto/sample_vectors.h"
#include "mtproto/handshake/handshake_test_fixture.h"
#include "mtproto/handshake/handshake_test_util.h"
#include "mtproto/handshake/inner_data.h"
#include "mtproto/handshake/server_handshake.h"
#include "mtproto/handshake/unencrypted_message.h"
#include "tl/generated/mtp.h"

namespace tgrpc::mtproto::handshake {
namespace {

namespace mtp = ::tgrpc::tl::mtp;
namespace samples = ::tgrpc::mtproto::crypto::testing::samples;
using ::testing::HasSubstr;
using ::tgrpc::base::AsString;
using ::tgrpc::base::FakeClock;
using ::tgrpc::mtproto::handshake::testing::Body;
using ::tgrpc::mtproto::handshake::testing::ClientAfter;
using ::tgrpc::mtproto::handshake::testing::ClientOptions;
using ::tgrpc::mtproto::handshake::testing::DhValueOf;
using ::tgrpc::mtproto::handshake::testing::ExpectTruncationsRefused;
using ::tgrpc::mtproto::handshake::testing::ForgeServerDhParams;
using ::tgrpc::mtproto::handshake::testing::kServerTime;
using ::tgrpc::mtproto::handshake::testing::MsgId;
using ::tgrpc::mtproto::handshake::testing::Mutation;
using ::tgrpc::mtproto::handshake::testing::NewClient;
using ::tgrpc::mtproto::handshake::testing::NewServer;
using ::tgrpc::mtproto::handshake::testing::Parse;
using ::tgrpc::mtproto::handshake::testing::PrimeMinus;
using ::tgrpc::mtproto::handshake::testing::RecordExchange;
using ::tgrpc::mtproto::handshake::testing::Rewrap;
using ::tgrpc::mtproto::handshake::testing::RunExchange;
using ::tgrpc::mtproto::handshake::testing::SeededRandom;
using ::tgrpc::mtproto::handshake::testing::Serialize;
using ::tgrpc::mtproto::handshake::testing::TelegramKey;
using ::tgrpc::mtproto::handshake::testing::Transcript;

TEST(ClientHandshakeTest, RejectsResPqWithWrongNonce) {
  const Transcript transcript = RecordExchange();
  ClientHandshake client = ClientAfter(transcript, 0);
  auto res_pq = Parse<mtp::resPQ>(transcript.server[0]);
  res_pq.nonce[3] ^= 1;
  const auto status = client.HandleMessage(Rewrap(transcript.server[0], res_pq)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("nonce"));
  EXPECT_TRUE(client.failed());
  // A failed exchange stays failed.
  EXPECT_EQ(client.HandleMessage(transcript.server[0]).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ClientHandshakeTest, RejectsServerWithoutAKnownKey) {
  ClientHandshakeOptions options = ClientOptions();
  options.server_keys = {TelegramKey()};
  ClientHandshake client = NewClient(std::move(options));
  ServerHandshake server = NewServer();
  const absl::Status status = RunExchange(client, server);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("fingerprint"));
}

TEST(ClientHandshakeTest, RejectsPqThatIsNotASemiprime) {
  const Transcript transcript = RecordExchange();
  for (absl::string_view pq :
       {absl::string_view("\x07", 1),  // prime
        absl::string_view("\x01\x00\x00\x00\x00\x00\x00\x00\x00", 9), absl::string_view("")}) {
    ClientHandshake client = ClientAfter(transcript, 0);
    auto res_pq = Parse<mtp::resPQ>(transcript.server[0]);
    res_pq.pq = std::string(pq);
    EXPECT_FALSE(client.HandleMessage(Rewrap(transcript.server[0], res_pq)).ok());
  }
}

TEST(ClientHandshakeTest, RejectsTamperedEncryptedAnswer) {
  const Transcript transcript = RecordExchange();
  ClientHandshake client = ClientAfter(transcript, 1);
  auto params = Parse<mtp::server_DH_params_ok>(transcript.server[1]);
  params.encrypted_answer[100] ^= 0x20;
  const auto status = client.HandleMessage(Rewrap(transcript.server[1], params)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("SHA1"));
}

TEST(ClientHandshakeTest, AcceptsAForgedAnswerThatIsValid) {
  const Transcript transcript = RecordExchange();
  ClientHandshake client = ClientAfter(transcript, 1);
  const auto out = client.HandleMessage(ForgeServerDhParams(transcript, [](auto&) {}));
  EXPECT_TRUE(out.ok()) << out.status();
}

TEST(ClientHandshakeTest, RejectsBadDhParameters) {
  const Transcript transcript = RecordExchange();
  const std::vector<Mutation<mtp::server_DH_inner_data>> cases = {
      {"g_a = 1", "outside", [](auto& d) { d.g_a = AsString(DhValueOf("01")); }},
      {"g_a = p - 1", "outside", [](auto& d) { d.g_a = AsString(PrimeMinus(1)); }},
      {"g_a = p", "outside", [](auto& d) { d.g_a = AsString(crypto::TelegramDhPrime()); }},
      {"g_a < 2^1984", "outside", [](auto& d) { d.g_a = AsString(DhValueOf("ffffffffffffffff")); }},
      {"g_a > p - 2^1984", "outside", [](auto& d) { d.g_a = AsString(PrimeMinus(0x10)); }},
      {"g_a too long", "g_a must be", [](auto& d) { d.g_a += std::string(4, '\1'); }},
      {"g = 9", "not in 2..7", [](auto& d) { d.g = 9; }},
      {"g = 1", "not in 2..7", [](auto& d) { d.g = 1; }},
      {"dh_prime not prime", "not prime", [](auto& d) { d.dh_prime = AsString(PrimeMinus(2)); }},
      {"dh_prime short", "dh_prime must be", [](auto& d) { d.dh_prime.pop_back(); }},
      {"inner nonce", ": nonce does not match", [](auto& d) { d.nonce[0] ^= 1; }},
      {"inner server_nonce", "server_nonce does not match",
       [](auto& d) { d.server_nonce[15] ^= 1; }},
  };
  for (const auto& [name, reason, mutate] : cases) {
    ClientHandshake client = ClientAfter(transcript, 1);
    const auto out = client.HandleMessage(ForgeServerDhParams(transcript, mutate));
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument)
        << name << ": " << out.status();
    EXPECT_THAT(std::string(out.status().message()), HasSubstr(reason)) << name;
  }
}

TEST(ClientHandshakeTest, RejectsWrongNewNonceHashes) {
  const Transcript transcript = RecordExchange();
  const auto ok = Parse<mtp::dh_gen_ok>(transcript.server[2]);
  {
    ClientHandshake client = ClientAfter(transcript, 2);
    auto bad = Parse<mtp::dh_gen_ok>(transcript.server[2]);
    bad.new_nonce_hash1[0] ^= 1;
    const auto status = client.HandleMessage(Rewrap(transcript.server[2], bad)).status();
    EXPECT_THAT(std::string(status.message()), HasSubstr("new_nonce_hash1"));
  }
  {  // dh_gen_retry carrying hash1 is not a valid retry
    ClientHandshake client = ClientAfter(transcript, 2);
    mtp::dh_gen_retry retry;
    retry.nonce = ok.nonce;
    retry.server_nonce = ok.server_nonce;
    retry.new_nonce_hash2 = ok.new_nonce_hash1;
    const auto status = client.HandleMessage(Rewrap(transcript.server[2], retry)).status();
    EXPECT_THAT(std::string(status.message()), HasSubstr("new_nonce_hash2"));
  }
  {
    ClientHandshake client = ClientAfter(transcript, 2);
    mtp::dh_gen_fail fail;
    fail.nonce = ok.nonce;
    fail.server_nonce = ok.server_nonce;
    fail.new_nonce_hash3 = ok.new_nonce_hash1;
    const auto status = client.HandleMessage(Rewrap(transcript.server[2], fail)).status();
    EXPECT_THAT(std::string(status.message()), HasSubstr("new_nonce_hash3"));
  }
  {
    ClientHandshake client = ClientAfter(transcript, 2);
    auto bad = Parse<mtp::dh_gen_ok>(transcript.server[2]);
    bad.server_nonce[0] ^= 1;
    EXPECT_FALSE(client.HandleMessage(Rewrap(transcript.server[2], bad)).ok());
  }
}

TEST(ClientHandshakeTest, RejectsTruncatedAnswers) {
  const Transcript transcript = RecordExchange();
  ExpectTruncationsRefused<ClientHandshake>(
      transcript.server, [&](size_t step) { return ClientAfter(transcript, step); });
}

TEST(ClientHandshakeTest, RejectsCallsOutOfOrder) {
  const Transcript transcript = RecordExchange();
  ClientHandshake idle = NewClient();
  EXPECT_EQ(idle.HandleMessage(transcript.server[0]).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ClientHandshake client = ClientAfter(transcript, 0);
  EXPECT_FALSE(client.Start().ok());
  // server_DH_params_ok where resPQ is due.
  EXPECT_FALSE(client.HandleMessage(transcript.server[1]).ok());
}

// The worked example of core.telegram.org/mtproto/samples-auth_key: with the page's nonce,
// new_nonce, b and padding, the client must produce the page's set_client_DH_params byte for
// byte and end with its auth key and salt. (Only the RSA step cannot be compared: the page does
// not give its random temp_key.)
crypto::RandomSource ScriptedThenSeeded(std::vector<std::string> script, uint64_t seed) {
  auto queue = std::make_shared<std::deque<std::string>>(script.begin(), script.end());
  crypto::RandomSource seeded = SeededRandom(seed);
  return [queue, seeded](absl::Span<uint8_t> out) {
    if (!queue->empty() && queue->front().size() == out.size()) {
      std::copy(queue->front().begin(), queue->front().end(), out.begin());
      queue->pop_front();
    } else {
      seeded(out);
    }
  };
}

template <size_t N>
std::array<uint8_t, N> HexArray(absl::string_view hex) {
  const std::string bytes = absl::HexStringToBytes(hex);
  std::array<uint8_t, N> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

int64_t LittleEndianHex(absl::string_view hex) {
  const std::string bytes = absl::HexStringToBytes(hex);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(bytes[i]);
  return static_cast<int64_t>(v);
}

TEST(ClientHandshakeTest, ReproducesThePublishedSampleExchange) {
  ClientHandshakeOptions options;
  options.server_keys = {TelegramKey()};
  options.inner_data = InnerDataKind::kDc;
  options.dc_id = 2;
  options.random = ScriptedThenSeeded(
      {absl::HexStringToBytes(samples::kNonce), absl::HexStringToBytes(samples::kNewNonce),
       absl::HexStringToBytes(samples::kB), absl::HexStringToBytes(samples::kPadding)},
      3);
  options.clock = FakeClock(absl::FromUnixSeconds(samples::kServerTime - 5)).AsClock();
  ClientHandshake client = NewClient(std::move(options));

  const auto first = client.Start();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Parse<mtp::req_pq_multi>(*first).nonce, HexArray<16>(samples::kNonce));

  int64_t server_msg_id = LittleEndianHex("01D83175503DC565");
  mtp::resPQ res_pq;
  res_pq.nonce = HexArray<16>(samples::kNonce);
  res_pq.server_nonce = HexArray<16>(samples::kServerNonce);
  res_pq.pq = absl::HexStringToBytes("256595EDB7766797");
  res_pq.server_public_key_fingerprints = {static_cast<int64_t>(samples::kRsaFingerprint)};
  const auto second =
      client.HandleMessage(EncodeUnencryptedMessage(server_msg_id, Serialize(res_pq)));
  ASSERT_TRUE(second.ok()) << second.status();
  const auto req_dh = Parse<mtp::req_DH_params>(*second);
  EXPECT_EQ(absl::BytesToHexString(req_dh.p), "5a300d4b");  // 1513098571
  EXPECT_EQ(absl::BytesToHexString(req_dh.q), "6a26db65");  // 1780931429
  EXPECT_EQ(static_cast<uint64_t>(req_dh.public_key_fingerprint), samples::kRsaFingerprint);
  EXPECT_EQ(req_dh.encrypted_data.size(), 256u);

  mtp::server_DH_params_ok params;
  params.nonce = res_pq.nonce;
  params.server_nonce = res_pq.server_nonce;
  params.encrypted_answer = absl::HexStringToBytes(samples::kEncryptedAnswer);
  server_msg_id += 4;
  const auto third =
      client.HandleMessage(EncodeUnencryptedMessage(server_msg_id, Serialize(params)));
  ASSERT_TRUE(third.ok()) << third.status();
  const auto set_params = Parse<mtp::set_client_DH_params>(*third);
  EXPECT_EQ(absl::BytesToHexString(set_params.encrypted_data),
            absl::AsciiStrToLower(samples::kEncryptedData));

  mtp::dh_gen_ok ok;
  ok.nonce = res_pq.nonce;
  ok.server_nonce = res_pq.server_nonce;
  ok.new_nonce_hash1 = HexArray<16>(samples::kNewNonceHash1);
  server_msg_id += 4;
  const auto last = client.HandleMessage(EncodeUnencryptedMessage(server_msg_id, Serialize(ok)));
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_TRUE(last->empty());
  ASSERT_TRUE(client.done());
  EXPECT_EQ(absl::BytesToHexString(AsString(client.result().auth_key.bytes())),
            absl::AsciiStrToLower(samples::kAuthKey));
  EXPECT_EQ(client.result().auth_key.id(),
            static_cast<uint64_t>(LittleEndianHex(samples::kAuthKeyId)));
  EXPECT_EQ(client.result().first_server_salt, LittleEndianHex(samples::kFirstServerSalt));
  EXPECT_EQ(client.result().server_time_offset, 5);
  EXPECT_FALSE(client.result().temporary);
}

}  // namespace
}  // namespace tgrpc::mtproto::handshake
