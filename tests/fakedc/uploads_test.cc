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
#include "mtproto/crypto/cdn_cipher.h"
#include "mtproto/crypto/sha.h"
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
  // One file holds the parts (each at part * 512 KiB), not a file per part.
  const ino_t parts = InodeOf(PartsDir(7) / "data");
  ASSERT_NE(parts, 0u);
  EXPECT_FALSE(fs::exists(PartsDir(7) / "0"));
  absl::StatusOr<tl::Ptr<api::Document>> sent = SendDocument(7, 3);
  ASSERT_TRUE(sent.ok()) << sent.status();
  const auto& document = static_cast<const api::document&>(**sent);
  EXPECT_EQ(document.size, static_cast<int64_t>(data.size()));
  // The commit moved the parts: the document's file is the uploaded one itself, not a copy.
  EXPECT_FALSE(fs::exists(PartsDir(7)));
  EXPECT_EQ(InodeOf(fs::path(env_.files_dir) / absl::StrCat("doc-", document.id) / "data"), parts);

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
  EXPECT_TRUE(fs::exists(PartsDir(11) / "data"));
  SaveBigParts(15, data, 8 * kKiB);
  ASSERT_TRUE(SendDocument(15, 4).ok());
  EXPECT_EQ(ErrorOf(SendDocument(15, 4)), "400 FILE_PART_0_MISSING");
}

// The CDN (methods_cdn.cc): a big document is redirected, the CDN DC serves it AES-256-CTR-
// encrypted, asks for a reupload first when told to, and the master DC's hashes match the plain
// bytes.
class CdnTest : public UploadsTest {
 protected:
  void SetUp() override {
    env_.cdn_dc = 203;
    env_.cdn_min_size = 256 * kKiB;
    env_.cdn_public_key_pem = "-----BEGIN RSA PUBLIC KEY-----\ncdn\n-----END RSA PUBLIC KEY-----\n";
    env_.endpoints.push_back({203, false, 0, /*cdn=*/true});
    RegisterCdnMethods(dispatcher_, env_);
    UploadsTest::SetUp();
    cdn_ = ContextOf(99, /*user_id=*/0, /*dc_id=*/203);
  }

  absl::StatusOr<tl::Ptr<api::upload_File>> GetFile(const api::document& document,
                                                    bool cdn_supported) {
    auto location = std::make_unique<api::inputDocumentFileLocation>();
    location->id = document.id;
    location->access_hash = document.access_hash;
    location->file_reference = document.file_reference;
    api::upload_getFile request;
    request.cdn_supported = cdn_supported;
    request.location = std::move(location);
    request.limit = 512 * kKiB;
    return Call(request, alice_);
  }

  absl::StatusOr<tl::Ptr<api::upload_CdnFile>> GetCdnFile(const std::string& token, int64_t offset,
                                                          int32_t limit) {
    api::upload_getCdnFile request;
    request.file_token = token;
    request.offset = offset;
    request.limit = limit;
    return Call(request, cdn_);
  }

  CallContext cdn_;
};

