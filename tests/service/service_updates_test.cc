// UpdateService end to end against fakedc: Bob writes to Alice, and Alice's stream gets every
// message once and in order: live, from a resume token, from a named consumer's committed
// position (also after tgrpcd restarts), and across pushes fakedc drops (update gaps and
// updatesTooLong, filled with getDifference). Bad requests and another tenant are refused.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakedc/seed.h"
#include "tests/service/service_fixture.h"
#include "tgrpc/v1/update.grpc.pb.h"

namespace tgrpc::service_test {
namespace {

class UpdatesTest : public ServiceTest {
 protected:
  void Send(const std::string& from, const std::string& to_chat, const std::string& text) {
    v1::SendMessageRequest send;
    send.set_parent(absl::StrCat("accounts/", from, "/chats/", to_chat));
    send.set_text(text);
    v1::Message sent;
    grpc::Status status = messages_->SendMessage(Context().get(), send, &sent);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  struct Stream {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientReader<v1::UpdateEvent>> reader;
  };
  Stream Open(v1::StreamUpdatesRequest request, const char* token = kTokenA) {
    Stream stream;
    stream.context = Context(token, 60);
    stream.reader = updates_->StreamUpdates(stream.context.get(), request);
    return stream;
  }
  static v1::StreamUpdatesRequest MessagesOf(const std::string& account) {
    v1::StreamUpdatesRequest request;
    request.add_accounts(absl::StrCat("accounts/", account));
    request.mutable_filter()->add_kinds("new_message");
    request.mutable_checkpoint_interval()->set_seconds(1);
    return request;
  }
  // A stream opened with `now` starts where the log's head is when tgrpcd gets the call, which
  // may be after the client returned: wait for its first checkpoint before writing. The warm-up
  // message may come first (logged after the stream started).
  static void WaitUntilOpen(Stream& stream) {
    v1::UpdateEvent event;
    do {
      ASSERT_TRUE(stream.reader->Read(&event));
    } while (event.new_message().text() == "warm-up");
    ASSERT_TRUE(event.has_checkpoint()) << event.DebugString();
  }

  // The next `n` new messages' texts (checkpoints skipped), with their events.
  static std::vector<v1::UpdateEvent> Read(Stream& stream, size_t n) {
    std::vector<v1::UpdateEvent> events;
    v1::UpdateEvent event;
    while (events.size() < n) {
      if (!stream.reader->Read(&event)) {
        grpc::Status status = stream.reader->Finish();
        ADD_FAILURE() << "the stream ended after " << events.size() << " of " << n
                      << " events: " << status.error_code() << " " << status.error_message();
        break;
      }
      // The warm-up message may land before or after a stream that starts `now`.
      if (event.has_checkpoint() || event.new_message().text() == "warm-up") continue;
      events.push_back(event);
    }
    return events;
  }
  static std::vector<std::string> Texts(const std::vector<v1::UpdateEvent>& events) {
    std::vector<std::string> texts;
    for (const auto& e : events) texts.push_back(e.new_message().text());
    return texts;
  }
};

TEST_F(UpdatesTest, StreamsResumesAndCommitsPositions) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);
  Send("bob", "alice_example", "warm-up");  // Bob learns Alice; a stream may see it or not
  v1::StreamUpdatesRequest live = MessagesOf("alice");
  live.set_now(true);
  Stream stream = Open(live);
  WaitUntilOpen(stream);
  for (int i = 1; i <= 5; ++i) Send("bob", "alice_example", absl::StrCat("m", i));
  std::vector<v1::UpdateEvent> events = Read(stream, 5);
  ASSERT_EQ(Texts(events), (std::vector<std::string>{"m1", "m2", "m3", "m4", "m5"}));
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_GT(events[i].position(), events[i - 1].position());
  }
  EXPECT_EQ(events[0].account(), "accounts/alice");
  EXPECT_FALSE(events[0].new_message().outgoing());
  // The sender comes with the event.
  ASSERT_GE(events[0].users_size(), 1);
  bool bob_there = false;
  for (const auto& user : events[0].users()) bob_there |= user.username() == "bob_example";
  EXPECT_TRUE(bob_there);
  stream.context->TryCancel();

  // From the token of m2: m3 comes next.
  v1::StreamUpdatesRequest resume = MessagesOf("alice");
  resume.set_resume_token(events[1].resume_token());
  Stream resumed = Open(resume);
  EXPECT_EQ(Texts(Read(resumed, 3)), (std::vector<std::string>{"m3", "m4", "m5"}));
  resumed.context->TryCancel();

  // A named consumer commits m3; its next stream starts at m4, also after a restart.
  v1::AckUpdatesRequest ack;
  ack.set_consumer("billing");
  ack.set_resume_token(events[2].resume_token());
  v1::AckUpdatesResponse acked;
  grpc::Status status = updates_->AckUpdates(Context().get(), ack, &acked);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(acked.positions_size(), 1);
  EXPECT_EQ(acked.positions(0).position(), events[2].position());
  // An older token does not move it back.
  ack.set_resume_token(events[0].resume_token());
  ASSERT_TRUE(updates_->AckUpdates(Context().get(), ack, &acked).ok());
  EXPECT_EQ(acked.positions(0).position(), events[2].position());

