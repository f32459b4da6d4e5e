// fakedc's invite links through a Dispatcher: a basic group's links (made by its creator or
// admins, joined by with a messageActionChatJoinedByLink for every member), and Telegram's refusals
// of importChatInvite: USERS_TOO_MUCH once a link's usage limit is reached or a basic group is
// full, INVITE_HASH_EXPIRED after a revocation, USER_ALREADY_PARTICIPANT.
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/fakedc/dispatcher_test_util.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/seed.h"
#include "tests/fakedc/world.h"
#include "tl/generated/api.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;
using testing::ContextOf;
using testing::ErrorOf;
using testing::ServiceActionIn;

class ChatInvitesTest : public testing::DispatcherTest {
 protected:
  ChatInvitesTest() {
    SeedWorld(world_, /*big_channel_members=*/0);
    RecordPushes();
    RegisterMessageMethods(dispatcher_, env_);
    RegisterChannelMethods(dispatcher_, env_);
    RegisterChatMethods(dispatcher_, env_);
    alice_ = world_.FindUserByPhone(kSeedAlicePhone);
    bob_ = world_.FindUserByPhone(kSeedBobPhone);
    carol_ = world_.FindUserByPhone(kSeedCarolPhone);
    dave_ = world_.FindUserByPhone(kSeedDavePhone);
    world_.SignIn(1, alice_->id);
    world_.SignIn(2, bob_->id);
    world_.SignIn(3, carol_->id);
    world_.SignIn(4, dave_->id);
    alice_context_ = ContextOf(1, alice_->id);
    bob_context_ = ContextOf(2, bob_->id);
    carol_context_ = ContextOf(3, carol_->id);
    dave_context_ = ContextOf(4, dave_->id);
    ChatRecord& chat = world_.AddChat("Basic", alice_->id);
    chat.participants.push_back({bob_->id, alice_->id, chat.date});
    chat_ = chat.id;
    channel_ = world_.AddChannel("Super", "", alice_->id, true).id;
  }

  tl::Ptr<api::InputPeer> ChatPeer() {
    auto out = std::make_unique<api::inputPeerChat>();
    out->chat_id = chat_;
    return out;
  }
  tl::Ptr<api::InputPeer> ChannelPeer() {
    auto out = std::make_unique<api::inputPeerChannel>();
    out->channel_id = channel_;
    out->access_hash = world_.FindChannel(channel_)->access_hash;
    return out;
  }
  // A new link of `peer` (usage_limit 0: none); "" (and a failure) if refused.
  std::string Export(tl::Ptr<api::InputPeer> peer, int32_t usage_limit, CallContext& context) {
    api::messages_exportChatInvite make;
    make.peer = std::move(peer);
    if (usage_limit != 0) make.usage_limit = usage_limit;
    absl::StatusOr<tl::Ptr<api::ExportedChatInvite>> made = Call(make, context);
    EXPECT_TRUE(made.ok()) << made.status();
    if (!made.ok()) return "";
    return static_cast<const api::chatInviteExported&>(**made).link;
  }
  absl::StatusOr<tl::Ptr<api::messages_ChatInviteJoinResult>> Import(const std::string& link,
                                                                     CallContext& context) {
    api::messages_importChatInvite import;
    import.hash = link;
    return Call(import, context);
  }

  const UserRecord* alice_ = nullptr;
  const UserRecord* bob_ = nullptr;
  const UserRecord* carol_ = nullptr;
  const UserRecord* dave_ = nullptr;
  CallContext alice_context_, bob_context_, carol_context_, dave_context_;
  int64_t chat_ = 0, channel_ = 0;
};

