#include "mtproto/transport/websocket_layer.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtproto/transport/stream_layer.h"

namespace tgrpc::mtproto::transport {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::array<uint8_t, 4> kMask = {0x37, 0xfa, 0x21, 0x3d};

// RFC 6455 1.3's sample key, and the accept value the RFC gives for it.
constexpr char kSampleKey[] = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr char kSampleAccept[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

std::string UpgradeRequest(absl::string_view extra_headers = "Sec-WebSocket-Protocol: binary\r\n") {
  return absl::StrCat(
      "GET /apiws HTTP/1.1\r\nHost: 127.0.0.1:4430\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: ",
      kSampleKey, "\r\nSec-WebSocket-Version: 13\r\n", extra_headers, "\r\n");
}

std::string UpgradeAnswer(bool with_protocol = true) {
  return absl::StrCat(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ",
      kSampleAccept, "\r\n", with_protocol ? "Sec-WebSocket-Protocol: binary\r\n" : "", "\r\n");
}

// A client frame as RFC 6455 5.2 lays it out, masked with kMask unless `masked` is false, its
// length in the shortest form unless `length_form` (126 or 127) asks for a longer one.
std::string ClientFrame(uint8_t opcode, absl::string_view payload, bool fin = true,
                        bool masked = true, int length_form = 0) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  const uint8_t mask_bit = masked ? 0x80 : 0;
  const uint64_t size = payload.size();
  if (length_form == 0) length_form = size < 126 ? 0 : size <= 0xffff ? 126 : 127;
  if (length_form == 0) {
    out.push_back(static_cast<char>(mask_bit | size));
  } else if (length_form == 126) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(size >> 8));
    out.push_back(static_cast<char>(size));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(size >> shift));
  }
  if (masked) out.append(reinterpret_cast<const char*>(kMask.data()), kMask.size());
  for (size_t i = 0; i < payload.size(); ++i) {
    out.push_back(static_cast<char>(payload[i] ^ (masked ? kMask[i % 4] : 0)));
  }
  return out;
}

std::string CloseFrame(uint16_t code) {
  return std::string({'\x88', '\x02', static_cast<char>(code >> 8), static_cast<char>(code)});
}

// Bytes that are not periodic in 4, so a mask applied at the wrong offset shows.
std::string Pattern(size_t size, int seed = 0) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 7 + i / 251 + seed) & 0xff);
  return out;
}

struct Result {
  absl::Status status;
  std::string stream;
  std::string reply;
};

Result Feed(WebSocketLayer& layer, absl::string_view bytes) {
  Result r;
  r.status = layer.Unwrap(bytes, r.stream, r.reply);
  return r;
}

// A layer past its upgrade.
std::unique_ptr<WebSocketLayer> Upgraded(const WebSocketLayerOptions& options = {}) {
  auto layer = std::make_unique<WebSocketLayer>(options);
  Result r = Feed(*layer, UpgradeRequest());
  EXPECT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.reply, UpgradeAnswer());
  return layer;
}

TEST(WebSocketAcceptKeyTest, MatchesRfc6455Example) {
  EXPECT_EQ(WebSocketAcceptKey(kSampleKey), kSampleAccept);
  EXPECT_NE(WebSocketAcceptKey("AQIDBAUGBwgJCgsMDQ4PEA=="), kSampleAccept);
}

TEST(WebSocketLayerTest, AnswersTheUpgradeWithTheAcceptKeyAndSubprotocol) {
  WebSocketLayer layer;
  EXPECT_EQ(layer.name(), "websocket");
  Result r = Feed(layer, UpgradeRequest());
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.reply, UpgradeAnswer());
  EXPECT_EQ(r.stream, "");
}

TEST(WebSocketLayerTest, NamesNoSubprotocolUnlessBinaryIsAsked) {
  WebSocketLayer without;
  Result r = Feed(without, UpgradeRequest(""));
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.reply, UpgradeAnswer(/*with_protocol=*/false));

  WebSocketLayer other;
  r = Feed(other, UpgradeRequest("Sec-WebSocket-Protocol: chat\r\n"));
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.reply, UpgradeAnswer(/*with_protocol=*/false));

  // Header names are case-insensitive, the protocol may be one of a list.
  WebSocketLayer listed;
  r = Feed(listed, UpgradeRequest("sec-websocket-PROTOCOL: chat, binary\r\n"));
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.reply, UpgradeAnswer());
}

TEST(WebSocketLayerTest, FramesInTheUpgradeChunkAreStream) {
  WebSocketLayer layer;
  Result r = Feed(layer, UpgradeRequest() + ClientFrame(0x2, "abcdefg"));
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.reply, UpgradeAnswer());
  EXPECT_EQ(r.stream, "abcdefg");
}

