// Invite links of supergroups, channels and basic groups, and join requests of supergroups and
// channels: messages.exportChatInvite, getExportedChatInvites, editExportedChatInvite (revoke),
// importChatInvite (with Telegram's INVITE_HASH_INVALID; INVITE_HASH_EXPIRED past the expiry or
// after a revocation; USERS_TOO_MUCH once the link's usage limit is reached or a basic group is
// full; INVITE_REQUEST_SENT for a link that needs approval), getChatInviteImporters (requested),
// checkChatInvite (chatInvite, or chatInviteAlready for members), and hideChatJoinRequest /
// hideAllChatJoinRequests. A channel's admins with invite_users, and a basic group's creator and
// admins, manage them. Not emulated: the permanent link, chatInvitePeek, and links that need
// approval in basic groups.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/fakedc/chat_rights.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/photos.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

constexpr uint32_t kLogInvites = 1u << 15;  // channelAdminLogEventsFilter.invites
constexpr uint32_t kLogJoin = 1u << 0;      // channelAdminLogEventsFilter.join

// The chat a link belongs to: a channel or a basic group (one of the two is set).
struct LinkOwner {
  ChannelRecord* channel = nullptr;
  ChatRecord* chat = nullptr;

  std::vector<InviteRecord>& invites() const {
    return channel != nullptr ? channel->invites : chat->invites;
  }
  int64_t creator_id() const { return channel != nullptr ? channel->creator_id : chat->creator_id; }
  // The join requests through the link `hash` (a basic group has none).
  int32_t Requests(const std::string& hash) const {
    if (channel == nullptr) return 0;
    return static_cast<int32_t>(
        std::count_if(channel->join_requests.begin(), channel->join_requests.end(),
                      [&](const JoinRequestRecord& r) { return r.hash == hash; }));
  }
};

tl::Ptr<api::ExportedChatInvite> MakeInvite(const LinkOwner& owner, const InviteRecord& invite) {
  auto out = std::make_unique<api::chatInviteExported>();
  out->link = "https://t.me/+" + invite.hash;
  out->admin_id = invite.admin_id;
  out->date = invite.date;
  out->revoked = invite.revoked;
  out->request_needed = invite.request_needed;
  if (invite.expire_date != 0) out->expire_date = invite.expire_date;
  if (invite.usage_limit != 0) out->usage_limit = invite.usage_limit;
  if (invite.usage != 0) out->usage = invite.usage;
  if (!invite.title.empty()) out->title = invite.title;
  if (const int32_t requested = owner.Requests(invite.hash); requested != 0) {
    out->requested = requested;
  }
  return out;
}
tl::Ptr<api::ExportedChatInvite> MakeInvite(ChannelRecord& channel, const InviteRecord& invite) {
  return MakeInvite(LinkOwner{&channel, nullptr}, invite);
}

// The channel or basic group an invite call's peer names, for a caller who manages its links: a
// channel's admin with invite_users, a basic group's creator or admin (CHAT_ADMIN_REQUIRED).
absl::StatusOr<LinkOwner> InvitingOwner(const api::InputPeer& input, World& world,
                                        const CallContext& context) {
  if (absl::Status s = RequireUser(context); !s.ok()) return s;
  absl::StatusOr<PeerRef> peer = ResolveInputPeer(input, context, world);
  if (!peer.ok()) return peer.status();
  if (peer->kind == PeerKind::kChat) {
    ChatRecord* chat = world.FindChat(peer->id);
    if (chat == nullptr || !chat->Knows(context.user_id)) return BadRequest("CHAT_ID_INVALID");
    if (!chat->HasMember(context.user_id) ||
        (chat->creator_id != context.user_id && chat->admins.count(context.user_id) == 0)) {
      return BadRequest("CHAT_ADMIN_REQUIRED");
    }
    return LinkOwner{nullptr, chat};
  }
  if (peer->kind != PeerKind::kChannel) return BadRequest("PEER_ID_INVALID");
  ChannelRecord* channel = world.FindChannel(peer->id);
  if (channel == nullptr) return BadRequest("CHANNEL_INVALID");
  auto in = std::make_unique<api::inputChannel>();
  in->channel_id = channel->id;
  in->access_hash = channel->access_hash;
  absl::StatusOr<ChannelRecord*> administered =
      AdministeredChannel(*in, world, context, admin_right::kInviteUsers);
  if (!administered.ok()) return administered.status();
  return LinkOwner{*administered, nullptr};
}

