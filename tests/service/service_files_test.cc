// FileService and MessageService.SendMedia end to end against fakedc: random files of 3 MiB
// (upload.saveFilePart with the MD5) and 25 MiB (upload.saveBigFilePart) uploaded, sent and
// downloaded back byte for byte (SHA-256), ranges, a download from another DC than the account's
// home, request_id retries, bad input naming the field, another tenant's NOT_FOUND, and a
// cancelled upload that sends no part after the cancel.
#include <openssl/evp.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakedc/seed.h"
#include "tests/service/service_fixture.h"
#include "tests/service/test_bytes.h"

namespace tgrpc::service_test {
namespace {

constexpr int64_t kMiB = 1024 * 1024;

std::string Digest(const EVP_MD* md, absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, md, nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), length));
}

// The parts saved in fakedc's upload part directories (parts-<user>-<file id>), by directory: the
// records of each one's log of part sizes (8 bytes a part saved; tests/fakedc/uploads.cc).
std::map<std::string, int> PartsSaved() {
  std::map<std::string, int> out;
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(getenv("TEST_TMPDIR"), error);
       it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (error) break;
    const std::filesystem::path dir = it->path().parent_path();
    if (it->is_regular_file() && it->path().filename() == "sizes" &&
        dir.filename().string().rfind("parts-", 0) == 0) {
      out[dir.string()] = static_cast<int>(it->file_size(error) / 8);
    }
  }
  return out;
}

class FilesTest : public ServiceTest {
 protected:
  struct Uploaded {
    grpc::Status status;
    v1::UploadedFile file;
  };
  Uploaded Upload(const std::string& account, const std::string& name, absl::string_view data,
                  size_t chunk = 256 * 1024, int64_t declared_size = -1,
                  const std::string& request_id = "", const char* token = kTokenA) {
    Uploaded out;
    std::unique_ptr<grpc::ClientContext> context = Context(token, 60);
    std::unique_ptr<grpc::ClientWriter<v1::UploadFileRequest>> writer =
        files_->UploadFile(context.get(), &out.file);
    v1::UploadFileRequest header;
    header.mutable_header()->set_account("accounts/" + account);
    header.mutable_header()->set_file_name(name);
    header.mutable_header()->set_size(declared_size >= 0 ? declared_size
                                                         : static_cast<int64_t>(data.size()));
    header.mutable_header()->set_request_id(request_id);
    bool open = writer->Write(header);
    for (size_t at = 0; open && at < data.size(); at += chunk) {
      v1::UploadFileRequest next;
      next.set_chunk(std::string(data.substr(at, chunk)));
      open = writer->Write(next);
    }
    writer->WritesDone();
    out.status = writer->Finish();
    return out;
  }

  v1::Message SendMedia(v1::SendMediaRequest request, grpc::Status* status = nullptr,
                        const char* token = kTokenA) {
    v1::Message sent;
    grpc::Status result = messages_->SendMedia(Context(token).get(), request, &sent);
    if (status != nullptr) {
      *status = result;
    } else {
      EXPECT_TRUE(result.ok()) << result.error_message();
    }
    return sent;
  }
  static v1::SendMediaRequest Media(const std::string& parent, const v1::UploadedFile& file) {
    v1::SendMediaRequest request;
    request.set_parent(parent);
    *request.mutable_file() = file;
    return request;
  }
};

