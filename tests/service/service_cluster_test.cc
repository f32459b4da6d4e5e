// Cluster mode in-process (issue 13): two tgrpcd replicas on one PostgreSQL database and one
// fakedc. Accounts spread over them (one each of two), a call to either replica's public port is
// served by the account's owner (forwarded, streams included), a new account is made wherever the
// call lands and rebalanced, an orderly shutdown hands the accounts over to the other replica,
// and fakedc never sees a key used by two replicas at once.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

// A StreamUpdates over accounts served by different replicas: one stream, merged from each
// owner's, with tokens that cover both accounts; its token resumes through the other replica
// with nothing lost or repeated, and AckUpdates of such a token commits at both owners. (And a
// retried CreateAccount that names no account answers the account its first try made.)
TEST_F(ClusterServiceTest, OneStreamOverAccountsOfTwoReplicasResumesAnywhere) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);
  StartSecond();
  ASSERT_TRUE(Eventually([&] {
    return server_->lease_manager()->figures().served == 1 &&
           second_->lease_manager()->figures().served == 1;
  }));
  v1::StreamUpdatesRequest request;
  request.add_accounts("accounts/alice");
  request.add_accounts("accounts/bob");
  request.set_now(true);
  request.mutable_filter()->add_kinds("new_message");
  request.mutable_checkpoint_interval()->set_nanos(100'000'000);
  auto context = Context(kTokenA, 20);
  auto reader = updates_->StreamUpdates(context.get(), request);
  v1::UpdateEvent event;
  ASSERT_TRUE(reader->Read(&event)) << "no checkpoint";
  ASSERT_TRUE(event.has_checkpoint());

  // Three messages between them: each is an event of both accounts.
  const std::vector<std::pair<std::string, std::string>> sends = {
      {"alice", "bob_example"}, {"bob", "alice_example"}, {"alice", "bob_example"}};
  for (size_t i = 0; i < sends.size(); ++i) {
    v1::SendMessageRequest send;
    send.set_parent(absl::StrCat("accounts/", sends[i].first, "/chats/", sends[i].second));
    send.set_text(absl::StrCat("merged ", i));
    send.set_request_id(absl::StrCat("merged-", i));
    v1::Message sent;
    grpc::Status status =
        v1::MessageService::NewStub(channel_)->SendMessage(Context().get(), send, &sent);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  // (account, text) of each event in the order delivered, and the token after each.
  std::vector<std::string> delivered;
  std::vector<std::string> tokens;
  while (delivered.size() < 6 && reader->Read(&event)) {
    if (event.has_checkpoint()) continue;
    delivered.push_back(absl::StrCat(event.account(), " ", event.new_message().text()));
    tokens.push_back(event.resume_token());
  }
  context->TryCancel();
  reader->Finish();
  ASSERT_EQ(delivered.size(), 6u) << absl::StrJoin(delivered, ", ");
  for (const char* text : {"merged 0", "merged 1", "merged 2"}) {
    for (const char* account : {"accounts/alice", "accounts/bob"}) {
      EXPECT_EQ(std::count(delivered.begin(), delivered.end(), absl::StrCat(account, " ", text)), 1)
          << account << " " << text;
    }
  }
  for (const std::string& token : tokens) {
    std::string decoded;
    ASSERT_TRUE(absl::WebSafeBase64Unescape(token, &decoded));
    EXPECT_TRUE(absl::StrContains(decoded, "alice=") && absl::StrContains(decoded, "bob="))
        << decoded;
  }

  // From the second event's token, through the other replica: the last four, each once.
  request.set_resume_token(tokens[1]);
  auto resumed_context = Context(kTokenA, 20);
  auto resumed =
      v1::UpdateService::NewStub(second_channel_)->StreamUpdates(resumed_context.get(), request);
  std::vector<std::string> rest;
  int checkpoints = 0;
  // Until two checkpoints in a row: everything retained after the token has come by then.
  while (checkpoints < 2 && resumed->Read(&event)) {
    if (event.has_checkpoint()) {
      ++checkpoints;
      continue;
    }
    checkpoints = 0;
    rest.push_back(absl::StrCat(event.account(), " ", event.new_message().text()));
  }
  resumed_context->TryCancel();
  resumed->Finish();
  std::vector<std::string> expected(delivered.begin() + 2, delivered.end());
  std::sort(expected.begin(), expected.end());
  std::sort(rest.begin(), rest.end());
  EXPECT_EQ(rest, expected);

  // The last token commits both accounts' positions, each at its owner.
  v1::AckUpdatesRequest ack;
  ack.set_consumer("merged-consumer");
  ack.set_resume_token(tokens.back());
  v1::AckUpdatesResponse acked;
  grpc::Status status = updates_->AckUpdates(Context().get(), ack, &acked);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::string last;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(tokens.back(), &last));
  ASSERT_EQ(acked.positions_size(), 2);
  for (const v1::ConsumerPosition& position : acked.positions()) {
    const std::string id = position.account().substr(position.account().rfind('/') + 1);
    EXPECT_TRUE(absl::StrContains(absl::StrCat("&", last, "&"),
                                  absl::StrCat("&", id, "=", position.position(), "&")))
        << position.account() << " committed " << position.position() << ", token " << last;
    // And its owner has it: GetUpdateState (forwarded) lists the consumer there.
    v1::GetUpdateStateRequest get;
    get.set_account(position.account());
    v1::UpdateLogState state;
    status =
        v1::UpdateService::NewStub(second_channel_)->GetUpdateState(Context().get(), get, &state);
    ASSERT_TRUE(status.ok()) << status.error_message();
    bool listed = false;
    for (const v1::ConsumerPosition& c : state.consumers()) {
      listed |= c.consumer() == "merged-consumer" && c.position() == position.position();
    }
    EXPECT_TRUE(listed) << position.account();
  }

  // A CreateAccount that names no account, retried through the other replica with the same
  // request_id (as a caller does after a lost answer): the account the first try made.
  v1::CreateAccountRequest unnamed;
  unnamed.mutable_account()->set_phone_number(absl::StrCat("+", fakedc::kSeedDavePhone));
  unnamed.set_request_id("unnamed-create");
  v1::Account first, retried;
  status = v1::AccountService::NewStub(channel_)->CreateAccount(Context().get(), unnamed, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  status = v1::AccountService::NewStub(second_channel_)
               ->CreateAccount(Context().get(), unnamed, &retried);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(retried.name(), first.name());
  EXPECT_EQ(server_->lease_manager()->figures().served + second_->lease_manager()->figures().served,
            3);
  EXPECT_EQ(dc_->DuplicatedAuthKeys(), 0);
}

}  // namespace
}  // namespace tgrpc::service_test
