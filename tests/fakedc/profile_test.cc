// fakedc's blocklist and profile rules through a Dispatcher: contacts.block / unblock /
// getBlocked and the private sends a block refuses (USER_IS_BLOCKED, YOU_BLOCKED_USER),
// account.updateProfile's and updateUsername's limits, and photos.getUserPhotos' paging.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakedc/dispatcher_test_util.h"
#include "tests/fakedc/layers.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/photos.h"
#include "tests/fakedc/seed.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;
using testing::ContextOf;
using testing::ErrorOf;

class ProfileTest : public testing::DispatcherTest {
 protected:
  void SetUp() override {
    // users.getFullUser builds userFull from the schema.
    absl::StatusOr<std::unique_ptr<LayerSchemas>> layers =
        LayerSchemas::Load("tl/schema/api.tl", {});
    ASSERT_TRUE(layers.ok()) << layers.status();
    layers_ = *std::move(layers);
    builder_ = std::make_unique<ObjectBuilder>(&layers_->pinned_schema());
    env_.builder = builder_.get();
    SeedWorld(world_, /*big_channel_members=*/0);
    RegisterUserMethods(dispatcher_, env_);
    RegisterContactMethods(dispatcher_, env_);
    RegisterMessageMethods(dispatcher_, env_);
    RecordPushes();
    alice_ = world_.FindUserByPhone(kSeedAlicePhone);
    bob_ = world_.FindUserByPhone(kSeedBobPhone);
    alice_context_ = ContextOf(1, alice_->id);
    bob_context_ = ContextOf(2, bob_->id);
  }

  static tl::Ptr<api::InputPeer> PeerOf(const UserRecord& user) {
    auto out = std::make_unique<api::inputPeerUser>();
    out->user_id = user.id;
    out->access_hash = user.access_hash;
    return out;
  }
  static tl::Ptr<api::InputUser> InputOf(const UserRecord& user) {
    auto out = std::make_unique<api::inputUser>();
    out->user_id = user.id;
    out->access_hash = user.access_hash;
    return out;
  }

  absl::StatusOr<bool> Block(const UserRecord& user, CallContext& context, bool block = true) {
    if (block) {
      api::contacts_block request;
      request.id = PeerOf(user);
      return Call(request, context);
    }
    api::contacts_unblock request;
    request.id = PeerOf(user);
    return Call(request, context);
  }

  absl::StatusOr<tl::Ptr<api::Updates>> Send(const UserRecord& to, CallContext& context) {
    api::messages_sendMessage send;
    send.peer = PeerOf(to);
    send.message = "hi";
    send.random_id = ++random_id_;
    return Call(send, context);
  }

  // userFull of `user` as `context`'s user sees it.
  const api::userFull& FullOf(const UserRecord& user, CallContext& context) {
    api::users_getFullUser get;
    get.id = InputOf(user);
    absl::StatusOr<tl::Ptr<api::users_UserFull>> full = Call(get, context);
    EXPECT_TRUE(full.ok()) << full.status();
    full_ = *std::move(full);
    return static_cast<const api::userFull&>(
        *static_cast<const api::users_userFull&>(*full_).full_user);
  }

  std::unique_ptr<LayerSchemas> layers_;
  std::unique_ptr<ObjectBuilder> builder_;
  UserRecord* alice_ = nullptr;
  UserRecord* bob_ = nullptr;
  CallContext alice_context_, bob_context_;
  tl::Ptr<api::users_UserFull> full_;
};

