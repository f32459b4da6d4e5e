// fakedc's channel administration (channels.editTitle, channels.editBanned, channels.editAdmin
// with Telegram's rights checks, restrictions and slow mode on sending, restrictions lapsing on
// fakedc's clock), channels.getAdminLog's filter and q, and the about text channels.createChannel
// keeps, through a Dispatcher over a seeded World.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/fakedc/chat_rights.h"
#include "tests/fakedc/dispatcher_test_util.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/rpc.h"
#include "tests/fakedc/seed.h"
#include "tests/fakedc/world.h"
#include "tl/generated/api.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;
using testing::ContextOf;
using testing::ErrorOf;
using testing::ServiceActionIn;

// The channel an updates object carries, or null.
const api::channel* ChannelIn(const api::Updates& updates) {
  const auto* list = dynamic_cast<const api::updates*>(&updates);
  if (list == nullptr || list->chats.empty()) return nullptr;
  return dynamic_cast<const api::channel*>(list->chats[0].get());
}

class ChatsAdminTest : public testing::DispatcherTest {
 protected:
  ChatsAdminTest() {
    SeedWorld(world_, /*big_channel_members=*/3);
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
    ChannelRecord& group = world_.AddChannel("Admin", "admin_group", alice_->id, true);
    group.members.push_back(bob_->id);
    carol_ = world_.FindUserByPhone(kSeedCarolPhone);
    group.members.push_back(carol_->id);
    world_.SignIn(3, carol_->id);
    carol_context_ = ContextOf(3, carol_->id);
    group_ = group.id;
  }

  tl::Ptr<api::InputChannel> InputChannel(int64_t channel_id) {
    const ChannelRecord* channel = world_.FindChannel(channel_id);
    auto out = std::make_unique<api::inputChannel>();
    out->channel_id = channel_id;
    out->access_hash = channel->access_hash;
    return out;
  }
  tl::Ptr<api::InputPeer> UserPeer(const UserRecord& user) {
    auto out = std::make_unique<api::inputPeerUser>();
    out->user_id = user.id;
    out->access_hash = user.access_hash;
    return out;
  }

  absl::StatusOr<tl::Ptr<api::Updates>> EditTitle(const std::string& title, CallContext& context) {
    api::channels_editTitle edit;
    edit.channel = InputChannel(group_);
    edit.title = title;
    return Call(edit, context);
  }
  absl::StatusOr<tl::Ptr<api::Updates>> Ban(const UserRecord& user, bool view_messages,
                                            CallContext& context) {
    api::channels_editBanned ban;
    ban.channel = InputChannel(group_);
    ban.participant = UserPeer(user);
    auto rights = std::make_unique<api::chatBannedRights>();
    rights->view_messages = view_messages;
    ban.banned_rights = std::move(rights);
    return Call(ban, context);
  }
  absl::StatusOr<tl::Ptr<api::messages_ChatInviteJoinResult>> Join(CallContext& context) {
    api::channels_joinChannel join;
    join.channel = InputChannel(group_);
    return Call(join, context);
  }
  bool IsMember(const UserRecord& user) { return world_.FindChannel(group_)->HasMember(user.id); }

