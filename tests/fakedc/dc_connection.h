// One client connection of a fakedc DC: transport detection and framing, then the key exchange
// (unencrypted messages) or the session layer (encrypted ones), with the connection-level faults
// (drop_after_packets, delay_ms) applied here.
#ifndef TGRPC_TESTS_FAKEDC_DC_CONNECTION_H_
#define TGRPC_TESTS_FAKEDC_DC_CONNECTION_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "asio.hpp"
#include "mtproto/handshake/server_handshake.h"
#include "mtproto/transport/server_transport.h"
#include "mtproto/transport/stream_layer.h"
#include "tests/fakedc/listener.h"
#include "tests/fakedc/server.h"

namespace tgrpc::fakedc {

// The bytes of one client connection: transport detection and framing, then the key exchange
// (unencrypted messages) or the session layer (encrypted ones).
class DcConnection : public ConnectionHandler {
 public:
  DcConnection(FakeDc::Impl& impl, Dc& dc, bool media_only, int64_t id,
               std::weak_ptr<Connection> connection)
      : impl_(impl),
        dc_(dc),
        media_only_(media_only),
        id_(id),
        connection_(std::move(connection)),
        transport_(impl.detect_options(), mtproto::transport::FramingOptions{}),
        delay_timer_(impl.io_) {}

  void OnBytes(absl::string_view bytes) override;

  void OnClosed() override {
    closed_ = true;
    delayed_.clear();
    // Its sessions may now be freed when their key needs the slots.
    dc_.slots->Closed(id_);
    dc_.connection_use.erase(id_);
  }

  void SendFrame(absl::string_view payload);

  void SendTransportError(int32_t code) {
    std::string out;
    if (transport_.EncodeTransportError(code, out).ok()) Write(std::move(out));
  }

  void Close(bool flush = true) {
    if (auto connection = connection_.lock()) connection->Close(flush);
  }

  bool closed() const { return closed_; }
  std::string name() const {
    return absl::StrCat("dc", dc_.id, media_only_ ? " (media)" : "", " #", id_);
  }
  int64_t id() const { return id_; }
  int dc_id() const { return dc_.id; }
  bool media_only() const { return media_only_; }
  int64_t packets() const { return packets_; }
  std::string transport() const;
  std::optional<uint64_t> auth_key_id() const { return auth_key_id_; }
  void set_auth_key_id(uint64_t id) { auth_key_id_ = id; }

 private:
  // Writes now, or after FaultOptions::delay_ms; a frame never overtakes a delayed one.
  void Write(std::string bytes);

  void ArmDelayTimer();

  void OnPayload(std::string payload);
  // The transport bytes inside `bytes` (after a stream layer, if the first bytes named one).
  absl::Status Unwrap(absl::string_view bytes, std::string& stream);

  struct Delayed {
    std::chrono::steady_clock::time_point due;
    std::string bytes;
  };

  FakeDc::Impl& impl_;
  Dc& dc_;
  const bool media_only_;
  const int64_t id_;
  std::weak_ptr<Connection> connection_;
  // WebSocket / fake-TLS / HTTP around the transport, detected from the first bytes.
  bool layer_checked_ = false;
  std::string first_bytes_;  // until then
  std::unique_ptr<mtproto::transport::StreamLayer> layer_;
  mtproto::transport::ServerTransport transport_;
  std::optional<mtproto::handshake::ServerHandshake> handshake_;
  int64_t packets_ = 0;
  std::optional<uint64_t> auth_key_id_;  // of its last accepted encrypted packet
  bool dropping_ = false;
  bool closed_ = false;
  asio::steady_timer delay_timer_;
  std::deque<Delayed> delayed_;
};

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_DC_CONNECTION_H_
