// MTProto over HTTP (core.telegram.org/mtproto/transports#http) as a StreamLayer: each HTTP/1.1
// `POST /api` carries one MTProto packet as its body and each response one packet, as Telethon's
// ConnectionHttp speaks it. The bodies become an intermediate-framed stream (0xeeeeeeee, then a
// 4-byte little-endian length before each packet) for the transport after the layer, which then
// answers in intermediate framing too; Wrap cuts that into packets and answers the waiting
// requests, oldest first, one packet each. A packet with no request waiting is held until the
// next request arrives; a request the server has nothing for waits (a long poll, both ways).
#ifndef TGRPC_MTPROTO_TRANSPORT_HTTP_LAYER_H_
#define TGRPC_MTPROTO_TRANSPORT_HTTP_LAYER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mtproto/transport/receive_buffer.h"
#include "mtproto/transport/stream_layer.h"

namespace tgrpc::mtproto::transport {

struct HttpLayerOptions {
  // A request's line and headers, up to and including the blank line.
  size_t max_head_size = 8 * 1024;
  // A request body (one packet); clients send an upload part (512 KiB) in one packet at most.
  size_t max_body_size = 2 * 1024 * 1024;
};

class HttpLayer final : public StreamLayer {
 public:
  explicit HttpLayer(const HttpLayerOptions& options = {});

  absl::string_view name() const override { return "http"; }
  // Errors, each with an HTTP error response in `reply` (the connection is then to be closed):
  // InvalidArgument (400: a malformed request line or header, an empty body; 405: a method other
  // than POST; 411: no Content-Length), NotFound (404: a path other than /api), ResourceExhausted
  // (413 / 431: body or head above the limits), Unimplemented (501: a Transfer-Encoding; 505: not
  // HTTP/1.x); FailedPrecondition, with no reply, for bytes after an error.
  absl::Status Unwrap(absl::string_view in, std::string& stream, std::string& reply) override;
  // 200 responses for the waiting requests, a packet each; the rest is held. Intermediate quick
  // acks have no HTTP form and are dropped. Nothing after an error.
  std::string Wrap(absl::string_view stream) override;

  // Requests received in full and not yet answered.
  size_t waiting_requests() const { return waiting_; }
  // Server packets with no request to go in yet.
  size_t held_packets() const { return held_.size(); }

 private:
  // Reads the request head from the front of `in` (consuming what it uses); once the head is
  // whole, checks it and starts the body.
  absl::Status ReadHead(absl::string_view& in, std::string& stream, std::string& reply);
  // A whole request is in: a held packet answers it at once, or it waits.
  void EndRequest(std::string& reply);
  // Ends the connection with an error response carrying `http_status`.
  absl::Status Fail(int http_status, absl::Status status, std::string& reply);

  const HttpLayerOptions options_;
  bool failed_ = false;
  bool marker_sent_ = false;
  // The current request's head as it arrives, then the part of its body still to come.
  std::string head_;
  uint32_t body_left_ = 0;
  size_t waiting_ = 0;
  // The server's intermediate stream until a whole packet is in, and packets nobody asked for.
  ReceiveBuffer output_;
  std::deque<std::string> held_;
};

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_HTTP_LAYER_H_
