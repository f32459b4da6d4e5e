// fakedc's contact list: contacts.importContacts (registered numbers only), getContacts (with
// Telegram's caching hash), deleteContacts, deleteByPhones, and the contact / mutual_contact
// flags and phone of the user objects each viewer gets. Through a Dispatcher over a seeded World.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/fakedc/dispatcher_test_util.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/rpc.h"
#include "tests/fakedc/seed.h"
#include "tests/fakedc/world.h"
#include "tl/generated/api.h"
#include "tl/runtime/object.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;
using testing::ErrorOf;

tl::Ptr<api::InputContact> PhoneContact(int64_t client_id, const std::string& phone) {
  auto out = std::make_unique<api::inputPhoneContact>();
  out->client_id = client_id;
  out->phone = phone;
  out->first_name = "Saved";
  out->last_name = "Name";
  return out;
}

// core.telegram.org/api/offsets, "Hash generation", as a client computes it.
int64_t ClientHash(const std::vector<int64_t>& ids) {
  uint64_t hash = 0;
  for (int64_t id : ids) {
    hash ^= hash >> 21;
    hash ^= hash << 35;
    hash ^= hash >> 4;
    hash += static_cast<uint64_t>(id);
  }
  return static_cast<int64_t>(hash);
}

class ContactsTest : public testing::DispatcherTest {
 protected:
  ContactsTest() {
    SeedWorld(world_, /*big_channel_members=*/0);
    RegisterContactMethods(dispatcher_, env_);
    RegisterUserMethods(dispatcher_, env_);
    alice_ = world_.FindUserByPhone(kSeedAlicePhone);
    bob_ = world_.FindUserByPhone(kSeedBobPhone);
    carol_ = world_.FindUserByPhone(kSeedCarolPhone);
    alice_context_ = testing::ContextOf(1, alice_->id);
    bob_context_ = testing::ContextOf(2, bob_->id);
  }

  absl::StatusOr<tl::Ptr<api::contacts_ImportedContacts>> Import(
      std::vector<tl::Ptr<api::InputContact>> contacts, CallContext& context) {
    api::contacts_importContacts request;
    request.contacts = std::move(contacts);
    return Call(request, context);
  }

  absl::StatusOr<tl::Ptr<api::contacts_Contacts>> Contacts(CallContext& context, int64_t hash = 0) {
    api::contacts_getContacts request;
    request.hash = hash;
    return Call(request, context);
  }

  tl::Ptr<api::InputUser> InputOf(const UserRecord& user) const {
    auto out = std::make_unique<api::inputUser>();
    out->user_id = user.id;
    out->access_hash = user.access_hash;
    return out;
  }

  UserRecord* alice_ = nullptr;
  UserRecord* bob_ = nullptr;
  UserRecord* carol_ = nullptr;
  CallContext alice_context_, bob_context_;
};

TEST_F(ContactsTest, ImportAddsTheRegisteredNumbersOnly) {
  std::vector<tl::Ptr<api::InputContact>> contacts;
  contacts.push_back(PhoneContact(7, "+1 555 000-0002"));  // bob, written as people do
  contacts.push_back(PhoneContact(8, "+1 555 999 9999"));  // nobody
  contacts.push_back(PhoneContact(9, kSeedAlicePhone));    // the caller
  absl::StatusOr<tl::Ptr<api::contacts_ImportedContacts>> imported =
      Import(std::move(contacts), alice_context_);
  ASSERT_TRUE(imported.ok()) << imported.status();
  const auto& out = static_cast<const api::contacts_importedContacts&>(**imported);
  ASSERT_EQ(out.imported.size(), 1u);
  const auto& bob = static_cast<const api::importedContact&>(*out.imported[0]);
  EXPECT_EQ(bob.user_id, bob_->id);
  EXPECT_EQ(bob.client_id, 7);
  // Unknown numbers are not imported; retry_contacts is for numbers a limit turned away.
  EXPECT_TRUE(out.retry_contacts.empty());
  ASSERT_EQ(out.users.size(), 1u);
  const auto& user = static_cast<const api::user&>(*out.users[0]);
  EXPECT_EQ(user.id, bob_->id);
  EXPECT_TRUE(user.contact);
  EXPECT_FALSE(user.mutual_contact);
  EXPECT_EQ(user.phone, std::optional<std::string>(kSeedBobPhone));
}

