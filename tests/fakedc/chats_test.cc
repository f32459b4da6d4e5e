// fakedc's basic groups (create, add, remove, leave, rename, and sending to one) and channel
// membership (create, invite, join, leave) through a Dispatcher over a seeded World.
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakedc/dispatcher_test_util.h"
#include "tests/fakedc/layers.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/rpc.h"
#include "tests/fakedc/seed.h"
#include "tests/fakedc/world.h"
#include "tl/generated/api.h"
#include "tl/runtime/object.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;
using testing::ErrorOf;

template <class T, class U>
const T* As(const tl::Ptr<U>& object) {
  return dynamic_cast<const T*>(object.get());
}

// The first update of type T in an updates object, or null.
template <class T>
const T* FindUpdate(const api::Updates& updates) {
  const auto* list = dynamic_cast<const api::updates*>(&updates);
  if (list == nullptr) return nullptr;
  for (const auto& u : list->updates_) {
    if (const auto* found = dynamic_cast<const T*>(u.get())) return found;
  }
  return nullptr;
}

// The action of a messageService, or null.
template <class Action>
const Action* ActionOf(const tl::Ptr<api::Message>& message) {
  const auto* service = As<api::messageService>(message);
  return service == nullptr ? nullptr : As<Action>(service->action);
}

class ChatsTest : public testing::DispatcherTest {
 protected:
  ChatsTest() {
    SeedWorld(world_, /*big_channel_members=*/10);
    RecordPushes();
    RegisterMessageMethods(dispatcher_, env_);
    RegisterChannelMethods(dispatcher_, env_);
    RegisterChatMethods(dispatcher_, env_);
    alice_ = world_.FindUserByPhone(kSeedAlicePhone);
    bob_ = world_.FindUserByPhone(kSeedBobPhone);
    carol_ = world_.FindUserByPhone(kSeedCarolPhone);
    bot_ = world_.FindUserByUsername(kSeedBotUsername);
    world_.SignIn(1, alice_->id);
    world_.SignIn(2, bob_->id);
    world_.SignIn(3, carol_->id);
    alice_context_ = ContextOf(*alice_, 1);
    bob_context_ = ContextOf(*bob_, 2);
    carol_context_ = ContextOf(*carol_, 3);
  }

  static CallContext ContextOf(const UserRecord& user, uint64_t key) {
    CallContext context;
    context.dc_id = 2;
    context.auth_key_id = key;
    context.session_id = key * 100;
    context.user_id = user.id;
    return context;
  }

  static tl::Ptr<api::InputUser> InputUser(const UserRecord& user) {
    auto out = std::make_unique<api::inputUser>();
    out->user_id = user.id;
    out->access_hash = user.access_hash;
    return out;
  }
  static tl::Ptr<api::InputPeer> ChatPeer(int64_t chat_id) {
    auto out = std::make_unique<api::inputPeerChat>();
    out->chat_id = chat_id;
    return out;
  }
  tl::Ptr<api::InputChannel> InputChannel(int64_t channel_id) {
    const ChannelRecord* channel = world_.FindChannel(channel_id);
    auto out = std::make_unique<api::inputChannel>();
    out->channel_id = channel_id;
    out->access_hash = channel != nullptr ? channel->access_hash : 0;
    return out;
  }

  // alice's messages.createChat with `members`; the chat's id (0 on failure).
  int64_t CreateChat(const std::string& title, const std::vector<const UserRecord*>& members) {
    api::messages_createChat create;
    create.title = title;
    for (const UserRecord* user : members) create.users.push_back(InputUser(*user));
    absl::StatusOr<tl::Ptr<api::messages_InvitedUsers>> created = Call(create, alice_context_);
    EXPECT_TRUE(created.ok()) << created.status();
    if (!created.ok()) return 0;
    const auto& updates =
        static_cast<const api::updates&>(*As<api::messages_invitedUsers>(*created)->updates);
    EXPECT_FALSE(updates.chats.empty());
    if (updates.chats.empty()) return 0;
    const auto* chat = As<api::chat>(updates.chats[0]);
    EXPECT_NE(chat, nullptr);
    return chat != nullptr ? chat->id : 0;
  }

  // Sends `text` to basic group `chat_id`; the sender's message id.
  absl::StatusOr<int32_t> SendToChat(int64_t chat_id, const std::string& text,
                                     CallContext& context) {
    api::messages_sendMessage send;
    send.peer = ChatPeer(chat_id);
    send.message = text;
    send.random_id = ++random_id_;
    absl::StatusOr<tl::Ptr<api::Updates>> sent = Call(send, context);
    if (!sent.ok()) return sent.status();
    const auto* id = FindUpdate<api::updateMessageID>(**sent);
    if (id == nullptr) return absl::InternalError("no updateMessageID");
    EXPECT_EQ(id->random_id, random_id_);
    return id->id;
  }

