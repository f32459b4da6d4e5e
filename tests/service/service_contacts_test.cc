// tgrpcd end to end against fakedc, UserService beyond GetMe / GetUser: the contact list
// (ImportContacts, ListContacts paged, DeleteContacts), the blocklist (BlockUser, UnblockUser,
// and the sends a block refuses), UpdateProfile with its field mask and Telegram's username
// answers, and ListProfilePhotos paged and downloaded. Each with its error paths.
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakedc/photos.h"
#include "tests/fakedc/seed.h"
#include "tests/service/service_fixture.h"

namespace tgrpc::service_test {
namespace {

class ContactsTest : public ServiceTest {
 protected:
  v1::ImportContactsResponse Import(const std::string& account,
                                    const std::vector<std::string>& phones) {
    v1::ImportContactsRequest request;
    request.set_account(account);
    for (const std::string& phone : phones) {
      auto* contact = request.add_contacts();
      contact->set_phone_number(phone);
      contact->set_first_name("Saved");
    }
    v1::ImportContactsResponse response;
    grpc::Status status = users_->ImportContacts(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  // Every contact of `account`, read `page_size` at a time; `pages` counts the calls.
  std::vector<v1::User> AllContacts(const std::string& account, int page_size, int* pages) {
    std::vector<v1::User> out;
    v1::ListContactsRequest request;
    request.set_account(account);
    request.set_page_size(page_size);
    *pages = 0;
    int32_t total = -1;
    do {
      v1::ListContactsResponse page;
      grpc::Status status = users_->ListContacts(Context().get(), request, &page);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      EXPECT_LE(page.contacts_size(), page_size == 0 ? 200 : page_size);
      out.insert(out.end(), page.contacts().begin(), page.contacts().end());
      total = page.total_size();
      request.set_page_token(page.next_page_token());
      ++*pages;
    } while (!request.page_token().empty() && *pages < 50);
    EXPECT_EQ(total, static_cast<int32_t>(out.size()));
    return out;
  }

  v1::User GetUser(const std::string& name) {
    v1::GetUserRequest request;
    request.set_name(name);
    v1::User user;
    grpc::Status status = users_->GetUser(Context().get(), request, &user);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return user;
  }

  grpc::Status Send(const std::string& parent) {
    v1::SendMessageRequest send;
    send.set_parent(parent);
    send.set_text("hello");
    v1::Message sent;
    return messages_->SendMessage(Context().get(), send, &sent);
  }

  grpc::Status UpdateProfile(const v1::User& user, const std::vector<std::string>& paths,
                             v1::User* out) {
    v1::UpdateProfileRequest request;
    *request.mutable_user() = user;
    for (const std::string& path : paths) request.mutable_update_mask()->add_paths(path);
    return users_->UpdateProfile(Context().get(), request, out);
  }
};

TEST_F(ContactsTest, ImportsListsPagesAndDeletesContacts) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);
  v1::ImportContactsResponse imported =
      Import("accounts/alice",
             {"+1 555 000-0002", "+1 555 999 9999", std::string("+") + fakedc::kSeedCarolPhone});
  ASSERT_EQ(imported.results_size(), 3);
  EXPECT_EQ(imported.results(0).phone_number(), "+1 555 000-0002");
  EXPECT_EQ(imported.results(0).user().username(), "bob_example");
  EXPECT_TRUE(imported.results(0).user().is_contact());
  EXPECT_EQ(imported.results(0).user().phone_number(), fakedc::kSeedBobPhone);
  // A number without an account is not imported, and Telegram's limits turned nothing away.
  EXPECT_FALSE(imported.results(1).has_user());
  EXPECT_FALSE(imported.results(1).retry());
  EXPECT_EQ(imported.results(2).user().first_name(), "Carol");
  const int64_t bob = imported.results(0).user().id();
  const int64_t carol = imported.results(2).user().id();

