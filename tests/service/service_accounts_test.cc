// tgrpcd end to end against fakedc, accounts: sign-in by code, 2FA, QR and bot token, a
// migration, accounts that stay signed in across a restart, log out, session strings imported and
// exported, and WatchAccountStatus. Messages, chats, errors, FLOOD_WAIT, metrics and faults are in
// service_e2e_test.cc.
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "service/telegram/session_strings.h"
#include "tests/e2e/e2e_util.h"
#include "tests/fakedc/seed.h"
#include "tests/service/service_fixture.h"
#include "tl/generated/api.h"

namespace tgrpc::service_test {
namespace {

namespace api = tl::api;

TEST_F(ServiceTest, SignsInWithACodeAndAnswersGetMe) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  v1::GetMeRequest me;
  me.set_account("accounts/alice");
  v1::User user;
  grpc::Status status = users_->GetMe(Context().get(), me, &user);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(user.first_name(), "Alice");
  EXPECT_TRUE(user.is_self());
  EXPECT_EQ(user.name(), "accounts/alice/users/" + std::to_string(user.id()));
  EXPECT_TRUE(user.has_full());

  v1::GetAccountRequest get;
  get.set_name("accounts/alice");
  v1::Account account;
  ASSERT_TRUE(accounts_->GetAccount(Context().get(), get, &account).ok());
  EXPECT_EQ(account.state(), v1::Account::SIGNED_IN);
  EXPECT_EQ(account.user().id(), user.id());
  EXPECT_TRUE(account.bot_token().empty());
}

TEST_F(ServiceTest, WrongCodeIsInvalidArgumentAndTheLoginWaits) {
  v1::CreateAccountRequest create;
  create.set_account_id("bob");
  create.mutable_account()->set_phone_number("+" + std::string(fakedc::kSeedBobPhone));
  v1::Account account;
  ASSERT_TRUE(accounts_->CreateAccount(Context().get(), create, &account).ok());
  v1::StartLoginRequest start;
  start.set_name("accounts/bob");
  v1::LoginState state;
  ASSERT_TRUE(accounts_->StartLogin(Context().get(), start, &state).ok());
  v1::SubmitCodeRequest code;
  code.set_name("accounts/bob");
  code.set_code("00000");
  grpc::Status status = accounts_->SubmitCode(Context().get(), code, &state);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(status), "PHONE_CODE_INVALID");
  code.set_code(LastCode(fakedc::kSeedBobPhone));
  ASSERT_TRUE(accounts_->SubmitCode(Context().get(), code, &state).ok());
  EXPECT_EQ(state.step(), v1::LoginState::SIGNED_IN);
}

TEST_F(ServiceTest, TwoFactorPasswordWithSrp) {
  SignIn("carol", fakedc::kSeedCarolPhone, fakedc::kSeedCarolPassword);
}

TEST_F(ServiceTest, AccountOnAnotherDcIsMigrated) {
  // Dave lives on DC 1: auth.sendCode on DC 2 answers PHONE_MIGRATE_1, followed inside.
  SignIn("dave", fakedc::kSeedDavePhone);
  v1::GetAccountRequest get;
  get.set_name("accounts/dave");
  v1::Account account;
  ASSERT_TRUE(accounts_->GetAccount(Context().get(), get, &account).ok());
  EXPECT_EQ(account.home_dc(), fakedc::kSeedDaveHomeDc);
  v1::GetMeRequest me;
  me.set_account("accounts/dave");
  v1::User user;
  ASSERT_TRUE(users_->GetMe(Context().get(), me, &user).ok());
}

