// ClientConnection without a Telegram server: option checks, the backoff schedule against
// servers that drop, ignore or garble every connection (on the wall clock and on virtual time),
// call timeouts, Cancel, Stop and Close. The
// protocol paths (key exchange, calls, reconnects, every transport) run against tests/fakedc in
// //tests/e2e.
#include "mtproto/net/client_connection.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "asio.hpp"
#include "gtest/gtest.h"
#include "mtproto/crypto/rsa_key.h"
#include "mtproto/crypto/testdata/test_rsa_key.h"

namespace tgrpc::mtproto::net {
namespace {

constexpr auto kGuard = std::chrono::seconds(30);  // failure guard only

crypto::RandomSource SeededRandom(uint64_t seed) {
  auto engine = std::make_shared<std::mt19937_64>(seed);
  return [engine](absl::Span<uint8_t> out) {
    for (uint8_t& b : out) b = static_cast<uint8_t>((*engine)() >> 56);
  };
}

crypto::RsaPublicKey TestPublicKey() {
  absl::StatusOr<crypto::RsaPrivateKey> key =
      crypto::RsaPrivateKey::FromPem(crypto::testing::kTestRsaPrivateKeyPem);
  EXPECT_TRUE(key.ok()) << key.status();
  return key->public_key();
}

// A TCP server on 127.0.0.1:0 that is no Telegram: it closes, ignores or garbles every
// connection.
class StubServer {
 public:
  enum class Mode { kClose, kSilent, kGarbage };

  explicit StubServer(Mode mode) : mode_(mode), acceptor_(io_) {
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~StubServer() {
    asio::post(io_, [this] {
      asio::error_code ignored;
      acceptor_.close(ignored);
      for (auto& socket : held_) socket->close(ignored);
    });
    thread_.join();
  }

  uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  void Accept() {
    acceptor_.async_accept([this](const asio::error_code& error, asio::ip::tcp::socket socket) {
      if (error) return;
      ++accepted_;
      auto held = std::make_shared<asio::ip::tcp::socket>(std::move(socket));
      asio::error_code ignored;
      switch (mode_) {
        case Mode::kClose:
          held->close(ignored);
          break;
        case Mode::kSilent:
          held_.push_back(held);
          break;
        case Mode::kGarbage:
          // An intermediate frame header announcing 1 GiB: above any max_frame_size.
          held_.push_back(held);
          asio::async_write(*held, asio::buffer(garbage_), [](const asio::error_code&, size_t) {});
          break;
      }
      Accept();
    });
  }

  const Mode mode_;
  const std::string garbage_ = std::string("\x00\x00\x00\x40", 4);
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<asio::ip::tcp::socket>> held_;
  std::atomic<int> accepted_{0};
  uint16_t port_ = 0;
  std::thread thread_;
};

// Collects state changes from the connection's strand.
class StateLog {
 public:
  std::function<void(const ConnectionStateChange&)> Callback() {
    return [this](const ConnectionStateChange& change) {
      std::lock_guard<std::mutex> lock(mutex_);
      changes_.push_back(change);
      changed_.notify_all();
    };
  }
  // Waits (up to the guard) for `n` backoff states; returns them.
  std::vector<ConnectionStateChange> WaitForBackoffs(size_t n) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, kGuard, [&] { return BackoffsLocked().size() >= n; });
    return BackoffsLocked();
  }