  // The chat's history as `context`'s user sees it, newest first.
  std::vector<tl::Ptr<api::Message>> History(int64_t chat_id, CallContext& context) {
    api::messages_getHistory get;
    get.peer = ChatPeer(chat_id);
    get.limit = 100;
    absl::StatusOr<tl::Ptr<api::messages_Messages>> got = Call(get, context);
    EXPECT_TRUE(got.ok()) << got.status();
    if (!got.ok()) return {};
    return std::move(static_cast<api::messages_messagesSlice&>(**got).messages);
  }

  // The user ids of channels.getParticipants (recent), in order.
  std::vector<int64_t> Participants(int64_t channel_id, CallContext& context) {
    api::channels_getParticipants get;
    get.channel = InputChannel(channel_id);
    get.filter = std::make_unique<api::channelParticipantsRecent>();
    get.limit = 100;
    absl::StatusOr<tl::Ptr<api::channels_ChannelParticipants>> got = Call(get, context);
    EXPECT_TRUE(got.ok()) << got.status();
    std::vector<int64_t> out;
    if (!got.ok()) return out;
    for (const auto& p :
         static_cast<const api::channels_channelParticipants&>(**got).participants) {
      if (const auto* creator = As<api::channelParticipantCreator>(p))
        out.push_back(creator->user_id);
      if (const auto* member = As<api::channelParticipant>(p)) out.push_back(member->user_id);
    }
    return out;
  }

  // alice's channels.createChannel; the channel's id (0 on failure).
  int64_t CreateChannel(const std::string& title, bool megagroup) {
    api::channels_createChannel create;
    create.title = title;
    create.megagroup = megagroup;
    create.broadcast = !megagroup;
    absl::StatusOr<tl::Ptr<api::Updates>> created = Call(create, alice_context_);
    EXPECT_TRUE(created.ok()) << created.status();
    if (!created.ok()) return 0;
    const auto* update = FindUpdate<api::updateChannel>(**created);
    EXPECT_NE(update, nullptr);
    return update != nullptr ? update->channel_id : 0;
  }

  // The pushes to `user_id` since the last call, in order.
  std::vector<Push> TakePushes(int64_t user_id) {
    std::vector<Push> out, rest;
    for (Push& p : pushes_) (p.user_id == user_id ? out : rest).push_back(std::move(p));
    pushes_ = std::move(rest);
    return out;
  }

  UserRecord* alice_ = nullptr;
  UserRecord* bob_ = nullptr;
  UserRecord* carol_ = nullptr;
  UserRecord* bot_ = nullptr;
  CallContext alice_context_, bob_context_, carol_context_;
};

