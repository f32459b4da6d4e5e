// Both sides of a private chat in fakedc: each keeps its own copy of a message (own id, own pts),
// and messages.editMessage and messages.deleteMessages with revoke change the other side's copy
// too, log the change in its box (getDifference replays it) and push it there, as Telegram does.
// Through a Dispatcher over a seeded World.
#include <cstdint>
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
#include "tl/runtime/object.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

class PrivateChatTest : public testing::DispatcherTest {
 protected:
  PrivateChatTest() {
    SeedWorld(world_, /*big_channel_members=*/0);
    RecordPushes();
    RegisterMessageMethods(dispatcher_, env_);
    RegisterUpdateMethods(dispatcher_, env_);
    alice_ = world_.FindUserByPhone(kSeedAlicePhone);
    bob_ = world_.FindUserByPhone(kSeedBobPhone);
    world_.SignIn(1, alice_->id);
    world_.SignIn(2, bob_->id);
    alice_context_ = testing::ContextOf(1, alice_->id);
    bob_context_ = testing::ContextOf(2, bob_->id);
  }

  tl::Ptr<api::InputPeer> PeerOf(const UserRecord& user) const {
    auto peer = std::make_unique<api::inputPeerUser>();
    peer->user_id = user.id;
    peer->access_hash = user.access_hash;
    return peer;
  }

  // The id of the newest message in `owner`'s box (the copy a send just stored there).
  int32_t NewestIn(const UserRecord& owner) {
    const MessageBox& box = world_.BoxOf(owner.id);
    return box.messages.empty() ? 0 : box.messages.rbegin()->first;
  }

  absl::StatusOr<tl::Ptr<api::messages_AffectedMessages>> Delete(std::vector<int32_t> ids,
                                                                 bool revoke,
                                                                 CallContext& context) {
    api::messages_deleteMessages del;
    del.revoke = revoke;
    del.id = std::move(ids);
    return Call(del, context);
  }

  // The other_updates of `context`'s difference since `pts` (which must be complete).
  std::vector<tl::Ptr<api::Update>> MissedSince(int32_t pts, CallContext& context) {
    api::updates_getDifference get;
    get.pts = pts;
    absl::StatusOr<tl::Ptr<api::updates_Difference>> difference = Call(get, context);
    EXPECT_TRUE(difference.ok()) << difference.status();
    if (!difference.ok()) return {};
    auto* complete = dynamic_cast<api::updates_difference*>(difference->get());
    EXPECT_NE(complete, nullptr) << (*difference)->tl_name();
    if (complete == nullptr) return {};
    return std::move(complete->other_updates);
  }

  UserRecord* alice_ = nullptr;
  UserRecord* bob_ = nullptr;
  CallContext alice_context_, bob_context_;
};

TEST_F(PrivateChatTest, EditChangesTheRecipientsCopyAndTellsThem) {
  // A note to herself first: alice's copy and bob's then have different ids in their boxes.
  SendText(std::make_unique<api::inputPeerSelf>(), "note", alice_context_);
  const int32_t mine = SendText(PeerOf(*bob_), "draft", alice_context_);
  const int32_t theirs = NewestIn(*bob_);
  ASSERT_NE(theirs, mine);
  const int32_t bob_pts = world_.BoxOf(bob_->id).pts;
  const int32_t alice_pts = world_.BoxOf(alice_->id).pts;

  api::messages_editMessage edit;
  edit.peer = PeerOf(*bob_);
  edit.id = mine;
  edit.message = "final";
  ASSERT_TRUE(Call(edit, alice_context_).ok());
  EXPECT_EQ(world_.BoxOf(bob_->id).messages.at(theirs).text, "final");
  EXPECT_EQ(world_.BoxOf(bob_->id).pts, bob_pts + 1);
  EXPECT_EQ(world_.BoxOf(alice_->id).pts, alice_pts + 1);

  // Pushed to bob as his copy: his id, his pts, incoming from alice.
  const api::Updates* pushed = LastPushTo(bob_->id);
  ASSERT_NE(pushed, nullptr);
  const auto& list = static_cast<const api::updates&>(*pushed);
  ASSERT_EQ(list.updates_.size(), 1u);
  const auto& update = dynamic_cast<const api::updateEditMessage&>(*list.updates_[0]);
  EXPECT_EQ(update.pts, bob_pts + 1);
  EXPECT_EQ(update.pts_count, 1);
  const auto& message = static_cast<const api::message&>(*update.message);
  EXPECT_EQ(message.id, theirs);
  EXPECT_EQ(message.message_, "final");
  EXPECT_FALSE(message.out);
  EXPECT_EQ(static_cast<const api::peerUser&>(*message.peer_id).user_id, alice_->id);

  // Bob's difference replays the same edit.
  std::vector<tl::Ptr<api::Update>> missed = MissedSince(bob_pts, bob_context_);
  ASSERT_EQ(missed.size(), 1u);
  const auto& replayed = dynamic_cast<const api::updateEditMessage&>(*missed[0]);
  EXPECT_EQ(replayed.pts, bob_pts + 1);
  EXPECT_EQ(static_cast<const api::message&>(*replayed.message).id, theirs);
  EXPECT_EQ(static_cast<const api::message&>(*replayed.message).message_, "final");
}

