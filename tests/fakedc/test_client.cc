#include "tests/fakedc/test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "mtproto/crypto/rsa_key.h"
#include "mtproto/handshake/client_handshake.h"
#include "mtproto/transport/client_transport.h"
#include "tests/fakedc/rpc.h"

namespace tgrpc::fakedc {

namespace session = mtproto::session;
namespace transport = mtproto::transport;

absl::StatusOr<std::unique_ptr<TestClient>> TestClient::Connect(Options options) {
  std::unique_ptr<TestClient> client(new TestClient(std::move(options)));
  if (absl::Status s = client->Open(client->options_.port); !s.ok()) return s;
  if (client->options_.auth_key.has_value()) {
    client->auth_key_ = client->options_.auth_key;
    session::ClientSessionOptions session_options;
    session_options.ping_interval = absl::ZeroDuration();
    client->session_ =
        std::make_unique<session::ClientSession>(*client->auth_key_, std::move(session_options));
  } else if (absl::Status s = client->ExchangeKey(); !s.ok()) {
    return s;
  }
  return client;
}

TestClient::~TestClient() { CloseSocket(); }

absl::Status TestClient::Open(uint16_t port) {
  CloseSocket();
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return absl::UnavailableError(absl::StrCat("socket: ", strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (inet_pton(AF_INET, options_.address.c_str(), &address.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("bad address ", options_.address));
  }
  if (connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    const std::string error = strerror(errno);
    CloseSocket();
    return absl::UnavailableError(absl::StrCat("connect to port ", port, ": ", error));
  }
  const int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  transport::ClientTransportOptions transport_options;
  transport_options.protocol = transport::Protocol::kIntermediate;
  absl::StatusOr<transport::ClientTransport> made =
      transport::MakeClientTransport(transport_options, transport::FramingOptions{});
  if (!made.ok()) return made.status();
  framing_ = std::move(made->framing);
  return WriteAll(made->preamble);
}

void TestClient::CloseSocket() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

absl::Status TestClient::WriteAll(absl::string_view bytes) {
  while (!bytes.empty()) {
    if (fd_ < 0) return absl::UnavailableError("not connected");
    const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      CloseSocket();
      return absl::UnavailableError("the connection closed while writing");
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> TestClient::ReadPayloads(absl::Time deadline) {
  if (fd_ < 0) return absl::UnavailableError("not connected");
  const absl::Duration left = deadline - absl::Now();
  pollfd p{fd_, POLLIN, 0};
  const int ready =
      poll(&p, 1, static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(left))));
  if (ready == 0) return absl::DeadlineExceededError("nothing arrived in time");
  char buffer[64 * 1024];
  const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
  if (n <= 0) {
    CloseSocket();
    return absl::UnavailableError("the server closed the connection");
  }
  std::vector<transport::Frame> frames;
  absl::Status decoded =
      framing_->Decode(absl::string_view(buffer, static_cast<size_t>(n)), frames);
  if (!decoded.ok()) return decoded;
  std::vector<std::string> payloads;
  for (transport::Frame& frame : frames) {
    if (auto* payload = std::get_if<transport::PayloadFrame>(&frame)) {
      payloads.push_back(std::move(payload->payload));
    } else if (auto* error = std::get_if<transport::TransportErrorFrame>(&frame)) {
      return absl::FailedPreconditionError(absl::StrCat("transport error ", error->code));
    }
  }
  return payloads;
}

absl::Status TestClient::ExchangeKey() {
  absl::StatusOr<mtproto::crypto::RsaPublicKey> key =
      mtproto::crypto::RsaPublicKey::FromPem(options_.public_key_pem);
  if (!key.ok()) return key.status();
  mtproto::handshake::ClientHandshakeOptions handshake_options;
  handshake_options.server_keys.push_back(*std::move(key));
  handshake_options.dc_id = options_.dc_id;
  absl::StatusOr<mtproto::handshake::ClientHandshake> handshake =
      mtproto::handshake::ClientHandshake::Create(std::move(handshake_options));
  if (!handshake.ok()) return handshake.status();
  absl::StatusOr<std::string> message = handshake->Start();
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (message.ok() && !handshake->done()) {
    std::string frame;
    if (absl::Status s = framing_->EncodeFrame(*message, {}, frame); !s.ok()) return s;
    if (absl::Status s = WriteAll(frame); !s.ok()) return s;
    absl::StatusOr<std::vector<std::string>> payloads;
    do {
      payloads = ReadPayloads(deadline);
      if (!payloads.ok()) return payloads.status();
    } while (payloads->empty());
    message = handshake->HandleMessage(payloads->front());
  }
  if (!message.ok()) return message.status();
  const mtproto::handshake::ClientHandshakeResult& result = handshake->result();
  auth_key_ = result.auth_key;
  session::ClientSessionOptions session_options;
  session_options.salt = static_cast<uint64_t>(result.first_server_salt);
  session_options.time_offset = absl::Seconds(result.server_time_offset);
  session_options.ping_interval = absl::ZeroDuration();
  session_ = std::make_unique<session::ClientSession>(*auth_key_, std::move(session_options));
  return absl::OkStatus();
}

absl::Status TestClient::Reconnect(uint16_t port) {
  if (absl::Status s = Open(port != 0 ? port : options_.port); !s.ok()) return s;
  if (port != 0) options_.port = port;
  session_->OnReconnect();
  return Flush();
}

absl::Status TestClient::Flush() {
  for (;;) {
    absl::StatusOr<std::optional<std::string>> packet = session_->BuildPacket();
    if (!packet.ok()) return packet.status();
    if (!packet->has_value()) return absl::OkStatus();
    if (fd_ < 0) continue;  // sent again after Reconnect
    std::string frame;
    if (absl::Status s = framing_->EncodeFrame(**packet, {}, frame); !s.ok()) return s;
    if (absl::Status s = WriteAll(frame); !s.ok()) return s;
  }
}

absl::StatusOr<session::CallId> TestClient::Send(const tl::Function& call) {
  absl::StatusOr<std::string> body = tl::Serialize(call);
  if (!body.ok()) return body.status();
  absl::StatusOr<session::CallId> id = session_->Send(*std::move(body));
  if (!id.ok()) return id.status();
  if (absl::Status s = Flush(); !s.ok() && !absl::IsUnavailable(s)) return s;
  return id;
}

absl::Status TestClient::Pump(absl::Time deadline) {
  absl::StatusOr<std::vector<std::string>> payloads = ReadPayloads(deadline);
  if (!payloads.ok()) return payloads.status();
  for (std::string& payload : *payloads) {
    absl::StatusOr<std::vector<session::Event>> events = session_->OnPacket(
        absl::MakeSpan(reinterpret_cast<uint8_t*>(payload.data()), payload.size()));
    if (!events.ok()) return events.status();
    for (session::Event& event : *events) {
      if (auto* result = std::get_if<session::RpcResultEvent>(&event)) {
        answers_.insert_or_assign(result->call, std::move(result->body));
      } else if (auto* error = std::get_if<session::RpcErrorEvent>(&event)) {
        answers_.insert_or_assign(error->call,
                                  TelegramError(error->error.code, error->error.message));
      } else if (auto* failed = std::get_if<session::CallFailedEvent>(&event)) {
        answers_.insert_or_assign(failed->call, failed->status);
      } else if (auto* update = std::get_if<session::UpdateEvent>(&event)) {
        updates_.push_back(std::move(update->body));
      } else if (std::holds_alternative<session::NewSessionEvent>(event)) {
        ++new_sessions_;
      }
    }
  }
  // Resends (bad_server_salt) and acknowledgments.
  session_->FlushAcks();
  return Flush();
}

absl::StatusOr<std::string> TestClient::Wait(session::CallId call, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    auto it = answers_.find(call);
    if (it != answers_.end()) {
      absl::StatusOr<std::string> answer = std::move(it->second);
      answers_.erase(it);
      return answer;
    }
    if (absl::Status s = Pump(deadline); !s.ok()) return s;
  }
}

absl::StatusOr<std::string> TestClient::NextUpdate(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (updates_.empty()) {
    if (absl::Status s = Pump(deadline); !s.ok()) return s;
  }
  std::string update = std::move(updates_.front());
  updates_.pop_front();
  return update;
}

bool TestClient::WaitClosed(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (fd_ >= 0) {
    absl::Status s = Pump(deadline);
    if (absl::IsDeadlineExceeded(s)) return false;
    if (!s.ok() && fd_ >= 0) CloseSocket();
  }
  return true;
}

}  // namespace tgrpc::fakedc
