// A group's or channel's settings: messages.editChatAbout, messages.editChatDefaultBannedRights,
// channels.toggleSlowMode, channels.toggleSignatures and channels.toggleForum, each for admins
// with the right Telegram asks (change_info; ban_users for permissions and slow mode; a basic
// group's creator or admins), each logged in a channel's admin log; and channels.getAdminLog,
// which reads that log (its events_filter, admins and q honoured).
#include <algorithm>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/fakedc/chat_rights.h"
#include "tests/fakedc/methods.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

constexpr size_t kMaxAboutLength = 255;
constexpr int32_t kSlowModeSeconds[] = {0, 10, 30, 60, 300, 900, 3600};

// channelAdminLogEventsFilter's flag bits.
constexpr uint32_t kLogInfo = 1u << 9;
constexpr uint32_t kLogSettings = 1u << 10;
constexpr uint32_t kLogForums = 1u << 17;

// channelAdminLogEventsFilter's flags as the bits AdminLogRecord::filter_bit is one of.
uint32_t FilterBits(const api::channelAdminLogEventsFilter& filter) {
  const bool flags[] = {filter.join,   filter.leave,   filter.invite,     filter.ban,
                        filter.unban,  filter.kick,    filter.unkick,     filter.promote,
                        filter.demote, filter.info,    filter.settings,   filter.pinned,
                        filter.edit,   filter.delete_, filter.group_call, filter.invites,
                        filter.send,   filter.forums,  filter.sub_extend, filter.edit_rank};
  uint32_t bits = 0;
  for (size_t i = 0; i < std::size(flags); ++i) {
    if (flags[i]) bits |= 1u << i;
  }
  return bits;
}

// The user a participant record names, or 0.
int64_t ParticipantUser(const api::ChannelParticipant* participant) {
  const api::Peer* peer = nullptr;
  if (const auto* p = dynamic_cast<const api::channelParticipant*>(participant)) return p->user_id;
  if (const auto* p = dynamic_cast<const api::channelParticipantSelf*>(participant)) {
    return p->user_id;
  }
  if (const auto* p = dynamic_cast<const api::channelParticipantCreator*>(participant)) {
    return p->user_id;
  }
  if (const auto* p = dynamic_cast<const api::channelParticipantAdmin*>(participant)) {
    return p->user_id;
  }
  if (const auto* p = dynamic_cast<const api::channelParticipantBanned*>(participant)) {
    peer = p->peer.get();
  }
  if (const auto* p = dynamic_cast<const api::channelParticipantLeft*>(participant)) {
    peer = p->peer.get();
  }
  const auto* user = dynamic_cast<const api::peerUser*>(peer);
  return user != nullptr ? user->user_id : 0;
}

