// Forum topics end to end against fakedc: Alice makes a forum supergroup with Bob in it, creates
// and edits topics and posts in them; Bob's UpdateService stream gets each topic change as a
// forum_topic event and the posts as new_message events naming their topic (the forum and, in the
// first test, its topics are made through RawService.InvokeJson). Then ChatService's topic RPCs:
// CreateForumTopic, ListForumTopics with paging, UpdateForumTopic (rename, close, reopen, hide
// the General topic, pin), DeleteForumTopic, and their refusals; CreateChat's forum (topics on
// from the start).
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

  // Alice's new forum supergroup "Team forum" with Bob in it, as Alice sees it.
  v1::Chat MakeForum() {
    SignIn("alice", fakedc::kSeedAlicePhone);
    SignIn("bob", fakedc::kSeedBobPhone);
    grpc::Status status = Invoke("alice",
                                 R"({"_": "channels.createChannel", "megagroup": true,
                                     "forum": true, "title": "Team forum", "about": ""})",
                                 nullptr);
    EXPECT_TRUE(status.ok()) << status.error_message();
    const v1::Chat forum = DialogTitled("alice", "Team forum");
    v1::AddChatMembersRequest add;
    add.set_parent(forum.name());
    add.add_users("accounts/alice/users/bob_example");
    v1::AddChatMembersResponse added;
    status = chats_->AddChatMembers(Context().get(), add, &added);
    EXPECT_TRUE(status.ok()) << status.error_message();
    DialogTitled("bob", "Team forum");
    return forum;
  }

  grpc::Status CreateTopic(const std::string& parent, const std::string& title,
                           v1::ForumTopic* topic, const std::string& request_id = "") {
    v1::CreateForumTopicRequest create;
    create.set_parent(parent);
    create.set_title(title);
    create.set_request_id(request_id);
    return chats_->CreateForumTopic(Context().get(), create, topic);
  }

  // The titles of the forum's topics, page by page of `page_size`.
  std::vector<std::string> ListTitles(const std::string& parent, int page_size, int* pages) {
    std::vector<std::string> titles;
    v1::ListForumTopicsRequest list;
    list.set_parent(parent);
    list.set_page_size(page_size);
    *pages = 0;
    do {
      v1::ListForumTopicsResponse listed;
      grpc::Status status = chats_->ListForumTopics(Context().get(), list, &listed);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      ++*pages;
      for (const v1::ForumTopic& topic : listed.topics()) titles.push_back(topic.title());
      list.set_page_token(listed.next_page_token());
    } while (!list.page_token().empty() && *pages < 10);
    return titles;
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

TEST_F(ForumTest, TopicsAreCreatedListedRenamedClosedAndDeleted) {
  const v1::Chat forum = MakeForum();
  v1::ForumTopic releases;
  grpc::Status status = CreateTopic(forum.name(), "Releases", &releases, "topic-releases");
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(releases.title(), "Releases");
  EXPECT_NE(releases.topic_id(), 0);
  EXPECT_EQ(releases.name(), absl::StrCat(forum.name(), "/topics/", releases.topic_id()));
  EXPECT_EQ(releases.icon_color(), 0x6FB9F0);
  EXPECT_TRUE(releases.my());
  EXPECT_FALSE(releases.closed());
  // A retry of the request_id is the same topic, not a second one.
  v1::ForumTopic again;
  status = CreateTopic(forum.name(), "Releases", &again, "topic-releases");
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(again.topic_id(), releases.topic_id());
  v1::CreateForumTopicRequest colored;
  colored.set_parent(forum.name());
  colored.set_title("Design");
  colored.set_icon_color(0xFB6F5F);
  colored.set_icon_emoji_id(5312536423851630001);
  v1::ForumTopic design;
  status = chats_->CreateForumTopic(Context().get(), colored, &design);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(design.icon_color(), 0xFB6F5F);
  EXPECT_EQ(design.icon_emoji_id(), 5312536423851630001);
  v1::ForumTopic bugs;
  status = CreateTopic(forum.name(), "Bugs", &bugs);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // A post in Releases makes it the most recently active.
  v1::SendMessageRequest send;
  send.set_parent(forum.name());
  send.set_text("v1.0 is out");
  send.set_topic_id(releases.topic_id());
  v1::Message sent;
  status = messages_->SendMessage(Context().get(), send, &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // Two to a page: every topic once, newest activity first, the General topic (whose newest
  // message is Bob's joining) last.
  int pages = 0;
  EXPECT_EQ(ListTitles(forum.name(), 2, &pages),
            (std::vector<std::string>{"Releases", "Bugs", "Design", "General"}));
  EXPECT_GE(pages, 2);
  v1::ListForumTopicsRequest search;
  search.set_parent(forum.name());
  search.set_query("bug");
  v1::ListForumTopicsResponse found;
  status = chats_->ListForumTopics(Context().get(), search, &found);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(found.topics_size(), 1);
  EXPECT_EQ(found.topics(0).title(), "Bugs");
  EXPECT_EQ(found.topics(0).topic_id(), bugs.topic_id());

  // Rename, then close and reopen.
  v1::UpdateForumTopicRequest update;
  update.mutable_topic()->set_name(releases.name());
  update.mutable_topic()->set_title("Release notes");
  update.mutable_update_mask()->add_paths("title");
  v1::ForumTopic updated;
  status = chats_->UpdateForumTopic(Context().get(), update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(updated.title(), "Release notes");
  EXPECT_EQ(updated.topic_id(), releases.topic_id());
  update.mutable_update_mask()->Clear();
  update.mutable_update_mask()->add_paths("closed");
  update.mutable_topic()->set_closed(true);
  status = chats_->UpdateForumTopic(Context().get(), update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(updated.closed());
  EXPECT_EQ(updated.title(), "Release notes");
  // Closed: Bob may not post in it.
  send.set_parent(absl::StrCat("accounts/bob/chats/", forum.id()));
  send.set_text("late");
  status = messages_->SendMessage(Context().get(), send, &sent);
  EXPECT_EQ(Reason(status), "TOPIC_CLOSED");
  // Closing it again is no change, not an error.
  status = chats_->UpdateForumTopic(Context().get(), update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(updated.closed());
  update.mutable_topic()->set_closed(false);
  status = chats_->UpdateForumTopic(Context().get(), update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(updated.closed());
  status = messages_->SendMessage(Context().get(), send, &sent);
  EXPECT_TRUE(status.ok()) << status.error_message();

  // Bob neither created Bugs nor is an admin: he may not rename or delete it.
  v1::UpdateForumTopicRequest bobs;
  bobs.mutable_topic()->set_name(
      absl::StrCat("accounts/bob/chats/", forum.id(), "/topics/", bugs.topic_id()));
  bobs.mutable_topic()->set_title("Features");
  bobs.mutable_update_mask()->add_paths("title");
  status = chats_->UpdateForumTopic(Context().get(), bobs, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_ADMIN_REQUIRED");
  v1::DeleteForumTopicRequest remove;
  remove.set_name(bobs.topic().name());
  google::protobuf::Empty empty;
  status = chats_->DeleteForumTopic(Context().get(), remove, &empty);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_ADMIN_REQUIRED");

  // Alice deletes Releases with its messages; it is gone from the list and cannot be edited.
  remove.set_name(releases.name());
  remove.set_request_id("delete-releases");
  status = chats_->DeleteForumTopic(Context().get(), remove, &empty);
  ASSERT_TRUE(status.ok()) << status.error_message();
  status = chats_->DeleteForumTopic(Context().get(), remove, &empty);  // a retry: done already
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ListTitles(forum.name(), 0, &pages),
            (std::vector<std::string>{"Bugs", "Design", "General"}));
  update.mutable_topic()->set_closed(true);
  status = chats_->UpdateForumTopic(Context().get(), update, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(Reason(status), "TOPIC_ID_INVALID");
  remove.set_request_id("");
  status = chats_->DeleteForumTopic(Context().get(), remove, &empty);
  EXPECT_EQ(Reason(status), "TOPIC_ID_INVALID");
}

TEST_F(ForumTest, TopicRequestsAreCheckedAndANonForumHasNoTopics) {
  const v1::Chat forum = MakeForum();
  v1::ForumTopic topic;
  grpc::Status status = CreateTopic(forum.name(), "   ", &topic);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "title");
  v1::CreateForumTopicRequest colored;
  colored.set_parent(forum.name());
  colored.set_title("Pink");
  colored.set_icon_color(0x123456);
  status = chats_->CreateForumTopic(Context().get(), colored, &topic);
  EXPECT_EQ(BadField(status), "icon_color");
  v1::UpdateForumTopicRequest update;
  update.mutable_topic()->set_name(absl::StrCat(forum.name(), "/topics/2"));
  update.mutable_update_mask()->add_paths("title");
  update.mutable_update_mask()->add_paths("closed");
  update.mutable_topic()->set_title("Both");
  status = chats_->UpdateForumTopic(Context().get(), update, &topic);
  EXPECT_EQ(BadField(status), "update_mask");
  update.mutable_update_mask()->Clear();
  update.mutable_update_mask()->add_paths("pinned");
  update.mutable_update_mask()->add_paths("hidden");
  status = chats_->UpdateForumTopic(Context().get(), update, &topic);
  EXPECT_EQ(BadField(status), "update_mask");
  update.mutable_update_mask()->Clear();
  update.mutable_update_mask()->add_paths("my");
  status = chats_->UpdateForumTopic(Context().get(), update, &topic);
  EXPECT_EQ(BadField(status), "update_mask");
  v1::DeleteForumTopicRequest remove;
  remove.set_name(absl::StrCat(forum.name(), "/topics/x"));
  google::protobuf::Empty empty;
  status = chats_->DeleteForumTopic(Context().get(), remove, &empty);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "name");
  v1::ListForumTopicsRequest list;
  list.set_parent(forum.name());
  list.set_page_size(101);
  v1::ListForumTopicsResponse listed;
  status = chats_->ListForumTopics(Context().get(), list, &listed);
  EXPECT_EQ(BadField(status), "page_size");

  // The seeded supergroup has no topics: Telegram's CHANNEL_FORUM_MISSING.
  list.set_parent("accounts/alice/chats/fakedc_big");
  list.set_page_size(0);
  status = chats_->ListForumTopics(Context().get(), list, &listed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(Reason(status), "CHANNEL_FORUM_MISSING");
  status = CreateTopic("accounts/alice/chats/fakedc_big", "Nope", &topic);
  EXPECT_EQ(Reason(status), "CHANNEL_FORUM_MISSING");
}

TEST_F(ForumTest, CreateChatMakesAForum) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);
  v1::CreateChatRequest create;
  create.set_account("accounts/alice");
  create.set_type(v1::Chat::SUPERGROUP);
  create.set_forum(true);
  create.set_title("Made a forum");
  create.set_about("topics from the start");
  create.add_users("accounts/alice/users/bob_example");
  create.set_request_id("create-forum");
  v1::Chat forum;
  grpc::Status status = chats_->CreateChat(Context().get(), create, &forum);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(forum.type(), v1::Chat::SUPERGROUP);
  EXPECT_TRUE(forum.is_forum());
  EXPECT_TRUE(forum.is_creator());
  EXPECT_EQ(forum.title(), "Made a forum");
  // A retry of the request_id answers the same forum.
  v1::Chat again;
  status = chats_->CreateChat(Context().get(), create, &again);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(again.id(), forum.id());
  // fakedc says so too, and GetChat.
  bool fakedc_forum = false;
  dc_->Run([&](fakedc::World& world) {
    const fakedc::ChannelRecord* channel = world.FindChannel(forum.raw_id());
    fakedc_forum = channel != nullptr && channel->forum && channel->megagroup;
  });
  EXPECT_TRUE(fakedc_forum);
  v1::GetChatRequest get;
  get.set_name(forum.name());
  v1::Chat got;
  status = chats_->GetChat(Context().get(), get, &got);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(got.is_forum());
  EXPECT_EQ(got.full().about(), "topics from the start");

  // Topics work at once, with no UpdateChat "topics" first; Bob, invited, sees one.
  v1::ForumTopic topic;
  status = CreateTopic(forum.name(), "Welcome", &topic);
  ASSERT_TRUE(status.ok()) << status.error_message();
  DialogTitled("bob", "Made a forum");
  int pages = 0;
  EXPECT_EQ(ListTitles(absl::StrCat("accounts/bob/chats/", forum.id()), 0, &pages),
            (std::vector<std::string>{"Welcome", "General"}));

  // Without forum, a supergroup has none; forum is for supergroups only.
  create.set_forum(false);
  create.set_title("No topics");
  create.clear_users();
  create.set_request_id("");
  v1::Chat plain;
  status = chats_->CreateChat(Context().get(), create, &plain);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(plain.is_forum());
  status = CreateTopic(plain.name(), "Nope", &topic);
  EXPECT_EQ(Reason(status), "CHANNEL_FORUM_MISSING");
  create.set_forum(true);
  for (v1::Chat::Type type : {v1::Chat::CHANNEL, v1::Chat::BASIC_GROUP}) {
    create.set_type(type);
    create.set_about("");
    create.add_users("accounts/alice/users/bob_example");
    status = chats_->CreateChat(Context().get(), create, &plain);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_EQ(BadField(status), "forum");
  }
}

TEST_F(ForumTest, TheGeneralTopicHidesAndTopicsArePinned) {
  const v1::Chat forum = MakeForum();
  v1::ForumTopic releases;
  grpc::Status status = CreateTopic(forum.name(), "Releases", &releases);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::string bobs_forum = absl::StrCat("accounts/bob/chats/", forum.id());

  // Hiding the General topic (1) closes it: Bob posts there no more.
  v1::UpdateForumTopicRequest hide;
  hide.mutable_topic()->set_name(absl::StrCat(forum.name(), "/topics/1"));
  hide.mutable_topic()->set_hidden(true);
  hide.mutable_update_mask()->add_paths("hidden");
  v1::ForumTopic general;
  status = chats_->UpdateForumTopic(Context().get(), hide, &general);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(general.topic_id(), 1);
  EXPECT_EQ(general.title(), "General");
  EXPECT_TRUE(general.hidden());
  EXPECT_TRUE(general.closed());
  v1::SendMessageRequest send;
  send.set_parent(bobs_forum);
  send.set_text("anyone?");
  send.set_topic_id(1);
  v1::Message sent;
  status = messages_->SendMessage(Context().get(), send, &sent);
  EXPECT_EQ(Reason(status), "TOPIC_CLOSED") << status.error_message();
  // Only General hides; only admins with manage_topics hide it.
  v1::UpdateForumTopicRequest hide_other = hide;
  hide_other.mutable_topic()->set_name(releases.name());
  v1::ForumTopic topic;
  status = chats_->UpdateForumTopic(Context().get(), hide_other, &topic);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(Reason(status), "NOGENERAL_HIDE_FORBIDDEN");
  v1::UpdateForumTopicRequest bobs = hide;
  bobs.mutable_topic()->set_name(absl::StrCat(bobs_forum, "/topics/1"));
  bobs.mutable_topic()->set_hidden(false);
  status = chats_->UpdateForumTopic(Context().get(), bobs, &topic);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_ADMIN_REQUIRED");
  hide.mutable_topic()->set_hidden(false);
  status = chats_->UpdateForumTopic(Context().get(), hide, &general);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(general.hidden());
  EXPECT_FALSE(general.closed());
  status = messages_->SendMessage(Context().get(), send, &sent);
  EXPECT_TRUE(status.ok()) << status.error_message();

  // Pinned, Releases is listed first although General has the newest message.
  v1::UpdateForumTopicRequest pin;
  pin.mutable_topic()->set_name(releases.name());
  pin.mutable_topic()->set_pinned(true);
  pin.mutable_update_mask()->add_paths("pinned");
  status = chats_->UpdateForumTopic(Context().get(), pin, &topic);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(topic.pinned());
  EXPECT_EQ(topic.topic_id(), releases.topic_id());
  v1::ListForumTopicsRequest list;
  list.set_parent(forum.name());
  v1::ListForumTopicsResponse listed;
  status = chats_->ListForumTopics(Context().get(), list, &listed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(listed.topics_size(), 2);
  EXPECT_EQ(listed.topics(0).title(), "Releases");
  EXPECT_TRUE(listed.topics(0).pinned());
  EXPECT_EQ(listed.topics(1).title(), "General");
  EXPECT_FALSE(listed.topics(1).pinned());
  // Pinning it again is no change; Bob, no admin, pins nothing.
  status = chats_->UpdateForumTopic(Context().get(), pin, &topic);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(topic.pinned());
  v1::UpdateForumTopicRequest bobs_pin = pin;
  bobs_pin.mutable_topic()->set_name(absl::StrCat(bobs_forum, "/topics/", releases.topic_id()));
  bobs_pin.mutable_topic()->set_pinned(false);
  status = chats_->UpdateForumTopic(Context().get(), bobs_pin, &topic);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_ADMIN_REQUIRED");
  pin.mutable_topic()->set_pinned(false);
  status = chats_->UpdateForumTopic(Context().get(), pin, &topic);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(topic.pinned());
}

}  // namespace
}  // namespace tgrpc::service_test
