// Account flows over mtproto/net against tests/fakedc: sign-in with a code (auth.sendCode,
// auth.signIn), updates pushed to another signed-in connection, and a small file uploaded with
// upload.saveFilePart and downloaded with upload.getFile.
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mtproto/net/client_connection.h"
#include "tests/e2e/e2e_util.h"
#include "tests/fakedc/fakedc.h"
#include "tests/fakedc/seed.h"
#include "tl/generated/api.h"

namespace tgrpc::e2e {
namespace {

namespace api = tl::api;
using mtproto::net::ClientConnection;
using mtproto::net::ClientConnectionOptions;

class AccountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> started = StartFakeDc();
    ASSERT_TRUE(started.ok()) << started.status();
    dc_ = *std::move(started);
  }

  std::unique_ptr<ClientConnection> Connect(uint64_t seed, const std::string& name,
                                            ClientConnectionOptions* extra = nullptr) {
    ClientConnectionOptions options = ConnectionOptions(dc_->port(2), seed, name);
    if (extra != nullptr) {
      options.on_update = std::move(extra->on_update);
    }
    absl::StatusOr<std::unique_ptr<ClientConnection>> connection =
        ClientConnection::Create(std::move(options));
    EXPECT_TRUE(connection.ok()) << connection.status();
    return connection.ok() ? *std::move(connection) : nullptr;
  }

  std::unique_ptr<fakedc::FakeDc> dc_;
};

TEST_F(AccountTest, SignsInWithACode) {
  std::unique_ptr<ClientConnection> alice = Connect(31, "alice");
  ASSERT_NE(alice, nullptr);
  absl::StatusOr<tl::Ptr<api::user>> user = SignIn(*alice, *dc_, fakedc::kSeedAlicePhone);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ((*user)->first_name, "Alice");
  EXPECT_TRUE((*user)->self);

  // Signed in: methods that need a user work now.
  api::users_getUsers get;
  get.id.push_back(std::make_unique<api::inputUserSelf>());
  absl::StatusOr<std::vector<tl::Ptr<api::User>>> users =
      Await(alice->Call<api::users_getUsers>(get));
  ASSERT_TRUE(users.ok()) << users.status();
  ASSERT_EQ(users->size(), 1u);
  const auto* self = dynamic_cast<const api::user*>((*users)[0].get());
  ASSERT_NE(self, nullptr);
  EXPECT_EQ(self->id, (*user)->id);
}

TEST_F(AccountTest, UpdatesReachAnotherSignedInConnection) {
  std::mutex mutex;
  std::deque<std::string> updates;
  ClientConnectionOptions with_updates;
  with_updates.on_update = [&](std::string body) {
    std::lock_guard<std::mutex> lock(mutex);
    updates.push_back(std::move(body));
  };
  std::unique_ptr<ClientConnection> alice = Connect(41, "alice", &with_updates);
  std::unique_ptr<ClientConnection> bob = Connect(42, "bob");
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  absl::StatusOr<tl::Ptr<api::user>> alice_user = SignIn(*alice, *dc_, fakedc::kSeedAlicePhone);
  ASSERT_TRUE(alice_user.ok()) << alice_user.status();
  ASSERT_TRUE(SignIn(*bob, *dc_, fakedc::kSeedBobPhone).ok());

  api::contacts_resolveUsername resolve;
  resolve.username = "alice_example";
  absl::StatusOr<tl::Ptr<api::contacts_ResolvedPeer>> resolved =
      Await(bob->Call<api::contacts_resolveUsername>(resolve));
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  const auto* peer = dynamic_cast<const api::contacts_resolvedPeer*>(resolved->get());
  ASSERT_NE(peer, nullptr);
  ASSERT_EQ(peer->users.size(), 1u);
  const auto* alice_seen = dynamic_cast<const api::user*>(peer->users[0].get());
  ASSERT_NE(alice_seen, nullptr);
  EXPECT_EQ(alice_seen->id, (*alice_user)->id);

  api::messages_sendMessage send;
  auto to = std::make_unique<api::inputPeerUser>();
  to->user_id = alice_seen->id;
  to->access_hash = alice_seen->access_hash.value_or(0);
  send.peer = std::move(to);
  send.message = "hello alice";
  send.random_id = 99;
  absl::StatusOr<tl::Ptr<api::Updates>> sent = Await(bob->Call<api::messages_sendMessage>(send));
  ASSERT_TRUE(sent.ok()) << sent.status();

  std::string pushed;
  ASSERT_TRUE(WaitUntil([&] {
    std::lock_guard<std::mutex> lock(mutex);
    if (updates.empty()) return false;
    pushed = updates.front();
    return true;
  }));
  absl::StatusOr<tl::Ptr<api::Updates>> decoded = tl::Decode<api::Updates>(pushed);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const auto* batch = dynamic_cast<const api::updates*>(decoded->get());
  ASSERT_NE(batch, nullptr);
  ASSERT_FALSE(batch->updates_.empty());
  const auto* incoming = dynamic_cast<const api::updateNewMessage*>(batch->updates_[0].get());
  ASSERT_NE(incoming, nullptr);
  const auto* message = dynamic_cast<const api::message*>(incoming->message.get());
  ASSERT_NE(message, nullptr);
  EXPECT_EQ(message->message_, "hello alice");
  EXPECT_FALSE(message->out);
}