TEST_F(ServiceTest, BotSignsInWithItsToken) {
  v1::CreateAccountRequest create;
  create.set_account_id("bot");
  create.mutable_account()->set_bot_token(fakedc::kSeedBotToken);
  v1::Account account;
  grpc::Status status = accounts_->CreateAccount(Context().get(), create, &account);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(account.kind(), v1::Account::BOT);
  EXPECT_EQ(account.state(), v1::Account::SIGNED_IN);
  EXPECT_TRUE(account.user().is_bot());
  EXPECT_TRUE(account.bot_token().empty());  // never returned

  // A token Telegram refuses leaves no account behind.
  create.set_account_id("badbot");
  create.mutable_account()->set_bot_token("1000001:AAnotARealTokenAtAll");
  status = accounts_->CreateAccount(Context().get(), create, &account);
  EXPECT_FALSE(status.ok());
  v1::GetAccountRequest get;
  get.set_name("accounts/badbot");
  EXPECT_EQ(accounts_->GetAccount(Context().get(), get, &account).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServiceTest, QrLoginAcceptedFromAnotherSession) {
  v1::CreateAccountRequest create;
  create.set_account_id("alice-qr");
  create.mutable_account()->set_phone_number("+" + std::string(fakedc::kSeedAlicePhone));
  v1::Account account;
  ASSERT_TRUE(accounts_->CreateAccount(Context().get(), create, &account).ok());
  v1::StartLoginRequest start;
  start.set_name("accounts/alice-qr");
  start.set_method(v1::StartLoginRequest::QR);
  v1::LoginState state;
  grpc::Status status = accounts_->StartLogin(Context().get(), start, &state);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(state.step(), v1::LoginState::QR_TOKEN);
  EXPECT_EQ(state.qr().url().rfind("tg://login?token=", 0), 0u);

  // Watch the login while Alice's phone (a plain MTProto connection) accepts the token.
  v1::WatchLoginRequest watch;
  watch.set_name("accounts/alice-qr");
  auto watch_context = Context();
  auto reader = accounts_->WatchLogin(watch_context.get(), watch);
  v1::LoginState seen;
  ASSERT_TRUE(reader->Read(&seen));
  EXPECT_EQ(seen.step(), v1::LoginState::QR_TOKEN);

  absl::StatusOr<std::unique_ptr<mtproto::net::ClientConnection>> phone =
      mtproto::net::ClientConnection::Create(e2e::ConnectionOptions(dc_->port(2), 77, "phone"));
  ASSERT_TRUE(phone.ok());
  ASSERT_TRUE(e2e::SignIn(**phone, *dc_, fakedc::kSeedAlicePhone).ok());
  api::auth_acceptLoginToken accept;
  accept.token = state.qr().token();
  auto accepted = e2e::Await((*phone)->Call<api::auth_acceptLoginToken>(accept));
  ASSERT_TRUE(accepted.ok()) << accepted.status();

  bool signed_in = false;
  while (reader->Read(&seen)) {
    if (seen.step() == v1::LoginState::SIGNED_IN) signed_in = true;
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_TRUE(signed_in);
  EXPECT_EQ(seen.user().first_name(), "Alice");
}

TEST_F(ServiceTest, AccountsStaySignedInAcrossARestart) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  v1::ResolvePeerRequest resolve;
  resolve.set_account("accounts/alice");
  resolve.set_query("bob_example");
  v1::ResolvePeerResponse bob;
  ASSERT_TRUE(chats_->ResolvePeer(Context().get(), resolve, &bob).ok());
  StopServer();
  StartServer();
  v1::GetMeRequest me;
  me.set_account("accounts/alice");
  v1::User user;
  grpc::Status status = users_->GetMe(Context().get(), me, &user);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(user.first_name(), "Alice");
  // The peer cache was persisted: Bob by id, with no lookup by username first.
  v1::SendMessageRequest send;
  send.set_parent(bob.chat().name());
  send.set_text("after the restart");
  v1::Message sent;
  status = messages_->SendMessage(Context().get(), send, &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
}

TEST_F(ServiceTest, LogOutEndsTheAuthorization) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  v1::LogOutRequest logout;
  logout.set_name("accounts/alice");
  v1::Account account;
  grpc::Status status = accounts_->LogOut(Context().get(), logout, &account);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(account.state(), v1::Account::LOGGED_OUT);
  v1::GetMeRequest me;
  me.set_account("accounts/alice");
  v1::User user;
  EXPECT_EQ(users_->GetMe(Context().get(), me, &user).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // And it can sign in again.
  v1::StartLoginRequest start;
  start.set_name("accounts/alice");
  v1::LoginState state;
  ASSERT_TRUE(accounts_->StartLogin(Context().get(), start, &state).ok());
  EXPECT_EQ(state.step(), v1::LoginState::CODE_SENT);
}

// A user signed in on a plain MTProto connection (as another library would be): its DC's
// permanent key as a portable session.
service::PortableSession SignedInKey(fakedc::FakeDc& dc, const std::string& phone, int dc_id,
                                     uint64_t seed) {
  std::optional<mtproto::net::StoredAuthKey> key;
  std::mutex mutex;
  mtproto::net::ClientConnectionOptions options =
      e2e::ConnectionOptions(dc.port(dc_id), seed, "library");
  options.dc_id = dc_id;
  options.on_auth_key = [&](const mtproto::net::StoredAuthKey& made) {
    std::lock_guard<std::mutex> lock(mutex);
    key = made;
  };
  service::PortableSession session;
  auto connection = mtproto::net::ClientConnection::Create(std::move(options));
  EXPECT_TRUE(connection.ok());
  if (!connection.ok()) return session;
  absl::StatusOr<tl::Ptr<api::user>> user = e2e::SignIn(**connection, dc, phone);
  EXPECT_TRUE(user.ok()) << user.status();
  connection->reset();
  std::lock_guard<std::mutex> lock(mutex);
  if (key.has_value()) {
    session.auth_key.assign(reinterpret_cast<const char*>(key->key.bytes().data()),
                            key->key.bytes().size());
  }
  session.dc_id = dc_id;
  session.host = "127.0.0.1";
  session.port = dc.port(dc_id);
  return session;
}

TEST_F(ServiceTest, ImportsAndExportsSessionStrings) {
  struct Case {
    service::SessionFormat format;
    std::string phone;
    int dc;
    std::string first_name;
  };
  const std::vector<Case> cases = {
      {service::SessionFormat::kTelethon, fakedc::kSeedAlicePhone, 2, "Alice"},
      {service::SessionFormat::kGramJs, fakedc::kSeedBobPhone, 2, "Bob"},
      {service::SessionFormat::kPyrogram, fakedc::kSeedDavePhone, fakedc::kSeedDaveHomeDc, "Dave"},
  };
  service::PortableSession session;
  for (const Case& c : cases) {
    const auto format = c.format;
    session = SignedInKey(*dc_, c.phone, c.dc, 90 + c.dc);
    ASSERT_EQ(session.auth_key.size(), 256u);
    absl::StatusOr<std::string> text = service::FormatSessionString(session, format);
    ASSERT_TRUE(text.ok());
    v1::ImportSessionRequest import;
    import.set_account_id("bob-" + std::to_string(static_cast<int>(format)));
    import.set_session_string(*text);  // format detected
    v1::Account account;
    grpc::Status status = accounts_->ImportSession(Context().get(), import, &account);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(account.state(), v1::Account::SIGNED_IN);
    EXPECT_EQ(account.user().first_name(), c.first_name);
    EXPECT_EQ(account.phone_number(), "+" + c.phone);
    EXPECT_EQ(account.home_dc(), c.dc);
    // Exported back, it is the same key.
    v1::ExportSessionRequest export_request;
    export_request.set_name(account.name());
    export_request.set_format(v1::PYROGRAM);
    v1::ExportSessionResponse exported;
    ASSERT_TRUE(accounts_->ExportSession(Context().get(), export_request, &exported).ok());
    absl::StatusOr<service::PortableSession> back =
        service::ParseSessionString(exported.session_string(), service::SessionFormat::kPyrogram);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->auth_key, session.auth_key);
    EXPECT_EQ(back->user_id, account.user().id());
    // The same key again is refused: one key, one account.
    import.set_account_id("bob-again");
    import.set_session_string(*text + "\n");
    status = accounts_->ImportSession(Context().get(), import, &account);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
    EXPECT_EQ(Reason(status), "AUTH_KEY_DUPLICATED");
  }
  // A key Telegram never saw: refused, and no account is left.
  session.auth_key = std::string(256, '\x42');
  v1::ImportSessionRequest import;
  import.set_account_id("stranger");
  import.set_format(v1::TELETHON);
  import.set_session_string(
      *service::FormatSessionString(session, service::SessionFormat::kTelethon));
  v1::Account account;
  grpc::Status status = accounts_->ImportSession(Context().get(), import, &account);
  EXPECT_FALSE(status.ok());
  v1::GetAccountRequest get;
  get.set_name("accounts/stranger");
  EXPECT_EQ(accounts_->GetAccount(Context().get(), get, &account).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // Garbage is INVALID_ARGUMENT naming the field.
  import.set_session_string("1not-a-session");
  status = accounts_->ImportSession(Context().get(), import, &account);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "session_string");
}

TEST_F(ServiceTest, WatchAccountStatusStreamsChanges) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  auto context = Context(kTokenA, 30);
  v1::AccountStatus status;
  auto reader = WatchStatus(context.get(), "accounts/alice", &status);
  EXPECT_EQ(status.state(), v1::Account::SIGNED_IN);
  ASSERT_GE(status.sessions_size(), 1);
  EXPECT_EQ(status.sessions(0).state(), "READY");
  EXPECT_EQ(status.flood_waits_size(), 0);
  // A flood wait starts: the stream shows it (the account reports it when the call earns it).
  dc_->Run([](fakedc::World& world) { world.flood().SetLimit("messages.sendMessage", {1, 60}); });
  v1::SendMessageRequest send;
  send.set_parent("accounts/alice/chats/me");
  send.set_text("x");
  v1::Message sent;
  ASSERT_TRUE(messages_->SendMessage(Context().get(), send, &sent).ok());
  EXPECT_EQ(messages_->SendMessage(Context().get(), send, &sent).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  ASSERT_TRUE(reader->Read(&status));
  ASSERT_EQ(status.flood_waits_size(), 1);
  EXPECT_EQ(status.flood_waits(0).method(), "messages.sendMessage");
  context->TryCancel();
  while (reader->Read(&status)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

// The stream follows each kind of change as the account reports it, in order: a flood wait
// starting (reported by the call), the same wait ending (at its end: no call marks it), and a
// change of state with the sessions closed (LogOut). None of it waits for a poll: there is none.
TEST_F(ServiceTest, WatchAccountStatusFollowsEachChangeInOrder) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  auto context = Context(kTokenA, 60);
  v1::AccountStatus status;
  auto reader = WatchStatus(context.get(), "accounts/alice", &status);
  EXPECT_EQ(status.state(), v1::Account::SIGNED_IN);
  EXPECT_EQ(status.flood_waits_size(), 0);

  // One call per 2 s: the second send earns a wait short enough to be waited out inside.
  dc_->Run([](fakedc::World& world) { world.flood().SetLimit("messages.sendMessage", {1, 2}); });
  v1::SendMessageRequest send;
  send.set_parent("accounts/alice/chats/me");
  send.set_text("x");
  v1::Message sent;
  ASSERT_TRUE(messages_->SendMessage(Context().get(), send, &sent).ok());
  ASSERT_TRUE(messages_->SendMessage(Context().get(), send, &sent).ok());

  // Log out once the wait is over, so that its end comes first; read every status up to the
  // log out's meanwhile.
  std::thread log_out([this] {
    v1::GetAccountStatusRequest get;
    get.set_name("accounts/alice");
    v1::AccountStatus now;
    while (accounts_->GetAccountStatus(Context().get(), get, &now).ok() &&
           now.flood_waits_size() > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    v1::LogOutRequest out;
    out.set_name("accounts/alice");
    v1::Account account;
    EXPECT_TRUE(accounts_->LogOut(Context().get(), out, &account).ok());
  });
  std::vector<v1::AccountStatus> seen;
  while (reader->Read(&status)) {
    seen.push_back(status);
    if (status.state() == v1::Account::LOGGED_OUT) break;
  }
  log_out.join();
  context->TryCancel();
  while (reader->Read(&status)) {
  }

  // A wait, then none (still signed in), then logged out: in that order.
  size_t i = 0;
  while (i < seen.size() && seen[i].flood_waits_size() == 0) ++i;
  ASSERT_LT(i, seen.size()) << "no status showed the flood wait";
  EXPECT_EQ(seen[i].flood_waits(0).method(), "messages.sendMessage");
  EXPECT_EQ(seen[i].state(), v1::Account::SIGNED_IN);
  while (i < seen.size() && seen[i].flood_waits_size() > 0) ++i;
  ASSERT_LT(i, seen.size()) << "no status showed the flood wait ending";
  EXPECT_EQ(seen[i].state(), v1::Account::SIGNED_IN);
  EXPECT_EQ(seen.back().state(), v1::Account::LOGGED_OUT);
  EXPECT_EQ(seen.back().flood_waits_size(), 0);
}

}  // namespace
}  // namespace tgrpc::service_test
