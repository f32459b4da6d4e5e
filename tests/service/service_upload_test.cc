// FileService.UploadFile end to end against fakedc, on what issue 11 added to uploads: parts
// spread over as many sessions as the account's max_sessions allows (fakedc tells which MTProto
// session saved each part), an upload broken midway and retried with its request_id that does not
// send the confirmed parts again (fakedc counts every part saved) and downloads byte for byte,
// and the Telegram Premium limits (2000 MiB without Premium, 4000 MiB with it).
#include <openssl/evp.h>

#include <atomic>
#include <chrono>
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
constexpr int64_t kPart = 512 * 1024;

class UploadTest : public ServiceTest {
 protected:
  // As ServiceTest::SignIn, with the account's max_sessions.
  void SignInWithSessions(const std::string& id, const std::string& phone, int max_sessions) {
    v1::CreateAccountRequest create;
    create.set_account_id(id);
    create.mutable_account()->set_phone_number("+" + phone);
    create.mutable_account()->set_max_sessions(max_sessions);
    v1::Account account;
    grpc::Status status = accounts_->CreateAccount(Context().get(), create, &account);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(account.max_sessions(), max_sessions);
    v1::StartLoginRequest start;
    start.set_name("accounts/" + id);
    v1::LoginState state;
    status = accounts_->StartLogin(Context().get(), start, &state);
    ASSERT_TRUE(status.ok()) << status.error_message();
    v1::SubmitCodeRequest code;
    code.set_name("accounts/" + id);
    code.set_code(LastCode(phone));
    status = accounts_->SubmitCode(Context().get(), code, &state);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(state.step(), v1::LoginState::SIGNED_IN);
  }

  // One UploadFile call writing from its own thread, so that the test can cancel it midway.
  class Call {
   public:
    Call(v1::FileService::Stub* files, std::unique_ptr<grpc::ClientContext> context,
         v1::UploadFileRequest::Header header, std::string data, int64_t chunk = 256 * 1024)
        : context_(std::move(context)), data_(std::move(data)) {
      writer_ = files->UploadFile(context_.get(), &file_);
      thread_ = std::thread([this, header = std::move(header), chunk] {
        v1::UploadFileRequest first;
        *first.mutable_header() = header;
        if (!writer_->Write(first)) return;
        for (size_t at = 0; at < data_.size(); at += static_cast<size_t>(chunk)) {
          v1::UploadFileRequest next;
          next.set_chunk(data_.substr(at, static_cast<size_t>(chunk)));
          if (!writer_->Write(next)) return;
          written_ += static_cast<int64_t>(next.chunk().size());
        }
        writer_->WritesDone();
      });
    }
    ~Call() { Finish(); }
    void Cancel() { context_->TryCancel(); }
    grpc::Status Finish() {
      if (thread_.joinable()) {
        thread_.join();
        status_ = writer_->Finish();
      }
      return status_;
    }
    const v1::UploadedFile& file() const { return file_; }
    int64_t written() const { return written_; }

   private:
    std::unique_ptr<grpc::ClientContext> context_;
    std::string data_;
    v1::UploadedFile file_;
    std::unique_ptr<grpc::ClientWriter<v1::UploadFileRequest>> writer_;
    std::thread thread_;
    std::atomic<int64_t> written_{0};
    grpc::Status status_;
  };

  static v1::UploadFileRequest::Header Header(const std::string& account, int64_t size,
                                              const std::string& request_id = "") {
    v1::UploadFileRequest::Header header;
    header.set_account("accounts/" + account);
    header.set_file_name("upload.bin");
    header.set_size(size);
    header.set_request_id(request_id);
    return header;
  }

  grpc::Status Upload(const v1::UploadFileRequest::Header& header, const std::string& data,
                      v1::UploadedFile* file) {
    Call call(files_.get(), Context(kTokenA, 60), header, data);
    grpc::Status status = call.Finish();
    *file = call.file();
    return status;
  }

  // fakedc's record of the parts saved, from `from` on (an index into it).
  std::vector<fakedc::World::PartSave> PartSaves(size_t from = 0) {
    std::vector<fakedc::World::PartSave> out;
    dc_->Run([&](fakedc::World& world) {
      const auto& saves = world.part_saves();
      for (size_t i = from; i < saves.size(); ++i) out.push_back(saves[i]);
    });
    return out;
  }
  size_t PartSaveCount() { return PartSaves().size(); }

