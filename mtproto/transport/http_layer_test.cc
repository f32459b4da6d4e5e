#include "mtproto/transport/http_layer.h"

#include <memory>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "mtproto/transport/stream_layer.h"

namespace tgrpc::mtproto::transport {
namespace {

const std::string kMarker = "\xee\xee\xee\xee";

// A request as Telethon 1.25's HttpPacketCodec writes it.
std::string Post(absl::string_view body) {
  return absl::StrCat(
      "POST /api HTTP/1.1\r\nHost: 127.0.0.1:4430\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\nConnection: keep-alive\r\n"
      "Keep-Alive: timeout=100000, max=10000000\r\nContent-Length: ",
      body.size(), "\r\n\r\n", body);
}

// An intermediate frame: 4-byte little-endian length, then the packet.
std::string Frame(absl::string_view packet) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(packet.size() >> (8 * i) & 0xff);
  return absl::StrCat(out, packet);
}

std::string Response(absl::string_view packet) {
  return absl::StrCat(
      "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Type: application/octet-stream\r\n"
      "Access-Control-Allow-Origin: *\r\nCache-Control: no-store\r\nContent-Length: ",
      packet.size(), "\r\n\r\n", packet);
}

// Unwraps `in` into a fresh stream and reply, expecting success.
std::string UnwrapOk(HttpLayer& layer, absl::string_view in, std::string* reply = nullptr) {
  std::string stream, own_reply;
  absl::Status status = layer.Unwrap(in, stream, reply != nullptr ? *reply : own_reply);
  EXPECT_TRUE(status.ok()) << status;
  return stream;
}

TEST(HttpLayerTest, RequestBodyBecomesAnIntermediateFrame) {
  HttpLayer layer;
  EXPECT_EQ(layer.name(), "http");
  std::string reply;
  const std::string packet(300, 'p');
  EXPECT_EQ(UnwrapOk(layer, Post(packet), &reply), kMarker + Frame(packet));
  EXPECT_EQ(reply, "");
  EXPECT_EQ(layer.waiting_requests(), 1u);
  // The marker starts the stream only.
  EXPECT_EQ(UnwrapOk(layer, Post("second")), Frame("second"));
  EXPECT_EQ(layer.waiting_requests(), 2u);
}

TEST(HttpLayerTest, PipelinedRequestsInOneRead) {
  HttpLayer layer;
  EXPECT_EQ(UnwrapOk(layer, Post("one") + Post("two") + Post("three")),
            kMarker + Frame("one") + Frame("two") + Frame("three"));
  EXPECT_EQ(layer.waiting_requests(), 3u);
}

TEST(HttpLayerTest, RequestsSplitAtAnyByte) {
  const std::string in = Post("first packet") + Post(std::string(1000, 'x'));
  const std::string want = kMarker + Frame("first packet") + Frame(std::string(1000, 'x'));
  for (size_t cut = 0; cut <= in.size(); ++cut) {
    HttpLayer layer;
    std::string stream = UnwrapOk(layer, in.substr(0, cut));
    stream += UnwrapOk(layer, in.substr(cut));
    ASSERT_EQ(stream, want) << "cut at " << cut;
    ASSERT_EQ(layer.waiting_requests(), 2u) << "cut at " << cut;
  }
  HttpLayer bytewise;
  std::string stream;
  for (char c : in) stream += UnwrapOk(bytewise, absl::string_view(&c, 1));
  EXPECT_EQ(stream, want);
  EXPECT_EQ(bytewise.waiting_requests(), 2u);
}

TEST(HttpLayerTest, RequestWaitsUntilItsBodyIsWhole) {
  HttpLayer layer;
  const std::string in = Post("0123456789");
  EXPECT_EQ(UnwrapOk(layer, in.substr(0, in.size() - 1)),
            kMarker + Frame("0123456789").substr(0, 13));
  EXPECT_EQ(layer.waiting_requests(), 0u);
  // An answer now would precede the end of the request: it is held.
  EXPECT_EQ(layer.Wrap(Frame("early")), "");
  std::string reply;
  EXPECT_EQ(UnwrapOk(layer, in.substr(in.size() - 1), &reply), "9");
  EXPECT_EQ(reply, Response("early"));
  EXPECT_EQ(layer.waiting_requests(), 0u);
}

TEST(HttpLayerTest, HeaderNamesAnyCaseAndValuesTrimmed) {
  HttpLayer layer;
  EXPECT_EQ(UnwrapOk(layer, "POST /api HTTP/1.0\r\ncontent-LENGTH: \t 4 \r\nX-Other:\r\n\r\nbody"),
            kMarker + Frame("body"));
  EXPECT_EQ(layer.waiting_requests(), 1u);
}

TEST(HttpLayerTest, AnswersGoToWaitingRequestsInOrder) {
  HttpLayer layer;
  UnwrapOk(layer, Post("q1") + Post("q2") + Post("q3"));
  EXPECT_EQ(layer.Wrap(Frame("a1") + Frame("a2")), Response("a1") + Response("a2"));
  EXPECT_EQ(layer.waiting_requests(), 1u);
  EXPECT_EQ(layer.held_packets(), 0u);
  EXPECT_EQ(layer.Wrap(Frame("a3")), Response("a3"));
  EXPECT_EQ(layer.waiting_requests(), 0u);
}

TEST(HttpLayerTest, ResponseEndsItsHeadersWithContentLength) {
  // Telethon reads header lines until Content-Length, then expects the blank line.
  HttpLayer layer;
  UnwrapOk(layer, Post("q"));
  const std::string out = layer.Wrap(Frame("answer"));
  EXPECT_TRUE(absl::StartsWith(out, "HTTP/1.1 200 OK\r\n")) << out;
  EXPECT_TRUE(absl::StrContains(out, "\r\nConnection: keep-alive\r\n")) << out;
  EXPECT_TRUE(absl::EndsWith(out, "\r\nContent-Length: 6\r\n\r\nanswer")) << out;
}

TEST(HttpLayerTest, PacketsAreHeldUntilARequestArrives) {
  HttpLayer layer;
  UnwrapOk(layer, Post("q1"));
  EXPECT_EQ(layer.Wrap(Frame("a1") + Frame("u1") + Frame("u2")), Response("a1"));
  EXPECT_EQ(layer.held_packets(), 2u);
  // Each new request takes the oldest held packet at once, in `reply`.
  std::string reply;
  EXPECT_EQ(UnwrapOk(layer, Post("q2"), &reply), Frame("q2"));
  EXPECT_EQ(reply, Response("u1"));
  EXPECT_EQ(layer.held_packets(), 1u);
  EXPECT_EQ(layer.waiting_requests(), 0u);
  // Two pipelined requests: the last held packet, then the second one waits.
  reply.clear();
  UnwrapOk(layer, Post("q3") + Post("q4"), &reply);
  EXPECT_EQ(reply, Response("u2"));
  EXPECT_EQ(layer.held_packets(), 0u);
  EXPECT_EQ(layer.waiting_requests(), 1u);
  EXPECT_EQ(layer.Wrap(Frame("a4")), Response("a4"));
}

TEST(HttpLayerTest, ServerFramesSplitAtAnyByte) {
  const std::string frames = Frame("first answer") + Frame(std::string(500, 'y'));
  for (size_t cut = 0; cut <= frames.size(); ++cut) {
    HttpLayer layer;
    UnwrapOk(layer, Post("q1") + Post("q2"));
    std::string out = layer.Wrap(frames.substr(0, cut));
    if (cut < frames.size()) {
      // Nothing of a packet goes out before all of it is in.
      ASSERT_EQ(out, cut < 16 ? "" : Response("first answer")) << "cut at " << cut;
    }
    out += layer.Wrap(frames.substr(cut));
    ASSERT_EQ(out, Response("first answer") + Response(std::string(500, 'y'))) << "cut at " << cut;
  }
}

TEST(HttpLayerTest, QuickAcksAreDropped) {
  HttpLayer layer;
  UnwrapOk(layer, Post("q"));
  EXPECT_EQ(layer.Wrap(std::string("\x01\x02\x03\x83", 4) + Frame("answer")), Response("answer"));
  EXPECT_EQ(layer.held_packets(), 0u);
}

TEST(HttpLayerTest, TransportErrorIsAPacketToo) {
  // fakedc's -404 in intermediate framing: length 4, then the code.
  HttpLayer layer;
  UnwrapOk(layer, Post("q"));
  const std::string code("\x6c\xfe\xff\xff", 4);
  EXPECT_EQ(layer.Wrap(Frame(code)), Response(code));
}

struct Refused {
  absl::StatusCode code;
  std::string reply;
};

Refused Refuse(absl::string_view in, const HttpLayerOptions& options = {}) {
  HttpLayer layer(options);
  std::string stream, reply;
  absl::Status status = layer.Unwrap(in, stream, reply);
  EXPECT_FALSE(status.ok()) << absl::CEscape(in);
  // Once refused, the connection is over.
  std::string more_reply;
  EXPECT_EQ(layer.Unwrap(Post("x"), stream, more_reply).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(more_reply, "");
  EXPECT_EQ(layer.Wrap(Frame("late")), "");
  return {status.code(), reply};
}

std::string ErrorReply(absl::string_view status_line, absl::string_view extra = "") {
  return absl::StrCat("HTTP/1.1 ", status_line, "\r\nConnection: close\r\n", extra,
                      "Content-Length: 0\r\n\r\n");
}

TEST(HttpLayerTest, OtherMethodIs405) {
  Refused r = Refuse("GET /api HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.code, absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.reply, ErrorReply("405 Method Not Allowed", "Allow: POST\r\n"));
}

TEST(HttpLayerTest, OtherPathIs404) {
  Refused r = Refuse("POST /apiws HTTP/1.1\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_EQ(r.code, absl::StatusCode::kNotFound);
  EXPECT_EQ(r.reply, ErrorReply("404 Not Found"));
  EXPECT_EQ(Refuse("POST /api?x=1 HTTP/1.1\r\nContent-Length: 1\r\n\r\nx").reply,
            ErrorReply("404 Not Found"));
}

TEST(HttpLayerTest, MissingOrBadContentLength) {
  Refused missing = Refuse("POST /api HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(missing.code, absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.reply, ErrorReply("411 Length Required"));
  for (absl::string_view value : {"", "12a", "-1", "+5", "0x10", "99999999999999999999"}) {
    Refused bad = Refuse(absl::StrCat("POST /api HTTP/1.1\r\nContent-Length: ", value, "\r\n\r\n"));
    EXPECT_EQ(bad.code, absl::StatusCode::kInvalidArgument) << value;
    EXPECT_EQ(bad.reply, ErrorReply("400 Bad Request")) << value;
  }
  EXPECT_EQ(Refuse("POST /api HTTP/1.1\r\nContent-Length: 0\r\n\r\n").reply,
            ErrorReply("400 Bad Request"));
  EXPECT_EQ(
      Refuse("POST /api HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd").reply,
      ErrorReply("400 Bad Request"));
}

TEST(HttpLayerTest, OversizedBodyIs413) {
  HttpLayerOptions options;
  options.max_body_size = 100;
  HttpLayer fits(options);
  EXPECT_EQ(UnwrapOk(fits, Post(std::string(100, 'a'))), kMarker + Frame(std::string(100, 'a')));
  Refused r = Refuse(Post(std::string(101, 'a')), options);
  EXPECT_EQ(r.code, absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r.reply, ErrorReply("413 Payload Too Large"));
}

TEST(HttpLayerTest, OversizedHeadIs431) {
  HttpLayerOptions options;
  options.max_head_size = 64;
  const std::string head = "POST /api HTTP/1.1\r\nContent-Length: 1\r\n";
  // Exactly at the limit, the blank line included: taken.
  HttpLayer fits(options);
  EXPECT_EQ(UnwrapOk(fits, head + "X: " + std::string(64 - head.size() - 7, 'v') + "\r\n\r\nz"),
            kMarker + Frame("z"));
  Refused r = Refuse(head + "X: " + std::string(64 - head.size() - 6, 'v') + "\r\n\r\nz", options);
  EXPECT_EQ(r.code, absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(r.reply, ErrorReply("431 Request Header Fields Too Large"));
}

TEST(HttpLayerTest, MalformedRequestsAre400) {
  for (absl::string_view in : {
           "POST /api\r\nContent-Length: 1\r\n\r\nx",
           "POST  /api HTTP/1.1\r\nContent-Length: 1\r\n\r\nx",
           "POST /api HTTP/1.1\r\nno colon here\r\nContent-Length: 1\r\n\r\nx",
           "POST /api HTTP/1.1\r\n: empty name\r\nContent-Length: 1\r\n\r\nx",
           "POST /api HTTP/1.1\r\nBad Name: v\r\nContent-Length: 1\r\n\r\nx",
           "POST /api HTTP/1.1\r\n folded: v\r\nContent-Length: 1\r\n\r\nx",
       }) {
    Refused r = Refuse(in);
    EXPECT_EQ(r.code, absl::StatusCode::kInvalidArgument) << absl::CEscape(in);
    EXPECT_EQ(r.reply, ErrorReply("400 Bad Request")) << absl::CEscape(in);
  }
}

TEST(HttpLayerTest, ChunkedAndOtherVersionsAreNotImplemented) {
  Refused chunked =
      Refuse("POST /api HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.code, absl::StatusCode::kUnimplemented);
  EXPECT_EQ(chunked.reply, ErrorReply("501 Not Implemented"));
  Refused version = Refuse("POST /api HTTP/2.0\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_EQ(version.code, absl::StatusCode::kUnimplemented);
  EXPECT_EQ(version.reply, ErrorReply("505 HTTP Version Not Supported"));
}

TEST(HttpLayerTest, GoodRequestBeforeABadOneStillCounts) {
  HttpLayer layer;
  std::string stream, reply;
  EXPECT_EQ(layer.Unwrap(Post("ok") + "PUT /api HTTP/1.1\r\n\r\n", stream, reply).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(stream, kMarker + Frame("ok"));
  EXPECT_EQ(reply, ErrorReply("405 Method Not Allowed", "Allow: POST\r\n"));
}

TEST(HttpLayerTest, DetectedFromPost) {
  absl::StatusOr<LayerDetection> partial = DetectStreamLayer("POS", {});
  ASSERT_TRUE(partial.ok());
  EXPECT_TRUE(std::holds_alternative<std::monostate>(*partial));
  absl::StatusOr<LayerDetection> detected = DetectStreamLayer(Post("x"), {});
  ASSERT_TRUE(detected.ok()) << detected.status();
  auto* layer = std::get_if<std::unique_ptr<StreamLayer>>(&*detected);
  ASSERT_NE(layer, nullptr);
  EXPECT_EQ((*layer)->name(), "http");
  std::string stream, reply;
  ASSERT_TRUE((*layer)->Unwrap(Post("x"), stream, reply).ok());
  EXPECT_EQ(stream, kMarker + Frame("x"));
  // Intermediate is not HTTP.
  absl::StatusOr<LayerDetection> plain = DetectStreamLayer(kMarker + Frame("x"), {});
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(std::holds_alternative<PlainStream>(*plain));
}

}  // namespace
}  // namespace tgrpc::mtproto::transport
