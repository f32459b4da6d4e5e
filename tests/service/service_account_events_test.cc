// UpdateService end to end against fakedc, for what is not a Telegram message: an account's own
// state changes reach its update streams as account_state events (a logout, a new login step by
// step, Telegram revoking the authorization), a stream goes on with the new sign-in's updates,
// and a channel post made while tgrpcd was down reaches the log after its catch-up (fakedc's
// difference names the channel with updateChannelTooLong; tgrpcd asks getChannelDifference).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakedc/seed.h"
#include "tests/fakedc/test_posting.h"
#include "tests/service/service_fixture.h"
#include "tgrpc/v1/update.grpc.pb.h"

namespace tgrpc::service_test {
namespace {

class AccountEventsTest : public ServiceTest {
 protected:
  struct Stream {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientReader<v1::UpdateEvent>> reader;
  };
  Stream Open(const v1::StreamUpdatesRequest& request, int seconds = 60) {
    Stream stream;
    stream.context = Context(kTokenA, seconds);
    stream.reader = updates_->StreamUpdates(stream.context.get(), request);
    return stream;
  }
  static v1::StreamUpdatesRequest Request(std::vector<std::string> kinds) {
    v1::StreamUpdatesRequest request;
    request.add_accounts("accounts/alice");
    for (const std::string& kind : kinds) request.mutable_filter()->add_kinds(kind);
    request.mutable_checkpoint_interval()->set_seconds(1);
    return request;
  }
  // A stream opened with `now` starts where the log's head is when tgrpcd gets the call: wait
  // for its first checkpoint before changing anything.
  static void WaitUntilOpen(Stream& stream) {
    v1::UpdateEvent event;
    do {
      ASSERT_TRUE(stream.reader->Read(&event));
    } while (!event.has_checkpoint());
  }
  // The next event that is not a checkpoint (an empty one if the stream ends).
  static v1::UpdateEvent Next(Stream& stream) {
    v1::UpdateEvent event;
    while (stream.reader->Read(&event)) {
      if (!event.has_checkpoint()) return event;
    }
    grpc::Status status = stream.reader->Finish();
    ADD_FAILURE() << "the stream ended: " << status.error_code() << " " << status.error_message();
    return v1::UpdateEvent();
  }
  static std::string ChangeOf(const v1::UpdateEvent& event) {
    if (!event.has_account_state()) return absl::StrCat("not account_state: ", event.DebugString());
    return v1::AccountStateChange::Change_Name(event.account_state().change());
  }
};

TEST_F(AccountEventsTest, LogoutAndANewLoginAreEventsAndTheStreamGoesOn) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);
  v1::StreamUpdatesRequest request = Request({"account_state", "new_message"});
  request.set_now(true);
  Stream stream = Open(request);
  WaitUntilOpen(stream);

  v1::LogOutRequest logout;
  logout.set_name("accounts/alice");
  v1::Account account;
  grpc::Status status = accounts_->LogOut(Context().get(), logout, &account);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::UpdateEvent out = Next(stream);
  ASSERT_EQ(ChangeOf(out), "LOGGED_OUT");
  EXPECT_EQ(out.account(), "accounts/alice");
  EXPECT_EQ(out.account_state().state(), v1::Account::LOGGED_OUT);
  EXPECT_EQ(out.position(), 0);  // live only: not an entry of the log
  EXPECT_FALSE(out.resume_token().empty());
  EXPECT_GT(out.time().seconds(), 0);