  // Waits (at most 20 s) until fakedc has saved at least `count` parts since `from`.
  bool WaitForSaves(size_t from, size_t count) {
    for (int i = 0; i < 2000; ++i) {
      if (PartSaves(from).size() >= count) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  // Waits until no part has been saved for `quiet` (the answers in flight have come back).
  void WaitForQuiet(std::chrono::milliseconds quiet) {
    size_t last = PartSaveCount();
    for (int i = 0; i < 100; ++i) {
      std::this_thread::sleep_for(quiet);
      const size_t now = PartSaveCount();
      if (now == last) return;
      last = now;
    }
  }

  v1::Message SendToSelf(const std::string& account, const v1::UploadedFile& file) {
    v1::SendMediaRequest request;
    request.set_parent("accounts/" + account + "/chats/me");
    *request.mutable_file() = file;
    v1::Message sent;
    grpc::Status status = messages_->SendMedia(Context().get(), request, &sent);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return sent;
  }
  std::string Download(const std::string& message) {
    v1::DownloadFileRequest request;
    request.set_message(message);
    std::unique_ptr<grpc::ClientContext> context = Context(kTokenA, 60);
    auto reader = files_->DownloadFile(context.get(), request);
    std::string data;
    v1::DownloadFileResponse response;
    while (reader->Read(&response)) data += response.data();
    grpc::Status status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return data;
  }
};

// The parts of one upload ride as many sessions as the account's max_sessions (set with
// CreateAccount, kept in storage): 1 for Alice, 3 for Bob. fakedc answers each frame 100 ms late,
// so parts wait in flight and the invoker opens sessions for them.
TEST_F(UploadTest, PartsRideAsManySessionsAsTheAccountAllows) {
  SignInWithSessions("alice", fakedc::kSeedAlicePhone, 1);
  SignInWithSessions("bob", fakedc::kSeedBobPhone, 3);
  fakedc::FaultOptions slow;
  slow.delay_ms = 100;
  dc_->SetFaults(slow);
  const std::string data = RandomBytes(12 * kMiB, 11);
  std::map<std::string, size_t> sessions;
  for (const std::string account : {"alice", "bob"}) {
    v1::UploadedFile file;
    grpc::Status status = Upload(Header(account, 12 * kMiB), data, &file);
    ASSERT_TRUE(status.ok()) << account << ": " << status.error_message();
    ASSERT_EQ(file.parts(), 24);
    std::set<uint64_t> seen;
    std::set<int32_t> parts;
    for (const fakedc::World::PartSave& save : PartSaves()) {
      if (save.file_id != file.file_id()) continue;
      seen.insert(save.session_id);
      parts.insert(save.part);
      EXPECT_EQ(save.total_parts, 24);  // upload.saveBigFilePart
    }
    EXPECT_EQ(parts.size(), 24u);
    sessions[account] = seen.size();
  }
  dc_->SetFaults({});
  EXPECT_EQ(sessions["alice"], 1u);
  EXPECT_EQ(sessions["bob"], 3u);
}

// An upload named by a request_id breaks after some parts (the caller cancels); the retry with
// the same request_id sends the file again from its first byte, and tgrpcd sends Telegram only
// the parts it had not confirmed, plus one whose bytes the retry changed. Every other part is
// saved once in all, under the first call's file id, and the file downloads byte for byte.
TEST_F(UploadTest, ABrokenUploadResumesWithoutSendingConfirmedPartsAgain) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  const int64_t size = 20 * kMiB + 12345;  // 41 parts, saveBigFilePart
  std::string data = RandomBytes(size, 12);
  fakedc::FaultOptions slow;
  slow.delay_ms = 300;
  dc_->SetFaults(slow);
  const size_t before = PartSaveCount();
  {
    Call broken(files_.get(), Context(kTokenA, 60), Header("alice", size, "resume-1"), data);
    ASSERT_TRUE(WaitForSaves(before, 6));
    broken.Cancel();
    EXPECT_EQ(broken.Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // The parts in flight at the cancel land too; their answers come back 300 ms later.
  WaitForQuiet(std::chrono::milliseconds(800));
  dc_->SetFaults({});
  const std::vector<fakedc::World::PartSave> first = PartSaves(before);
  ASSERT_FALSE(first.empty());
  const int64_t file_id = first.front().file_id;
  std::set<int32_t> saved;
  for (const auto& save : first) {
    EXPECT_EQ(save.file_id, file_id);
    saved.insert(save.part);
  }
  ASSERT_GE(saved.size(), 6u);
  ASSERT_LT(saved.size(), 41u) << "the upload was not broken midway";

  // The request_id names an upload of `size` bytes: another size is refused, naming it.
  v1::UploadedFile file;
  grpc::Status status = Upload(Header("alice", size - 1, "resume-1"), data.substr(1), &file);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "header.request_id");

  // The retry: one confirmed part's bytes changed, so that one goes again.
  const int32_t changed = *saved.begin();
  data[static_cast<size_t>(changed * kPart)] ^= 0x5a;
  const size_t retry_from = PartSaveCount();
  status = Upload(Header("alice", size, "resume-1"), data, &file);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(file.file_id(), file_id);
  EXPECT_EQ(file.parts(), 41);
  EXPECT_EQ(file.resumed_parts(), static_cast<int32_t>(saved.size()) - 1);
  std::map<int32_t, int> sends;  // part -> times saved, both calls
  for (const auto& save : PartSaves(before)) {
    if (save.file_id == file_id) ++sends[save.part];
  }
  ASSERT_EQ(sends.size(), 41u);
  for (const auto& [part, times] : sends) {
    EXPECT_EQ(times, part == changed ? 2 : 1) << "part " << part;
  }
  std::cout << "resumed upload: " << saved.size() << " of 41 parts saved before the break, "
            << PartSaves(retry_from).size() << " sent by the retry\n";

  // The same request_id after the upload finished: the answer again, nothing sent.
  const size_t done_at = PartSaveCount();
  v1::UploadedFile again;
  ASSERT_TRUE(Upload(Header("alice", size, "resume-1"), data, &again).ok());
  EXPECT_EQ(again.file_id(), file_id);
  EXPECT_EQ(PartSaveCount(), done_at);

  const v1::Message sent = SendToSelf("alice", file);
  EXPECT_EQ(Sha256(Download(sent.name())), Sha256(data));
}

// A second call with the request_id of a call still running is ABORTED (it would race the first
// for the same parts); without a request_id nothing is remembered.
TEST_F(UploadTest, ARunningUploadsRequestIdIsNotTakenTwice) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  fakedc::FaultOptions slow;
  slow.delay_ms = 300;
  dc_->SetFaults(slow);
  const std::string data = RandomBytes(12 * kMiB, 13);
  const size_t before = PartSaveCount();
  Call running(files_.get(), Context(kTokenA, 60), Header("alice", 12 * kMiB, "twice"), data);
  ASSERT_TRUE(WaitForSaves(before, 1));
  v1::UploadedFile file;
  grpc::Status status = Upload(Header("alice", 12 * kMiB, "twice"), data, &file);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED) << status.error_message();
  dc_->SetFaults({});
  ASSERT_TRUE(running.Finish().ok());
  EXPECT_EQ(running.file().resumed_parts(), 0);
}

