#include "mtproto/transport/http_layer.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/bytes.h"

namespace tgrpc::mtproto::transport {
namespace {

constexpr uint32_t kQuickAckBit = 0x80000000u;
constexpr absl::string_view kIntermediateMarker = "\xee\xee\xee\xee";

absl::string_view ReasonPhrase(int http_status) {
  switch (http_status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

// Telethon's reader skips header lines until Content-Length, then takes exactly the blank line:
// Content-Length must come last.
void AppendResponse(absl::string_view packet, std::string& out) {
  absl::StrAppend(&out,
                  "HTTP/1.1 200 OK\r\n"
                  "Connection: keep-alive\r\n"
                  "Content-Type: application/octet-stream\r\n"
                  "Access-Control-Allow-Origin: *\r\n"
                  "Cache-Control: no-store\r\n"
                  "Content-Length: ",
                  packet.size(), "\r\n\r\n", packet);
}

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos;
}

// A checked request head: its body length, or the HTTP status refusing it.
struct RequestHead {
  int http_status = 200;
  absl::Status status;
  uint64_t content_length = 0;
};

RequestHead Refuse(int http_status, absl::Status status) {
  RequestHead head;
  head.http_status = http_status;
  head.status = std::move(status);
  return head;
}

// `head` ends with the blank line's CRLF CRLF.
RequestHead ParseHead(absl::string_view head, size_t max_body_size) {
  head.remove_suffix(4);
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  const std::vector<absl::string_view> request_line = absl::StrSplit(lines[0], ' ');
  if (request_line.size() != 3 || request_line[0].empty() || request_line[1].empty()) {
    return Refuse(400,
                  absl::InvalidArgumentError(absl::StrCat("malformed HTTP request line: ",
                                                          absl::CEscape(lines[0].substr(0, 100)))));
  }
  const absl::string_view method = request_line[0], path = request_line[1],
                          version = request_line[2];
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return Refuse(505, absl::UnimplementedError(
                           absl::StrCat("not HTTP/1.x: ", absl::CEscape(version.substr(0, 20)))));
  }
  if (method != "POST") {
    return Refuse(405, absl::InvalidArgumentError(absl::StrCat(
                           "HTTP method ", absl::CEscape(method.substr(0, 20)), ", not POST")));
  }
  if (path != "/api") {
    return Refuse(404, absl::NotFoundError(absl::StrCat(
                           "HTTP path ", absl::CEscape(path.substr(0, 100)), ", not /api")));
  }
  bool has_length = false;
  RequestHead out;
  for (size_t i = 1; i < lines.size(); ++i) {
    const absl::string_view line = lines[i];
    const size_t colon = line.find(':');
    if (colon == 0 || colon == absl::string_view::npos ||
        !std::all_of(line.begin(), line.begin() + colon, IsTokenChar)) {
      return Refuse(400, absl::InvalidArgumentError(absl::StrCat(
                             "malformed HTTP header line: ", absl::CEscape(line.substr(0, 100)))));
    }
    const absl::string_view name = line.substr(0, colon);
    const absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
      return Refuse(501, absl::UnimplementedError(absl::StrCat(
                             "HTTP Transfer-Encoding ", absl::CEscape(value.substr(0, 40)))));
    }
    if (!absl::EqualsIgnoreCase(name, "Content-Length")) continue;
    uint64_t length = 0;
    if (value.empty() || value.size() > 19 ||
        !std::all_of(value.begin(), value.end(), absl::ascii_isdigit) ||
        !absl::SimpleAtoi(value, &length) || (has_length && length != out.content_length)) {
      return Refuse(400, absl::InvalidArgumentError(absl::StrCat(
                             "bad HTTP Content-Length: ", absl::CEscape(value.substr(0, 40)))));
    }
    has_length = true;
    out.content_length = length;
  }
  if (!has_length)
    return Refuse(411, absl::InvalidArgumentError("HTTP POST without Content-Length"));
  if (out.content_length == 0) return Refuse(400, absl::InvalidArgumentError("empty HTTP body"));
  if (out.content_length > max_body_size) {
    return Refuse(413, absl::ResourceExhaustedError(absl::StrCat(
                           "HTTP body of ", out.content_length, " bytes, above ", max_body_size)));
  }
  return out;
}

}  // namespace