  int pages = 0;
  std::vector<v1::User> contacts = AllContacts("accounts/alice", 1, &pages);
  ASSERT_EQ(contacts.size(), 2u);
  EXPECT_EQ(pages, 2);
  std::set<int64_t> ids;
  for (const v1::User& contact : contacts) {
    ids.insert(contact.id());
    EXPECT_TRUE(contact.is_contact());
    EXPECT_FALSE(contact.is_mutual_contact());
    EXPECT_EQ(contact.name(), absl::StrCat("accounts/alice/users/", contact.id()));
  }
  EXPECT_EQ(ids, std::set<int64_t>({bob, carol}));

  // Bob adds Alice back: mutual, as Alice sees it.
  Import("accounts/bob", {std::string("+") + fakedc::kSeedAlicePhone});
  contacts = AllContacts("accounts/alice", 0, &pages);
  ASSERT_EQ(contacts.size(), 2u);
  EXPECT_EQ(pages, 1);
  for (const v1::User& contact : contacts) {
    EXPECT_EQ(contact.is_mutual_contact(), contact.id() == bob) << contact.id();
  }

  // Delete by username and by phone number ("+<digits>" is a phone, never read as an id).
  v1::DeleteContactsRequest remove;
  remove.set_account("accounts/alice");
  remove.add_users("accounts/alice/users/bob_example");
  remove.add_users(absl::StrCat("accounts/alice/users/+", fakedc::kSeedCarolPhone));
  v1::DeleteContactsResponse removed;
  grpc::Status status = users_->DeleteContacts(Context().get(), remove, &removed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(removed.deleted_size(), 2);
  for (const v1::User& user : removed.deleted()) EXPECT_FALSE(user.is_contact());
  EXPECT_TRUE(AllContacts("accounts/alice", 0, &pages).empty());
  // Bob still has Alice; she is no longer mutual.
  contacts = AllContacts("accounts/bob", 0, &pages);
  ASSERT_EQ(contacts.size(), 1u);
  EXPECT_FALSE(contacts[0].is_mutual_contact());
}

TEST_F(ContactsTest, ContactCallsNameTheBadField) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  auto import = [this](const std::string& phone, const std::string& first, int copies = 1) {
    v1::ImportContactsRequest request;
    request.set_account("accounts/alice");
    for (int i = 0; i < copies; ++i) {
      auto* contact = request.add_contacts();
      contact->set_phone_number(phone);
      contact->set_first_name(first);
    }
    v1::ImportContactsResponse response;
    return users_->ImportContacts(Context().get(), request, &response);
  };
  struct Case {
    std::string what;
    grpc::Status status;
    std::string field;
  };
  v1::ListContactsRequest big_page;
  big_page.set_account("accounts/alice");
  big_page.set_page_size(1001);
  v1::ListContactsRequest forged;
  forged.set_account("accounts/alice");
  forged.set_page_token("b2Zmc2V0PS01");  // offset=-5
  v1::ListContactsResponse listed;
  v1::DeleteContactsRequest other_account;
  other_account.set_account("accounts/alice");
  other_account.add_users("accounts/bob/users/bob_example");
  v1::DeleteContactsRequest chat;
  chat.set_account("accounts/alice");
  chat.add_users(std::string("accounts/alice/users/") + fakedc::kSeedBigChannel);
  v1::DeleteContactsRequest none;
  none.set_account("accounts/alice");
  v1::DeleteContactsResponse deleted;
  const std::vector<Case> cases = {
      {"letters in a phone", import("+1 555 abc", "X"), "contacts[0].phone_number"},
      {"four digits", import("+1234", "X"), "contacts[0].phone_number"},
      {"no first name", import("+15550000002", ""), "contacts[0].first_name"},
      {"a first name of 65", import("+15550000002", std::string(65, 'n')),
       "contacts[0].first_name"},
      {"101 contacts", import("+15550000002", "X", 101), "contacts"},
      {"no contacts", import("+15550000002", "X", 0), "contacts"},
      {"page of 1001", users_->ListContacts(Context().get(), big_page, &listed), "page_size"},
      {"forged token", users_->ListContacts(Context().get(), forged, &listed), "page_token"},
      {"another account's user", users_->DeleteContacts(Context().get(), other_account, &deleted),
       "users"},
      {"a chat", users_->DeleteContacts(Context().get(), chat, &deleted), "users"},
      {"no users", users_->DeleteContacts(Context().get(), none, &deleted), "users"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.what << ": " << c.status.error_message();
    EXPECT_EQ(BadField(c.status), c.field) << c.what << ": " << c.status.error_message();
  }
  // A user nobody has is NOT_FOUND, with Telegram's reason.
  v1::DeleteContactsRequest unknown;
  unknown.set_account("accounts/alice");
  unknown.add_users("accounts/alice/users/nobody_has_this");
  grpc::Status status = users_->DeleteContacts(Context().get(), unknown, &deleted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_EQ(Reason(status), "USERNAME_NOT_OCCUPIED");
}

TEST_F(ContactsTest, ABlockedUserCannotWriteUntilUnblocked) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);
  ASSERT_TRUE(Send("accounts/bob/chats/alice_example").ok());
  EXPECT_FALSE(GetUser("accounts/alice/users/bob_example").full().blocked());