TEST_F(FilesTest, UploadsSendsAndDownloadsByteForByte) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);

  // 3 MiB in chunks that do not line up with the parts: upload.saveFilePart with the MD5.
  const std::string small = RandomBytes(3 * kMiB, 1);
  Uploaded up = Upload("alice", "small.bin", small, 100'000);
  ASSERT_TRUE(up.status.ok()) << up.status.error_message();
  EXPECT_EQ(up.file.account(), "accounts/alice");
  EXPECT_EQ(up.file.parts(), 6);
  EXPECT_EQ(up.file.size(), 3 * kMiB);
  EXPECT_EQ(up.file.file_name(), "small.bin");
  EXPECT_FALSE(up.file.big());
  EXPECT_EQ(up.file.md5_checksum(), Digest(EVP_md5(), small));
  EXPECT_TRUE(up.file.has_elapsed());

  v1::SendMediaRequest send = Media("accounts/alice/chats/me", up.file);
  send.set_caption("**three** MiB");
  send.set_parse_mode(v1::SendMessageRequest::MARKDOWN);
  send.set_mime_type("application/x-test");
  v1::Message sent = SendMedia(send);
  EXPECT_EQ(sent.text(), "three MiB");
  ASSERT_EQ(sent.entities_size(), 1);
  EXPECT_EQ(sent.entities(0).type(), "bold");
  EXPECT_EQ(sent.media().type(), "document");
  EXPECT_EQ(sent.media().size(), 3 * kMiB);
  EXPECT_EQ(sent.media().file_name(), "small.bin");
  EXPECT_EQ(sent.media().mime_type(), "application/x-test");

  Downloaded down = Download(ByMessage(sent.name()));
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(Sha256(down.data), Sha256(small));
  ASSERT_FALSE(down.responses.empty());
  EXPECT_EQ(down.responses[0].file().type(), "document");
  EXPECT_EQ(down.responses[0].file().file_name(), "small.bin");
  EXPECT_EQ(down.responses[0].file().size(), 3 * kMiB);
  EXPECT_EQ(down.responses.back().total_size(), 3 * kMiB);
  EXPECT_EQ(down.responses.size(), 6u);  // one per 512 KiB block

  // 25 MiB in 1 MiB chunks: upload.saveBigFilePart, no MD5; sent to Bob with a request_id.
  const std::string big = RandomBytes(25 * kMiB, 2);
  up = Upload("alice", "big.bin", big, 1024 * 1024);
  ASSERT_TRUE(up.status.ok()) << up.status.error_message();
  EXPECT_EQ(up.file.parts(), 50);
  EXPECT_TRUE(up.file.big());
  EXPECT_EQ(up.file.md5_checksum(), "");
  send = Media("accounts/alice/chats/bob_example", up.file);
  send.mutable_video()->set_duration(12.5);
  send.mutable_video()->set_width(640);
  send.mutable_video()->set_height(360);
  send.set_request_id("big-file-1");
  sent = SendMedia(send);
  EXPECT_EQ(sent.media().size(), 25 * kMiB);
  v1::Message again = SendMedia(send);  // the same request_id: the same message
  EXPECT_EQ(again.id(), sent.id());

  down = Download(ByMessage(sent.name()));
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(down.data.size(), big.size());
  EXPECT_EQ(Sha256(down.data), Sha256(big));

  // Ranges: unaligned, the tail, past the end of the range's last block, and by the document's
  // ids instead of the message.
  down = Download(ByMessage(sent.name(), 1'000'000, 3'000'000));
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_TRUE(down.data == big.substr(1'000'000, 3'000'000));
  EXPECT_EQ(down.responses[0].offset(), 1'000'000);
  down = Download(ByMessage(sent.name(), 25 * kMiB - 100));
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_TRUE(down.data == big.substr(25 * kMiB - 100));
  down = Download(ByMessage(sent.name(), 25 * kMiB));  // at the end: nothing, but the file
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(down.data, "");
  ASSERT_EQ(down.responses.size(), 1u);
  EXPECT_EQ(down.responses[0].file().size(), 25 * kMiB);

  v1::DownloadFileRequest by_id;
  v1::FileLocation* location = by_id.mutable_location();
  location->set_account("accounts/alice");
  location->set_id(sent.media().id());
  location->set_access_hash(sent.media().access_hash());
  location->set_file_reference(sent.media().file_reference());
  location->set_dc_id(sent.media().dc_id());
  by_id.set_offset(7 * 512 * 1024 + 1);
  by_id.set_limit(2 * kMiB);
  down = Download(by_id);  // no size given: read until the range ends
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_TRUE(down.data == big.substr(7 * 512 * 1024 + 1, 2 * kMiB));
  EXPECT_EQ(down.responses[0].total_size(), 0);
  location->set_size(25 * kMiB);
  by_id.set_offset(24 * kMiB);
  by_id.set_limit(0);
  down = Download(by_id);
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_TRUE(down.data == big.substr(24 * kMiB));
  EXPECT_EQ(down.responses.back().total_size(), 25 * kMiB);

  // An upload retried with its request_id answers the first upload's file.
  const std::string tiny = RandomBytes(1000, 3);
  Uploaded first = Upload("alice", "tiny.bin", tiny, 256 * 1024, -1, "tiny-1");
  Uploaded retry = Upload("alice", "tiny.bin", tiny, 256 * 1024, -1, "tiny-1");
  ASSERT_TRUE(first.status.ok() && retry.status.ok()) << retry.status.error_message();
  EXPECT_EQ(retry.file.file_id(), first.file.file_id());
  EXPECT_EQ(first.file.parts(), 1);
}

