// fakedc's forum topics through a Dispatcher: messages.createForumTopic and editForumTopic in a
// forum supergroup, their service messages pushed to the members, messages posted in a topic
// (top_msg_id, or a reply to a message of the topic), the General topic (hidden, closed),
// pinned topics (updatePinnedForumTopic, listed first), the manage_topics right, and the errors.
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/fakedc/chat_rights.h"
#include "tests/fakedc/dispatcher_test_util.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/seed.h"
#include "tl/generated/api.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;
using testing::ContextOf;
using testing::ErrorOf;

// The first channel message of an updates object, or null.
const api::Message* ChannelMessageIn(const api::Updates& updates) {
  const auto* list = dynamic_cast<const api::updates*>(&updates);
  if (list == nullptr) return nullptr;
  for (const auto& u : list->updates_) {
    if (const auto* m = dynamic_cast<const api::updateNewChannelMessage*>(u.get())) {
      return m->message.get();
    }
  }
  return nullptr;
}

template <class Action>
const Action* ActionOf(const api::Message* message) {
  const auto* service = dynamic_cast<const api::messageService*>(message);
  return service != nullptr ? dynamic_cast<const Action*>(service->action.get()) : nullptr;
}

// The topic a message's reply header names (forum_topic set), or 0.
int32_t TopicOfMessage(const api::Message* message) {
  const api::MessageReplyHeader* header = nullptr;
  if (const auto* m = dynamic_cast<const api::message*>(message)) header = m->reply_to.get();
  if (const auto* m = dynamic_cast<const api::messageService*>(message)) header = m->reply_to.get();
  const auto* reply = dynamic_cast<const api::messageReplyHeader*>(header);
  if (reply == nullptr || !reply->forum_topic) return 0;
  return reply->reply_to_top_id.value_or(reply->reply_to_msg_id.value_or(0));
}

class ForumTest : public testing::DispatcherTest {
 protected:
  ForumTest() {
    SeedWorld(world_, /*big_channel_members=*/0);
    RecordPushes();
    RegisterMessageMethods(dispatcher_, env_);
    RegisterChannelMethods(dispatcher_, env_);
    RegisterChatMethods(dispatcher_, env_);
    alice_ = world_.FindUserByPhone(kSeedAlicePhone);
    bob_ = world_.FindUserByPhone(kSeedBobPhone);
    world_.SignIn(1, alice_->id);
    world_.SignIn(2, bob_->id);
    alice_context_ = ContextOf(1, alice_->id);
    bob_context_ = ContextOf(2, bob_->id);
    ChannelRecord& forum = world_.AddChannel("Forum", "the_forum", alice_->id, true);
    forum.forum = true;
    forum.members.push_back(bob_->id);
    forum_ = forum.id;
    plain_ = world_.AddChannel("Plain", "plain_group", alice_->id, true).id;
  }

  tl::Ptr<api::InputPeer> Peer(int64_t channel_id) {
    auto out = std::make_unique<api::inputPeerChannel>();
    out->channel_id = channel_id;
    out->access_hash = world_.FindChannel(channel_id)->access_hash;
    return out;
  }
  absl::StatusOr<tl::Ptr<api::Updates>> Create(const std::string& title, CallContext& context,
                                               int64_t channel = 0) {
    api::messages_createForumTopic create;
    create.peer = Peer(channel != 0 ? channel : forum_);
    create.title = title;
    create.random_id = ++random_id_;
    return Call(create, context);
  }
  absl::StatusOr<tl::Ptr<api::Updates>> Send(const std::string& text, int32_t top_msg_id,
                                             int32_t reply_to_msg_id, CallContext& context) {
    api::messages_sendMessage send;
    send.peer = Peer(forum_);
    send.message = text;
    send.random_id = ++random_id_;
    auto reply = std::make_unique<api::inputReplyToMessage>();
    reply->reply_to_msg_id = reply_to_msg_id;
    if (top_msg_id != 0) reply->top_msg_id = top_msg_id;
    send.reply_to = std::move(reply);
    return Call(send, context);
  }

