#include "service/api/cdn_file.h"

#include <string>

#include "gtest/gtest.h"
#include "mtproto/crypto/sha.h"

namespace tgrpc::service {
namespace {

namespace api = tl::api;

std::string Sha256Of(const std::string& bytes) {
  const mtproto::crypto::Sha256Digest d = mtproto::crypto::Sha256(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

tl::Ptr<api::FileHash> HashOf(int64_t offset, const std::string& piece) {
  auto hash = std::make_unique<api::fileHash>();
  hash->offset = offset;
  hash->limit = static_cast<int32_t>(piece.size());
  hash->hash = Sha256Of(piece);
  return hash;
}

class CdnFileTest : public testing::Test {
 protected:
  void SetUp() override {
    for (size_t i = 0; i < plain_.size(); ++i) plain_[i] = static_cast<char>(i * 31 + i / 97);
    redirect_.dc_id = 203;
    redirect_.file_token = "token";
    redirect_.encryption_key = std::string(32, '\x42');
    redirect_.encryption_iv = "fedcba9876543210";
    redirect_.file_hashes.push_back(HashOf(0, plain_.substr(0, CdnFile::kPieceSize)));
  }

  // The CDN's bytes for the piece at `offset`.
  std::string Encrypted(int64_t offset) {
    std::string piece = plain_.substr(offset, CdnFile::kPieceSize);
    EXPECT_TRUE(
        mtproto::crypto::CdnCrypt(redirect_.encryption_key, redirect_.encryption_iv, offset, piece)
            .ok());
    return piece;
  }

  std::string plain_ = std::string(200 * 1024, '\0');
  api::upload_fileCdnRedirect redirect_;
};

TEST_F(CdnFileTest, PiecesDecryptAndMatchTheirHashes) {
  absl::StatusOr<CdnFile> file = CdnFile::FromRedirect(redirect_);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->dc(), 203);
  std::string first = Encrypted(0);
  ASSERT_TRUE(file->DecryptAndVerify(0, first).ok());
  EXPECT_EQ(first, plain_.substr(0, CdnFile::kPieceSize));

  // The short last piece needs its hash first (upload.getCdnFileHashes).
  const int64_t second_at = CdnFile::kPieceSize;
  EXPECT_FALSE(file->HasHash(second_at));
  std::vector<tl::Ptr<api::FileHash>> more;
  more.push_back(HashOf(second_at, plain_.substr(second_at)));
  ASSERT_TRUE(file->AddHashes(more).ok());
  std::string second = Encrypted(second_at);
  ASSERT_TRUE(file->DecryptAndVerify(second_at, second).ok());
  EXPECT_EQ(second, plain_.substr(second_at));
}

TEST_F(CdnFileTest, ACorruptPieceIsDataLoss) {
  absl::StatusOr<CdnFile> file = CdnFile::FromRedirect(redirect_);
  ASSERT_TRUE(file.ok());
  std::string piece = Encrypted(0);
  piece[1000] ^= 0x10;
  absl::Status status = file->DecryptAndVerify(0, piece);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("CDN"), absl::string_view::npos) << status;
  std::string truncated = Encrypted(0).substr(0, 4096);
  EXPECT_EQ(file->DecryptAndVerify(0, truncated).code(), absl::StatusCode::kDataLoss);
}

TEST_F(CdnFileTest, MalformedRedirectsAndHashesAreDataLoss) {
  redirect_.encryption_iv = "short";
  EXPECT_EQ(CdnFile::FromRedirect(redirect_).status().code(), absl::StatusCode::kDataLoss);
  redirect_.encryption_iv = std::string(16, 'i');
  redirect_.encryption_key = std::string(16, 'k');
  EXPECT_EQ(CdnFile::FromRedirect(redirect_).status().code(), absl::StatusCode::kDataLoss);
  redirect_.encryption_key = std::string(32, 'k');
  auto bad = std::make_unique<api::fileHash>();
  bad->offset = 100;  // not a piece's start
  bad->limit = 10;
  bad->hash = std::string(32, 'h');
  redirect_.file_hashes.push_back(std::move(bad));
  EXPECT_EQ(CdnFile::FromRedirect(redirect_).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace tgrpc::service
