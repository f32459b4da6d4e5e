#include "mtproto/transport/obfuscated2_init.h"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "base/bytes.h"
#include "gtest/gtest.h"
#include "mtproto/transport/aes_ctr.h"
#include "mtproto/transport/seeded_random.h"
#include "mtproto/transport/transport_test_util.h"

namespace tgrpc::mtproto::transport {
namespace {

using testing::Hex;

std::string Sha256(absl::string_view data) {
  std::string digest(32, '\0');
  unsigned int size = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(digest.data()),
                       &size, EVP_sha256(), nullptr),
            1);
  return digest;
}

std::string Reversed(absl::string_view bytes) {
  std::string out(bytes);
  std::reverse(out.begin(), out.end());
  return out;
}

// Hands out `draws` one after another (each fills a whole request), then repeats the last.
crypto::RandomSource ScriptedDraws(std::vector<std::string> draws) {
  auto state = std::make_shared<std::pair<std::vector<std::string>, size_t>>(std::move(draws), 0);
  return [state](absl::Span<uint8_t> out) {
    const std::string& draw = state->first[std::min(state->second++, state->first.size() - 1)];
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(draw[i % draw.size()]);
  };
}

std::string Plaintext(const Obfuscated2ClientInit& init) {
  std::string plain = init.init;
  absl::StatusOr<AesCtr256> cipher = AesCtr256::Create(init.keys.encrypt_key, init.keys.encrypt_iv);
  EXPECT_TRUE(cipher.ok());
  EXPECT_TRUE(cipher->Apply(plain.data(), plain.size()).ok());
  return plain;
}

TEST(Obfuscated2InitTest, ForbiddenStarts) {
  const std::string ok = absl::HexStringToBytes("0102030405060708");
  EXPECT_FALSE(IsForbiddenObfuscated2Start(ok));
  EXPECT_TRUE(IsForbiddenObfuscated2Start(absl::HexStringToBytes("ef02030405060708")));
  for (const char* word : {"HEAD", "POST", "GET ", "OPTI"}) {
    EXPECT_TRUE(IsForbiddenObfuscated2Start(std::string(word) + "abcd")) << word;
  }
  EXPECT_TRUE(IsForbiddenObfuscated2Start(absl::HexStringToBytes("dddddddd05060708")));
  EXPECT_TRUE(IsForbiddenObfuscated2Start(absl::HexStringToBytes("eeeeeeee05060708")));
  EXPECT_TRUE(IsForbiddenObfuscated2Start(absl::HexStringToBytes("1603010205060708")));
  EXPECT_TRUE(IsForbiddenObfuscated2Start(absl::HexStringToBytes("0102030400000000")));
  EXPECT_TRUE(IsForbiddenObfuscated2Start("short"));
}

TEST(Obfuscated2InitTest, ManySeededInitsAreNeverForbidden) {
  const crypto::RandomSource random = SeededRandomSource(2024);
  for (int i = 0; i < 20000; ++i) {
    absl::StatusOr<Obfuscated2ClientInit> init =
        MakeObfuscated2Init(Protocol::kIntermediate, 2, std::nullopt, random);
    ASSERT_TRUE(init.ok()) << init.status();
    const std::string& b = init->init;
    ASSERT_EQ(b.size(), kObfuscated2InitSize);
    // Each rule spelled out again rather than trusting IsForbiddenObfuscated2Start.
    ASSERT_NE(static_cast<uint8_t>(b[0]), 0xef);
    const std::string first = b.substr(0, 4);
    for (const std::string& forbidden :
         {std::string("HEAD"), std::string("POST"), std::string("GET "), std::string("OPTI"),
          std::string(4, '\xdd'), std::string(4, '\xee'), absl::HexStringToBytes("16030102")}) {
      ASSERT_NE(first, forbidden);
    }
    ASSERT_NE(b.substr(4, 4), std::string(4, '\0'));
  }
}

