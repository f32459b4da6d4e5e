// fakedc's channel administration (channels.editTitle, channels.editBanned) and the about text
// channels.createChannel keeps, through a Dispatcher over a seeded World.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
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

// The action of the updateNewChannelMessage in an updates object, or null.
template <class Action>
const Action* ChannelAction(const api::Updates& updates) {
  const auto* list = dynamic_cast<const api::updates*>(&updates);
  if (list == nullptr) return nullptr;
  for (const auto& u : list->updates_) {
    const auto* added = dynamic_cast<const api::updateNewChannelMessage*>(u.get());
    const auto* service =
        added != nullptr ? dynamic_cast<const api::messageService*>(added->message.get()) : nullptr;
    if (service != nullptr) return dynamic_cast<const Action*>(service->action.get());
  }
  return nullptr;
}

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

  const UserRecord* alice_ = nullptr;
  const UserRecord* bob_ = nullptr;
  CallContext alice_context_;
  CallContext bob_context_;
  int64_t group_ = 0;
};

TEST_F(ChatsAdminTest, EditTitlePostsTheServiceMessage) {
  absl::StatusOr<tl::Ptr<api::Updates>> edited = EditTitle("  Renamed  ", alice_context_);
  ASSERT_TRUE(edited.ok()) << edited.status();
  const auto* action = ChannelAction<api::messageActionChatEditTitle>(**edited);
  ASSERT_NE(action, nullptr);
  EXPECT_EQ(action->title, "Renamed");  // trimmed, as Telegram takes titles
  ASSERT_NE(ChannelIn(**edited), nullptr);
  EXPECT_EQ(ChannelIn(**edited)->title, "Renamed");
  EXPECT_EQ(world_.FindChannel(group_)->title, "Renamed");
  // Bob, a member, gets it pushed.
  const api::Updates* pushed = LastPushTo(bob_->id);
  ASSERT_NE(pushed, nullptr);
  EXPECT_NE(ChannelAction<api::messageActionChatEditTitle>(*pushed), nullptr);

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
  const auto* removed = ChannelAction<api::messageActionChatDeleteUser>(**banned);
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

}  // namespace
}  // namespace tgrpc::fakedc