// Whether an admin log entry matches channels.getAdminLog's q (empty: every entry): a
// case-insensitive part of the acting user's or the concerned member's name or username, or of
// a text the action carries (a title, an about text, an invite link or its title).
bool AdminLogMatches(World& world, int64_t actor, const api::ChannelAdminLogEventAction& action,
                     const std::string& q) {
  if (q.empty()) return true;
  std::vector<std::string> texts;
  std::vector<int64_t> users = {actor};
  auto add_invite = [&](const api::ExportedChatInvite* invite) {
    if (const auto* i = dynamic_cast<const api::chatInviteExported*>(invite)) {
      texts.push_back(i->link);
      texts.push_back(i->title.value_or(""));
    }
  };
  if (const auto* a = dynamic_cast<const api::channelAdminLogEventActionChangeTitle*>(&action)) {
    texts = {a->prev_value, a->new_value};
  } else if (const auto* a =
                 dynamic_cast<const api::channelAdminLogEventActionChangeAbout*>(&action)) {
    texts = {a->prev_value, a->new_value};
  } else if (const auto* a =
                 dynamic_cast<const api::channelAdminLogEventActionParticipantToggleBan*>(
                     &action)) {
    users.push_back(ParticipantUser(a->new_participant.get()));
  } else if (const auto* a =
                 dynamic_cast<const api::channelAdminLogEventActionParticipantToggleAdmin*>(
                     &action)) {
    users.push_back(ParticipantUser(a->new_participant.get()));
  } else if (const auto* a =
                 dynamic_cast<const api::channelAdminLogEventActionParticipantJoinByInvite*>(
                     &action)) {
    add_invite(a->invite.get());
  } else if (const auto* a =
                 dynamic_cast<const api::channelAdminLogEventActionParticipantJoinByRequest*>(
                     &action)) {
    add_invite(a->invite.get());
  } else if (const auto* a =
                 dynamic_cast<const api::channelAdminLogEventActionExportedInviteRevoke*>(
                     &action)) {
    add_invite(a->invite.get());
  }
  for (int64_t id : users) {
    if (const UserRecord* user = world.FindUser(id)) {
      texts.push_back(absl::StrCat(user->first_name, " ", user->last_name));
      texts.push_back(user->username);
    }
  }
  const std::string needle = absl::AsciiStrToLower(q);
  return std::any_of(texts.begin(), texts.end(), [&](const std::string& text) {
    return absl::StrContains(absl::AsciiStrToLower(text), needle);
  });
}

size_t CodePoints(const std::string& s) {
  return std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; });
}

// A basic group the caller administers: its creator or an admin (CHAT_ADMIN_REQUIRED).
absl::StatusOr<ChatRecord*> AdministeredChat(World& world, int64_t chat_id,
                                             const CallContext& context) {
  ChatRecord* chat = world.FindChat(chat_id);
  if (chat == nullptr || !chat->Knows(context.user_id)) return BadRequest("CHAT_ID_INVALID");
  if (!chat->HasMember(context.user_id) ||
      (chat->creator_id != context.user_id && chat->admins.count(context.user_id) == 0)) {
    return BadRequest("CHAT_ADMIN_REQUIRED");
  }
  return chat;
}

// The channel an InputPeer names, as AdministeredChannel checks it.
absl::StatusOr<ChannelRecord*> AdministeredChannelPeer(const PeerRef& peer, World& world,
                                                       const CallContext& context, uint32_t right) {
  ChannelRecord* channel = world.FindChannel(peer.id);
  if (channel == nullptr) return BadRequest("CHANNEL_INVALID");
  auto input = std::make_unique<api::inputChannel>();
  input->channel_id = channel->id;
  input->access_hash = channel->access_hash;
  return AdministeredChannel(*input, world, context, right);
}

tl::Ptr<api::Updates> ChannelChanged(MethodEnv& env, ChannelRecord& channel,
                                     const CallContext& context) {
  World& world = *env.world;
  PushToChannel(env, channel, context.session_id, [&](int64_t viewer) {
    return tl::Ptr<api::Updates>(ChannelUpdates(world, channel, nullptr, viewer, true));
  });
  return ChannelUpdates(world, channel, nullptr, context.user_id, true);
}

}  // namespace

