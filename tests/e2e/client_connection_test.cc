// mtproto/net's ClientConnection against tests/fakedc over 127.0.0.1: the key exchange and typed
// calls over every transport, rpc_errors, and reconnects — after dropped connections (through a
// FaultProxy) with backoff and resent queries, and after a server restart that forgot the key.
#include "mtproto/net/client_connection.h"

#include <algorithm>
#include <atomic>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "mtproto/net/rpc_status.h"
#include "mtproto/transport/proxy_secret.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/fault_proxy.h"
#include "tests/fakedc/fakedc.h"
#include "tests/fakedc/seed.h"
#include "tl/generated/api.h"

namespace tgrpc::e2e {
namespace {

namespace api = tl::api;
using mtproto::net::CallResult;
using mtproto::net::ClientConnection;
using mtproto::net::ClientConnectionOptions;
using mtproto::net::ConnectionState;
using mtproto::net::ConnectionStateChange;
using mtproto::net::StoredAuthKey;
using mtproto::transport::Protocol;

const std::string kProxySecret = "0123456789abcdef";  // 16 raw bytes

// Records what a connection reports, from its strand.
// What a connection reports: its state changes, the permanent keys it makes (on_auth_key), and
// the temporary keys it binds (its log's "bound to" lines, with PFS). Read under `mutex`.
struct Recorder {
  std::mutex mutex;
  std::vector<ConnectionStateChange> states;
  int auth_keys = 0;
  std::optional<StoredAuthKey> last_key;
  int bindings = 0;

