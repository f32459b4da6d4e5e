// The client and server handshakes against each other in memory, with fixed seeds and fake
// clocks: every inner data kind and RSA scheme, legacy req_pq, dh_gen_retry and retry budgets.
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtproto/crypto/handshake_crypto.h"
#include "mtproto/handshake/client_handshake.h"
#include "mtproto/handshake/handshake_test_fixture.h"
#include "mtproto/handshake/handshake_test_util.h"
#include "mtproto/handshake/inner_data.h"
#include "mtproto/handshake/server_handshake.h"
#include "mtproto/handshake/unencrypted_message.h"
#include "tl/generated/mtp.h"
#include "tl/runtime/object.h"

namespace tgrpc::mtproto::handshake {
namespace {

namespace mtp = ::tgrpc::tl::mtp;
using ::testing::HasSubstr;
using ::tgrpc::base::AsBytes;
using ::tgrpc::base::AsStringView;
using ::tgrpc::mtproto::handshake::testing::Body;
using ::tgrpc::mtproto::handshake::testing::ClientInnerData;
using ::tgrpc::mtproto::handshake::testing::ClientOptions;
using ::tgrpc::mtproto::handshake::testing::kClientBehind;
using ::tgrpc::mtproto::handshake::testing::kExpiresIn;
using ::tgrpc::mtproto::handshake::testing::kServerTime;
using ::tgrpc::mtproto::handshake::testing::MsgId;
using ::tgrpc::mtproto::handshake::testing::NewClient;
using ::tgrpc::mtproto::handshake::testing::NewServer;
using ::tgrpc::mtproto::handshake::testing::Parse;
using ::tgrpc::mtproto::handshake::testing::RecordExchange;
using ::tgrpc::mtproto::handshake::testing::RunExchange;
using ::tgrpc::mtproto::handshake::testing::Serialize;
using ::tgrpc::mtproto::handshake::testing::TestRsaKey;
using ::tgrpc::mtproto::handshake::testing::Transcript;

class ExchangeTest : public ::testing::TestWithParam<std::tuple<InnerDataKind, RsaScheme>> {};

TEST_P(ExchangeTest, BothSidesDeriveTheSameKey) {
  const auto [kind, scheme] = GetParam();
  const uint64_t seed = 10 + static_cast<uint64_t>(kind) * 2 + static_cast<uint64_t>(scheme);
  ClientHandshake client = NewClient(ClientOptions(seed, kind, scheme));
  ServerHandshake server = NewServer({.seed = seed + 100});
  Transcript transcript;
  ASSERT_TRUE(RunExchange(client, server, &transcript).ok());
  ASSERT_TRUE(client.done());
  ASSERT_TRUE(server.done());
  EXPECT_EQ(transcript.client.size(), 3u);

  const ClientHandshakeResult& c = client.result();
  const ServerHandshakeResult& s = server.result();
  EXPECT_EQ(c.auth_key, s.auth_key);
  EXPECT_EQ(c.auth_key.id(), s.auth_key.id());
  EXPECT_EQ(c.first_server_salt, s.first_server_salt);
  EXPECT_EQ(c.server_time_offset, kClientBehind);
  EXPECT_EQ(s.inner_data, kind);
  EXPECT_EQ(s.rsa_scheme, scheme);
  EXPECT_FALSE(s.legacy_req_pq);
  EXPECT_EQ(s.dc_id, HasDc(kind) ? std::optional<int32_t>(2) : std::nullopt);
  EXPECT_EQ(c.temporary, IsTemporary(kind));
  EXPECT_EQ(s.temporary, IsTemporary(kind));
  EXPECT_EQ(c.expires_in, IsTemporary(kind) ? kExpiresIn : 0);
  EXPECT_EQ(s.expires_in, c.expires_in);
  EXPECT_EQ(c.expires_at, IsTemporary(kind) ? kServerTime + kExpiresIn : 0);
  EXPECT_EQ(s.expires_at, c.expires_at);
  EXPECT_EQ(c.dh_retries, 0);
  EXPECT_EQ(s.dh_retries, 0);

  // The salt is new_nonce[0:8] XOR server_nonce[0:8].
  const PqInnerData inner = ClientInnerData(transcript.client[1]);
  EXPECT_EQ(inner.kind, kind);
  const auto salt = crypto::InitialServerSalt(inner.new_nonce, inner.server_nonce);
  int64_t expected = 0;
  for (int i = 7; i >= 0; --i) expected = expected << 8 | salt[i];
  EXPECT_EQ(c.first_server_salt, expected);
}

INSTANTIATE_TEST_SUITE_P(
    AllInnerDataAndRsa, ExchangeTest,
    ::testing::Combine(::testing::Values(InnerDataKind::kLegacy, InnerDataKind::kDc,
                                         InnerDataKind::kTemp, InnerDataKind::kTempDc),
                       ::testing::Values(RsaScheme::kRsaPad, RsaScheme::kLegacy)),
    [](const auto& info) {
      return absl::StrCat(
          InnerDataKindName(std::get<0>(info.param)),
          std::get<1>(info.param) == RsaScheme::kRsaPad ? "_rsa_pad" : "_legacy_rsa");
    });

TEST(HandshakeTest, ServerAcceptsLegacyReqPq) {
  ClientHandshakeOptions options = ClientOptions();
  options.legacy_req_pq = true;
  ClientHandshake client = NewClient(std::move(options));
  ServerHandshake server = NewServer();
  Transcript transcript;
  ASSERT_TRUE(RunExchange(client, server, &transcript).ok());
  EXPECT_EQ(Parse<mtp::req_pq>(transcript.client[0]).nonce,
            Parse<mtp::resPQ>(transcript.server[0]).nonce);
  EXPECT_TRUE(server.result().legacy_req_pq);
  EXPECT_EQ(client.result().auth_key, server.result().auth_key);
}

TEST(HandshakeTest, ResPqListsTheServerKeysAndASemiprime) {
  const Transcript transcript = RecordExchange();
  const auto res_pq = Parse<mtp::resPQ>(transcript.server[0]);
  EXPECT_THAT(
      res_pq.server_public_key_fingerprints,
      ::testing::ElementsAre(static_cast<int64_t>(TestRsaKey().public_key().fingerprint())));
  const auto request = Parse<mtp::req_DH_params>(transcript.client[1]);
  EXPECT_EQ(request.p.size(), 4u);
  EXPECT_EQ(request.q.size(), 4u);
  EXPECT_LT(request.p, request.q);
  EXPECT_EQ(request.encrypted_data.size(), 256u);
  EXPECT_EQ(MsgId(transcript.client[0]) % 4, 0);
  EXPECT_EQ(MsgId(transcript.server[0]) % 4, 1);
}

TEST(HandshakeTest, ForcedDhGenRetryEndsWithTheSameKey) {
  std::vector<uint64_t> asked;
  ClientHandshake client = NewClient();
  ServerHandshake server = NewServer({.auth_key_id_in_use = [&asked](uint64_t id) {
    asked.push_back(id);
    return asked.size() == 1;  // the first key collides
  }});
  Transcript transcript;
  ASSERT_TRUE(RunExchange(client, server, &transcript).ok());
  ASSERT_TRUE(server.done());
  EXPECT_EQ(transcript.client.size(), 4u);
  EXPECT_EQ(Body(transcript.server[2]).substr(0, 4), Serialize(mtp::dh_gen_retry()).substr(0, 4));
  EXPECT_EQ(client.result().auth_key, server.result().auth_key);
  EXPECT_EQ(client.result().first_server_salt, server.result().first_server_salt);
  EXPECT_EQ(client.result().dh_retries, 1);
  EXPECT_EQ(server.result().dh_retries, 1);
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_NE(asked[0], asked[1]);
  EXPECT_EQ(asked[1], server.result().auth_key.id());
  // The second attempt names the rejected key by its aux hash.
  const PqInnerData inner = ClientInnerData(transcript.client[1]);
  const auto retry = Parse<mtp::set_client_DH_params>(transcript.client[3]);
  const auto data = crypto::DecryptWithSha1(
      crypto::DeriveTmpAesKey(inner.new_nonce, inner.server_nonce), AsBytes(retry.encrypted_data));
  ASSERT_TRUE(data.ok());
  const auto client_dh = tl::Decode<mtp::Client_DH_Inner_Data>(AsStringView(*data));
  ASSERT_TRUE(client_dh.ok());
  EXPECT_NE(static_cast<const mtp::client_DH_inner_data&>(**client_dh).retry_id, 0);
}

TEST(HandshakeTest, ServerGivesUpWithDhGenFail) {
  ClientHandshake client = NewClient();
  ServerHandshake server =
      NewServer({.auth_key_id_in_use = [](uint64_t) { return true; }, .max_dh_retries = 1});
  Transcript transcript;
  const absl::Status status = RunExchange(client, server, &transcript);
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("dh_gen_fail"));
  EXPECT_TRUE(client.failed());
  EXPECT_TRUE(server.failed());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(transcript.server.size(), 4u);
}

TEST(HandshakeTest, ClientGivesUpAfterItsRetryBudget) {
  ClientHandshakeOptions options = ClientOptions();
  options.max_dh_retries = 0;
  ClientHandshake client = NewClient(std::move(options));
  ServerHandshake server = NewServer({.auth_key_id_in_use = [](uint64_t) { return true; }});
  const absl::Status status = RunExchange(client, server);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
}

TEST(HandshakeTest, OptionsAreChecked) {
  ClientHandshakeOptions no_keys = ClientOptions();
  no_keys.server_keys.clear();
  EXPECT_FALSE(ClientHandshake::Create(std::move(no_keys)).ok());
  ClientHandshakeOptions temp = ClientOptions(2, InnerDataKind::kTempDc);
  temp.expires_in = 0;
  EXPECT_FALSE(ClientHandshake::Create(std::move(temp)).ok());
  EXPECT_FALSE(ServerHandshake::Create(std::make_shared<ServerHandshakeConfig>()).ok());
  auto bad_g = std::make_shared<ServerHandshakeConfig>();
  bad_g->rsa_keys = {TestRsaKey()};
  bad_g->dh_g = 9;
  EXPECT_FALSE(ServerHandshake::Create(bad_g).ok());
}

}  // namespace
}  // namespace tgrpc::mtproto::handshake