TEST_F(PrivateChatTest, EditAfterTheRecipientDeletedTheirCopyReachesOnlyTheSender) {
  const int32_t mine = SendText(PeerOf(*bob_), "draft", alice_context_);
  ASSERT_TRUE(Delete({NewestIn(*bob_)}, /*revoke=*/false, bob_context_).ok());
  const int32_t bob_pts = world_.BoxOf(bob_->id).pts;
  pushes_.clear();
  api::messages_editMessage edit;
  edit.peer = PeerOf(*bob_);
  edit.id = mine;
  edit.message = "final";
  ASSERT_TRUE(Call(edit, alice_context_).ok());
  EXPECT_EQ(world_.BoxOf(bob_->id).pts, bob_pts);
  ASSERT_EQ(pushes_.size(), 1u);
  EXPECT_EQ(pushes_[0].user_id, alice_->id);
}

TEST_F(PrivateChatTest, RevokeDeletesTheOtherSidesCopyAndTellsThem) {
  const int32_t kept = SendText(PeerOf(*bob_), "kept", alice_context_);
  const int32_t bobs_kept = NewestIn(*bob_);
  const int32_t gone = SendText(PeerOf(*bob_), "gone", alice_context_);
  const int32_t bobs_gone = NewestIn(*bob_);
  const int32_t bob_pts = world_.BoxOf(bob_->id).pts;

  // Without revoke only the caller's copy goes.
  ASSERT_TRUE(Delete({kept}, /*revoke=*/false, alice_context_).ok());
  EXPECT_EQ(world_.BoxOf(bob_->id).messages.count(bobs_kept), 1u);
  EXPECT_EQ(world_.BoxOf(bob_->id).pts, bob_pts);

  pushes_.clear();
  absl::StatusOr<tl::Ptr<api::messages_AffectedMessages>> affected =
      Delete({gone}, /*revoke=*/true, alice_context_);
  ASSERT_TRUE(affected.ok()) << affected.status();
  EXPECT_EQ(static_cast<const api::messages_affectedMessages&>(**affected).pts_count, 1);
  EXPECT_EQ(world_.BoxOf(alice_->id).messages.count(gone), 0u);
  EXPECT_EQ(world_.BoxOf(bob_->id).messages.count(bobs_gone), 0u);
  EXPECT_EQ(world_.BoxOf(bob_->id).pts, bob_pts + 1);

  // Bob's sessions (all of them) are told which of his ids went, under his pts.
  ASSERT_EQ(pushes_.size(), 2u);
  EXPECT_EQ(pushes_[0].user_id, bob_->id);
  EXPECT_EQ(pushes_[0].except_session, 0u);
  const api::Updates* pushed = LastPushTo(bob_->id);
  ASSERT_NE(pushed, nullptr);
  const auto& deleted = dynamic_cast<const api::updateDeleteMessages&>(
      *static_cast<const api::updates&>(*pushed).updates_.at(0));
  EXPECT_EQ(deleted.messages, std::vector<int32_t>{bobs_gone});
  EXPECT_EQ(deleted.pts, bob_pts + 1);
  EXPECT_EQ(deleted.pts_count, 1);

  // ... and his difference replays it.
  std::vector<tl::Ptr<api::Update>> missed = MissedSince(bob_pts, bob_context_);
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(dynamic_cast<const api::updateDeleteMessages&>(*missed[0]).messages,
            std::vector<int32_t>{bobs_gone});
}

TEST_F(PrivateChatTest, TheRecipientMayRevokeTheSendersCopy) {
  const int32_t mine = SendText(PeerOf(*bob_), "hello", alice_context_);
  const int32_t alice_pts = world_.BoxOf(alice_->id).pts;
  ASSERT_TRUE(Delete({NewestIn(*bob_)}, /*revoke=*/true, bob_context_).ok());
  EXPECT_EQ(world_.BoxOf(alice_->id).messages.count(mine), 0u);
  EXPECT_EQ(world_.BoxOf(alice_->id).pts, alice_pts + 1);
  std::vector<tl::Ptr<api::Update>> missed = MissedSince(alice_pts, alice_context_);
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(dynamic_cast<const api::updateDeleteMessages&>(*missed[0]).messages,
            std::vector<int32_t>{mine});
}

}  // namespace
}  // namespace tgrpc::fakedc
