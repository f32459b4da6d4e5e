#include "service/storage/key_cipher.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tgrpc::service {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string TestDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

// A path no other test in this binary uses.
std::string FreshPath(const std::string& name) {
  const std::string path = absl::StrCat(TestDir(), "/key_cipher_test_", name);
  std::filesystem::remove_all(path);
  return path;
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  ASSERT_TRUE(out.good());
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

KeyCipher CipherWithKeyByte(char byte) {
  absl::StatusOr<KeyCipher> cipher = KeyCipher::FromKey(std::string(KeyCipher::kKeySize, byte));
  EXPECT_TRUE(cipher.ok()) << cipher.status();
  return *std::move(cipher);
}

std::string Bytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  return bytes;
}

TEST(KeyCipherTest, RoundTripsAnySize) {
  const KeyCipher cipher = CipherWithKeyByte(7);
  for (size_t size : {0, 1, 15, 16, 17, 256, 4096, 1 << 20}) {
    const std::string plaintext = Bytes(size, static_cast<uint32_t>(size));
    const std::string sealed = cipher.Seal(plaintext, "aad");
    ASSERT_EQ(sealed.size(), plaintext.size() + KeyCipher::kOverhead);
    EXPECT_EQ(static_cast<uint8_t>(sealed[0]), KeyCipher::kVersion);
    absl::StatusOr<std::string> opened = cipher.Open(sealed, "aad");
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(*opened, plaintext) << size;
  }
}

TEST(KeyCipherTest, FreshNonceEachSeal) {
  const KeyCipher cipher = CipherWithKeyByte(7);
  const std::string plaintext(256, 'k');
  const std::string first = cipher.Seal(plaintext, "aad");
  const std::string second = cipher.Seal(plaintext, "aad");
  EXPECT_NE(first.substr(1, KeyCipher::kNonceSize), second.substr(1, KeyCipher::kNonceSize));
  EXPECT_NE(first, second);
  // And the plaintext does not show through.
  EXPECT_EQ(first.find("kkkkkkkk"), std::string::npos);
}

TEST(KeyCipherTest, WrongKeyIsDataLoss) {
  const std::string sealed = CipherWithKeyByte(1).Seal("secret", "aad");
  absl::StatusOr<std::string> opened = CipherWithKeyByte(2).Open(sealed, "aad");
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(opened.status().message(), HasSubstr("does not authenticate"));
}

TEST(KeyCipherTest, WrongAadIsDataLoss) {
  const KeyCipher cipher = CipherWithKeyByte(1);
  const std::string sealed = cipher.Seal("secret", "authkey:alice:2");
  EXPECT_TRUE(cipher.Open(sealed, "authkey:alice:2").ok());
  for (const char* aad : {"authkey:alice:3", "authkey:bob:2", "", "authkey:alice:2 "}) {
    EXPECT_EQ(cipher.Open(sealed, aad).status().code(), absl::StatusCode::kDataLoss) << aad;
  }
}

TEST(KeyCipherTest, EveryTruncationIsDataLoss) {
  const KeyCipher cipher = CipherWithKeyByte(3);
  const std::string sealed = cipher.Seal(Bytes(64, 1), "aad");
  for (size_t size = 0; size < sealed.size(); ++size) {
    absl::StatusOr<std::string> opened = cipher.Open(sealed.substr(0, size), "aad");
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss) << size;
  }
  absl::StatusOr<std::string> empty = cipher.Open("", "aad");
  EXPECT_THAT(empty.status().message(), HasSubstr("truncated"));
}

TEST(KeyCipherTest, EveryBitFlipIsDataLoss) {
  const KeyCipher cipher = CipherWithKeyByte(4);
  const std::string sealed = cipher.Seal(Bytes(40, 2), "aad");
  int flips = 0;
  for (size_t byte = 0; byte < sealed.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = sealed;
      damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
      EXPECT_EQ(cipher.Open(damaged, "aad").status().code(), absl::StatusCode::kDataLoss)
          << "byte " << byte << " bit " << bit;
      ++flips;
    }
  }
  EXPECT_EQ(flips, 8 * (40 + KeyCipher::kOverhead));
}

TEST(KeyCipherTest, UnknownVersionNamed) {
  const KeyCipher cipher = CipherWithKeyByte(5);
  std::string sealed = cipher.Seal("secret", "aad");
  sealed[0] = 9;
  absl::StatusOr<std::string> opened = cipher.Open(sealed, "aad");
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(opened.status().message(), HasSubstr("version 9"));
}

TEST(KeyCipherTest, RandomInputsNeverOpen) {
  const KeyCipher cipher = CipherWithKeyByte(6);
  std::mt19937 rng(20240601);
  for (int i = 0; i < 2000; ++i) {
    std::string input = Bytes(rng() % 100, static_cast<uint32_t>(rng()));
    if (!input.empty() && rng() % 2 == 0) input[0] = static_cast<char>(KeyCipher::kVersion);
    EXPECT_EQ(cipher.Open(input, "aad").status().code(), absl::StatusCode::kDataLoss);
  }
}

