// The Invoker alone against fakedc: sessions opened on demand up to the account's limit (one per
// DC until its key exists), a DC without an address failing at once, a method Telegram told to
// wait held back without another call reaching it, and the DC table from help.getConfig: an
// invoker that knows only its home DC's address still follows PHONE_MIGRATE / USER_MIGRATE, and
// a DC that moved is reached at its new address.
#include "service/telegram/invoker.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "asio.hpp"
#include "gtest/gtest.h"
#include "mtproto/crypto/rsa_key.h"
#include "mtproto/net/rpc_status.h"
#include "mtproto/net/virtual_time.h"
#include "mtproto/transport/proxy_secret.h"
#include "tests/e2e/e2e_util.h"
#include "tests/fakedc/seed.h"
#include "tl/generated/api.h"

namespace tgrpc::service_test {
namespace {

namespace api = tl::api;

const std::string kProxySecret = "0123456789abcdef";  // 16 raw bytes

class InvokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fakedc::FakeDcOptions options;
    options.mtproxy_secrets = {kProxySecret};
    absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> dc = e2e::StartFakeDc(std::move(options));
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

  // Built in: fakedc's DCs 1-3, or `dcs`.
  std::shared_ptr<service::Invoker> Make(int max_sessions, int max_calls,
                                         std::map<int, service::DcEndpoint> dcs = {},
                                         int home_dc = 2) {
    service::InvokerOptions options;
    options.dcs.network = "sandbox";
    for (int id = 1; id <= 3 && dcs.empty(); ++id) {
      options.dcs.dcs[id] = {"127.0.0.1", dc_->port(id)};
    }
    for (const auto& [id, endpoint] : dcs) options.dcs.dcs[id] = endpoint;
    options.dcs.keys.push_back(
        mtproto::crypto::RsaPrivateKey::FromPem(e2e::ServerKeyPem())->public_key());
    options.app.api_id = 1;
    options.max_sessions = max_sessions;
    options.max_calls_per_session = max_calls;
    options.temp_key_lifetime = temp_key_lifetime_;
    options.virtual_time = time_.get();
    if (mtproxy_.has_value()) {
      options.mtproxy = mtproxy_;
      options.transport.obfuscated = true;
      options.transport.proxy_secret = mtproto::transport::ProxySecret{kProxySecret};
    }
    // Called for a new key and for its salt or offset changing: count the keys.
    options.on_auth_key = [this](int, const mtproto::net::StoredAuthKey& key) {
      absl::MutexLock lock(&log_mutex_);
      perm_keys_.insert(key.key.id());
    };
    options.log = [this](mtproto::net::LogLevel, absl::string_view message) {
      absl::MutexLock lock(&log_mutex_);
      log_.emplace_back(message);
    };
    return service::Invoker::Create(io_, std::move(options), home_dc, {});
  }

  bool Logged(absl::string_view line) {
    absl::MutexLock lock(&log_mutex_);
    return std::find(log_.begin(), log_.end(), line) != log_.end();
  }

  std::string MainAddressOf(int dc) {
    std::optional<service::DcEndpoint> main = invoker_->DcAddresses().Main(dc);
    return main.has_value() ? service::DcEndpointString(*main) : "none";
  }

  template <class F>
  absl::StatusOr<typename F::Result> Call(service::Invoker& invoker, const F& request, int dc = 0) {
    auto promise = std::make_shared<std::promise<absl::StatusOr<typename F::Result>>>();
    auto future = promise->get_future();
    service::InvokeOptions options;
    options.dc = dc;
    options.deadline = (time_ != nullptr ? time_->now() : absl::Now()) + absl::Seconds(20);
    invoker.Call<F>(request, options, [promise](absl::StatusOr<typename F::Result> result) {
      promise->set_value(std::move(result));
    });
    return e2e::Await(std::move(future));
  }