 private:
  std::vector<ConnectionStateChange> BackoffsLocked() const {
    std::vector<ConnectionStateChange> out;
    for (const auto& change : changes_) {
      if (change.state == ConnectionState::kBackoff) out.push_back(change);
    }
    return out;
  }
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<ConnectionStateChange> changes_;
};

ClientConnectionOptions OptionsFor(uint16_t port) {
  ClientConnectionOptions options;
  options.port = port;
  options.server_keys = {TestPublicKey()};
  options.random = SeededRandom(1);
  options.backoff.initial = absl::Milliseconds(1);
  options.backoff.max = absl::Milliseconds(16);
  options.backoff.multiplier = 2;
  options.backoff.jitter = 0;
  return options;
}

TEST(ClientConnectionTest, CreateRejectsBadOptions) {
  auto check = [](ClientConnectionOptions options) {
    return ClientConnection::Create(std::move(options)).status().code();
  };
  ClientConnectionOptions no_port = OptionsFor(0);
  EXPECT_EQ(check(no_port), absl::StatusCode::kInvalidArgument);

  ClientConnectionOptions no_keys = OptionsFor(1);
  no_keys.server_keys.clear();
  EXPECT_EQ(check(no_keys), absl::StatusCode::kInvalidArgument);

  ClientConnectionOptions obfuscated_full = OptionsFor(1);
  obfuscated_full.transport.protocol = transport::Protocol::kFull;
  obfuscated_full.transport.obfuscated = true;
  EXPECT_NE(check(obfuscated_full), absl::StatusCode::kOk);

  ClientConnectionOptions dd_abridged = OptionsFor(1);
  dd_abridged.transport.protocol = transport::Protocol::kAbridged;
  dd_abridged.transport.obfuscated = true;
  dd_abridged.transport.proxy_secret = transport::ProxySecret{std::string(16, 'k'), true};
  EXPECT_NE(check(dd_abridged), absl::StatusCode::kOk);

  ClientConnectionOptions bad_backoff = OptionsFor(1);
  bad_backoff.backoff.multiplier = 0.5;
  EXPECT_EQ(check(bad_backoff), absl::StatusCode::kInvalidArgument);

  ClientConnectionOptions no_timeout = OptionsFor(1);
  no_timeout.connect_timeout = absl::ZeroDuration();
  EXPECT_EQ(check(no_timeout), absl::StatusCode::kInvalidArgument);

  ClientConnectionOptions negative_lifetime = OptionsFor(1);
  negative_lifetime.temp_key_lifetime = -1;
  EXPECT_EQ(check(negative_lifetime), absl::StatusCode::kInvalidArgument);

  // Temporary keys are always made, so a stored permanent key is not enough.
  ClientConnectionOptions pfs_without_server_keys = OptionsFor(1);
  pfs_without_server_keys.auth_key = StoredAuthKey{crypto::AuthKey(crypto::AuthKey::Bytes{}), 0};
  pfs_without_server_keys.server_keys.clear();
  pfs_without_server_keys.temp_key_lifetime = 3600;
  EXPECT_EQ(check(pfs_without_server_keys), absl::StatusCode::kInvalidArgument);
}

TEST(ClientConnectionTest, BacksOffWhileEveryConnectionIsDropped) {
  StubServer server(StubServer::Mode::kClose);
  StateLog log;
  ClientConnectionOptions options = OptionsFor(server.port());
  options.on_state = log.Callback();
  absl::StatusOr<std::unique_ptr<ClientConnection>> connection =
      ClientConnection::Create(std::move(options));
  ASSERT_TRUE(connection.ok()) << connection.status();

  const std::vector<ConnectionStateChange> backoffs = log.WaitForBackoffs(6);
  ASSERT_GE(backoffs.size(), 6u);
  const std::vector<absl::Duration> expected = {absl::Milliseconds(1),  absl::Milliseconds(2),
                                                absl::Milliseconds(4),  absl::Milliseconds(8),
                                                absl::Milliseconds(16), absl::Milliseconds(16)};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(backoffs[i].failures, static_cast<int>(i + 1));
    EXPECT_EQ(backoffs[i].delay, expected[i]) << i;
    EXPECT_EQ(backoffs[i].reason.code(), absl::StatusCode::kUnavailable) << backoffs[i].reason;
  }
  connection->reset();
  EXPECT_GE(server.accepted(), 6);
}