TEST(Obfuscated2InitTest, RetriesForbiddenDraws) {
  const std::string head = "HEAD" + std::string(60, 'x');
  const std::string good = absl::HexStringToBytes("0102030405060708") + std::string(56, 'k');
  absl::StatusOr<Obfuscated2ClientInit> init =
      MakeObfuscated2Init(Protocol::kAbridged, 1, std::nullopt, ScriptedDraws({head, head, good}));
  ASSERT_TRUE(init.ok()) << init.status();
  EXPECT_EQ(init->init.substr(0, 56), good.substr(0, 56));
}

TEST(Obfuscated2InitTest, BrokenRandomSourceFailsInsteadOfLooping) {
  EXPECT_EQ(MakeObfuscated2Init(Protocol::kAbridged, 1, std::nullopt,
                                ScriptedDraws({std::string(64, '\0')}))
                .status()
                .code(),
            absl::StatusCode::kInternal);
}

TEST(Obfuscated2InitTest, LayoutAndKeys) {
  absl::StatusOr<Obfuscated2ClientInit> init =
      MakeObfuscated2Init(Protocol::kAbridged, -3, std::nullopt, SeededRandomSource(5));
  ASSERT_TRUE(init.ok());
  const std::string& b = init->init;
  EXPECT_EQ(init->keys.encrypt_key, b.substr(8, 32));
  EXPECT_EQ(init->keys.encrypt_iv, b.substr(40, 16));
  const std::string reversed = Reversed(b.substr(8, 48));
  EXPECT_EQ(init->keys.decrypt_key, reversed.substr(0, 32));
  EXPECT_EQ(init->keys.decrypt_iv, reversed.substr(32, 16));

  // Under the client->server stream, bytes 56..63 hold the marker and the DC id.
  const std::string plain = Plaintext(*init);
  EXPECT_EQ(Hex(plain.substr(56, 4)), "efefefef");
  EXPECT_EQ(Hex(plain.substr(60, 2)), "fdff");      // -3 as int16 LE
  EXPECT_NE(plain.substr(56, 4), b.substr(56, 4));  // sent encrypted
}

