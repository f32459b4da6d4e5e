#include "service/api/update_events.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "tl/generated/api.h"

namespace tgrpc::service {
namespace {

namespace api = tl::api;

std::string Boxed(const tl::Object& object) {
  absl::StatusOr<std::string> bytes = tl::Serialize(object);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : "";
}

std::string NewMessage(int64_t from_user, int64_t channel_id, bool out, int32_t id) {
  auto message = std::make_unique<api::message>();
  message->id = id;
  message->out = out;
  message->date = 1'700'000'000;
  message->message_ = "hello";
  auto from = std::make_unique<api::peerUser>();
  from->user_id = from_user;
  message->from_id = std::move(from);
  if (channel_id != 0) {
    auto peer = std::make_unique<api::peerChannel>();
    peer->channel_id = channel_id;
    message->peer_id = std::move(peer);
    api::updateNewChannelMessage update;
    update.message = std::move(message);
    update.pts = 5;
    update.pts_count = 1;
    return Boxed(update);
  }
  auto peer = std::make_unique<api::peerUser>();
  peer->user_id = from_user;
  message->peer_id = std::move(peer);
  api::updateNewMessage update;
  update.message = std::move(message);
  update.pts = 5;
  update.pts_count = 1;
  return Boxed(update);
}

std::string AUser(int64_t id, const std::string& first_name) {
  api::user user;
  user.id = id;
  user.first_name = first_name;
  return Boxed(user);
}

TEST(UpdateEventsTest, NewMessagesAreTypedWithTheirUsers) {
  v1::UpdateEvent event;
  ASSERT_TRUE(UpdateToEvent(NewMessage(42, 0, false, 7), {AUser(42, "Bob")}, {}, 1'700'000'001,
                            "alice", &event)
                  .ok());
  ASSERT_TRUE(event.has_new_message()) << event.DebugString();
  EXPECT_EQ(event.new_message().id(), 7);
  EXPECT_EQ(event.new_message().chat_id(), 42);
  EXPECT_EQ(event.new_message().text(), "hello");
  EXPECT_EQ(event.time().seconds(), 1'700'000'001);
  ASSERT_EQ(event.users_size(), 1);
  EXPECT_EQ(event.users(0).first_name(), "Bob");
  EXPECT_EQ(EventKind(event), "new_message");
  EXPECT_EQ(EventChat(event), 42);

  v1::UpdateEvent channel;
  ASSERT_TRUE(UpdateToEvent(NewMessage(42, 77, true, 9), {}, {}, 0, "alice", &channel).ok());
  EXPECT_EQ(channel.new_message().chat_id(), -1000000000077);
  EXPECT_TRUE(channel.new_message().outgoing());
}

TEST(UpdateEventsTest, UserChangesSayWhatChanged) {
  api::updateUserName name;
  name.user_id = 42;
  name.first_name = "Robert";
  auto username = std::make_unique<api::username>();
  username->username_ = "bobby";
  username->active = true;
  name.usernames.push_back(std::move(username));
  v1::UpdateEvent event;
  ASSERT_TRUE(UpdateToEvent(Boxed(name), {}, {}, 0, "alice", &event).ok());
  ASSERT_TRUE(event.has_user_update());
  EXPECT_EQ(event.user_update().user(), "accounts/alice/users/42");
  EXPECT_EQ(event.user_update().first_name(), "Robert");
  ASSERT_EQ(event.user_update().usernames_size(), 1);
  EXPECT_EQ(event.user_update().usernames(0), "bobby");
  EXPECT_EQ(event.user_update().changed(0), "name");

  api::updateUserStatus status;
  status.user_id = 42;
  auto offline = std::make_unique<api::userStatusOffline>();
  offline->was_online = 1'700'000'100;
  status.status = std::move(offline);
  v1::UpdateEvent seen;
  ASSERT_TRUE(UpdateToEvent(Boxed(status), {}, {}, 0, "alice", &seen).ok());
  EXPECT_EQ(seen.user_update().status().kind(), v1::User::Status::OFFLINE);
  EXPECT_EQ(seen.user_update().status().time().seconds(), 1'700'000'100);
}

TEST(UpdateEventsTest, DeletionsReadsTypingAndPins) {
  api::updateDeleteChannelMessages deleted;
  deleted.channel_id = 77;
  deleted.messages = {3, 4};
  v1::UpdateEvent event;
  ASSERT_TRUE(UpdateToEvent(Boxed(deleted), {}, {}, 0, "alice", &event).ok());
  EXPECT_EQ(event.deleted_messages().chat(), "accounts/alice/chats/-1000000000077");
  EXPECT_EQ(event.deleted_messages().message_ids_size(), 2);
  EXPECT_EQ(EventChat(event), -1000000000077);

  api::updateReadChannelOutbox read;
  read.channel_id = 77;
  read.max_id = 12;
  v1::UpdateEvent read_event;
  ASSERT_TRUE(UpdateToEvent(Boxed(read), {}, {}, 0, "alice", &read_event).ok());
  EXPECT_TRUE(read_event.read().outbox());
  EXPECT_EQ(read_event.read().max_id(), 12);

  api::updateUserTyping typing;
  typing.user_id = 42;
  typing.action = std::make_unique<api::sendMessageUploadPhotoAction>();
  v1::UpdateEvent typing_event;
  ASSERT_TRUE(UpdateToEvent(Boxed(typing), {}, {}, 0, "alice", &typing_event).ok());
  EXPECT_EQ(typing_event.typing().action(), "uploadPhoto");
  EXPECT_EQ(typing_event.typing().chat(), "accounts/alice/chats/42");

  api::updatePinnedChannelMessages pinned;
  pinned.pinned = true;
  pinned.channel_id = 77;
  pinned.messages = {5};
  v1::UpdateEvent pinned_event;
  ASSERT_TRUE(UpdateToEvent(Boxed(pinned), {}, {}, 0, "alice", &pinned_event).ok());
  EXPECT_TRUE(pinned_event.pinned_messages().pinned());
}

TEST(UpdateEventsTest, ReactionsMembersJoinRequestsAndChatChanges) {
  api::updateMessageReactions reactions;
  auto peer = std::make_unique<api::peerChannel>();
  peer->channel_id = 77;
  reactions.peer = std::move(peer);
  reactions.msg_id = 9;
  auto counts = std::make_unique<api::messageReactions>();
  auto count = std::make_unique<api::reactionCount>();
  auto emoji = std::make_unique<api::reactionEmoji>();
  emoji->emoticon = "\xF0\x9F\x91\x8D";
  count->reaction = std::move(emoji);
  count->count = 3;
  counts->results.push_back(std::move(count));
  reactions.reactions = std::move(counts);
  v1::UpdateEvent event;
  ASSERT_TRUE(UpdateToEvent(Boxed(reactions), {}, {}, 0, "alice", &event).ok());
  ASSERT_TRUE(event.has_reactions()) << event.DebugString();
  EXPECT_EQ(event.reactions().message_id(), 9);
  ASSERT_EQ(event.reactions().reactions_size(), 1);
  EXPECT_EQ(event.reactions().reactions(0).count(), 3);
  EXPECT_EQ(EventChat(event), -1000000000077);

  // Bob is promoted by Carol in a channel; Bob's user came with the update.
  api::updateChannelParticipant participant;
  participant.channel_id = 77;
  participant.user_id = 42;
  participant.actor_id = 43;
  participant.date = 1'700'000'500;
  auto before = std::make_unique<api::channelParticipant>();
  before->user_id = 42;
  before->date = 1'700'000'000;
  participant.prev_participant = std::move(before);
  auto after = std::make_unique<api::channelParticipantAdmin>();
  after->user_id = 42;
  after->promoted_by = 43;
  after->admin_rights = std::make_unique<api::chatAdminRights>();
  participant.new_participant = std::move(after);
  v1::UpdateEvent member;
  ASSERT_TRUE(UpdateToEvent(Boxed(participant), {AUser(42, "Bob")}, {}, 0, "alice", &member).ok());
  ASSERT_TRUE(member.has_member_change()) << member.DebugString();
  EXPECT_EQ(member.member_change().user(), "accounts/alice/users/42");
  EXPECT_EQ(member.member_change().actor(), "accounts/alice/users/43");
  EXPECT_EQ(member.member_change().old_member().status(), v1::ChatMember::MEMBER);
  EXPECT_EQ(member.member_change().new_member().status(), v1::ChatMember::ADMINISTRATOR);
  EXPECT_EQ(member.member_change().new_member().user().first_name(), "Bob");
  EXPECT_EQ(member.time().seconds(), 1'700'000'500);

  // Someone left a basic group.
  api::updateChatParticipantDelete left;
  left.chat_id = 5;
  left.user_id = 42;
  v1::UpdateEvent gone;
  ASSERT_TRUE(UpdateToEvent(Boxed(left), {}, {}, 0, "alice", &gone).ok());
  EXPECT_TRUE(gone.member_change().has_old_member());
  EXPECT_FALSE(gone.member_change().has_new_member());
  EXPECT_EQ(EventChat(gone), -5);

  api::updatePendingJoinRequests pending;
  auto group = std::make_unique<api::peerChannel>();
  group->channel_id = 78;
  pending.peer = std::move(group);
  pending.requests_pending = 2;
  pending.recent_requesters = {42, 44};
  v1::UpdateEvent requests;
  ASSERT_TRUE(UpdateToEvent(Boxed(pending), {}, {}, 0, "alice", &requests).ok());
  EXPECT_EQ(requests.join_requests().pending_count(), 2);
  EXPECT_EQ(requests.join_requests().recent_requester_ids_size(), 2);

  api::updateChannel changed;
  changed.channel_id = 78;
  v1::UpdateEvent chat;
  ASSERT_TRUE(UpdateToEvent(Boxed(changed), {}, {}, 0, "alice", &chat).ok());
  EXPECT_EQ(chat.chat_change().chat(), "accounts/alice/chats/-1000000000078");
}

TEST(UpdateEventsTest, BotsGetCallbackAndInlineQueries) {
  api::updateBotCallbackQuery callback;
  callback.query_id = 555;
  callback.user_id = 42;
  auto peer = std::make_unique<api::peerUser>();
  peer->user_id = 42;
  callback.peer = std::move(peer);
  callback.msg_id = 12;
  callback.data = std::string("\x01\x02yes", 5);
  v1::UpdateEvent event;
  ASSERT_TRUE(UpdateToEvent(Boxed(callback), {}, {}, 0, "bot", &event).ok());
  ASSERT_TRUE(event.has_callback_query());
  EXPECT_EQ(event.callback_query().query_id(), 555);
  EXPECT_EQ(event.callback_query().from(), "accounts/bot/users/42");
  EXPECT_EQ(event.callback_query().message_id(), 12);
  EXPECT_EQ(event.callback_query().data(), std::string("\x01\x02yes", 5));

  api::updateBotInlineQuery inline_query;
  inline_query.query_id = 556;
  inline_query.user_id = 42;
  inline_query.query = "cats";
  inline_query.offset = "10";
  inline_query.peer_type = std::make_unique<api::inlineQueryPeerTypeMegagroup>();
  v1::UpdateEvent inline_event;
  ASSERT_TRUE(UpdateToEvent(Boxed(inline_query), {}, {}, 0, "bot", &inline_event).ok());
  EXPECT_EQ(inline_event.inline_query().query(), "cats");
  EXPECT_EQ(inline_event.inline_query().offset(), "10");
  EXPECT_EQ(inline_event.inline_query().peer_type(), "Megagroup");
  EXPECT_EQ(EventKind(inline_event), "inline_query");
}

TEST(UpdateEventsTest, OtherUpdatesComeAsTlJson) {
  api::updateDialogFilterOrder order;
  order.order = {3, 1, 2};
  v1::UpdateEvent event;
  ASSERT_TRUE(UpdateToEvent(Boxed(order), {}, {}, 0, "alice", &event).ok());
  ASSERT_TRUE(event.has_raw());
  EXPECT_EQ(event.raw().type(), "updateDialogFilterOrder");
  EXPECT_NE(event.raw().tl_json().find("\"updateDialogFilterOrder\""), std::string::npos)
      << event.raw().tl_json();
  EXPECT_NE(event.raw().tl_json().find("3"), std::string::npos);
}

TEST(UpdateEventsTest, GarbageIsDataLoss) {
  v1::UpdateEvent event;
  EXPECT_EQ(UpdateToEvent("\x01\x02\x03\x04", {}, {}, 0, "alice", &event).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(UpdateToEvent("", {}, {}, 0, "alice", &event).code(), absl::StatusCode::kDataLoss);
}

// A service message of forum `channel_id` from user 42, as updateNewChannelMessage.
std::string TopicMessage(int64_t channel_id, int32_t id, tl::Ptr<api::MessageAction> action,
                         int32_t in_topic = 0) {
  auto message = std::make_unique<api::messageService>();
  message->id = id;
  message->date = 1'700'000'000;
  auto from = std::make_unique<api::peerUser>();
  from->user_id = 42;
  message->from_id = std::move(from);
  auto peer = std::make_unique<api::peerChannel>();
  peer->channel_id = channel_id;
  message->peer_id = std::move(peer);
  if (in_topic != 0) {
    auto reply = std::make_unique<api::messageReplyHeader>();
    reply->forum_topic = true;
    reply->reply_to_msg_id = in_topic;
    message->reply_to = std::move(reply);
  }
  message->action = std::move(action);
  api::updateNewChannelMessage update;
  update.message = std::move(message);
  update.pts = 8;
  update.pts_count = 1;
  return Boxed(update);
}

TEST(UpdateEventsTest, ForumTopicsCreatedAndEditedAreTyped) {
  auto create = std::make_unique<api::messageActionTopicCreate>();
  create->title = "Releases";
  create->icon_color = 0x6FB9F0;
  create->icon_emoji_id = 5312536423851630001;
  v1::UpdateEvent created;
  ASSERT_TRUE(UpdateToEvent(TopicMessage(77, 120, std::move(create)), {AUser(42, "Bob")}, {}, 0,
                            "alice", &created)
                  .ok());
  ASSERT_TRUE(created.has_forum_topic()) << created.DebugString();
  const v1::ForumTopicChange& topic = created.forum_topic();
  EXPECT_EQ(topic.chat(), "accounts/alice/chats/-1000000000077");
  EXPECT_EQ(topic.topic_id(), 120);
  EXPECT_TRUE(topic.created());
  EXPECT_TRUE(topic.changed().empty());
  EXPECT_EQ(topic.title(), "Releases");
  EXPECT_EQ(topic.icon_color(), 0x6FB9F0);
  EXPECT_EQ(topic.icon_emoji_id(), 5312536423851630001);
  EXPECT_EQ(topic.actor(), "accounts/alice/users/42");
  EXPECT_EQ(topic.message().id(), 120);
  EXPECT_EQ(topic.message().service_action(), "topicCreate");
  EXPECT_EQ(EventKind(created), "forum_topic");
  EXPECT_EQ(EventChat(created), -1000000000077);
  EXPECT_EQ(created.users_size(), 1);

  // Renamed and closed, in topic 120; its icon and hidden flag untouched.
  auto edit = std::make_unique<api::messageActionTopicEdit>();
  edit->title = "Old releases";
  edit->closed = true;
  v1::UpdateEvent edited;
  ASSERT_TRUE(
      UpdateToEvent(TopicMessage(77, 130, std::move(edit), 120), {}, {}, 0, "alice", &edited).ok());
  ASSERT_TRUE(edited.has_forum_topic()) << edited.DebugString();
  EXPECT_EQ(edited.forum_topic().topic_id(), 120);
  EXPECT_FALSE(edited.forum_topic().created());
  EXPECT_EQ(std::vector<std::string>(edited.forum_topic().changed().begin(),
                                     edited.forum_topic().changed().end()),
            (std::vector<std::string>{"title", "closed"}));
  EXPECT_EQ(edited.forum_topic().title(), "Old releases");
  EXPECT_TRUE(edited.forum_topic().closed());
  EXPECT_FALSE(edited.forum_topic().hidden());
  EXPECT_EQ(edited.forum_topic().message().service_action(), "topicEdit");

  // Reopened and hidden, with a new icon (a topic's top message named by reply_to_top_id).
  auto reopen = std::make_unique<api::messageActionTopicEdit>();
  reopen->closed = false;
  reopen->hidden = true;
  reopen->icon_emoji_id = 99;
  v1::UpdateEvent reopened;
  {
    auto message = std::make_unique<api::messageService>();
    message->id = 140;
    auto peer = std::make_unique<api::peerChannel>();
    peer->channel_id = 77;
    message->peer_id = std::move(peer);
    auto reply = std::make_unique<api::messageReplyHeader>();
    reply->forum_topic = true;
    reply->reply_to_msg_id = 135;
    reply->reply_to_top_id = 120;
    message->reply_to = std::move(reply);
    message->action = std::move(reopen);
    api::updateNewChannelMessage update;
    update.message = std::move(message);
    ASSERT_TRUE(UpdateToEvent(Boxed(update), {}, {}, 0, "alice", &reopened).ok());
  }
  EXPECT_EQ(reopened.forum_topic().topic_id(), 120);
  EXPECT_EQ(std::vector<std::string>(reopened.forum_topic().changed().begin(),
                                     reopened.forum_topic().changed().end()),
            (std::vector<std::string>{"icon", "closed", "hidden"}));
  EXPECT_EQ(reopened.forum_topic().icon_emoji_id(), 99);
  EXPECT_FALSE(reopened.forum_topic().closed());
  EXPECT_TRUE(reopened.forum_topic().hidden());
  EXPECT_TRUE(reopened.forum_topic().actor().empty());

  // Other service messages stay new messages.
  auto renamed = std::make_unique<api::messageActionChatEditTitle>();
  renamed->title = "New name";
  v1::UpdateEvent other;
  ASSERT_TRUE(
      UpdateToEvent(TopicMessage(77, 150, std::move(renamed)), {}, {}, 0, "alice", &other).ok());
  EXPECT_TRUE(other.has_new_message()) << other.DebugString();
}

TEST(UpdateEventsTest, AccountStateChangesPassChatAndDirectionFilters) {
  v1::UpdateEvent revoked;
  revoked.mutable_account_state()->set_state(v1::Account::REVOKED);
  revoked.mutable_account_state()->set_change(v1::AccountStateChange::REVOKED);
  v1::UpdateFilter filter;
  filter.set_direction(v1::UpdateFilter::INCOMING);
  EXPECT_TRUE(FilterPasses(filter, {-1000000000077}, revoked));
  filter.add_kinds("new_message");
  EXPECT_FALSE(FilterPasses(filter, {}, revoked));
  filter.add_kinds("account_state");
  EXPECT_TRUE(FilterPasses(filter, {-1000000000077}, revoked));
  EXPECT_EQ(EventKind(revoked), "account_state");
  EXPECT_EQ(EventChat(revoked), 0);
}

std::vector<std::string> Changes(const std::vector<v1::AccountStateChange>& changes) {
  std::vector<std::string> out;
  for (const v1::AccountStateChange& c : changes) {
    out.push_back(v1::AccountStateChange::Change_Name(c.change()));
  }
  return out;
}

TEST(UpdateEventsTest, AccountStateChangesFollowLogoutLoginRevocationAndMigration) {
  AccountView seen{v1::Account::SIGNED_IN, v1::LoginState::SIGNED_IN, 2};
  AccountView now = seen;
  EXPECT_TRUE(AccountStateChanges(seen, now, "").empty());

  now = {v1::Account::LOGGED_OUT, v1::LoginState::STEP_UNSPECIFIED, 2};
  std::vector<v1::AccountStateChange> out = AccountStateChanges(seen, now, "");
  ASSERT_EQ(Changes(out), std::vector<std::string>{"LOGGED_OUT"});
  EXPECT_EQ(out[0].state(), v1::Account::LOGGED_OUT);
  EXPECT_EQ(out[0].home_dc(), 2);
  EXPECT_TRUE(out[0].reason().empty());

  // A login: started, then the code sent and the home DC moved (PHONE_MIGRATE) seen at once.
  now.state = v1::Account::LOGIN_IN_PROGRESS;
  EXPECT_EQ(Changes(AccountStateChanges(seen, now, "")), std::vector<std::string>{"LOGIN_STARTED"});
  now.login_step = v1::LoginState::CODE_SENT;
  now.home_dc = 4;
  out = AccountStateChanges(seen, now, "");
  ASSERT_EQ(Changes(out), (std::vector<std::string>{"LOGIN_STEP", "HOME_DC_MOVED"}));
  EXPECT_EQ(out[0].login_step(), v1::LoginState::CODE_SENT);
  EXPECT_EQ(out[1].previous_home_dc(), 2);
  EXPECT_EQ(out[1].home_dc(), 4);
  // The same step again (a QR token refreshed, a status change) is no change.
  EXPECT_TRUE(AccountStateChanges(seen, now, "").empty());
  now.login_step = v1::LoginState::PASSWORD_NEEDED;
  EXPECT_EQ(AccountStateChanges(seen, now, "")[0].login_step(), v1::LoginState::PASSWORD_NEEDED);
  now = {v1::Account::SIGNED_IN, v1::LoginState::SIGNED_IN, 4};
  EXPECT_EQ(Changes(AccountStateChanges(seen, now, "")), std::vector<std::string>{"SIGNED_IN"});

  now.state = v1::Account::REVOKED;
  now.login_step = v1::LoginState::STEP_UNSPECIFIED;
  out = AccountStateChanges(seen, now, "SESSION_REVOKED");
  ASSERT_EQ(Changes(out), std::vector<std::string>{"REVOKED"});
  EXPECT_EQ(out[0].reason(), "SESSION_REVOKED");
  EXPECT_EQ(out[0].state(), v1::Account::REVOKED);

  // The reason comes from the login state the account sets when Telegram ends it.
  v1::LoginState login;
  google::rpc::ErrorInfo info;
  info.set_reason("AUTH_KEY_UNREGISTERED");
  info.set_domain("telegram.org");
  login.mutable_error()->add_details()->PackFrom(info);
  EXPECT_EQ(RevokeReason(login), "AUTH_KEY_UNREGISTERED");
  EXPECT_EQ(RevokeReason(v1::LoginState()), "");
}

TEST(UpdateEventsTest, FiltersByKindChatAndDirection) {
  v1::UpdateEvent incoming;
  ASSERT_TRUE(UpdateToEvent(NewMessage(42, 0, false, 7), {}, {}, 0, "alice", &incoming).ok());
  v1::UpdateEvent checkpoint;
  checkpoint.mutable_checkpoint();

  v1::UpdateFilter filter;
  EXPECT_TRUE(FilterPasses(filter, {}, incoming));
  filter.add_kinds("edited_message");
  EXPECT_FALSE(FilterPasses(filter, {}, incoming));
  EXPECT_TRUE(FilterPasses(filter, {}, checkpoint));
  filter.add_kinds("new_message");
  EXPECT_TRUE(FilterPasses(filter, {}, incoming));
  EXPECT_FALSE(FilterPasses(filter, {43}, incoming));
  EXPECT_TRUE(FilterPasses(filter, {43, 42}, incoming));
  filter.set_direction(v1::UpdateFilter::OUTGOING);
  EXPECT_FALSE(FilterPasses(filter, {}, incoming));
  filter.set_direction(v1::UpdateFilter::INCOMING);
  EXPECT_TRUE(FilterPasses(filter, {}, incoming));

  const std::vector<std::string>& kinds = EventKinds();
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "raw"), kinds.end());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "user_update"), kinds.end());
}

}  // namespace
}  // namespace tgrpc::service