TEST(ClientConnectionTest, ConnectTimeoutCountsAsAFailure) {
  StubServer server(StubServer::Mode::kSilent);
  StateLog log;
  ClientConnectionOptions options = OptionsFor(server.port());
  options.connect_timeout = absl::Milliseconds(20);
  options.on_state = log.Callback();
  auto connection = ClientConnection::Create(std::move(options));
  ASSERT_TRUE(connection.ok()) << connection.status();
  const std::vector<ConnectionStateChange> backoffs = log.WaitForBackoffs(2);
  ASSERT_GE(backoffs.size(), 2u);
  EXPECT_EQ(backoffs[0].reason.code(), absl::StatusCode::kDeadlineExceeded) << backoffs[0].reason;
  EXPECT_EQ(backoffs[1].failures, 2);
}

TEST(ClientConnectionTest, UndecodableBytesFailTheConnection) {
  StubServer server(StubServer::Mode::kGarbage);
  StateLog log;
  ClientConnectionOptions options = OptionsFor(server.port());
  options.transport.protocol = transport::Protocol::kIntermediate;
  options.max_frame_size = 1 << 20;
  options.on_state = log.Callback();
  auto connection = ClientConnection::Create(std::move(options));
  ASSERT_TRUE(connection.ok()) << connection.status();
  const std::vector<ConnectionStateChange> backoffs = log.WaitForBackoffs(1);
  ASSERT_GE(backoffs.size(), 1u);
  EXPECT_EQ(backoffs[0].reason.code(), absl::StatusCode::kDataLoss) << backoffs[0].reason;
}

TEST(ClientConnectionTest, CallsTimeOutAndCancel) {
  StubServer server(StubServer::Mode::kSilent);
  auto connection = ClientConnection::Create(OptionsFor(server.port()));
  ASSERT_TRUE(connection.ok()) << connection.status();
  ClientConnection& c = **connection;

  std::future<CallResult> timed_out =
      c.Invoke(std::string(8, '\x01'), CallOptions{.timeout = absl::Milliseconds(10)});
  ASSERT_EQ(timed_out.wait_for(kGuard), std::future_status::ready);
  EXPECT_EQ(timed_out.get().status().code(), absl::StatusCode::kDeadlineExceeded);

  std::promise<CallResult> cancelled;
  const CallId id = c.Invoke(std::string(8, '\x02'),
                             [&](CallResult result) { cancelled.set_value(std::move(result)); });
  c.Cancel(id);
  std::future<CallResult> cancelled_future = cancelled.get_future();
  ASSERT_EQ(cancelled_future.wait_for(kGuard), std::future_status::ready);
  EXPECT_EQ(cancelled_future.get().status().code(), absl::StatusCode::kCancelled);
}

TEST(ClientConnectionTest, StopFailsWaitingCallsOnACallersIoContext) {
  StubServer server(StubServer::Mode::kSilent);
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });

  auto connection = ClientConnection::Create(OptionsFor(server.port()), &io);
  ASSERT_TRUE(connection.ok()) << connection.status();
  std::future<CallResult> waiting = (*connection)->Invoke(std::string(8, '\x03'));
  (*connection)->Stop();
  ASSERT_EQ(waiting.wait_for(kGuard), std::future_status::ready);
  EXPECT_EQ(waiting.get().status().code(), absl::StatusCode::kCancelled);
  std::future<CallResult> after = (*connection)->Invoke(std::string(8, '\x04'));
  ASSERT_EQ(after.wait_for(kGuard), std::future_status::ready);
  EXPECT_EQ(after.get().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ((*connection)->state(), ConnectionState::kStopped);
  connection->reset();

  work.reset();
  runner.join();
}

