#include "mtproto/transport/websocket_layer.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "mtproto/crypto/sha.h"

namespace tgrpc::mtproto::transport {
namespace {

constexpr absl::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr absl::string_view kHeaderEnd = "\r\n\r\n";
// The subprotocol MTProto's ws transports ask for.
constexpr absl::string_view kSubprotocol = "binary";

constexpr uint8_t kFin = 0x80;
constexpr uint8_t kReservedBits = 0x70;
constexpr uint8_t kOpcodeBits = 0x0f;
constexpr uint8_t kMaskBit = 0x80;
constexpr uint8_t kLengthBits = 0x7f;
constexpr uint8_t kLength16 = 126;
constexpr uint8_t kLength64 = 127;
constexpr uint8_t kMaxControlPayload = 125;

constexpr uint8_t kContinuation = 0x0;
constexpr uint8_t kText = 0x1;
constexpr uint8_t kBinary = 0x2;
constexpr uint8_t kClose = 0x8;
constexpr uint8_t kPing = 0x9;
constexpr uint8_t kPong = 0xa;

// Close codes (RFC 6455 7.4.1).
constexpr uint16_t kProtocolError = 1002;
constexpr uint16_t kUnsupportedData = 1003;
constexpr uint16_t kMessageTooBig = 1009;

bool IsControl(uint8_t opcode) { return (opcode & 0x8) != 0; }

void AppendFrame(uint8_t opcode, absl::string_view payload, std::string& out) {
  out.push_back(static_cast<char>(kFin | opcode));
  const uint64_t size = payload.size();
  if (size < kLength16) {
    out.push_back(static_cast<char>(size));
  } else if (size <= 0xffff) {
    out.push_back(static_cast<char>(kLength16));
    out.push_back(static_cast<char>(size >> 8));
    out.push_back(static_cast<char>(size));
  } else {
    out.push_back(static_cast<char>(kLength64));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(size >> shift));
  }
  out.append(payload.data(), payload.size());
}

void AppendCloseFrame(std::optional<uint16_t> code, std::string& out) {
  std::string payload;
  if (code.has_value()) {
    payload.push_back(static_cast<char>(*code >> 8));
    payload.push_back(static_cast<char>(*code));
  }
  AppendFrame(kClose, payload, out);
}

std::string HttpError(absl::string_view status, absl::string_view extra_headers = "") {
  return absl::StrCat("HTTP/1.1 ", status, "\r\nConnection: close\r\nContent-Length: 0\r\n",
                      extra_headers, "\r\n");
}

// Whether a comma-separated header value lists `token` (case-insensitive, as Upgrade, Connection
// and Sec-WebSocket-Protocol compare).
bool HasToken(absl::string_view value, absl::string_view token) {
  for (absl::string_view part : absl::StrSplit(value, ',')) {
    if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(part), token)) return true;
  }
  return false;
}

// A refused upgrade request: the status for the caller, the HTTP answer for the client.
struct Refusal {
  absl::Status status;
  std::string answer;
};

Refusal BadRequest(absl::string_view why) {
  return {absl::InvalidArgumentError(absl::StrCat("WebSocket upgrade request: ", why)),
          HttpError("400 Bad Request")};
}