  // The id of the topic `Create` made (0, and a failure, if it failed).
  int32_t CreatedId(const std::string& title, CallContext& context) {
    absl::StatusOr<tl::Ptr<api::Updates>> created = Create(title, context);
    EXPECT_TRUE(created.ok()) << created.status();
    if (!created.ok()) return 0;
    return static_cast<const api::updateMessageID&>(
               *static_cast<const api::updates&>(**created).updates_.at(0))
        .id;
  }
  absl::StatusOr<tl::Ptr<api::Updates>> Pin(int32_t topic, bool pinned, CallContext& context) {
    api::messages_updatePinnedForumTopic pin;
    pin.peer = Peer(forum_);
    pin.topic_id = topic;
    pin.pinned = pinned;
    return Call(pin, context);
  }
  absl::StatusOr<tl::Ptr<api::Updates>> Hide(int32_t topic, bool hidden, CallContext& context) {
    api::messages_editForumTopic edit;
    edit.peer = Peer(forum_);
    edit.topic_id = topic;
    edit.hidden = hidden;
    return Call(edit, context);
  }
  // One page of messages.getForumTopics as alice sees it: "title" or "title*" when pinned.
  std::vector<std::string> Listed(int32_t limit, int32_t offset_topic = 0) {
    api::messages_getForumTopics get;
    get.peer = Peer(forum_);
    get.limit = limit;
    get.offset_topic = offset_topic;
    std::vector<std::string> out;
    absl::StatusOr<tl::Ptr<api::messages_ForumTopics>> got = Call(get, alice_context_);
    EXPECT_TRUE(got.ok()) << got.status();
    if (!got.ok()) return out;
    for (const auto& item : static_cast<const api::messages_forumTopics&>(**got).topics) {
      const auto& topic = static_cast<const api::forumTopic&>(*item);
      out.push_back(topic.title + (topic.pinned ? "*" : ""));
    }
    return out;
  }
  const ForumTopicRecord& TopicRecord(int32_t id) { return world_.FindChannel(forum_)->topics[id]; }

  const UserRecord* alice_ = nullptr;
  const UserRecord* bob_ = nullptr;
  CallContext alice_context_, bob_context_;
  int64_t forum_ = 0, plain_ = 0;
};

TEST_F(ForumTest, TopicsAreCreatedEditedAndPostedIn) {
  absl::StatusOr<tl::Ptr<api::Updates>> created = Create("  Releases ", bob_context_);
  ASSERT_TRUE(created.ok()) << created.status();
  const auto& list = static_cast<const api::updates&>(**created);
  const auto* id = dynamic_cast<const api::updateMessageID*>(list.updates_.at(0).get());
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(id->random_id, random_id_);
  const api::Message* service = ChannelMessageIn(**created);
  const auto* create = ActionOf<api::messageActionTopicCreate>(service);
  ASSERT_NE(create, nullptr);
  EXPECT_EQ(create->title, "Releases");
  const int32_t topic = id->id;
  EXPECT_TRUE(static_cast<const api::channel&>(*list.chats.at(0)).forum);
  // Alice (a member) is told.
  const api::Updates* pushed = LastPushTo(alice_->id);
  ASSERT_NE(pushed, nullptr);
  EXPECT_NE(ActionOf<api::messageActionTopicCreate>(ChannelMessageIn(*pushed)), nullptr);

  // A message in the topic, and a reply to it, both carry the topic.
  absl::StatusOr<tl::Ptr<api::Updates>> sent = Send("v1.0 is out", topic, topic, alice_context_);
  ASSERT_TRUE(sent.ok()) << sent.status();
  const api::Message* posted = ChannelMessageIn(**sent);
  EXPECT_EQ(TopicOfMessage(posted), topic);
  EXPECT_EQ(TopicOfMessage(ChannelMessageIn(*LastPushTo(bob_->id))), topic);
  sent = Send("great", 0, static_cast<const api::message&>(*posted).id, bob_context_);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(TopicOfMessage(ChannelMessageIn(**sent)), topic);
  // Outside topics: no header.
  api::messages_sendMessage plain;
  plain.peer = Peer(forum_);
  plain.message = "general chat";
  plain.random_id = ++random_id_;
  sent = Call(plain, bob_context_);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(TopicOfMessage(ChannelMessageIn(**sent)), 0);

  // The topic's creator renames it: a TopicEdit posted in the topic.
  api::messages_editForumTopic edit;
  edit.peer = Peer(forum_);
  edit.topic_id = topic;
  edit.title = "Release notes";
  absl::StatusOr<tl::Ptr<api::Updates>> edited = Call(edit, bob_context_);
  ASSERT_TRUE(edited.ok()) << edited.status();
  const api::Message* edit_message = ChannelMessageIn(**edited);
  const auto* action = ActionOf<api::messageActionTopicEdit>(edit_message);
  ASSERT_NE(action, nullptr);
  EXPECT_EQ(action->title.value_or(""), "Release notes");
  EXPECT_FALSE(action->closed.has_value());
  EXPECT_EQ(TopicOfMessage(edit_message), topic);
  EXPECT_EQ(world_.FindChannel(forum_)->topics.at(topic).title, "Release notes");
  EXPECT_EQ(ErrorOf(Call(edit, bob_context_)), "400 TOPIC_NOT_MODIFIED");

  // The forum's creator closes it: members can no longer post there.
  api::messages_editForumTopic close;
  close.peer = Peer(forum_);
  close.topic_id = topic;
  close.closed = true;
  ASSERT_TRUE(Call(close, alice_context_).ok());
  EXPECT_EQ(ErrorOf(Send("late", topic, topic, bob_context_)), "400 TOPIC_CLOSED");
  EXPECT_TRUE(Send("still mine", topic, topic, alice_context_).ok());
}

