// AUTH_KEY_DUPLICATED as Telegram gives it: a permanent key used at the same time by two
// instances of a service (initConnection's params {"tgrpc_instance": ...}), each on its own open
// connection, is revoked: the call that shows it and every later call on the key get 406
// AUTH_KEY_DUPLICATED. One instance's many connections, a client that names no instance, and a
// new instance after the old one's connections closed (a takeover) are all fine.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "mtproto/crypto/rsa_key.h"
#include "tests/fakedc/fakedc.h"
#include "tests/fakedc/rpc.h"
#include "tests/fakedc/test_client.h"
#include "tl/generated/api.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

// help.getNearestDc wrapped the way a client's first call on a session is, naming `instance`.
api::invokeWithLayer Named(const std::string& instance) {
  auto init = std::make_unique<api::initConnection>();
  init->api_id = 1;
  init->device_model = "test";
  init->system_version = "Linux";
  init->app_version = "1";
  init->system_lang_code = "en";
  init->lang_code = "en";
  if (!instance.empty()) {
    auto value = std::make_unique<api::jsonObjectValue>();
    value->key = "tgrpc_instance";
    auto name = std::make_unique<api::jsonString>();
    name->value = instance;
    value->value = std::move(name);
    auto params = std::make_unique<api::jsonObject>();
    params->value.push_back(std::move(value));
    init->params = std::move(params);
  }
  init->query = std::make_unique<api::help_getNearestDc>();
  api::invokeWithLayer layer;
  layer.layer = api::kLayer;
  layer.query = std::move(init);
  return layer;
}

std::string ErrorOf(const absl::Status& status) {
  if (status.ok()) return "ok";
  auto [code, message] = ToRpcError(status);
  return absl::StrCat(code, " ", message);
}

class KeyDuplicatedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static const std::string* pem = [] {
      absl::StatusOr<mtproto::crypto::RsaPrivateKey> key =
          mtproto::crypto::RsaPrivateKey::Generate(2048);
      return new std::string(key.ok() ? key->ToPem().value_or("") : "");
    }();
    FakeDcOptions options;
    options.rsa_key_pem = *pem;
    options.big_channel_members = 0;
    absl::StatusOr<std::unique_ptr<FakeDc>> dc = FakeDc::Start(std::move(options));
    ASSERT_TRUE(dc.ok()) << dc.status();
    dc_ = *std::move(dc);
  }

  std::unique_ptr<TestClient> Connect(std::optional<mtproto::crypto::AuthKey> key = {}) {
    TestClient::Options options;
    options.dc_id = 2;
    options.port = dc_->port(2);
    options.public_key_pem = dc_->public_key_pem();
    options.auth_key = key;
    absl::StatusOr<std::unique_ptr<TestClient>> client = TestClient::Connect(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  // The first call of a new session on `client`, naming `instance`.
  std::string Call(TestClient& client, const std::string& instance) {
    absl::StatusOr<mtproto::session::CallId> id = client.Send(Named(instance));
    if (!id.ok()) return id.status().ToString();
    return ErrorOf(client.Wait(*id).status());
  }

  std::unique_ptr<FakeDc> dc_;
};

TEST_F(KeyDuplicatedTest, TwoInstancesOnOneKeyAtOnceRevokeIt) {
  std::unique_ptr<TestClient> a = Connect();
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(Call(*a, "replica-a"), "ok");
  std::unique_ptr<TestClient> b = Connect(a->auth_key());
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(Call(*b, "replica-b"), "406 AUTH_KEY_DUPLICATED");
  EXPECT_EQ(dc_->DuplicatedAuthKeys(), 1);
  // Revoked: the first instance's next call too, and a new connection of either.
  EXPECT_EQ(ErrorOf(a->Call(api::help_getNearestDc()).status()), "406 AUTH_KEY_DUPLICATED");
  std::unique_ptr<TestClient> again = Connect(a->auth_key());
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Call(*again, "replica-a"), "406 AUTH_KEY_DUPLICATED");
}

TEST_F(KeyDuplicatedTest, OneInstanceManyConnectionsAndUnnamedClientsAreFine) {
  std::unique_ptr<TestClient> a = Connect();
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(Call(*a, "replica-a"), "ok");
  std::unique_ptr<TestClient> a2 = Connect(a->auth_key());
  ASSERT_NE(a2, nullptr);
  EXPECT_EQ(Call(*a2, "replica-a"), "ok");
  std::unique_ptr<TestClient> unnamed = Connect(a->auth_key());
  ASSERT_NE(unnamed, nullptr);
  EXPECT_EQ(Call(*unnamed, ""), "ok");
  EXPECT_EQ(dc_->DuplicatedAuthKeys(), 0);
}

TEST_F(KeyDuplicatedTest, ATakeoverAfterTheOldInstanceClosedIsFine) {
  std::unique_ptr<TestClient> a = Connect();
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(Call(*a, "replica-a"), "ok");
  const mtproto::crypto::AuthKey key = a->auth_key();
  a.reset();  // its connection closes (a replica that stopped, or was killed: the socket closes)
  // The server sees the close shortly; until then the takeover could look like a duplicate.
  std::string answer;
  for (int i = 0; i < 100; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
    if (dc_->Connections().empty()) break;
  }
  std::unique_ptr<TestClient> b = Connect(key);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(Call(*b, "replica-b"), "ok");
  EXPECT_EQ(dc_->DuplicatedAuthKeys(), 0);
}

}  // namespace
}  // namespace tgrpc::fakedc