  v1::StartLoginRequest start;
  start.set_name("accounts/alice");
  v1::LoginState state;
  status = accounts_->StartLogin(Context().get(), start, &state);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ChangeOf(Next(stream)), "LOGIN_STARTED");
  v1::UpdateEvent step = Next(stream);
  ASSERT_EQ(ChangeOf(step), "LOGIN_STEP");
  EXPECT_EQ(step.account_state().login_step(), v1::LoginState::CODE_SENT);
  EXPECT_EQ(step.account_state().state(), v1::Account::LOGIN_IN_PROGRESS);
  v1::SubmitCodeRequest code;
  code.set_name("accounts/alice");
  code.set_code(LastCode(fakedc::kSeedAlicePhone));
  status = accounts_->SubmitCode(Context().get(), code, &state);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::UpdateEvent in = Next(stream);
  ASSERT_EQ(ChangeOf(in), "SIGNED_IN");
  EXPECT_EQ(in.account_state().state(), v1::Account::SIGNED_IN);

  // The same stream now reads the new sign-in's updates.
  v1::SendMessageRequest send;
  send.set_parent("accounts/bob/chats/alice_example");
  send.set_text("welcome back");
  v1::Message sent;
  status = messages_->SendMessage(Context().get(), send, &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::UpdateEvent message = Next(stream);
  ASSERT_TRUE(message.has_new_message()) << message.DebugString();
  EXPECT_EQ(message.new_message().text(), "welcome back");
  EXPECT_GT(message.position(), 0);
  stream.context->TryCancel();
}

TEST_F(AccountEventsTest, TelegramRevokingTheAuthorizationIsAnEvent) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  // Only account_state events (and checkpoints) pass; a chat filter does not hold them back.
  v1::StreamUpdatesRequest request = Request({"account_state"});
  request.mutable_filter()->add_chats("777000");
  request.set_now(true);
  Stream stream = Open(request);
  WaitUntilOpen(stream);

  // "Terminate all sessions" on another device: tgrpcd learns it from its next call.
  dc_->Run([](fakedc::World& world) {
    world.SignOutEverywhere(world.FindUserByPhone(fakedc::kSeedAlicePhone)->id);
  });
  v1::GetMeRequest me;
  me.set_account("accounts/alice");
  v1::User user;
  EXPECT_EQ(users_->GetMe(Context().get(), me, &user).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::UpdateEvent revoked = Next(stream);
  ASSERT_EQ(ChangeOf(revoked), "REVOKED");
  EXPECT_EQ(revoked.account_state().state(), v1::Account::REVOKED);
  EXPECT_EQ(revoked.account_state().reason(), "AUTH_KEY_UNREGISTERED");
  EXPECT_EQ(revoked.account(), "accounts/alice");
  stream.context->TryCancel();
}

TEST_F(AccountEventsTest, AChannelPostMadeWhileTgrpcdWasDownIsCaughtUp) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  absl::StatusOr<std::unique_ptr<fakedc::TestPoster>> bob =
      fakedc::TestPoster::SignIn(*dc_, fakedc::kSeedBobPhone);
  ASSERT_TRUE(bob.ok()) << bob.status();
  absl::StatusOr<fakedc::PeerRef> channel =
      (*bob)->CreateChannel("away news", {fakedc::kSeedAlicePhone}, /*megagroup=*/false);
  ASSERT_TRUE(channel.ok()) << channel.status();
  v1::StreamUpdatesRequest request = Request({"new_message"});
  request.set_now(true);
  Stream stream = Open(request);
  WaitUntilOpen(stream);
  // Seen live: tgrpcd knows the channel's pts from here.
  ASSERT_TRUE((*bob)->Send(*channel, "before").ok());
  v1::UpdateEvent before = Next(stream);
  ASSERT_EQ(before.new_message().text(), "before") << before.DebugString();
  stream.context->TryCancel();

  StopServer();
  ASSERT_TRUE((*bob)->Send(*channel, "while away").ok());
  StartServer();
  // Nothing else happens in the channel or to Alice: only the catch-up can find the post.
  v1::StreamUpdatesRequest resume = Request({"new_message"});
  resume.set_resume_token(before.resume_token());
  Stream resumed = Open(resume, /*seconds=*/20);
  v1::UpdateEvent away = Next(resumed);
  EXPECT_EQ(away.new_message().text(), "while away") << away.DebugString();
  EXPECT_EQ(away.new_message().chat_id(), before.new_message().chat_id());
  resumed.context->TryCancel();
}

}  // namespace
}  // namespace tgrpc::service_test
