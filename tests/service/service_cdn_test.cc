// FileService.DownloadFile through a CDN redirect (core.telegram.org/cdn) against fakedc's CDN DC:
// tgrpcd asks upload.getFile with cdn_supported, follows upload.fileCdnRedirect to the CDN DC
// (its address from help.getConfig's cdn entry, its key made with help.getCdnConfig's RSA key, no
// sign-in there), decrypts the AES-256-CTR pieces and checks each against Telegram's SHA-256
// hashes (from the redirect, upload.reuploadCdnFile and upload.getCdnFileHashes), reuploads when
// the CDN asks, and fails with DATA_LOSS when the CDN serves corrupt bytes.
#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "tests/fakedc/seed.h"
#include "tests/service/service_fixture.h"
#include "tests/service/test_bytes.h"

namespace tgrpc::service_test {
namespace {

constexpr int64_t kKiB = 1024;
constexpr int64_t kMiB = 1024 * kKiB;
constexpr int kCdnDc = 203;

class CdnDownloadTest : public ServiceTest {
 protected:
  void ConfigureFakeDc(fakedc::FakeDcOptions& options) override {
    options.cdn_min_size = 1 * kMiB;
    options.cdn_dc = kCdnDc;
  }

  // Uploads `data` as alice and sends it to her Saved Messages; the message's name.
  std::string SendDocument(const std::string& name, const std::string& data) {
    const v1::UploadedFile file = UploadBytes("accounts/alice", name, data);
    v1::SendMediaRequest request;
    request.set_parent("accounts/alice/chats/me");
    *request.mutable_file() = file;
    request.set_kind(v1::SendMediaRequest::DOCUMENT);
    v1::Message sent;
    grpc::Status status = messages_->SendMedia(Context().get(), request, &sent);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return sent.name();
  }

  fakedc::CdnFiles Cdn() {
    fakedc::CdnFiles out;
    dc_->Run([&](fakedc::World& world) { out = world.files().cdn(); });
    return out;
  }
};

TEST_F(CdnDownloadTest, DownloadsThroughTheCdnByteForByteAfterAReupload) {
  // The CDN does not have the file yet: its first getCdnFile asks for a reupload.
  dc_->Run([](fakedc::World& world) { world.files().cdn().set_reupload_first(true); });
  SignIn("alice", fakedc::kSeedAlicePhone);
  // 3 MiB and a bit: more than the redirect's 1 MiB of hashes, so getCdnFileHashes is needed.
  const std::string data = RandomBytes(3 * kMiB + 12345, 41);
  const std::string message = SendDocument("popular.bin", data);

  Downloaded down = Download(ByMessage(message));
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(down.data.size(), data.size());
  EXPECT_EQ(Sha256(down.data), Sha256(data));

  const fakedc::CdnFiles cdn = Cdn();
  EXPECT_GE(cdn.redirects, 1);
  EXPECT_GE(cdn.reupload_answers, 1);
  EXPECT_EQ(cdn.reuploads, 1);
  EXPECT_GE(cdn.file_hashes_calls, 1);
  // 26 pieces of 128 KiB, and those asked again after the reupload.
  EXPECT_GE(cdn.cdn_file_calls, 26);

  // The CDN DC's connection carries no account (no authorization is imported there).
  bool cdn_connection = false;
  for (const fakedc::ConnectionInfo& connection : dc_->Connections()) {
    if (connection.dc_id != kCdnDc) continue;
    cdn_connection = true;
    EXPECT_EQ(connection.user_id, 0);
  }
  EXPECT_TRUE(cdn_connection);

  // A range through the CDN: offset and limit as for any download, across pieces and blocks.
  Downloaded range = Download(ByMessage(message, 700 * kKiB + 3, kMiB));
  ASSERT_TRUE(range.status.ok()) << range.status.error_message();
  EXPECT_EQ(Sha256(range.data), Sha256(data.substr(700 * kKiB + 3, kMiB)));
  // A small file is served by its DC as before.
  const std::string small = RandomBytes(300 * kKiB, 42);
  Downloaded direct = Download(ByMessage(SendDocument("small.bin", small)));
  ASSERT_TRUE(direct.status.ok()) << direct.status.error_message();
  EXPECT_EQ(Sha256(direct.data), Sha256(small));
}

TEST_F(CdnDownloadTest, CorruptCdnBytesFailTheDownloadWithDataLoss) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  const std::string data = RandomBytes(2 * kMiB, 43);
  const std::string message = SendDocument("tampered.bin", data);
  dc_->Run([](fakedc::World& world) { world.files().cdn().set_corrupt(true); });

  Downloaded down = Download(ByMessage(message));
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::DATA_LOSS) << down.status.error_message();
  EXPECT_EQ(Reason(down.status), "CDN_FILE_HASH_MISMATCH") << down.status.error_message();
  EXPECT_NE(down.status.error_message().find("SHA-256"), std::string::npos)
      << down.status.error_message();
  // Not a byte of the corrupt piece reached the caller.
  EXPECT_TRUE(down.data.empty()) << down.data.size();
}

TEST_F(CdnDownloadTest, AnExpiredCdnTokenFallsBackToTheFilesDc) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  const std::string data = RandomBytes(2 * kMiB + 777, 44);
  const std::string message = SendDocument("expiring.bin", data);
  // The token expires before the CDN serves anything: FILE_TOKEN_INVALID.
  dc_->Run([](fakedc::World& world) {
    world.files().cdn().before_get_cdn_file = [&world](int64_t) {
      world.files().cdn().ExpireTokens();
    };
  });
  int64_t get_file_calls = 0;
  dc_->Run([&](fakedc::World& world) { get_file_calls = world.files().get_file_calls(); });

  Downloaded down = Download(ByMessage(message));
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(Sha256(down.data), Sha256(data));
  const fakedc::CdnFiles cdn = Cdn();
  EXPECT_GE(cdn.redirects, 1);
  EXPECT_GE(cdn.cdn_file_calls, 1);
  // The blocks came from the files DC after all (5 blocks, besides the redirected asks).
  int64_t now = 0;
  dc_->Run([&](fakedc::World& world) {
    now = world.files().get_file_calls();
    world.files().cdn().before_get_cdn_file = nullptr;
  });
  EXPECT_GE(now - get_file_calls, 5 + cdn.redirects);
}

}  // namespace
}  // namespace tgrpc::service_test