TEST_F(ChatsTest, CreateChatPutsTheServiceMessageInEveryMembersBox) {
  const int32_t bob_pts = world_.BoxOf(bob_->id).pts;
  api::messages_createChat create;
  create.title = "  Trip  ";
  create.users.push_back(InputUser(*bob_));
  create.users.push_back(InputUser(*bob_));  // twice: one member
  absl::StatusOr<tl::Ptr<api::messages_InvitedUsers>> created = Call(create, alice_context_);
  ASSERT_TRUE(created.ok()) << created.status();
  const auto& invited = static_cast<const api::messages_invitedUsers&>(**created);
  EXPECT_TRUE(invited.missing_invitees.empty());
  const auto& updates = static_cast<const api::updates&>(*invited.updates);
  ASSERT_EQ(updates.chats.size(), 1u);
  const auto* chat = As<api::chat>(updates.chats[0]);
  ASSERT_NE(chat, nullptr);
  EXPECT_EQ(chat->title, "Trip");
  EXPECT_TRUE(chat->creator);
  EXPECT_EQ(chat->participants_count, 2);
  const auto* participants = FindUpdate<api::updateChatParticipants>(updates);
  ASSERT_NE(participants, nullptr);
  EXPECT_EQ(As<api::chatParticipants>(participants->participants)->participants.size(), 2u);
  const auto* own = FindUpdate<api::updateNewMessage>(updates);
  ASSERT_NE(own, nullptr);
  EXPECT_EQ(own->pts, world_.BoxOf(alice_->id).pts);
  const auto* action = ActionOf<api::messageActionChatCreate>(own->message);
  ASSERT_NE(action, nullptr);
  EXPECT_EQ(action->users, (std::vector<int64_t>{alice_->id, bob_->id}));
  EXPECT_TRUE(As<api::messageService>(own->message)->out);

  // Bob's own copy: his pts moved by one, and his sessions got it with that pts.
  EXPECT_EQ(world_.BoxOf(bob_->id).pts, bob_pts + 1);
  std::vector<Push> to_bob = TakePushes(bob_->id);
  ASSERT_EQ(to_bob.size(), 1u);
  const auto* pushed = FindUpdate<api::updateNewMessage>(*to_bob[0].updates);
  ASSERT_NE(pushed, nullptr);
  EXPECT_EQ(pushed->pts, bob_pts + 1);
  EXPECT_EQ(pushed->pts_count, 1);
  const auto& service = static_cast<const api::messageService&>(*pushed->message);
  EXPECT_FALSE(service.out);
  EXPECT_EQ(As<api::peerChat>(service.peer_id)->chat_id, chat->id);
  EXPECT_EQ(As<api::peerUser>(service.from_id)->user_id, alice_->id);
  ASSERT_EQ(static_cast<const api::updates&>(*to_bob[0].updates).chats.size(), 1u);
  EXPECT_FALSE(
      As<api::chat>(static_cast<const api::updates&>(*to_bob[0].updates).chats[0])->creator);
  // Alice's other sessions get her copy; not the calling one.
  std::vector<Push> to_alice = TakePushes(alice_->id);
  ASSERT_EQ(to_alice.size(), 1u);
  EXPECT_EQ(to_alice[0].except_session, alice_context_.session_id);

  std::vector<tl::Ptr<api::Message>> history = History(chat->id, bob_context_);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_NE(ActionOf<api::messageActionChatCreate>(history[0]), nullptr);
  // The box's event log has it, for updates.getDifference.
  ASSERT_FALSE(world_.BoxOf(bob_->id).events.empty());
  EXPECT_EQ(world_.BoxOf(bob_->id).events.back().new_message_id,
            As<api::messageService>(history[0])->id);
}

TEST_F(ChatsTest, MessagesToAGroupReachEveryMember) {
  const int64_t chat_id = CreateChat("Trip", {bob_});
  ASSERT_NE(chat_id, 0);
  pushes_.clear();
  const int32_t bob_pts = world_.BoxOf(bob_->id).pts;
  absl::StatusOr<int32_t> sent = SendToChat(chat_id, "hello all", alice_context_);
  ASSERT_TRUE(sent.ok()) << sent.status();
  std::vector<Push> to_bob = TakePushes(bob_->id);
  ASSERT_EQ(to_bob.size(), 1u);
  const auto* pushed = FindUpdate<api::updateNewMessage>(*to_bob[0].updates);
  ASSERT_NE(pushed, nullptr);
  EXPECT_EQ(pushed->pts, bob_pts + 1);
  EXPECT_EQ(static_cast<const api::message&>(*pushed->message).message_, "hello all");

  absl::StatusOr<int32_t> reply = SendToChat(chat_id, "hi alice", bob_context_);
  ASSERT_TRUE(reply.ok()) << reply.status();
  for (CallContext* context : {&alice_context_, &bob_context_}) {
    std::vector<tl::Ptr<api::Message>> history = History(chat_id, *context);
    ASSERT_EQ(history.size(), 3u);  // newest first, the creation last
    const auto& newest = static_cast<const api::message&>(*history[0]);
    const auto& older = static_cast<const api::message&>(*history[1]);
    EXPECT_EQ(newest.message_, "hi alice");
    EXPECT_EQ(older.message_, "hello all");
    EXPECT_EQ(newest.out, context == &bob_context_);
    EXPECT_EQ(older.out, context == &alice_context_);
    EXPECT_EQ(As<api::peerChat>(newest.peer_id)->chat_id, chat_id);
  }
  // Each box numbers its own copy: alice's is the id her answer gave.
  EXPECT_EQ(static_cast<const api::message&>(*History(chat_id, alice_context_)[1]).id, *sent);

  // search, getMessages and getDialogs see the group.
  api::messages_search search;
  search.peer = ChatPeer(chat_id);
  search.q = "HELLO";
  search.filter = std::make_unique<api::inputMessagesFilterEmpty>();
  search.limit = 10;
  absl::StatusOr<tl::Ptr<api::messages_Messages>> found = Call(search, bob_context_);
  ASSERT_TRUE(found.ok()) << found.status();
  const auto& slice = static_cast<const api::messages_messagesSlice&>(**found);
  EXPECT_EQ(slice.count, 1);
  ASSERT_EQ(slice.chats.size(), 1u);
  EXPECT_EQ(As<api::chat>(slice.chats[0])->id, chat_id);

  api::messages_getMessages get;
  auto id = std::make_unique<api::inputMessageID>();
  id->id = *sent;
  get.id.push_back(std::move(id));
  absl::StatusOr<tl::Ptr<api::messages_Messages>> got = Call(get, alice_context_);
  ASSERT_TRUE(got.ok()) << got.status();
  const auto& messages = static_cast<const api::messages_messages&>(**got);
  ASSERT_EQ(messages.messages.size(), 1u);
  EXPECT_EQ(static_cast<const api::message&>(*messages.messages[0]).message_, "hello all");
  EXPECT_EQ(messages.chats.size(), 1u);

  api::messages_getDialogs dialogs;
  dialogs.offset_peer = std::make_unique<api::inputPeerEmpty>();
  dialogs.limit = 10;
  absl::StatusOr<tl::Ptr<api::messages_Dialogs>> listed = Call(dialogs, bob_context_);
  ASSERT_TRUE(listed.ok()) << listed.status();
  const auto& list = static_cast<const api::messages_dialogsSlice&>(**listed);
  ASSERT_FALSE(list.dialogs.empty());
  const auto& first = static_cast<const api::dialog&>(*list.dialogs[0]);
  ASSERT_NE(As<api::peerChat>(first.peer), nullptr);
  EXPECT_EQ(As<api::peerChat>(first.peer)->chat_id, chat_id);
  bool listed_chat = false;
  for (const auto& c : list.chats) listed_chat |= As<api::chat>(c) != nullptr;
  EXPECT_TRUE(listed_chat);

  // forwardMessages into the group: every member gets a copy.
  api::messages_forwardMessages forward;
  forward.from_peer = ChatPeer(chat_id);
  forward.to_peer = ChatPeer(chat_id);
  forward.id = {*sent};
  forward.random_id = {9};
  ASSERT_TRUE(Call(forward, alice_context_).ok());
  EXPECT_EQ(static_cast<const api::message&>(*History(chat_id, bob_context_)[0]).message_,
            "hello all");
}

