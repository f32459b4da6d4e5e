#include "mtproto/handshake/handshake_test_fixture.h"

#include <algorithm>
#include <array>
#include <memory>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/time/time.h"
#include "base/bytes.h"
#include "base/fake_clock.h"
#include "mtproto/crypto/handshake_crypto.h"
#include "mtproto/crypto/rsa_pad.h"

namespace tgrpc::mtproto::handshake::testing {
namespace {

namespace mtp = ::tgrpc::tl::mtp;
using ::tgrpc::base::AsBytes;
using ::tgrpc::base::AsString;
using ::tgrpc::base::AsStringView;

constexpr char kTelegramPem[] =
    "-----BEGIN RSA PUBLIC KEY-----\n"
    "MIIBCgKCAQEA6LszBcC1LGzyr992NzE0ieY+BSaOW622Aa9Bd4ZHLl+TuFQ4lo4g\n"
    "5nKaMBwK/BIb9xUfg0Q29/2mgIR6Zr9krM7HjuIcCzFvDtr+L0GQjae9H0pRB2OO\n"
    "62cECs5HKhT5DZ98K33vmWiLowc621dQuwKWSQKjWf50XYFw42h21P2KXUGyp2y/\n"
    "+aEyZ+uVgLLQbRA1dEjSDZ2iGRy12Mk5gpYc397aYp438fsJoHIgJ2lgMv5h7WY9\n"
    "t6N/byY9Nw9p21Og3AoXSL2q/2IJ1WRUhebgAdGVMlV1fkuOQoEzR7EdpqtQD9Cs\n"
    "5+bfo3Nhmcyvk5ftB0WkJ9z6bNZ7yxrP8wIDAQAB\n"
    "-----END RSA PUBLIC KEY-----\n";

}  // namespace

crypto::RsaPublicKey TelegramKey() { return *crypto::RsaPublicKey::FromPem(kTelegramPem); }

ServerHandshake NewServer(const ServerSetup& setup) {
  auto config = std::make_shared<ServerHandshakeConfig>();
  config->rsa_keys = {TestRsaKey()};
  config->auth_key_id_in_use = setup.auth_key_id_in_use;
  config->max_dh_retries = setup.max_dh_retries;
  config->accept_legacy_rsa = setup.accept_legacy_rsa;
  config->random = SeededRandom(setup.seed);
  config->clock = base::FakeClock(absl::FromUnixSeconds(kServerTime)).AsClock();
  absl::StatusOr<ServerHandshake> server = ServerHandshake::Create(std::move(config));
  EXPECT_TRUE(server.ok()) << server.status();
  return *std::move(server);
}

ClientHandshakeOptions ClientOptions(uint64_t seed, InnerDataKind kind, RsaScheme scheme) {
  ClientHandshakeOptions options;
  options.server_keys = {TelegramKey(), TestRsaKey().public_key()};
  options.inner_data = kind;
  options.rsa_scheme = scheme;
  options.dc_id = 2;
  options.expires_in = IsTemporary(kind) ? kExpiresIn : 0;
  options.random = SeededRandom(seed);
  options.clock = base::FakeClock(absl::FromUnixSeconds(kServerTime - kClientBehind)).AsClock();
  return options;
}

ClientHandshake NewClient(ClientHandshakeOptions options) {
  absl::StatusOr<ClientHandshake> client = ClientHandshake::Create(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status();
  return *std::move(client);
}

Transcript RecordExchange() {
  ClientHandshake client = NewClient();
  ServerHandshake server = NewServer();
  Transcript transcript;
  EXPECT_TRUE(RunExchange(client, server, &transcript).ok());
  EXPECT_EQ(transcript.client.size(), 3u);
  return transcript;
}

ServerHandshake ServerAfter(const Transcript& transcript, size_t messages) {
  ServerHandshake server = NewServer();
  for (size_t i = 0; i < messages; ++i)
    EXPECT_TRUE(server.HandleMessage(transcript.client[i]).ok());
  return server;
}

ClientHandshake ClientAfter(const Transcript& transcript, size_t messages) {
  ClientHandshake client = NewClient();
  EXPECT_TRUE(client.Start().ok());
  for (size_t i = 0; i < messages; ++i)
    EXPECT_TRUE(client.HandleMessage(transcript.server[i]).ok());
  return client;
}

absl::string_view Body(const std::string& message) {
  return DecodeUnencryptedMessage(message)->body;
}

int64_t MsgId(const std::string& message) { return DecodeUnencryptedMessage(message)->msg_id; }

PqInnerData ClientInnerData(const std::string& req_dh_params) {
  const auto request = Parse<mtp::req_DH_params>(req_dh_params);
  absl::string_view data;
  auto padded = crypto::RsaPadDecrypt(TestRsaKey(), AsBytes(request.encrypted_data));
  auto legacy = crypto::RsaLegacyDecrypt(TestRsaKey(), AsBytes(request.encrypted_data));
  if (padded.ok()) {
    data = AsStringView(*padded);
  } else {
    EXPECT_TRUE(legacy.ok()) << legacy.status();
    data = AsStringView(legacy->data_with_padding());
  }
  auto parsed = ParseInnerData(data);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed->data;
}

crypto::DhValue DhValueOf(absl::string_view hex) {
  const std::string bytes = absl::HexStringToBytes(hex);
  crypto::DhValue value{};
  std::copy(bytes.begin(), bytes.end(), value.end() - bytes.size());
  return value;
}

crypto::DhValue PrimeMinus(uint8_t n) {
  crypto::DhValue value = crypto::TelegramDhPrime();
  value.back() -= n;  // Telegram's prime ends in 0x5b
  return value;
}

std::string ForgeServerDhParams(const Transcript& transcript,
                                const std::function<void(mtp::server_DH_inner_data&)>& mutate) {
  const PqInnerData inner = ClientInnerData(transcript.client[1]);
  const crypto::DhGroup group = *crypto::DhGroup::Create(3, crypto::TelegramDhPrime());
  std::array<uint8_t, 256> a;
  SeededRandom(77)(absl::MakeSpan(a));
  mtp::server_DH_inner_data data;
  data.nonce = inner.nonce;
  data.server_nonce = inner.server_nonce;
  data.g = 3;
  data.dh_prime = AsString(crypto::TelegramDhPrime());
  data.g_a = AsString(*group.PublicValue(a));
  data.server_time = kServerTime;
  mutate(data);
  const crypto::TmpAesKey key = crypto::DeriveTmpAesKey(inner.new_nonce, inner.server_nonce);
  mtp::server_DH_params_ok ok;
  ok.nonce = inner.nonce;
  ok.server_nonce = inner.server_nonce;
  ok.encrypted_answer =
      AsString(*crypto::EncryptWithSha1(key, AsBytes(Serialize(data)), SeededRandom(5)));
  return Rewrap(transcript.server[1], ok);
}

std::string ForgeClientDhParams(const Transcript& transcript,
                                const std::function<void(mtp::client_DH_inner_data&)>& mutate) {
  const PqInnerData inner = ClientInnerData(transcript.client[1]);
  const crypto::DhGroup group = *crypto::DhGroup::Create(3, crypto::TelegramDhPrime());
  std::array<uint8_t, 256> b;
  SeededRandom(78)(absl::MakeSpan(b));
  mtp::client_DH_inner_data data;
  data.nonce = inner.nonce;
  data.server_nonce = inner.server_nonce;
  data.retry_id = 0;
  data.g_b = AsString(*group.PublicValue(b));
  mutate(data);
  const crypto::TmpAesKey key = crypto::DeriveTmpAesKey(inner.new_nonce, inner.server_nonce);
  mtp::set_client_DH_params request;
  request.nonce = inner.nonce;
  request.server_nonce = inner.server_nonce;
  request.encrypted_data =
      AsString(*crypto::EncryptWithSha1(key, AsBytes(Serialize(data)), SeededRandom(6)));
  return Rewrap(transcript.client[2], request);
}

}  // namespace tgrpc::mtproto::handshake::testing
