// Forum topics end to end against fakedc: Alice makes a forum supergroup with Bob in it, creates
// and edits topics and posts in them; Bob's UpdateService stream gets each topic change as a
// forum_topic event and the posts as new_message events naming their topic. tgrpc has no RPC
// that makes a forum or a topic yet, so those steps go through RawService.InvokeJson.
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakedc/seed.h"
#include "tests/service/service_fixture.h"
#include "tgrpc/v1/raw.grpc.pb.h"
#include "tgrpc/v1/update.grpc.pb.h"

namespace tgrpc::service_test {
namespace {

// The first `"field": "digits"` (or unquoted) value of a JSON text, "" if none.
std::string JsonNumber(const std::string& json, const std::string& field) {
  std::smatch match;
  const std::regex pattern("\"" + field + "\":\\s*\"?(-?[0-9]+)");
  return std::regex_search(json, match, pattern) ? match[1].str() : "";
}

class ForumTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    raw_ = v1::RawService::NewStub(channel_);
  }

  grpc::Status Invoke(const std::string& account, const std::string& json, std::string* result) {
    v1::InvokeJsonRequest request;
    request.set_account(absl::StrCat("accounts/", account));
    request.set_query_json(json);
    v1::InvokeJsonResponse response;
    grpc::Status status = raw_->InvokeJson(Context().get(), request, &response);
    if (result != nullptr) *result = response.result_json();
    return status;
  }

  // The chat titled `title` in the account's dialogs (which fills its peer cache).
  v1::Chat DialogTitled(const std::string& account, const std::string& title) {
    v1::ListChatsRequest list;
    list.set_account(absl::StrCat("accounts/", account));
    v1::ListChatsResponse listed;
    grpc::Status status = chats_->ListChats(Context().get(), list, &listed);
    EXPECT_TRUE(status.ok()) << status.error_message();
    for (const v1::Dialog& dialog : listed.dialogs()) {
      if (dialog.chat().title() == title) return dialog.chat();
    }
    ADD_FAILURE() << account << " has no dialog " << title;
    return v1::Chat();
  }

  // The next event that is not a checkpoint.
  static v1::UpdateEvent Next(grpc::ClientReader<v1::UpdateEvent>& reader) {
    v1::UpdateEvent event;
    while (reader.Read(&event)) {
      if (!event.has_checkpoint()) return event;
    }
    ADD_FAILURE() << "the stream ended";
    return event;
  }

  std::unique_ptr<v1::RawService::Stub> raw_;
};

