// tgrpcd on PostgreSQL (`db` a libpq connection string) end to end, against a real server the
// test starts (service/storage/postgres_test_server.h): accounts sign in, send and read messages,
// stream updates, and after a restart of tgrpcd everything is there without signing in again
// (keys, peers, the update log and consumer positions all live in the database).
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/fakedc/seed.h"
#include "tests/service/postgres_fixture.h"

namespace tgrpc::service_test {
namespace {

TEST_F(PostgresServiceTest, SignsInSendsReadsAndKeepsItAllAcrossARestart) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);
  v1::SendMessageRequest send;
  send.set_parent("accounts/bob/chats/alice_example");
  send.set_text("hello from PostgreSQL");
  send.set_request_id("pg-hello");
  v1::Message sent;
  grpc::Status status = messages_->SendMessage(Context().get(), send, &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // Alice's update log has the message; a named consumer acks it.
  v1::StreamUpdatesRequest stream_request;
  stream_request.add_accounts("accounts/alice");
  stream_request.set_oldest(true);
  stream_request.set_consumer("pg-consumer");
  stream_request.mutable_filter()->add_kinds("new_message");
  std::string token;
  {
    auto context = Context(kTokenA, 10);
    auto reader = updates_->StreamUpdates(context.get(), stream_request);
    v1::UpdateEvent event;
    while (reader->Read(&event)) {
      if (event.new_message().text() == "hello from PostgreSQL") {
        token = event.resume_token();
        break;
      }
    }
    context->TryCancel();
  }
  ASSERT_FALSE(token.empty()) << "the message never reached alice's update log";
  v1::AckUpdatesRequest ack;
  ack.set_consumer("pg-consumer");
  ack.set_resume_token(token);
  v1::AckUpdatesResponse acked;
  status = updates_->AckUpdates(Context().get(), ack, &acked);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // A new tgrpcd on the same database: signed in, the message readable, the consumer's position
  // kept (nothing before the ack is delivered again).
  StopServer();
  StartServer();
  v1::GetAccountRequest get;
  get.set_name("accounts/alice");
  v1::Account account;
  status = accounts_->GetAccount(Context().get(), get, &account);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(account.state(), v1::Account::SIGNED_IN);
  v1::GetMessagesRequest messages;
  messages.set_parent("accounts/bob/chats/alice_example");
  messages.add_ids(sent.id());
  v1::GetMessagesResponse got;
  status = messages_->GetMessages(Context().get(), messages, &got);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(got.messages_size(), 1);
  EXPECT_EQ(got.messages(0).text(), "hello from PostgreSQL");

  send.set_text("second, after the restart");
  send.set_request_id("pg-second");
  status = messages_->SendMessage(Context().get(), send, &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::StreamUpdatesRequest resume;
  resume.add_accounts("accounts/alice");
  resume.set_consumer("pg-consumer");
  resume.mutable_filter()->add_kinds("new_message");
  auto context = Context(kTokenA, 10);
  auto reader = updates_->StreamUpdates(context.get(), resume);
  v1::UpdateEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.new_message().text(), "second, after the restart")
      << "the consumer's acked position was not kept";
  context->TryCancel();
}

}  // namespace
}  // namespace tgrpc::service_test