TEST_F(ChatsTest, AddedMembersGetTheHistoryAndRemovedOnesLoseTheChat) {
  const int64_t chat_id = CreateChat("Trip", {bob_});
  ASSERT_TRUE(SendToChat(chat_id, "before carol", alice_context_).ok());
  pushes_.clear();
  api::messages_addChatUser add;
  add.chat_id = chat_id;
  add.user_id = InputUser(*carol_);
  add.fwd_limit = 100;
  absl::StatusOr<tl::Ptr<api::messages_InvitedUsers>> added = Call(add, alice_context_);
  ASSERT_TRUE(added.ok()) << added.status();
  const auto* own = FindUpdate<api::updateNewMessage>(
      *static_cast<const api::messages_invitedUsers&>(**added).updates);
  ASSERT_NE(own, nullptr);
  const auto* action = ActionOf<api::messageActionChatAddUser>(own->message);
  ASSERT_NE(action, nullptr);
  EXPECT_EQ(action->users, std::vector<int64_t>{carol_->id});
  // Carol has the history (creation, the message) and the service message; bob the latter.
  std::vector<tl::Ptr<api::Message>> carols = History(chat_id, carol_context_);
  ASSERT_EQ(carols.size(), 3u);
  EXPECT_NE(ActionOf<api::messageActionChatAddUser>(carols[0]), nullptr);
  EXPECT_EQ(static_cast<const api::message&>(*carols[1]).message_, "before carol");
  EXPECT_NE(ActionOf<api::messageActionChatAddUser>(History(chat_id, bob_context_)[0]), nullptr);
  EXPECT_EQ(TakePushes(carol_->id).size(), 1u);
  EXPECT_EQ(TakePushes(bob_->id).size(), 1u);
  EXPECT_EQ(ErrorOf(Call(add, alice_context_)), "400 USER_ALREADY_PARTICIPANT");

  api::messages_getFullChat full;
  full.chat_id = chat_id;
  absl::StatusOr<tl::Ptr<api::messages_ChatFull>> got = Call(full, bob_context_);
  ASSERT_TRUE(got.ok()) << got.status();
  const auto& chat_full = static_cast<const api::chatFull&>(
      *static_cast<const api::messages_chatFull&>(**got).full_chat);
  const auto* participants = As<api::chatParticipants>(chat_full.participants);
  ASSERT_NE(participants, nullptr);
  ASSERT_EQ(participants->participants.size(), 3u);
  EXPECT_EQ(participants->version, 2);
  EXPECT_NE(As<api::chatParticipantCreator>(participants->participants[0]), nullptr);
  const auto* carol_entry = As<api::chatParticipant>(participants->participants[2]);
  ASSERT_NE(carol_entry, nullptr);
  EXPECT_EQ(carol_entry->user_id, carol_->id);
  EXPECT_EQ(carol_entry->inviter_id, alice_->id);

  // Bob did not add carol and is not the creator.
  api::messages_deleteChatUser remove;
  remove.chat_id = chat_id;
  remove.user_id = InputUser(*carol_);
  EXPECT_EQ(ErrorOf(Call(remove, bob_context_)), "400 CHAT_ADMIN_REQUIRED");
  absl::StatusOr<tl::Ptr<api::Updates>> removed = Call(remove, alice_context_);
  ASSERT_TRUE(removed.ok()) << removed.status();
  ASSERT_NE(FindUpdate<api::updateNewMessage>(**removed), nullptr);
  // Carol's last message says she was removed; the chat is forbidden to her now.
  carols = History(chat_id, carol_context_);
  ASSERT_EQ(carols.size(), 4u);
  const auto* deleted = ActionOf<api::messageActionChatDeleteUser>(carols[0]);
  ASSERT_NE(deleted, nullptr);
  EXPECT_EQ(deleted->user_id, carol_->id);
  api::messages_getChats chats;
  chats.id = {chat_id};
  absl::StatusOr<tl::Ptr<api::messages_Chats>> seen = Call(chats, carol_context_);
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_NE(As<api::chatForbidden>(static_cast<const api::messages_chats&>(**seen).chats[0]),
            nullptr);
  EXPECT_EQ(ErrorOf(SendToChat(chat_id, "still here?", carol_context_)),
            "403 CHAT_WRITE_FORBIDDEN");
  EXPECT_EQ(ErrorOf(Call(remove, alice_context_)), "400 USER_NOT_PARTICIPANT");
  // Removed, she may not add herself back.
  api::messages_addChatUser back;
  back.chat_id = chat_id;
  back.user_id = std::make_unique<api::inputUserSelf>();
  EXPECT_EQ(ErrorOf(Call(back, carol_context_)), "403 CHAT_WRITE_FORBIDDEN");
}

