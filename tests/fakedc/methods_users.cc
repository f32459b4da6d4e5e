// users.*, contacts.resolveUsername, account profile changes (which notify other users with
// updateUserName) and photos.getUserPhotos. Telegram's limits: first and last names up to 64
// characters, about up to 70 (140 with Premium), usernames 5-32 of a-z, 0-9 and _ from a letter.
#include <algorithm>
#include <cctype>
#include <set>

#include "tests/fakedc/methods.h"
#include "tests/fakedc/photos.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

// Characters (Unicode code points) of UTF-8 `text`.
size_t Characters(const std::string& text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

bool ValidUsername(const std::string& name) {
  if (name.size() < 5 || name.size() > 32) return false;
  if (!std::isalpha(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// updateUserName for everyone who has the user in a chat (here: every other signed-in user
// that shares a channel with them, and the user's own other sessions).
void NotifyNameChange(MethodEnv& env, const UserRecord& user, const CallContext& context) {
  auto update = std::make_unique<api::updateUserName>();
  update->user_id = user.id;
  update->first_name = user.first_name;
  update->last_name = user.last_name;
  if (!user.username.empty()) {
    auto username = std::make_unique<api::username>();
    username->active = true;
    username->username_ = user.username;
    update->usernames.push_back(std::move(username));
  }
  auto updates = std::make_unique<api::updates>();
  updates->updates_.push_back(std::move(update));
  updates->users.push_back(MakeUser(user, 0));
  updates->date = env.world->Now();
  std::set<int64_t> audience = {user.id};
  for (auto& [id, channel] : env.world->channels()) {
    if (std::find(channel.members.begin(), channel.members.end(), user.id) ==
        channel.members.end()) {
      continue;
    }
    if (channel.members.size() > 1000) continue;  // big channels do not fan out name changes
    audience.insert(channel.members.begin(), channel.members.end());
  }
  for (int64_t member : audience) env.push(member, *updates, context.session_id);
}

}  // namespace

void RegisterUserMethods(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.On<api::users_getUsers>(
      [&world](const api::users_getUsers& request,
               CallContext& context) -> absl::StatusOr<std::vector<tl::Ptr<api::User>>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        std::vector<tl::Ptr<api::User>> out;
        for (const auto& input : request.id) {
          absl::StatusOr<UserRecord*> user = ResolveInputUser(*input, context, world);
          if (user.ok() && *user != nullptr) out.push_back(MakeUser(**user, context.user_id));
        }
        return out;
      });
  d.On<api::users_getFullUser>(
      [&env, &world](const api::users_getFullUser& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::users_UserFull>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<UserRecord*> user = ResolveInputUser(*request.id, context, world);
        if (!user.ok()) return user.status();
        std::vector<std::pair<std::string, tl::Value>> fields = {
            {"id", tl::Value::Long((*user)->id)}, {"common_chats_count", tl::Value::Int(0)}};
        if (!(*user)->about.empty()) fields.emplace_back("about", tl::Value::Bytes((*user)->about));
        if (world.FindUser(context.user_id)->blocked.count((*user)->id) != 0) {
          fields.emplace_back("blocked", tl::Value::Bool(true));
        }
        absl::StatusOr<tl::Value> full = env.builder->Build("userFull", std::move(fields));
        if (!full.ok()) return full.status();
        absl::StatusOr<tl::Value> self = env.builder->ToValue(*MakeUser(**user, context.user_id));
        if (!self.ok()) return self.status();
        return env.builder->Make<api::users_UserFull>(
            "users.userFull", {{"full_user", *std::move(full)},
                               {"chats", tl::Value::Vector({})},
                               {"users", tl::Value::Vector({*std::move(self)})}});
      });
  d.On<api::contacts_resolveUsername>(
      [&world](const api::contacts_resolveUsername& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::contacts_ResolvedPeer>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        auto out = std::make_unique<api::contacts_resolvedPeer>();
        if (const UserRecord* user = world.FindUserByUsername(request.username)) {
          out->peer = MakePeer({PeerKind::kUser, user->id});
          out->users.push_back(MakeUser(*user, context.user_id));
        } else if (const ChannelRecord* channel = world.FindChannelByUsername(request.username)) {
          out->peer = MakePeer({PeerKind::kChannel, channel->id});
          out->chats.push_back(MakeChannel(*channel, context.user_id));
        } else {
          return BadRequest("USERNAME_NOT_OCCUPIED");
        }
        return tl::Ptr<api::contacts_ResolvedPeer>(std::move(out));
      });
  d.On<api::account_updateProfile>(
      [&env, &world](const api::account_updateProfile& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::User>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        UserRecord* user = world.FindUser(context.user_id);
        if (request.first_name.has_value()) {
          if (request.first_name->empty() || Characters(*request.first_name) > 64) {
            return BadRequest("FIRSTNAME_INVALID");
          }
        }
        if (request.last_name.has_value() && Characters(*request.last_name) > 64) {
          return BadRequest("LASTNAME_INVALID");
        }
        if (request.about.has_value() && Characters(*request.about) > (user->premium ? 140 : 70)) {
          return BadRequest("ABOUT_TOO_LONG");
        }
        // Checked first, changed after: a refused call changes nothing.
        if (request.first_name.has_value()) user->first_name = *request.first_name;
        if (request.last_name.has_value()) user->last_name = *request.last_name;
        if (request.about.has_value()) user->about = *request.about;
        NotifyNameChange(env, *user, context);
        return MakeUser(*user, context.user_id);
      });
  d.On<api::account_updateUsername>(
      [&env, &world](const api::account_updateUsername& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::User>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        UserRecord* user = world.FindUser(context.user_id);
        if (request.username.empty() && user->username.empty()) {
          return BadRequest("USERNAME_NOT_MODIFIED");
        }
        if (!request.username.empty()) {
          if (!ValidUsername(request.username)) return BadRequest("USERNAME_INVALID");
          const UserRecord* owner = world.FindUserByUsername(request.username);
          if ((owner != nullptr && owner->id != user->id) ||
              world.FindChannelByUsername(request.username) != nullptr) {
            return BadRequest("USERNAME_OCCUPIED");
          }
          if (owner != nullptr && owner->username == request.username) {
            return BadRequest("USERNAME_NOT_MODIFIED");
          }
        }
        user->username = request.username;
        NotifyNameChange(env, *user, context);
        return MakeUser(*user, context.user_id);
      });
  // Newest first. max_id > 0 starts after that photo (offset -1 with limit 1 gives the photo
  // itself, for a new file reference); photos.photos when the answer is the whole list.
  d.On<api::photos_getUserPhotos>(
      [&world](const api::photos_getUserPhotos& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::photos_Photos>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        if (request.user_id == nullptr) return BadRequest("USER_ID_INVALID");
        absl::StatusOr<UserRecord*> user = ResolveInputUser(*request.user_id, context, world);
        if (!user.ok()) return user.status();
        if (request.limit < 0 || request.offset < -1) return BadRequest("LIMIT_INVALID");
        const std::vector<int64_t>& all = (*user)->profile_photos;
        const int64_t total = static_cast<int64_t>(all.size());
        int64_t start = 0;
        if (request.max_id > 0) {
          while (start < total && all[start] >= request.max_id) ++start;
        }
        start = std::clamp<int64_t>(start + request.offset, 0, total);
        const int64_t end = std::min<int64_t>(start + std::min(request.limit, 100), total);
        std::vector<tl::Ptr<api::Photo>> photos;
        for (int64_t i = start; i < end; ++i) photos.push_back(MakePhoto(world, all[i]));
        std::vector<tl::Ptr<api::User>> users;
        users.push_back(MakeUser(**user, context.user_id));
        if (start == 0 && end == total) {
          auto out = std::make_unique<api::photos_photos>();
          out->photos = std::move(photos);
          out->users = std::move(users);
          return tl::Ptr<api::photos_Photos>(std::move(out));
        }
        auto out = std::make_unique<api::photos_photosSlice>();
        out->count = static_cast<int32_t>(total);
        out->photos = std::move(photos);
        out->users = std::move(users);
        return tl::Ptr<api::photos_Photos>(std::move(out));
      });
}

}  // namespace tgrpc::fakedc