TEST(KeyCipherTest, FromKeyRefusesWrongSize) {
  for (size_t size : {0, 16, 31, 33, 64}) {
    absl::StatusOr<KeyCipher> cipher = KeyCipher::FromKey(std::string(size, 'k'));
    EXPECT_EQ(cipher.status().code(), absl::StatusCode::kInvalidArgument) << size;
  }
}

TEST(KeyCipherTest, CreatesKeyFilePrivatelyAndReloadsIt) {
  const std::string path = FreshPath("created");
  bool created = false;
  absl::StatusOr<KeyCipher> first = KeyCipher::LoadOrCreate(path, &created);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(created);

  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  const std::string contents = ReadFile(path);
  EXPECT_EQ(contents.size(), 2 * KeyCipher::kKeySize + 1);
  EXPECT_EQ(contents.back(), '\n');

  absl::StatusOr<KeyCipher> second = KeyCipher::LoadOrCreate(path, &created);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(created);
  const std::string sealed = first->Seal("secret", "aad");
  absl::StatusOr<std::string> opened = second->Open(sealed, "aad");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, "secret");

  // No temporary file is left beside it.
  for (const auto& entry : std::filesystem::directory_iterator(TestDir())) {
    EXPECT_THAT(entry.path().filename().string(), Not(HasSubstr("created.tmp")));
  }
  EXPECT_EQ(ReadFile(path), contents);

  // A null `created` is allowed.
  EXPECT_TRUE(KeyCipher::LoadOrCreate(path, nullptr).ok());
}

TEST(KeyCipherTest, LoadsRawAndHexKeys) {
  const std::string key = Bytes(KeyCipher::kKeySize, 9);
  const std::string sealed = KeyCipher::FromKey(key)->Seal("secret", "aad");
  std::string hex;
  for (unsigned char c : key) hex += absl::StrCat(absl::Hex(c, absl::kZeroPad2));
  std::string upper_hex = hex;
  for (char& c : upper_hex) c = static_cast<char>(toupper(c));

  const std::string path = FreshPath("formats");
  for (const std::string& contents : {key, hex, hex + "\n", hex + "\r\n", upper_hex + "\n"}) {
    WriteFile(path, contents);
    bool created = true;
    absl::StatusOr<KeyCipher> cipher = KeyCipher::LoadOrCreate(path, &created);
    ASSERT_TRUE(cipher.ok()) << cipher.status();
    EXPECT_FALSE(created);
    absl::StatusOr<std::string> opened = cipher->Open(sealed, "aad");
    ASSERT_TRUE(opened.ok()) << contents.size() << ": " << opened.status();
    EXPECT_EQ(*opened, "secret");
  }
}

TEST(KeyCipherTest, RefusesBadKeyFiles) {
  const std::string hex(64, 'a');
  struct Case {
    std::string contents;
    std::string message;
  };
  const Case cases[] = {
      {"", "found 0 bytes"},
      {std::string(31, 'k'), "found 31 bytes"},
      {std::string(33, 'k'), "found 33 bytes"},
      {hex.substr(1), "found 63 bytes"},
      {hex + "a", "found 65 bytes"},
      {hex + "\n\n", "found 66 bytes"},
      {"g" + hex.substr(1), "byte 0 is not a hex digit"},
      {hex.substr(1) + "x\n", "byte 63 is not a hex digit"},
      {std::string(5000, 'a'), "larger than 4096 bytes"},
  };
  const std::string path = FreshPath("bad");
  for (const Case& c : cases) {
    WriteFile(path, c.contents);
    bool created = true;
    absl::StatusOr<KeyCipher> cipher = KeyCipher::LoadOrCreate(path, &created);
    EXPECT_EQ(cipher.status().code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(cipher.status().message(), HasSubstr(c.message));
    EXPECT_THAT(cipher.status().message(), HasSubstr(path));
    EXPECT_FALSE(created);
    // A bad file is never replaced by a new key.
    EXPECT_EQ(ReadFile(path), c.contents);
  }
}

TEST(KeyCipherTest, UnreadableOrUncreatableKeyFileIsAnError) {
  // A directory where the file should be.
  const std::string dir_path = FreshPath("is_a_directory");
  ASSERT_EQ(mkdir(dir_path.c_str(), 0700), 0);
  absl::StatusOr<KeyCipher> from_dir = KeyCipher::LoadOrCreate(dir_path, nullptr);
  EXPECT_FALSE(from_dir.ok());
  EXPECT_THAT(from_dir.status().message(), HasSubstr(dir_path));

  // A directory that does not exist is not created.
  const std::string missing_dir = FreshPath("no_such_dir") + "/key";
  bool created = true;
  absl::StatusOr<KeyCipher> in_missing = KeyCipher::LoadOrCreate(missing_dir, &created);
  EXPECT_FALSE(in_missing.ok());
  EXPECT_FALSE(created);
  EXPECT_THAT(in_missing.status().message(), HasSubstr(missing_dir));
}

}  // namespace
}  // namespace tgrpc::service