// The channel of a join-request call (basic groups have no requests: PEER_ID_INVALID).
absl::StatusOr<ChannelRecord*> InvitingChannel(const api::InputPeer& input, World& world,
                                               const CallContext& context) {
  absl::StatusOr<LinkOwner> owner = InvitingOwner(input, world, context);
  if (!owner.ok()) return owner.status();
  if (owner->channel == nullptr) return BadRequest("PEER_ID_INVALID");
  return owner->channel;
}

// "https://t.me/+HASH" (or t.me/joinchat/HASH, or the hash) to the hash.
std::string HashOf(const std::string& link) {
  const size_t cut = link.find_last_of("/+");
  return cut == std::string::npos ? link : link.substr(cut + 1);
}

InviteRecord* FindInvite(std::vector<InviteRecord>& invites, const std::string& hash) {
  for (InviteRecord& invite : invites) {
    if (invite.hash == hash) return &invite;
  }
  return nullptr;
}
InviteRecord* FindInvite(ChannelRecord& channel, const std::string& hash) {
  return FindInvite(channel.invites, hash);
}

// The channel or basic group and the invite of an invite hash (or link), as importChatInvite and
// checkChatInvite find it: INVITE_HASH_INVALID if none has it, INVITE_HASH_EXPIRED past its
// expiry or revoked, USERS_TOO_MUCH (Telegram's answer) once its usage limit is reached.
absl::StatusOr<std::pair<LinkOwner, InviteRecord*>> UsableInvite(World& world,
                                                                 const std::string& link) {
  const std::string hash = HashOf(link);
  LinkOwner owner;
  InviteRecord* invite = nullptr;
  for (auto& [id, c] : world.channels()) {
    if (InviteRecord* found = FindInvite(c, hash)) owner.channel = &c, invite = found;
  }
  for (auto& [id, c] : world.chats()) {
    if (InviteRecord* found = FindInvite(c.invites, hash)) owner.chat = &c, invite = found;
  }
  if (invite == nullptr) return BadRequest("INVITE_HASH_INVALID");
  if (invite->revoked || (invite->expire_date != 0 && world.Now() >= invite->expire_date)) {
    return BadRequest("INVITE_HASH_EXPIRED");
  }
  if (invite->usage_limit != 0 && invite->usage >= invite->usage_limit) {
    return BadRequest("USERS_TOO_MUCH");
  }
  return std::make_pair(owner, invite);
}

// Adds `user_id` to the channel, as channels.joinChannel does; the answer for `user_id`.
tl::Ptr<api::Updates> AddMember(MethodEnv& env, ChannelRecord& channel, int64_t user_id,
                                uint64_t except_session) {
  World& world = *env.world;
  channel.members.push_back(user_id);
  const MessageRecord* joined = nullptr;
  if (channel.megagroup) {
    joined = &AddChannelService(world, channel, user_id,
                                {ServiceAction::Kind::kChatAddUser, "", {user_id}});
  }
  PushToChannel(env, channel, except_session, [&](int64_t viewer) -> tl::Ptr<api::Updates> {
    const bool self = viewer == user_id;
    if (!self && joined == nullptr) return nullptr;
    return ChannelUpdates(world, channel, joined, viewer, self);
  });
  return ChannelUpdates(world, channel, joined, user_id, true);
}