  tl::Ptr<api::InputUser> InputUserOf(const UserRecord& user) {
    auto out = std::make_unique<api::inputUser>();
    out->user_id = user.id;
    out->access_hash = user.access_hash;
    return out;
  }
  absl::StatusOr<tl::Ptr<api::Updates>> Promote(const UserRecord& user, uint32_t rights,
                                                const std::string& rank, CallContext& context) {
    api::channels_editAdmin edit;
    edit.channel = InputChannel(group_);
    edit.user_id = InputUserOf(user);
    edit.admin_rights = MakeAdminRights(rights);
    if (!rank.empty()) edit.rank = rank;
    return Call(edit, context);
  }
  absl::StatusOr<tl::Ptr<api::Updates>> Restrict(const UserRecord& user, uint32_t banned,
                                                 int32_t until, CallContext& context) {
    api::channels_editBanned ban;
    ban.channel = InputChannel(group_);
    ban.participant = UserPeer(user);
    ban.banned_rights = MakeBannedRights(banned, until);
    return Call(ban, context);
  }
  // channels.getParticipants with `filter`, as `context`'s user: the participants by user id.
  std::map<int64_t, tl::Ptr<api::ChannelParticipant>> Participants(
      tl::Ptr<api::ChannelParticipantsFilter> filter, CallContext& context) {
    api::channels_getParticipants get;
    get.channel = InputChannel(group_);
    get.filter = std::move(filter);
    get.limit = 100;
    std::map<int64_t, tl::Ptr<api::ChannelParticipant>> out;
    absl::StatusOr<tl::Ptr<api::channels_ChannelParticipants>> got = Call(get, context);
    EXPECT_TRUE(got.ok()) << got.status();
    if (!got.ok()) return out;
    auto* list = dynamic_cast<api::channels_channelParticipants*>(got->get());
    if (list == nullptr) return out;
    for (auto& p : list->participants) {
      int64_t id = 0;
      if (const auto* a = dynamic_cast<const api::channelParticipantAdmin*>(p.get()))
        id = a->user_id;
      if (const auto* c = dynamic_cast<const api::channelParticipantCreator*>(p.get())) {
        id = c->user_id;
      }
      if (const auto* b = dynamic_cast<const api::channelParticipantBanned*>(p.get())) {
        id = static_cast<const api::peerUser&>(*b->peer).user_id;
      }
      if (const auto* m = dynamic_cast<const api::channelParticipant*>(p.get())) id = m->user_id;
      out[id] = std::move(p);
    }
    return out;
  }

  const UserRecord* alice_ = nullptr;
  const UserRecord* bob_ = nullptr;
  const UserRecord* carol_ = nullptr;
  CallContext alice_context_;
  CallContext bob_context_;
  CallContext carol_context_;
  int64_t group_ = 0;
};

TEST_F(ChatsAdminTest, EditTitlePostsTheServiceMessage) {
  absl::StatusOr<tl::Ptr<api::Updates>> edited = EditTitle("  Renamed  ", alice_context_);
  ASSERT_TRUE(edited.ok()) << edited.status();
  const auto* action = ServiceActionIn<api::messageActionChatEditTitle>(**edited);
  ASSERT_NE(action, nullptr);
  EXPECT_EQ(action->title, "Renamed");  // trimmed, as Telegram takes titles
  ASSERT_NE(ChannelIn(**edited), nullptr);
  EXPECT_EQ(ChannelIn(**edited)->title, "Renamed");
  EXPECT_EQ(world_.FindChannel(group_)->title, "Renamed");
  // Bob, a member, gets it pushed.
  const api::Updates* pushed = LastPushTo(bob_->id);
  ASSERT_NE(pushed, nullptr);
  EXPECT_NE(ServiceActionIn<api::messageActionChatEditTitle>(*pushed), nullptr);

  EXPECT_EQ(ErrorOf(EditTitle("Renamed", alice_context_)), "400 CHAT_NOT_MODIFIED");
  EXPECT_EQ(ErrorOf(EditTitle("   ", alice_context_)), "400 CHAT_TITLE_EMPTY");
  EXPECT_EQ(ErrorOf(EditTitle("Bob's", bob_context_)), "400 CHAT_ADMIN_REQUIRED");
  EXPECT_EQ(world_.FindChannel(group_)->title, "Renamed");
}

