// MessageService.SendAlbum against fakedc: photos and a video uploaded with FileService.UploadFile
// and sent as one album with per-item captions (both sides see one grouped_id), an album of
// documents that reuses an earlier message's document, downloads of album items byte for byte,
// request_id retries that send once, and the errors: item counts, mixing rules, bad items.
#include <openssl/evp.h>

#include <random>
#include <set>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakedc/seed.h"
#include "tests/service/service_fixture.h"
#include "tests/service/test_bytes.h"

namespace tgrpc::service_test {
namespace {

constexpr int64_t kMiB = 1024 * 1024;

class AlbumTest : public ServiceTest {
 protected:
  v1::UploadedFile Upload(const std::string& name, absl::string_view data) {
    return UploadBytes("accounts/alice", name, data);
  }

  v1::SendAlbumRequest::Item Photo(const std::string& image, const std::string& caption) {
    v1::SendAlbumRequest::Item item;
    *item.mutable_file() = Upload("p.png", image);
    item.set_kind(v1::SendMediaRequest::PHOTO);
    item.set_caption(caption);
    return item;
  }
  v1::SendAlbumRequest::Item Document(const std::string& data, const std::string& name) {
    v1::SendAlbumRequest::Item item;
    *item.mutable_file() = Upload(name, data);
    return item;
  }

  grpc::Status SendAlbum(const v1::SendAlbumRequest& request, v1::SendAlbumResponse* response) {
    return messages_->SendAlbum(Context(kTokenA, 60).get(), request, response);
  }

