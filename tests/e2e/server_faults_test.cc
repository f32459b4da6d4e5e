// ClientConnection through faults injected by fakedc itself (tests/fakedc/faults.h): every
// connection dropped, a restart that keeps the keys, a connection dropped after the server
// handled a query but before its answer went out (the client resends; the server answers the
// duplicate), and salts the server replaces under the client.
#include <memory>
#include <mutex>
#include <vector>

#include "gtest/gtest.h"
#include "mtproto/net/client_connection.h"
#include "tests/e2e/e2e_util.h"
#include "tests/fakedc/fakedc.h"
#include "tl/generated/api.h"

namespace tgrpc::e2e {
namespace {

namespace api = tl::api;
using mtproto::net::ClientConnection;
using mtproto::net::ClientConnectionOptions;
using mtproto::net::ConnectionState;
using mtproto::net::ConnectionStateChange;

class ServerFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> started = StartFakeDc();
    ASSERT_TRUE(started.ok()) << started.status();
    dc_ = *std::move(started);
    ClientConnectionOptions options = ConnectionOptions(dc_->port(2), 61, "faults");
    options.backoff.initial = absl::Milliseconds(5);
    options.backoff.max = absl::Milliseconds(50);
    options.on_state = [this](const ConnectionStateChange& change) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (change.state == ConnectionState::kBackoff) ++backoffs_;
    };
    options.on_auth_key = [this](const mtproto::net::StoredAuthKey&) {
      std::lock_guard<std::mutex> lock(mutex_);
      ++keys_;
    };
    absl::StatusOr<std::unique_ptr<ClientConnection>> connection =
        ClientConnection::Create(std::move(options));
    ASSERT_TRUE(connection.ok()) << connection.status();
    connection_ = *std::move(connection);
    absl::StatusOr<tl::Ptr<api::Config>> config = Await(connection_->Call<api::help_getConfig>(
        *WithLayer(std::make_unique<api::help_getConfig>())));
    ASSERT_TRUE(config.ok()) << config.status();
  }

  absl::Status NearestDc() {
    return Await(connection_->Call<api::help_getNearestDc>(api::help_getNearestDc())).status();
  }
  int backoffs() {
    std::lock_guard<std::mutex> lock(mutex_);
    return backoffs_;
  }
  int keys() {
    std::lock_guard<std::mutex> lock(mutex_);
    return keys_;
  }

  std::unique_ptr<fakedc::FakeDc> dc_;
  std::unique_ptr<ClientConnection> connection_;
  std::mutex mutex_;
  int backoffs_ = 0;
  int keys_ = 0;
};

TEST_F(ServerFaultsTest, DroppedConnectionsAreReplaced) {
  for (int i = 0; i < 3; ++i) {
    const int before = backoffs();
    dc_->DropConnections();
    ASSERT_TRUE(WaitUntil([&] { return backoffs() > before; }));
    EXPECT_TRUE(NearestDc().ok());
  }
  EXPECT_EQ(keys(), 1);
}

TEST_F(ServerFaultsTest, RestartKeepsTheKey) {
  ASSERT_TRUE(dc_->Restart(absl::Milliseconds(20)).ok());
  absl::Status status = NearestDc();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_GE(backoffs(), 1);
  EXPECT_EQ(keys(), 1);
}

TEST_F(ServerFaultsTest, AnswerLostWithTheConnectionIsAnsweredAgain) {
  fakedc::FaultOptions faults;
  faults.drop_after_packets = 1;  // the next packet of every connection is its last
  dc_->SetFaults(faults);
  auto nearest = connection_->Call<api::help_getNearestDc>(api::help_getNearestDc());
  ASSERT_TRUE(WaitUntil([&] { return backoffs() >= 1; }));
  dc_->SetFaults(fakedc::FaultOptions{});
  absl::StatusOr<tl::Ptr<api::NearestDc>> answer = Await(std::move(nearest));
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_NE(dynamic_cast<const api::nearestDc*>(answer->get()), nullptr);
  EXPECT_EQ(keys(), 1);
}

TEST_F(ServerFaultsTest, NewSaltsAreTakenOverTheSameConnection) {
  fakedc::FaultOptions faults;
  faults.bad_salt_packets = 2;  // each answered with bad_server_salt and a new schedule
  dc_->SetFaults(faults);
  for (int i = 0; i < 3; ++i) {
    absl::Status status = NearestDc();
    EXPECT_TRUE(status.ok()) << status;
  }
  EXPECT_EQ(backoffs(), 0);  // bad_server_salt is the session's business, not a failure
  EXPECT_EQ(dc_->faults().bad_salt_packets, 0);
}

}  // namespace
}  // namespace tgrpc::e2e