  // Moves virtual time on a second at a time, letting real I/O keep up between steps: in one
  // leap a keepalive's pong timeout would fire before the pong could arrive.
  void AdvanceInSteps(absl::Duration d) {
    for (absl::Duration left = d; left > absl::ZeroDuration(); left -= absl::Seconds(1)) {
      time_->Advance(std::min(left, absl::Seconds(1)));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // Waits (wall clock, at most 10 s) until `done` holds.
  template <class Pred>
  bool Eventually(Pred done) {
    for (int i = 0; i < 1000; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
  }

  // Twelve help.getConfig calls at once, each from its own thread; all must succeed.
  void TwelveCallsAtOnce() {
    std::vector<std::future<absl::StatusOr<tl::Ptr<api::Config>>>> calls;
    for (int i = 0; i < 12; ++i) {
      calls.push_back(std::async(std::launch::async,
                                 [this] { return Call(*invoker_, api::help_getConfig()); }));
    }
    for (auto& call : calls) EXPECT_TRUE(call.get().ok());
  }

  // Set before Make: the invoker's timers run on it (fakedc's clock stays the wall clock).
  std::unique_ptr<mtproto::net::VirtualTime> time_;
  std::unique_ptr<fakedc::FakeDc> dc_;
  asio::io_context io_;
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::shared_ptr<service::Invoker> invoker_;
  int32_t temp_key_lifetime_ = 0;
  std::optional<service::DcEndpoint> mtproxy_;
  absl::Mutex log_mutex_;
  std::set<uint64_t> perm_keys_ ABSL_GUARDED_BY(log_mutex_);
  std::vector<std::string> log_ ABSL_GUARDED_BY(log_mutex_);
};

TEST_F(InvokerTest, OpensSessionsOnDemandUpToTheLimitWithOneKey) {
  invoker_ = Make(/*max_sessions=*/3, /*max_calls=*/1);
  // The first call makes the key on the only session.
  ASSERT_TRUE(Call(*invoker_, api::help_getConfig()).ok());
  // One in flight per session: more sessions open, never past 3.
  TwelveCallsAtOnce();
  const auto sessions = invoker_->Sessions();
  EXPECT_GE(sessions.size(), 2u);
  EXPECT_LE(sessions.size(), 3u);
  for (const auto& s : sessions) EXPECT_EQ(s.dc, 2);
  absl::MutexLock lock(&log_mutex_);
  EXPECT_EQ(perm_keys_.size(), 1u);  // every session on the DC uses the one key
}

// Sessions past a DC's first close after idle_session_timeout (60 s) without a call, on the
// invoker's clock: virtual time here, so no test waits a minute.
TEST_F(InvokerTest, IdleSessionsCloseOnTheInvokersClock) {
  time_ = std::make_unique<mtproto::net::VirtualTime>(absl::Now());
  invoker_ = Make(/*max_sessions=*/3, /*max_calls=*/1);
  ASSERT_TRUE(Call(*invoker_, api::help_getConfig()).ok());
  TwelveCallsAtOnce();
  const size_t busy = invoker_->Sessions().size();
  ASSERT_GE(busy, 2u);
  // Half the timeout on: nothing closes.
  AdvanceInSteps(absl::Seconds(30));
  EXPECT_EQ(invoker_->Sessions().size(), busy);
  // Past it (the check runs every 30 s): the extra sessions go, the first stays and still works.
  AdvanceInSteps(absl::Seconds(61));
  EXPECT_TRUE(Eventually([&] { return invoker_->Sessions().size() == 1; }))
      << invoker_->Sessions().size();
  EXPECT_TRUE(Call(*invoker_, api::help_getConfig()).ok());
}

// A FLOOD_WAIT below the threshold that fits the deadline is waited out on the invoker's clock:
// the call is answered once virtual time has passed the wait, and not before.
TEST_F(InvokerTest, AShortFloodWaitIsWaitedOutOnTheInvokersClock) {
  time_ = std::make_unique<mtproto::net::VirtualTime>(absl::Now());
  invoker_ = Make(2, 8);
  ASSERT_TRUE(Call(*invoker_, api::help_getConfig()).ok());
  dc_->Run([](fakedc::World& world) { world.flood().SetLimit("help.getNearestDc", {1, 5}); });
  ASSERT_TRUE(Call(*invoker_, api::help_getNearestDc()).ok());
  auto waited =
      std::async(std::launch::async, [this] { return Call(*invoker_, api::help_getNearestDc()); });
  ASSERT_TRUE(Eventually([&] { return invoker_->FloodWaits().size() == 1; }));
  EXPECT_EQ(waited.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  dc_->Run([](fakedc::World& world) { world.flood().SetLimit("help.getNearestDc", {0, 0}); });
  time_->Advance(absl::Seconds(6));
  ASSERT_EQ(waited.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(waited.get().ok());
}

// --mtproxy: the session goes to the proxy's address (fakedc's DC 2 port, which takes the
// secret), obfuscated2 with the secret and the DC in its init; the DC list's address is unused
// (a closed port here).
TEST_F(InvokerTest, ConnectsThroughAnMtProxy) {
  mtproxy_ = service::DcEndpoint{"127.0.0.1", dc_->port(2)};
  invoker_ = Make(1, 8, {{2, service::DcEndpoint{"127.0.0.1", 1}}});
  ASSERT_TRUE(Call(*invoker_, api::help_getConfig()).ok());
  bool through_proxy = false;
  for (const fakedc::ConnectionInfo& info : dc_->Connections()) {
    through_proxy |= absl::StartsWith(info.transport, "mtproxy");
  }
  EXPECT_TRUE(through_proxy);
}

// With PFS the sessions of a DC share one temporary key, bound once: fakedc sees every
// connection on it, and no binding replaced another (which would have cost -404s).
TEST_F(InvokerTest, PfsSessionsShareOneBoundTemporaryKey) {
  temp_key_lifetime_ = 3600;
  invoker_ = Make(/*max_sessions=*/3, /*max_calls=*/1);
  ASSERT_TRUE(Call(*invoker_, api::help_getConfig()).ok());
  TwelveCallsAtOnce();
  ASSERT_GE(invoker_->Sessions().size(), 2u);
  uint64_t perm = 0;
  {
    absl::MutexLock lock(&log_mutex_);
    ASSERT_EQ(perm_keys_.size(), 1u);
    perm = *perm_keys_.begin();
  }
  std::set<uint64_t> keys_in_use;
  for (const fakedc::ConnectionInfo& info : dc_->Connections()) {
    if (info.auth_key_id != 0) keys_in_use.insert(info.auth_key_id);
  }
  ASSERT_EQ(keys_in_use.size(), 1u);
  EXPECT_NE(*keys_in_use.begin(), perm);  // the temporary one
  absl::MutexLock lock(&log_mutex_);
  int bound = 0, rebound = 0;
  for (const std::string& line : log_) {
    bound += absl::StrContains(line, "temporary key bound") ? 1 : 0;
    rebound += absl::StrContains(line, "for the temporary key") ? 1 : 0;
  }
  EXPECT_EQ(bound, 1);
  EXPECT_EQ(rebound, 0);
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

TEST_F(InvokerTest, TheDcTableComesFromHelpGetConfig) {
  invoker_ = Make(2, 8, {{2, {"127.0.0.1", dc_->port(2)}}});
  EXPECT_EQ(MainAddressOf(1), "none");
  ASSERT_TRUE(Call(*invoker_, api::help_getNearestDc()).ok());
  // Asked once the home DC's first session is ready.
  ASSERT_TRUE(e2e::WaitUntil([this] { return invoker_->DcAddresses().Knows(3); }));
  for (int dc = 1; dc <= 3; ++dc) {
    EXPECT_EQ(MainAddressOf(dc), absl::StrCat("127.0.0.1:", dc_->port(dc))) << dc;
  }
  EXPECT_TRUE(Logged(absl::StrCat("DC 1 added at 127.0.0.1:", dc_->port(1))));
  // fakedc's media-only endpoint is kept for file sessions.
  uint16_t media_port = 0;
  for (const fakedc::DcEndpoint& endpoint : dc_->endpoints()) {
    if (endpoint.media_only) media_port = endpoint.port;
  }
  std::vector<service::DcAddress> media = invoker_->DcAddresses().Media(2);
  ASSERT_EQ(media.size(), 1u);
  EXPECT_EQ(media[0].endpoint.port, media_port);
}

// The built-in list names only DC 2; Dave's number lives on DC 1: auth.sendCode is answered
// PHONE_MIGRATE_1, and DC 1's address can only have come from help.getConfig.
TEST_F(InvokerTest, PhoneMigrateToADcOnlyTheConfigNames) {
  invoker_ = Make(2, 8, {{2, {"127.0.0.1", dc_->port(2)}}});
  api::auth_sendCode send_code;
  send_code.phone_number = absl::StrCat("+", fakedc::kSeedDavePhone);
  send_code.api_id = 1;
  send_code.api_hash = "invoker";
  send_code.settings = std::make_unique<api::codeSettings>();
  absl::StatusOr<tl::Ptr<api::auth_SentCode>> sent = Call(*invoker_, send_code);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(invoker_->home_dc(), 1);
  EXPECT_EQ(MainAddressOf(1), absl::StrCat("127.0.0.1:", dc_->port(1)));
  bool on_dc1 = false;
  for (const auto& s : invoker_->Sessions()) on_dc1 |= s.dc == 1;
  EXPECT_TRUE(on_dc1);
}

// The same with USER_MIGRATE: a bot that lives on DC 2, an invoker that knows only DC 3.
TEST_F(InvokerTest, UserMigrateToADcOnlyTheConfigNames) {
  invoker_ = Make(2, 8, {{3, {"127.0.0.1", dc_->port(3)}}}, /*home_dc=*/3);
  api::auth_importBotAuthorization request;
  request.api_id = 1;
  request.api_hash = "invoker";
  request.bot_auth_token = fakedc::kSeedBotToken;
  absl::StatusOr<tl::Ptr<api::auth_Authorization>> signed_in = Call(*invoker_, request);
  ASSERT_TRUE(signed_in.ok()) << signed_in.status();
  EXPECT_EQ(invoker_->home_dc(), 2);
  EXPECT_EQ(MainAddressOf(2), absl::StrCat("127.0.0.1:", dc_->port(2)));
}

// A signed-in account's call on another DC exports the authorization from the home DC and
// imports it there first (the DC then answers as the account), and later calls go straight.
TEST_F(InvokerTest, ACallOnAnotherDcImportsTheAuthorizationFirst) {
  invoker_ = Make(2, 8);
  api::auth_importBotAuthorization request;
  request.api_id = 1;
  request.api_hash = "invoker";
  request.bot_auth_token = fakedc::kSeedBotToken;
  ASSERT_TRUE(Call(*invoker_, request).ok());
  ASSERT_EQ(invoker_->home_dc(), 2);
  invoker_->SetSignedIn(true);
  api::users_getUsers self;
  self.id.push_back(std::make_unique<api::inputUserSelf>());
  for (int dc : {1, 1, 3}) {
    absl::StatusOr<std::vector<tl::Ptr<api::User>>> users = Call(*invoker_, self, dc);
    ASSERT_TRUE(users.ok()) << "DC " << dc << ": " << users.status();
    ASSERT_EQ(users->size(), 1u);
    const auto* bot = dynamic_cast<const api::user*>((*users)[0].get());
    ASSERT_NE(bot, nullptr);
    EXPECT_TRUE(bot->bot);
  }
  EXPECT_TRUE(Logged("authorization imported on DC 1"));
  EXPECT_TRUE(Logged("authorization imported on DC 3"));
}

// File parts (InvokeOptions::bulk) spread over the account's sessions: sixteen parts at once ride
// max_sessions sessions, which fakedc sees as that many MTProto sessions carrying them; without
// the flag the same sixteen ride the one session (32 calls fit on it).
TEST_F(InvokerTest, BulkCallsSpreadOverTheAccountsSessions) {
  invoker_ = Make(/*max_sessions=*/4, /*max_calls=*/32);
  api::auth_importBotAuthorization request;
  request.api_id = 1;
  request.api_hash = "invoker";
  request.bot_auth_token = fakedc::kSeedBotToken;
  ASSERT_TRUE(Call(*invoker_, request).ok());
  invoker_->SetSignedIn(true);

  // Sixteen 64 KiB parts of file `file_id`, all sent before any answer is awaited; the sessions
  // fakedc saw them on.
  auto send_parts = [this](int64_t file_id, bool bulk) {
    std::vector<std::future<absl::StatusOr<std::string>>> results;
    service::InvokeOptions options;
    options.deadline = absl::Now() + absl::Seconds(20);
    options.bulk = bulk;
    for (int32_t part = 0; part < 16; ++part) {
      api::upload_saveFilePart save;
      save.file_id = file_id;
      save.file_part = part;
      save.bytes = std::string(64 * 1024, static_cast<char>('a' + part));
      auto promise = std::make_shared<std::promise<absl::StatusOr<std::string>>>();
      results.push_back(promise->get_future());
      invoker_->Invoke(*tl::Serialize(save), api::upload_saveFilePart::kName, options,
                       [promise](absl::StatusOr<std::string> r) { promise->set_value(r); });
    }
    for (auto& result : results) EXPECT_TRUE(e2e::Await(std::move(result)).ok());
    std::set<uint64_t> sessions;
    dc_->Run([&](fakedc::World& world) {
      for (const fakedc::World::PartSave& save : world.part_saves()) {
        if (save.file_id == file_id) sessions.insert(save.session_id);
      }
    });
    return sessions.size();
  };
  EXPECT_EQ(send_parts(/*file_id=*/1, /*bulk=*/false), 1u);
  EXPECT_EQ(invoker_->Sessions().size(), 1u);
  EXPECT_EQ(send_parts(/*file_id=*/2, /*bulk=*/true), 4u);
  EXPECT_EQ(invoker_->Sessions().size(), 4u);  // never past max_sessions
  EXPECT_EQ(invoker_->max_sessions(), 4);
}

// DC 3's built-in address is a closed port: a call there waits on a failing session until
// help.getConfig moves DC 3, then the session is replaced by one at the new address.
TEST_F(InvokerTest, ADcThatMovedIsReachedAtItsNewAddress) {
  uint16_t closed_port = 0;
  {
    asio::ip::tcp::acceptor acceptor(
        io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    closed_port = acceptor.local_endpoint().port();
  }
  invoker_ = Make(2, 8, {{2, {"127.0.0.1", dc_->port(2)}}, {3, {"127.0.0.1", closed_port}}});
  auto on_dc3 = std::async(std::launch::async,
                           [this] { return Call(*invoker_, api::help_getNearestDc(), 3); });
  ASSERT_TRUE(e2e::WaitUntil([this] {
    for (const auto& s : invoker_->Sessions()) {
      if (s.dc == 3 && s.state == mtproto::net::ConnectionState::kBackoff) return true;
    }
    return false;
  }));
  ASSERT_TRUE(Call(*invoker_, api::help_getNearestDc()).ok());
  absl::StatusOr<tl::Ptr<api::NearestDc>> nearest = on_dc3.get();
  ASSERT_TRUE(nearest.ok()) << nearest.status();
  EXPECT_EQ(static_cast<const api::nearestDc&>(**nearest).this_dc, 3);
  EXPECT_TRUE(Logged(
      absl::StrCat("DC 3 moved from 127.0.0.1:", closed_port, " to 127.0.0.1:", dc_->port(3))));
}

}  // namespace
}  // namespace tgrpc::service_test