// The 101 answer to an upgrade request (everything before its blank line), or why not.
std::variant<std::string, Refusal> AnswerUpgrade(absl::string_view request) {
  std::vector<absl::string_view> lines = absl::StrSplit(request, "\r\n");
  const std::vector<absl::string_view> request_line = absl::StrSplit(lines[0], ' ');
  if (request_line.size() != 3 || request_line[0] != "GET" || request_line[2] != "HTTP/1.1") {
    return BadRequest(absl::StrCat("not a GET ... HTTP/1.1 request line: \"",
                                   absl::CHexEscape(lines[0].substr(0, 100)), "\""));
  }
  const absl::string_view path = request_line[1].substr(0, request_line[1].find('?'));
  if (path != "/apiws" && path != "/apiws_test") {
    return Refusal{absl::InvalidArgumentError(absl::StrCat("WebSocket upgrade request for ",
                                                           absl::CHexEscape(path.substr(0, 100)),
                                                           ": only /apiws is served")),
                   HttpError("404 Not Found")};
  }
  absl::flat_hash_map<std::string, std::string> headers;
  for (size_t i = 1; i < lines.size(); ++i) {
    const absl::string_view line = lines[i];
    const size_t colon = line.find(':');
    // No folded lines, no whitespace in or after the name (RFC 9110 5.1, 5.6.2).
    if (colon == absl::string_view::npos || colon == 0 ||
        line.substr(0, colon).find_first_of(" \t") != absl::string_view::npos) {
      return BadRequest(
          absl::StrCat("malformed header line \"", absl::CHexEscape(line.substr(0, 100)), "\""));
    }
    std::string& value = headers[absl::AsciiStrToLower(line.substr(0, colon))];
    // A repeated header is one comma-separated list (RFC 9110 5.3).
    absl::StrAppend(&value, value.empty() ? "" : ", ",
                    absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  if (!HasToken(headers["upgrade"], "websocket")) {
    return BadRequest("no \"Upgrade: websocket\"");
  }
  if (!HasToken(headers["connection"], "upgrade")) {
    return BadRequest("no \"Connection: Upgrade\"");
  }
  if (headers["sec-websocket-version"] != "13") {
    return Refusal{absl::InvalidArgumentError(absl::StrCat(
                       "WebSocket upgrade request: Sec-WebSocket-Version \"",
                       absl::CHexEscape(headers["sec-websocket-version"]), "\", not 13")),
                   HttpError("426 Upgrade Required", "Sec-WebSocket-Version: 13\r\n")};
  }
  const std::string& key = headers["sec-websocket-key"];
  std::string nonce;
  if (!absl::Base64Unescape(key, &nonce) || nonce.size() != 16) {
    return BadRequest(absl::StrCat("Sec-WebSocket-Key \"", absl::CHexEscape(key),
                                   "\" is not 16 bytes in base64"));
  }
  std::string answer = absl::StrCat(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ",
      WebSocketAcceptKey(key), "\r\n");
  // Only the subprotocol the stream is: a client asking for others alone gets none, and decides.
  if (HasToken(headers["sec-websocket-protocol"], kSubprotocol)) {
    absl::StrAppend(&answer, "Sec-WebSocket-Protocol: ", kSubprotocol, "\r\n");
  }
  answer.append("\r\n");
  return answer;
}

}  // namespace

std::string WebSocketAcceptKey(absl::string_view key) {
  const std::string input = absl::StrCat(key, kAcceptGuid);
  const crypto::Sha1Digest digest =
      crypto::Sha1(crypto::ByteSpan(reinterpret_cast<const uint8_t*>(input.data()), input.size()));
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

WebSocketLayer::WebSocketLayer(const WebSocketLayerOptions& options) : options_(options) {}

absl::Status WebSocketLayer::Unwrap(absl::string_view in, std::string& stream, std::string& reply) {
  if (state_ == State::kClosed) {
    return absl::FailedPreconditionError("bytes after the WebSocket connection ended");
  }
  if (state_ == State::kHandshake) TGRPC_RETURN_IF_ERROR(ReadHandshake(in, reply));
  while (!in.empty()) {
    if (state_ == State::kFrameHeader) {
      TGRPC_RETURN_IF_ERROR(ReadFrameHeader(in, reply));
    } else {
      TGRPC_RETURN_IF_ERROR(ReadPayload(in, stream, reply));
    }
  }
  return absl::OkStatus();
}

std::string WebSocketLayer::Wrap(absl::string_view stream) {
  std::string out;
  if (state_ != State::kFrameHeader && state_ != State::kFramePayload) return out;
  const size_t chunk = std::max<size_t>(options_.max_server_frame_payload, 1);
  for (size_t at = 0; at < stream.size(); at += chunk) {
    AppendFrame(kBinary, stream.substr(at, chunk), out);
  }
  return out;
}

absl::Status WebSocketLayer::ReadHandshake(absl::string_view& in, std::string& reply) {
  const size_t had = handshake_.size();
  // The blank line may straddle the previous bytes and these.
  const size_t search_from = had >= kHeaderEnd.size() ? had - (kHeaderEnd.size() - 1) : 0;
  handshake_.append(in.data(), in.size());
  const size_t end = absl::string_view(handshake_).find(kHeaderEnd, search_from);
  const size_t request_size =
      end == std::string::npos ? handshake_.size() : end + kHeaderEnd.size();
  if (request_size > options_.max_handshake_size) {
    state_ = State::kClosed;
    reply.append(HttpError("431 Request Header Fields Too Large"));
    return absl::ResourceExhaustedError(
        absl::StrCat("WebSocket upgrade request above ", options_.max_handshake_size, " bytes"));
  }
  if (end == std::string::npos) {
    in = {};
    return absl::OkStatus();
  }
  // What follows the blank line is frames already.
  in.remove_prefix(request_size - had);
  std::variant<std::string, Refusal> answer =
      AnswerUpgrade(absl::string_view(handshake_).substr(0, end));
  handshake_ = std::string();
  if (auto* refusal = std::get_if<Refusal>(&answer)) {
    state_ = State::kClosed;
    reply.append(refusal->answer);
    return refusal->status;
  }
  reply.append(std::get<std::string>(answer));
  state_ = State::kFrameHeader;
  return absl::OkStatus();
}

absl::Status WebSocketLayer::ReadFrameHeader(absl::string_view& in, std::string& reply) {
  // Header bytes one at a time: the first two say how many follow (at most 12).
  auto header_size = [this] {
    if (header_.size() < 2) return size_t{2};
    const uint8_t length = header_[1] & kLengthBits;
    return 2 + (length == kLength16 ? 2 : length == kLength64 ? 8 : 0) + mask_.size();
  };
  while (!in.empty() && header_.size() < header_size()) {
    header_.push_back(in.front());
    in.remove_prefix(1);
    if (header_.size() == 2) TGRPC_RETURN_IF_ERROR(CheckFrameStart(reply));
  }
  if (header_.size() < 2 || header_.size() < header_size()) return absl::OkStatus();

  const uint8_t length7 = header_[1] & kLengthBits;
  size_t at = 2;
  payload_length_ = length7;
  if (length7 == kLength16 || length7 == kLength64) {
    const size_t bytes = length7 == kLength16 ? 2 : 8;
    payload_length_ = 0;
    for (size_t i = 0; i < bytes; ++i) {
      payload_length_ = payload_length_ << 8 | static_cast<uint8_t>(header_[at + i]);
    }
    at += bytes;
    if (payload_length_ >> 63 != 0) {
      return Fail(kProtocolError,
                  absl::InvalidArgumentError("WebSocket frame length with its top bit set"), reply);
    }
  }
  if (payload_length_ > options_.max_client_frame_payload) {
    return Fail(kMessageTooBig,
                absl::ResourceExhaustedError(absl::StrCat("WebSocket frame of ", payload_length_,
                                                          " bytes, above the limit of ",
                                                          options_.max_client_frame_payload)),
                reply);
  }
  for (size_t i = 0; i < mask_.size(); ++i) mask_[i] = static_cast<uint8_t>(header_[at + i]);
  header_.clear();
  payload_read_ = 0;
  control_payload_.clear();
  state_ = State::kFramePayload;
  if (payload_length_ == 0) return EndFrame(reply);
  return absl::OkStatus();
}

absl::Status WebSocketLayer::CheckFrameStart(std::string& reply) {
  const uint8_t first = static_cast<uint8_t>(header_[0]);
  const uint8_t second = static_cast<uint8_t>(header_[1]);
  fin_ = (first & kFin) != 0;
  opcode_ = first & kOpcodeBits;
  if ((first & kReservedBits) != 0) {
    return Fail(kProtocolError,
                absl::InvalidArgumentError(
                    "WebSocket frame with reserved bits set (no extension was negotiated)"),
                reply);
  }
  if ((second & kMaskBit) == 0) {
    return Fail(kProtocolError,
                absl::InvalidArgumentError("unmasked WebSocket frame from the client"), reply);
  }
  switch (opcode_) {
    case kText:
      return Fail(kUnsupportedData,
                  absl::InvalidArgumentError(
                      "WebSocket text frame: the MTProto transport is carried in binary frames"),
                  reply);
    case kBinary:
      if (in_message_) {
        return Fail(kProtocolError,
                    absl::InvalidArgumentError(
                        "WebSocket binary frame before the previous message's last fragment"),
                    reply);
      }
      return absl::OkStatus();
    case kContinuation:
      if (!in_message_) {
        return Fail(kProtocolError,
                    absl::InvalidArgumentError(
                        "WebSocket continuation frame without a message to continue"),
                    reply);
      }
      return absl::OkStatus();
    case kClose:
    case kPing:
    case kPong:
      if (!fin_ || (second & kLengthBits) > kMaxControlPayload) {
        return Fail(
            kProtocolError,
            absl::InvalidArgumentError(absl::StrCat("WebSocket control frame (opcode ", opcode_,
                                                    ") fragmented or above 125 bytes")),
            reply);
      }
      return absl::OkStatus();
    default:
      return Fail(
          kProtocolError,
          absl::InvalidArgumentError(absl::StrCat("WebSocket frame with unknown opcode ", opcode_)),
          reply);
  }
}

absl::Status WebSocketLayer::ReadPayload(absl::string_view& in, std::string& stream,
                                         std::string& reply) {
  const size_t n =
      static_cast<size_t>(std::min<uint64_t>(in.size(), payload_length_ - payload_read_));
  std::string& out = IsControl(opcode_) ? control_payload_ : stream;
  const size_t start = out.size();
  out.append(in.data(), n);
  for (size_t i = 0; i < n; ++i) {
    out[start + i] = static_cast<char>(out[start + i] ^ mask_[(payload_read_ + i) % 4]);
  }
  payload_read_ += n;
  in.remove_prefix(n);
  if (payload_read_ < payload_length_) return absl::OkStatus();
  return EndFrame(reply);
}

absl::Status WebSocketLayer::EndFrame(std::string& reply) {
  state_ = State::kFrameHeader;
  switch (opcode_) {
    case kBinary:
    case kContinuation:
      in_message_ = !fin_;
      return absl::OkStatus();
    case kPing:
      AppendFrame(kPong, control_payload_, reply);
      return absl::OkStatus();
    case kPong:
      return absl::OkStatus();
    default:  // kClose; CheckFrameStart let no other opcode through
      break;
  }
  if (control_payload_.size() == 1) {
    return Fail(kProtocolError, absl::InvalidArgumentError("WebSocket close frame of 1 byte"),
                reply);
  }
  state_ = State::kClosed;
  if (control_payload_.empty()) {
    AppendCloseFrame(std::nullopt, reply);
    return absl::CancelledError("the client closed the WebSocket");
  }
  const uint16_t code = static_cast<uint16_t>(static_cast<uint8_t>(control_payload_[0]) << 8 |
                                              static_cast<uint8_t>(control_payload_[1]));
  // The close is echoed with the client's code, as RFC 6455 5.5.1 suggests.
  AppendCloseFrame(code, reply);
  return absl::CancelledError(absl::StrCat("the client closed the WebSocket (code ", code, ")"));
}

absl::Status WebSocketLayer::Fail(uint16_t code, absl::Status status, std::string& reply) {
  state_ = State::kClosed;
  AppendCloseFrame(code, reply);
  return status;
}

}  // namespace tgrpc::mtproto::transport