// Approves (adds) or declines the requests `which` selects; the updates for the caller.
absl::StatusOr<tl::Ptr<api::Updates>> HideRequests(
    MethodEnv& env, ChannelRecord& channel, const CallContext& context, bool approved,
    const std::function<bool(const JoinRequestRecord&)>& which) {
  World& world = *env.world;
  std::vector<JoinRequestRecord> chosen;
  auto& requests = channel.join_requests;
  for (auto it = requests.begin(); it != requests.end();) {
    if (which(*it)) {
      chosen.push_back(*it);
      it = requests.erase(it);
    } else {
      ++it;
    }
  }
  if (approved) {
    for (const JoinRequestRecord& r : chosen) {
      if (channel.HasMember(r.user_id)) continue;
      AddMember(env, channel, r.user_id, 0);
      if (InviteRecord* invite = FindInvite(channel, r.hash)) {
        ++invite->usage;
        api::channelAdminLogEventActionParticipantJoinByRequest action;
        action.invite = MakeInvite(channel, *invite);
        action.approved_by = context.user_id;
        LogAdminAction(world, channel, r.user_id, kLogJoin, action);
      }
    }
  }
  return tl::Ptr<api::Updates>(ChannelUpdates(world, channel, nullptr, context.user_id, true));
}

}  // namespace

