// contacts.*: a user's contact list. importContacts adds the registered users among the phone
// numbers given (others are just not imported, as Telegram documents: retry_contacts is for
// numbers its limits turned away, which fakedc has none of), getContacts lists them with
// Telegram's caching hash, deleteContacts / deleteByPhones remove them. Users carry contact and
// mutual_contact as each viewer sees them (MakeUser).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/fakedc/methods.h"
#include "tests/fakedc/phones.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

// getContacts pages nothing: Telegram's hash covers at most this many ids.
constexpr size_t kMaxHashedContacts = 100000;

// Telegram's hash of a list of ids (core.telegram.org/api/offsets, "Hash generation").
int64_t HashIds(const std::vector<int64_t>& ids) {
  uint64_t hash = 0;
  for (int64_t id : ids) {
    hash ^= hash >> 21;
    hash ^= hash << 35;
    hash ^= hash >> 4;
    hash += static_cast<uint64_t>(id);
  }
  return static_cast<int64_t>(hash);
}

std::unique_ptr<api::contacts_contacts> ContactList(World& world, const UserRecord& owner) {
  auto out = std::make_unique<api::contacts_contacts>();
  for (int64_t id : owner.contacts) {
    const UserRecord* user = world.FindUser(id);
    if (user == nullptr) continue;
    auto contact = std::make_unique<api::contact>();
    contact->user_id = id;
    contact->mutual = user->contacts.count(owner.id) != 0;
    out->contacts.push_back(std::move(contact));
    out->users.push_back(MakeUser(*user, owner.id));
  }
  // fakedc keeps only the numbers of registered users, so every saved contact is in the list.
  out->saved_count = static_cast<int32_t>(out->contacts.size());
  return out;
}

// The hash a client that has `list` sends back: saved_count, then the sorted user ids.
int64_t HashOf(const api::contacts_contacts& list) {
  std::vector<int64_t> ids = {list.saved_count};
  for (const auto& contact : list.contacts) {
    if (ids.size() > kMaxHashedContacts) break;
    ids.push_back(static_cast<const api::contact&>(*contact).user_id);
  }
  std::sort(ids.begin() + 1, ids.end());
  return HashIds(ids);
}

}  // namespace

void RegisterContactMethods(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.On<api::contacts_importContacts>(
      [&world](const api::contacts_importContacts& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::contacts_ImportedContacts>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        auto out = std::make_unique<api::contacts_importedContacts>();
        std::set<int64_t> users;
        for (const auto& input : request.contacts) {
          const auto* phone = dynamic_cast<const api::inputPhoneContact*>(input.get());
          if (phone == nullptr) continue;
          const UserRecord* user = world.FindUserByPhone(PhoneDigits(phone->phone));
          if (user == nullptr || user->id == context.user_id) continue;
          world.AddContact(context.user_id, user->id);
          auto imported = std::make_unique<api::importedContact>();
          imported->user_id = user->id;
          imported->client_id = phone->client_id;
          out->imported.push_back(std::move(imported));
          users.insert(user->id);
        }
        for (int64_t id : users)
          out->users.push_back(MakeUser(*world.FindUser(id), context.user_id));
        return tl::Ptr<api::contacts_ImportedContacts>(std::move(out));
      });
  d.On<api::contacts_getContacts>(
      [&world](const api::contacts_getContacts& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::contacts_Contacts>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        std::unique_ptr<api::contacts_contacts> list =
            ContactList(world, *world.FindUser(context.user_id));
        if (request.hash != 0 && request.hash == HashOf(*list)) {
          return tl::Ptr<api::contacts_Contacts>(
              std::make_unique<api::contacts_contactsNotModified>());
        }
        return tl::Ptr<api::contacts_Contacts>(std::move(list));
      });
  // The users removed come back as the caller now sees them (no longer contacts).
  d.On<api::contacts_deleteContacts>(
      [&world](const api::contacts_deleteContacts& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        auto out = std::make_unique<api::updates>();
        out->date = world.Now();
        for (const auto& input : request.id) {
          absl::StatusOr<UserRecord*> user = ResolveInputUser(*input, context, world);
          if (!user.ok()) return user.status();
          if (world.RemoveContact(context.user_id, (*user)->id)) {
            out->users.push_back(MakeUser(**user, context.user_id));
          }
        }
        return tl::Ptr<api::Updates>(std::move(out));
      });
  d.On<api::contacts_deleteByPhones>([&world](const api::contacts_deleteByPhones& request,
                                              CallContext& context) -> absl::StatusOr<bool> {
    if (absl::Status s = RequireUser(context); !s.ok()) return s;
    for (const std::string& phone : request.phones) {
      if (const UserRecord* user = world.FindUserByPhone(PhoneDigits(phone))) {
        world.RemoveContact(context.user_id, user->id);
      }
    }
    return true;
  });
}

}  // namespace tgrpc::fakedc