// Dave's home is DC 1: his document is kept there, and Alice (home DC 2) downloads it from DC 1
// (the Invoker exports her authorization from DC 2 and imports it on DC 1 first).
TEST_F(FilesTest, DownloadsFromTheDcThatHoldsTheFile) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("dave", fakedc::kSeedDavePhone);
  const std::string data = RandomBytes(1536 * 1024 + 7, 4);
  Uploaded up = Upload("dave", "from-dc1.bin", data);
  ASSERT_TRUE(up.status.ok()) << up.status.error_message();
  v1::Message sent = SendMedia(Media("accounts/dave/chats/alice_example", up.file));
  EXPECT_EQ(sent.media().dc_id(), 1);

  v1::ListChatsRequest list;
  list.set_account("accounts/alice");
  v1::ListChatsResponse chats;
  ASSERT_TRUE(chats_->ListChats(Context().get(), list, &chats).ok());
  std::string name;
  for (const v1::Dialog& dialog : chats.dialogs()) {
    if (dialog.chat().id() == sent.sender_id()) {
      name = absl::StrCat("accounts/alice/chats/", dialog.chat().id(), "/messages/",
                          dialog.top_message_id());
    }
  }
  ASSERT_FALSE(name.empty()) << "Alice has no chat with Dave";
  Downloaded down = Download(ByMessage(name));
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(down.responses[0].file().dc_id(), 1);
  EXPECT_EQ(Sha256(down.data), Sha256(data));
}

TEST_F(FilesTest, BadInputNamesTheFieldAndOtherTenantsSeeNothing) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  const std::string data = RandomBytes(1000, 5);

  // Uploads.
  {
    v1::UploadedFile file;
    std::unique_ptr<grpc::ClientContext> context = Context();
    auto writer = files_->UploadFile(context.get(), &file);
    v1::UploadFileRequest chunk;
    chunk.set_chunk("no header");
    writer->Write(chunk);
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(BadField(status), "header");
  }
  Uploaded bad = Upload("alice", "x.bin", "", 1, 0);
  EXPECT_EQ(bad.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(bad.status), "header.size");
  bad = Upload("alice", "x.bin", "", 1, 4001 * kMiB);
  EXPECT_EQ(bad.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(bad.status), "header.size");
  EXPECT_EQ(Reason(bad.status), "FILE_TOO_BIG");
  bad = Upload("alice", "x.bin", "", 1, 2100 * kMiB);  // fakedc's accounts have no Premium
  EXPECT_EQ(bad.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(bad.status), "header.size");
  EXPECT_EQ(Reason(bad.status), "PREMIUM_ACCOUNT_REQUIRED");
  bad = Upload("alice", "x.bin", data, 256, 2000);  // the stream ends short
  EXPECT_EQ(BadField(bad.status), "header.size") << bad.status.error_message();
  bad = Upload("alice", "x.bin", data, 256, 500);  // more bytes than declared
  EXPECT_EQ(BadField(bad.status), "chunk");
  bad = Upload("alice", "", data);
  EXPECT_EQ(BadField(bad.status), "header.file_name");
  bad = Upload("nobody", "x.bin", data);
  EXPECT_EQ(bad.status.error_code(), grpc::StatusCode::NOT_FOUND);
  bad = Upload("alice", "x.bin", data, 256, -1, "", kTokenB);
  EXPECT_EQ(bad.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reason(bad.status), "ACCOUNT_NOT_FOUND");

  Uploaded up = Upload("alice", "ok.bin", data);
  ASSERT_TRUE(up.status.ok()) << up.status.error_message();

  // SendMedia.
  grpc::Status status;
  v1::SendMediaRequest send = Media("accounts/alice/chats/me", up.file);
  send.clear_file();
  SendMedia(send, &status);
  EXPECT_EQ(BadField(status), "file");
  send = Media("accounts/alice/chats/me", up.file);
  send.mutable_file()->set_account("accounts/bob");
  SendMedia(send, &status);
  EXPECT_EQ(BadField(status), "file.account");
  send = Media("accounts/alice/chats/me", up.file);
  send.mutable_file()->set_parts(3);
  SendMedia(send, &status);
  EXPECT_EQ(BadField(status), "file.parts");
  send = Media("accounts/alice/chats/me", up.file);
  send.mutable_video()->set_duration(1);
  send.mutable_audio()->set_duration(1);
  SendMedia(send, &status);
  EXPECT_EQ(BadField(status), "audio");
  send = Media("accounts/alice/chats/me", up.file);
  send.set_caption("**unclosed");
  send.set_parse_mode(v1::SendMessageRequest::MARKDOWN);
  SendMedia(send, &status);
  EXPECT_EQ(BadField(status), "caption");
  SendMedia(Media("accounts/alice/chats/me", up.file), &status, kTokenB);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  const v1::Message sent = SendMedia(Media("accounts/alice/chats/me", up.file));

  // Downloads.
  Downloaded down = Download(v1::DownloadFileRequest());
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(down.status), "message");
  down = Download(ByMessage("accounts/alice/chats/me"));
  EXPECT_EQ(BadField(down.status), "message");
  down = Download(ByMessage(sent.name(), -1));
  EXPECT_EQ(BadField(down.status), "offset");
  down = Download(ByMessage(sent.name(), 0, -5));
  EXPECT_EQ(BadField(down.status), "limit");
  down = Download(ByMessage(sent.name(), 1001));
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(BadField(down.status), "offset");
  v1::SendMessageRequest text;
  text.set_parent("accounts/alice/chats/me");
  text.set_text("no file here");
  v1::Message plain;
  ASSERT_TRUE(messages_->SendMessage(Context().get(), text, &plain).ok());
  down = Download(ByMessage(plain.name()));
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(down.status), "message");
  down = Download(ByMessage("accounts/alice/chats/me/messages/999999"));
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::NOT_FOUND);
  // The message exists, but in another chat than the name says.
  down = Download(ByMessage(absl::StrCat("accounts/alice/chats/bob_example/messages/", sent.id())));
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::NOT_FOUND);
  down = Download(ByMessage(sent.name()), kTokenB);
  EXPECT_EQ(down.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reason(down.status), "ACCOUNT_NOT_FOUND");
  v1::DownloadFileRequest by_id;
  by_id.mutable_location()->set_account("accounts/alice");
  by_id.mutable_location()->set_dc_id(2);
  down = Download(by_id);
  EXPECT_EQ(BadField(down.status), "location.id");
  // The file itself is fine.
  down = Download(ByMessage(sent.name()));
  ASSERT_TRUE(down.status.ok()) << down.status.error_message();
  EXPECT_EQ(down.data, data);
}