TEST_F(ChatsTest, LeavingIsDeletingYourselfAndOneWhoLeftMayReturn) {
  const int64_t chat_id = CreateChat("Trip", {bob_, carol_});
  api::messages_deleteChatUser leave;
  leave.chat_id = chat_id;
  leave.user_id = std::make_unique<api::inputUserSelf>();
  absl::StatusOr<tl::Ptr<api::Updates>> left = Call(leave, bob_context_);
  ASSERT_TRUE(left.ok()) << left.status();
  const auto& answer = static_cast<const api::updates&>(**left);
  ASSERT_EQ(answer.chats.size(), 1u);
  const auto* chat = As<api::chat>(answer.chats[0]);
  ASSERT_NE(chat, nullptr);
  EXPECT_TRUE(chat->left);
  EXPECT_EQ(chat->participants_count, 2);
  // Alice and carol see bob leave; bob cannot write or leave again.
  EXPECT_NE(ActionOf<api::messageActionChatDeleteUser>(History(chat_id, carol_context_)[0]),
            nullptr);
  EXPECT_EQ(ErrorOf(SendToChat(chat_id, "hi", bob_context_)), "403 CHAT_WRITE_FORBIDDEN");
  EXPECT_EQ(ErrorOf(Call(leave, bob_context_)), "400 USER_NOT_PARTICIPANT");
  api::messages_getFullChat full;
  full.chat_id = chat_id;
  absl::StatusOr<tl::Ptr<api::messages_ChatFull>> got = Call(full, bob_context_);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_NE(As<api::chatParticipantsForbidden>(
                static_cast<const api::chatFull&>(
                    *static_cast<const api::messages_chatFull&>(**got).full_chat)
                    .participants),
            nullptr);

  api::messages_addChatUser back;
  back.chat_id = chat_id;
  back.user_id = std::make_unique<api::inputUserSelf>();
  back.fwd_limit = 100;
  const size_t bobs_before = History(chat_id, bob_context_).size();
  ASSERT_TRUE(Call(back, bob_context_).ok());
  // Only the service message is new: a returning member already has the history.
  EXPECT_EQ(History(chat_id, bob_context_).size(), bobs_before + 1);
  EXPECT_TRUE(SendToChat(chat_id, "back", bob_context_).ok());

  // The creator may leave too.
  ASSERT_TRUE(Call(leave, alice_context_).ok());
  EXPECT_EQ(ErrorOf(SendToChat(chat_id, "hi", alice_context_)), "403 CHAT_WRITE_FORBIDDEN");
  EXPECT_TRUE(SendToChat(chat_id, "alice left", carol_context_).ok());
}

