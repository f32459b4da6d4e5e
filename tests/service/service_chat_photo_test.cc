// Chat photos end to end against fakedc: ChatService.UpdateChat's `photo` (messages.editChatPhoto
// in a basic group, channels.editPhoto in a supergroup) set from an UploadFile answer, then
// FileService.DownloadFile's `peer_photo` gives back the exact bytes uploaded (SHA-256), big and
// small; removing it, who may change it, and bad photos.
#include <openssl/evp.h>

#include <random>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakedc/seed.h"
#include "tests/service/service_fixture.h"
#include "tests/service/test_bytes.h"

namespace tgrpc::service_test {
namespace {

class ChatPhotoTest : public ServiceTest {
 protected:
  v1::UploadedFile Upload(const std::string& account, absl::string_view data) {
    return UploadBytes("accounts/" + account, "photo.png", data);
  }

  v1::Chat Create(v1::Chat::Type type, const std::string& title) {
    v1::CreateChatRequest create;
    create.set_account("accounts/alice");
    create.set_type(type);
    create.set_title(title);
    create.add_users("accounts/alice/users/bob_example");
    v1::Chat chat;
    grpc::Status status = chats_->CreateChat(Context().get(), create, &chat);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return chat;
  }

  // UpdateChat with the `photo` mask path: `photo` set, or removed when null.
  grpc::Status SetPhoto(const std::string& chat, const v1::UploadedFile* photo, v1::Chat* out) {
    v1::UpdateChatRequest update;
    update.mutable_chat()->set_name(chat);
    update.mutable_update_mask()->add_paths("photo");
    if (photo != nullptr) *update.mutable_photo() = *photo;
    return chats_->UpdateChat(Context(kTokenA, 60).get(), update, out);
  }

  Downloaded PeerPhoto(const std::string& chat, bool big) {
    v1::DownloadFileRequest request;
    request.set_peer_photo(chat);
    request.set_big(big);
    return Download(request);
  }
};

TEST_F(ChatPhotoTest, ABasicGroupsPhotoDownloadsByteForByte) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);
  const v1::Chat group = Create(v1::Chat::BASIC_GROUP, "Photo group");
  ASSERT_FALSE(group.name().empty());
  EXPECT_EQ(group.photo_id(), 0);
  const std::string image = PngLike(640, 640, 150'000, 1);
  const v1::UploadedFile file = Upload("alice", image);
  v1::Chat updated;
  grpc::Status status = SetPhoto(group.name(), &file, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_NE(updated.photo_id(), 0);
  EXPECT_EQ(updated.title(), "Photo group");

  for (bool big : {true, false}) {
    Downloaded down = PeerPhoto(group.name(), big);
    ASSERT_TRUE(down.status.ok()) << down.status.error_message();
    EXPECT_EQ(Sha256(down.data), Sha256(image)) << (big ? "big" : "small");
    ASSERT_FALSE(down.responses.empty());
    EXPECT_EQ(down.responses[0].file().type(), "peer_photo");
    EXPECT_EQ(down.responses[0].file().id(), updated.photo_id());
  }

  // The title and the photo in one call; the photo removed, then nothing to download.
  v1::UpdateChatRequest both;
  both.mutable_chat()->set_name(group.name());
  both.mutable_chat()->set_title("Renamed");
  both.mutable_update_mask()->add_paths("title");
  both.mutable_update_mask()->add_paths("photo");
  v1::Chat renamed;
  status = chats_->UpdateChat(Context().get(), both, &renamed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(renamed.title(), "Renamed");
  EXPECT_EQ(renamed.photo_id(), 0);
  Downloaded down = PeerPhoto(group.name(), true);
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reason(down.status), "PHOTO_NOT_FOUND");
  // Removing a photo that is not there is no change.
  status = SetPhoto(group.name(), nullptr, &renamed);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(ChatPhotoTest, ASupergroupsPhotoDownloadsByteForByte) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);
  const v1::Chat group = Create(v1::Chat::SUPERGROUP, "Photo supergroup");
  const std::string image = PngLike(1280, 1280, 700'000, 2);  // two 512 KiB blocks
  const v1::UploadedFile file = Upload("alice", image);
  v1::Chat updated;
  grpc::Status status = SetPhoto(group.name(), &file, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_NE(updated.photo_id(), 0);
  for (bool big : {true, false}) {
    Downloaded down = PeerPhoto(group.name(), big);
    ASSERT_TRUE(down.status.ok()) << down.status.error_message();
    EXPECT_EQ(Sha256(down.data), Sha256(image)) << (big ? "big" : "small");
    EXPECT_EQ(down.responses.size(), 2u);
  }

  // Bob, a member but not an admin, may not change it (his dialogs name the group first).
  v1::ListChatsRequest list;
  list.set_account("accounts/bob");
  v1::ListChatsResponse listed;
  ASSERT_TRUE(chats_->ListChats(Context().get(), list, &listed).ok());
  const std::string bobs = absl::StrCat("accounts/bob/chats/", group.id());
  const v1::UploadedFile his = Upload("bob", PngLike(320, 320, 5'000, 3));
  status = SetPhoto(bobs, &his, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_ADMIN_REQUIRED");
  status = SetPhoto(bobs, nullptr, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();

  // Bad photos: another account's upload, bytes that are no image, an unknown mask path.
  status = SetPhoto(group.name(), &his, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "photo.account");
  const v1::UploadedFile noise = Upload("alice", RandomBytes(4'000, 4));
  status = SetPhoto(group.name(), &noise, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(status), "IMAGE_PROCESS_FAILED");
  v1::UpdateChatRequest unknown;
  unknown.mutable_chat()->set_name(group.name());
  unknown.mutable_update_mask()->add_paths("colour");
  status = chats_->UpdateChat(Context().get(), unknown, &updated);
  EXPECT_EQ(BadField(status), "update_mask");

  // The photo is still the first one.
  Downloaded down = PeerPhoto(group.name(), true);
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(Sha256(down.data), Sha256(image));
}

}  // namespace
}  // namespace tgrpc::service_test
