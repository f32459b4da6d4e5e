// fakedc's message methods (send, get, edit, delete, forward, search, dialogs) through a
// Dispatcher over a seeded World.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
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
using testing::ErrorOf;

class MessagesTest : public testing::DispatcherTest {
 protected:
  MessagesTest() {
    SeedWorld(world_, /*big_channel_members=*/10);
    env_.push = [this](int64_t user_id, const api::Updates&, uint64_t except_session) {
      pushed_to_.push_back(user_id);
      if (user_id == alice_->id) {
        EXPECT_EQ(except_session, alice_context_.session_id);
      }
    };
    RegisterMessageMethods(dispatcher_, env_);
    RegisterChannelMethods(dispatcher_, env_);
    alice_ = world_.FindUserByPhone(kSeedAlicePhone);
    bob_ = world_.FindUserByPhone(kSeedBobPhone);
    world_.SignIn(1, alice_->id);
    world_.SignIn(2, bob_->id);
    alice_context_ = testing::ContextOf(1, alice_->id);
    bob_context_ = testing::ContextOf(2, bob_->id);
  }

  tl::Ptr<api::InputPeer> Bob() const {
    auto peer = std::make_unique<api::inputPeerUser>();
    peer->user_id = bob_->id;
    peer->access_hash = bob_->access_hash;
    return peer;
  }
  static tl::Ptr<api::InputPeer> Self() { return std::make_unique<api::inputPeerSelf>(); }

  // Sends `text` from alice to `peer`; the new message's id.
  int32_t Send(tl::Ptr<api::InputPeer> peer, const std::string& text) {
    return SendText(std::move(peer), text, alice_context_);
  }

  // Texts of alice's messages `ids` as messages.getMessages returns them ("" for messageEmpty).
  std::vector<std::string> Texts(const std::vector<int32_t>& ids) {
    api::messages_getMessages get;
    for (int32_t id : ids) {
      auto input = std::make_unique<api::inputMessageID>();
      input->id = id;
      get.id.push_back(std::move(input));
    }
    absl::StatusOr<tl::Ptr<api::messages_Messages>> got = Call(get, alice_context_);
    EXPECT_TRUE(got.ok()) << got.status();
    std::vector<std::string> out;
    if (!got.ok()) return out;
    for (const auto& m : static_cast<const api::messages_messages&>(**got).messages) {
      const auto* message = dynamic_cast<const api::message*>(m.get());
      out.push_back(message != nullptr ? message->message_ : "");
    }
    return out;
  }

  UserRecord* alice_ = nullptr;
  UserRecord* bob_ = nullptr;
  CallContext alice_context_, bob_context_;
  std::vector<int64_t> pushed_to_;
};

TEST_F(MessagesTest, SendToAnotherUserPushesToThem) {
  const int32_t id = Send(Bob(), "hello bob");
  EXPECT_GT(id, 0);
  EXPECT_EQ(Texts({id}), std::vector<std::string>{"hello bob"});
  // Bob's sessions get it, and alice's other sessions (not the one that sent it).
  EXPECT_EQ(pushed_to_, (std::vector<int64_t>{bob_->id, alice_->id}));
}

TEST_F(MessagesTest, EditChangesTheTextAndChecksTheAuthor) {
  const int32_t id = Send(Self(), "first");
  api::messages_editMessage edit;
  edit.peer = Self();
  edit.id = id;
  edit.message = "second";
  absl::StatusOr<tl::Ptr<api::Updates>> edited = Call(edit, alice_context_);
  ASSERT_TRUE(edited.ok()) << edited.status();
  const auto& updates = static_cast<const api::updates&>(**edited);
  ASSERT_EQ(updates.updates_.size(), 1u);
  EXPECT_NE(dynamic_cast<const api::updateEditMessage*>(updates.updates_[0].get()), nullptr);
  EXPECT_EQ(Texts({id}), std::vector<std::string>{"second"});
  // The same text again, an unknown id.
  EXPECT_EQ(ErrorOf(Call(edit, alice_context_)), "400 MESSAGE_NOT_MODIFIED");
  edit.id = id + 100;
  edit.message = "third";
  EXPECT_EQ(ErrorOf(Call(edit, alice_context_)), "400 MESSAGE_ID_INVALID");
}