// Telegram answers slowly (each frame held back 1.5 s), so parts wait in flight and the caller's
// writes are held back; a cancel ends the call at once and no part goes after it.
TEST_F(FilesTest, ACancelledUploadSendsNoMoreParts) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  fakedc::FaultOptions slow;
  slow.delay_ms = 1500;
  dc_->SetFaults(slow);
  const std::map<std::string, int> before = PartsSaved();
  const std::string data = RandomBytes(40 * kMiB, 6);

  v1::UploadedFile file;
  std::unique_ptr<grpc::ClientContext> context = Context(kTokenA, 60);
  auto writer = files_->UploadFile(context.get(), &file);
  std::atomic<int64_t> written{0};
  std::thread client([&] {
    v1::UploadFileRequest header;
    header.mutable_header()->set_account("accounts/alice");
    header.mutable_header()->set_file_name("cancelled.bin");
    header.mutable_header()->set_size(static_cast<int64_t>(data.size()));
    if (!writer->Write(header)) return;
    for (size_t at = 0; at < data.size(); at += 256 * 1024) {
      v1::UploadFileRequest chunk;
      chunk.set_chunk(data.substr(at, 256 * 1024));
      if (!writer->Write(chunk)) return;
      written += static_cast<int64_t>(chunk.chunk().size());
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  context->TryCancel();
  client.join();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_LT(written.load(), static_cast<int64_t>(data.size())) << "the writes were not held back";

  // The parts that reached fakedc by now, and again later: none after the cancel.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto new_parts = [&before] {
    int count = 0;
    for (const auto& [dir, parts] : PartsSaved()) {
      if (before.count(dir) == 0) count += parts;
    }
    return count;
  };
  const int at_cancel = new_parts();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  const int later = new_parts();
  EXPECT_EQ(later, at_cancel);
  EXPECT_GT(at_cancel, 0);
  EXPECT_LT(at_cancel, 80);
  std::cout << "cancelled upload: " << written.load() << " bytes written by the caller, "
            << at_cancel << " of 80 parts saved, none after the cancel\n";
  dc_->SetFaults({});
}

}  // namespace
}  // namespace tgrpc::service_test