  void Attach(ClientConnectionOptions& options) {
    options.on_state = [this](const ConnectionStateChange& change) {
      std::lock_guard<std::mutex> lock(mutex);
      states.push_back(change);
    };
    options.on_auth_key = [this](const StoredAuthKey& key) {
      std::lock_guard<std::mutex> lock(mutex);
      ++auth_keys;
      last_key = key;
    };
    options.log = [this, log = options.log](mtproto::net::LogLevel level,
                                            absl::string_view message) {
      if (absl::StrContains(message, "bound to")) {
        std::lock_guard<std::mutex> lock(mutex);
        ++bindings;
      }
      if (log) log(level, message);
    };
  }
  std::vector<ConnectionStateChange> Backoffs() {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<ConnectionStateChange> out;
    for (const auto& change : states) {
      if (change.state == ConnectionState::kBackoff) out.push_back(change);
    }
    return out;
  }
  int keys() {
    std::lock_guard<std::mutex> lock(mutex);
    return auth_keys;
  }
};

absl::StatusOr<const api::config*> GetConfig(ClientConnection& connection,
                                             tl::Ptr<api::Config>& holder) {
  absl::StatusOr<tl::Ptr<api::Config>> config = Await(
      connection.Call<api::help_getConfig>(*WithLayer(std::make_unique<api::help_getConfig>())));
  if (!config.ok()) return config.status();
  holder = *std::move(config);
  const auto* out = dynamic_cast<const api::config*>(holder.get());
  if (out == nullptr) return absl::InternalError("not a config");
  return out;
}

struct TransportCase {
  std::string name;
  uint64_t seed;  // every random byte of the connection
  Protocol protocol;
  bool obfuscated = false;
  // MTProxy secret: none, plain, or dd.
  enum class Proxy { kNone, kPlain, kPadded } proxy = Proxy::kNone;
};

class TransportTest : public ::testing::TestWithParam<TransportCase> {
 protected:
  static void SetUpTestSuite() {
    fakedc::FakeDcOptions options;
    options.mtproxy_secrets = {kProxySecret};
    absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> started = StartFakeDc(std::move(options));
    ASSERT_TRUE(started.ok()) << started.status();
    dc_ = started->release();
  }
  static void TearDownTestSuite() {
    delete dc_;
    dc_ = nullptr;
  }
  static fakedc::FakeDc* dc_;
};
fakedc::FakeDc* TransportTest::dc_ = nullptr;

TEST_P(TransportTest, KeyExchangeAndCalls) {
  ASSERT_NE(dc_, nullptr);
  const TransportCase& c = GetParam();
  ClientConnectionOptions options = ConnectionOptions(dc_->port(2), c.seed, c.name);
  options.transport.protocol = c.protocol;
  options.transport.obfuscated = c.obfuscated;
  if (c.proxy != TransportCase::Proxy::kNone) {
    options.transport.proxy_secret =
        mtproto::transport::ProxySecret{kProxySecret, c.proxy == TransportCase::Proxy::kPadded};
  }
  Recorder recorder;
  recorder.Attach(options);
  absl::StatusOr<std::unique_ptr<ClientConnection>> connection =
      ClientConnection::Create(std::move(options));
  ASSERT_TRUE(connection.ok()) << connection.status();

  tl::Ptr<api::Config> holder;
  absl::StatusOr<const api::config*> config = GetConfig(**connection, holder);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ((*config)->this_dc, 2);
  bool listed = false;
  for (const auto& option : (*config)->dc_options) {
    const auto* dc_option = dynamic_cast<const api::dcOption*>(option.get());
    listed |= dc_option != nullptr && dc_option->id == 2 && dc_option->port == dc_->port(2);
  }
  EXPECT_TRUE(listed);
  EXPECT_EQ((*connection)->state(), ConnectionState::kReady);

  // Later calls need no wrapper: the server remembers the layer.
  absl::StatusOr<tl::Ptr<api::NearestDc>> nearest =
      Await((*connection)->Call<api::help_getNearestDc>(api::help_getNearestDc()));
  ASSERT_TRUE(nearest.ok()) << nearest.status();
  const auto* nearest_dc = dynamic_cast<const api::nearestDc*>(nearest->get());
  ASSERT_NE(nearest_dc, nullptr);
  EXPECT_EQ(nearest_dc->this_dc, 2);

  // Several calls in flight at once (they share containers).
  std::vector<std::future<absl::StatusOr<tl::Ptr<api::NearestDc>>>> many;
  for (int i = 0; i < 8; ++i) {
    many.push_back((*connection)->Call<api::help_getNearestDc>(api::help_getNearestDc()));
  }
  for (auto& future : many) {
    absl::StatusOr<tl::Ptr<api::NearestDc>> result = Await(std::move(future));
    EXPECT_TRUE(result.ok()) << result.status();
  }

  EXPECT_EQ(recorder.keys(), 1);
  EXPECT_TRUE(recorder.Backoffs().empty());
}

INSTANTIATE_TEST_SUITE_P(
    EveryTransport, TransportTest,
    ::testing::Values(TransportCase{"abridged", 101, Protocol::kAbridged},
                      TransportCase{"intermediate", 102, Protocol::kIntermediate},
                      TransportCase{"padded_intermediate", 103, Protocol::kPaddedIntermediate},
                      TransportCase{"full", 104, Protocol::kFull},
                      TransportCase{"obfuscated_abridged", 105, Protocol::kAbridged, true},
                      TransportCase{"obfuscated_intermediate", 106, Protocol::kIntermediate, true},
                      TransportCase{"obfuscated_padded_intermediate", 107,
                                    Protocol::kPaddedIntermediate, true},
                      TransportCase{"mtproxy_plain_secret", 108, Protocol::kIntermediate, true,
                                    TransportCase::Proxy::kPlain},
                      TransportCase{"mtproxy_dd_secret", 109, Protocol::kPaddedIntermediate, true,
                                    TransportCase::Proxy::kPadded}),
    [](const ::testing::TestParamInfo<TransportCase>& info) { return info.param.name; });

TEST(ClientConnectionE2eTest, RpcErrorsAreTyped) {
  absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> dc = StartFakeDc();
  ASSERT_TRUE(dc.ok()) << dc.status();
  auto connection = ClientConnection::Create(ConnectionOptions((*dc)->port(2), 7, "errors"));
  ASSERT_TRUE(connection.ok()) << connection.status();

  api::auth_sendCode bad;
  bad.phone_number = "12";
  bad.api_id = 1;
  bad.api_hash = "e2e";
  bad.settings = std::make_unique<api::codeSettings>();
  absl::StatusOr<tl::Ptr<api::auth_SentCode>> sent =
      Await((*connection)
                ->Call<api::auth_sendCode>(
                    *WithLayer(std::make_unique<api::auth_sendCode>(std::move(bad)))));
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.status().code(), absl::StatusCode::kInvalidArgument) << sent.status();
  const std::optional<mtproto::session::RpcError> error = mtproto::net::RpcErrorOf(sent.status());
  ASSERT_TRUE(error.has_value()) << sent.status();
  EXPECT_EQ(error->code, 400);
  EXPECT_EQ(error->type, "PHONE_NUMBER_INVALID");

