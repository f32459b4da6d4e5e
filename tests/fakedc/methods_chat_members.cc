// A member's standing in a channel or basic group: channels.editBanned (ban with view_messages,
// restrict with other rights, lift both with none), channels.editAdmin (promote with rights and a
// rank, demote with none) and messages.editChatAdmin (a basic group's all-or-nothing admins),
// with Telegram's checks: the caller needs ban_users / add_admins (CHAT_ADMIN_REQUIRED), grants
// only rights it holds (RIGHT_FORBIDDEN), and changes neither the creator nor an admin someone
// else promoted (USER_ADMIN_INVALID). Each change goes into the channel's admin log. A ban or
// restriction with an until_date lapses when fakedc's clock reaches it.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "tests/fakedc/chat_rights.h"
#include "tests/fakedc/methods.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

constexpr size_t kMaxRankLength = 16;  // characters of an admin's custom title
// chatBannedRights.until_date: closer than this to now means for good.
constexpr int32_t kMinRestrictionSeconds = 30;

// channelAdminLogEventsFilter's flag bits.
constexpr uint32_t kLogBan = 1u << 3;
constexpr uint32_t kLogUnban = 1u << 4;
constexpr uint32_t kLogPromote = 1u << 7;
constexpr uint32_t kLogDemote = 1u << 8;

// The participant as the log shows it: as recorded, or left.
tl::Ptr<api::ChannelParticipant> LoggedParticipant(const ChannelRecord& channel, int64_t user_id) {
  tl::Ptr<api::ChannelParticipant> out = MakeChannelParticipant(channel, user_id, 0);
  if (out != nullptr) return out;
  auto left = std::make_unique<api::channelParticipantLeft>();
  auto peer = std::make_unique<api::peerUser>();
  peer->user_id = user_id;
  left->peer = std::move(peer);
  return left;
}

size_t CodePoints(const std::string& s) {
  return std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; });
}

}  // namespace