TEST_F(ChatsAdminTest, ViewMessagesBanRemovesUntilLiftedOrInvited) {
  EXPECT_EQ(ErrorOf(Ban(*alice_, true, bob_context_)), "400 CHAT_ADMIN_REQUIRED");
  EXPECT_EQ(ErrorOf(Ban(*alice_, true, alice_context_)), "400 USER_ADMIN_INVALID");

  pushes_.clear();
  absl::StatusOr<tl::Ptr<api::Updates>> banned = Ban(*bob_, true, alice_context_);
  ASSERT_TRUE(banned.ok()) << banned.status();
  const auto* removed = ServiceActionIn<api::messageActionChatDeleteUser>(**banned);
  ASSERT_NE(removed, nullptr);
  EXPECT_EQ(removed->user_id, bob_->id);
  EXPECT_FALSE(IsMember(*bob_));
  // Bob learns the channel is left.
  const api::Updates* pushed = LastPushTo(bob_->id);
  ASSERT_NE(pushed, nullptr);
  ASSERT_NE(ChannelIn(*pushed), nullptr);
  EXPECT_TRUE(ChannelIn(*pushed)->left);
  // A public supergroup, yet bob cannot come back by himself.
  EXPECT_EQ(ErrorOf(Join(bob_context_)), "406 CHANNEL_PRIVATE");

  // Lifting the ban lets him join again.
  ASSERT_TRUE(Ban(*bob_, false, alice_context_).ok());
  EXPECT_FALSE(IsMember(*bob_));
  ASSERT_TRUE(Join(bob_context_).ok());
  EXPECT_TRUE(IsMember(*bob_));

  // The creator's invitation lifts a ban too.
  ASSERT_TRUE(Ban(*bob_, true, alice_context_).ok());
  api::channels_inviteToChannel invite;
  invite.channel = InputChannel(group_);
  auto user = std::make_unique<api::inputUser>();
  user->user_id = bob_->id;
  user->access_hash = bob_->access_hash;
  invite.users.push_back(std::move(user));
  ASSERT_TRUE(Call(invite, alice_context_).ok());
  EXPECT_TRUE(IsMember(*bob_));
  EXPECT_EQ(world_.FindChannel(group_)->kicked.count(bob_->id), 0u);
}

TEST_F(ChatsAdminTest, CreateChannelKeepsItsAbout) {
  api::channels_createChannel create;
  create.megagroup = true;
  create.title = "With About";
  create.about = "What it is for";
  absl::StatusOr<tl::Ptr<api::Updates>> created = Call(create, alice_context_);
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_NE(ChannelIn(**created), nullptr);
  // channels.getFullChannel answers it (service_chat_admin_test reads it through GetChat).
  const ChannelRecord* channel = world_.FindChannel(ChannelIn(**created)->id);
  ASSERT_NE(channel, nullptr);
  EXPECT_EQ(channel->about, "What it is for");
}