TEST_F(ChatsTest, BadInputAndOutsidersGetTelegramsErrors) {
  api::messages_createChat create;
  create.title = "Alone";
  EXPECT_EQ(ErrorOf(Call(create, alice_context_)), "400 USERS_TOO_FEW");
  create.users.push_back(std::make_unique<api::inputUserSelf>());
  EXPECT_EQ(ErrorOf(Call(create, alice_context_)), "400 USERS_TOO_FEW");
  create.users.push_back(InputUser(*bob_));
  create.title = "   ";
  EXPECT_EQ(ErrorOf(Call(create, alice_context_)), "400 CHAT_TITLE_EMPTY");
  UserRecord forged = *bob_;
  forged.access_hash ^= 1;
  create.title = "Forged";
  create.users.back() = InputUser(forged);
  EXPECT_EQ(ErrorOf(Call(create, alice_context_)), "400 USER_ID_INVALID");

  const int64_t chat_id = CreateChat("Trip", {bob_});
  // Carol was never in it; an unknown id is no chat at all.
  EXPECT_EQ(ErrorOf(SendToChat(chat_id, "hi", carol_context_)), "400 PEER_ID_INVALID");
  EXPECT_EQ(ErrorOf(SendToChat(chat_id + 1000, "hi", alice_context_)), "400 CHAT_ID_INVALID");
  api::messages_getHistory history;
  history.peer = ChatPeer(chat_id);
  history.limit = 10;
  EXPECT_EQ(ErrorOf(Call(history, carol_context_)), "400 PEER_ID_INVALID");
  api::messages_getFullChat full;
  full.chat_id = chat_id;
  EXPECT_EQ(ErrorOf(Call(full, carol_context_)), "400 CHAT_ID_INVALID");
  api::messages_getChats chats;
  chats.id = {chat_id};
  EXPECT_EQ(ErrorOf(Call(chats, carol_context_)), "400 CHAT_ID_INVALID");
  api::messages_addChatUser add;
  add.chat_id = chat_id;
  add.user_id = std::make_unique<api::inputUserSelf>();
  EXPECT_EQ(ErrorOf(Call(add, carol_context_)), "400 CHAT_ID_INVALID");

  api::messages_editChatTitle rename;
  rename.chat_id = chat_id;
  rename.title = "Trip";
  EXPECT_EQ(ErrorOf(Call(rename, bob_context_)), "400 CHAT_NOT_MODIFIED");
  rename.title = "";
  EXPECT_EQ(ErrorOf(Call(rename, bob_context_)), "400 CHAT_TITLE_EMPTY");
  rename.title = "Road trip";
  absl::StatusOr<tl::Ptr<api::Updates>> renamed = Call(rename, bob_context_);
  ASSERT_TRUE(renamed.ok()) << renamed.status();
  EXPECT_EQ(As<api::chat>(static_cast<const api::updates&>(**renamed).chats[0])->title,
            "Road trip");
  const std::vector<tl::Ptr<api::Message>> alices = History(chat_id, alice_context_);
  const auto* title = ActionOf<api::messageActionChatEditTitle>(alices[0]);
  ASSERT_NE(title, nullptr);
  EXPECT_EQ(title->title, "Road trip");
}

