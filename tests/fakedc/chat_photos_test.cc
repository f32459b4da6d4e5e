// fakedc's chat photos through a Dispatcher: messages.editChatPhoto (basic groups) and
// channels.editPhoto (supergroups and channels) with an uploaded photo and with
// inputChatPhotoEmpty: the service messages pushed to the members, the photo in the chat objects,
// getFullChat / getFullChannel and upload.getFile, and who may change it.
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakedc/dispatcher_test_util.h"
#include "tests/fakedc/layers.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/photos.h"
#include "tests/fakedc/seed.h"
#include "tests/fakedc/test_requests.h"
#include "tl/generated/api.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;
using testing::ContextOf;
using testing::ErrorOf;
using testing::ServiceActionIn;

std::string Png(int32_t w, int32_t h) {
  std::string out("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
  for (int32_t v : {w, h}) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
  }
  out.resize(2000, 'c');
  return out;
}

class ChatPhotosTest : public testing::DispatcherTest {
 protected:
  void SetUp() override {
    // channels.getFullChannel builds channelFull from the schema.
    absl::StatusOr<std::unique_ptr<LayerSchemas>> layers =
        LayerSchemas::Load("tl/schema/api.tl", {});
    ASSERT_TRUE(layers.ok()) << layers.status();
    layers_ = *std::move(layers);
    builder_ = std::make_unique<ObjectBuilder>(&layers_->pinned_schema());
    env_.builder = builder_.get();
    SeedWorld(world_, /*big_channel_members=*/0);
    const char* tmp = getenv("TEST_TMPDIR");
    env_.files_dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/chat_photos_test_files");
    std::filesystem::create_directories(env_.files_dir);
    for (int id : {1, 2, 3}) env_.endpoints.push_back({id, false, 0});
    RecordPushes();
    RegisterMessageMethods(dispatcher_, env_);
    RegisterChannelMethods(dispatcher_, env_);
    RegisterChatMethods(dispatcher_, env_);
    RegisterUploadMethods(dispatcher_, env_);
    alice_ = world_.FindUserByPhone(kSeedAlicePhone);
    bob_ = world_.FindUserByPhone(kSeedBobPhone);
    world_.SignIn(1, alice_->id);
    world_.SignIn(2, bob_->id);
    alice_context_ = ContextOf(1, alice_->id);
    bob_context_ = ContextOf(2, bob_->id);
    ChatRecord& chat = world_.AddChat("Basic", alice_->id);
    chat.participants.push_back({bob_->id, alice_->id, world_.Now()});
    chat_ = chat.id;
    ChannelRecord& channel = world_.AddChannel("Super", "super_group", alice_->id, true);
    channel.members.push_back(bob_->id);
    channel_ = channel.id;
  }

  tl::Ptr<api::InputChatPhoto> UploadedPhoto(const std::string& image, CallContext& context) {
    const int64_t file_id = ++next_file_;
    EXPECT_TRUE(Call(testing::FirstFilePart(file_id, image), context).ok());
    auto file = std::make_unique<api::inputFile>();
    file->id = file_id;
    file->parts = 1;
    file->name = "chat.png";
    auto out = std::make_unique<api::inputChatUploadedPhoto>();
    out->file = std::move(file);
    return out;
  }

  absl::StatusOr<tl::Ptr<api::Updates>> EditChatPhoto(tl::Ptr<api::InputChatPhoto> photo,
                                                      CallContext& context) {
    api::messages_editChatPhoto edit;
    edit.chat_id = chat_;
    edit.photo = std::move(photo);
    return Call(edit, context);
  }
  absl::StatusOr<tl::Ptr<api::Updates>> EditChannelPhoto(tl::Ptr<api::InputChatPhoto> photo,
                                                         CallContext& context) {
    api::channels_editPhoto edit;
    auto channel = std::make_unique<api::inputChannel>();
    channel->channel_id = channel_;
    channel->access_hash = world_.FindChannel(channel_)->access_hash;
    edit.channel = std::move(channel);
    edit.photo = std::move(photo);
    return Call(edit, context);
  }

  // The peer photo of `peer` as upload.getFile serves it.
  std::string Served(tl::Ptr<api::InputPeer> peer, int64_t photo_id, CallContext& context) {
    auto location = std::make_unique<api::inputPeerPhotoFileLocation>();
    location->big = true;
    location->peer = std::move(peer);
    location->photo_id = photo_id;
    api::upload_getFile get;
    get.location = std::move(location);
    get.limit = 512 * 1024;
    absl::StatusOr<tl::Ptr<api::upload_File>> file = Call(get, context);
    EXPECT_TRUE(file.ok()) << file.status();
    if (!file.ok()) return "";
    return static_cast<const api::upload_file&>(**file).bytes;
  }

  std::unique_ptr<LayerSchemas> layers_;
  std::unique_ptr<ObjectBuilder> builder_;
  const UserRecord* alice_ = nullptr;
  const UserRecord* bob_ = nullptr;
  CallContext alice_context_, bob_context_;
  int64_t chat_ = 0, channel_ = 0, next_file_ = 0;
};