TEST_F(ContactsTest, GetContactsListsThemWithTelegramsHash) {
  absl::StatusOr<tl::Ptr<api::contacts_Contacts>> empty = Contacts(alice_context_);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(static_cast<const api::contacts_contacts&>(**empty).contacts.empty());

  std::vector<tl::Ptr<api::InputContact>> contacts;
  contacts.push_back(PhoneContact(1, kSeedCarolPhone));
  contacts.push_back(PhoneContact(2, kSeedBobPhone));
  ASSERT_TRUE(Import(std::move(contacts), alice_context_).ok());
  absl::StatusOr<tl::Ptr<api::contacts_Contacts>> listed = Contacts(alice_context_);
  ASSERT_TRUE(listed.ok()) << listed.status();
  const auto& list = static_cast<const api::contacts_contacts&>(**listed);
  EXPECT_EQ(list.saved_count, 2);
  ASSERT_EQ(list.contacts.size(), 2u);
  ASSERT_EQ(list.users.size(), 2u);
  std::vector<int64_t> ids;
  for (const auto& contact : list.contacts) {
    ids.push_back(static_cast<const api::contact&>(*contact).user_id);
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids,
            (std::vector<int64_t>{std::min(bob_->id, carol_->id), std::max(bob_->id, carol_->id)}));

  // The hash of what the client has (saved_count, then the sorted ids): nothing new.
  std::vector<int64_t> hashed = {list.saved_count};
  hashed.insert(hashed.end(), ids.begin(), ids.end());
  absl::StatusOr<tl::Ptr<api::contacts_Contacts>> cached =
      Contacts(alice_context_, ClientHash(hashed));
  ASSERT_TRUE(cached.ok()) << cached.status();
  EXPECT_NE(dynamic_cast<const api::contacts_contactsNotModified*>(cached->get()), nullptr);
  // A stale hash gets the list.
  absl::StatusOr<tl::Ptr<api::contacts_Contacts>> stale =
      Contacts(alice_context_, ClientHash(hashed) + 1);
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_NE(dynamic_cast<const api::contacts_contacts*>(stale->get()), nullptr);
}

TEST_F(ContactsTest, ContactsBothWaysAreMutual) {
  std::vector<tl::Ptr<api::InputContact>> bob;
  bob.push_back(PhoneContact(1, kSeedBobPhone));
  ASSERT_TRUE(Import(std::move(bob), alice_context_).ok());
  std::vector<tl::Ptr<api::InputContact>> alice;
  alice.push_back(PhoneContact(1, kSeedAlicePhone));
  absl::StatusOr<tl::Ptr<api::contacts_ImportedContacts>> imported =
      Import(std::move(alice), bob_context_);
  ASSERT_TRUE(imported.ok()) << imported.status();
  const auto& seen_by_bob = static_cast<const api::user&>(
      *static_cast<const api::contacts_importedContacts&>(**imported).users.at(0));
  EXPECT_TRUE(seen_by_bob.contact);
  EXPECT_TRUE(seen_by_bob.mutual_contact);
  absl::StatusOr<tl::Ptr<api::contacts_Contacts>> listed = Contacts(alice_context_);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_TRUE(static_cast<const api::contact&>(
                  *static_cast<const api::contacts_contacts&>(**listed).contacts.at(0))
                  .mutual);

  // Users seen by someone who has not saved them carry neither flag, nor the phone.
  api::users_getUsers get;
  get.id.push_back(InputOf(*alice_));
  CallContext carol = testing::ContextOf(3, carol_->id);
  absl::StatusOr<std::vector<tl::Ptr<api::User>>> users = Call(get, carol);
  ASSERT_TRUE(users.ok()) << users.status();
  const auto& seen_by_carol = static_cast<const api::user&>(*users->at(0));
  EXPECT_FALSE(seen_by_carol.contact);
  EXPECT_FALSE(seen_by_carol.phone.has_value());
}

TEST_F(ContactsTest, DeleteContactsAndDeleteByPhones) {
  std::vector<tl::Ptr<api::InputContact>> contacts;
  contacts.push_back(PhoneContact(1, kSeedBobPhone));
  contacts.push_back(PhoneContact(2, kSeedCarolPhone));
  ASSERT_TRUE(Import(std::move(contacts), alice_context_).ok());

  api::contacts_deleteContacts del;
  del.id.push_back(InputOf(*bob_));
  absl::StatusOr<tl::Ptr<api::Updates>> deleted = Call(del, alice_context_);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  const auto& users = static_cast<const api::updates&>(**deleted).users;
  ASSERT_EQ(users.size(), 1u);
  EXPECT_FALSE(static_cast<const api::user&>(*users[0]).contact);
  del.id.clear();
  auto wrong = InputOf(*bob_);
  static_cast<api::inputUser&>(*wrong).access_hash ^= 1;
  del.id.push_back(std::move(wrong));
  EXPECT_EQ(ErrorOf(Call(del, alice_context_)), "400 USER_ID_INVALID");

  api::contacts_deleteByPhones by_phones;
  by_phones.phones = {"+" + std::string(kSeedCarolPhone)};
  absl::StatusOr<bool> done = Call(by_phones, alice_context_);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_TRUE(*done);
  absl::StatusOr<tl::Ptr<api::contacts_Contacts>> listed = Contacts(alice_context_);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_TRUE(static_cast<const api::contacts_contacts&>(**listed).contacts.empty());
  EXPECT_TRUE(bob_->contact_of.empty());
  EXPECT_TRUE(carol_->contact_of.empty());
}

TEST_F(ContactsTest, NeedsASignedInCaller) {
  CallContext anonymous = testing::ContextOf(9);
  EXPECT_EQ(ErrorOf(Contacts(anonymous)), "401 AUTH_KEY_UNREGISTERED");
}

}  // namespace
}  // namespace tgrpc::fakedc