// Close from the connection's own callback, on the only thread that runs the io_context (where
// the destructor would wait for itself): it returns at once, the waiting call still completes
// with Cancelled, and the connection is freed on the strand.
TEST(ClientConnectionTest, CloseFromACallbackDoesNotWait) {
  StubServer server(StubServer::Mode::kSilent);
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::unique_ptr<ClientConnection> connection;
  std::promise<void> closed;
  ClientConnectionOptions options = OptionsFor(server.port());
  std::atomic<bool> once{false};
  options.on_state = [&](const ConnectionStateChange& change) {
    if (change.state == ConnectionState::kHandshaking && !once.exchange(true)) {
      ClientConnection::Close(std::move(connection));
      closed.set_value();
    }
  };
  absl::StatusOr<std::unique_ptr<ClientConnection>> made =
      ClientConnection::Create(std::move(options), &io);
  ASSERT_TRUE(made.ok()) << made.status();
  connection = *std::move(made);
  std::future<CallResult> waiting = connection->Invoke(std::string(8, '\x03'));
  std::thread runner([&] { io.run(); });
  ASSERT_EQ(closed.get_future().wait_for(kGuard), std::future_status::ready);
  ASSERT_EQ(waiting.wait_for(kGuard), std::future_status::ready);
  EXPECT_EQ(waiting.get().status().code(), absl::StatusCode::kCancelled);
  work.reset();
  runner.join();  // nothing of the connection is left to run
}