TEST(WebSocketLayerTest, UnmasksRfc6455SampleFrame) {
  // RFC 6455 5.7's masked "Hello", as a binary frame.
  const std::string frame = {'\x82', '\x85', '\x37', '\xfa', '\x21', '\x3d',
                             '\x7f', '\x9f', '\x4d', '\x51', '\x58'};
  auto layer = Upgraded();
  Result r = Feed(*layer, frame);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.stream, "Hello");
  EXPECT_EQ(r.reply, "");
}

TEST(WebSocketLayerTest, ReadsEveryLengthForm) {
  WebSocketLayerOptions options;
  options.max_client_frame_payload = 1 << 20;
  auto layer = Upgraded(options);
  for (size_t size : {0, 1, 125, 126, 127, 1000, 65535, 65536, 70001}) {
    SCOPED_TRACE(size);
    const std::string payload = Pattern(size, static_cast<int>(size));
    const std::string frame = ClientFrame(0x2, payload);
    EXPECT_EQ(frame.size(), payload.size() + 4 + (size < 126 ? 2 : size <= 0xffff ? 4 : 10));
    Result r = Feed(*layer, frame);
    ASSERT_TRUE(r.status.ok()) << r.status;
    EXPECT_EQ(r.stream, payload);
  }
  // A longer form than needed is accepted too.
  Result r = Feed(
      *layer, ClientFrame(0x2, "abc", true, true, 127) + ClientFrame(0x2, "defg", true, true, 126));
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.stream, "abcdefg");
}

TEST(WebSocketLayerTest, JoinsFragmentsAndAnswersPingsBetweenThem) {
  auto layer = Upgraded();
  const std::string input =
      ClientFrame(0x2, "first ", /*fin=*/false) + ClientFrame(0x9, "are you there") +
      ClientFrame(0x0, "second ", /*fin=*/false) + ClientFrame(0xa, "unasked pong") +
      ClientFrame(0x0, "third", /*fin=*/true) + ClientFrame(0x2, " next message");
  Result r = Feed(*layer, input);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.stream, "first second third next message");
  EXPECT_EQ(r.reply,
            "\x8a\x0d"
            "are you there");
}

TEST(WebSocketLayerTest, TakesEverythingOneByteAtATime) {
  WebSocketLayer layer;
  const std::string big = Pattern(70000, 3);
  const std::string medium = Pattern(300, 5);
  const std::string input = UpgradeRequest() + ClientFrame(0x2, "small") +
                            ClientFrame(0x2, medium, /*fin=*/false) + ClientFrame(0x9, "p") +
                            ClientFrame(0x0, big) + ClientFrame(0x9, "");
  std::string stream, reply;
  for (char c : input) {
    absl::Status status = layer.Unwrap(absl::string_view(&c, 1), stream, reply);
    ASSERT_TRUE(status.ok()) << status;
  }
  EXPECT_EQ(stream, "small" + medium + big);
  EXPECT_EQ(reply, UpgradeAnswer() + std::string("\x8a\x01p\x8a\x00", 5));
}

TEST(WebSocketLayerTest, TakesInputSplitAtEveryPoint) {
  const std::string input =
      UpgradeRequest() + ClientFrame(0x2, Pattern(200), false) + ClientFrame(0x0, "end");
  for (size_t split = 0; split <= input.size(); ++split) {
    SCOPED_TRACE(split);
    WebSocketLayer layer;
    std::string stream, reply;
    ASSERT_TRUE(layer.Unwrap(absl::string_view(input).substr(0, split), stream, reply).ok());
    ASSERT_TRUE(layer.Unwrap(absl::string_view(input).substr(split), stream, reply).ok());
    EXPECT_EQ(stream, Pattern(200) + "end");
    EXPECT_EQ(reply, UpgradeAnswer());
  }
}

TEST(WebSocketLayerTest, WrapsInUnmaskedBinaryFramesOfEachLengthForm) {
  WebSocketLayerOptions options;
  options.max_server_frame_payload = 1 << 20;
  auto layer = Upgraded(options);
  EXPECT_EQ(layer->Wrap(""), "");
  EXPECT_EQ(layer->Wrap("Hello"), "\x82\x05Hello");
  const std::string medium = Pattern(256);
  EXPECT_EQ(layer->Wrap(medium), std::string("\x82\x7e\x01\x00", 4) + medium);
  const std::string largest_medium = Pattern(65535);
  EXPECT_EQ(layer->Wrap(largest_medium), std::string("\x82\x7e\xff\xff", 4) + largest_medium);
  const std::string big = Pattern(65536);
  EXPECT_EQ(layer->Wrap(big), std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10) + big);
}

