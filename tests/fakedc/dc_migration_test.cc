// DC migration in tests/fakedc, driven through a Dispatcher over a seeded World: home DCs
// (PHONE_MIGRATE, USER_MIGRATE), moving an authorization with auth.exportAuthorization /
// importAuthorization, documents kept on another DC (FILE_MIGRATE), and FLOOD_WAIT as a call
// guard, on the World's injected clock.
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakedc/dispatcher_test_util.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/rpc.h"
#include "tests/fakedc/seed.h"
#include "tests/fakedc/test_requests.h"
#include "tests/fakedc/world.h"
#include "tl/generated/api.h"
#include "tl/runtime/object.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;
using testing::ErrorOf;

// A caller: a key on a DC.
CallContext On(int dc_id, uint64_t auth_key_id) {
  CallContext context;
  context.dc_id = dc_id;
  context.auth_key_id = auth_key_id;
  return context;
}

class DcMigrationTest : public testing::DispatcherTest {
 protected:
  DcMigrationTest() {
    SeedWorld(world_, /*big_channel_members=*/0);
    world_.SetClock([this] { return now_; });
    const char* tmp = std::getenv("TEST_TMPDIR");
    files_dir_ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/dc_migration_test_files");
    std::filesystem::create_directories(files_dir_);
    env_.files_dir = files_dir_;
    for (int id : {1, 2, 3}) env_.endpoints.push_back({id, false, 0});
    env_.endpoints.push_back({2, true, 0});
    env_.push = [](int64_t, const api::Updates&, uint64_t) {};
    RegisterAuthMethods(dispatcher_, env_);
    RegisterUpdateMethods(dispatcher_, env_);
    RegisterMessageMethods(dispatcher_, env_);
    RegisterUploadMethods(dispatcher_, env_);
    RegisterCallGuards(dispatcher_, env_);
  }

  absl::StatusOr<tl::Ptr<api::auth_SentCode>> SendCode(const std::string& phone,
                                                       CallContext& context) {
    api::auth_sendCode send;
    send.phone_number = "+" + phone;
    send.api_id = 1;
    send.api_hash = "hash";
    return Call(send, context);
  }

  absl::StatusOr<tl::Ptr<api::auth_ExportedAuthorization>> Export(int dc_id, CallContext& context) {
    api::auth_exportAuthorization request;
    request.dc_id = dc_id;
    return Call(request, context);
  }

  absl::StatusOr<tl::Ptr<api::auth_Authorization>> Import(int64_t id, const std::string& bytes,
                                                          CallContext& context) {
    api::auth_importAuthorization request;
    request.id = id;
    request.bytes = bytes;
    return Call(request, context);
  }

  // Moves `from`'s authorization to `to` (a key on another DC).
  void Migrate(CallContext& from, CallContext& to) {
    absl::StatusOr<tl::Ptr<api::auth_ExportedAuthorization>> exported = Export(to.dc_id, from);
    ASSERT_TRUE(exported.ok()) << exported.status();
    const auto& e = static_cast<const api::auth_exportedAuthorization&>(**exported);
    ASSERT_TRUE(Import(e.id, e.bytes, to).ok());
  }

  absl::StatusOr<tl::Ptr<api::Updates>> SendText(CallContext& context) {
    api::messages_sendMessage send;
    send.peer = std::make_unique<api::inputPeerSelf>();
    send.message = "hello";
    send.random_id = 1;
    return Call(send, context);
  }

  // Uploads `size` bytes in one part and sends them to Saved Messages; returns the document.
  std::unique_ptr<api::document> UploadDocument(CallContext& context, int size) {
    EXPECT_TRUE(Call(testing::FirstFilePart(77, std::string(size, 'x')), context).ok());
    absl::StatusOr<tl::Ptr<api::Updates>> sent =
        Call(testing::SendUploadedDocument(77, "a.bin", 2), context);
    EXPECT_TRUE(sent.ok()) << sent.status();
    if (!sent.ok()) return nullptr;
    for (auto& update : static_cast<api::updates&>(**sent).updates_) {
      if (auto* added = dynamic_cast<api::updateNewMessage*>(update.get())) {
        auto& message = static_cast<api::message&>(*added->message);
        auto& document = static_cast<api::messageMediaDocument&>(*message.media).document;
        return std::unique_ptr<api::document>(static_cast<api::document*>(document.release()));
      }
    }
    ADD_FAILURE() << "no updateNewMessage";
    return nullptr;
  }

  absl::StatusOr<tl::Ptr<api::upload_File>> GetFile(const api::document& document,
                                                    CallContext& context) {
    auto location = std::make_unique<api::inputDocumentFileLocation>();
    location->id = document.id;
    location->access_hash = document.access_hash;
    location->file_reference = document.file_reference;
    api::upload_getFile request;
    request.location = std::move(location);
    request.offset = 0;
    request.limit = 4096;
    return Call(request, context);
  }

  int64_t IdOf(const std::string& phone) { return world_.FindUserByPhone(phone)->id; }

  int32_t now_ = 1'700'000'000;
  std::string files_dir_;
};

