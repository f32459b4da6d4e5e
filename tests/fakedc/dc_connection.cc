#include "tests/fakedc/dc_connection.h"

#include <utility>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "mtproto/crypto/packet_cipher.h"
#include "mtproto/transport/frame.h"

namespace tgrpc::fakedc {
void DcConnection::OnBytes(absl::string_view bytes) {
  std::string unwrapped;
  absl::Status status = Unwrap(bytes, unwrapped);
  if (!status.ok()) {
    impl_.Log(absl::StrCat(name(), ": ", layer_ != nullptr ? layer_->name() : "stream",
                           " error, closing: ", status.ToString()));
    Close();
    return;
  }
  if (unwrapped.empty()) return;
  std::vector<mtproto::transport::Frame> frames;
  status = transport_.Decode(unwrapped, frames);
  for (mtproto::transport::Frame& frame : frames) {
    if (dropping_) return;
    if (auto* payload = std::get_if<mtproto::transport::PayloadFrame>(&frame)) {
      // drop_after_packets: this packet is handled, but nothing it causes is sent.
      if (impl_.faults_.DropAfter(dc_.id, id_, ++packets_)) {
        impl_.Log(absl::StrCat(name(), ": fault: dropping the connection after packet ", packets_));
        dropping_ = true;
      }
      OnPayload(std::move(payload->payload));
      if (dropping_) {
        Close(/*flush=*/false);
        return;
      }
    }
  }
  if (!status.ok()) {
    impl_.Log(absl::StrCat(name(), ": transport error, closing: ", status.ToString()));
    Close();
  }
}

absl::Status DcConnection::Unwrap(absl::string_view bytes, std::string& stream) {
  if (!layer_checked_) {
    first_bytes_.append(bytes.data(), bytes.size());
    absl::StatusOr<mtproto::transport::LayerDetection> detected =
        mtproto::transport::DetectStreamLayer(first_bytes_, impl_.stream_layer_options());
    if (!detected.ok()) return detected.status();
    if (std::holds_alternative<std::monostate>(*detected)) return absl::OkStatus();
    layer_checked_ = true;
    if (auto* layer = std::get_if<std::unique_ptr<mtproto::transport::StreamLayer>>(&*detected)) {
      layer_ = std::move(*layer);
      impl_.Log(absl::StrCat(name(), ": ", layer_->name(), " connection"));
    }
    bytes = first_bytes_;
  }
  if (layer_ == nullptr) {
    stream.append(bytes.data(), bytes.size());
    first_bytes_.clear();
    return absl::OkStatus();
  }
  std::string reply;
  absl::Status status = layer_->Unwrap(bytes, stream, reply);
  first_bytes_.clear();
  // The layer's own answers (handshakes) go out at once, ahead of any transport bytes.
  if (!reply.empty()) {
    if (auto connection = connection_.lock()) connection->Write(std::move(reply));
  }
  return status;
}

void DcConnection::SendFrame(absl::string_view payload) {
  std::string out;
  absl::Status status = transport_.EncodeFrame(payload, {}, out);
  if (!status.ok()) {
    impl_.Log(absl::StrCat(name(), ": cannot frame an answer: ", status.ToString()));
    return;
  }
  Write(std::move(out));
}

std::string DcConnection::transport() const {
  const auto& detected = transport_.detected();
  if (!detected.has_value()) return "";
  std::string out(mtproto::transport::ProtocolName(detected->protocol));
  if (detected->obfuscation.has_value()) {
    out = absl::StrCat(detected->obfuscation->secret_index.has_value() ? "mtproxy-" : "obfuscated-",
                       out);
  }
  return out;
}

void DcConnection::Write(std::string bytes) {
  if (dropping_ || closed_) return;
  if (layer_ != nullptr) {
    bytes = layer_->Wrap(bytes);
    if (bytes.empty()) return;
  }
  const int delay_ms = impl_.faults_.delay_ms(dc_.id, id_);
  if (delay_ms <= 0 && delayed_.empty()) {
    if (auto connection = connection_.lock()) connection->Write(std::move(bytes));
    return;
  }
  const auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
  impl_.Log(
      absl::StrCat(name(), ": fault: delaying ", bytes.size(), " bytes by ", delay_ms, " ms"));
  delayed_.push_back({due, std::move(bytes)});
  if (delayed_.size() == 1) ArmDelayTimer();
}

void DcConnection::ArmDelayTimer() {
  delay_timer_.expires_at(delayed_.front().due);
  // The connection owns this handler (and its timer): if it is gone, so is `this`.
  delay_timer_.async_wait([this, alive = connection_](const asio::error_code& error) {
    if (error) return;
    auto connection = alive.lock();
    if (connection == nullptr) return;
    const auto now = std::chrono::steady_clock::now();
    while (!delayed_.empty() && delayed_.front().due <= now) {
      connection->Write(std::move(delayed_.front().bytes));
      delayed_.pop_front();
    }
    if (!delayed_.empty()) ArmDelayTimer();
  });
}

void DcConnection::OnPayload(std::string payload) {
  if (payload.size() < 8) {
    SendTransportError(-404);
    return;
  }
  if (base::LoadLe64(payload.data()) != 0) {
    const auto& detected = transport_.detected();
    if (detected.has_value() &&
        detected->protocol == mtproto::transport::Protocol::kPaddedIntermediate) {
      payload.resize(mtproto::crypto::PacketCipher::EncryptedPacketSize(payload.size()));
    }
    auto connection = connection_.lock();
    if (connection) impl_.OnEncrypted(dc_, media_only_, connection, *this, std::move(payload));
    return;
  }
  if (!handshake_.has_value()) {
    absl::StatusOr<mtproto::handshake::ServerHandshake> created =
        mtproto::handshake::ServerHandshake::Create(
            dc_.handshake != nullptr ? dc_.handshake : impl_.handshake_config_);
    if (!created.ok()) {
      impl_.Log(absl::StrCat("handshake setup failed: ", created.status().ToString()));
      Close();
      return;
    }
    handshake_.emplace(*std::move(created));
  }
  absl::StatusOr<std::string> answer = impl_.Handshake(*handshake_, dc_, payload);
  if (!answer.ok()) {
    impl_.Log(absl::StrCat(name(), ": key exchange failed: ", answer.status().ToString()));
    Close();
    return;
  }
  SendFrame(*answer);
  if (handshake_->done() || handshake_->failed()) handshake_.reset();
}

}  // namespace tgrpc::fakedc