TEST(WebSocketLayerTest, CutsLongStreamsIntoFramesOfTheLimit) {
  WebSocketLayerOptions options;
  options.max_server_frame_payload = 4;
  auto layer = Upgraded(options);
  EXPECT_EQ(layer->Wrap("0123456789"),
            "\x82\x04"
            "0123"
            "\x82\x04"
            "4567"
            "\x82\x02"
            "89");
}

TEST(WebSocketLayerTest, WrapsNothingBeforeTheUpgrade) {
  WebSocketLayer layer;
  EXPECT_EQ(layer.Wrap("early"), "");
}

TEST(WebSocketLayerTest, EchoesACloseAndEnds) {
  auto layer = Upgraded();
  Result r = Feed(*layer, ClientFrame(0x2, "last") + ClientFrame(0x8,
                                                                 "\x03\xe8"
                                                                 "bye"));
  EXPECT_EQ(r.status.code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(r.status.message(), HasSubstr("code 1000"));
  EXPECT_EQ(r.stream, "last");
  EXPECT_EQ(r.reply, CloseFrame(1000));
  EXPECT_EQ(layer->Wrap("after"), "");
  r = Feed(*layer, ClientFrame(0x2, "more"));
  EXPECT_EQ(r.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.stream, "");

  auto bare = Upgraded();
  r = Feed(*bare, ClientFrame(0x8, ""));
  EXPECT_EQ(r.status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(r.reply, std::string("\x88\x00", 2));
}

struct BadFrame {
  const char* name;
  std::string bytes;
  absl::StatusCode code;
  uint16_t close_code;
  const char* message;
};

TEST(WebSocketLayerTest, RefusesBadFramesWithACloseFrame) {
  std::string reserved = ClientFrame(0x2, "x");
  reserved[0] = static_cast<char>(reserved[0] | 0x40);
  std::string top_bit = ClientFrame(0x2, "x", true, true, 127);
  top_bit[2] = '\x80';
  const BadFrame cases[] = {
      {"text", ClientFrame(0x1, "hi"), absl::StatusCode::kInvalidArgument, 1003, "text frame"},
      {"unmasked", ClientFrame(0x2, "hi", true, /*masked=*/false),
       absl::StatusCode::kInvalidArgument, 1002, "unmasked"},
      {"too big", ClientFrame(0x2, Pattern(1001)), absl::StatusCode::kResourceExhausted, 1009,
       "frame of 1001 bytes, above the limit of 1000"},
      {"stray continuation", ClientFrame(0x0, "hi"), absl::StatusCode::kInvalidArgument, 1002,
       "continuation frame"},
      {"binary inside a message", ClientFrame(0x2, "a", false) + ClientFrame(0x2, "b"),
       absl::StatusCode::kInvalidArgument, 1002, "previous message"},
      {"fragmented ping", ClientFrame(0x9, "a", false), absl::StatusCode::kInvalidArgument, 1002,
       "control frame"},
      {"long ping", ClientFrame(0x9, Pattern(126)), absl::StatusCode::kInvalidArgument, 1002,
       "control frame"},
      {"reserved bits", reserved, absl::StatusCode::kInvalidArgument, 1002, "reserved bits"},
      {"unknown opcode", ClientFrame(0x3, "a"), absl::StatusCode::kInvalidArgument, 1002,
       "unknown opcode 3"},
      {"64-bit length top bit", top_bit, absl::StatusCode::kInvalidArgument, 1002, "top bit"},
      {"1-byte close", ClientFrame(0x8, "\x03"), absl::StatusCode::kInvalidArgument, 1002,
       "close frame of 1 byte"},
  };
  for (const BadFrame& c : cases) {
    SCOPED_TRACE(c.name);
    WebSocketLayerOptions options;
    options.max_client_frame_payload = 1000;
    auto layer = Upgraded(options);
    Result r = Feed(*layer, c.bytes);
    EXPECT_EQ(r.status.code(), c.code) << r.status;
    EXPECT_THAT(r.status.message(), HasSubstr(c.message));
    EXPECT_EQ(r.reply, CloseFrame(c.close_code));
    EXPECT_EQ(layer->Wrap("after"), "");
    EXPECT_EQ(Feed(*layer, ClientFrame(0x2, "more")).status.code(),
              absl::StatusCode::kFailedPrecondition);
  }
}

TEST(WebSocketLayerTest, RefusesAnOversizedFrameFromItsHeader) {
  WebSocketLayerOptions options;
  options.max_client_frame_payload = 1000;
  auto layer = Upgraded(options);
  // Only the header: the limit is checked before any payload arrives.
  const std::string header = ClientFrame(0x2, Pattern(5000)).substr(0, 8);
  Result r = Feed(*layer, header);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r.reply, CloseFrame(1009));
}

struct BadUpgrade {
  const char* name;
  std::string request;
  const char* status_line;
  const char* message;
};

TEST(WebSocketLayerTest, RefusesBadUpgradeRequestsWithAnHttpError) {
  const std::string good = UpgradeRequest();
  auto replaced = [&](absl::string_view from, absl::string_view to) {
    std::string out = good;
    const size_t at = out.find(from.data(), 0, from.size());
    EXPECT_NE(at, std::string::npos) << from;
    return out.replace(at, from.size(), to.data(), to.size());
  };
  const BadUpgrade cases[] = {
      {"post", replaced("GET ", "POST "), "HTTP/1.1 400 ", "request line"},
      {"http 1.0", replaced("HTTP/1.1\r\n", "HTTP/1.0\r\n"), "HTTP/1.1 400 ", "request line"},
      {"other path", replaced("/apiws", "/chat"), "HTTP/1.1 404 ", "/chat"},
      {"no upgrade", replaced("Upgrade: websocket", "Upgrade: h2c"), "HTTP/1.1 400 ", "Upgrade"},
      {"no connection upgrade", replaced("Connection: Upgrade", "Connection: keep-alive"),
       "HTTP/1.1 400 ", "Connection"},
      {"version 8", replaced("Version: 13", "Version: 8"), "HTTP/1.1 426 ", "not 13"},
      {"short key", replaced(kSampleKey, "c2hvcnQ="), "HTTP/1.1 400 ", "Sec-WebSocket-Key"},
      {"no key", replaced("Sec-WebSocket-Key", "X-Key"), "HTTP/1.1 400 ", "Sec-WebSocket-Key"},
      {"bad header line", replaced("Host: ", "Host "), "HTTP/1.1 400 ", "header line"},
  };
  for (const BadUpgrade& c : cases) {
    SCOPED_TRACE(c.name);
    WebSocketLayer layer;
    Result r = Feed(layer, c.request);
    EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument) << r.status;
    EXPECT_THAT(r.status.message(), HasSubstr(c.message));
    EXPECT_THAT(r.reply, testing::StartsWith(c.status_line));
    EXPECT_THAT(r.reply, Not(HasSubstr("Sec-WebSocket-Accept")));
    EXPECT_EQ(Feed(layer, ClientFrame(0x2, "x")).status.code(),
              absl::StatusCode::kFailedPrecondition);
  }
}