  // A request that does not serialize fails before it is sent.
  absl::StatusOr<tl::Ptr<api::Config>> unserializable =
      Await((*connection)->Call<api::help_getConfig>(api::invokeWithLayer()));
  EXPECT_EQ(unserializable.status().code(), absl::StatusCode::kInvalidArgument);

  // Raw bytes: a method the emulator does not know.
  std::future<CallResult> unknown = (*connection)->Invoke(std::string("\x78\x56\x34\x12", 4));
  ASSERT_EQ(unknown.wait_for(kGuard), std::future_status::ready);
  const CallResult result = unknown.get();
  ASSERT_FALSE(result.ok());
  ASSERT_TRUE(mtproto::net::RpcErrorOf(result.status()).has_value()) << result.status();
  EXPECT_EQ(mtproto::net::RpcErrorOf(result.status())->code, 400);
}

// A socket that takes one packet at a time (max_unwritten_bytes = 1): the rest of 64 large
// calls waits in the session and goes out as the socket drains; every call is answered.
TEST(ClientConnectionE2eTest, BoundedWritePathSendsEverythingAsTheSocketDrains) {
  absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> dc = StartFakeDc();
  ASSERT_TRUE(dc.ok()) << dc.status();
  ClientConnectionOptions options = ConnectionOptions((*dc)->port(2), 8, "bounded");
  options.max_unwritten_bytes = 1;
  auto connection = ClientConnection::Create(std::move(options));
  ASSERT_TRUE(connection.ok()) << connection.status();
  ASSERT_TRUE(
      Await((*connection)
                ->Call<api::help_getConfig>(*WithLayer(std::make_unique<api::help_getConfig>())))
          .ok());
  std::vector<std::future<absl::StatusOr<tl::Ptr<api::help_DeepLinkInfo>>>> calls;
  for (int i = 0; i < 64; ++i) {
    api::help_getDeepLinkInfo request;
    request.path = std::string(64 * 1024, static_cast<char>('a' + i % 26));  // 64 KiB each
    calls.push_back((*connection)->Call<api::help_getDeepLinkInfo>(request));
  }
  int answered = 0;
  for (auto& call : calls) {
    absl::StatusOr<tl::Ptr<api::help_DeepLinkInfo>> result = Await(std::move(call));
    // An answer or Telegram's error: either way the server got it.
    answered += result.ok() || mtproto::net::RpcErrorOf(result.status()).has_value() ? 1 : 0;
  }
  EXPECT_EQ(answered, 64);
}

// The connection drops while a query is on its way (the proxy held it back, so the server never
// saw it); new connections are refused a few times; then the query completes on a fresh one.
TEST(ClientConnectionE2eTest, ReconnectsWithBackoffAndResendsAfterADrop) {
  absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> dc = StartFakeDc();
  ASSERT_TRUE(dc.ok()) << dc.status();
  absl::StatusOr<std::unique_ptr<FaultProxy>> proxy = FaultProxy::Start((*dc)->port(2));
  ASSERT_TRUE(proxy.ok()) << proxy.status();

  ClientConnectionOptions options = ConnectionOptions((*proxy)->port(), 11, "reconnect");
  options.backoff.initial = absl::Milliseconds(5);
  options.backoff.multiplier = 2;
  options.backoff.max = absl::Milliseconds(20);
  options.backoff.jitter = 0;  // the jittered schedule is backoff_test's
  Recorder recorder;
  recorder.Attach(options);
  auto connection = ClientConnection::Create(std::move(options));
  ASSERT_TRUE(connection.ok()) << connection.status();
  tl::Ptr<api::Config> holder;
  ASSERT_TRUE(GetConfig(**connection, holder).ok());
  ASSERT_EQ((*proxy)->accepted(), 1);

  (*proxy)->SetHoldUpstream(true);
  auto nearest = (*connection)->Call<api::help_getNearestDc>(api::help_getNearestDc());
  ASSERT_TRUE(WaitUntil([&] { return (*proxy)->held_bytes() > 0; }));
  (*proxy)->SetRefuse(true);
  (*proxy)->DropAll();
  (*proxy)->SetHoldUpstream(false);
  ASSERT_TRUE(WaitUntil([&] { return recorder.Backoffs().size() >= 4; }));
  (*proxy)->SetRefuse(false);

  absl::StatusOr<tl::Ptr<api::NearestDc>> answer = Await(std::move(nearest));
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_NE(dynamic_cast<const api::nearestDc*>(answer->get()), nullptr);

  const std::vector<ConnectionStateChange> backoffs = recorder.Backoffs();
  ASSERT_GE(backoffs.size(), 4u);
  const absl::Duration expected[] = {absl::Milliseconds(5), absl::Milliseconds(10),
                                     absl::Milliseconds(20), absl::Milliseconds(20)};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(backoffs[i].failures, i + 1);
    EXPECT_EQ(backoffs[i].delay, expected[i]);
    EXPECT_EQ(backoffs[i].reason.code(), absl::StatusCode::kUnavailable) << backoffs[i].reason;
  }
  EXPECT_GE((*proxy)->accepted(), 5);
  EXPECT_EQ(recorder.keys(), 1);  // the key survived the reconnects