void RegisterChatMemberMethods(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.On<api::channels_editBanned>([&env, &world](const api::channels_editBanned& request,
                                                CallContext& context)
                                     -> absl::StatusOr<tl::Ptr<api::Updates>> {
    absl::StatusOr<ChannelRecord*> found =
        AdministeredChannel(*request.channel, world, context, admin_right::kBanUsers);
    if (!found.ok()) return found.status();
    ChannelRecord& channel = **found;
    absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.participant, context, world);
    if (!peer.ok()) return peer.status();
    if (peer->kind != PeerKind::kUser) return BadRequest("PARTICIPANT_ID_INVALID");
    const int64_t user_id = peer->id;
    if (IsChannelAdmin(channel, user_id)) return BadRequest("USER_ADMIN_INVALID");
    if (request.banned_rights == nullptr) return BadRequest("RIGHTS_NOT_MODIFIED");
    const uint32_t banned = BannedBits(request.banned_rights.get());
    tl::Ptr<api::ChannelParticipant> before = LoggedParticipant(channel, user_id);
    auto log = [&](uint32_t bit) {
      api::channelAdminLogEventActionParticipantToggleBan action;
      action.prev_participant = std::move(before);
      action.new_participant = LoggedParticipant(channel, user_id);
      LogAdminAction(world, channel, context.user_id, bit, action);
    };
    if (banned == 0) {
      // Lifting a ban or a restriction: the user may join again (and is not added back).
      channel.kicked.erase(user_id);
      channel.restricted.erase(user_id);
      log(kLogUnban);
      return tl::Ptr<api::Updates>(ChannelUpdates(world, channel, nullptr, context.user_id, true));
    }
    // Telegram takes an until_date less than 30 seconds ahead as "for good"; a later one lapses
    // when the clock reaches it (ChannelRecord::LiftLapsedRestrictions).
    int32_t until = BannedUntil(request.banned_rights.get());
    if (until != 0 && until < world.Now() + kMinRestrictionSeconds) until = 0;
    channel.restricted[user_id] = {banned, until, context.user_id, world.Now()};
    if ((banned & banned_right::kViewMessages) == 0) {
      // A restriction: the member stays.
      channel.kicked.erase(user_id);
      log(kLogBan);
      return tl::Ptr<api::Updates>(ChannelUpdates(world, channel, nullptr, context.user_id, true));
    }
    channel.kicked.insert(user_id);
    auto member = std::find(channel.members.begin(), channel.members.end(), user_id);
    if (member == channel.members.end()) {
      // Banned before joining: nothing to tell the members.
      log(kLogBan);
      return tl::Ptr<api::Updates>(ChannelUpdates(world, channel, nullptr, context.user_id, true));
    }
    channel.members.erase(member);
    log(kLogBan);
    // A supergroup says who was removed; a broadcast channel does not.
    const MessageRecord* removed = nullptr;
    if (channel.megagroup) {
      removed = &AddChannelService(world, channel, context.user_id,
                                   {ServiceAction::Kind::kChatDeleteUser, "", {user_id}});
    }
    if (removed != nullptr) {
      PushToChannel(env, channel, context.session_id, [&](int64_t viewer) {
        return tl::Ptr<api::Updates>(ChannelUpdates(world, channel, removed, viewer, false));
      });
    }
    // The one removed learns that the channel is gone from their list (it now has `left`).
    env.push(user_id, *ChannelUpdates(world, channel, nullptr, user_id, true), 0);
    return tl::Ptr<api::Updates>(
        ChannelUpdates(world, channel, removed, context.user_id, removed == nullptr));
  });
  d.On<api::channels_editAdmin>([&env, &world](
                                    const api::channels_editAdmin& request,
                                    CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
    absl::StatusOr<ChannelRecord*> found =
        AdministeredChannel(*request.channel, world, context, admin_right::kAddAdmins);
    if (!found.ok()) return found.status();
    ChannelRecord& channel = **found;
    absl::StatusOr<UserRecord*> user = ResolveInputUser(*request.user_id, context, world);
    if (!user.ok()) return user.status();
    const int64_t user_id = (*user)->id;
    if (user_id == channel.creator_id) return BadRequest("USER_ADMIN_INVALID");
    const bool by_creator = context.user_id == channel.creator_id;
    auto existing = channel.admins.find(user_id);
    if (existing != channel.admins.end() && !by_creator &&
        existing->second.promoted_by != context.user_id) {
      return BadRequest("USER_ADMIN_INVALID");
    }
    const uint32_t rights = AdminBits(request.admin_rights.get());
    if (!by_creator && (rights & ~AdminRightsOf(channel, context.user_id)) != 0) {
      return TelegramError(403, "RIGHT_FORBIDDEN");
    }
    const std::string rank = request.rank.value_or("");
    if (CodePoints(rank) > kMaxRankLength) return BadRequest("ADMIN_RANK_INVALID");
    if (!channel.HasMember(user_id)) return BadRequest("USER_NOT_PARTICIPANT");
    tl::Ptr<api::ChannelParticipant> before = LoggedParticipant(channel, user_id);
    uint32_t bit = kLogPromote;
    if (rights == 0) {
      if (existing == channel.admins.end()) return BadRequest("USER_NOT_PARTICIPANT");
      channel.admins.erase(existing);
      bit = kLogDemote;
    } else {
      channel.admins[user_id] = {rights, rank, context.user_id, world.Now()};
      channel.restricted.erase(user_id);
    }
    api::channelAdminLogEventActionParticipantToggleAdmin action;
    action.prev_participant = std::move(before);
    action.new_participant = LoggedParticipant(channel, user_id);
    LogAdminAction(world, channel, context.user_id, bit, action);
    // The one promoted or demoted learns it from the channel object's admin_rights.
    env.push(user_id, *ChannelUpdates(world, channel, nullptr, user_id, true), 0);
    return tl::Ptr<api::Updates>(ChannelUpdates(world, channel, nullptr, context.user_id, true));
  });
  // A basic group's admins hold every right; only the creator makes them.
  d.On<api::messages_editChatAdmin>([&world](const api::messages_editChatAdmin& request,
                                             CallContext& context) -> absl::StatusOr<bool> {
    if (absl::Status s = RequireUser(context); !s.ok()) return s;
    ChatRecord* chat = world.FindChat(request.chat_id);
    if (chat == nullptr || !chat->Knows(context.user_id)) return BadRequest("CHAT_ID_INVALID");
    absl::StatusOr<UserRecord*> user = ResolveInputUser(*request.user_id, context, world);
    if (!user.ok()) return user.status();
    const int64_t user_id = (*user)->id;
    if (context.user_id != chat->creator_id || !chat->HasMember(context.user_id)) {
      return BadRequest("CHAT_ADMIN_REQUIRED");
    }
    if (user_id == chat->creator_id) return BadRequest("USER_ADMIN_INVALID");
    if (!chat->HasMember(user_id)) return BadRequest("USER_NOT_PARTICIPANT");
    if (request.is_admin) {
      chat->admins.insert(user_id);
    } else {
      chat->admins.erase(user_id);
    }
    ++chat->version;
    return true;
  });
}

}  // namespace tgrpc::fakedc