TEST_F(DcMigrationTest, PhonesSignInOnTheirHomeDc) {
  CallContext dc1 = On(1, 0x11);
  CallContext dc2 = On(2, 0x22);
  EXPECT_EQ(ErrorOf(SendCode(kSeedAlicePhone, dc1)), "303 PHONE_MIGRATE_2");
  EXPECT_EQ(ErrorOf(SendCode(kSeedDavePhone, dc2)), "303 PHONE_MIGRATE_1");
  // A code issued on the right DC does not sign in on another one either.
  ASSERT_TRUE(SendCode(kSeedAlicePhone, dc2).ok());
  api::auth_signIn sign_in;
  sign_in.phone_number = kSeedAlicePhone;
  sign_in.phone_code_hash = world_.FindCode(kSeedAlicePhone)->hash;
  sign_in.phone_code = world_.LastCode(kSeedAlicePhone);
  CallContext dc3 = On(3, 0x33);
  EXPECT_EQ(ErrorOf(Call(sign_in, dc3)), "303 PHONE_MIGRATE_2");
  EXPECT_EQ(world_.UserOfKey(0x33), 0);
  EXPECT_TRUE(Call(sign_in, dc2).ok());
  EXPECT_EQ(world_.UserOfKey(0x22), IdOf(kSeedAlicePhone));

  ASSERT_TRUE(SignInWithCode(kSeedDavePhone, dc1).ok());
  EXPECT_EQ(world_.UserOfKey(0x11), IdOf(kSeedDavePhone));
  EXPECT_TRUE(SendText(dc1).ok());
}

TEST_F(DcMigrationTest, NewAccountsLiveWhereTheySignedUp) {
  const std::string phone = "15557770000";
  CallContext dc3 = On(3, 0x33);
  ASSERT_TRUE(SendCode(phone, dc3).ok());
  api::auth_signUp sign_up;
  sign_up.phone_number = phone;
  sign_up.phone_code_hash = world_.FindCode(phone)->hash;
  sign_up.first_name = "Eve";
  ASSERT_TRUE(Call(sign_up, dc3).ok());
  EXPECT_EQ(world_.FindUserByPhone(phone)->home_dc, 3);
  CallContext dc1 = On(1, 0x11);
  EXPECT_EQ(ErrorOf(SendCode(phone, dc1)), "303 PHONE_MIGRATE_3");
}

TEST_F(DcMigrationTest, BotsSignInOnTheirHomeDc) {
  api::auth_importBotAuthorization request;
  request.api_id = 1;
  request.api_hash = "hash";
  request.bot_auth_token = kSeedBotToken;
  CallContext dc1 = On(1, 0x11);
  EXPECT_EQ(ErrorOf(Call(request, dc1)), "303 USER_MIGRATE_2");
  CallContext dc2 = On(2, 0x22);
  EXPECT_TRUE(Call(request, dc2).ok());
}

TEST_F(DcMigrationTest, ExportedAuthorizationSignsInOnAnotherDc) {
  CallContext home = On(2, 0x22);
  ASSERT_TRUE(SignInWithCode(kSeedAlicePhone, home).ok());
  absl::StatusOr<tl::Ptr<api::auth_ExportedAuthorization>> exported = Export(1, home);
  ASSERT_TRUE(exported.ok()) << exported.status();
  const auto& e = static_cast<const api::auth_exportedAuthorization&>(**exported);
  EXPECT_EQ(e.id, IdOf(kSeedAlicePhone));
  EXPECT_FALSE(e.bytes.empty());

  CallContext dc1 = On(1, 0x11);
  absl::StatusOr<tl::Ptr<api::auth_Authorization>> imported = Import(e.id, e.bytes, dc1);
  ASSERT_TRUE(imported.ok()) << imported.status();
  const auto& user =
      static_cast<const api::user&>(*static_cast<const api::auth_authorization&>(**imported).user);
  EXPECT_EQ(user.id, IdOf(kSeedAlicePhone));
  EXPECT_TRUE(user.self);
  EXPECT_EQ(dc1.user_id, user.id);
  EXPECT_EQ(world_.UserOfKey(0x11), user.id);
  // Another key of DC 1 may use the same bytes while they live.
  CallContext dc1_other = On(1, 0x12);
  EXPECT_TRUE(Import(e.id, e.bytes, dc1_other).ok());
}