  v1::BlockUserRequest block;
  block.set_name("accounts/alice/users/bob_example");
  google::protobuf::Empty empty;
  grpc::Status status = users_->BlockUser(Context().get(), block, &empty);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(users_->BlockUser(Context().get(), block, &empty).ok());  // again: still fine
  EXPECT_TRUE(GetUser("accounts/alice/users/bob_example").full().blocked());

  status = Send("accounts/bob/chats/alice_example");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(Reason(status), "USER_IS_BLOCKED");
  status = Send("accounts/alice/chats/bob_example");
  EXPECT_EQ(Reason(status), "YOU_BLOCKED_USER") << status.error_message();

  v1::UnblockUserRequest unblock;
  unblock.set_name("accounts/alice/users/bob_example");
  status = users_->UnblockUser(Context().get(), unblock, &empty);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(GetUser("accounts/alice/users/bob_example").full().blocked());
  EXPECT_TRUE(Send("accounts/bob/chats/alice_example").ok());
  EXPECT_TRUE(Send("accounts/alice/chats/bob_example").ok());

  // Not the account itself, not a chat, not a user nobody has.
  for (const std::string& name : {std::string("accounts/alice/users/me"),
                                  std::string("accounts/alice/users/") + fakedc::kSeedBigChannel}) {
    block.set_name(name);
    status = users_->BlockUser(Context().get(), block, &empty);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << name;
    EXPECT_EQ(BadField(status), "name") << name;
  }
  block.set_name("accounts/alice/users/nobody_has_this");
  EXPECT_EQ(users_->BlockUser(Context().get(), block, &empty).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ContactsTest, UpdatesTheProfileByFieldMask) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);
  v1::User change;
  change.set_name("accounts/alice/users/me");
  change.set_first_name("Alicia");
  change.set_last_name("not in the mask");
  change.mutable_full()->set_about("Writes tests.");
  v1::User updated;
  grpc::Status status = UpdateProfile(change, {"first_name", "full.about"}, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(updated.first_name(), "Alicia");
  EXPECT_EQ(updated.last_name(), "Example");  // not in the mask: unchanged
  EXPECT_EQ(updated.full().about(), "Writes tests.");
  EXPECT_TRUE(updated.is_self());
  // Bob sees it.
  v1::User seen = GetUser("accounts/bob/users/alice_example");
  EXPECT_EQ(seen.first_name(), "Alicia");
  EXPECT_EQ(seen.full().about(), "Writes tests.");

  // The username: a new one, by the account's own id.
  change.set_name(absl::StrCat("accounts/alice/users/", updated.id()));
  change.set_username("alicia_writes");
  status = UpdateProfile(change, {"username"}, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(updated.username(), "alicia_writes");
  EXPECT_EQ(GetUser("accounts/bob/users/alicia_writes").id(), updated.id());
  // The same again is no change, and no error.
  status = UpdateProfile(change, {"username"}, &updated);
  EXPECT_TRUE(status.ok()) << status.error_message();
  // Someone else's: ALREADY_EXISTS, and nothing else in the call changes.
  change.set_username("bob_example");
  change.set_last_name("Changed");
  status = UpdateProfile(change, {"username", "last_name"}, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS) << status.error_message();
  EXPECT_EQ(Reason(status), "USERNAME_OCCUPIED");
  EXPECT_EQ(GetUser("accounts/bob/users/alicia_writes").last_name(), "Example");
  // Removed.
  change.set_username("");
  status = UpdateProfile(change, {"username"}, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(updated.username(), "");

  // Over Telegram's 70 characters without Premium: its ABOUT_TOO_LONG.
  change.mutable_full()->set_about(std::string(71, 'a'));
  status = UpdateProfile(change, {"full.about"}, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(Reason(status), "ABOUT_TOO_LONG");

  struct Case {
    std::string what;
    std::string name;
    std::vector<std::string> paths;
    std::function<void(v1::User*)> set;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"no mask", "accounts/alice/users/me", {}, [](v1::User*) {}, "update_mask"},
      {"a field that cannot change",
       "accounts/alice/users/me",
       {"phone_number"},
       [](v1::User*) {},
       "update_mask"},
      {"another user",
       "accounts/alice/users/bob_example",
       {"first_name"},
       [](v1::User* u) { u->set_first_name("X"); },
       "user.name"},
      {"no name", "", {"first_name"}, [](v1::User* u) { u->set_first_name("X"); }, "user.name"},
      {"an empty first name",
       "accounts/alice/users/me",
       {"first_name"},
       [](v1::User* u) { u->set_first_name(""); },
       "user.first_name"},
      {"a last name of 65",
       "accounts/alice/users/me",
       {"last_name"},
       [](v1::User* u) { u->set_last_name(std::string(65, 'l')); },
       "user.last_name"},
      {"about of 141",
       "accounts/alice/users/me",
       {"full.about"},
       [](v1::User* u) { u->mutable_full()->set_about(std::string(141, 'a')); },
       "user.full.about"},
      {"a short username",
       "accounts/alice/users/me",
       {"username"},
       [](v1::User* u) { u->set_username("abcd"); },
       "user.username"},
      {"a username from a digit",
       "accounts/alice/users/me",
       {"username"},
       [](v1::User* u) { u->set_username("1alice"); },
       "user.username"},
  };
  for (const Case& c : cases) {
    v1::User user;
    user.set_name(c.name);
    c.set(&user);
    status = UpdateProfile(user, c.paths, &updated);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.what << ": " << status.error_message();
    EXPECT_EQ(BadField(status), c.field) << c.what << ": " << status.error_message();
  }
  EXPECT_EQ(GetUser("accounts/bob/users/" + absl::StrCat(updated.id())).first_name(), "Alicia");
}

TEST_F(ContactsTest, ListsProfilePhotosNewestFirstAndDownloadsThem) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  // Bob's photos, set in fakedc's World (tgrpc has no RPC that sets one yet).
  std::vector<int64_t> seeded;  // newest first
  std::vector<std::string> images;
  for (int i = 0; i < 3; ++i) {
    std::string png("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x01\x40\0\0\0\xf0", 24);  // 320 x 240
    png.resize(2000 + i * 100, static_cast<char>('a' + i));
    const std::string path = absl::StrCat(getenv("TEST_TMPDIR"), "/profile-", i, ".png");
    std::ofstream(path, std::ios::binary) << png;
    dc_->Run([&](fakedc::World& world) {
      absl::StatusOr<int64_t> photo = fakedc::AddPhotoFromFile(world, path, 2);
      ASSERT_TRUE(photo.ok()) << photo.status();
      const fakedc::UserRecord* bob = world.FindUserByUsername("bob_example");
      ASSERT_NE(bob, nullptr);
      ASSERT_TRUE(fakedc::SetPeerPhoto(world, {fakedc::PeerKind::kUser, bob->id}, *photo).ok());
      seeded.insert(seeded.begin(), *photo);
    });
    images.insert(images.begin(), png);
  }
  v1::ListProfilePhotosRequest list;
  list.set_parent("accounts/alice/users/bob_example");
  list.set_page_size(2);
  std::vector<v1::ProfilePhoto> photos;
  int pages = 0;
  do {
    v1::ListProfilePhotosResponse page;
    grpc::Status status = users_->ListProfilePhotos(Context().get(), list, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(page.total_size(), 3);
    photos.insert(photos.end(), page.photos().begin(), page.photos().end());
    list.set_page_token(page.next_page_token());
    ++pages;
  } while (!list.page_token().empty() && pages < 10);
  EXPECT_EQ(pages, 2);
  ASSERT_EQ(photos.size(), 3u);
  for (size_t i = 0; i < photos.size(); ++i) {
    EXPECT_EQ(photos[i].id(), seeded[i]) << i;
    EXPECT_EQ(photos[i].thumb_size(), "m") << i;
    EXPECT_EQ(photos[i].width(), 320);
    EXPECT_EQ(photos[i].height(), 240);
    EXPECT_EQ(photos[i].size(), static_cast<int64_t>(images[i].size()));
    EXPECT_FALSE(photos[i].file_reference().empty());
  }
  EXPECT_EQ(GetUser("accounts/alice/users/bob_example").photo_id(), photos[0].id());

  // An older one, downloaded by the ids the listing gave.
  v1::DownloadFileRequest download;
  v1::FileLocation* location = download.mutable_location();
  location->set_account("accounts/alice");
  location->set_type("photo");
  location->set_id(photos[2].id());
  location->set_access_hash(photos[2].access_hash());
  location->set_file_reference(photos[2].file_reference());
  location->set_dc_id(photos[2].dc_id());
  location->set_size(photos[2].size());
  location->set_thumb_size(photos[2].thumb_size());
  auto context = Context();
  auto reader = files_->DownloadFile(context.get(), download);
  std::string bytes;
  v1::DownloadFileResponse part;
  while (reader->Read(&part)) bytes += part.data();
  grpc::Status status = reader->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(bytes, images[2]);

  // The account's own: none yet.
  list.set_parent("accounts/alice/users/me");
  list.set_page_token("");
  v1::ListProfilePhotosResponse mine;
  status = users_->ListProfilePhotos(Context().get(), list, &mine);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(mine.photos_size(), 0);
  EXPECT_EQ(mine.total_size(), 0);
  EXPECT_TRUE(mine.next_page_token().empty());

  // Bad input.
  list.set_parent(std::string("accounts/alice/users/") + fakedc::kSeedBigChannel);
  status = users_->ListProfilePhotos(Context().get(), list, &mine);
  EXPECT_EQ(BadField(status), "parent") << status.error_message();
  list.set_parent("accounts/alice/users/bob_example");
  list.set_page_size(101);
  status = users_->ListProfilePhotos(Context().get(), list, &mine);
  EXPECT_EQ(BadField(status), "page_size") << status.error_message();
  list.set_page_size(0);
  list.set_page_token("%%%");
  status = users_->ListProfilePhotos(Context().get(), list, &mine);
  EXPECT_EQ(BadField(status), "page_token") << status.error_message();
}

}  // namespace
}  // namespace tgrpc::service_test