TEST_F(ProfileTest, ABlockedUserCannotWrite) {
  ASSERT_TRUE(Send(*alice_, bob_context_).ok());
  absl::StatusOr<bool> blocked = Block(*bob_, alice_context_);
  ASSERT_TRUE(blocked.ok()) << blocked.status();
  EXPECT_TRUE(*blocked);
  EXPECT_EQ(ErrorOf(Block(*bob_, alice_context_)), "");  // again: no change, no error
  EXPECT_FALSE(*Block(*bob_, alice_context_));

  EXPECT_EQ(ErrorOf(Send(*alice_, bob_context_)), "400 USER_IS_BLOCKED");
  EXPECT_EQ(ErrorOf(Send(*bob_, alice_context_)), "400 YOU_BLOCKED_USER");
  EXPECT_TRUE(FullOf(*bob_, alice_context_).blocked);
  EXPECT_FALSE(FullOf(*alice_, bob_context_).blocked);  // bob did not block alice

  // alice's other sessions hear of it.
  const auto* pushed = dynamic_cast<const api::updates*>(LastPushTo(alice_->id));
  ASSERT_NE(pushed, nullptr);
  ASSERT_EQ(pushed->updates_.size(), 1u);
  const auto* update = dynamic_cast<const api::updatePeerBlocked*>(pushed->updates_[0].get());
  ASSERT_NE(update, nullptr);
  EXPECT_TRUE(update->blocked);

  api::contacts_getBlocked list;
  list.limit = 10;
  absl::StatusOr<tl::Ptr<api::contacts_Blocked>> listed = Call(list, alice_context_);
  ASSERT_TRUE(listed.ok()) << listed.status();
  const auto* all = dynamic_cast<const api::contacts_blocked*>(listed->get());
  ASSERT_NE(all, nullptr);
  ASSERT_EQ(all->blocked.size(), 1u);
  const auto* peer = dynamic_cast<const api::peerUser*>(
      static_cast<const api::peerBlocked&>(*all->blocked[0]).peer_id.get());
  ASSERT_NE(peer, nullptr);
  EXPECT_EQ(peer->user_id, bob_->id);

  absl::StatusOr<bool> unblocked = Block(*bob_, alice_context_, /*block=*/false);
  ASSERT_TRUE(unblocked.ok()) << unblocked.status();
  EXPECT_TRUE(*unblocked);
  EXPECT_EQ(ErrorOf(Send(*alice_, bob_context_)), "");
  EXPECT_EQ(ErrorOf(Send(*bob_, alice_context_)), "");
  EXPECT_FALSE(FullOf(*bob_, alice_context_).blocked);
}

TEST_F(ProfileTest, BlockTakesAnotherUserOnly) {
  EXPECT_EQ(ErrorOf(Block(*alice_, alice_context_)), "400 CONTACT_ID_INVALID");
  api::contacts_block channel;
  auto peer = std::make_unique<api::inputPeerChannel>();
  const ChannelRecord* big = world_.FindChannelByUsername(kSeedBigChannel);
  ASSERT_NE(big, nullptr);
  peer->channel_id = big->id;
  peer->access_hash = big->access_hash;
  channel.id = std::move(peer);
  EXPECT_EQ(ErrorOf(Call(channel, alice_context_)), "400 PEER_ID_INVALID");
  UserRecord forged = *bob_;
  forged.access_hash ^= 1;
  EXPECT_EQ(ErrorOf(Block(forged, alice_context_)), "400 PEER_ID_INVALID");
  EXPECT_TRUE(alice_->blocked.empty());
}

TEST_F(ProfileTest, UpdateProfileKeepsTelegramsLimits) {
  api::account_updateProfile update;
  update.about = std::string(70, 'a');
  ASSERT_EQ(ErrorOf(Call(update, alice_context_)), "");
  EXPECT_EQ(FullOf(*alice_, bob_context_).about, std::optional<std::string>(std::string(70, 'a')));

  // Characters, not bytes: 70 two-byte letters fit; 71 do not, without Premium.
  update.about = "";
  for (int i = 0; i < 70; ++i) *update.about += "\xc3\xa9";
  EXPECT_EQ(ErrorOf(Call(update, alice_context_)), "");
  *update.about += "x";
  EXPECT_EQ(ErrorOf(Call(update, alice_context_)), "400 ABOUT_TOO_LONG");
  alice_->premium = true;
  EXPECT_EQ(ErrorOf(Call(update, alice_context_)), "");
  update.about = std::string(141, 'a');
  EXPECT_EQ(ErrorOf(Call(update, alice_context_)), "400 ABOUT_TOO_LONG");

  // A refused call changes nothing, also the fields it had right.
  api::account_updateProfile names;
  names.first_name = "New";
  names.last_name = std::string(65, 'l');
  EXPECT_EQ(ErrorOf(Call(names, alice_context_)), "400 LASTNAME_INVALID");
  EXPECT_EQ(alice_->first_name, "Alice");
  names.last_name = "";
  names.first_name = "";
  EXPECT_EQ(ErrorOf(Call(names, alice_context_)), "400 FIRSTNAME_INVALID");
  names.first_name = "New";
  absl::StatusOr<tl::Ptr<api::User>> user = Call(names, alice_context_);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(static_cast<const api::user&>(**user).first_name, std::optional<std::string>("New"));
  EXPECT_EQ(alice_->last_name, "");
}