void RegisterChatSettingsMethods(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.On<api::messages_editChatAbout>([&world](const api::messages_editChatAbout& request,
                                             CallContext& context) -> absl::StatusOr<bool> {
    if (absl::Status s = RequireUser(context); !s.ok()) return s;
    absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
    if (!peer.ok()) return peer.status();
    if (CodePoints(request.about) > kMaxAboutLength) return BadRequest("CHAT_ABOUT_TOO_LONG");
    if (peer->kind == PeerKind::kChat) {
      absl::StatusOr<ChatRecord*> chat = AdministeredChat(world, peer->id, context);
      if (!chat.ok()) return chat.status();
      if ((*chat)->about == request.about) return BadRequest("CHAT_ABOUT_NOT_MODIFIED");
      (*chat)->about = request.about;
      return true;
    }
    if (peer->kind != PeerKind::kChannel) return BadRequest("PEER_ID_INVALID");
    absl::StatusOr<ChannelRecord*> channel =
        AdministeredChannelPeer(*peer, world, context, admin_right::kChangeInfo);
    if (!channel.ok()) return channel.status();
    if ((*channel)->about == request.about) return BadRequest("CHAT_ABOUT_NOT_MODIFIED");
    api::channelAdminLogEventActionChangeAbout action;
    action.prev_value = (*channel)->about;
    action.new_value = request.about;
    (*channel)->about = request.about;
    LogAdminAction(world, **channel, context.user_id, kLogInfo, action);
    return true;
  });
  d.On<api::messages_editChatDefaultBannedRights>(
      [&env, &world](const api::messages_editChatDefaultBannedRights& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
        if (!peer.ok()) return peer.status();
        // view_messages is no default: nobody could read the chat.
        const uint32_t banned =
            BannedBits(request.banned_rights.get()) & ~banned_right::kViewMessages;
        if (peer->kind == PeerKind::kChat) {
          absl::StatusOr<ChatRecord*> chat = AdministeredChat(world, peer->id, context);
          if (!chat.ok()) return chat.status();
          if ((*chat)->default_banned == banned) return BadRequest("CHAT_NOT_MODIFIED");
          (*chat)->default_banned = banned;
          ++(*chat)->version;
          auto out = std::make_unique<api::updates>();
          out->date = world.Now();
          out->chats.push_back(MakeChat(**chat, context.user_id));
          return tl::Ptr<api::Updates>(std::move(out));
        }
        if (peer->kind != PeerKind::kChannel) return BadRequest("PEER_ID_INVALID");
        absl::StatusOr<ChannelRecord*> channel =
            AdministeredChannelPeer(*peer, world, context, admin_right::kBanUsers);
        if (!channel.ok()) return channel.status();
        if ((*channel)->default_banned == banned) return BadRequest("CHAT_NOT_MODIFIED");
        api::channelAdminLogEventActionDefaultBannedRights action;
        action.prev_banned_rights = MakeBannedRights((*channel)->default_banned, 0);
        action.new_banned_rights = MakeBannedRights(banned, 0);
        (*channel)->default_banned = banned;
        LogAdminAction(world, **channel, context.user_id, kLogSettings, action);
        return ChannelChanged(env, **channel, context);
      });
  d.On<api::channels_toggleSlowMode>(
      [&env, &world](const api::channels_toggleSlowMode& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        absl::StatusOr<ChannelRecord*> found =
            AdministeredChannel(*request.channel, world, context, admin_right::kBanUsers);
        if (!found.ok()) return found.status();
        ChannelRecord& channel = **found;
        if (!channel.megagroup) return BadRequest("INPUT_METHOD_INVALID");
        if (std::find(std::begin(kSlowModeSeconds), std::end(kSlowModeSeconds), request.seconds) ==
            std::end(kSlowModeSeconds)) {
          return BadRequest("SECONDS_INVALID");
        }
        if (channel.slowmode_seconds == request.seconds) return BadRequest("CHAT_NOT_MODIFIED");
        api::channelAdminLogEventActionToggleSlowMode action;
        action.prev_value = channel.slowmode_seconds;
        action.new_value = request.seconds;
        channel.slowmode_seconds = request.seconds;
        channel.last_sent.clear();
        LogAdminAction(world, channel, context.user_id, kLogSettings, action);
        return ChannelChanged(env, channel, context);
      });
  d.On<api::channels_toggleSignatures>(
      [&env, &world](const api::channels_toggleSignatures& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        absl::StatusOr<ChannelRecord*> found =
            AdministeredChannel(*request.channel, world, context, admin_right::kChangeInfo);
        if (!found.ok()) return found.status();
        ChannelRecord& channel = **found;
        if (channel.megagroup) return BadRequest("CHANNEL_INVALID");
        if (channel.signatures == request.signatures_enabled)
          return BadRequest("CHAT_NOT_MODIFIED");
        channel.signatures = request.signatures_enabled;
        api::channelAdminLogEventActionToggleSignatures action;
        action.new_value = channel.signatures;
        LogAdminAction(world, channel, context.user_id, kLogSettings, action);
        return ChannelChanged(env, channel, context);
      });
  d.On<api::channels_toggleForum>(
      [&env, &world](const api::channels_toggleForum& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        absl::StatusOr<ChannelRecord*> found =
            AdministeredChannel(*request.channel, world, context, admin_right::kChangeInfo);
        if (!found.ok()) return found.status();
        ChannelRecord& channel = **found;
        if (!channel.megagroup) return BadRequest("CHANNEL_INVALID");
        if (channel.forum == request.enabled) return BadRequest("CHAT_NOT_MODIFIED");
        channel.forum = request.enabled;
        api::channelAdminLogEventActionToggleForum action;
        action.new_value = channel.forum;
        LogAdminAction(world, channel, context.user_id, kLogForums, action);
        return ChannelChanged(env, channel, context);
      });
  // The log, newest first below max_id (0: from the newest), of the kinds the filter's flags name
  // (none: all), by the admins listed (none: all), and matching q (AdminLogMatches).
  d.On<api::channels_getAdminLog>(
      [&world](const api::channels_getAdminLog& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::channels_AdminLogResults>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<ChannelRecord*> found = ResolveInputChannel(*request.channel, world);
        if (!found.ok()) return found.status();
        ChannelRecord& channel = **found;
        if (!channel.HasMember(context.user_id)) return TelegramError(406, "CHANNEL_PRIVATE");
        if (!IsChannelAdmin(channel, context.user_id)) return BadRequest("CHAT_ADMIN_REQUIRED");
        uint32_t kinds = ~0u;
        if (request.events_filter != nullptr) {
          const auto* filter =
              dynamic_cast<const api::channelAdminLogEventsFilter*>(request.events_filter.get());
          if (filter == nullptr) return BadRequest("INPUT_METHOD_INVALID");
          kinds = FilterBits(*filter);
        }
        std::set<int64_t> admins;
        if (request.admins.has_value()) {
          for (const auto& input : *request.admins) {
            absl::StatusOr<UserRecord*> admin = ResolveInputUser(*input, context, world);
            if (!admin.ok()) return admin.status();
            admins.insert((*admin)->id);
          }
        }
        auto out = std::make_unique<api::channels_adminLogResults>();
        const int limit = std::clamp(request.limit, 1, 100);
        std::set<int64_t> users;
        for (auto it = channel.admin_log.rbegin(); it != channel.admin_log.rend(); ++it) {
          if (request.max_id != 0 && it->id >= request.max_id) continue;
          if (it->id <= request.min_id) break;
          if ((it->filter_bit & kinds) == 0) continue;
          if (!admins.empty() && admins.count(it->user_id) == 0) continue;
          absl::StatusOr<tl::Ptr<api::ChannelAdminLogEventAction>> action =
              tl::Decode<api::ChannelAdminLogEventAction>(it->action);
          if (!action.ok()) return action.status();
          if (!AdminLogMatches(world, it->user_id, **action, request.q)) continue;
          auto event = std::make_unique<api::channelAdminLogEvent>();
          event->id = it->id;
          event->date = it->date;
          event->user_id = it->user_id;
          event->action = *std::move(action);
          out->events.push_back(std::move(event));
          users.insert(it->user_id);
          if (static_cast<int>(out->events.size()) >= limit) break;
        }
        for (int64_t id : users) {
          if (const UserRecord* user = world.FindUser(id)) {
            out->users.push_back(MakeUser(*user, context.user_id));
          }
        }
        out->chats.push_back(MakeChannel(channel, context.user_id));
        return tl::Ptr<api::channels_AdminLogResults>(std::move(out));
      });
}

}  // namespace tgrpc::fakedc