  // A working connection starts the schedule over.
  (*proxy)->DropAll();
  ASSERT_TRUE(WaitUntil([&] { return recorder.Backoffs().size() > backoffs.size(); }));
  EXPECT_EQ(recorder.Backoffs()[backoffs.size()].failures, 1);
  absl::StatusOr<tl::Ptr<api::NearestDc>> again =
      Await((*connection)->Call<api::help_getNearestDc>(api::help_getNearestDc()));
  EXPECT_TRUE(again.ok()) << again.status();
}

// fakedc restarts on the same ports without the old keys: the client gets transport error -404,
// makes a new key and sends the waiting query in the new key's session.
TEST(ClientConnectionE2eTest, MakesANewKeyWhenTheServerForgotIt) {
  absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> dc = StartFakeDc();
  ASSERT_TRUE(dc.ok()) << dc.status();
  std::vector<uint16_t> ports;
  for (const fakedc::DcEndpoint& endpoint : (*dc)->endpoints()) ports.push_back(endpoint.port);
  const uint16_t port = (*dc)->port(2);

  ClientConnectionOptions options = ConnectionOptions(port, 21, "restart");
  options.backoff.initial = absl::Milliseconds(5);
  options.backoff.max = absl::Milliseconds(50);
  Recorder recorder;
  recorder.Attach(options);
  auto connection = ClientConnection::Create(std::move(options));
  ASSERT_TRUE(connection.ok()) << connection.status();
  tl::Ptr<api::Config> holder;
  ASSERT_TRUE(GetConfig(**connection, holder).ok());
  ASSERT_EQ(recorder.keys(), 1);

  dc->reset();
  ASSERT_TRUE(WaitUntil([&] { return !recorder.Backoffs().empty(); }));
  std::future<absl::StatusOr<tl::Ptr<api::Config>>> pending =
      (*connection)->Call<api::help_getConfig>(*WithLayer(std::make_unique<api::help_getConfig>()));

  fakedc::FakeDcOptions restart;
  restart.ports = ports;
  dc = StartFakeDc(std::move(restart));
  ASSERT_TRUE(dc.ok()) << dc.status();

  absl::StatusOr<tl::Ptr<api::Config>> config = Await(std::move(pending));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(recorder.keys(), 2);
  bool saw_404 = false;
  for (const ConnectionStateChange& change : recorder.Backoffs()) {
    saw_404 |= change.reason.code() == absl::StatusCode::kNotFound;
  }
  EXPECT_TRUE(saw_404);
}

