// What the server handshake rejects: tampered and forged client messages, truncations, messages out
// of order; and the forged inputs it must still accept.
#include "mtproto/handshake/server_handshake.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtproto/crypto/dh.h"
#include "mtproto/handshake/client_handshake.h"
#include "mtproto/handshake/handshake_test_fixture.h"
#include "mtproto/handshake/handshake_test_util.h"
#include "mtproto/handshake/inner_data.h"
#include "mtproto/handshake/unencrypted_message.h"
#include "tl/generated/mtp.h"

namespace tgrpc::mtproto::handshake {
namespace {

namespace mtp = ::tgrpc::tl::mtp;
using ::testing::HasSubstr;
using ::tgrpc::base::AsString;
using ::tgrpc::mtproto::handshake::testing::Body;
using ::tgrpc::mtproto::handshake::testing::ClientOptions;
using ::tgrpc::mtproto::handshake::testing::DhValueOf;
using ::tgrpc::mtproto::handshake::testing::ExpectTruncationsRefused;
using ::tgrpc::mtproto::handshake::testing::ForgeClientDhParams;
using ::tgrpc::mtproto::handshake::testing::MsgId;
using ::tgrpc::mtproto::handshake::testing::Mutation;
using ::tgrpc::mtproto::handshake::testing::NewClient;
using ::tgrpc::mtproto::handshake::testing::NewServer;
using ::tgrpc::mtproto::handshake::testing::Parse;
using ::tgrpc::mtproto::handshake::testing::PrimeMinus;
using ::tgrpc::mtproto::handshake::testing::RecordExchange;
using ::tgrpc::mtproto::handshake::testing::Rewrap;
using ::tgrpc::mtproto::handshake::testing::RunExchange;
using ::tgrpc::mtproto::handshake::testing::Serialize;
using ::tgrpc::mtproto::handshake::testing::ServerAfter;
using ::tgrpc::mtproto::handshake::testing::Transcript;

TEST(ServerHandshakeTest, RejectsTamperedReqDhParams) {
  const Transcript transcript = RecordExchange();
  const std::vector<Mutation<mtp::req_DH_params>> cases = {
      {"nonce", ": nonce does not match", [](auto& r) { r.nonce[0] ^= 1; }},
      {"server_nonce", "server_nonce does not match", [](auto& r) { r.server_nonce[0] ^= 1; }},
      {"fingerprint", "unknown public_key_fingerprint",
       [](auto& r) { r.public_key_fingerprint ^= 1; }},
      {"p", "req_DH_params.p is not", [](auto& r) { r.p.back() += 2; }},
      {"q with a leading zero", "req_DH_params.q is not",
       [](auto& r) { r.q = std::string(1, '\0') + r.q + "\x01"; }},
      {"encrypted_data", "neither RSA_PAD", [](auto& r) { r.encrypted_data[200] ^= 4; }},
      {"encrypted_data too long", "not 256", [](auto& r) { r.encrypted_data += "x"; }},
      {"encrypted_data empty", "not 256", [](auto& r) { r.encrypted_data.clear(); }},
  };
  for (const auto& [name, reason, mutate] : cases) {
    ServerHandshake server = ServerAfter(transcript, 1);
    auto request = Parse<mtp::req_DH_params>(transcript.client[1]);
    mutate(request);
    const auto out = server.HandleMessage(Rewrap(transcript.client[1], request));
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument)
        << name << ": " << out.status();
    EXPECT_THAT(std::string(out.status().message()), HasSubstr(reason)) << name;
    EXPECT_TRUE(server.failed()) << name;
  }
}

TEST(ServerHandshakeTest, RefusesLegacyRsaWhenDisabled) {
  ClientHandshake client = NewClient(ClientOptions(2, InnerDataKind::kLegacy, RsaScheme::kLegacy));
  ServerHandshake server = NewServer({.accept_legacy_rsa = false});
  const absl::Status status = RunExchange(client, server);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("RSA_PAD"));
}

TEST(ServerHandshakeTest, AcceptsAForgedClientDhThatIsValid) {
  const Transcript transcript = RecordExchange();
  ServerHandshake server = ServerAfter(transcript, 2);
  const auto out = server.HandleMessage(ForgeClientDhParams(transcript, [](auto&) {}));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(server.done());
}

TEST(ServerHandshakeTest, AcceptsGbWithoutLeadingZeros) {
  const Transcript transcript = RecordExchange();
  // A g_b with a zero top byte, sent as 255 bytes the way some clients serialize it.
  crypto::DhValue g_b = PrimeMinus(0);
  g_b[0] = 0;
  g_b[1] = 0x80;
  ServerHandshake server = ServerAfter(transcript, 2);
  const auto out = server.HandleMessage(
      ForgeClientDhParams(transcript, [&](auto& d) { d.g_b = AsString(g_b).substr(1); }));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(server.done());
}