TEST_F(DcMigrationTest, ImportChecksBytesDcUserAndLifetime) {
  CallContext home = On(2, 0x22);
  ASSERT_TRUE(SignInWithCode(kSeedAlicePhone, home).ok());
  absl::StatusOr<tl::Ptr<api::auth_ExportedAuthorization>> exported = Export(1, home);
  ASSERT_TRUE(exported.ok());
  const auto& e = static_cast<const api::auth_exportedAuthorization&>(**exported);

  CallContext dc3 = On(3, 0x33);
  EXPECT_EQ(ErrorOf(Import(e.id, e.bytes, dc3)), "400 AUTH_BYTES_INVALID");  // made for DC 1
  CallContext dc1 = On(1, 0x11);
  EXPECT_EQ(ErrorOf(Import(e.id, "made up", dc1)), "400 AUTH_BYTES_INVALID");
  EXPECT_EQ(ErrorOf(Import(IdOf(kSeedBobPhone), e.bytes, dc1)), "400 USER_ID_INVALID");
  now_ += World::kExportedAuthorizationLifetime;
  EXPECT_EQ(ErrorOf(Import(e.id, e.bytes, dc1)), "400 AUTH_BYTES_INVALID");
  EXPECT_EQ(world_.UserOfKey(0x11), 0);
  EXPECT_EQ(world_.UserOfKey(0x33), 0);

  EXPECT_EQ(ErrorOf(Export(9, home)), "400 DC_ID_INVALID");
  EXPECT_EQ(ErrorOf(Export(0, home)), "400 DC_ID_INVALID");
  EXPECT_EQ(ErrorOf(Export(1, dc1)), "401 AUTH_KEY_UNREGISTERED");
}

TEST_F(DcMigrationTest, AwayFromHomeOnlyAuthUploadAndHelpAreServed) {
  CallContext home = On(2, 0x22);
  ASSERT_TRUE(SignInWithCode(kSeedAlicePhone, home).ok());
  CallContext dc1 = On(1, 0x11);
  Migrate(home, dc1);
  EXPECT_EQ(ErrorOf(SendText(dc1)), "303 USER_MIGRATE_2");
  EXPECT_EQ(ErrorOf(Call(api::updates_getState(), dc1)), "303 USER_MIGRATE_2");
  // upload.* is served (here: a document that does not exist).
  api::document missing;
  missing.id = 12345;
  EXPECT_EQ(ErrorOf(GetFile(missing, dc1)), "400 FILE_ID_INVALID");
  EXPECT_TRUE(SendText(home).ok());
}

TEST_F(DcMigrationTest, DocumentsStayOnTheDcTheyWereUploadedTo) {
  CallContext home = On(2, 0x22);
  ASSERT_TRUE(SignInWithCode(kSeedAlicePhone, home).ok());
  std::unique_ptr<api::document> document = UploadDocument(home, 1000);
  ASSERT_NE(document, nullptr);
  EXPECT_EQ(document->dc_id, 2);
  absl::StatusOr<tl::Ptr<api::upload_File>> file = GetFile(*document, home);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(static_cast<const api::upload_file&>(**file).bytes, std::string(1000, 'x'));
}

TEST_F(DcMigrationTest, DocumentsOnTheFilesDcAreServedThereOnly) {
  env_.files_dc = 1;
  CallContext home = On(2, 0x22);
  ASSERT_TRUE(SignInWithCode(kSeedAlicePhone, home).ok());
  std::unique_ptr<api::document> document = UploadDocument(home, 5000);
  ASSERT_NE(document, nullptr);
  EXPECT_EQ(document->dc_id, 1);
  EXPECT_EQ(ErrorOf(GetFile(*document, home)), "303 FILE_MIGRATE_1");

  // DC 1 answers only once the key there is signed in, by importing the authorization.
  CallContext dc1 = On(1, 0x11);
  EXPECT_EQ(ErrorOf(GetFile(*document, dc1)), "401 AUTH_KEY_UNREGISTERED");
  Migrate(home, dc1);
  absl::StatusOr<tl::Ptr<api::upload_File>> file = GetFile(*document, dc1);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(static_cast<const api::upload_file&>(**file).bytes, std::string(4096, 'x'));

  CallContext dc3 = On(3, 0x33);
  Migrate(home, dc3);
  EXPECT_EQ(ErrorOf(GetFile(*document, dc3)), "303 FILE_MIGRATE_1");
}

TEST_F(DcMigrationTest, FloodWaitGuardsCallsOnTheWorldClock) {
  world_.flood().SetLimit("messages.sendMessage", {2, 10});
  CallContext home = On(2, 0x22);
  ASSERT_TRUE(SignInWithCode(kSeedAlicePhone, home).ok());
  EXPECT_TRUE(SendText(home).ok());
  now_ += 3;
  EXPECT_TRUE(SendText(home).ok());
  EXPECT_EQ(ErrorOf(SendText(home)), "420 FLOOD_WAIT_7");
  now_ += 6;
  EXPECT_EQ(ErrorOf(SendText(home)), "420 FLOOD_WAIT_1");
  now_ += 1;
  EXPECT_TRUE(SendText(home).ok());
  // Another account has its own window; a call answered USER_MIGRATE is not counted.
  CallContext dave = On(1, 0x11);
  ASSERT_TRUE(SignInWithCode(kSeedDavePhone, dave).ok());
  CallContext dave_away = On(2, 0x23);
  Migrate(dave, dave_away);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ErrorOf(SendText(dave_away)), "303 USER_MIGRATE_1");
  EXPECT_TRUE(SendText(dave).ok());
  EXPECT_TRUE(SendText(dave).ok());
  EXPECT_EQ(ErrorOf(SendText(dave)), "420 FLOOD_WAIT_10");
}

}  // namespace
}  // namespace tgrpc::fakedc
