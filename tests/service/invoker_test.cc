// The Invoker alone against fakedc: sessions opened on demand up to the account's limit (one per
// DC until its key exists), a DC without an address failing at once, and a method Telegram told
// to wait held back without another call reaching it.
#include "service/telegram/invoker.h"

#include <atomic>
#include <future>
#include <memory>

#include "asio.hpp"
#include "gtest/gtest.h"
#include "mtproto/crypto/rsa_key.h"
#include "mtproto/net/rpc_status.h"
#include "tests/e2e/e2e_util.h"
#include "tl/generated/api.h"

namespace tgrpc::service_test {
namespace {

namespace api = tl::api;

class InvokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> dc = e2e::StartFakeDc();
    ASSERT_TRUE(dc.ok()) << dc.status();
    dc_ = *std::move(dc);
    work_ = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
        io_.get_executor());
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  void TearDown() override {
    invoker_.reset();
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
  }

  std::shared_ptr<service::Invoker> Make(int max_sessions, int max_calls) {
    service::InvokerOptions options;
    options.dcs.network = "sandbox";
    for (int id = 1; id <= 3; ++id) options.dcs.dcs[id] = {"127.0.0.1", dc_->port(id)};
    options.dcs.keys.push_back(
        mtproto::crypto::RsaPrivateKey::FromPem(e2e::ServerKeyPem())->public_key());
    options.app.api_id = 1;
    options.max_sessions = max_sessions;
    options.max_calls_per_session = max_calls;
    std::atomic<int>* keys = &keys_made_;
    options.on_auth_key = [keys](int, const mtproto::net::StoredAuthKey&) { ++*keys; };
    return service::Invoker::Create(io_, std::move(options), 2, {});
  }

  template <class F>
  absl::StatusOr<typename F::Result> Call(service::Invoker& invoker, const F& request, int dc = 0) {
    auto promise = std::make_shared<std::promise<absl::StatusOr<typename F::Result>>>();
    auto future = promise->get_future();
    service::InvokeOptions options;
    options.dc = dc;
    options.deadline = absl::Now() + absl::Seconds(20);
    invoker.Call<F>(request, options, [promise](absl::StatusOr<typename F::Result> result) {
      promise->set_value(std::move(result));
    });
    return e2e::Await(std::move(future));
  }

  std::unique_ptr<fakedc::FakeDc> dc_;
  asio::io_context io_;
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::shared_ptr<service::Invoker> invoker_;
  std::atomic<int> keys_made_{0};
};

TEST_F(InvokerTest, OpensSessionsOnDemandUpToTheLimitWithOneKey) {
  invoker_ = Make(/*max_sessions=*/3, /*max_calls=*/1);
  // The first call makes the key on the only session.
  ASSERT_TRUE(Call(*invoker_, api::help_getConfig()).ok());
  // Twelve calls at once: one in flight per session, so more sessions open, never past 3.
  std::vector<std::future<absl::StatusOr<tl::Ptr<api::Config>>>> calls;
  for (int i = 0; i < 12; ++i) {
    calls.push_back(
        std::async(std::launch::async, [this] { return Call(*invoker_, api::help_getConfig()); }));
  }
  for (auto& call : calls) EXPECT_TRUE(call.get().ok());
  const auto sessions = invoker_->Sessions();
  EXPECT_GE(sessions.size(), 2u);
  EXPECT_LE(sessions.size(), 3u);
  for (const auto& s : sessions) EXPECT_EQ(s.dc, 2);
  EXPECT_EQ(keys_made_.load(), 1);  // every session on the DC uses the one key
}

TEST_F(InvokerTest, ADcWithoutAnAddressFailsAtOnce) {
  invoker_ = Make(2, 8);
  absl::StatusOr<tl::Ptr<api::Config>> result = Call(*invoker_, api::help_getConfig(), 9);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(InvokerTest, AFloodWaitHoldsTheMethodBack) {
  invoker_ = Make(2, 8);
  ASSERT_TRUE(Call(*invoker_, api::help_getConfig()).ok());
  dc_->Run([](fakedc::World& world) { world.flood().SetLimit("help.getNearestDc", {1, 60}); });
  ASSERT_TRUE(Call(*invoker_, api::help_getNearestDc()).ok());
  absl::StatusOr<tl::Ptr<api::NearestDc>> second = Call(*invoker_, api::help_getNearestDc());
  ASSERT_FALSE(second.ok());
  std::optional<mtproto::session::RpcError> error = mtproto::net::RpcErrorOf(second.status());
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->type, "FLOOD_WAIT");
  ASSERT_EQ(invoker_->FloodWaits().size(), 1u);
  // Held back here: fakedc never sees the third call (its window would have refused it too,
  // but the limit is lifted and the invoker still answers from its gate).
  dc_->Run([](fakedc::World& world) { world.flood().SetLimit("help.getNearestDc", {0, 0}); });
  absl::StatusOr<tl::Ptr<api::NearestDc>> third = Call(*invoker_, api::help_getNearestDc());
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(mtproto::net::RpcErrorOf(third.status())->type, "FLOOD_WAIT");
  // Other methods flow.
  EXPECT_TRUE(Call(*invoker_, api::help_getConfig()).ok());
}

}  // namespace
}  // namespace tgrpc::service_test