TEST(ServerHandshakeTest, RejectsBadClientDhData) {
  const Transcript transcript = RecordExchange();
  const std::vector<Mutation<mtp::client_DH_inner_data>> cases = {
      {"g_b = 1", "outside", [](auto& d) { d.g_b = AsString(DhValueOf("01")); }},
      {"g_b = p - 1", "outside", [](auto& d) { d.g_b = AsString(PrimeMinus(1)); }},
      {"g_b < 2^1984", "outside", [](auto& d) { d.g_b = AsString(DhValueOf("ffffffffffffffff")); }},
      {"g_b too long", "g_b must be", [](auto& d) { d.g_b += std::string(1, '\1'); }},
      {"g_b empty", "g_b must be", [](auto& d) { d.g_b.clear(); }},
      {"inner nonce", ": nonce does not match", [](auto& d) { d.nonce[0] ^= 1; }},
      {"inner server_nonce", "server_nonce does not match",
       [](auto& d) { d.server_nonce[0] ^= 1; }},
  };
  for (const auto& [name, reason, mutate] : cases) {
    ServerHandshake server = ServerAfter(transcript, 2);
    const auto out = server.HandleMessage(ForgeClientDhParams(transcript, mutate));
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument)
        << name << ": " << out.status();
    EXPECT_THAT(std::string(out.status().message()), HasSubstr(reason)) << name;
  }
}

TEST(ServerHandshakeTest, AnswersDhGenFailToAWrongRetryId) {
  const Transcript transcript = RecordExchange();
  ServerHandshake server = ServerAfter(transcript, 2);
  const auto out =
      server.HandleMessage(ForgeClientDhParams(transcript, [](auto& d) { d.retry_id = 42; }));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_NO_FATAL_FAILURE(Parse<mtp::dh_gen_fail>(*out));
  EXPECT_TRUE(server.failed());
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("retry_id"));
}

TEST(ServerHandshakeTest, RejectsTamperedSetClientDhParams) {
  const Transcript transcript = RecordExchange();
  for (size_t at : {0u, 17u, 100u, 300u}) {
    ServerHandshake server = ServerAfter(transcript, 2);
    auto request = Parse<mtp::set_client_DH_params>(transcript.client[2]);
    request.encrypted_data[at] ^= 0x80;
    EXPECT_FALSE(server.HandleMessage(Rewrap(transcript.client[2], request)).ok()) << at;
  }
  ServerHandshake server = ServerAfter(transcript, 2);
  auto request = Parse<mtp::set_client_DH_params>(transcript.client[2]);
  request.encrypted_data.resize(request.encrypted_data.size() - 16);
  EXPECT_FALSE(server.HandleMessage(Rewrap(transcript.client[2], request)).ok());
}

TEST(ServerHandshakeTest, RejectsTruncatedRequests) {
  const Transcript transcript = RecordExchange();
  ExpectTruncationsRefused<ServerHandshake>(
      transcript.client, [&](size_t step) { return ServerAfter(transcript, step); });
}

TEST(ServerHandshakeTest, RejectsMessagesOutOfOrder) {
  const Transcript transcript = RecordExchange();
  {
    ServerHandshake server = NewServer();
    const auto out = server.HandleMessage(transcript.client[2]);
    EXPECT_EQ(out.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_TRUE(server.failed());
  }
  {
    ServerHandshake server = ServerAfter(transcript, 1);
    EXPECT_FALSE(server.HandleMessage(transcript.client[0]).ok());  // same msg_id again
  }
  {
    ServerHandshake server = ServerAfter(transcript, 1);
    auto again = Parse<mtp::req_pq_multi>(transcript.client[0]);
    const auto out = server.HandleMessage(
        EncodeUnencryptedMessage(MsgId(transcript.client[1]), Serialize(again)));
    EXPECT_EQ(out.status().code(), absl::StatusCode::kFailedPrecondition);
  }
  {
    ServerHandshake server = NewServer();
    const auto out = server.HandleMessage(
        EncodeUnencryptedMessage(MsgId(transcript.client[0]), Serialize(mtp::ping())));
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  }
  {
    ServerHandshake server = ServerAfter(transcript, 3);
    ASSERT_TRUE(server.done());
    EXPECT_EQ(server.HandleMessage(transcript.client[0]).status().code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_TRUE(server.done());  // a stray message does not undo the key
  }
}

}  // namespace
}  // namespace tgrpc::mtproto::handshake