  int MessagesOf(const std::string& parent) {
    v1::ListMessagesRequest request;
    request.set_parent(parent);
    request.set_page_size(100);
    v1::ListMessagesResponse response;
    grpc::Status status = messages_->ListMessages(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.messages_size();
  }
};

TEST_F(AlbumTest, SendsPhotosAndAVideoAsOneAlbumSeenByBothSides) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);
  const std::string first = PngLike(1000, 700, 300'000, 1);
  const std::string second = PngLike(640, 640, 200'000, 2);
  const std::string clip = RandomBytes(700'000, 3);
  v1::SendAlbumRequest request;
  request.set_parent("accounts/alice/chats/bob_example");
  *request.add_items() = Photo(first, "first");
  v1::SendAlbumRequest::Item* video = request.add_items();
  *video = Document(clip, "clip.mp4");
  video->set_mime_type("video/mp4");
  video->mutable_video()->set_width(1280);
  video->mutable_video()->set_height(720);
  video->mutable_video()->set_duration(3);
  video->set_caption("**the clip**");
  video->set_parse_mode(v1::SendMessageRequest::MARKDOWN);
  *request.add_items() = Photo(second, "");
  v1::SendAlbumResponse response;
  grpc::Status status = SendAlbum(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.messages_size(), 3);
  EXPECT_NE(response.messages(0).grouped_id(), 0);
  for (const v1::Message& m : response.messages()) {
    EXPECT_EQ(m.grouped_id(), response.messages(0).grouped_id());
  }
  EXPECT_EQ(response.messages(0).text(), "first");
  EXPECT_EQ(response.messages(0).media().type(), "photo");
  EXPECT_EQ(response.messages(1).text(), "the clip");
  ASSERT_EQ(response.messages(1).entities_size(), 1);
  EXPECT_EQ(response.messages(1).entities(0).type(), "bold");
  EXPECT_EQ(response.messages(1).media().type(), "document");
  EXPECT_EQ(response.messages(2).text(), "");
  EXPECT_LT(response.messages(0).id(), response.messages(1).id());
  EXPECT_LT(response.messages(1).id(), response.messages(2).id());

  // Each item downloads back as sent.
  const std::string sent[] = {first, clip, second};
  for (int i = 0; i < 3; ++i) {
    v1::DownloadFileRequest download;
    download.set_message(response.messages(i).name());
    Downloaded down = Download(download);
    ASSERT_TRUE(down.status.ok()) << down.status.error_message();
    EXPECT_EQ(Sha256(down.data), Sha256(sent[i])) << i;
  }

  // Bob's copies: three messages of one group of his own.
  v1::ListMessagesRequest list;
  list.set_parent("accounts/bob/chats/alice_example");
  v1::ListMessagesResponse bobs;
  status = messages_->ListMessages(Context().get(), list, &bobs);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::set<int64_t> groups;
  for (const v1::Message& m : bobs.messages()) {
    if (m.grouped_id() != 0) groups.insert(m.grouped_id());
  }
  EXPECT_EQ(groups.size(), 1u);
  int in_group = 0;
  for (const v1::Message& m : bobs.messages()) in_group += m.grouped_id() == *groups.begin();
  EXPECT_EQ(in_group, 3);
}

TEST_F(AlbumTest, ReusesAnEarlierDocumentAndARetrySendsOnce) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  const std::string report = RandomBytes(100'000, 4);
  v1::SendMediaRequest single;
  single.set_parent("accounts/alice/chats/me");
  *single.mutable_file() = Upload("report.pdf", report);
  v1::Message earlier;
  grpc::Status status = messages_->SendMedia(Context().get(), single, &earlier);
  ASSERT_TRUE(status.ok()) << status.error_message();

  v1::SendAlbumRequest request;
  request.set_parent("accounts/alice/chats/me");
  request.set_request_id("album-1");
  v1::SendAlbumRequest::Item* again = request.add_items();
  v1::FileLocation* existing = again->mutable_existing();
  existing->set_account("accounts/alice");
  existing->set_type("document");
  existing->set_id(earlier.media().id());
  existing->set_access_hash(earlier.media().access_hash());
  existing->set_file_reference(earlier.media().file_reference());
  again->set_caption("the report again");
  *request.add_items() = Document(RandomBytes(50'000, 5), "notes.txt");
  const int before = MessagesOf("accounts/alice/chats/me");
  v1::SendAlbumResponse first;
  status = SendAlbum(request, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(first.messages_size(), 2);
  EXPECT_EQ(first.messages(0).media().id(), earlier.media().id());
  EXPECT_EQ(first.messages(0).text(), "the report again");
  v1::SendAlbumResponse retried;
  status = SendAlbum(request, &retried);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(retried.messages_size(), 2);
  EXPECT_EQ(retried.messages(0).id(), first.messages(0).id());
  EXPECT_EQ(retried.messages(1).grouped_id(), first.messages(1).grouped_id());
  EXPECT_EQ(MessagesOf("accounts/alice/chats/me"), before + 2);
}

TEST_F(AlbumTest, RefusesBadAlbums) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  const v1::SendAlbumRequest::Item photo = Photo(PngLike(800, 600, 20'000, 6), "p");
  const v1::SendAlbumRequest::Item doc = Document(RandomBytes(20'000, 7), "d.bin");
  v1::SendAlbumResponse response;
  const int before = MessagesOf("accounts/alice/chats/me");
  auto expect_field = [&](const v1::SendAlbumRequest& request, const std::string& field) {
    grpc::Status status = SendAlbum(request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_EQ(BadField(status), field) << status.error_message();
  };
  v1::SendAlbumRequest request;
  request.set_parent("accounts/alice/chats/me");
  *request.add_items() = photo;
  expect_field(request, "items");  // one item
  for (int i = 0; i < 10; ++i) *request.add_items() = photo;
  expect_field(request, "items");  // eleven

  request.clear_items();
  *request.add_items() = photo;
  *request.add_items() = doc;
  expect_field(request, "items");  // a document with a photo

  request.clear_items();
  v1::SendAlbumRequest::Item song = doc;
  song.mutable_audio()->set_title("song");
  *request.add_items() = song;
  *request.add_items() = doc;
  expect_field(request, "items");  // audio with a document

  request.clear_items();
  v1::SendAlbumRequest::Item voice = doc;
  voice.mutable_audio()->set_voice(true);
  *request.add_items() = song;
  *request.add_items() = voice;
  expect_field(request, "items[1].audio.voice");

  request.clear_items();
  *request.add_items() = photo;
  v1::SendAlbumRequest::Item broken = photo;
  broken.mutable_file()->set_parts(99);
  *request.add_items() = broken;
  expect_field(request, "items[1].file.parts");

  request.clear_items();
  *request.add_items() = photo;
  request.add_items()->set_caption("nothing to send");
  expect_field(request, "items[1].file");

  // Photos and videos mix, and nothing was sent by the refused albums.
  EXPECT_EQ(MessagesOf("accounts/alice/chats/me"), before);
  request.clear_items();
  *request.add_items() = photo;
  v1::SendAlbumRequest::Item clip = doc;
  clip.mutable_video()->set_width(320);
  *request.add_items() = clip;
  grpc::Status status = SendAlbum(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.messages_size(), 2);

  // A stale reference to a photo is Telegram's error, and sends nothing.
  request.clear_items();
  v1::SendAlbumRequest::Item stale;
  v1::FileLocation* existing = stale.mutable_existing();
  existing->set_account("accounts/alice");
  existing->set_type("photo");
  existing->set_id(response.messages(0).media().id());
  existing->set_access_hash(response.messages(0).media().access_hash());
  existing->set_file_reference(response.messages(0).media().file_reference());
  dc_->Run([](fakedc::World& world) { world.files().ExpireReferences(); });
  *request.add_items() = stale;
  *request.add_items() = stale;
  status = SendAlbum(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(status), "FILE_REFERENCE_EXPIRED");
  EXPECT_EQ(MessagesOf("accounts/alice/chats/me"), before + 2);
}

}  // namespace
}  // namespace tgrpc::service_test