TEST_F(ForumTest, AMembersStreamGetsTopicChangesAndPostsInTopics) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);
  std::string created;
  grpc::Status status = Invoke("alice",
                               R"({"_": "channels.createChannel", "megagroup": true, "forum": true,
                                   "title": "Team forum", "about": ""})",
                               &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::string channel_id = JsonNumber(created, "id");
  const std::string access_hash = JsonNumber(created, "access_hash");
  ASSERT_FALSE(channel_id.empty()) << created;
  ASSERT_FALSE(access_hash.empty()) << created;
  const v1::Chat forum = DialogTitled("alice", "Team forum");
  EXPECT_TRUE(forum.is_forum());
  v1::AddChatMembersRequest add;
  add.set_parent(forum.name());
  add.add_users("accounts/alice/users/bob_example");
  v1::AddChatMembersResponse added;
  status = chats_->AddChatMembers(Context().get(), add, &added);
  ASSERT_TRUE(status.ok()) << status.error_message();
  DialogTitled("bob", "Team forum");

  v1::StreamUpdatesRequest request;
  request.add_accounts("accounts/bob");
  request.mutable_filter()->add_kinds("forum_topic");
  request.mutable_filter()->add_kinds("new_message");
  request.mutable_checkpoint_interval()->set_seconds(1);
  request.set_now(true);
  std::unique_ptr<grpc::ClientContext> context = Context(kTokenA, 60);
  std::unique_ptr<grpc::ClientReader<v1::UpdateEvent>> reader =
      updates_->StreamUpdates(context.get(), request);
  // A stream from `now` starts when tgrpcd takes the call: wait for its first checkpoint.
  v1::UpdateEvent first;
  ASSERT_TRUE(reader->Read(&first));
  ASSERT_TRUE(first.has_checkpoint()) << first.DebugString();

  const std::string peer = absl::StrCat(R"({"_": "inputPeerChannel", "channel_id": ")", channel_id,
                                        R"(", "access_hash": ")", access_hash, R"("})");
  std::string topic_json;
  status = Invoke("alice",
                  absl::StrCat(R"({"_": "messages.createForumTopic", "peer": )", peer,
                               R"(, "title": "Releases", "random_id": "4242"})"),
                  &topic_json);
  ASSERT_TRUE(status.ok()) << status.error_message();

  v1::UpdateEvent event = Next(*reader);
  ASSERT_TRUE(event.has_forum_topic()) << event.DebugString();
  const v1::ForumTopicChange& made = event.forum_topic();
  EXPECT_TRUE(made.created());
  EXPECT_EQ(made.title(), "Releases");
  EXPECT_NE(made.topic_id(), 0);
  EXPECT_EQ(made.chat(), absl::StrCat("accounts/bob/chats/", forum.id()));
  int64_t alice_id = 0;
  dc_->Run(
      [&](fakedc::World& world) { alice_id = world.FindUserByPhone(fakedc::kSeedAlicePhone)->id; });
  EXPECT_EQ(made.actor(), absl::StrCat("accounts/bob/users/", alice_id));
  const int32_t topic = made.topic_id();

  // Alice posts in the topic: Bob's new_message names it.
  v1::SendMessageRequest send;
  send.set_parent(forum.name());
  send.set_text("v1.0 is out");
  send.set_topic_id(topic);
  v1::Message sent;
  status = messages_->SendMessage(Context().get(), send, &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(sent.topic_id(), topic);
  event = Next(*reader);
  ASSERT_TRUE(event.has_new_message()) << event.DebugString();
  EXPECT_EQ(event.new_message().text(), "v1.0 is out");
  EXPECT_EQ(event.new_message().topic_id(), topic);

  // A rename, then closing it: two forum_topic events saying what changed.
  status = Invoke("alice",
                  absl::StrCat(R"({"_": "messages.editForumTopic", "peer": )", peer,
                               R"(, "topic_id": )", topic, R"(, "title": "Release notes"})"),
                  nullptr);
  ASSERT_TRUE(status.ok()) << status.error_message();
  event = Next(*reader);
  ASSERT_TRUE(event.has_forum_topic()) << event.DebugString();
  EXPECT_FALSE(event.forum_topic().created());
  EXPECT_EQ(event.forum_topic().topic_id(), topic);
  EXPECT_EQ(std::vector<std::string>(event.forum_topic().changed().begin(),
                                     event.forum_topic().changed().end()),
            std::vector<std::string>{"title"});
  EXPECT_EQ(event.forum_topic().title(), "Release notes");
  status = Invoke("alice",
                  absl::StrCat(R"({"_": "messages.editForumTopic", "peer": )", peer,
                               R"(, "topic_id": )", topic, R"(, "closed": true})"),
                  nullptr);
  ASSERT_TRUE(status.ok()) << status.error_message();
  event = Next(*reader);
  ASSERT_TRUE(event.has_forum_topic()) << event.DebugString();
  EXPECT_TRUE(event.forum_topic().closed());
  EXPECT_EQ(event.forum_topic().changed_size(), 1);

  // Bob may not post in a closed topic (Telegram's TOPIC_CLOSED), nor in one that does not exist.
  send.set_parent(absl::StrCat("accounts/bob/chats/", forum.id()));
  send.set_text("late");
  status = messages_->SendMessage(Context().get(), send, &sent);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(status), "TOPIC_CLOSED");
  send.set_topic_id(topic + 1000);
  status = messages_->SendMessage(Context().get(), send, &sent);
  EXPECT_EQ(Reason(status), "TOPIC_ID_INVALID");
  context->TryCancel();
}

}  // namespace
}  // namespace tgrpc::service_test