// Future salts go with the key (on_key_state), so that a connection started from the stored key
// need not ask for them at once. Whether it asks shows in its reports: an answer would add the
// other salts of fakedc's schedule to the two it was given (which cover the next hour, past the
// 30-minute refresh margin). Given none, it asks, and reports what it got.
TEST(ClientConnectionE2eTest, StoredFutureSaltsSpareGetFutureSalts) {
  absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> dc = StartFakeDc();
  ASSERT_TRUE(dc.ok()) << dc.status();
  struct Reports {
    std::mutex mutex;
    int auth_keys = 0;
    std::optional<StoredAuthKey> last;
    size_t most_future_salts = 0;
  };
  auto attach = [](ClientConnectionOptions& options, Reports& reports) {
    auto report = [&reports](const StoredAuthKey& key, bool made) {
      std::lock_guard<std::mutex> lock(reports.mutex);
      reports.auth_keys += made ? 1 : 0;
      reports.last = key;
      reports.most_future_salts = std::max(reports.most_future_salts, key.future_salts.size());
    };
    options.on_auth_key = [report](const StoredAuthKey& key) { report(key, true); };
    options.on_key_state = [report](const StoredAuthKey& key) { report(key, false); };
  };
  // Two calls: the second is answered after whatever answered the first (future_salts too).
  auto two_calls = [](ClientConnection& connection) {
    tl::Ptr<api::Config> holder;
    EXPECT_TRUE(GetConfig(connection, holder).ok());
    absl::StatusOr<tl::Ptr<api::NearestDc>> nearest =
        Await(connection.Call<api::help_getNearestDc>(api::help_getNearestDc()));
    EXPECT_TRUE(nearest.ok()) << nearest.status();
  };

  Reports first;
  {
    ClientConnectionOptions options = ConnectionOptions((*dc)->port(2), 51, "salts-first");
    attach(options, first);
    auto connection = ClientConnection::Create(std::move(options));
    ASSERT_TRUE(connection.ok()) << connection.status();
    two_calls(**connection);
    ASSERT_TRUE(WaitUntil([&] {
      std::lock_guard<std::mutex> lock(first.mutex);
      return first.last.has_value() && first.last->future_salts.size() > 2;
    }));
  }
  StoredAuthKey stored = *first.last;
  ASSERT_EQ(first.auth_keys, 1);
  stored.future_salts.resize(2);

  Reports seeded;
  {
    ClientConnectionOptions options = ConnectionOptions((*dc)->port(2), 52, "salts-seeded");
    options.auth_key = stored;
    attach(options, seeded);
    auto connection = ClientConnection::Create(std::move(options));
    ASSERT_TRUE(connection.ok()) << connection.status();
    two_calls(**connection);
  }  // Closed: every packet it took in has been handled, reports included.
  EXPECT_EQ(seeded.auth_keys, 0);
  EXPECT_LE(seeded.most_future_salts, 2u);

  Reports bare;
  {
    ClientConnectionOptions options = ConnectionOptions((*dc)->port(2), 53, "salts-bare");
    options.auth_key = stored;
    options.auth_key->future_salts.clear();
    attach(options, bare);
    auto connection = ClientConnection::Create(std::move(options));
    ASSERT_TRUE(connection.ok()) << connection.status();
    two_calls(**connection);
    EXPECT_TRUE(WaitUntil([&] {
      std::lock_guard<std::mutex> lock(bare.mutex);
      return bare.most_future_salts > 2;
    }));
  }
  EXPECT_EQ(bare.auth_keys, 0);
}