TEST_F(ChatsAdminTest, AdminsGrantOnlyTheRightsTheyHold) {
  using namespace admin_right;  // NOLINT: the rights' names read better bare
  // A member without add_admins promotes nobody.
  EXPECT_EQ(ErrorOf(Promote(*carol_, kBanUsers, "", bob_context_)), "400 CHAT_ADMIN_REQUIRED");
  // The creator grants anything; bob gets ban_users and add_admins with a title.
  ASSERT_TRUE(Promote(*bob_, kBanUsers | kAddAdmins, "Moderator", alice_context_).ok());
  EXPECT_EQ(AdminRightsOf(*world_.FindChannel(group_), bob_->id), kBanUsers | kAddAdmins);
  EXPECT_EQ(ErrorOf(Promote(*carol_, kBanUsers, std::string(17, 'r'), alice_context_)),
            "400 ADMIN_RANK_INVALID");
  // Bob grants only what he holds, and never touches the creator.
  EXPECT_EQ(ErrorOf(Promote(*carol_, kBanUsers | kChangeInfo, "", bob_context_)),
            "403 RIGHT_FORBIDDEN");
  EXPECT_EQ(ErrorOf(Promote(*alice_, kBanUsers, "", bob_context_)), "400 USER_ADMIN_INVALID");
  ASSERT_TRUE(Promote(*carol_, kBanUsers, "", bob_context_).ok());
  // Nobody bans an admin (demote first); carol, without add_admins, demotes nobody.
  EXPECT_EQ(ErrorOf(Ban(*bob_, true, carol_context_)), "400 USER_ADMIN_INVALID");
  EXPECT_EQ(ErrorOf(Promote(*bob_, 0, "", carol_context_)), "400 CHAT_ADMIN_REQUIRED");
  // change_info is not among bob's rights: no renaming.
  api::channels_editTitle rename;
  rename.channel = InputChannel(group_);
  rename.title = "Bob's";
  EXPECT_EQ(ErrorOf(Call(rename, bob_context_)), "400 CHAT_ADMIN_REQUIRED");

  // The admins list shows the creator and both admins, with their rights and rank.
  std::map<int64_t, tl::Ptr<api::ChannelParticipant>> admins =
      Participants(std::make_unique<api::channelParticipantsAdmins>(), alice_context_);
  ASSERT_EQ(admins.size(), 3u);
  EXPECT_NE(dynamic_cast<const api::channelParticipantCreator*>(admins[alice_->id].get()), nullptr);
  const auto* bob = dynamic_cast<const api::channelParticipantAdmin*>(admins[bob_->id].get());
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(bob->rank.value_or(""), "Moderator");
  EXPECT_EQ(AdminBits(bob->admin_rights.get()), kBanUsers | kAddAdmins);
  EXPECT_EQ(bob->promoted_by, alice_->id);
  const auto* carol = dynamic_cast<const api::channelParticipantAdmin*>(admins[carol_->id].get());
  ASSERT_NE(carol, nullptr);
  EXPECT_EQ(carol->promoted_by, bob_->id);

  // The creator demotes bob; then he bans nobody.
  ASSERT_TRUE(Promote(*bob_, 0, "", alice_context_).ok());
  EXPECT_EQ(ErrorOf(Ban(*carol_, true, bob_context_)), "400 CHAT_ADMIN_REQUIRED");
  EXPECT_EQ(Participants(std::make_unique<api::channelParticipantsAdmins>(), alice_context_).size(),
            2u);
  // Each change is in the admin log, under promote (flag 7) or demote (flag 8).
  const std::vector<AdminLogRecord>& log = world_.FindChannel(group_)->admin_log;
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].filter_bit, 1u << 7);
  EXPECT_EQ(log[1].user_id, bob_->id);
  EXPECT_EQ(log[2].filter_bit, 1u << 8);
}