// Waits (up to the guard) until `n` timers wait on `time`.
bool WaitForTimers(const VirtualTime& time, size_t n) {
  const auto give_up = std::chrono::steady_clock::now() + kGuard;
  while (time.pending() < n) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Virtual time: the backoff's delays pass when the test moves the clock, not on the wall clock
// (1, 2, 4, 8, 8 s here, in a few milliseconds of real time).
TEST(ClientConnectionTest, BackoffWaitsOnVirtualTime) {
  StubServer server(StubServer::Mode::kClose);
  VirtualTime time;
  StateLog log;
  ClientConnectionOptions options = OptionsFor(server.port());
  options.virtual_time = &time;
  options.backoff.initial = absl::Seconds(1);
  options.backoff.max = absl::Seconds(8);
  options.on_state = log.Callback();
  auto connection = ClientConnection::Create(std::move(options));
  ASSERT_TRUE(connection.ok()) << connection.status();
  ASSERT_EQ(log.WaitForBackoffs(1).size(), 1u);
  const std::vector<absl::Duration> delays = {absl::Seconds(1), absl::Seconds(2), absl::Seconds(4),
                                              absl::Seconds(8), absl::Seconds(8)};
  for (size_t i = 0; i < delays.size(); ++i) {
    std::vector<ConnectionStateChange> backoffs = log.WaitForBackoffs(i + 1);
    ASSERT_EQ(backoffs.size(), i + 1);
    EXPECT_EQ(backoffs[i].delay, delays[i]) << i;
    // The state is reported just before the reconnect timer is set.
    ASSERT_TRUE(WaitForTimers(time, 1));
    // Just short of the delay nothing happens...
    time.Advance(delays[i] - absl::Milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_EQ(server.accepted(), static_cast<int>(i + 1)) << i;
    // ...and at the delay the next attempt runs (and fails).
    time.Advance(absl::Milliseconds(1));
  }
  EXPECT_EQ(log.WaitForBackoffs(delays.size() + 1).size(), delays.size() + 1);
}

// A silent server: the attempt's connect timeout and a call's deadline both pass in virtual time.
TEST(ClientConnectionTest, ConnectTimeoutAndDeadlinesWaitOnVirtualTime) {
  StubServer server(StubServer::Mode::kSilent);
  VirtualTime time;
  StateLog log;
  ClientConnectionOptions options = OptionsFor(server.port());
  options.virtual_time = &time;
  options.connect_timeout = absl::Seconds(10);
  options.backoff.initial = absl::Hours(1);  // one attempt in this test
  options.backoff.max = absl::Hours(1);
  options.on_state = log.Callback();
  auto connection = ClientConnection::Create(std::move(options));
  ASSERT_TRUE(connection.ok()) << connection.status();
  CallOptions call_options;
  call_options.timeout = absl::Seconds(30);
  std::future<CallResult> call = (*connection)->Invoke(std::string(8, '\x05'), call_options);
  ASSERT_TRUE(WaitForTimers(time, 2));  // the attempt's timeout and the call's deadline
  time.Advance(absl::Seconds(9));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_TRUE(log.WaitForBackoffs(0).empty());
  time.Advance(absl::Seconds(1));
  std::vector<ConnectionStateChange> backoffs = log.WaitForBackoffs(1);
  ASSERT_EQ(backoffs.size(), 1u);
  EXPECT_EQ(backoffs[0].reason.code(), absl::StatusCode::kDeadlineExceeded) << backoffs[0].reason;
  time.Advance(absl::Seconds(19));
  EXPECT_EQ(call.wait_for(std::chrono::milliseconds(30)), std::future_status::timeout);
  time.Advance(absl::Seconds(1));
  ASSERT_EQ(call.wait_for(kGuard), std::future_status::ready);
  EXPECT_EQ(call.get().status().code(), absl::StatusCode::kDeadlineExceeded);
}

// All calls' deadlines share one timer: a later call with a shorter timeout moves it earlier,
// a completed call's deadline no longer fires, and each call times out at its own deadline.
TEST(ClientConnectionTest, DeadlinesOfManyCallsShareOneTimer) {
  StubServer server(StubServer::Mode::kSilent);
  VirtualTime time;
  ClientConnectionOptions options = OptionsFor(server.port());
  options.virtual_time = &time;
  options.connect_timeout = absl::Hours(1);
  auto connection = ClientConnection::Create(std::move(options));
  ASSERT_TRUE(connection.ok()) << connection.status();
  ClientConnection& c = **connection;
  std::future<CallResult> slow =
      c.Invoke(std::string(8, '\x06'), CallOptions{.timeout = absl::Seconds(20)});
  std::future<CallResult> fast =
      c.Invoke(std::string(8, '\x07'), CallOptions{.timeout = absl::Seconds(5)});
  std::promise<CallResult> cancelled;
  const CallId id = c.Invoke(
      std::string(8, '\x08'), [&](CallResult result) { cancelled.set_value(std::move(result)); },
      CallOptions{.timeout = absl::Seconds(2)});
  c.Cancel(id);
  std::future<CallResult> cancelled_future = cancelled.get_future();
  ASSERT_EQ(cancelled_future.wait_for(kGuard), std::future_status::ready);
  EXPECT_EQ(cancelled_future.get().status().code(), absl::StatusCode::kCancelled);

  ASSERT_TRUE(WaitForTimers(time, 2));  // the attempt's timeout and the earliest deadline
  time.Advance(absl::Seconds(4));
  // The timer fired for the cancelled call's deadline, found nothing due and moved on.
  ASSERT_TRUE(WaitForTimers(time, 2));
  EXPECT_EQ(fast.wait_for(std::chrono::milliseconds(30)), std::future_status::timeout);
  time.Advance(absl::Seconds(1));
  ASSERT_EQ(fast.wait_for(kGuard), std::future_status::ready);
  EXPECT_EQ(fast.get().status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(slow.wait_for(std::chrono::milliseconds(30)), std::future_status::timeout);
  // The timer is armed again for the next deadline once the first has passed.
  ASSERT_TRUE(WaitForTimers(time, 2));  // the attempt's timeout and the next deadline
  time.Advance(absl::Seconds(14));
  EXPECT_EQ(slow.wait_for(std::chrono::milliseconds(30)), std::future_status::timeout);
  time.Advance(absl::Seconds(1));
  ASSERT_EQ(slow.wait_for(kGuard), std::future_status::ready);
  EXPECT_EQ(slow.get().status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(ClientConnectionTest, MalformedBodiesAreRejected) {
  StubServer server(StubServer::Mode::kSilent);
  ClientConnectionOptions options = OptionsFor(server.port());
  // With a key the session exists from the start, so the body is checked at once.
  options.auth_key = StoredAuthKey{crypto::AuthKey(crypto::AuthKey::Bytes{}), 0};
  auto connection = ClientConnection::Create(std::move(options));
  ASSERT_TRUE(connection.ok()) << connection.status();
  std::future<CallResult> odd = (*connection)->Invoke("abc");
  ASSERT_EQ(odd.wait_for(kGuard), std::future_status::ready);
  EXPECT_EQ(odd.get().status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tgrpc::mtproto::net