TEST(WebSocketLayerTest, RefusesAnUpgradeRequestAboveTheLimit) {
  WebSocketLayerOptions options;
  options.max_handshake_size = 100;
  WebSocketLayer layer(options);
  Result r = Feed(layer, "GET /apiws HTTP/1.1\r\n");
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.reply, "");
  r = Feed(layer, "X-Filler: " + std::string(100, 'a'));
  EXPECT_EQ(r.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(r.reply, testing::StartsWith("HTTP/1.1 431 "));
  // The default limit takes the clients' requests.
  WebSocketLayer default_layer;
  r = Feed(default_layer,
           UpgradeRequest(absl::StrCat("X-Filler: ", std::string(4000, 'a'), "\r\n")));
  EXPECT_TRUE(r.status.ok()) << r.status;
}

TEST(DetectStreamLayerTest, GetStartsAWebSocket) {
  absl::StatusOr<LayerDetection> detected = DetectStreamLayer("GE", {});
  ASSERT_TRUE(detected.ok()) << detected.status();
  EXPECT_TRUE(std::holds_alternative<std::monostate>(*detected));

  detected = DetectStreamLayer("GET /apiws HTTP/1.1\r\n", {});
  ASSERT_TRUE(detected.ok()) << detected.status();
  auto* layer = std::get_if<std::unique_ptr<StreamLayer>>(&*detected);
  ASSERT_NE(layer, nullptr);
  EXPECT_EQ((*layer)->name(), "websocket");

  detected = DetectStreamLayer(std::string("\xef\x0a\x00\x00", 4), {});
  ASSERT_TRUE(detected.ok()) << detected.status();
  EXPECT_TRUE(std::holds_alternative<PlainStream>(*detected));
}

}  // namespace
}  // namespace tgrpc::mtproto::transport
