// fakedc's documents through a Dispatcher: a document keeps the parts it was uploaded in
// (messages.sendMedia moves their directory), upload.getFile reads exact bytes across part
// boundaries, and Telegram's part rules still hold at the commit.
#include "tests/fakedc/uploads.h"

#include <sys/stat.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakedc/dispatcher_test_util.h"
#include "tests/fakedc/seed.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;
namespace fs = std::filesystem;
using testing::ContextOf;
using testing::ErrorOf;

constexpr int64_t kKiB = 1024;

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 random(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(random());
  return out;
}

ino_t InodeOf(const fs::path& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 ? info.st_ino : 0;
}

class UploadsTest : public testing::DispatcherTest {
 protected:
  void SetUp() override {
    SeedWorld(world_, /*big_channel_members=*/0);
    const char* tmp = getenv("TEST_TMPDIR");
    env_.files_dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/uploads_test_files");
    fs::remove_all(env_.files_dir);
    fs::create_directories(env_.files_dir);
    for (int id : {1, 2, 3}) env_.endpoints.push_back({id, false, 0});
    RegisterAuthMethods(dispatcher_, env_);
    RegisterUserMethods(dispatcher_, env_);
    RegisterMessageMethods(dispatcher_, env_);
    RegisterUploadMethods(dispatcher_, env_);
    RecordPushes();
    alice_ = ContextOf(1);
    ASSERT_TRUE(SignInWithCode(kSeedAlicePhone, alice_).ok());
  }

  // Sends `data` as upload.saveBigFilePart parts of `part_size` bytes (the last may be shorter),
  // each announcing `total_parts` (-1: the real count), leaving out part `skip` (-1: none).
  void SaveBigParts(int64_t file_id, const std::string& data, int64_t part_size,
                    int32_t total_parts = -1, int32_t skip = -1) {
    const auto parts = static_cast<int32_t>((data.size() + part_size - 1) / part_size);
    for (int32_t i = 0; i < parts; ++i) {
      if (i == skip) continue;
      api::upload_saveBigFilePart part;
      part.file_id = file_id;
      part.file_part = i;
      part.file_total_parts = total_parts == -1 ? parts : total_parts;
      part.bytes = data.substr(i * part_size, part_size);
      absl::StatusOr<bool> saved = Call(part, alice_);
      ASSERT_TRUE(saved.ok()) << i << ": " << saved.status();
    }
  }

  // messages.sendMedia of upload `file_id` (an inputFileBig of `parts` parts) to Saved Messages;
  // the document it made.
  absl::StatusOr<tl::Ptr<api::Document>> SendDocument(int64_t file_id, int32_t parts) {
    auto file = std::make_unique<api::inputFileBig>();
    file->id = file_id;
    file->parts = parts;
    file->name = "big.bin";
    auto media = std::make_unique<api::inputMediaUploadedDocument>();
    media->file = std::move(file);
    media->mime_type = "application/octet-stream";
    api::messages_sendMedia send;
    send.peer = std::make_unique<api::inputPeerSelf>();
    send.media = std::move(media);
    send.random_id = ++random_id_;
    absl::StatusOr<tl::Ptr<api::Updates>> sent = Call(send, alice_);
    if (!sent.ok()) return sent.status();
    for (auto& update : static_cast<api::updates&>(**sent).updates_) {
      if (auto* added = dynamic_cast<api::updateNewMessage*>(update.get())) {
        auto& message = static_cast<api::message&>(*added->message);
        return std::move(static_cast<api::messageMediaDocument&>(*message.media).document);
      }
    }
    return absl::NotFoundError("no updateNewMessage");
  }

  // upload.getFile of `limit` bytes at `offset` of `document`: the bytes, or the error.
  absl::StatusOr<std::string> Read(const api::document& document, int64_t offset, int32_t limit) {
    auto location = std::make_unique<api::inputDocumentFileLocation>();
    location->id = document.id;
    location->access_hash = document.access_hash;
    location->file_reference = document.file_reference;
    api::upload_getFile request;
    request.location = std::move(location);
    request.offset = offset;
    request.limit = limit;
    absl::StatusOr<tl::Ptr<api::upload_File>> file = Call(request, alice_);
    if (!file.ok()) return file.status();
    return static_cast<api::upload_file&>(**file).bytes;
  }

  fs::path PartsDir(int64_t file_id) const {
    return fs::path(env_.files_dir) / absl::StrCat("parts-", alice_.user_id, "-", file_id);
  }

  CallContext alice_;
  int64_t random_id_ = 0;
};