TEST_F(ForumTest, RefusesWhatTelegramRefuses) {
  EXPECT_EQ(ErrorOf(Create("x", alice_context_, plain_)), "400 CHANNEL_FORUM_MISSING");
  EXPECT_EQ(ErrorOf(Create("   ", alice_context_)), "400 TOPIC_TITLE_EMPTY");
  absl::StatusOr<tl::Ptr<api::Updates>> created = Create("Alice's", alice_context_);
  ASSERT_TRUE(created.ok()) << created.status();
  const int32_t topic = static_cast<const api::updateMessageID&>(
                            *static_cast<const api::updates&>(**created).updates_.at(0))
                            .id;
  api::messages_editForumTopic edit;
  edit.peer = Peer(forum_);
  edit.topic_id = topic;
  edit.title = "Bob's now";
  EXPECT_EQ(ErrorOf(Call(edit, bob_context_)), "400 CHAT_ADMIN_REQUIRED");
  edit.closed = true;
  EXPECT_EQ(ErrorOf(Call(edit, alice_context_)), "400 TOPIC_CLOSE_SEPARATELY");
  edit.topic_id = 99999;
  edit.closed.reset();
  EXPECT_EQ(ErrorOf(Call(edit, alice_context_)), "400 TOPIC_ID_INVALID");
  EXPECT_EQ(ErrorOf(Send("lost", 99999, 99999, bob_context_)), "400 TOPIC_ID_INVALID");
}

TEST_F(ForumTest, TheGeneralTopicIsListedAndAloneHides) {
  const int32_t releases = CreatedId("Releases", bob_context_);
  ASSERT_NE(releases, 0);
  // Listed with the others; General's top message is the newest outside every topic.
  EXPECT_EQ(Listed(10), (std::vector<std::string>{"Releases", "General"}));
  ASSERT_EQ(TopicRecord(kGeneralTopicId).title, "General");

  EXPECT_EQ(ErrorOf(Hide(releases, true, alice_context_)), "400 NOGENERAL_HIDE_FORBIDDEN");
  // Hiding General is for admins with manage_topics; bob is none.
  EXPECT_EQ(ErrorOf(Hide(kGeneralTopicId, true, bob_context_)), "400 CHAT_ADMIN_REQUIRED");
  absl::StatusOr<tl::Ptr<api::Updates>> hidden = Hide(kGeneralTopicId, true, alice_context_);
  ASSERT_TRUE(hidden.ok()) << hidden.status();
  const auto* action = ActionOf<api::messageActionTopicEdit>(ChannelMessageIn(**hidden));
  ASSERT_NE(action, nullptr);
  EXPECT_TRUE(action->hidden.value_or(false));
  // Hidden is closed too: bob posts in it no more (in his own topic he does).
  EXPECT_TRUE(TopicRecord(kGeneralTopicId).hidden);
  EXPECT_TRUE(TopicRecord(kGeneralTopicId).closed);
  EXPECT_EQ(ErrorOf(Send("hi", kGeneralTopicId, kGeneralTopicId, bob_context_)),
            "400 TOPIC_CLOSED");
  EXPECT_TRUE(Send("hi", releases, releases, bob_context_).ok());
  EXPECT_EQ(ErrorOf(Hide(kGeneralTopicId, true, alice_context_)), "400 TOPIC_NOT_MODIFIED");
  api::messages_editForumTopic icon;
  icon.peer = Peer(forum_);
  icon.topic_id = kGeneralTopicId;
  icon.icon_emoji_id = 5312536423851630001;
  EXPECT_EQ(ErrorOf(Call(icon, alice_context_)), "400 GENERAL_MODIFY_ICON_FORBIDDEN");

  ASSERT_TRUE(Hide(kGeneralTopicId, false, alice_context_).ok());
  EXPECT_FALSE(TopicRecord(kGeneralTopicId).hidden);
  EXPECT_FALSE(TopicRecord(kGeneralTopicId).closed);
  // A message in General carries no topic.
  absl::StatusOr<tl::Ptr<api::Updates>> sent =
      Send("back", kGeneralTopicId, kGeneralTopicId, bob_context_);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(TopicOfMessage(ChannelMessageIn(**sent)), 0);
  EXPECT_EQ(Listed(10), (std::vector<std::string>{"General", "Releases"}));
}