// PFS: the session runs on a temporary key bound to the permanent one, so signing in through it
// signs in the permanent key; a new temporary key, made before the old one expires, is bound
// again and the signed-in session goes on.
TEST(ClientConnectionE2eTest, PfsRunsOnABoundTemporaryKey) {
  absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> dc = StartFakeDc();
  ASSERT_TRUE(dc.ok()) << dc.status();
  ClientConnectionOptions options = ConnectionOptions((*dc)->port(2), 31, "pfs");
  options.temp_key_lifetime = 4;  // replaced 2 s in
  Recorder recorder;
  recorder.Attach(options);
  std::mutex& mutex = recorder.mutex;
  std::optional<StoredAuthKey>& perm_key = recorder.last_key;
  int& perm_keys = recorder.auth_keys;
  int& bindings = recorder.bindings;
  auto connection = ClientConnection::Create(std::move(options));
  ASSERT_TRUE(connection.ok()) << connection.status();

  absl::StatusOr<tl::Ptr<api::user>> user = SignIn(**connection, **dc, fakedc::kSeedAlicePhone);
  ASSERT_TRUE(user.ok()) << user.status();
  uint64_t perm_id = 0;
  {
    std::lock_guard<std::mutex> lock(mutex);
    ASSERT_TRUE(perm_key.has_value());
    perm_id = perm_key->key.id();
    EXPECT_EQ(bindings, 1);
  }
  // The packets are encrypted with another key than the permanent one.
  bool on_temp_key = false;
  for (const fakedc::ConnectionInfo& info : (*dc)->Connections()) {
    EXPECT_NE(info.auth_key_id, perm_id);
    on_temp_key |= info.auth_key_id != 0;
  }
  EXPECT_TRUE(on_temp_key);
  absl::StatusOr<tl::Ptr<api::updates_State>> state =
      Await((*connection)->Call<api::updates_getState>(api::updates_getState()));
  EXPECT_TRUE(state.ok()) << state.status();

  // The permanent key itself is signed in: the binding made the sign-in its own.
  ClientConnectionOptions direct = ConnectionOptions((*dc)->port(2), 32, "perm");
  {
    std::lock_guard<std::mutex> lock(mutex);
    direct.auth_key = perm_key;
  }
  auto on_perm = ClientConnection::Create(std::move(direct));
  ASSERT_TRUE(on_perm.ok()) << on_perm.status();
  state = Await((*on_perm)->Call<api::updates_getState>(
      *WithLayer(std::make_unique<api::updates_getState>())));
  EXPECT_TRUE(state.ok()) << state.status();
  (*on_perm)->Stop();

  // The temporary key is replaced before it expires, and the new one is bound too.
  ASSERT_TRUE(WaitUntil([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return bindings >= 2;
  }));
  state = Await((*connection)->Call<api::updates_getState>(api::updates_getState()));
  EXPECT_TRUE(state.ok()) << state.status();
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_EQ(perm_keys, 1);
}

// The server forgets the temporary key (as Telegram may at any time): its next packet gets -404,
// and the connection makes and binds a new temporary key, keeping the permanent one and its
// sign-in.
TEST(ClientConnectionE2eTest, PfsReplacesAForgottenTemporaryKey) {
  absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> dc = StartFakeDc();
  ASSERT_TRUE(dc.ok()) << dc.status();
  ClientConnectionOptions options = ConnectionOptions((*dc)->port(2), 33, "pfs-404");
  options.temp_key_lifetime = 3600;  // no renewal by time in this test
  Recorder recorder;
  recorder.Attach(options);
  auto connection = ClientConnection::Create(std::move(options));
  ASSERT_TRUE(connection.ok()) << connection.status();
  absl::StatusOr<tl::Ptr<api::user>> user = SignIn(**connection, **dc, fakedc::kSeedAlicePhone);
  ASSERT_TRUE(user.ok()) << user.status();
  std::vector<fakedc::ConnectionInfo> before = (*dc)->Connections();
  ASSERT_EQ(before.size(), 1u);
  const uint64_t first_temp = before[0].auth_key_id;

  (*dc)->ForgetTemporaryKeys();
  absl::StatusOr<tl::Ptr<api::updates_State>> state =
      Await((*connection)->Call<api::updates_getState>(api::updates_getState()));
  ASSERT_TRUE(state.ok()) << state.status();  // signed in still: the new key is bound too
  bool on_new_temp = false;
  for (const fakedc::ConnectionInfo& info : (*dc)->Connections()) {
    if (info.auth_key_id != 0 && info.auth_key_id != first_temp) on_new_temp = true;
  }
  EXPECT_TRUE(on_new_temp);
  std::lock_guard<std::mutex> lock(recorder.mutex);
  EXPECT_EQ(recorder.bindings, 2);
  EXPECT_EQ(recorder.auth_keys, 1);  // the permanent key was kept
}

