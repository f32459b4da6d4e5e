// fakedc's photos through a Dispatcher: image headers read for dimensions (PNG and JPEG), size
// types, inputMediaUploadedPhoto and photos.uploadProfilePhoto, and upload.getFile for photos and
// peers' photos with Telegram's file reference checks.
#include "tests/fakedc/photos.h"

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakedc/dispatcher_test_util.h"
#include "tests/fakedc/seed.h"
#include "tests/fakedc/test_requests.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;
using testing::ContextOf;
using testing::ErrorOf;

std::string Png(int32_t w, int32_t h, size_t size) {
  std::string out("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
  for (int32_t v : {w, h}) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
  }
  out.resize(size, 'p');
  return out;
}

// SOI, an APP0 segment of 16 bytes, a DQT of 4, then SOF2 (progressive) with h and w.
std::string Jpeg(int32_t w, int32_t h) {
  std::string out("\xff\xd8\xff\xe0\x00\x10", 6);
  out += std::string(14, 'j');
  out += std::string("\xff\xdb\x00\x04\x00\x00", 6);
  out += std::string("\xff\xc2\x00\x11\x08", 5);
  for (int32_t v : {h, w}) {
    out.push_back(static_cast<char>(v >> 8));
    out.push_back(static_cast<char>(v));
  }
  out += std::string(20, 's');
  return out;
}

TEST(ImageDimensionsTest, ReadsPngAndJpegHeaders) {
  EXPECT_EQ(ImageDimensions(Png(1000, 700, 100)), std::make_pair(1000, 700));
  EXPECT_EQ(ImageDimensions(Jpeg(1920, 1080)), std::make_pair(1920, 1080));
  EXPECT_EQ(ImageDimensions(Jpeg(90, 60)), std::make_pair(90, 60));
  EXPECT_EQ(ImageDimensions("GIF89a........................"), std::nullopt);
  EXPECT_EQ(ImageDimensions(Png(10, 10, 100).substr(0, 20)), std::nullopt);  // cut short
  EXPECT_EQ(ImageDimensions(Jpeg(10, 10).substr(0, 30)), std::nullopt);
  EXPECT_EQ(PhotoSizeType(90, 60), "s");
  EXPECT_EQ(PhotoSizeType(320, 200), "m");
  EXPECT_EQ(PhotoSizeType(640, 800), "x");
  EXPECT_EQ(PhotoSizeType(1000, 700), "y");
  EXPECT_EQ(PhotoSizeType(2560, 1440), "w");
  EXPECT_EQ(PhotoSizeType(4000, 3000), "w");
}

class PhotosTest : public testing::DispatcherTest {
 protected:
  void SetUp() override {
    SeedWorld(world_, /*big_channel_members=*/0);
    const char* tmp = getenv("TEST_TMPDIR");
    env_.files_dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/photos_test_files");
    std::filesystem::create_directories(env_.files_dir);
    for (int id : {1, 2, 3}) env_.endpoints.push_back({id, false, 0});
    RegisterAuthMethods(dispatcher_, env_);
    RegisterUserMethods(dispatcher_, env_);
    RegisterMessageMethods(dispatcher_, env_);
    RegisterUploadMethods(dispatcher_, env_);
    RecordPushes();
    alice_ = ContextOf(1);
    ASSERT_TRUE(SignInWithCode(kSeedAlicePhone, alice_).ok());
    bob_ = ContextOf(2);
    ASSERT_TRUE(SignInWithCode(kSeedBobPhone, bob_).ok());
  }

  std::unique_ptr<api::inputFile> Uploaded(int64_t file_id, const std::string& bytes,
                                           CallContext& context) {
    EXPECT_TRUE(Call(testing::FirstFilePart(file_id, bytes), context).ok());
    auto file = std::make_unique<api::inputFile>();
    file->id = file_id;
    file->parts = 1;
    file->name = "p.png";
    return file;
  }

  absl::StatusOr<tl::Ptr<api::upload_File>> GetFile(tl::Ptr<api::InputFileLocation> location,
                                                    CallContext& context) {
    api::upload_getFile request;
    request.location = std::move(location);
    request.limit = 512 * 1024;
    return Call(request, context);
  }

  CallContext alice_, bob_;
};

