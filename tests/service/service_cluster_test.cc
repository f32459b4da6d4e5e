// Cluster mode in-process (issue 13): two tgrpcd replicas on one PostgreSQL database and one
// fakedc. Accounts spread over them (one each of two), a call to either replica's public port is
// served by the account's owner (forwarded, streams included), a new account is made wherever the
// call lands and rebalanced, an orderly shutdown hands the accounts over to the other replica,
// and fakedc never sees a key used by two replicas at once.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/fakedc/seed.h"
#include "tests/service/postgres_fixture.h"

namespace tgrpc::service_test {
namespace {

class ClusterServiceTest : public PostgresServiceTest {
 protected:
  void TearDown() override {
    second_.reset();
    PostgresServiceTest::TearDown();
  }
  void Configure(service::Config& config) override { Cluster(config, "replica-a"); }

  void Cluster(service::Config& config, const std::string& instance) {
    config.db = pg_->Conninfo("tgrpc");
    config.peer_listen = "127.0.0.1:0";
    config.advertise_host = "127.0.0.1";
    config.lease_ttl = absl::Seconds(1);
    config.instance = instance;
  }

  // A second replica on the same database and key file.
  void StartSecond() {
    service::Config config = BaseConfig(server_->config().state_dir + "-b");
    config.key_file = server_->config().key_file;
    Cluster(config, "replica-b");
    absl::StatusOr<std::unique_ptr<service::TgrpcServer>> server =
        service::TgrpcServer::Start(config, SandboxOverrides());
    ASSERT_TRUE(server.ok()) << server.status();
    second_ = *std::move(server);
    second_channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", second_->port()),
                                          grpc::InsecureChannelCredentials());
  }

  // Waits (bounded) until `done` holds.
  template <typename Done>
  bool Eventually(Done done, absl::Duration guard = absl::Seconds(15)) {
    const absl::Time end = absl::Now() + guard;
    while (absl::Now() < end) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return done();
  }

  grpc::Status GetMe(const std::shared_ptr<grpc::Channel>& channel, const std::string& id,
                     v1::User* user) {
    v1::GetMeRequest request;
    request.set_account("accounts/" + id);
    return v1::UserService::NewStub(channel)->GetMe(Context().get(), request, user);
  }