TEST_F(ChatsAdminTest, RestrictedMembersAndSlowModeLimitSending) {
  using namespace banned_right;  // NOLINT
  auto group_peer = [this] {
    auto peer = std::make_unique<api::inputPeerChannel>();
    peer->channel_id = group_;
    peer->access_hash = world_.FindChannel(group_)->access_hash;
    return peer;
  };
  auto send = [&](CallContext& context) {
    api::messages_sendMessage message;
    message.peer = group_peer();
    message.message = "hello";
    message.random_id = world_.Now() + static_cast<int64_t>(context.user_id);
    return Call(message, context);
  };
  ASSERT_TRUE(send(bob_context_).ok());
  ASSERT_TRUE(Restrict(*bob_, kSendMessages | kSendMedia, 0, alice_context_).ok());
  EXPECT_TRUE(IsMember(*bob_));  // restricted, not removed
  EXPECT_EQ(ErrorOf(send(bob_context_)), "403 CHAT_WRITE_FORBIDDEN");
  // channels.getParticipants' Banned filter lists him with his rights.
  std::map<int64_t, tl::Ptr<api::ChannelParticipant>> banned =
      Participants(std::make_unique<api::channelParticipantsBanned>(), alice_context_);
  ASSERT_EQ(banned.size(), 1u);
  const auto* bob = dynamic_cast<const api::channelParticipantBanned*>(banned[bob_->id].get());
  ASSERT_NE(bob, nullptr);
  EXPECT_FALSE(bob->left);
  EXPECT_EQ(BannedBits(bob->banned_rights.get()), kSendMessages | kSendMedia);
  // Without media only, text still goes.
  ASSERT_TRUE(Restrict(*bob_, kSendMedia, 0, alice_context_).ok());
  EXPECT_TRUE(send(bob_context_).ok());
  // Lifted: he writes again.
  ASSERT_TRUE(Restrict(*bob_, 0, 0, alice_context_).ok());
  ASSERT_TRUE(send(bob_context_).ok());

  // Slow mode: a second message within the window waits the rest of it; admins are exempt.
  int32_t now = 1000000;
  world_.SetClock([&now] { return now; });
  world_.FindChannel(group_)->slowmode_seconds = 60;
  ASSERT_TRUE(send(carol_context_).ok());
  now += 20;
  EXPECT_EQ(ErrorOf(send(carol_context_)), "420 SLOWMODE_WAIT_40");
  ASSERT_TRUE(send(alice_context_).ok());
  ASSERT_TRUE(send(alice_context_).ok());
  now += 40;
  EXPECT_TRUE(send(carol_context_).ok());

  // A banned member is out, and cannot send or join again.
  ASSERT_TRUE(Restrict(*carol_, kViewMessages, 0, alice_context_).ok());
  EXPECT_FALSE(IsMember(*carol_));
  EXPECT_EQ(ErrorOf(send(carol_context_)), "403 CHAT_WRITE_FORBIDDEN");
  EXPECT_EQ(ErrorOf(Join(carol_context_)), "406 CHANNEL_PRIVATE");
  std::map<int64_t, tl::Ptr<api::ChannelParticipant>> kicked =
      Participants(std::make_unique<api::channelParticipantsKicked>(), alice_context_);
  ASSERT_EQ(kicked.count(carol_->id), 1u);
}

TEST_F(ChatsAdminTest, RestrictionsLapseWhenTheClockPassesTheirEnd) {
  using namespace banned_right;  // NOLINT
  int32_t now = 1000000;
  world_.SetClock([&now] { return now; });
  auto send = [&](CallContext& context) {
    api::messages_sendMessage message;
    auto peer = std::make_unique<api::inputPeerChannel>();
    peer->channel_id = group_;
    peer->access_hash = world_.FindChannel(group_)->access_hash;
    message.peer = std::move(peer);
    message.message = "hello";
    message.random_id = ++random_id_;
    return Call(message, context);
  };
  // Bob may not write for 100 seconds; carol is banned for 100 seconds.
  ASSERT_TRUE(Restrict(*bob_, kSendMessages, now + 100, alice_context_).ok());
  ASSERT_TRUE(Restrict(*carol_, kViewMessages, now + 100, alice_context_).ok());
  EXPECT_EQ(ErrorOf(send(bob_context_)), "403 CHAT_WRITE_FORBIDDEN");
  EXPECT_EQ(ErrorOf(Join(carol_context_)), "406 CHANNEL_PRIVATE");
  std::map<int64_t, tl::Ptr<api::ChannelParticipant>> banned =
      Participants(std::make_unique<api::channelParticipantsBanned>(), alice_context_);
  ASSERT_EQ(banned.count(bob_->id), 1u);
  EXPECT_EQ(
      BannedUntil(
          static_cast<const api::channelParticipantBanned&>(*banned[bob_->id]).banned_rights.get()),
      now + 100);
  now += 99;
  EXPECT_EQ(ErrorOf(send(bob_context_)), "403 CHAT_WRITE_FORBIDDEN");

  // Their end reached: bob writes, carol joins again, and neither is listed any more.
  now += 1;
  EXPECT_TRUE(send(bob_context_).ok());
  EXPECT_TRUE(Join(carol_context_).ok());
  EXPECT_TRUE(IsMember(*carol_));
  EXPECT_TRUE(
      Participants(std::make_unique<api::channelParticipantsBanned>(), alice_context_).empty());
  EXPECT_TRUE(
      Participants(std::make_unique<api::channelParticipantsKicked>(), alice_context_).empty());
  std::map<int64_t, tl::Ptr<api::ChannelParticipant>> members =
      Participants(std::make_unique<api::channelParticipantsRecent>(), alice_context_);
  EXPECT_NE(dynamic_cast<const api::channelParticipant*>(members[bob_->id].get()), nullptr);

  // An end less than 30 seconds ahead is Telegram's "for good".
  ASSERT_TRUE(Restrict(*bob_, kSendMessages, now + 10, alice_context_).ok());
  now += 1000;
  EXPECT_EQ(ErrorOf(send(bob_context_)), "403 CHAT_WRITE_FORBIDDEN");
}