TEST_F(PhotosTest, AnUploadedPhotoIsSentAndServedWithItsReference) {
  const std::string image = Png(1000, 700, 3000);
  api::messages_sendMedia send;
  send.peer = std::make_unique<api::inputPeerSelf>();
  auto media = std::make_unique<api::inputMediaUploadedPhoto>();
  media->file = Uploaded(5, image, alice_);
  send.media = std::move(media);
  send.random_id = 1;
  absl::StatusOr<tl::Ptr<api::Updates>> sent = Call(send, alice_);
  ASSERT_TRUE(sent.ok()) << sent.status();
  const api::photo* photo = nullptr;
  for (const auto& update : static_cast<const api::updates&>(**sent).updates_) {
    if (const auto* added = dynamic_cast<const api::updateNewMessage*>(update.get())) {
      const auto& message = static_cast<const api::message&>(*added->message);
      const auto* media = dynamic_cast<const api::messageMediaPhoto*>(message.media.get());
      ASSERT_NE(media, nullptr);
      photo = dynamic_cast<const api::photo*>(media->photo.get());
    }
  }
  ASSERT_NE(photo, nullptr);
  ASSERT_EQ(photo->sizes.size(), 1u);
  const auto& size = static_cast<const api::photoSize&>(*photo->sizes[0]);
  EXPECT_EQ(size.type, "y");
  EXPECT_EQ(size.w, 1000);
  EXPECT_EQ(size.h, 700);
  EXPECT_EQ(size.size, 3000);

  auto location = [&](const std::string& reference, const std::string& type) {
    auto out = std::make_unique<api::inputPhotoFileLocation>();
    out->id = photo->id;
    out->access_hash = photo->access_hash;
    out->file_reference = reference;
    out->thumb_size = type;
    return out;
  };
  absl::StatusOr<tl::Ptr<api::upload_File>> file =
      GetFile(location(photo->file_reference, "y"), alice_);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(static_cast<const api::upload_file&>(**file).bytes, image);
  EXPECT_EQ(ErrorOf(GetFile(location(photo->file_reference, "s"), alice_)), "400 LOCATION_INVALID");
  EXPECT_EQ(ErrorOf(GetFile(location("made up", "y"), alice_)), "400 FILE_REFERENCE_INVALID");

  // Expired: the old reference is refused until the message is read again.
  world_.files().ExpireReferences();
  EXPECT_EQ(ErrorOf(GetFile(location(photo->file_reference, "y"), alice_)),
            "400 FILE_REFERENCE_EXPIRED");
  EXPECT_EQ(world_.files().expired_answers(), 1);
  EXPECT_NE(world_.files().Reference(photo->id), photo->file_reference);
  EXPECT_TRUE(GetFile(location(world_.files().Reference(photo->id), "y"), alice_).ok());
  EXPECT_EQ(world_.files().get_file_calls(), 5);

  // Not an image, or dimensions Telegram refuses.
  send.media = std::make_unique<api::inputMediaUploadedPhoto>();
  static_cast<api::inputMediaUploadedPhoto&>(*send.media).file =
      Uploaded(6, std::string(500, 'x'), alice_);
  EXPECT_EQ(ErrorOf(Call(send, alice_)), "400 IMAGE_PROCESS_FAILED");
  static_cast<api::inputMediaUploadedPhoto&>(*send.media).file =
      Uploaded(7, Png(9000, 2000, 100), alice_);
  EXPECT_EQ(ErrorOf(Call(send, alice_)), "400 PHOTO_INVALID_DIMENSIONS");
}

TEST_F(PhotosTest, AProfilePhotoIsServedByPeerUntilItChanges) {
  api::photos_uploadProfilePhoto upload;
  upload.file = Uploaded(8, Png(640, 640, 2000), bob_);
  absl::StatusOr<tl::Ptr<api::photos_Photo>> set = Call(upload, bob_);
  ASSERT_TRUE(set.ok()) << set.status();
  const auto& answer = static_cast<const api::photos_photo&>(**set);
  const int64_t photo_id = static_cast<const api::photo&>(*answer.photo).id;
  ASSERT_EQ(answer.users.size(), 1u);
  const auto& me = static_cast<const api::user&>(*answer.users[0]);
  ASSERT_NE(me.photo, nullptr);
  EXPECT_EQ(static_cast<const api::userProfilePhoto&>(*me.photo).photo_id, photo_id);

  // Alice sees it on Bob's user object and downloads it by peer.
  const UserRecord* bob = world_.FindUserByPhone(kSeedBobPhone);
  tl::Ptr<api::User> seen = MakeUser(*bob, alice_.user_id);
  const auto& seen_user = static_cast<const api::user&>(*seen);
  ASSERT_NE(seen_user.photo, nullptr);
  EXPECT_EQ(static_cast<const api::userProfilePhoto&>(*seen_user.photo).photo_id, photo_id);
  auto by_peer = [&](int64_t id) {
    auto peer = std::make_unique<api::inputPeerUser>();
    peer->user_id = bob->id;
    peer->access_hash = bob->access_hash;
    auto out = std::make_unique<api::inputPeerPhotoFileLocation>();
    out->big = true;
    out->peer = std::move(peer);
    out->photo_id = id;
    return out;
  };
  absl::StatusOr<tl::Ptr<api::upload_File>> file = GetFile(by_peer(photo_id), alice_);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(static_cast<const api::upload_file&>(**file).bytes, Png(640, 640, 2000));

  upload.file = Uploaded(9, Png(320, 320, 1000), bob_);
  ASSERT_TRUE(Call(upload, bob_).ok());
  EXPECT_EQ(ErrorOf(GetFile(by_peer(photo_id), alice_)), "400 LOCATION_INVALID");
  EXPECT_TRUE(GetFile(by_peer(bob->photo.id), alice_).ok());
}

}  // namespace
}  // namespace tgrpc::fakedc