  v1::StreamUpdatesRequest consumer = MessagesOf("alice");
  consumer.set_consumer("billing");
  Stream consumed = Open(consumer);
  EXPECT_EQ(Texts(Read(consumed, 2)), (std::vector<std::string>{"m4", "m5"}));
  consumed.context->TryCancel();

  v1::GetUpdateStateRequest get;
  get.set_account("accounts/alice");
  v1::UpdateLogState state;
  ASSERT_TRUE(updates_->GetUpdateState(Context().get(), get, &state).ok());
  EXPECT_GE(state.head_position(), events[4].position());
  EXPECT_GT(state.pts(), 0);
  ASSERT_EQ(state.consumers_size(), 1);
  EXPECT_EQ(state.consumers(0).consumer(), "billing");
  EXPECT_EQ(state.consumers(0).lag(), state.head_position() - events[2].position());

  StopServer();
  StartServer();
  Stream after_restart = Open(consumer);
  EXPECT_EQ(Texts(Read(after_restart, 2)), (std::vector<std::string>{"m4", "m5"}));
  after_restart.context->TryCancel();
}

TEST_F(UpdatesTest, DroppedPushesAreFilledWithGetDifference) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);
  Send("bob", "alice_example", "warm-up");
  v1::StreamUpdatesRequest live = MessagesOf("alice");
  live.set_now(true);
  Stream stream = Open(live);
  WaitUntilOpen(stream);
  fakedc::FaultOptions faults;
  faults.update_gaps = 3;
  dc_->SetFaults(faults);
  std::vector<std::string> sent;
  for (int i = 0; i < 8; ++i) {
    sent.push_back(absl::StrCat("gap", i));
    Send("bob", "alice_example", sent.back());
  }
  EXPECT_EQ(Texts(Read(stream, 8)), sent);

  faults = {};
  faults.updates_too_long = 1;
  dc_->SetFaults(faults);
  std::vector<std::string> more;
  for (int i = 0; i < 3; ++i) {
    more.push_back(absl::StrCat("long", i));
    Send("bob", "alice_example", more.back());
  }
  EXPECT_EQ(Texts(Read(stream, 3)), more);
  stream.context->TryCancel();
}

TEST_F(UpdatesTest, IdleStreamsGetCheckpointsThatResume) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  v1::StreamUpdatesRequest request = MessagesOf("alice");
  request.set_now(true);
  request.mutable_checkpoint_interval()->set_seconds(0);
  request.mutable_checkpoint_interval()->set_nanos(200'000'000);
  Stream stream = Open(request);
  v1::UpdateEvent event;
  ASSERT_TRUE(stream.reader->Read(&event));
  EXPECT_TRUE(event.has_checkpoint());
  EXPECT_FALSE(event.resume_token().empty());
  stream.context->TryCancel();
  // The checkpoint's token is a valid start.
  v1::StreamUpdatesRequest resume = MessagesOf("alice");
  resume.set_resume_token(event.resume_token());
  Stream resumed = Open(resume);
  v1::UpdateEvent next;
  ASSERT_TRUE(resumed.reader->Read(&next));
  EXPECT_TRUE(next.has_checkpoint());
  resumed.context->TryCancel();
}

TEST_F(UpdatesTest, BadRequestsAndOtherTenantsAreRefused) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  auto status_of = [&](v1::StreamUpdatesRequest request, const char* token = kTokenA) {
    Stream stream = Open(std::move(request), token);
    v1::UpdateEvent event;
    while (stream.reader->Read(&event)) {
    }
    return stream.reader->Finish();
  };
  v1::StreamUpdatesRequest none;
  EXPECT_EQ(BadField(status_of(none)), "accounts");
  v1::StreamUpdatesRequest kind = MessagesOf("alice");
  kind.mutable_filter()->add_kinds("no_such_kind");
  EXPECT_EQ(BadField(status_of(kind)), "filter.kinds");
  v1::StreamUpdatesRequest token = MessagesOf("alice");
  token.set_resume_token("not a token");
  EXPECT_EQ(BadField(status_of(token)), "resume_token");
  v1::StreamUpdatesRequest consumer = MessagesOf("alice");
  consumer.set_consumer("bad name!");
  EXPECT_EQ(BadField(status_of(consumer)), "consumer");
  v1::StreamUpdatesRequest interval = MessagesOf("alice");
  interval.mutable_checkpoint_interval()->set_seconds(0);
  interval.mutable_checkpoint_interval()->set_nanos(1000);
  EXPECT_EQ(BadField(status_of(interval)), "checkpoint_interval");
  // Tenant B does not see tenant A's account.
  EXPECT_EQ(status_of(MessagesOf("alice"), kTokenB).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::GetUpdateStateRequest get;
  get.set_account("accounts/alice");
  v1::UpdateLogState state;
  EXPECT_EQ(updates_->GetUpdateState(Context(kTokenB).get(), get, &state).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::AckUpdatesRequest ack;
  ack.set_consumer("c");
  ack.set_resume_token("garbage");
  v1::AckUpdatesResponse acked;
  EXPECT_EQ(BadField(updates_->AckUpdates(Context().get(), ack, &acked)), "resume_token");
}

}  // namespace
}  // namespace tgrpc::service_test