TEST_F(ChatPhotosTest, ABasicGroupsPhotoIsSetShownServedAndRemoved) {
  const std::string image = Png(640, 640);
  absl::StatusOr<tl::Ptr<api::Updates>> set =
      EditChatPhoto(UploadedPhoto(image, alice_context_), alice_context_);
  ASSERT_TRUE(set.ok()) << set.status();
  const auto* action = ServiceActionIn<api::messageActionChatEditPhoto>(**set);
  ASSERT_NE(action, nullptr);
  const auto& photo = static_cast<const api::photo&>(*action->photo);
  EXPECT_EQ(world_.FindChat(chat_)->photo.id, photo.id);
  // Bob is told with the same service message in his box.
  const api::Updates* pushed = LastPushTo(bob_->id);
  ASSERT_NE(pushed, nullptr);
  EXPECT_NE(ServiceActionIn<api::messageActionChatEditPhoto>(*pushed), nullptr);

  // The chat objects and getFullChat carry it; upload.getFile serves the bytes uploaded.
  api::messages_getFullChat full;
  full.chat_id = chat_;
  absl::StatusOr<tl::Ptr<api::messages_ChatFull>> answer = Call(full, bob_context_);
  ASSERT_TRUE(answer.ok()) << answer.status();
  const auto& chat_full = static_cast<const api::chatFull&>(
      *static_cast<const api::messages_chatFull&>(**answer).full_chat);
  ASSERT_NE(dynamic_cast<const api::photo*>(chat_full.chat_photo.get()), nullptr);
  EXPECT_EQ(static_cast<const api::photo&>(*chat_full.chat_photo).id, photo.id);
  const auto& chat = static_cast<const api::chat&>(
      *static_cast<const api::messages_chatFull&>(**answer).chats.at(0));
  EXPECT_EQ(static_cast<const api::chatPhoto&>(*chat.photo).photo_id, photo.id);
  auto peer = std::make_unique<api::inputPeerChat>();
  peer->chat_id = chat_;
  EXPECT_EQ(Served(std::move(peer), photo.id, bob_context_), image);

  // Only the creator changes it; the same (no) photo again is CHAT_NOT_MODIFIED.
  EXPECT_EQ(ErrorOf(EditChatPhoto(UploadedPhoto(image, bob_context_), bob_context_)),
            "400 CHAT_ADMIN_REQUIRED");
  absl::StatusOr<tl::Ptr<api::Updates>> removed =
      EditChatPhoto(std::make_unique<api::inputChatPhotoEmpty>(), alice_context_);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_NE(ServiceActionIn<api::messageActionChatDeletePhoto>(**removed), nullptr);
  EXPECT_EQ(world_.FindChat(chat_)->photo.id, 0);
  EXPECT_EQ(ErrorOf(EditChatPhoto(std::make_unique<api::inputChatPhotoEmpty>(), alice_context_)),
            "400 CHAT_NOT_MODIFIED");
  EXPECT_EQ(ErrorOf(EditChatPhoto(UploadedPhoto("not an image", alice_context_), alice_context_)),
            "400 IMAGE_PROCESS_FAILED");
}

TEST_F(ChatPhotosTest, AChannelsPhotoIsSetShownAndRemoved) {
  const std::string image = Png(800, 800);
  absl::StatusOr<tl::Ptr<api::Updates>> set =
      EditChannelPhoto(UploadedPhoto(image, alice_context_), alice_context_);
  ASSERT_TRUE(set.ok()) << set.status();
  const auto* action = ServiceActionIn<api::messageActionChatEditPhoto>(**set);
  ASSERT_NE(action, nullptr);
  const int64_t photo_id = static_cast<const api::photo&>(*action->photo).id;
  const api::Updates* pushed = LastPushTo(bob_->id);
  ASSERT_NE(pushed, nullptr);
  EXPECT_NE(ServiceActionIn<api::messageActionChatEditPhoto>(*pushed), nullptr);

  api::channels_getFullChannel full;
  auto input = std::make_unique<api::inputChannel>();
  input->channel_id = channel_;
  input->access_hash = world_.FindChannel(channel_)->access_hash;
  full.channel = std::move(input);
  absl::StatusOr<tl::Ptr<api::messages_ChatFull>> answer = Call(full, bob_context_);
  ASSERT_TRUE(answer.ok()) << answer.status();
  const auto& channel_full = static_cast<const api::channelFull&>(
      *static_cast<const api::messages_chatFull&>(**answer).full_chat);
  ASSERT_NE(dynamic_cast<const api::photo*>(channel_full.chat_photo.get()), nullptr);
  EXPECT_EQ(static_cast<const api::photo&>(*channel_full.chat_photo).id, photo_id);
  const auto& channel = static_cast<const api::channel&>(
      *static_cast<const api::messages_chatFull&>(**answer).chats.at(0));
  EXPECT_EQ(static_cast<const api::chatPhoto&>(*channel.photo).photo_id, photo_id);
  auto peer = std::make_unique<api::inputPeerChannel>();
  peer->channel_id = channel_;
  peer->access_hash = world_.FindChannel(channel_)->access_hash;
  EXPECT_EQ(Served(std::move(peer), photo_id, bob_context_), image);

  EXPECT_EQ(ErrorOf(EditChannelPhoto(std::make_unique<api::inputChatPhotoEmpty>(), bob_context_)),
            "400 CHAT_ADMIN_REQUIRED");
  absl::StatusOr<tl::Ptr<api::Updates>> removed =
      EditChannelPhoto(std::make_unique<api::inputChatPhotoEmpty>(), alice_context_);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_NE(ServiceActionIn<api::messageActionChatDeletePhoto>(**removed), nullptr);
  EXPECT_EQ(world_.FindChannel(channel_)->photo.id, 0);
  pushed = LastPushTo(bob_->id);
  ASSERT_NE(pushed, nullptr);
  EXPECT_NE(ServiceActionIn<api::messageActionChatDeletePhoto>(*pushed), nullptr);
}

}  // namespace
}  // namespace tgrpc::fakedc