TEST_F(AccountTest, UploadsAndDownloadsAFile) {
  std::unique_ptr<ClientConnection> alice = Connect(51, "alice");
  ASSERT_NE(alice, nullptr);
  ASSERT_TRUE(SignIn(*alice, *dc_, fakedc::kSeedAlicePhone).ok());

  // Three parts: two of 1 KiB (a size dividing 512 KiB) and a shorter last one.
  std::string content;
  for (int i = 0; i < 2 * 1024 + 700; ++i) content.push_back(static_cast<char>(i * 7 + i / 256));
  constexpr int64_t kFileId = 424242;
  constexpr int kPartSize = 1024;
  int parts = 0;
  for (size_t offset = 0; offset < content.size(); offset += kPartSize, ++parts) {
    api::upload_saveFilePart part;
    part.file_id = kFileId;
    part.file_part = parts;
    part.bytes = content.substr(offset, kPartSize);
    absl::StatusOr<bool> saved = Await(alice->Call<api::upload_saveFilePart>(part));
    ASSERT_TRUE(saved.ok()) << saved.status();
    EXPECT_TRUE(*saved);
  }
  ASSERT_EQ(parts, 3);

  api::messages_sendMedia send;
  send.peer = std::make_unique<api::inputPeerSelf>();
  auto file = std::make_unique<api::inputFile>();
  file->id = kFileId;
  file->parts = parts;
  file->name = "hello.bin";
  auto media = std::make_unique<api::inputMediaUploadedDocument>();
  media->file = std::move(file);
  media->mime_type = "application/octet-stream";
  send.media = std::move(media);
  send.random_id = 7;
  absl::StatusOr<tl::Ptr<api::Updates>> sent = Await(alice->Call<api::messages_sendMedia>(send));
  ASSERT_TRUE(sent.ok()) << sent.status();
  const api::document* document = nullptr;
  if (const auto* batch = dynamic_cast<const api::updates*>(sent->get())) {
    for (const auto& update : batch->updates_) {
      const auto* added = dynamic_cast<const api::updateNewMessage*>(update.get());
      const auto* message =
          added != nullptr ? dynamic_cast<const api::message*>(added->message.get()) : nullptr;
      const auto* with_document =
          message != nullptr ? dynamic_cast<const api::messageMediaDocument*>(message->media.get())
                             : nullptr;
      if (with_document != nullptr) {
        document = dynamic_cast<const api::document*>(with_document->document.get());
      }
    }
  }
  ASSERT_NE(document, nullptr);
  EXPECT_EQ(document->size, static_cast<int64_t>(content.size()));

  api::upload_getFile get;
  auto location = std::make_unique<api::inputDocumentFileLocation>();
  location->id = document->id;
  location->access_hash = document->access_hash;
  location->file_reference = document->file_reference;
  get.location = std::move(location);
  get.offset = 0;
  get.limit = 4096;
  absl::StatusOr<tl::Ptr<api::upload_File>> downloaded =
      Await(alice->Call<api::upload_getFile>(get));
  ASSERT_TRUE(downloaded.ok()) << downloaded.status();
  const auto* bytes = dynamic_cast<const api::upload_file*>(downloaded->get());
  ASSERT_NE(bytes, nullptr);
  EXPECT_EQ(bytes->bytes, content);
}

}  // namespace
}  // namespace tgrpc::e2e