TEST_F(MessagesTest, DeleteRemovesAndAdvancesPts) {
  const int32_t a = Send(Self(), "a");
  const int32_t b = Send(Self(), "b");
  const int32_t pts_before = world_.BoxOf(alice_->id).pts;
  api::messages_deleteMessages del;
  del.id = {a, a + 1000};
  absl::StatusOr<tl::Ptr<api::messages_AffectedMessages>> affected = Call(del, alice_context_);
  ASSERT_TRUE(affected.ok()) << affected.status();
  const auto& out = static_cast<const api::messages_affectedMessages&>(**affected);
  EXPECT_EQ(out.pts_count, 1);
  EXPECT_EQ(out.pts, pts_before + 1);
  EXPECT_EQ(Texts({a, b}), (std::vector<std::string>{"", "b"}));
}

TEST_F(MessagesTest, ForwardCopiesIntoTheTargetChat) {
  const int32_t a = Send(Self(), "one");
  const int32_t b = Send(Self(), "two");
  api::messages_forwardMessages forward;
  forward.from_peer = Self();
  forward.to_peer = Bob();
  forward.id = {a, b};
  forward.random_id = {7, 8};
  pushed_to_.clear();
  absl::StatusOr<tl::Ptr<api::Updates>> sent = Call(forward, alice_context_);
  ASSERT_TRUE(sent.ok()) << sent.status();
  std::vector<int32_t> ids;
  for (const auto& u : static_cast<const api::updates&>(**sent).updates_) {
    if (const auto* id = dynamic_cast<const api::updateMessageID*>(u.get())) ids.push_back(id->id);
  }
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(Texts(ids), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(pushed_to_, (std::vector<int64_t>{bob_->id, alice_->id, bob_->id, alice_->id}));
  // Mismatched random ids, an unknown message.
  forward.random_id = {9};
  EXPECT_EQ(ErrorOf(Call(forward, alice_context_)), "400 RANDOM_ID_INVALID");
  forward.id = {a + 1000};
  EXPECT_EQ(ErrorOf(Call(forward, alice_context_)), "400 MESSAGE_ID_INVALID");
}

TEST_F(MessagesTest, SearchFindsTextInOneChatNewestFirst) {
  Send(Self(), "Apple pie");
  Send(Bob(), "apple for bob");
  Send(Self(), "banana");
  const int32_t last = Send(Self(), "an APPLE");
  api::messages_search search;
  search.peer = Self();
  search.q = "apple";
  search.filter = std::make_unique<api::inputMessagesFilterEmpty>();
  search.limit = 10;
  absl::StatusOr<tl::Ptr<api::messages_Messages>> found = Call(search, alice_context_);
  ASSERT_TRUE(found.ok()) << found.status();
  const auto& slice = static_cast<const api::messages_messagesSlice&>(**found);
  EXPECT_EQ(slice.count, 2);
  ASSERT_EQ(slice.messages.size(), 2u);
  EXPECT_EQ(static_cast<const api::message&>(*slice.messages[0]).id, last);
  search.filter = std::make_unique<api::inputMessagesFilterPhotos>();
  EXPECT_EQ(ErrorOf(Call(search, alice_context_)), "400 FILTER_NOT_SUPPORTED");
}

TEST_F(MessagesTest, DialogsListChatsAndChannelsNewestFirst) {
  Send(Self(), "to myself");
  Send(Bob(), "to bob");
  api::messages_getDialogs get;
  get.offset_peer = std::make_unique<api::inputPeerEmpty>();
  get.limit = 10;
  absl::StatusOr<tl::Ptr<api::messages_Dialogs>> dialogs = Call(get, alice_context_);
  ASSERT_TRUE(dialogs.ok()) << dialogs.status();
  const auto& slice = static_cast<const api::messages_dialogsSlice&>(**dialogs);
  // Bob's chat (newest), saved messages, and the seeded channel alice created.
  EXPECT_EQ(slice.count, 3);
  ASSERT_EQ(slice.dialogs.size(), 3u);
  const auto& first = static_cast<const api::dialog&>(*slice.dialogs[0]);
  const auto* peer = dynamic_cast<const api::peerUser*>(first.peer.get());
  ASSERT_NE(peer, nullptr);
  EXPECT_EQ(peer->user_id, bob_->id);
  EXPECT_EQ(slice.chats.size(), 1u);
  // Bob sees alice's chat.
  absl::StatusOr<tl::Ptr<api::messages_Dialogs>> bobs = Call(get, bob_context_);
  ASSERT_TRUE(bobs.ok()) << bobs.status();
  EXPECT_GE(static_cast<const api::messages_dialogsSlice&>(**bobs).count, 1);
}

}  // namespace
}  // namespace tgrpc::fakedc