TEST_F(ProfileTest, UpdateUsernameKeepsTelegramsRules) {
  auto set = [this](const std::string& name) {
    api::account_updateUsername update;
    update.username = name;
    return ErrorOf(Call(update, alice_context_));
  };
  EXPECT_EQ(set("abcd"), "400 USERNAME_INVALID");  // 4 characters
  EXPECT_EQ(set(std::string(33, 'a')), "400 USERNAME_INVALID");
  EXPECT_EQ(set("1alice"), "400 USERNAME_INVALID");
  EXPECT_EQ(set("alice-x"), "400 USERNAME_INVALID");
  EXPECT_EQ(set("BOB_example"), "400 USERNAME_OCCUPIED");  // bob's, in any case
  EXPECT_EQ(set(kSeedBigChannel), "400 USERNAME_OCCUPIED");
  EXPECT_EQ(set("alice_example"), "400 USERNAME_NOT_MODIFIED");
  EXPECT_EQ(alice_->username, "alice_example");
  EXPECT_EQ(set("Alice_2"), "");
  EXPECT_EQ(world_.FindUserByUsername("alice_2"), alice_);
  EXPECT_EQ(world_.FindUserByUsername("alice_example"), nullptr);
  EXPECT_EQ(set(""), "");
  EXPECT_EQ(alice_->username, "");
  EXPECT_EQ(set(""), "400 USERNAME_NOT_MODIFIED");
}

TEST_F(ProfileTest, GetUserPhotosPagesNewestFirst) {
  const char* tmp = getenv("TEST_TMPDIR");
  const std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/profile_test");
  std::filesystem::create_directories(dir);
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    // A PNG header of 200 x 100.
    std::string png("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\xc8\0\0\0\x64", 24);
    png.resize(100 + i, 'p');
    const std::string path = absl::StrCat(dir, "/", i, ".png");
    std::ofstream(path, std::ios::binary) << png;
    absl::StatusOr<int64_t> photo = AddPhotoFromFile(world_, path, 2);
    ASSERT_TRUE(photo.ok()) << photo.status();
    ASSERT_TRUE(SetPeerPhoto(world_, {PeerKind::kUser, bob_->id}, *photo).ok());
    ids.insert(ids.begin(), *photo);  // newest first
  }
  auto get = [&](int32_t offset, int64_t max_id, int32_t limit, int32_t* count) {
    api::photos_getUserPhotos request;
    request.user_id = InputOf(*bob_);
    request.offset = offset;
    request.max_id = max_id;
    request.limit = limit;
    absl::StatusOr<tl::Ptr<api::photos_Photos>> result = Call(request, alice_context_);
    EXPECT_TRUE(result.ok()) << result.status();
    std::vector<int64_t> out;
    if (!result.ok()) return out;
    const std::vector<tl::Ptr<api::Photo>>* photos = nullptr;
    if (const auto* all = dynamic_cast<const api::photos_photos*>(result->get())) {
      photos = &all->photos;
      *count = -1;  // the whole list
    } else {
      const auto& slice = static_cast<const api::photos_photosSlice&>(**result);
      photos = &slice.photos;
      *count = slice.count;
    }
    for (const auto& p : *photos) {
      const auto& photo = static_cast<const api::photo&>(*p);
      EXPECT_FALSE(photo.file_reference.empty());
      EXPECT_EQ(photo.sizes.size(), 1u);
      out.push_back(photo.id);
    }
    return out;
  };
  int32_t count = 0;
  EXPECT_EQ(get(0, 0, 10, &count), ids);
  EXPECT_EQ(count, -1);
  EXPECT_EQ(get(0, 0, 2, &count), std::vector<int64_t>({ids[0], ids[1]}));
  EXPECT_EQ(count, 3);
  EXPECT_EQ(get(2, 0, 2, &count), std::vector<int64_t>({ids[2]}));
  EXPECT_EQ(count, 3);
  EXPECT_EQ(get(0, ids[0], 10, &count), std::vector<int64_t>({ids[1], ids[2]}));
  // offset -1 with max_id: the photo max_id names (a file reference refreshed).
  EXPECT_EQ(get(-1, ids[1], 1, &count), std::vector<int64_t>({ids[1]}));
  EXPECT_EQ(get(5, 0, 10, &count), std::vector<int64_t>());
  EXPECT_EQ(count, 3);
  // A user without photos.
  api::photos_getUserPhotos none;
  none.user_id = InputOf(*alice_);
  none.limit = 10;
  absl::StatusOr<tl::Ptr<api::photos_Photos>> empty = Call(none, bob_context_);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(static_cast<const api::photos_photos&>(**empty).photos.empty());
}

}  // namespace
}  // namespace tgrpc::fakedc
