// contacts.*: a user's contact list. importContacts adds the registered users among the phone
// numbers given (others are just not imported, as Telegram documents: retry_contacts is for
// numbers its limits turned away, which fakedc has none of), getContacts lists them with
// Telegram's caching hash, deleteContacts / deleteByPhones remove them. Users carry contact and
// mutual_contact as each viewer sees them (MakeUser). contacts.block / unblock keep a user's
// blocklist (users only: blocking chats is not emulated); a blocked user cannot write to the one
// who blocked them (CheckNotBlocked, before every private send).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
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

// The user `input` names for contacts.block / unblock: a user other than the caller.
absl::StatusOr<UserRecord*> BlockTarget(const api::InputPeer* input, const CallContext& context,
                                        World& world) {
  if (input == nullptr) return BadRequest("CONTACT_ID_INVALID");
  absl::StatusOr<PeerRef> peer = ResolveInputPeer(*input, context, world);
  if (!peer.ok()) return peer.status();
  if (peer->kind != PeerKind::kUser) return BadRequest("PEER_ID_INVALID");
  if (peer->id == context.user_id) return BadRequest("CONTACT_ID_INVALID");
  return world.FindUser(peer->id);
}

// updatePeerBlocked for the blocker's other sessions, as Telegram sends it.
void PushBlocked(MethodEnv& env, const CallContext& context, const UserRecord& user, bool blocked) {
  auto update = std::make_unique<api::updatePeerBlocked>();
  update->blocked = blocked;
  update->peer_id = MakePeer({PeerKind::kUser, user.id});
  auto updates = std::make_unique<api::updates>();
  updates->updates_.push_back(std::move(update));
  updates->users.push_back(MakeUser(user, context.user_id));
  updates->date = env.world->Now();
  if (env.push) env.push(context.user_id, *updates, context.session_id);
}

}  // namespace

absl::Status CheckNotBlocked(World& world, int64_t sender_id, int64_t recipient_id) {
  const UserRecord* recipient = world.FindUser(recipient_id);
  if (recipient != nullptr && recipient->blocked.count(sender_id) != 0) {
    return BadRequest("USER_IS_BLOCKED");
  }
  const UserRecord* sender = world.FindUser(sender_id);
  if (sender != nullptr && sender->blocked.count(recipient_id) != 0) {
    return BadRequest("YOU_BLOCKED_USER");
  }
  return absl::OkStatus();
}

void RegisterContactMethods(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  // Bool: whether the blocklist changed (my_stories_from's story blocklist is not emulated).
  d.On<api::contacts_block>([&env, &world](const api::contacts_block& request,
                                           CallContext& context) -> absl::StatusOr<bool> {
    if (absl::Status s = RequireUser(context); !s.ok()) return s;
    absl::StatusOr<UserRecord*> user = BlockTarget(request.id.get(), context, world);
    if (!user.ok()) return user.status();
    const bool changed =
        world.FindUser(context.user_id)->blocked.emplace((*user)->id, world.Now()).second;
    if (changed) PushBlocked(env, context, **user, true);
    return changed;
  });
  d.On<api::contacts_unblock>([&env, &world](const api::contacts_unblock& request,
                                             CallContext& context) -> absl::StatusOr<bool> {
    if (absl::Status s = RequireUser(context); !s.ok()) return s;
    absl::StatusOr<UserRecord*> user = BlockTarget(request.id.get(), context, world);
    if (!user.ok()) return user.status();
    const bool changed = world.FindUser(context.user_id)->blocked.erase((*user)->id) != 0;
    if (changed) PushBlocked(env, context, **user, false);
    return changed;
  });
  d.On<api::contacts_getBlocked>(
      [&world](const api::contacts_getBlocked& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::contacts_Blocked>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        const auto& blocked = world.FindUser(context.user_id)->blocked;
        std::vector<std::pair<int64_t, int32_t>> ids(blocked.begin(), blocked.end());
        const size_t from = std::min<size_t>(std::max(request.offset, 0), ids.size());
        const size_t to = std::min<size_t>(from + std::max(request.limit, 0), ids.size());
        auto page = [&](auto& out) {
          for (size_t i = from; i < to; ++i) {
            auto entry = std::make_unique<api::peerBlocked>();
            entry->peer_id = MakePeer({PeerKind::kUser, ids[i].first});
            entry->date = ids[i].second;
            out.blocked.push_back(std::move(entry));
            out.users.push_back(MakeUser(*world.FindUser(ids[i].first), context.user_id));
          }
        };
        if (from == 0 && to == ids.size()) {
          auto out = std::make_unique<api::contacts_blocked>();
          page(*out);
          return tl::Ptr<api::contacts_Blocked>(std::move(out));
        }
        auto out = std::make_unique<api::contacts_blockedSlice>();
        out->count = static_cast<int32_t>(ids.size());
        page(*out);
        return tl::Ptr<api::contacts_Blocked>(std::move(out));
      });
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
