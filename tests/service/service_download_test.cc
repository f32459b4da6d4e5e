// FileService.DownloadFile and MessageService.SendMedia against fakedc, the photo side of files:
// a photo sent and downloaded back byte for byte (SHA-256), video, audio and voice documents with
// their attributes, users' and chats' current photos (inputPeerPhotoFileLocation), file
// references that expire before and during a download (refreshed by reading the message or the
// photo again; a FileLocation cannot be), and a cancelled download that stops fetching.
#include <openssl/evp.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/api/file_parts.h"
#include "tests/fakedc/photos.h"
#include "tests/fakedc/seed.h"
#include "tests/service/service_fixture.h"
#include "tests/service/test_bytes.h"

namespace tgrpc::service_test {
namespace {

constexpr int64_t kMiB = 1024 * 1024;
constexpr int64_t kBlock = 512 * 1024;

class DownloadTest : public ServiceTest {
 protected:
  v1::UploadedFile Upload(const std::string& account, const std::string& name,
                          absl::string_view data) {
    return UploadBytes("accounts/" + account, name, data);
  }

  v1::Message Send(const std::string& parent, const v1::UploadedFile& file,
                   v1::SendMediaRequest::Kind kind = v1::SendMediaRequest::DOCUMENT,
                   grpc::Status* status = nullptr) {
    v1::SendMediaRequest request;
    request.set_parent(parent);
    *request.mutable_file() = file;
    request.set_kind(kind);
    return Send(request, status);
  }
  v1::Message Send(const v1::SendMediaRequest& request, grpc::Status* status = nullptr) {
    v1::Message sent;
    grpc::Status result = messages_->SendMedia(Context().get(), request, &sent);
    if (status != nullptr) {
      *status = result;
    } else {
      EXPECT_TRUE(result.ok()) << result.error_message();
    }
    return sent;
  }

  static v1::DownloadFileRequest ByPeerPhoto(const std::string& name, bool big) {
    v1::DownloadFileRequest request;
    request.set_peer_photo(name);
    request.set_big(big);
    return request;
  }

  // Makes `image` the current photo of the seeded user or channel named `username` (fakedc's
  // seed: tgrpc has no RPC that sets one); returns the photo's id.
  int64_t SeedPeerPhoto(const std::string& username, const std::string& image) {
    const std::string path =
        absl::StrCat(getenv("TEST_TMPDIR"), "/peer-photo-", username, "-", ++photos_);
    std::ofstream(path, std::ios::binary) << image;
    int64_t id = 0;
    dc_->Run([&](fakedc::World& world) {
      fakedc::PeerRef peer;
      if (const fakedc::UserRecord* user = world.FindUserByUsername(username)) {
        peer = {fakedc::PeerKind::kUser, user->id};
      } else if (const fakedc::ChannelRecord* channel = world.FindChannelByUsername(username)) {
        peer = {fakedc::PeerKind::kChannel, channel->id};
      }
      absl::StatusOr<int64_t> photo = fakedc::AddPhotoFromFile(world, path, 2);
      ASSERT_TRUE(photo.ok()) << photo.status();
      ASSERT_TRUE(fakedc::SetPeerPhoto(world, peer, *photo).ok());
      id = *photo;
    });
    return id;
  }

  int64_t GetFileCalls() {
    int64_t calls = 0;
    dc_->Run([&](fakedc::World& world) { calls = world.files().get_file_calls(); });
    return calls;
  }
  int64_t ExpiredAnswers() {
    int64_t answers = 0;
    dc_->Run([&](fakedc::World& world) { answers = world.files().expired_answers(); });
    return answers;
  }

  int photos_ = 0;
};

TEST_F(DownloadTest, SendsAPhotoAndDownloadsItByteForByte) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  const std::string image = PngLike(1000, 700, 1'300'000, 1);
  v1::SendMediaRequest request;
  request.set_parent("accounts/alice/chats/bob_example");
  *request.mutable_file() = Upload("alice", "cat.png", image);
  request.set_kind(v1::SendMediaRequest::PHOTO);
  request.set_caption("a cat");
  v1::Message sent = Send(request);
  EXPECT_EQ(sent.text(), "a cat");
  EXPECT_EQ(sent.media().type(), "photo");
  EXPECT_NE(sent.media().id(), 0);
  EXPECT_EQ(sent.media().width(), 1000);
  EXPECT_EQ(sent.media().height(), 700);
  EXPECT_EQ(sent.media().size(), static_cast<int64_t>(image.size()));
  EXPECT_FALSE(sent.media().file_reference().empty());