TEST_F(ChatInvitesTest, BasicGroupLinksAdmitUpToTheirUsageLimit) {
  // Bob is a member, not an admin: he makes no links.
  api::messages_exportChatInvite bobs;
  bobs.peer = ChatPeer();
  EXPECT_EQ(ErrorOf(Call(bobs, bob_context_)), "400 CHAT_ADMIN_REQUIRED");
  const std::string once = Export(ChatPeer(), 1, alice_context_);
  ASSERT_FALSE(once.empty());

  // Carol joins by it: every member gets messageActionChatJoinedByLink naming alice.
  pushes_.clear();
  absl::StatusOr<tl::Ptr<api::messages_ChatInviteJoinResult>> joined = Import(once, carol_context_);
  ASSERT_TRUE(joined.ok()) << joined.status();
  const auto& ok = static_cast<const api::messages_chatInviteJoinResultOk&>(**joined);
  const auto* action = ServiceActionIn<api::messageActionChatJoinedByLink>(*ok.updates);
  ASSERT_NE(action, nullptr);
  EXPECT_EQ(action->inviter_id, alice_->id);
  const auto& answer = static_cast<const api::updates&>(*ok.updates);
  ASSERT_EQ(answer.chats.size(), 1u);
  EXPECT_EQ(static_cast<const api::chat&>(*answer.chats[0]).id, chat_);
  EXPECT_TRUE(world_.FindChat(chat_)->HasMember(carol_->id));
  EXPECT_EQ(world_.FindChat(chat_)->Participant(carol_->id)->inviter_id, alice_->id);
  const api::Updates* pushed = LastPushTo(bob_->id);
  ASSERT_NE(pushed, nullptr);
  EXPECT_NE(ServiceActionIn<api::messageActionChatJoinedByLink>(*pushed), nullptr);

  // Used up: Telegram's USERS_TOO_MUCH, for a member too.
  EXPECT_EQ(ErrorOf(Import(once, dave_context_)), "400 USERS_TOO_MUCH");
  EXPECT_EQ(ErrorOf(Import(once, carol_context_)), "400 USERS_TOO_MUCH");
  const std::string open = Export(ChatPeer(), 0, alice_context_);
  EXPECT_EQ(ErrorOf(Import(open, carol_context_)), "400 USER_ALREADY_PARTICIPANT");

  // Listed with their usage; a revoked one admits nobody.
  api::messages_getExportedChatInvites list;
  list.peer = ChatPeer();
  auto admin = std::make_unique<api::inputUserSelf>();
  list.admin_id = std::move(admin);
  list.limit = 10;
  absl::StatusOr<tl::Ptr<api::messages_ExportedChatInvites>> listed = Call(list, alice_context_);
  ASSERT_TRUE(listed.ok()) << listed.status();
  const auto& links = static_cast<const api::messages_exportedChatInvites&>(**listed);
  ASSERT_EQ(links.count, 2);
  const auto& oldest = static_cast<const api::chatInviteExported&>(*links.invites[1]);
  EXPECT_EQ(oldest.link, once);
  EXPECT_EQ(oldest.usage.value_or(0), 1);
  api::messages_editExportedChatInvite revoke;
  revoke.peer = ChatPeer();
  revoke.link = open;
  revoke.revoked = true;
  ASSERT_TRUE(Call(revoke, alice_context_).ok());
  EXPECT_EQ(ErrorOf(Import(open, dave_context_)), "400 INVITE_HASH_EXPIRED");
  EXPECT_FALSE(world_.FindChat(chat_)->HasMember(dave_->id));

  // Join requests are not emulated for basic groups.
  api::messages_exportChatInvite approval;
  approval.peer = ChatPeer();
  approval.request_needed = true;
  EXPECT_EQ(ErrorOf(Call(approval, alice_context_)), "400 INPUT_METHOD_INVALID");
}

TEST_F(ChatInvitesTest, AFullBasicGroupAdmitsNobody) {
  const std::string link = Export(ChatPeer(), 0, alice_context_);
  ASSERT_FALSE(link.empty());
  ChatRecord& chat = *world_.FindChat(chat_);
  // help.getConfig's chat_size_max is 200.
  for (int64_t id = 1; chat.participants.size() < 200; ++id) {
    chat.participants.push_back({id, alice_->id, chat.date});
  }
  EXPECT_EQ(ErrorOf(Import(link, dave_context_)), "400 USERS_TOO_MUCH");
  EXPECT_FALSE(chat.HasMember(dave_->id));
  chat.participants.pop_back();
  EXPECT_TRUE(Import(link, dave_context_).ok());
}

TEST_F(ChatInvitesTest, ASupergroupLinksUsageLimitIsUsersTooMuch) {
  const std::string twice = Export(ChannelPeer(), 2, alice_context_);
  ASSERT_FALSE(twice.empty());
  ASSERT_TRUE(Import(twice, bob_context_).ok());
  ASSERT_TRUE(Import(twice, carol_context_).ok());
  EXPECT_EQ(ErrorOf(Import(twice, dave_context_)), "400 USERS_TOO_MUCH");
  EXPECT_FALSE(world_.FindChannel(channel_)->HasMember(dave_->id));
  EXPECT_EQ(ErrorOf(Import("https://t.me/+nothing", dave_context_)), "400 INVITE_HASH_INVALID");
}

}  // namespace
}  // namespace tgrpc::fakedc