// Two connections to DC 2 sharing `store`, each with its Recorder (seeds `seed` and seed + 1,
// logs named name-1 and name-2).
struct SharedPair {
  SharedPair(fakedc::FakeDc& dc, std::shared_ptr<mtproto::net::DcKeyStore> store, uint64_t seed,
             const std::string& name) {
    ClientConnectionOptions o1 = ConnectionOptions(dc.port(2), seed, name + "-1");
    ClientConnectionOptions o2 = ConnectionOptions(dc.port(2), seed + 1, name + "-2");
    o1.keys = o2.keys = std::move(store);
    r1.Attach(o1);
    r2.Attach(o2);
    c1 = ClientConnection::Create(std::move(o1));
    c2 = ClientConnection::Create(std::move(o2));
  }
  Recorder r1, r2;  // before the connections, which report to them until destroyed
  absl::StatusOr<std::unique_ptr<ClientConnection>> c1, c2;
};

// Telegram binds a permanent key to one temporary key at a time; a new binding replaces the old
// one (fakedc forgets it, -404). Two connections of one account with a temporary key each keep
// throwing each other off: every call after the other's binding meets a -404 and binds anew.
// Sharing the DC's key store, they bind one temporary key once and both run on it.
TEST(ClientConnectionE2eTest, PfsSessionsShareOneTemporaryKeyPerDc) {
  absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> dc = StartFakeDc();
  ASSERT_TRUE(dc.ok()) << dc.status();
  // A signed-in permanent key to start from.
  std::optional<StoredAuthKey> perm_key;
  {
    ClientConnectionOptions options = ConnectionOptions((*dc)->port(2), 41, "perm");
    Recorder recorder;
    recorder.Attach(options);
    auto connection = ClientConnection::Create(std::move(options));
    ASSERT_TRUE(connection.ok()) << connection.status();
    ASSERT_TRUE(SignIn(**connection, **dc, fakedc::kSeedAlicePhone).ok());
    std::lock_guard<std::mutex> lock(recorder.mutex);
    perm_key = recorder.last_key;
  }
  ASSERT_TRUE(perm_key.has_value());
  constexpr int kRounds = 4;
  // Alternate calls on two connections; returns the -404s they met.
  auto alternate = [&](ClientConnection& a, Recorder& ra, ClientConnection& b, Recorder& rb) {
    for (int round = 0; round < kRounds; ++round) {
      for (ClientConnection* connection : {&a, &b}) {
        absl::StatusOr<tl::Ptr<api::updates_State>> state =
            Await(connection->Call<api::updates_getState>(
                *WithLayer(std::make_unique<api::updates_getState>())));
        EXPECT_TRUE(state.ok()) << state.status();  // still signed in: a binding carries it
      }
    }
    int rejected = 0;
    for (Recorder* r : {&ra, &rb}) {
      for (const ConnectionStateChange& change : r->Backoffs()) {
        rejected += absl::StrContains(change.reason.message(), "-404") ? 1 : 0;
      }
    }
    return rejected;
  };

  // One temporary key per connection.
  int separate_bindings = 0, separate_404 = 0;
  {
    Recorder r1, r2;
    ClientConnectionOptions o1 = ConnectionOptions((*dc)->port(2), 42, "own-1");
    ClientConnectionOptions o2 = ConnectionOptions((*dc)->port(2), 43, "own-2");
    o1.auth_key = o2.auth_key = perm_key;
    o1.temp_key_lifetime = o2.temp_key_lifetime = 3600;
    r1.Attach(o1);
    r2.Attach(o2);
    auto c1 = ClientConnection::Create(std::move(o1));
    auto c2 = ClientConnection::Create(std::move(o2));
    ASSERT_TRUE(c1.ok() && c2.ok());
    separate_404 = alternate(**c1, r1, **c2, r2);
    std::lock_guard<std::mutex> l1(r1.mutex), l2(r2.mutex);
    separate_bindings = r1.bindings + r2.bindings;
  }
  // One store for the DC, shared.
  int shared_404 = 0;
  mtproto::net::DcKeyStoreOptions store_options;
  store_options.permanent = perm_key;
  store_options.temp_key_lifetime = 3600;
  auto store = std::make_shared<mtproto::net::DcKeyStore>(store_options);
  {
    SharedPair pair(**dc, store, 44, "shared");
    ASSERT_TRUE(pair.c1.ok() && pair.c2.ok());
    shared_404 = alternate(**pair.c1, pair.r1, **pair.c2, pair.r2);
    // Both run on the one temporary key.
    ASSERT_TRUE(store->temp().has_value());
    int on_shared = 0;
    for (const fakedc::ConnectionInfo& info : (*dc)->Connections()) {
      on_shared += info.auth_key_id == store->temp()->key.key.id() ? 1 : 0;
    }
    EXPECT_EQ(on_shared, 2);
  }
  std::cerr << "per-connection temporary keys: " << separate_bindings << " bindings, "
            << separate_404 << " -404s; shared: " << store->temp_keys_bound() << " binding, "
            << shared_404 << " -404s\n";
  EXPECT_GE(separate_404, kRounds);
  EXPECT_GE(separate_bindings, kRounds + 1);
  EXPECT_EQ(store->temp_keys_bound(), 1);
  EXPECT_EQ(shared_404, 0);
}