  std::unique_ptr<service::TgrpcServer> second_;
  std::shared_ptr<grpc::Channel> second_channel_;
};

TEST_F(ClusterServiceTest, AccountsSpreadCallsReachTheirOwnerAndAShutdownHandsOver) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);
  // Both were made on the only replica.
  EXPECT_EQ(server_->lease_manager()->figures().served, 2);

  StartSecond();
  ASSERT_TRUE(Eventually([&] {
    return server_->lease_manager()->figures().served == 1 &&
           second_->lease_manager()->figures().served == 1;
  })) << "no rebalance: "
      << server_->lease_manager()->figures().served << " and "
      << second_->lease_manager()->figures().served;

  // Either port serves either account (one here, one forwarded), signed in.
  for (const auto& channel : {channel_, second_channel_}) {
    for (const std::string id : {"alice", "bob"}) {
      v1::User user;
      grpc::Status status = GetMe(channel, id, &user);
      EXPECT_TRUE(status.ok()) << id << ": " << status.error_message();
      EXPECT_NE(user.id(), 0);
    }
  }
  // Errors pass through forwarding with their details: an unknown account is NOT_FOUND.
  v1::User none;
  EXPECT_EQ(GetMe(second_channel_, "nobody", &none).error_code(), grpc::StatusCode::NOT_FOUND);
  // ListAccounts on either replica lists both.
  for (const auto& channel : {channel_, second_channel_}) {
    v1::ListAccountsResponse list;
    grpc::Status status = v1::AccountService::NewStub(channel)->ListAccounts(
        Context().get(), v1::ListAccountsRequest(), &list);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(list.accounts_size(), 2);
  }

  // A stream through the replica that does not own the account: a message bob sends reaches
  // alice's stream opened on whichever replica does not serve alice.
  const bool a_serves_alice = server_->lease_manager()->EpochOf({"tenant-a", "alice"}).has_value();
  std::shared_ptr<grpc::Channel> other = a_serves_alice ? second_channel_ : channel_;
  auto stream_context = Context(kTokenA, 20);
  v1::StreamUpdatesRequest stream;
  stream.add_accounts("accounts/alice");
  stream.set_now(true);
  stream.mutable_filter()->add_kinds("new_message");
  auto reader = v1::UpdateService::NewStub(other)->StreamUpdates(stream_context.get(), stream);
  absl::SleepFor(absl::Milliseconds(300));  // the stream is open before the message is sent
  v1::SendMessageRequest send;
  send.set_parent("accounts/bob/chats/alice_example");
  send.set_text("across replicas");
  send.set_request_id("cluster-1");
  v1::Message sent;
  grpc::Status status =
      v1::MessageService::NewStub(other)->SendMessage(Context().get(), send, &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::UpdateEvent event;
  bool seen = false;
  while (!seen && reader->Read(&event)) seen = event.new_message().text() == "across replicas";
  EXPECT_TRUE(seen) << "alice's forwarded stream never had the message";
  stream_context->TryCancel();
  reader->Finish();
  // AckUpdates names its account only in the resume token: it reaches the owner too.
  v1::AckUpdatesRequest ack;
  ack.set_consumer("cluster-consumer");
  ack.set_resume_token(event.resume_token());
  v1::AckUpdatesResponse acked;
  status = v1::UpdateService::NewStub(other)->AckUpdates(Context().get(), ack, &acked);
  EXPECT_TRUE(status.ok()) << status.error_message();

  // A new account made through the second replica is served (and signed in) by someone.
  {
    v1::CreateAccountRequest create;
    create.set_account_id("carol");
    create.mutable_account()->set_phone_number(absl::StrCat("+", fakedc::kSeedCarolPhone));
    v1::Account made;
    status =
        v1::AccountService::NewStub(second_channel_)->CreateAccount(Context().get(), create, &made);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(
        server_->lease_manager()->figures().served + second_->lease_manager()->figures().served, 3);
  }

  // An orderly shutdown of the second replica hands its accounts over to the first; a stream of
  // one of them, forwarded there through the first, ends UNAVAILABLE (to be resumed), not idle.
  std::string moving;
  for (const std::string id : {"alice", "bob"}) {  // signed in (carol is not)
    if (second_->lease_manager()->EpochOf({"tenant-a", id}).has_value()) moving = id;
  }
  ASSERT_FALSE(moving.empty());
  auto moving_context = Context(kTokenA, 20);
  v1::StreamUpdatesRequest moving_stream;
  moving_stream.add_accounts("accounts/" + moving);
  moving_stream.set_now(true);
  moving_stream.mutable_checkpoint_interval()->set_nanos(100'000'000);
  auto moving_reader = updates_->StreamUpdates(moving_context.get(), moving_stream);
  ASSERT_TRUE(moving_reader->Read(&event)) << "no checkpoint";
  second_->Shutdown();
  while (moving_reader->Read(&event)) {
  }
  grpc::Status ended = moving_reader->Finish();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE) << ended.error_message();
  EXPECT_TRUE(Eventually([&] { return server_->lease_manager()->figures().served == 3; }))
      << server_->lease_manager()->figures().served;
  for (const std::string id : {"alice", "bob"}) {
    v1::User user;
    grpc::Status got;
    ASSERT_TRUE(Eventually([&] { return (got = GetMe(channel_, id, &user)).ok(); }))
        << id << ": " << got.error_message();
  }
  second_.reset();
  EXPECT_EQ(dc_->DuplicatedAuthKeys(), 0);
}

}  // namespace
}  // namespace tgrpc::service_test