TEST_F(UploadsTest, ADocumentOfBigPartsReadsBackExactlyAcrossTheirBoundaries) {
  // Two parts of 512 KiB and a short last one: a 1 MiB read spans parts 0 and 1.
  const std::string data = RandomBytes(2 * kMaxPartSize + 100000, 1);
  SaveBigParts(7, data, kMaxPartSize);
  const ino_t part0 = InodeOf(PartsDir(7) / "0");
  ASSERT_NE(part0, 0u);
  absl::StatusOr<tl::Ptr<api::Document>> sent = SendDocument(7, 3);
  ASSERT_TRUE(sent.ok()) << sent.status();
  const auto& document = static_cast<const api::document&>(**sent);
  EXPECT_EQ(document.size, static_cast<int64_t>(data.size()));
  // The commit moved the parts: the document's part 0 is the uploaded file itself, not a copy.
  EXPECT_FALSE(fs::exists(PartsDir(7)));
  EXPECT_EQ(InodeOf(fs::path(env_.files_dir) / absl::StrCat("doc-", document.id) / "0"), part0);

  struct Range {
    int64_t offset;
    int32_t limit;
  };
  for (const Range& range : std::vector<Range>{{0, 1024 * 1024},          // parts 0 and 1 whole
                                               {384 * kKiB, 256 * kKiB},  // the end of 0, 1's start
                                               {512 * kKiB, 512 * kKiB},  // part 1 exactly
                                               {1024 * kKiB, 1024 * 1024},  // the short last part
                                               {1024 * kKiB + 96 * kKiB, 4096}}) {  // past the end
    absl::StatusOr<std::string> bytes = Read(document, range.offset, range.limit);
    ASSERT_TRUE(bytes.ok()) << range.offset << ": " << bytes.status();
    const size_t expected = std::min<int64_t>(range.limit, data.size() - range.offset);
    ASSERT_EQ(bytes->size(), expected) << range.offset;
    EXPECT_TRUE(*bytes == data.substr(range.offset, expected)) << range.offset;
  }
  absl::StatusOr<std::string> after_end = Read(document, 2 * 1024 * 1024, 4096);
  ASSERT_TRUE(after_end.ok());
  EXPECT_EQ(*after_end, "");
}

TEST_F(UploadsTest, ADocumentOfSmallPartsReadsBackWhole) {
  // Parts of 1 KiB: every 4 KiB read spans four or more of them, the last ends in a 500-byte part.
  const std::string data = RandomBytes(40 * kKiB + 500, 2);
  SaveBigParts(8, data, kKiB);
  absl::StatusOr<tl::Ptr<api::Document>> sent = SendDocument(8, 41);
  ASSERT_TRUE(sent.ok()) << sent.status();
  const auto& document = static_cast<const api::document&>(**sent);
  EXPECT_EQ(document.size, static_cast<int64_t>(data.size()));
  std::string read;
  for (int64_t offset = 0; offset < static_cast<int64_t>(data.size()); offset += 8192) {
    absl::StatusOr<std::string> bytes = Read(document, offset, 8192);
    ASSERT_TRUE(bytes.ok()) << offset << ": " << bytes.status();
    read += *bytes;
  }
  EXPECT_EQ(read.size(), data.size());
  EXPECT_TRUE(read == data);
}

TEST_F(UploadsTest, TheCommitKeepsTelegramsPartRules) {
  const std::string data = RandomBytes(4 * 8 * kKiB, 3);
  SaveBigParts(11, data, 8 * kKiB, -1, /*skip=*/2);
  EXPECT_EQ(ErrorOf(SendDocument(11, 4)), "400 FILE_PART_2_MISSING");

  SaveBigParts(12, data, 8 * kKiB, /*total_parts=*/5);  // parts 0-3 of 5 announced
  EXPECT_EQ(ErrorOf(SendDocument(12, 4)), "400 FILE_PARTS_INVALID");
  EXPECT_EQ(ErrorOf(SendDocument(12, 5)), "400 FILE_PART_4_MISSING");

  SaveBigParts(13, data, 12 * kKiB);  // does not divide 512 KiB
  EXPECT_EQ(ErrorOf(SendDocument(13, 3)), "400 FILE_PART_SIZE_INVALID");

  // A last part longer than the others.
  SaveBigParts(14, data.substr(0, 3 * 8 * kKiB), 8 * kKiB, /*total_parts=*/4);
  api::upload_saveBigFilePart last;
  last.file_id = 14;
  last.file_part = 3;
  last.file_total_parts = 4;
  last.bytes = RandomBytes(16 * kKiB, 4);
  ASSERT_TRUE(Call(last, alice_).ok());
  EXPECT_EQ(ErrorOf(SendDocument(14, 4)), "400 FILE_PART_SIZE_INVALID");

  // The failed commits kept the parts; a good one takes them, so sending it again finds none.
  EXPECT_TRUE(fs::exists(PartsDir(11) / "0"));
  SaveBigParts(15, data, 8 * kKiB);
  ASSERT_TRUE(SendDocument(15, 4).ok());
  EXPECT_EQ(ErrorOf(SendDocument(15, 4)), "400 FILE_PART_0_MISSING");
}

}  // namespace
}  // namespace tgrpc::fakedc