TEST(Obfuscated2InitTest, MarkersPerProtocol) {
  EXPECT_EQ(*Obfuscated2Marker(Protocol::kAbridged), 0xefefefefu);
  EXPECT_EQ(*Obfuscated2Marker(Protocol::kIntermediate), 0xeeeeeeeeu);
  EXPECT_EQ(*Obfuscated2Marker(Protocol::kPaddedIntermediate), 0xddddddddu);
  EXPECT_EQ(Obfuscated2Marker(Protocol::kFull).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      MakeObfuscated2Init(Protocol::kFull, 2, std::nullopt, SeededRandomSource(1)).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(Obfuscated2InitTest, ProxySecretHashesIntoKeys) {
  const ProxySecret secret{absl::HexStringToBytes("00112233445566778899aabbccddeeff"), false};
  absl::StatusOr<Obfuscated2ClientInit> init =
      MakeObfuscated2Init(Protocol::kIntermediate, 2, secret, SeededRandomSource(6));
  ASSERT_TRUE(init.ok());
  const std::string& b = init->init;
  EXPECT_EQ(init->keys.encrypt_key, Sha256(b.substr(8, 32) + secret.key));
  EXPECT_EQ(init->keys.encrypt_iv, b.substr(40, 16));
  const std::string reversed = Reversed(b.substr(8, 48));
  EXPECT_EQ(init->keys.decrypt_key, Sha256(reversed.substr(0, 32) + secret.key));
  EXPECT_EQ(init->keys.decrypt_iv, reversed.substr(32, 16));
  EXPECT_EQ(Hex(Plaintext(*init).substr(56, 6)), "eeeeeeee0200");
}

TEST(Obfuscated2InitTest, DdSecretRequiresPaddedIntermediate) {
  const ProxySecret dd{std::string(16, 's'), true};
  EXPECT_EQ(
      MakeObfuscated2Init(Protocol::kIntermediate, 2, dd, SeededRandomSource(1)).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      MakeObfuscated2Init(Protocol::kPaddedIntermediate, 2, dd, SeededRandomSource(1)).ok());
  ProxySecret ee{std::string(16, 's'), false};
  ee.fake_tls = true;
  ee.domain = "example.com";
  EXPECT_EQ(
      MakeObfuscated2Init(Protocol::kIntermediate, 2, ee, SeededRandomSource(1)).status().code(),
      absl::StatusCode::kUnimplemented);
  const ProxySecret short_key{"short", false};
  EXPECT_EQ(MakeObfuscated2Init(Protocol::kIntermediate, 2, short_key, SeededRandomSource(1))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Obfuscated2InitTest, ServerRecoversProtocolDcAndSwappedKeys) {
  for (Protocol protocol :
       {Protocol::kAbridged, Protocol::kIntermediate, Protocol::kPaddedIntermediate}) {
    for (int16_t dc : {int16_t{1}, int16_t{-5}, int16_t{10003}}) {
      absl::StatusOr<Obfuscated2ClientInit> client =
          MakeObfuscated2Init(protocol, dc, std::nullopt, SeededRandomSource(dc));
      ASSERT_TRUE(client.ok());
      absl::StatusOr<Obfuscated2ServerInit> server = ParseObfuscated2Init(client->init, {});
      ASSERT_TRUE(server.ok()) << server.status();
      EXPECT_EQ(server->protocol, protocol);
      EXPECT_EQ(server->dc_id, dc);
      EXPECT_EQ(server->secret_index, std::nullopt);
      EXPECT_EQ(server->keys.encrypt_key, client->keys.decrypt_key);
      EXPECT_EQ(server->keys.encrypt_iv, client->keys.decrypt_iv);
      EXPECT_EQ(server->keys.decrypt_key, client->keys.encrypt_key);
      EXPECT_EQ(server->keys.decrypt_iv, client->keys.encrypt_iv);
    }
  }
}

TEST(Obfuscated2InitTest, ServerMatchesTheSecretTheClientUsed) {
  const ProxySecret secret{std::string(16, 'b'), true};
  absl::StatusOr<Obfuscated2ClientInit> client =
      MakeObfuscated2Init(Protocol::kPaddedIntermediate, 4, secret, SeededRandomSource(7));
  ASSERT_TRUE(client.ok());

  Obfuscated2ServerOptions options;
  options.secrets = {std::string(16, 'a'), std::string(16, 'b')};
  absl::StatusOr<Obfuscated2ServerInit> server = ParseObfuscated2Init(client->init, options);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(server->secret_index, std::optional<size_t>(1));
  EXPECT_EQ(server->protocol, Protocol::kPaddedIntermediate);
  EXPECT_EQ(server->dc_id, 4);
  EXPECT_EQ(server->keys.decrypt_key, client->keys.encrypt_key);

  // Without the right secret the marker does not decrypt.
  options.secrets = {std::string(16, 'a')};
  EXPECT_EQ(ParseObfuscated2Init(client->init, options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Obfuscated2InitTest, SecretOnlyServerRefusesPlainObfuscation) {
  absl::StatusOr<Obfuscated2ClientInit> client =
      MakeObfuscated2Init(Protocol::kIntermediate, 2, std::nullopt, SeededRandomSource(8));
  ASSERT_TRUE(client.ok());
  Obfuscated2ServerOptions options;
  options.secrets = {std::string(16, 'a')};
  options.allow_no_secret = false;
  EXPECT_EQ(ParseObfuscated2Init(client->init, options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Obfuscated2InitTest, ServerRejectsMalformedInits) {
  EXPECT_EQ(ParseObfuscated2Init(std::string(63, 'x'), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseObfuscated2Init(std::string(64, 'x'), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  Obfuscated2ServerOptions bad_secret;
  bad_secret.secrets = {"short"};
  EXPECT_EQ(ParseObfuscated2Init(std::string(64, 'x'), bad_secret).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tgrpc::mtproto::transport