TEST_F(ChatsTest, SupergroupMembersInviteJoinAndLeave) {
  const int64_t channel_id = CreateChannel("Club", /*megagroup=*/true);
  ASSERT_NE(channel_id, 0);
  ChannelRecord& channel = *world_.FindChannel(channel_id);
  EXPECT_TRUE(channel.megagroup);
  ASSERT_EQ(channel.box.messages.size(), 1u);
  EXPECT_TRUE(channel.box.messages.begin()->second.action.has_value());
  EXPECT_EQ(Participants(channel_id, alice_context_), std::vector<int64_t>{alice_->id});
  pushes_.clear();

  const int32_t pts = channel.box.pts;
  api::channels_inviteToChannel invite;
  invite.channel = InputChannel(channel_id);
  invite.users.push_back(InputUser(*bob_));
  absl::StatusOr<tl::Ptr<api::messages_InvitedUsers>> invited = Call(invite, alice_context_);
  ASSERT_TRUE(invited.ok()) << invited.status();
  const auto* added = FindUpdate<api::updateNewChannelMessage>(
      *static_cast<const api::messages_invitedUsers&>(**invited).updates);
  ASSERT_NE(added, nullptr);
  EXPECT_EQ(added->pts, pts + 1);
  EXPECT_NE(ActionOf<api::messageActionChatAddUser>(added->message), nullptr);
  // Bob is told of the channel and the message.
  std::vector<Push> to_bob = TakePushes(bob_->id);
  ASSERT_EQ(to_bob.size(), 1u);
  EXPECT_NE(FindUpdate<api::updateChannel>(*to_bob[0].updates), nullptr);
  EXPECT_NE(FindUpdate<api::updateNewChannelMessage>(*to_bob[0].updates), nullptr);
  EXPECT_EQ(Participants(channel_id, bob_context_), (std::vector<int64_t>{alice_->id, bob_->id}));

  // A private supergroup: carol needs an invitation; once it is public, she joins.
  api::channels_joinChannel join;
  join.channel = InputChannel(channel_id);
  EXPECT_EQ(ErrorOf(Call(join, carol_context_)), "406 CHANNEL_PRIVATE");
  EXPECT_EQ(ErrorOf(Call(join, bob_context_)), "400 USER_ALREADY_PARTICIPANT");
  channel.username = "fakedc_club";
  absl::StatusOr<tl::Ptr<api::messages_ChatInviteJoinResult>> joined = Call(join, carol_context_);
  ASSERT_TRUE(joined.ok()) << joined.status();
  const auto* ok = As<api::messages_chatInviteJoinResultOk>(*joined);
  ASSERT_NE(ok, nullptr);
  const auto& join_updates = static_cast<const api::updates&>(*ok->updates);
  ASSERT_FALSE(join_updates.chats.empty());
  EXPECT_FALSE(As<api::channel>(join_updates.chats[0])->left);
  EXPECT_NE(ActionOf<api::messageActionChatAddUser>(
                FindUpdate<api::updateNewChannelMessage>(join_updates)->message),
            nullptr);
  EXPECT_EQ(Participants(channel_id, carol_context_),
            (std::vector<int64_t>{alice_->id, bob_->id, carol_->id}));
  EXPECT_EQ(TakePushes(bob_->id).size(), 1u);

  api::channels_leaveChannel leave;
  leave.channel = InputChannel(channel_id);
  absl::StatusOr<tl::Ptr<api::Updates>> left = Call(leave, carol_context_);
  ASSERT_TRUE(left.ok()) << left.status();
  EXPECT_TRUE(As<api::channel>(static_cast<const api::updates&>(**left).chats[0])->left);
  EXPECT_NE(ActionOf<api::messageActionChatDeleteUser>(
                FindUpdate<api::updateNewChannelMessage>(**left)->message),
            nullptr);
  EXPECT_EQ(ErrorOf(Call(leave, carol_context_)), "400 USER_NOT_PARTICIPANT");
  EXPECT_EQ(Participants(channel_id, alice_context_), (std::vector<int64_t>{alice_->id, bob_->id}));

  // The creator leaves: bob stays, with no admin left.
  ASSERT_TRUE(Call(leave, alice_context_).ok());
  EXPECT_EQ(Participants(channel_id, bob_context_), std::vector<int64_t>{bob_->id});
  api::channels_getParticipants admins;
  admins.channel = InputChannel(channel_id);
  admins.filter = std::make_unique<api::channelParticipantsAdmins>();
  admins.limit = 10;
  absl::StatusOr<tl::Ptr<api::channels_ChannelParticipants>> got = Call(admins, bob_context_);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(static_cast<const api::channels_channelParticipants&>(**got).count, 0);
}