  Downloaded down = Download(ByMessage(sent.name()));
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(Sha256(down.data), Sha256(image));
  ASSERT_EQ(down.responses.size(), 3u);  // 1.3 MB in 512 KiB blocks
  EXPECT_EQ(down.responses[0].file().type(), "photo");
  EXPECT_EQ(down.responses[0].file().id(), sent.media().id());
  EXPECT_EQ(down.responses.back().total_size(), static_cast<int64_t>(image.size()));

  // By its ids: a photo needs its size type, which the largest size of a 1000 x 700 image is.
  v1::DownloadFileRequest by_id;
  v1::FileLocation* location = by_id.mutable_location();
  location->set_account("accounts/alice");
  location->set_type("photo");
  location->set_id(sent.media().id());
  location->set_access_hash(sent.media().access_hash());
  location->set_file_reference(sent.media().file_reference());
  location->set_dc_id(sent.media().dc_id());
  location->set_thumb_size("y");
  down = Download(by_id);
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(Sha256(down.data), Sha256(image));

  // Bytes that are no image: Telegram cannot make a photo of them.
  grpc::Status status;
  Send("accounts/alice/chats/me", Upload("alice", "noise.jpg", RandomBytes(5000, 2)),
       v1::SendMediaRequest::PHOTO, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(status), "IMAGE_PROCESS_FAILED");
}

TEST_F(DownloadTest, SendsVideoAudioAndVoiceWithTheirAttributes) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  const std::string data = RandomBytes(700'000, 3);
  const v1::UploadedFile file = Upload("alice", "clip.bin", data);

  v1::SendMediaRequest video;
  video.set_parent("accounts/alice/chats/me");
  *video.mutable_file() = file;
  video.set_mime_type("video/mp4");
  video.mutable_video()->set_duration(12.5);
  video.mutable_video()->set_width(640);
  video.mutable_video()->set_height(360);
  video.mutable_video()->set_supports_streaming(true);
  v1::Message sent = Send(video);
  EXPECT_EQ(sent.media().type(), "document");
  EXPECT_EQ(sent.media().mime_type(), "video/mp4");
  EXPECT_DOUBLE_EQ(sent.media().duration(), 12.5);
  EXPECT_EQ(sent.media().width(), 640);
  EXPECT_EQ(sent.media().height(), 360);

  v1::SendMediaRequest audio;
  audio.set_parent("accounts/alice/chats/me");
  *audio.mutable_file() = Upload("alice", "song.mp3", data);
  audio.set_mime_type("audio/mpeg");
  audio.set_file_name("Song.mp3");
  audio.mutable_audio()->set_duration(200);
  audio.mutable_audio()->set_title("A Song");
  audio.mutable_audio()->set_performer("Someone");
  sent = Send(audio);
  EXPECT_DOUBLE_EQ(sent.media().duration(), 200);
  EXPECT_EQ(sent.media().title(), "A Song");
  EXPECT_EQ(sent.media().file_name(), "Song.mp3");

  v1::SendMediaRequest voice;
  voice.set_parent("accounts/alice/chats/bob_example");
  *voice.mutable_file() = Upload("alice", "voice.ogg", data);
  voice.set_mime_type("audio/ogg");
  voice.mutable_audio()->set_duration(7);
  voice.mutable_audio()->set_voice(true);
  sent = Send(voice);
  EXPECT_DOUBLE_EQ(sent.media().duration(), 7);
  EXPECT_EQ(sent.media().mime_type(), "audio/ogg");
  Downloaded down = Download(ByMessage(sent.name()));
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(Sha256(down.data), Sha256(data));
  EXPECT_EQ(down.responses[0].file().mime_type(), "audio/ogg");
}

TEST_F(DownloadTest, DownloadsUsersAndChatsPhotos) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  const std::string bobs = PngLike(640, 640, 90'000, 4);
  const int64_t bob_photo = SeedPeerPhoto("bob_example", bobs);
  Downloaded down = Download(ByPeerPhoto("accounts/alice/users/bob_example", true));
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(Sha256(down.data), Sha256(bobs));
  ASSERT_EQ(down.responses.size(), 1u);
  EXPECT_EQ(down.responses[0].file().type(), "peer_photo");
  EXPECT_EQ(down.responses[0].file().id(), bob_photo);
  EXPECT_EQ(down.responses[0].total_size(), 0);  // Telegram does not say a peer photo's size
  // The private chat with Bob names the same photo; the small size too (fakedc keeps one).
  down = Download(ByPeerPhoto("accounts/alice/chats/bob_example", false));
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(Sha256(down.data), Sha256(bobs));

  // A supergroup's photo (channels.getChannels), over two blocks.
  const std::string group = PngLike(1280, 1280, 600'000, 5);
  SeedPeerPhoto("fakedc_big", group);
  down = Download(ByPeerPhoto("accounts/alice/chats/fakedc_big", true));
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(Sha256(down.data), Sha256(group));
  EXPECT_EQ(down.responses.size(), 2u);

  // Alice has no photo; bad names name the field.
  down = Download(ByPeerPhoto("accounts/alice/users/me", true));
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reason(down.status), "PHOTO_NOT_FOUND");
  down = Download(ByPeerPhoto("accounts/alice/users/fakedc_big", true));
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(down.status), "peer_photo");
  down = Download(ByPeerPhoto("accounts/alice/users", true));
  EXPECT_EQ(BadField(down.status), "peer_photo");
  down = Download(ByPeerPhoto("accounts/alice/chats/bob_example/messages/1", true));
  EXPECT_EQ(BadField(down.status), "peer_photo");
}