// Over 2000 MiB needs Telegram Premium (Telegram says so in user.premium), over 4000 MiB is too
// big for anyone. A premium account's 2000 MiB + 1 byte upload goes as 4001 parts: fakedc takes
// its first parts with file_total_parts 4001 (more than a non-premium account may have); the test
// sends 4 MiB of it and cancels.
TEST_F(UploadTest, PremiumAccountsUploadUpTo4000MiB) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  const int64_t over_2000 = 2000 * kMiB + 1;
  v1::UploadedFile file;
  grpc::Status status = Upload(Header("alice", over_2000), "", &file);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "header.size");
  EXPECT_EQ(Reason(status), "PREMIUM_ACCOUNT_REQUIRED");
  status = Upload(Header("alice", 4000 * kMiB + 1), "", &file);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "header.size");
  EXPECT_EQ(Reason(status), "FILE_TOO_BIG");

  dc_->Run(
      [](fakedc::World& world) { world.FindUserByPhone(fakedc::kSeedAlicePhone)->premium = true; });
  const size_t before = PartSaveCount();
  {
    Call premium(files_.get(), Context(kTokenA, 60), Header("alice", over_2000),
                 RandomBytes(4 * kMiB, 14));
    ASSERT_TRUE(WaitForSaves(before, 8)) << "no part of the premium upload was saved";
    premium.Cancel();
    premium.Finish();
  }
  for (const auto& save : PartSaves(before)) EXPECT_EQ(save.total_parts, 4001);
  // Still over 4000 MiB for Premium.
  status = Upload(Header("alice", 4000 * kMiB + 1), "", &file);
  EXPECT_EQ(Reason(status), "FILE_TOO_BIG");
}

}  // namespace
}  // namespace tgrpc::service_test