std::string Sha256Of(absl::string_view bytes) {
  const mtproto::crypto::Sha256Digest d = mtproto::crypto::Sha256(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

TEST_F(CdnTest, ABigDocumentComesEncryptedFromTheCdnWithHashesOfItsPlainBytes) {
  const std::string data = RandomBytes(1300 * kKiB + 123, 21);
  SaveBigParts(31, data, kMaxPartSize);
  absl::StatusOr<tl::Ptr<api::Document>> sent = SendDocument(31, 3);
  ASSERT_TRUE(sent.ok()) << sent.status();
  const auto& document = static_cast<const api::document&>(**sent);

  // Without cdn_supported the master DC serves it itself.
  absl::StatusOr<tl::Ptr<api::upload_File>> plain = GetFile(document, false);
  ASSERT_TRUE(plain.ok()) << plain.status();
  ASSERT_NE(dynamic_cast<const api::upload_file*>(plain->get()), nullptr);

  absl::StatusOr<tl::Ptr<api::upload_File>> got = GetFile(document, true);
  ASSERT_TRUE(got.ok()) << got.status();
  const auto* redirect = dynamic_cast<const api::upload_fileCdnRedirect*>(got->get());
  ASSERT_NE(redirect, nullptr);
  EXPECT_EQ(redirect->dc_id, 203);
  ASSERT_EQ(redirect->encryption_key.size(), 32u);
  ASSERT_EQ(redirect->encryption_iv.size(), 16u);
  // 1 MiB of hashes with the redirect, 128 KiB each.
  ASSERT_EQ(redirect->file_hashes.size(), 8u);
  for (size_t i = 0; i < redirect->file_hashes.size(); ++i) {
    const auto& hash = static_cast<const api::fileHash&>(*redirect->file_hashes[i]);
    EXPECT_EQ(hash.offset, static_cast<int64_t>(i) * 128 * kKiB);
    EXPECT_EQ(hash.limit, 128 * kKiB);
    EXPECT_EQ(hash.hash, Sha256Of(absl::string_view(data).substr(hash.offset, hash.limit)));
  }

  // The CDN's bytes decrypt, piece by piece, to the document (offset / 16 in the IV).
  std::string decrypted;
  for (int64_t offset = 0; offset < static_cast<int64_t>(data.size()); offset += 128 * kKiB) {
    absl::StatusOr<tl::Ptr<api::upload_CdnFile>> piece =
        GetCdnFile(redirect->file_token, offset, 128 * kKiB);
    ASSERT_TRUE(piece.ok()) << piece.status();
    std::string bytes = static_cast<const api::upload_cdnFile&>(**piece).bytes;
    EXPECT_NE(bytes, data.substr(offset, bytes.size()));
    ASSERT_TRUE(
        mtproto::crypto::CdnCrypt(redirect->encryption_key, redirect->encryption_iv, offset, bytes)
            .ok());
    decrypted += bytes;
  }
  EXPECT_EQ(decrypted, data);

  // The rest of the hashes from the master DC; the CDN DC answers only getCdnFile.
  api::upload_getCdnFileHashes hashes;
  hashes.file_token = redirect->file_token;
  hashes.offset = 1024 * kKiB + 4096;
  absl::StatusOr<std::vector<tl::Ptr<api::FileHash>>> more = Call(hashes, alice_);
  ASSERT_TRUE(more.ok()) << more.status();
  ASSERT_EQ(more->size(), 3u);
  const auto& last = static_cast<const api::fileHash&>(*more->back());
  EXPECT_EQ(last.offset, 1280 * kKiB);
  EXPECT_EQ(last.limit, 20 * kKiB + 123);
  EXPECT_EQ(last.hash, Sha256Of(absl::string_view(data).substr(1280 * kKiB)));
  EXPECT_EQ(ErrorOf(Call(hashes, cdn_)), "400 CDN_METHOD_INVALID");
  EXPECT_EQ(ErrorOf(Call(api::upload_getCdnFile(), alice_)), "400 METHOD_INVALID");

  api::help_getCdnConfig config;
  absl::StatusOr<tl::Ptr<api::CdnConfig>> keys = Call(config, alice_);
  ASSERT_TRUE(keys.ok()) << keys.status();
  const auto& cdn_keys = static_cast<const api::cdnConfig&>(**keys).public_keys;
  ASSERT_EQ(cdn_keys.size(), 1u);
  EXPECT_EQ(static_cast<const api::cdnPublicKey&>(*cdn_keys[0]).dc_id, 203);

  // A small document is never redirected.
  SaveBigParts(32, data.substr(0, 100 * kKiB), 100 * kKiB);
  absl::StatusOr<tl::Ptr<api::Document>> small = SendDocument(32, 1);
  ASSERT_TRUE(small.ok()) << small.status();
  absl::StatusOr<tl::Ptr<api::upload_File>> direct =
      GetFile(static_cast<const api::document&>(**small), true);
  ASSERT_TRUE(direct.ok()) << direct.status();
  EXPECT_NE(dynamic_cast<const api::upload_file*>(direct->get()), nullptr);
}

TEST_F(CdnTest, TheCdnAsksForAReuploadAndBadTokensAreRefused) {
  world_.files().cdn().set_reupload_first(true);
  const std::string data = RandomBytes(600 * kKiB, 22);
  SaveBigParts(41, data, kMaxPartSize);
  absl::StatusOr<tl::Ptr<api::Document>> sent = SendDocument(41, 2);
  ASSERT_TRUE(sent.ok()) << sent.status();
  absl::StatusOr<tl::Ptr<api::upload_File>> got =
      GetFile(static_cast<const api::document&>(**sent), true);
  ASSERT_TRUE(got.ok()) << got.status();
  const auto& redirect = static_cast<const api::upload_fileCdnRedirect&>(**got);

  absl::StatusOr<tl::Ptr<api::upload_CdnFile>> first = GetCdnFile(redirect.file_token, 0, 4096);
  ASSERT_TRUE(first.ok()) << first.status();
  const auto* needed = dynamic_cast<const api::upload_cdnFileReuploadNeeded*>(first->get());
  ASSERT_NE(needed, nullptr);

  api::upload_reuploadCdnFile reupload;
  reupload.file_token = redirect.file_token;
  reupload.request_token = "not the one";
  EXPECT_EQ(ErrorOf(Call(reupload, alice_)), "400 RSA_DECRYPT_FAILED");
  reupload.request_token = needed->request_token;
  absl::StatusOr<std::vector<tl::Ptr<api::FileHash>>> hashes = Call(reupload, alice_);
  ASSERT_TRUE(hashes.ok()) << hashes.status();
  EXPECT_EQ(hashes->size(), 5u);
  EXPECT_EQ(world_.files().cdn().reuploads, 1);

  absl::StatusOr<tl::Ptr<api::upload_CdnFile>> now = GetCdnFile(redirect.file_token, 0, 4096);
  ASSERT_TRUE(now.ok()) << now.status();
  std::string bytes = static_cast<const api::upload_cdnFile&>(**now).bytes;
  ASSERT_TRUE(
      mtproto::crypto::CdnCrypt(redirect.encryption_key, redirect.encryption_iv, 0, bytes).ok());
  EXPECT_EQ(bytes, data.substr(0, 4096));

  // The corruption fault flips a bit; Telegram's part rules hold; expired tokens are refused.
  world_.files().cdn().set_corrupt(true);
  absl::StatusOr<tl::Ptr<api::upload_CdnFile>> bad = GetCdnFile(redirect.file_token, 0, 4096);
  ASSERT_TRUE(bad.ok());
  std::string flipped = static_cast<const api::upload_cdnFile&>(**bad).bytes;
  ASSERT_TRUE(
      mtproto::crypto::CdnCrypt(redirect.encryption_key, redirect.encryption_iv, 0, flipped).ok());
  EXPECT_NE(flipped, data.substr(0, 4096));
  EXPECT_EQ(ErrorOf(GetCdnFile(redirect.file_token, 100, 4096)), "400 OFFSET_INVALID");
  EXPECT_EQ(ErrorOf(GetCdnFile(redirect.file_token, 1020 * kKiB, 8192)), "400 LIMIT_INVALID");
  world_.files().cdn().ExpireTokens();
  EXPECT_EQ(ErrorOf(GetCdnFile(redirect.file_token, 0, 4096)), "400 FILE_TOKEN_INVALID");
  EXPECT_EQ(ErrorOf(Call(reupload, alice_)), "400 FILE_TOKEN_INVALID");
}

}  // namespace
}  // namespace tgrpc::fakedc