HttpLayer::HttpLayer(const HttpLayerOptions& options) : options_(options) {}

absl::Status HttpLayer::Unwrap(absl::string_view in, std::string& stream, std::string& reply) {
  if (failed_) return absl::FailedPreconditionError("bytes after an HTTP error");
  while (!in.empty()) {
    if (body_left_ == 0) {
      absl::Status status = ReadHead(in, stream, reply);
      if (!status.ok()) return status;
      continue;
    }
    // The body goes through as it arrives: its frame length is already in the stream.
    const size_t n = std::min<size_t>(body_left_, in.size());
    stream.append(in.data(), n);
    in.remove_prefix(n);
    body_left_ -= static_cast<uint32_t>(n);
    if (body_left_ == 0) EndRequest(reply);
  }
  return absl::OkStatus();
}

absl::Status HttpLayer::ReadHead(absl::string_view& in, std::string& stream, std::string& reply) {
  const size_t had = head_.size();
  const size_t take = std::min(in.size(), options_.max_head_size - had);
  // The blank line may have begun in the bytes already here.
  const size_t search_from = had < 3 ? 0 : had - 3;
  head_.append(in.data(), take);
  const size_t blank = head_.find("\r\n\r\n", search_from);
  if (blank == std::string::npos) {
    if (head_.size() >= options_.max_head_size) {
      return Fail(431,
                  absl::ResourceExhaustedError(
                      absl::StrCat("HTTP request head above ", options_.max_head_size, " bytes")),
                  reply);
    }
    in.remove_prefix(take);
    return absl::OkStatus();
  }
  const size_t head_size = blank + 4;
  in.remove_prefix(head_size - had);
  head_.resize(head_size);
  RequestHead head = ParseHead(head_, options_.max_body_size);
  head_.clear();
  if (!head.status.ok()) return Fail(head.http_status, std::move(head.status), reply);
  if (!marker_sent_) {
    stream.append(kIntermediateMarker.data(), kIntermediateMarker.size());
    marker_sent_ = true;
  }
  body_left_ = static_cast<uint32_t>(head.content_length);
  base::AppendLe32(body_left_, stream);
  return absl::OkStatus();
}

void HttpLayer::EndRequest(std::string& reply) {
  if (held_.empty()) {
    ++waiting_;
    return;
  }
  AppendResponse(held_.front(), reply);
  held_.pop_front();
}

absl::Status HttpLayer::Fail(int http_status, absl::Status status, std::string& reply) {
  failed_ = true;
  absl::StrAppend(&reply, "HTTP/1.1 ", http_status, " ", ReasonPhrase(http_status),
                  "\r\nConnection: close\r\n", http_status == 405 ? "Allow: POST\r\n" : "",
                  "Content-Length: 0\r\n\r\n");
  return status;
}

std::string HttpLayer::Wrap(absl::string_view stream) {
  std::string out;
  if (failed_) return out;
  output_.Append(stream);
  for (;;) {
    const absl::string_view view = output_.View();
    if (view.size() < 4) break;
    const uint32_t length = base::LoadLe32(view.data());
    if (length & kQuickAckBit) {
      output_.Consume(4);
      continue;
    }
    if (view.size() - 4 < length) break;
    const absl::string_view packet = view.substr(4, length);
    if (waiting_ > 0) {
      --waiting_;
      AppendResponse(packet, out);
    } else {
      held_.emplace_back(packet);
    }
    output_.Consume(4 + size_t{length});
  }
  return out;
}

}  // namespace tgrpc::mtproto::transport