TEST_F(ForumTest, PinnedTopicsComeFirst) {
  const int32_t a = CreatedId("A", alice_context_);
  const int32_t b = CreatedId("B", alice_context_);
  CreatedId("C", alice_context_);
  EXPECT_EQ(Listed(10), (std::vector<std::string>{"C", "B", "A", "General"}));

  EXPECT_EQ(ErrorOf(Pin(a, true, bob_context_)), "400 CHAT_ADMIN_REQUIRED");
  pushes_.clear();
  absl::StatusOr<tl::Ptr<api::Updates>> pinned = Pin(a, true, alice_context_);
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  const auto& list = static_cast<const api::updates&>(**pinned);
  const auto* update = dynamic_cast<const api::updatePinnedForumTopic*>(list.updates_.at(0).get());
  ASSERT_NE(update, nullptr);
  EXPECT_TRUE(update->pinned);
  EXPECT_EQ(update->topic_id, a);
  const api::Updates* pushed = LastPushTo(bob_->id);
  ASSERT_NE(pushed, nullptr);
  EXPECT_NE(dynamic_cast<const api::updatePinnedForumTopic*>(
                static_cast<const api::updates&>(*pushed).updates_.at(0).get()),
            nullptr);
  EXPECT_EQ(ErrorOf(Pin(a, true, alice_context_)), "400 PINNED_TOPIC_NOT_MODIFIED");
  ASSERT_TRUE(Pin(b, true, alice_context_).ok());
  // The newest pin first, then by activity; pages go on after the last topic of the one before.
  EXPECT_EQ(Listed(10), (std::vector<std::string>{"B*", "A*", "C", "General"}));
  EXPECT_EQ(Listed(1), (std::vector<std::string>{"B*"}));
  EXPECT_EQ(Listed(2, b), (std::vector<std::string>{"A*", "C"}));
  EXPECT_EQ(Listed(2, a), (std::vector<std::string>{"C", "General"}));

  // At most five pinned.
  ASSERT_TRUE(Pin(kGeneralTopicId, true, alice_context_).ok());
  ASSERT_TRUE(Pin(CreatedId("D", alice_context_), true, alice_context_).ok());
  ASSERT_TRUE(Pin(CreatedId("E", alice_context_), true, alice_context_).ok());
  EXPECT_EQ(ErrorOf(Pin(CreatedId("F", alice_context_), true, alice_context_)),
            "400 PINNED_TOO_MUCH");
  ASSERT_TRUE(Pin(a, false, alice_context_).ok());
  EXPECT_EQ(ErrorOf(Pin(a, false, alice_context_)), "400 PINNED_TOPIC_NOT_MODIFIED");
  EXPECT_EQ(ErrorOf(Pin(99999, true, alice_context_)), "400 TOPIC_ID_INVALID");
}

TEST_F(ForumTest, ManageTopicsGovernsMakingAndEditing) {
  const int32_t bobs = CreatedId("Bob's", bob_context_);
  const int32_t alices = CreatedId("Alice's", alice_context_);
  api::messages_editForumTopic rename;
  rename.peer = Peer(forum_);
  rename.topic_id = alices;
  rename.title = "Renamed by Bob";
  EXPECT_EQ(ErrorOf(Call(rename, bob_context_)), "400 CHAT_ADMIN_REQUIRED");

  // The forum's defaults withhold manage_topics: members neither make topics nor edit theirs.
  world_.FindChannel(forum_)->default_banned |= banned_right::kManageTopics;
  EXPECT_EQ(ErrorOf(Create("More", bob_context_)), "400 CHAT_ADMIN_REQUIRED");
  rename.topic_id = bobs;
  EXPECT_EQ(ErrorOf(Call(rename, bob_context_)), "400 CHAT_ADMIN_REQUIRED");
  EXPECT_TRUE(Create("Creator's", alice_context_).ok());

  // An admin with manage_topics does both, on anyone's topic, and pins.
  world_.FindChannel(forum_)->admins[bob_->id] = {admin_right::kManageTopics, "", alice_->id, 0};
  EXPECT_TRUE(Create("More", bob_context_).ok());
  rename.topic_id = alices;
  EXPECT_TRUE(Call(rename, bob_context_).ok());
  EXPECT_EQ(TopicRecord(alices).title, "Renamed by Bob");
  EXPECT_TRUE(Pin(alices, true, bob_context_).ok());
  EXPECT_TRUE(Hide(kGeneralTopicId, true, bob_context_).ok());
  // Without it, an admin is refused like a member.
  world_.FindChannel(forum_)->admins[bob_->id].rights = admin_right::kPinMessages;
  EXPECT_EQ(ErrorOf(Pin(alices, false, bob_context_)), "400 CHAT_ADMIN_REQUIRED");
}

}  // namespace
}  // namespace tgrpc::fakedc