TEST_F(ChatsTest, BroadcastChannelsAreRunByTheirCreator) {
  api::channels_createChannel untitled;
  untitled.broadcast = true;
  untitled.title = " ";
  EXPECT_EQ(ErrorOf(Call(untitled, alice_context_)), "400 CHAT_TITLE_EMPTY");
  untitled.title = "News";
  untitled.about = std::string(300, 'a');
  EXPECT_EQ(ErrorOf(Call(untitled, alice_context_)), "400 CHAT_ABOUT_TOO_LONG");

  const int64_t channel_id = CreateChannel("News", /*megagroup=*/false);
  ChannelRecord& channel = *world_.FindChannel(channel_id);
  EXPECT_FALSE(channel.megagroup);
  const tl::Ptr<api::Message> first = MakeMessage(channel.box.messages.begin()->second, world_);
  const auto* created = ActionOf<api::messageActionChannelCreate>(first);
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->title, "News");

  api::channels_inviteToChannel invite;
  invite.channel = InputChannel(channel_id);
  invite.users.push_back(InputUser(*carol_));
  EXPECT_EQ(ErrorOf(Call(invite, bob_context_)), "406 CHANNEL_PRIVATE");
  invite.users.push_back(InputUser(*bot_));
  EXPECT_EQ(ErrorOf(Call(invite, alice_context_)), "400 USER_BOT");
  invite.users.pop_back();
  invite.users.push_back(InputUser(*bob_));
  const int32_t pts = channel.box.pts;
  pushes_.clear();
  ASSERT_TRUE(Call(invite, alice_context_).ok());
  // No service message in a broadcast channel: pts stays; the invited are told of the channel.
  EXPECT_EQ(channel.box.pts, pts);
  std::vector<Push> to_bob = TakePushes(bob_->id);
  ASSERT_EQ(to_bob.size(), 1u);
  EXPECT_NE(FindUpdate<api::updateChannel>(*to_bob[0].updates), nullptr);
  EXPECT_EQ(FindUpdate<api::updateNewChannelMessage>(*to_bob[0].updates), nullptr);
  EXPECT_EQ(Participants(channel_id, alice_context_),
            (std::vector<int64_t>{alice_->id, carol_->id, bob_->id}));

  // Members other than the creator may not invite, or post.
  api::channels_inviteToChannel by_bob;
  by_bob.channel = InputChannel(channel_id);
  by_bob.users.push_back(InputUser(*bot_));
  EXPECT_EQ(ErrorOf(Call(by_bob, bob_context_)), "403 CHAT_ADMIN_REQUIRED");
  // Leaving a channel one is not in: private, so it looks inaccessible.
  api::channels_leaveChannel leave;
  leave.channel = InputChannel(channel_id);
  ASSERT_TRUE(Call(leave, bob_context_).ok());
  EXPECT_EQ(ErrorOf(Call(leave, bob_context_)), "406 CHANNEL_PRIVATE");
  EXPECT_EQ(Participants(channel_id, alice_context_),
            (std::vector<int64_t>{alice_->id, carol_->id}));
}

// Where an older layer's messages.createChat or channels.joinChannel answers Updates, which the
// pinned layer wraps (messages.invitedUsers, messages.chatInviteJoinResultOk), the client gets the
// Updates inside.
TEST(ChatLayersTest, OlderLayersGetTheUpdatesTheAnswerWraps) {
  absl::StatusOr<std::unique_ptr<LayerSchemas>> layers = LayerSchemas::Load(
      "tl/schema/api.tl", {"tl/schema/api_layer144.tl", "tl/schema/api_layer198.tl"});
  ASSERT_TRUE(layers.ok()) << layers.status();
  auto make_updates = [] {
    auto updates = std::make_unique<api::updates>();
    auto channel = std::make_unique<api::updateChannel>();
    channel->channel_id = 77;
    updates->updates_.push_back(std::move(channel));
    updates->date = 5;
    return updates;
  };
  api::messages_invitedUsers invited;
  invited.updates = make_updates();
  absl::StatusOr<std::string> invited_bytes = tl::Serialize(invited);
  ASSERT_TRUE(invited_bytes.ok());
  api::messages_chatInviteJoinResultOk joined;
  joined.updates = make_updates();
  absl::StatusOr<std::string> joined_bytes = tl::Serialize(joined);
  ASSERT_TRUE(joined_bytes.ok());
  absl::StatusOr<std::string> expected = tl::Serialize(*make_updates());
  ASSERT_TRUE(expected.ok());

  // Layer 198's createChat answers invitedUsers already; its joinChannel, Updates.
  for (auto [method, layer, pinned, unwrapped] :
       {std::tuple{"messages.createChat", 144, &*invited_bytes, true},
        std::tuple{"messages.createChat", 198, &*invited_bytes, false},
        std::tuple{"messages.createChat", 228, &*invited_bytes, false},
        std::tuple{"channels.joinChannel", 144, &*joined_bytes, true},
        std::tuple{"channels.joinChannel", 198, &*joined_bytes, true},
        std::tuple{"channels.joinChannel", 228, &*joined_bytes, false}}) {
    absl::StatusOr<std::string> answer = (*layers)->EncodeResult(*pinned, method, layer);
    ASSERT_TRUE(answer.ok()) << method << " " << layer << ": " << answer.status();
    EXPECT_EQ(*answer, unwrapped ? *expected : *pinned) << method << " " << layer;
  }
}

}  // namespace
}  // namespace tgrpc::fakedc