// Telegram expires file references: every reference here lasts 3 parts (and all are expired
// before the download starts), so tgrpcd reads the message again several times in one download,
// in a private chat (messages.getMessages) and in a supergroup (channels.getMessages).
TEST_F(DownloadTest, ExpiredFileReferencesAreRefreshedMidDownload) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  const std::string data = RandomBytes(5 * kMiB + 1234, 6);
  for (const std::string chat :
       {"accounts/alice/chats/bob_example", "accounts/alice/chats/fakedc_big"}) {
    SCOPED_TRACE(chat);
    const v1::Message sent = Send(chat, Upload("alice", "long.bin", data));
    dc_->Run([](fakedc::World& world) {
      world.files().ExpireReferences();
      world.files().set_reference_lifetime_parts(3);
    });
    const int64_t expired_before = ExpiredAnswers();
    Downloaded down = Download(ByMessage(sent.name()));
    ASSERT_TRUE(down.status.ok()) << down.status.error_message();
    EXPECT_EQ(Sha256(down.data), Sha256(data));
    EXPECT_EQ(down.responses.size(), 11u);
    // The old reference was refused at the start and again after each 3 parts.
    EXPECT_GE(ExpiredAnswers() - expired_before, 4);
    dc_->Run([](fakedc::World& world) { world.files().set_reference_lifetime_parts(0); });
  }
}

TEST_F(DownloadTest, ALocationsExpiredReferenceSaysToDownloadByMessage) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  const std::string data = RandomBytes(100'000, 7);
  const v1::Message sent = Send("accounts/alice/chats/me", Upload("alice", "a.bin", data));
  v1::DownloadFileRequest by_id;
  v1::FileLocation* location = by_id.mutable_location();
  location->set_account("accounts/alice");
  location->set_id(sent.media().id());
  location->set_access_hash(sent.media().access_hash());
  location->set_file_reference(sent.media().file_reference());
  location->set_dc_id(sent.media().dc_id());
  Downloaded down = Download(by_id);
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(down.data, data);

  dc_->Run([](fakedc::World& world) { world.files().ExpireReferences(); });
  down = Download(by_id);
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(down.status), "FILE_REFERENCE_EXPIRED");
  EXPECT_NE(down.status.error_message().find("download by message"), std::string::npos)
      << down.status.error_message();
  // The message itself still downloads: tgrpcd reads it again.
  down = Download(ByMessage(sent.name()));
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(down.data, data);
}

