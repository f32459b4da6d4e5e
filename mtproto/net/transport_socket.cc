#include "mtproto/net/transport_socket.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"

namespace tgrpc::mtproto::net {
namespace {

// Reads go into a per-thread buffer of this size, taken only while bytes are waiting (see
// ReadAvailable).
constexpr size_t kReadChunk = 64 * 1024;
// A wakeup reads at most this many full buffers before waiting again, so one fast connection
// does not keep others on the same thread waiting.
constexpr int kMaxReadsPerWakeup = 4;
// Write buffers larger than this (after an upload, say) are freed once written.
constexpr size_t kRetainedWriteCapacity = 16 * 1024;

// The read buffer of the calling thread, allocated on first use and not zero-filled. Shared by
// every connection the thread runs: Decode copies what it keeps (a partial frame, the frames)
// before the read handler returns, so no connection holds a read buffer while it waits.
absl::Span<char> ThreadReadBuffer() {
  thread_local std::unique_ptr<char[]> buffer;
  if (buffer == nullptr) buffer.reset(new char[kReadChunk]);
  return absl::MakeSpan(buffer.get(), kReadChunk);
}

void ReleaseIfLarge(std::string& buffer) {
  if (buffer.capacity() > kRetainedWriteCapacity) std::string().swap(buffer);
}

absl::Status SocketError(absl::string_view what, const asio::error_code& error) {
  if (error == asio::error::eof) return absl::UnavailableError("connection closed by the peer");
  return absl::UnavailableError(absl::StrCat(what, ": ", error.message()));
}

}  // namespace

TransportSocket::TransportSocket(Strand strand, transport::ClientTransport transport,
                                 Callbacks callbacks)
    : strand_(std::move(strand)),
      transport_(std::move(transport)),
      callbacks_(std::move(callbacks)),
      resolver_(strand_),
      socket_(strand_) {}

TransportSocket::~TransportSocket() = default;

void TransportSocket::Connect(const std::string& host, uint16_t port) {
  peer_ = absl::StrCat(host, ":", port);
  asio::error_code error;
  const asio::ip::address address = asio::ip::make_address(host, error);
  if (!error) {
    OnResolved(asio::ip::tcp::resolver::results_type::create(asio::ip::tcp::endpoint(address, port),
                                                             host, std::to_string(port)));
    return;
  }
  resolver_.async_resolve(
      host, std::to_string(port),
      [self = shared_from_this()](const asio::error_code& error,
                                  asio::ip::tcp::resolver::results_type results) {
        if (self->closed_) return;
        if (error) return self->Fail(SocketError(absl::StrCat("resolving ", self->peer_), error));
        self->OnResolved(results);
      });
}

void TransportSocket::OnResolved(const asio::ip::tcp::resolver::results_type& endpoints) {
  asio::async_connect(
      socket_, endpoints,
      [self = shared_from_this()](const asio::error_code& error, const asio::ip::tcp::endpoint&) {
        if (self->closed_) return;
        if (error) {
          return self->Fail(SocketError(absl::StrCat("connecting to ", self->peer_), error));
        }
        asio::error_code ignored;
        self->socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
        // ReadAvailable reads without blocking, after a wait for readability.
        self->socket_.non_blocking(true, ignored);
        self->connected_ = true;
        // The preamble goes before any frame.
        self->queued_.insert(0, self->transport_.preamble);
        if (!self->queued_.empty()) self->WriteNext();
        self->Read();
        if (self->callbacks_.on_connected) self->callbacks_.on_connected();
      });
}

absl::Status TransportSocket::Send(absl::string_view payload) {
  if (closed_ || !connected_) return absl::FailedPreconditionError("not connected");
  const size_t before = queued_.size();
  absl::Status status = transport_.framing->EncodeFrame(payload, {}, queued_);
  if (!status.ok()) {
    queued_.resize(before);
    return status;
  }
  if (!write_in_flight_) WriteNext();
  return absl::OkStatus();
}

void TransportSocket::Read() {
  // Wait for bytes without a buffer: an idle connection then costs no read memory (a pending
  // async_read_some would hold a 64 KiB buffer for as long as the connection stays quiet).
  socket_.async_wait(asio::socket_base::wait_read,
                     [self = shared_from_this()](const asio::error_code& error) {
                       if (self->closed_) return;
                       if (error) return self->Fail(SocketError("reading", error));
                       self->ReadAvailable();
                     });
}

void TransportSocket::ReadAvailable() {
  const absl::Span<char> buffer = ThreadReadBuffer();
  for (int reads = 0; reads < kMaxReadsPerWakeup; ++reads) {
    asio::error_code error;
    const size_t n = socket_.read_some(asio::buffer(buffer.data(), buffer.size()), error);
    if (error == asio::error::would_block || error == asio::error::try_again) break;
    if (error) return Fail(SocketError("reading", error));
    std::vector<transport::Frame> frames;
    absl::Status status = transport_.framing->Decode(absl::string_view(buffer.data(), n), frames);
    if (!frames.empty() && callbacks_.on_frames) callbacks_.on_frames(std::move(frames));
    if (closed_) return;  // the owner closed it while handling the frames
    if (!status.ok()) {
      return Fail(
          absl::DataLossError(absl::StrCat("undecodable transport bytes: ", status.message())));
    }
    // A short read emptied the socket; a new byte after it makes the wait below return at once.
    if (n < buffer.size()) break;
  }
  Read();
}

void TransportSocket::WriteNext() {
  if (queued_.empty()) {
    write_in_flight_ = false;
    ReleaseIfLarge(queued_);
    return;
  }
  write_in_flight_ = true;
  writing_.swap(queued_);
  queued_.clear();
  asio::async_write(
      socket_, asio::buffer(writing_),
      [self = shared_from_this()](const asio::error_code& error, size_t) {
        if (self->closed_) return;
        if (error) return self->Fail(SocketError("writing", error));
        self->writing_.clear();
        ReleaseIfLarge(self->writing_);
        self->WriteNext();
        if (!self->write_in_flight_ && !self->closed_ && self->callbacks_.on_drained) {
          self->callbacks_.on_drained();
        }
      });
}

void TransportSocket::Fail(absl::Status status) {
  if (closed_) return;
  Close();
  if (callbacks_.on_closed) callbacks_.on_closed(std::move(status));
}

void TransportSocket::Close() {
  if (closed_) return;
  closed_ = true;
  connected_ = false;
  asio::error_code ignored;
  resolver_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace tgrpc::mtproto::net