// Renewal with a shared key: one connection makes and binds the next temporary key before the
// current one expires, the other moves to it, and both keep working; every binding the store
// counts was made once, by one of them.
TEST(ClientConnectionE2eTest, PfsSharedTemporaryKeyIsRenewedOnce) {
  absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> dc = StartFakeDc();
  ASSERT_TRUE(dc.ok()) << dc.status();
  mtproto::net::DcKeyStoreOptions store_options;
  store_options.temp_key_lifetime = 4;  // renewed 2 s in
  auto store = std::make_shared<mtproto::net::DcKeyStore>(store_options);
  SharedPair pair(**dc, store, 46, "renew");
  ASSERT_TRUE(pair.c1.ok() && pair.c2.ok());
  Recorder &r1 = pair.r1, &r2 = pair.r2;
  auto &c1 = pair.c1, &c2 = pair.c2;
  ASSERT_TRUE(SignIn(**c1, **dc, fakedc::kSeedAlicePhone).ok());
  auto get_state = [](ClientConnection& c) {
    return Await(
        c.Call<api::updates_getState>(*WithLayer(std::make_unique<api::updates_getState>())));
  };
  EXPECT_TRUE(get_state(**c2).ok());  // signed in through c1's binding
  const uint64_t first = store->temp()->key.key.id();
  ASSERT_TRUE(WaitUntil([&] { return store->temp_keys_bound() >= 2; }));
  for (ClientConnection* c : {&**c1, &**c2}) {
    absl::StatusOr<tl::Ptr<api::updates_State>> state = get_state(*c);
    EXPECT_TRUE(state.ok()) << state.status();
  }
  EXPECT_NE(store->temp()->key.key.id(), first);
  const int bound = store->temp_keys_bound();
  std::lock_guard<std::mutex> l1(r1.mutex), l2(r2.mutex);
  EXPECT_GE(r1.bindings + r2.bindings, bound);
  EXPECT_LE(r1.bindings + r2.bindings, bound + 1);  // one more may be on its way
  EXPECT_EQ(store->permanent().has_value(), true);
}

}  // namespace
}  // namespace tgrpc::e2e