void RegisterChatInviteMethods(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.On<api::messages_exportChatInvite>(
      [&world](const api::messages_exportChatInvite& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::ExportedChatInvite>> {
        absl::StatusOr<LinkOwner> found = InvitingOwner(*request.peer, world, context);
        if (!found.ok()) return found.status();
        const LinkOwner& owner = *found;
        // Not emulated: join requests of basic groups.
        if (owner.chat != nullptr && request.request_needed) {
          return BadRequest("INPUT_METHOD_INVALID");
        }
        const int64_t chat_id = owner.channel != nullptr ? owner.channel->id : owner.chat->id;
        InviteRecord invite;
        invite.hash = absl::StrCat("Fk", chat_id % 100000, "x", owner.invites().size() + 1, "L",
                                   world.Now() % 1000);
        invite.admin_id = context.user_id;
        invite.date = world.Now();
        invite.expire_date = request.expire_date.value_or(0);
        if (invite.expire_date != 0 && invite.expire_date <= invite.date) {
          return BadRequest("EXPIRE_DATE_INVALID");
        }
        invite.usage_limit = request.usage_limit.value_or(0);
        if (invite.usage_limit < 0 || invite.usage_limit > 99999) {
          return BadRequest("USAGE_LIMIT_INVALID");
        }
        invite.request_needed = request.request_needed;
        invite.title = request.title.value_or("");
        owner.invites().push_back(invite);
        return MakeInvite(owner, invite);
      });
  d.On<api::messages_getExportedChatInvites>(
      [&world](const api::messages_getExportedChatInvites& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_ExportedChatInvites>> {
        absl::StatusOr<LinkOwner> found = InvitingOwner(*request.peer, world, context);
        if (!found.ok()) return found.status();
        const LinkOwner& owner = *found;
        absl::StatusOr<UserRecord*> admin = ResolveInputUser(*request.admin_id, context, world);
        if (!admin.ok()) return admin.status();
        auto out = std::make_unique<api::messages_exportedChatInvites>();
        // Newest first, after offset_link when one is given.
        bool past_offset = !request.offset_link.has_value() || request.offset_link->empty();
        const int limit = std::clamp(request.limit, 1, 100);
        std::vector<InviteRecord>& invites = owner.invites();
        for (auto it = invites.rbegin(); it != invites.rend(); ++it) {
          if (it->admin_id != (*admin)->id || it->revoked != request.revoked) continue;
          ++out->count;
          if (!past_offset) {
            past_offset = "https://t.me/+" + it->hash == *request.offset_link;
            continue;
          }
          if (static_cast<int>(out->invites.size()) < limit) {
            out->invites.push_back(MakeInvite(owner, *it));
          }
        }
        out->users.push_back(MakeUser(**admin, context.user_id));
        return tl::Ptr<api::messages_ExportedChatInvites>(std::move(out));
      });
  d.On<api::messages_editExportedChatInvite>(
      [&world](const api::messages_editExportedChatInvite& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_ExportedChatInvite>> {
        absl::StatusOr<LinkOwner> found = InvitingOwner(*request.peer, world, context);
        if (!found.ok()) return found.status();
        const LinkOwner& owner = *found;
        InviteRecord* invite = FindInvite(owner.invites(), HashOf(request.link));
        if (invite == nullptr) return BadRequest("INVITE_HASH_INVALID");
        if (invite->admin_id != context.user_id && context.user_id != owner.creator_id()) {
          return BadRequest("CHAT_ADMIN_REQUIRED");
        }
        if (request.revoked) {
          if (invite->revoked) return BadRequest("INVITE_REVOKED_MISSING");
          invite->revoked = true;
          if (owner.channel != nullptr) {
            api::channelAdminLogEventActionExportedInviteRevoke action;
            action.invite = MakeInvite(owner, *invite);
            LogAdminAction(world, *owner.channel, context.user_id, kLogInvites, action);
          }
        } else {
          if (request.expire_date.has_value()) invite->expire_date = *request.expire_date;
          if (request.usage_limit.has_value()) invite->usage_limit = *request.usage_limit;
          if (request.request_needed.has_value()) invite->request_needed = *request.request_needed;
          if (request.title.has_value()) invite->title = *request.title;
        }
        auto out = std::make_unique<api::messages_exportedChatInvite>();
        out->invite = MakeInvite(owner, *invite);
        if (const UserRecord* admin = world.FindUser(invite->admin_id)) {
          out->users.push_back(MakeUser(*admin, context.user_id));
        }
        return tl::Ptr<api::messages_ExportedChatInvite>(std::move(out));
      });
  d.On<api::messages_importChatInvite>(
      [&env, &world](
          const api::messages_importChatInvite& request,
          CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_ChatInviteJoinResult>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<std::pair<LinkOwner, InviteRecord*>> found =
            UsableInvite(world, request.hash);
        if (!found.ok()) return found.status();
        const auto [owner, invite] = *found;
        const std::string hash = invite->hash;
        auto out = std::make_unique<api::messages_chatInviteJoinResultOk>();
        if (owner.chat != nullptr) {
          if (owner.chat->HasMember(context.user_id)) return BadRequest("USER_ALREADY_PARTICIPANT");
          absl::StatusOr<tl::Ptr<api::Updates>> joined =
              JoinChatByLink(env, context, *owner.chat, invite->admin_id);
          if (!joined.ok()) return joined.status();
          ++invite->usage;
          out->updates = *std::move(joined);
          return tl::Ptr<api::messages_ChatInviteJoinResult>(std::move(out));
        }
        // Found again through the World, so that a lapsed ban is lifted first.
        ChannelRecord* channel = world.FindChannel(owner.channel->id);
        if (channel->HasMember(context.user_id)) return BadRequest("USER_ALREADY_PARTICIPANT");
        if (channel->kicked.count(context.user_id) != 0) {
          return BadRequest("USER_BANNED_IN_CHANNEL");
        }
        if (invite->request_needed) {
          auto& requests = channel->join_requests;
          if (std::none_of(requests.begin(), requests.end(), [&](const JoinRequestRecord& r) {
                return r.user_id == context.user_id;
              })) {
            requests.push_back({context.user_id, world.Now(), hash});
          }
          return BadRequest("INVITE_REQUEST_SENT");
        }
        ++invite->usage;
        api::channelAdminLogEventActionParticipantJoinByInvite action;
        action.invite = MakeInvite(*channel, *invite);
        LogAdminAction(world, *channel, context.user_id, kLogJoin, action);
        out->updates = AddMember(env, *channel, context.user_id, context.session_id);
        return tl::Ptr<api::messages_ChatInviteJoinResult>(std::move(out));
      });
  // What a link shows before joining: the chat itself to its members (chatInviteAlready), else
  // its title, kind, member count and whether joining needs approval (chatInvite).
  d.On<api::messages_checkChatInvite>(
      [&world](const api::messages_checkChatInvite& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::ChatInvite>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<std::pair<LinkOwner, InviteRecord*>> found =
            UsableInvite(world, request.hash);
        if (!found.ok()) return found.status();
        const auto [owner, invite] = *found;
        const ChannelRecord* channel = owner.channel;
        const ChatRecord* chat = owner.chat;
        if (channel != nullptr ? channel->HasMember(context.user_id)
                               : chat->HasMember(context.user_id)) {
          auto out = std::make_unique<api::chatInviteAlready>();
          out->chat = channel != nullptr ? MakeChannel(*channel, context.user_id)
                                         : MakeChat(*chat, context.user_id);
          return tl::Ptr<api::ChatInvite>(std::move(out));
        }
        auto out = std::make_unique<api::chatInvite>();
        out->request_needed = invite->request_needed;
        if (channel != nullptr) {
          out->channel = true;
          out->broadcast = !channel->megagroup;
          out->megagroup = channel->megagroup;
          out->public_ = !channel->username.empty();
          out->title = channel->title;
          if (!channel->about.empty()) out->about = channel->about;
          out->photo = MakePhoto(world, channel->photo.id);
          out->participants_count = static_cast<int32_t>(channel->members.size());
        } else {
          out->title = chat->title;
          if (!chat->about.empty()) out->about = chat->about;
          out->photo = MakePhoto(world, chat->photo.id);
          out->participants_count = static_cast<int32_t>(chat->participants.size());
        }
        return tl::Ptr<api::ChatInvite>(std::move(out));
      });
  d.On<api::messages_getChatInviteImporters>(
      [&world](const api::messages_getChatInviteImporters& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_ChatInviteImporters>> {
        absl::StatusOr<ChannelRecord*> found = InvitingChannel(*request.peer, world, context);
        if (!found.ok()) return found.status();
        ChannelRecord& channel = **found;
        if (!request.requested) return BadRequest("INPUT_METHOD_INVALID");  // not emulated
        const std::string link = request.link.has_value() ? HashOf(*request.link) : "";
        auto out = std::make_unique<api::messages_chatInviteImporters>();
        const int limit = std::clamp(request.limit, 1, 100);
        // Newest first; offset_date: older than it.
        for (auto it = channel.join_requests.rbegin(); it != channel.join_requests.rend(); ++it) {
          if (!link.empty() && it->hash != link) continue;
          ++out->count;
          if (request.offset_date != 0 && it->date >= request.offset_date) continue;
          if (static_cast<int>(out->importers.size()) >= limit) continue;
          auto importer = std::make_unique<api::chatInviteImporter>();
          importer->requested = true;
          importer->user_id = it->user_id;
          importer->date = it->date;
          out->importers.push_back(std::move(importer));
          if (const UserRecord* user = world.FindUser(it->user_id)) {
            out->users.push_back(MakeUser(*user, context.user_id));
          }
        }
        return tl::Ptr<api::messages_ChatInviteImporters>(std::move(out));
      });
  d.On<api::messages_hideChatJoinRequest>(
      [&env, &world](const api::messages_hideChatJoinRequest& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        absl::StatusOr<ChannelRecord*> found = InvitingChannel(*request.peer, world, context);
        if (!found.ok()) return found.status();
        absl::StatusOr<UserRecord*> user = ResolveInputUser(*request.user_id, context, world);
        if (!user.ok()) return user.status();
        const int64_t user_id = (*user)->id;
        const auto& requests = (*found)->join_requests;
        if (std::none_of(requests.begin(), requests.end(),
                         [&](const JoinRequestRecord& r) { return r.user_id == user_id; })) {
          return BadRequest("HIDE_REQUESTER_MISSING");
        }
        return HideRequests(env, **found, context, request.approved,
                            [&](const JoinRequestRecord& r) { return r.user_id == user_id; });
      });
  d.On<api::messages_hideAllChatJoinRequests>(
      [&env, &world](const api::messages_hideAllChatJoinRequests& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        absl::StatusOr<ChannelRecord*> found = InvitingChannel(*request.peer, world, context);
        if (!found.ok()) return found.status();
        const std::string link = request.link.has_value() ? HashOf(*request.link) : "";
        return HideRequests(
            env, **found, context, request.approved,
            [&](const JoinRequestRecord& r) { return link.empty() || r.hash == link; });
      });
}

}  // namespace tgrpc::fakedc
