// fakedc's albums through a Dispatcher: messages.uploadMedia, then messages.sendMultiMedia with
// the media it gave, delivered to both sides of a private chat with one grouped_id; and the
// errors Telegram gives (uploaded media in an album, too many or mixed items, stale references).
#include <filesystem>
#include <set>
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

std::string Png(int32_t w, int32_t h) {
  std::string out("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
  for (int32_t v : {w, h}) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
  }
  out.resize(500, 'p');
  return out;
}

std::unique_ptr<api::inputPhoto> CopyOf(const api::inputPhoto& input) {
  auto out = std::make_unique<api::inputPhoto>();
  out->id = input.id;
  out->access_hash = input.access_hash;
  out->file_reference = input.file_reference;
  return out;
}

class AlbumsTest : public testing::DispatcherTest {
 protected:
  void SetUp() override {
    SeedWorld(world_, /*big_channel_members=*/0);
    const char* tmp = getenv("TEST_TMPDIR");
    env_.files_dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/albums_test_files");
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

  tl::Ptr<api::InputPeer> Bob() {
    const UserRecord* bob = world_.FindUserByPhone(kSeedBobPhone);
    auto peer = std::make_unique<api::inputPeerUser>();
    peer->user_id = bob->id;
    peer->access_hash = bob->access_hash;
    return peer;
  }

  std::unique_ptr<api::inputFile> Uploaded(const std::string& bytes, const std::string& name) {
    const int64_t file_id = ++next_file_;
    EXPECT_TRUE(Call(testing::FirstFilePart(file_id, bytes), alice_).ok());
    auto file = std::make_unique<api::inputFile>();
    file->id = file_id;
    file->parts = 1;
    file->name = name;
    return file;
  }

  tl::Ptr<api::InputMedia> UploadedPhoto() {
    auto media = std::make_unique<api::inputMediaUploadedPhoto>();
    media->file = Uploaded(Png(800, 600), "p.png");
    return media;
  }

  tl::Ptr<api::InputMedia> UploadedDocument(bool video) {
    auto media = std::make_unique<api::inputMediaUploadedDocument>();
    media->file = Uploaded(std::string(300, 'd'), video ? "v.mp4" : "d.bin");
    media->mime_type = video ? "video/mp4" : "application/octet-stream";
    if (video) {
      auto attribute = std::make_unique<api::documentAttributeVideo>();
      attribute->w = 640;
      attribute->h = 480;
      media->attributes.push_back(std::move(attribute));
    }
    return media;
  }

  // messages.uploadMedia, then the answer as an album item's InputMedia.
  tl::Ptr<api::InputMedia> Referenced(tl::Ptr<api::InputMedia> uploaded) {
    api::messages_uploadMedia upload;
    upload.peer = Bob();
    upload.media = std::move(uploaded);
    absl::StatusOr<tl::Ptr<api::MessageMedia>> media = Call(upload, alice_);
    EXPECT_TRUE(media.ok()) << media.status();
    if (!media.ok()) return nullptr;
    if (const auto* photo = dynamic_cast<const api::messageMediaPhoto*>(media->get())) {
      const auto& p = static_cast<const api::photo&>(*photo->photo);
      auto input = std::make_unique<api::inputPhoto>();
      input->id = p.id;
      input->access_hash = p.access_hash;
      input->file_reference = p.file_reference;
      auto out = std::make_unique<api::inputMediaPhoto>();
      out->id = std::move(input);
      return out;
    }
    const auto& d = static_cast<const api::document&>(
        *static_cast<const api::messageMediaDocument&>(**media).document);
    auto input = std::make_unique<api::inputDocument>();
    input->id = d.id;
    input->access_hash = d.access_hash;
    input->file_reference = d.file_reference;
    auto out = std::make_unique<api::inputMediaDocument>();
    out->id = std::move(input);
    return out;
  }

  api::messages_sendMultiMedia Album(std::vector<tl::Ptr<api::InputMedia>> media) {
    api::messages_sendMultiMedia send;
    send.peer = Bob();
    for (auto& m : media) {
      auto single = std::make_unique<api::inputSingleMedia>();
      single->media = std::move(m);
      single->random_id = ++random_id_;
      single->message = absl::StrCat("caption ", random_id_);
      send.multi_media.push_back(std::move(single));
    }
    return send;
  }

  int64_t next_file_ = 0;
  CallContext alice_, bob_;
};

TEST_F(AlbumsTest, PhotosAndAVideoGoOutAsOneGroupToBothSides) {
  std::vector<tl::Ptr<api::InputMedia>> media;
  media.push_back(Referenced(UploadedPhoto()));
  media.push_back(Referenced(UploadedDocument(/*video=*/true)));
  media.push_back(Referenced(UploadedPhoto()));
  api::messages_sendMultiMedia send = Album(std::move(media));
  absl::StatusOr<tl::Ptr<api::Updates>> sent = Call(send, alice_);
  ASSERT_TRUE(sent.ok()) << sent.status();
  std::set<int64_t> random_ids, groups;
  std::vector<std::string> captions;
  for (const auto& update : static_cast<const api::updates&>(**sent).updates_) {
    if (const auto* id = dynamic_cast<const api::updateMessageID*>(update.get())) {
      random_ids.insert(id->random_id);
    } else if (const auto* added = dynamic_cast<const api::updateNewMessage*>(update.get())) {
      const auto& message = static_cast<const api::message&>(*added->message);
      ASSERT_TRUE(message.grouped_id.has_value());
      groups.insert(*message.grouped_id);
      captions.push_back(message.message_);
      EXPECT_NE(message.media, nullptr);
    }
  }
  EXPECT_EQ(random_ids.size(), 3u);
  EXPECT_EQ(groups.size(), 1u);
  EXPECT_EQ(captions.size(), 3u);
  EXPECT_EQ(captions.front(), absl::StrCat("caption ", random_id_ - 2));
  // Bob gets each item as an incoming message of the same group.
  const int64_t bob_id = world_.FindUserByPhone(kSeedBobPhone)->id;
  int pushed = 0;
  for (const Push& push : pushes_) {
    if (push.user_id != bob_id) continue;
    for (const auto& update : static_cast<const api::updates&>(*push.updates).updates_) {
      const auto* added = dynamic_cast<const api::updateNewMessage*>(update.get());
      if (added == nullptr) continue;
      const auto& message = static_cast<const api::message&>(*added->message);
      EXPECT_FALSE(message.out);
      EXPECT_EQ(message.grouped_id.value_or(0), *groups.begin());
      ++pushed;
    }
  }
  EXPECT_EQ(pushed, 3);
}

TEST_F(AlbumsTest, RefusesUploadedMediaMixedKindsAndTooManyItems) {
  {
    std::vector<tl::Ptr<api::InputMedia>> media;
    media.push_back(UploadedPhoto());  // not through messages.uploadMedia
    media.push_back(Referenced(UploadedPhoto()));
    EXPECT_EQ(ErrorOf(Call(Album(std::move(media)), alice_)), "400 MEDIA_INVALID");
  }
  {
    std::vector<tl::Ptr<api::InputMedia>> media;
    media.push_back(Referenced(UploadedPhoto()));
    media.push_back(Referenced(UploadedDocument(/*video=*/false)));
    EXPECT_EQ(ErrorOf(Call(Album(std::move(media)), alice_)), "400 MEDIA_INVALID");
  }
  {
    tl::Ptr<api::InputMedia> photo = Referenced(UploadedPhoto());
    const auto& input =
        static_cast<const api::inputPhoto&>(*static_cast<const api::inputMediaPhoto&>(*photo).id);
    std::vector<tl::Ptr<api::InputMedia>> media;
    for (int i = 0; i < 11; ++i) {
      auto item = std::make_unique<api::inputMediaPhoto>();
      item->id = CopyOf(input);
      media.push_back(std::move(item));
    }
    EXPECT_EQ(ErrorOf(Call(Album(std::move(media)), alice_)), "400 MULTI_MEDIA_TOO_LONG");
    world_.files().ExpireReferences();
    std::vector<tl::Ptr<api::InputMedia>> stale;
    for (int i = 0; i < 2; ++i) {
      auto item = std::make_unique<api::inputMediaPhoto>();
      item->id = CopyOf(input);
      stale.push_back(std::move(item));
    }
    EXPECT_EQ(ErrorOf(Call(Album(std::move(stale)), alice_)), "400 FILE_REFERENCE_EXPIRED");
  }
  EXPECT_EQ(ErrorOf(Call(Album({}), alice_)), "400 MEDIA_EMPTY");
  // Nothing of the refused albums was sent.
  for (const Push& push : pushes_) {
    for (const auto& update : static_cast<const api::updates&>(*push.updates).updates_) {
      EXPECT_EQ(dynamic_cast<const api::updateNewMessage*>(update.get()), nullptr);
    }
  }
}

}  // namespace
}  // namespace tgrpc::fakedc