// A peer's photo that changes under a download: before any byte went, tgrpcd reads the photo
// again and downloads the new one; after, the call is ABORTED (the bytes would mix two photos).
TEST_F(DownloadTest, APeerPhotoThatChangesIsReadAgain) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  const std::string first = PngLike(800, 800, 200'000, 8);
  const std::string second = PngLike(640, 480, 150'000, 9);
  SeedPeerPhoto("bob_example", first);
  const std::string path = absl::StrCat(getenv("TEST_TMPDIR"), "/second-photo");
  std::ofstream(path, std::ios::binary) << second;
  // Bob's photo changes just before fakedc serves the download's first upload.getFile.
  const int64_t start = GetFileCalls();
  dc_->Run([&](fakedc::World& world) {
    world.files().before_get_file = [&world, path, start](int64_t call) {
      if (call != start + 1) return;
      absl::StatusOr<int64_t> photo = fakedc::AddPhotoFromFile(world, path, 2);
      if (photo.ok()) {
        (void)fakedc::SetPeerPhoto(
            world, {fakedc::PeerKind::kUser, world.FindUserByUsername("bob_example")->id}, *photo);
      }
    };
  });
  Downloaded down = Download(ByPeerPhoto("accounts/alice/users/bob_example", true));
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(Sha256(down.data), Sha256(second));

  // A photo of 20 blocks that changes when the upload.getFile after the first in-flight window
  // arrives: tgrpcd fetches at most PartsInFlight blocks (16 for the default 4 sessions) ahead
  // of what it wrote, so it asks for that one only after the caller got the first block.
  const int64_t change_at = service::files::PartsInFlight(4) + 2;
  const std::string big = PngLike(2000, 2000, 10 * kMiB, 10);
  SeedPeerPhoto("bob_example", big);
  const int64_t again = GetFileCalls();
  dc_->Run([&](fakedc::World& world) {
    world.files().before_get_file = [&world, path, again, change_at](int64_t call) {
      if (call != again + change_at) return;
      absl::StatusOr<int64_t> photo = fakedc::AddPhotoFromFile(world, path, 2);
      if (photo.ok()) {
        (void)fakedc::SetPeerPhoto(
            world, {fakedc::PeerKind::kUser, world.FindUserByUsername("bob_example")->id}, *photo);
      }
    };
  });
  down = Download(ByPeerPhoto("accounts/alice/users/bob_example", true));
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::ABORTED) << down.status.error_message();
  EXPECT_EQ(Reason(down.status), "PHOTO_CHANGED");
  EXPECT_GT(down.data.size(), 0u);
  EXPECT_TRUE(down.data == big.substr(0, down.data.size()));
  dc_->Run([](fakedc::World& world) { world.files().before_get_file = nullptr; });
}

// Telegram answers slowly (each frame held back 300 ms), so blocks wait in flight; the caller
// cancels after its first response, and fakedc sees no more upload.getFile calls than were in
// flight then.
TEST_F(DownloadTest, ACancelledDownloadStopsFetching) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  const std::string data = RandomBytes(20 * kMiB, 11);
  const v1::Message sent = Send("accounts/alice/chats/me", Upload("alice", "slow.bin", data));
  const int64_t blocks = 20 * kMiB / kBlock;
  fakedc::FaultOptions slow;
  slow.delay_ms = 300;
  dc_->SetFaults(slow);
  const int64_t before = GetFileCalls();

  std::unique_ptr<grpc::ClientContext> context = Context(kTokenA, 60);
  auto reader = files_->DownloadFile(context.get(), ByMessage(sent.name()));
  v1::DownloadFileResponse first;
  ASSERT_TRUE(reader->Read(&first));
  EXPECT_EQ(first.offset(), 0);
  const int64_t at_cancel = GetFileCalls() - before;
  context->TryCancel();
  v1::DownloadFileResponse ignored;
  while (reader->Read(&ignored)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);

  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const int64_t settled = GetFileCalls() - before;
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const int64_t later = GetFileCalls() - before;
  dc_->SetFaults({});
  // At most the blocks tgrpcd keeps in flight (for the default 4 sessions) were on their way
  // when the caller cancelled.
  EXPECT_LE(settled - at_cancel, service::files::PartsInFlight(4))
      << at_cancel << " calls at the cancel, " << settled << " after";
  EXPECT_EQ(later, settled);
  EXPECT_LT(settled, blocks);
  std::cout << "cancelled download: " << at_cancel << " upload.getFile calls at the cancel, "
            << settled << " in all, of " << blocks << " blocks\n";
}

}  // namespace
}  // namespace tgrpc::service_test