TEST_F(ChatsAdminTest, AdminLogHonoursItsFilterAndQuery) {
  using namespace admin_right;  // NOLINT
  ASSERT_TRUE(Promote(*bob_, kBanUsers, "", alice_context_).ok());
  ASSERT_TRUE(EditTitle("Kindness Club", alice_context_).ok());
  ASSERT_TRUE(Ban(*carol_, true, bob_context_).ok());
  auto log = [&](tl::Ptr<api::ChannelAdminLogEventsFilter> filter, const std::string& q) {
    api::channels_getAdminLog get;
    get.channel = InputChannel(group_);
    get.q = q;
    get.events_filter = std::move(filter);
    get.limit = 10;
    std::vector<std::string> actions;
    absl::StatusOr<tl::Ptr<api::channels_AdminLogResults>> got = Call(get, alice_context_);
    EXPECT_TRUE(got.ok()) << got.status();
    if (!got.ok()) return actions;
    for (const auto& event : static_cast<const api::channels_adminLogResults&>(**got).events) {
      actions.push_back(static_cast<const api::channelAdminLogEvent&>(*event).action->tl_name());
    }
    return actions;
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(log(nullptr, ""), (Names{"channelAdminLogEventActionParticipantToggleBan",
                                     "channelAdminLogEventActionChangeTitle",
                                     "channelAdminLogEventActionParticipantToggleAdmin"}));
  // The filter's flags, decoded: info (the title), or ban and promote.
  auto info = std::make_unique<api::channelAdminLogEventsFilter>();
  info->info = true;
  EXPECT_EQ(log(std::move(info), ""), Names{"channelAdminLogEventActionChangeTitle"});
  auto ban_promote = std::make_unique<api::channelAdminLogEventsFilter>();
  ban_promote->ban = true;
  ban_promote->promote = true;
  EXPECT_EQ(log(std::move(ban_promote), ""),
            (Names{"channelAdminLogEventActionParticipantToggleBan",
                   "channelAdminLogEventActionParticipantToggleAdmin"}));
  auto leave = std::make_unique<api::channelAdminLogEventsFilter>();
  leave->leave = true;
  EXPECT_TRUE(log(std::move(leave), "").empty());
  // q: a text the action carries, or the name of whom it concerns or who acted, any case.
  EXPECT_EQ(log(nullptr, "kindness"), Names{"channelAdminLogEventActionChangeTitle"});
  EXPECT_EQ(log(nullptr, "CAROL"), Names{"channelAdminLogEventActionParticipantToggleBan"});
  EXPECT_EQ(log(nullptr, "bob"), (Names{"channelAdminLogEventActionParticipantToggleBan",
                                        "channelAdminLogEventActionParticipantToggleAdmin"}));
  EXPECT_TRUE(log(nullptr, "nothing like it").empty());
  auto promote = std::make_unique<api::channelAdminLogEventsFilter>();
  promote->promote = true;
  EXPECT_EQ(log(std::move(promote), "bob"),
            Names{"channelAdminLogEventActionParticipantToggleAdmin"});
}

}  // namespace
}  // namespace tgrpc::fakedc
