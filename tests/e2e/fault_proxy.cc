#include "tests/e2e/fault_proxy.h"

#include <future>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tgrpc::e2e {

// One proxied connection: the client's socket and ours to the server, each direction read and
// written one chunk at a time.
class FaultProxy::Pair : public std::enable_shared_from_this<Pair> {
 public:
  Pair(asio::ip::tcp::socket client, asio::io_context& io, const bool& hold)
      : client_(std::move(client)), server_(io), hold_(hold) {}

  void Start(const asio::ip::tcp::endpoint& upstream) {
    server_.async_connect(upstream, [self = shared_from_this()](const asio::error_code& error) {
      if (error) return self->Close();
      self->Pump(self->client_, self->server_, self->up_buffer_, true);
      self->Pump(self->server_, self->client_, self->down_buffer_, false);
    });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    held_.clear();
    asio::error_code ignored;
    client_.close(ignored);
    server_.close(ignored);
  }

  // Forwards what was held while hold_ was set.
  void Release() {
    if (closed_ || held_.empty()) return;
    auto bytes = std::make_shared<std::string>(std::move(held_));
    held_.clear();
    asio::async_write(server_, asio::buffer(*bytes),
                      [self = shared_from_this(), bytes](const asio::error_code& error, size_t) {
                        if (error) self->Close();
                      });
  }

  size_t held() const { return held_.size(); }

 private:
  void Pump(asio::ip::tcp::socket& from, asio::ip::tcp::socket& to, std::string& buffer,
            bool upstream) {
    buffer.resize(64 * 1024);
    from.async_read_some(asio::buffer(buffer), [self = shared_from_this(), &from, &to, &buffer,
                                                upstream](const asio::error_code& error, size_t n) {
      if (self->closed_) return;
      if (error) return self->Close();
      if (upstream && self->hold_) {
        self->held_.append(buffer.data(), n);
        return self->Pump(from, to, buffer, upstream);
      }
      asio::async_write(
          to, asio::buffer(buffer.data(), n),
          [self, &from, &to, &buffer, upstream](const asio::error_code& error, size_t) {
            if (self->closed_) return;
            if (error) return self->Close();
            self->Pump(from, to, buffer, upstream);
          });
    });
  }

  asio::ip::tcp::socket client_;
  asio::ip::tcp::socket server_;
  const bool& hold_;
  std::string up_buffer_;
  std::string down_buffer_;
  std::string held_;
  bool closed_ = false;
};

FaultProxy::FaultProxy(uint16_t upstream_port)
    : acceptor_(io_), upstream_(asio::ip::make_address("127.0.0.1"), upstream_port) {}

absl::StatusOr<std::unique_ptr<FaultProxy>> FaultProxy::Start(uint16_t upstream_port) {
  std::unique_ptr<FaultProxy> proxy(new FaultProxy(upstream_port));
  asio::error_code error;
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  proxy->acceptor_.open(endpoint.protocol(), error);
  if (!error) proxy->acceptor_.bind(endpoint, error);
  if (!error) proxy->acceptor_.listen(asio::socket_base::max_listen_connections, error);
  if (error) return absl::UnavailableError(absl::StrCat("proxy: ", error.message()));
  proxy->port_ = proxy->acceptor_.local_endpoint().port();
  proxy->Accept();
  proxy->thread_ = std::thread([p = proxy.get()] { p->io_.run(); });
  return proxy;
}

FaultProxy::~FaultProxy() {
  Run([this] {
    asio::error_code ignored;
    acceptor_.close(ignored);
    for (auto& weak : pairs_) {
      if (auto pair = weak.lock()) pair->Close();
    }
  });
  // Every handler now finds its socket closed, and run() returns when they are done.
  thread_.join();
}

void FaultProxy::Accept() {
  acceptor_.async_accept([this](const asio::error_code& error, asio::ip::tcp::socket socket) {
    if (error) return;  // closed
    ++accepted_;
    if (refuse_) {
      asio::error_code ignored;
      socket.close(ignored);
    } else {
      auto pair = std::make_shared<Pair>(std::move(socket), io_, hold_);
      pairs_.push_back(pair);
      pair->Start(upstream_);
    }
    Accept();
  });
}

void FaultProxy::Run(const std::function<void()>& fn) {
  std::promise<void> done;
  asio::post(io_, [&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

void FaultProxy::DropAll() {
  Run([this] {
    for (auto& weak : pairs_) {
      if (auto pair = weak.lock()) pair->Close();
    }
    pairs_.clear();
  });
}

void FaultProxy::SetRefuse(bool refuse) {
  Run([this, refuse] { refuse_ = refuse; });
}

void FaultProxy::SetHoldUpstream(bool hold) {
  Run([this, hold] {
    hold_ = hold;
    if (hold) return;
    for (auto& weak : pairs_) {
      if (auto pair = weak.lock()) pair->Release();
    }
  });
}

size_t FaultProxy::held_bytes() {
  size_t total = 0;
  Run([this, &total] {
    for (auto& weak : pairs_) {
      if (auto pair = weak.lock()) total += pair->held();
    }
  });
  return total;
}

int FaultProxy::accepted() {
  int n = 0;
  Run([this, &n] { n = accepted_; });
  return n;
}

}  // namespace tgrpc::e2e
