#include "mtproto/transport/fake_tls_layer.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "mtproto/transport/seeded_random.h"
#include "mtproto/transport/stream_layer.h"

namespace tgrpc::mtproto::transport {
namespace {

const std::string kSecret = "0123456789abcdef";
const std::string kOtherSecret = "fedcba9876543210";
const std::string kSessionId = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
constexpr int64_t kNow = 1700000000;
constexpr size_t kRandomAt = 11;

std::string Hmac(absl::string_view key, absl::string_view data) {
  unsigned char mac[32];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &size);
  return std::string(reinterpret_cast<char*>(mac), size);
}

std::string Be16(size_t v) {
  return {static_cast<char>(v >> 8 & 0xff), static_cast<char>(v & 0xff)};
}

// A ClientHello as an MTProxy client makes it: a TLS 1.3 hello with the domain as SNI, its random
// the HMAC of the record (random zeroed) with the time XORed into the last 4 bytes.
std::string ClientHello(absl::string_view secret, int64_t unix_time) {
  const std::string domain = "example.com";
  const std::string server_name = absl::StrCat(std::string(1, '\0'), Be16(domain.size()), domain);
  const std::string sni =
      absl::StrCat(Be16(0), Be16(server_name.size() + 2), Be16(server_name.size()), server_name);
  const std::string versions = absl::StrCat(Be16(0x2b), Be16(3), "\x02\x03\x04");
  const std::string extensions = sni + versions;
  const std::string body = absl::StrCat("\x03\x03", std::string(32, '\0'), "\x20", kSessionId,
                                        Be16(4), "\x13\x01\x13\x02", std::string("\x01\x00", 2),
                                        Be16(extensions.size()), extensions);
  std::string record = absl::StrCat("\x16\x03\x01", Be16(body.size() + 4), "\x01",
                                    std::string(1, '\0'), Be16(body.size()), body);
  std::string random = Hmac(secret, record);
  for (int i = 0; i < 4; ++i) random[28 + i] ^= static_cast<char>(unix_time >> (8 * i) & 0xff);
  record.replace(kRandomAt, 32, random);
  return record;
}

std::string Record(uint8_t type, absl::string_view body, absl::string_view version = "\x03\x03") {
  return absl::StrCat(std::string(1, static_cast<char>(type)), version, Be16(body.size()), body);
}

std::string Bytes(size_t size, uint64_t seed) {
  std::string out(size, '\0');
  SeededRandomSource(seed)(absl::MakeSpan(reinterpret_cast<uint8_t*>(out.data()), size));
  return out;
}

FakeTlsOptions Options(uint64_t seed = 1) {
  FakeTlsOptions options;
  options.secrets = {kOtherSecret, kSecret};
  options.clock = [] { return absl::FromUnixSeconds(kNow); };
  options.random = SeededRandomSource(seed);
  return options;
}

// The checks mtcute's client makes on the answer (network/mtproxy/index.js): a handshake record
// 16 03 03, then a ChangeCipherSpec record directly followed by an ApplicationData one, and the
// answer's random at offset 11 is HMAC-SHA256(secret, client random || answer, random zeroed).
absl::Status CheckAnswerAsAClient(absl::string_view answer, absl::string_view client_random,
                                  absl::string_view secret) {
  size_t at = 0;
  for (absl::string_view start : {absl::string_view("\x16\x03\x03"),
                                  absl::string_view("\x14\x03\x03\x00\x01\x01\x17\x03\x03", 9)}) {
    if (answer.size() < at + start.size() + 2 || answer.substr(at, start.size()) != start) {
      return absl::InvalidArgumentError(absl::StrCat("bad record at ", at));
    }
    at += start.size();
    const size_t skip =
        static_cast<uint8_t>(answer[at]) << 8 | static_cast<uint8_t>(answer[at + 1]);
    at += 2 + skip;
  }
  if (at != answer.size()) return absl::InvalidArgumentError("answer size");
  std::string zeroed(answer);
  zeroed.replace(kRandomAt, 32, std::string(32, '\0'));
  if (Hmac(secret, absl::StrCat(client_random, zeroed)) != answer.substr(kRandomAt, 32)) {
    return absl::PermissionDeniedError("answer HMAC");
  }
  return absl::OkStatus();
}

struct Unwrapped {
  absl::Status status;
  std::string stream;
  std::string reply;
};

Unwrapped Feed(FakeTlsLayer& layer, absl::string_view in) {
  Unwrapped out;
  out.status = layer.Unwrap(in, out.stream, out.reply);
  return out;
}

TEST(FakeTlsLayerTest, AcceptsAClientHelloSignedWithOneOfTheSecrets) {
  FakeTlsLayer layer(Options());
  const Unwrapped out = Feed(layer, ClientHello(kSecret, kNow));
  ASSERT_TRUE(out.status.ok()) << out.status;
  EXPECT_EQ(layer.secret_index(), 1u);
  EXPECT_FALSE(out.reply.empty());
  EXPECT_TRUE(out.stream.empty());
  EXPECT_EQ(layer.name(), "fake-tls");
}

TEST(FakeTlsLayerTest, RefusesAnotherSecret) {
  FakeTlsLayer layer(Options());
  const Unwrapped out = Feed(layer, ClientHello("another 16 bytes", kNow));
  EXPECT_EQ(out.status.code(), absl::StatusCode::kPermissionDenied) << out.status;
  EXPECT_TRUE(out.reply.empty());
  EXPECT_FALSE(layer.secret_index().has_value());
}

TEST(FakeTlsLayerTest, TimestampWithinTwoMinutes) {
  for (int64_t skew : {-120, 120}) {
    FakeTlsLayer layer(Options());
    EXPECT_TRUE(Feed(layer, ClientHello(kSecret, kNow + skew)).status.ok()) << skew;
  }
  for (int64_t skew : {-121, 121, -86400}) {
    FakeTlsLayer layer(Options());
    const Unwrapped out = Feed(layer, ClientHello(kSecret, kNow + skew));
    EXPECT_EQ(out.status.code(), absl::StatusCode::kPermissionDenied) << skew;
    EXPECT_TRUE(out.reply.empty());
  }
}

TEST(FakeTlsLayerTest, RefusesEveryTamperedByte) {
  const std::string hello = ClientHello(kSecret, kNow);
  for (size_t i = 0; i < hello.size(); ++i) {
    std::string tampered = hello;
    // The random's last 4 bytes carry the client's time: a low bit changed there is another
    // time within the window (so in MTProxy too); the top bit is 128 s or more away.
    tampered[i] ^= 0x80;
    FakeTlsLayer layer(Options());
    const Unwrapped out = Feed(layer, tampered);
    // A changed record length only makes the layer wait for another size of record.
    if (i != 3 && i != 4) {
      EXPECT_FALSE(out.status.ok()) << "byte " << i;
    }
    EXPECT_TRUE(out.reply.empty()) << "byte " << i;
    EXPECT_FALSE(layer.secret_index().has_value()) << "byte " << i;
  }
}

TEST(FakeTlsLayerTest, RefusesWhatIsNotAClientHello) {
  std::string server_hello = ClientHello(kSecret, kNow);
  server_hello[5] = '\x02';
  FakeTlsLayer layer(Options());
  EXPECT_EQ(Feed(layer, server_hello).status.code(), absl::StatusCode::kInvalidArgument);

  FakeTlsLayer huge(Options());
  EXPECT_EQ(Feed(huge, absl::StrCat("\x16\x03\x01", Be16(16385))).status.code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(FakeTlsLayerTest, ServerAnswerVerifiesAsAClientChecksIt) {
  FakeTlsLayer layer(Options());
  const std::string hello = ClientHello(kSecret, kNow);
  const Unwrapped out = Feed(layer, hello);
  ASSERT_TRUE(out.status.ok()) << out.status;
  const std::string client_random = hello.substr(kRandomAt, 32);
  EXPECT_TRUE(CheckAnswerAsAClient(out.reply, client_random, kSecret).ok())
      << CheckAnswerAsAClient(out.reply, client_random, kSecret);
  // The check does tell: another secret or another client random fail it.
  EXPECT_FALSE(CheckAnswerAsAClient(out.reply, client_random, kOtherSecret).ok());
  EXPECT_FALSE(CheckAnswerAsAClient(out.reply, std::string(32, 'x'), kSecret).ok());
  // ServerHello: handshake type 2, TLS 1.2 legacy version, the session id echoed.
  EXPECT_EQ(out.reply[5], '\x02');
  EXPECT_EQ(out.reply.substr(9, 2), "\x03\x03");
  EXPECT_EQ(out.reply[43], '\x20');
  EXPECT_EQ(out.reply.substr(44, 32), kSessionId);
}

TEST(FakeTlsLayerTest, RecordsSplitAtEveryByte) {
  const std::string first = Bytes(300, 7);
  const std::string second = Bytes(100, 8);
  const std::string in = absl::StrCat(ClientHello(kSecret, kNow), Record(0x14, "\x01"),
                                      Record(0x17, first), Record(0x17, ""), Record(0x17, second));
  FakeTlsLayer whole(Options());
  const Unwrapped expected = Feed(whole, in);
  ASSERT_TRUE(expected.status.ok()) << expected.status;
  ASSERT_EQ(expected.stream, first + second);
  for (size_t split = 0; split <= in.size(); ++split) {
    FakeTlsLayer layer(Options());
    Unwrapped out = Feed(layer, absl::string_view(in).substr(0, split));
    ASSERT_TRUE(out.status.ok()) << split << ": " << out.status;
    ASSERT_TRUE(layer.Unwrap(absl::string_view(in).substr(split), out.stream, out.reply).ok())
        << split;
    EXPECT_EQ(out.stream, expected.stream) << split;
    EXPECT_EQ(out.reply, expected.reply) << split;
  }
  FakeTlsLayer bytewise(Options());
  Unwrapped out;
  for (char c : in) ASSERT_TRUE(bytewise.Unwrap(std::string(1, c), out.stream, out.reply).ok());
  EXPECT_EQ(out.stream, expected.stream);
  EXPECT_EQ(out.reply, expected.reply);
}

TEST(FakeTlsLayerTest, WrapUnwrapRoundTrip) {
  FakeTlsLayer server(Options());
  ASSERT_TRUE(Feed(server, ClientHello(kSecret, kNow)).status.ok());
  EXPECT_EQ(server.Wrap(""), "");
  const std::string payload = Bytes(40000, 9);
  const std::string wrapped = server.Wrap(payload);
  // Records of at most 16384 bytes: 16384 + 16384 + 7232.
  std::string joined;
  int records = 0;
  for (absl::string_view rest = wrapped; !rest.empty(); ++records) {
    ASSERT_GE(rest.size(), 5u);
    ASSERT_EQ(rest.substr(0, 3), "\x17\x03\x03");
    const size_t size = static_cast<uint8_t>(rest[3]) << 8 | static_cast<uint8_t>(rest[4]);
    ASSERT_LE(size, kTlsMaxPlaintextRecord);
    ASSERT_GE(rest.size(), 5 + size);
    joined += std::string(rest.substr(5, size));
    rest.remove_prefix(5 + size);
  }
  EXPECT_EQ(records, 3);
  EXPECT_EQ(joined, payload);
  // The client's records have the same form: another layer unwraps them back.
  FakeTlsLayer other(Options());
  const Unwrapped out = Feed(other, ClientHello(kSecret, kNow) + wrapped);
  ASSERT_TRUE(out.status.ok()) << out.status;
  EXPECT_EQ(out.stream, payload);

  FakeTlsOptions small = Options();
  small.max_server_record = 2878;
  FakeTlsLayer small_records(std::move(small));
  EXPECT_EQ(small_records.Wrap(Bytes(2879, 1)).size(), 2879u + 2 * 5);
}

TEST(FakeTlsLayerTest, ClientRecordsUpToTheTls13Limit) {
  const std::string largest = Bytes(kTlsMaxClientRecord, 3);
  FakeTlsLayer layer(Options());
  const Unwrapped out = Feed(layer, ClientHello(kSecret, kNow) + Record(0x17, largest));
  ASSERT_TRUE(out.status.ok()) << out.status;
  EXPECT_EQ(out.stream, largest);

  FakeTlsLayer over(Options());
  EXPECT_EQ(Feed(over, ClientHello(kSecret, kNow) + Record(0x17, largest + "x")).status.code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(FakeTlsLayerTest, BadRecordsAfterTheHello) {
  const std::string data = Record(0x17, "data");
  const std::string ccs = Record(0x14, "\x01");
  for (const std::string& bad : {
           Record(0x16, "\x01"),              // another handshake
           Record(0x15, "\x02\x28"),          // an alert
           Record(0x18, "x"),                 // no such type
           Record(0x17, "data", "\x03\x01"),  // another version
           data + ccs,                        // ChangeCipherSpec after the data
           ccs + ccs,                         // two of them
           Record(0x14, "\x01\x01"),          // two bytes
           Record(0x14, "\x02"),              // not 01
       }) {
    FakeTlsLayer layer(Options());
    const Unwrapped out = Feed(layer, ClientHello(kSecret, kNow) + bad);
    EXPECT_EQ(out.status.code(), absl::StatusCode::kInvalidArgument) << absl::CEscape(bad);
  }
  FakeTlsLayer good(Options());
  const Unwrapped out = Feed(good, ClientHello(kSecret, kNow) + ccs + data + data);
  ASSERT_TRUE(out.status.ok()) << out.status;
  EXPECT_EQ(out.stream, "datadata");
}

TEST(FakeTlsLayerTest, DetectedFromAClientHelloWhenSecretsAreSet) {
  StreamLayerOptions options;
  options.fake_tls_secrets = {kSecret};
  const std::string hello = ClientHello(kSecret, kNow);

  absl::StatusOr<LayerDetection> detected = DetectStreamLayer(hello, options);
  ASSERT_TRUE(detected.ok()) << detected.status();
  auto* layer = std::get_if<std::unique_ptr<StreamLayer>>(&*detected);
  ASSERT_NE(layer, nullptr);
  EXPECT_EQ((*layer)->name(), "fake-tls");
  // The layer checks the secret (before the time).
  std::string stream, reply;
  EXPECT_EQ((*layer)->Unwrap(ClientHello(kOtherSecret, kNow), stream, reply).code(),
            absl::StatusCode::kPermissionDenied);

  detected = DetectStreamLayer(hello.substr(0, 6), options);
  ASSERT_TRUE(detected.ok());
  EXPECT_TRUE(std::holds_alternative<std::monostate>(*detected));
  // Lengths that disagree: an obfuscated2 init that happens to start 16 03 01.
  std::string init = hello.substr(0, 64);
  init[8] ^= 0x01;
  detected = DetectStreamLayer(init, options);
  ASSERT_TRUE(detected.ok());
  EXPECT_TRUE(std::holds_alternative<PlainStream>(*detected));
  // No secrets: no fake-TLS.
  detected = DetectStreamLayer(hello, StreamLayerOptions{});
  ASSERT_TRUE(detected.ok());
  EXPECT_TRUE(std::holds_alternative<PlainStream>(*detected));
}

}  // namespace
}  // namespace tgrpc::mtproto::transport
