// The service's guards, RPC by RPC: a second tenant's token never reaches the first tenant's
// accounts (NOT_FOUND, the same as an account that does not exist; each tenant has its own
// account ids, so it may have an account of the same name), a missing or unknown token
// is UNAUTHENTICATED, and bad input (empty, oversized, malformed and wrong-type fields and names)
// is INVALID_ARGUMENT naming the field, or NOT_FOUND, while the process stays up.
#include <string>
#include <vector>

#include "tests/service/guard_fixture.h"

namespace tgrpc::service_test {
namespace {

TEST_F(GuardTest, AnotherTenantNeverReachesTheAccount) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  const int checked = ExpectOtherTenantNotFound(Rpcs(), [](size_t) { return "accounts/alice"; });
  // And tenant B's list does not show it.
  v1::ListAccountsRequest list;
  v1::ListAccountsResponse listed;
  ASSERT_TRUE(accounts_->ListAccounts(Context(kTokenB).get(), list, &listed).ok());
  EXPECT_EQ(listed.accounts_size(), 0);
  ASSERT_TRUE(accounts_->ListAccounts(Context(kTokenA).get(), list, &listed).ok());
  EXPECT_EQ(listed.accounts_size(), 1);
  EXPECT_EQ(checked, 47);
  ExpectStillServing();  // tenant B's DeleteAccount and LogOut did nothing
}

// Account ids are per tenant: tenant B's CreateAccount of an id tenant A has is not ALREADY_EXISTS
// (which would tell B that A has it); B gets an account of its own, and the two never meet.
TEST_F(GuardTest, EachTenantHasItsOwnAccountIds) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("alice", fakedc::kSeedBobPhone, "", kTokenB);

  auto me = [this](const char* token) {
    v1::GetMeRequest request;
    request.set_account("accounts/alice");
    v1::User user;
    grpc::Status status = users_->GetMe(Context(token).get(), request, &user);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return user;
  };
  const int64_t alice = me(kTokenA).id();
  const int64_t bob = me(kTokenB).id();
  EXPECT_NE(alice, 0);
  EXPECT_NE(bob, 0);
  EXPECT_NE(alice, bob);
  EXPECT_EQ(me(kTokenA).phone_number(), fakedc::kSeedAlicePhone);
  EXPECT_EQ(me(kTokenB).phone_number(), fakedc::kSeedBobPhone);

  // Each sends to its own saved messages; each lists only its own.
  for (const char* token : {kTokenA, kTokenB}) {
    v1::SendMessageRequest send;
    send.set_parent("accounts/alice/chats/me");
    send.set_text(std::string("from ") + (token == kTokenA ? "A" : "B"));
    v1::Message sent;
    ASSERT_TRUE(messages_->SendMessage(Context(token).get(), send, &sent).ok());
    EXPECT_EQ(sent.sender_id(), token == kTokenA ? alice : bob);
  }
  for (const char* token : {kTokenA, kTokenB}) {
    v1::ListMessagesRequest list;
    list.set_parent("accounts/alice/chats/me");
    v1::ListMessagesResponse listed;
    ASSERT_TRUE(messages_->ListMessages(Context(token).get(), list, &listed).ok());
    ASSERT_GE(listed.messages_size(), 1);
    EXPECT_EQ(listed.messages(0).text(), std::string("from ") + (token == kTokenA ? "A" : "B"));
    for (const v1::Message& message : listed.messages()) {
      EXPECT_EQ(message.sender_id(), token == kTokenA ? alice : bob);
    }
  }

  // Within one tenant an id is still taken once.
  v1::CreateAccountRequest again;
  again.set_account_id("alice");
  again.mutable_account()->set_phone_number(std::string("+") + fakedc::kSeedCarolPhone);
  v1::Account created;
  EXPECT_EQ(accounts_->CreateAccount(Context(kTokenB).get(), again, &created).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  // Both come back after a restart, each with its tenant, keys and peers.
  StopServer();
  StartServer();
  EXPECT_EQ(me(kTokenA).id(), alice);
  EXPECT_EQ(me(kTokenB).id(), bob);
  for (const char* token : {kTokenA, kTokenB}) {
    v1::ListAccountsRequest list;
    v1::ListAccountsResponse listed;
    ASSERT_TRUE(accounts_->ListAccounts(Context(token).get(), list, &listed).ok());
    ASSERT_EQ(listed.accounts_size(), 1);
    EXPECT_EQ(listed.accounts(0).name(), "accounts/alice");
    EXPECT_EQ(listed.accounts(0).user().id(), token == kTokenA ? alice : bob);
  }

  // Deleting B's leaves A's signed in and working.
  v1::DeleteAccountRequest remove;
  remove.set_name("accounts/alice");
  google::protobuf::Empty empty;
  ASSERT_TRUE(accounts_->DeleteAccount(Context(kTokenB).get(), remove, &empty).ok());
  v1::GetAccountRequest get;
  get.set_name("accounts/alice");
  v1::Account account;
  EXPECT_EQ(accounts_->GetAccount(Context(kTokenB).get(), get, &account).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(accounts_->GetAccount(Context(kTokenA).get(), get, &account).ok());
  EXPECT_EQ(account.state(), v1::Account::SIGNED_IN);
  EXPECT_EQ(me(kTokenA).id(), alice);
}

TEST_F(GuardTest, MissingOrUnknownTokenIsUnauthenticated) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  ExpectUnauthenticated(Rpcs(), "accounts/alice");
  ExpectStillServing();
}

TEST_F(GuardTest, MalformedNamesAreInvalidArgumentOrNotFound) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  const std::vector<std::string> bad = {
      "",
      "accounts/",
      "accounts/Alice",
      "accounts/alice/",
      "account/alice",
      "accounts/-alice",
      "accounts/" + std::string(100, 'a'),
      std::string(100000, 'x'),
      std::string("accounts/ali\0ce", 15),
      "accounts/alice/../bob",
  };
  EXPECT_EQ(ExpectMalformedNamesRejected(Rpcs(), bad), 47 * 10);
  ExpectStillServing();
}

TEST_F(GuardTest, RequestThatDoesNotParseIsInvalidArgument) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  ExpectUnparsableRejected(Rpcs());
  // Raw bytes, as a caller in another language can send them.
  grpc::GenericStub generic(channel_);
  auto call = [&](const std::string& method, const std::string& payload) {
    grpc::Slice slice(payload);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    auto context = Context();
    generic.UnaryCall(context.get(), "/tgrpc.v1.AccountService/" + method, grpc::StubOptions(),
                      &request, &response, [&done](grpc::Status s) { done.set_value(s); });
    return done.get_future().get();
  };
  // A name with a lone continuation byte; a message cut short (field 1 says 32 bytes, 3 follow).
  const std::string bad_name(
      "\x0a\x0b"
      "accounts/\x80x",
      13);
  const std::string cut_short(
      "\x0a\x20"
      "abc",
      5);
  for (const std::string& payload : {bad_name, cut_short}) {
    grpc::Status status = call("GetAccount", payload);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << testing::PrintToString(payload) << ": " << status.error_message();
    EXPECT_EQ(Reason(status), "REQUEST_UNPARSABLE");
  }
  // A method tgrpcd does not have is still UNIMPLEMENTED.
  EXPECT_EQ(call("NoSuchMethod", std::string("\x0a\x0e"
                                             "accounts/alice",
                                             16))
                .error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  ExpectStillServing();
}

}  // namespace
}  // namespace tgrpc::service_test
