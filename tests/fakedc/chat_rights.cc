#include "tests/fakedc/chat_rights.h"

#include <memory>
#include <string>
#include <utility>

#include "tests/fakedc/methods.h"
#include "tests/fakedc/rpc.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

struct AdminFlag {
  bool api::chatAdminRights::*field;
  uint32_t bit;
};
constexpr AdminFlag kAdminFlags[] = {
    {&api::chatAdminRights::change_info, admin_right::kChangeInfo},
    {&api::chatAdminRights::post_messages, admin_right::kPostMessages},
    {&api::chatAdminRights::edit_messages, admin_right::kEditMessages},
    {&api::chatAdminRights::delete_messages, admin_right::kDeleteMessages},
    {&api::chatAdminRights::ban_users, admin_right::kBanUsers},
    {&api::chatAdminRights::invite_users, admin_right::kInviteUsers},
    {&api::chatAdminRights::pin_messages, admin_right::kPinMessages},
    {&api::chatAdminRights::add_admins, admin_right::kAddAdmins},
    {&api::chatAdminRights::anonymous, admin_right::kAnonymous},
    {&api::chatAdminRights::manage_call, admin_right::kManageCall},
    {&api::chatAdminRights::other, admin_right::kOther},
    {&api::chatAdminRights::manage_topics, admin_right::kManageTopics},
};

struct BannedFlag {
  bool api::chatBannedRights::*field;
  uint32_t bit;
};
constexpr BannedFlag kBannedFlags[] = {
    {&api::chatBannedRights::view_messages, banned_right::kViewMessages},
    {&api::chatBannedRights::send_messages, banned_right::kSendMessages},
    {&api::chatBannedRights::send_media, banned_right::kSendMedia},
    {&api::chatBannedRights::send_stickers, banned_right::kSendStickers},
    {&api::chatBannedRights::send_gifs, banned_right::kSendGifs},
    {&api::chatBannedRights::send_games, banned_right::kSendGames},
    {&api::chatBannedRights::send_inline, banned_right::kSendInline},
    {&api::chatBannedRights::embed_links, banned_right::kEmbedLinks},
    {&api::chatBannedRights::send_polls, banned_right::kSendPolls},
    {&api::chatBannedRights::change_info, banned_right::kChangeInfo},
    {&api::chatBannedRights::invite_users, banned_right::kInviteUsers},
    {&api::chatBannedRights::pin_messages, banned_right::kPinMessages},
    {&api::chatBannedRights::manage_topics, banned_right::kManageTopics},
};

}  // namespace

uint32_t AdminBits(const api::ChatAdminRights* rights) {
  const auto* r = dynamic_cast<const api::chatAdminRights*>(rights);
  if (r == nullptr) return 0;
  uint32_t bits = 0;
  for (const AdminFlag& flag : kAdminFlags) {
    if (r->*flag.field) bits |= flag.bit;
  }
  return bits;
}

tl::Ptr<api::ChatAdminRights> MakeAdminRights(uint32_t bits) {
  auto out = std::make_unique<api::chatAdminRights>();
  for (const AdminFlag& flag : kAdminFlags) (*out).*flag.field = (bits & flag.bit) != 0;
  return out;
}

uint32_t BannedBits(const api::ChatBannedRights* rights) {
  const auto* r = dynamic_cast<const api::chatBannedRights*>(rights);
  if (r == nullptr) return 0;
  uint32_t bits = 0;
  for (const BannedFlag& flag : kBannedFlags) {
    if (r->*flag.field) bits |= flag.bit;
  }
  // The finer send_* rights of newer layers count as send_media; send_plain as send_messages.
  if (r->send_photos || r->send_videos || r->send_roundvideos || r->send_audios || r->send_voices ||
      r->send_docs) {
    bits |= banned_right::kSendMedia;
  }
  if (r->send_plain) bits |= banned_right::kSendMessages;
  return bits;
}

int32_t BannedUntil(const api::ChatBannedRights* rights) {
  const auto* r = dynamic_cast<const api::chatBannedRights*>(rights);
  return r == nullptr ? 0 : r->until_date;
}

tl::Ptr<api::ChatBannedRights> MakeBannedRights(uint32_t bits, int32_t until_date) {
  auto out = std::make_unique<api::chatBannedRights>();
  for (const BannedFlag& flag : kBannedFlags) (*out).*flag.field = (bits & flag.bit) != 0;
  if ((bits & banned_right::kSendMedia) != 0) {
    out->send_photos = out->send_videos = out->send_roundvideos = out->send_audios =
        out->send_voices = out->send_docs = true;
  }
  out->send_plain = (bits & banned_right::kSendMessages) != 0;
  out->until_date = until_date;
  return out;
}

uint32_t AdminRightsOf(const ChannelRecord& channel, int64_t user_id) {
  if (!channel.HasMember(user_id)) return 0;
  if (user_id == channel.creator_id) return admin_right::kAll;
  auto it = channel.admins.find(user_id);
  return it == channel.admins.end() ? 0 : it->second.rights;
}

bool IsChannelAdmin(const ChannelRecord& channel, int64_t user_id) {
  return user_id == channel.creator_id || channel.admins.count(user_id) != 0;
}

uint32_t BannedOf(const ChannelRecord& channel, int64_t user_id) {
  if (IsChannelAdmin(channel, user_id)) return 0;
  uint32_t bits = channel.default_banned;
  auto it = channel.restricted.find(user_id);
  if (it != channel.restricted.end()) bits |= it->second.banned;
  return bits;
}

tl::Ptr<api::ChannelParticipant> MakeChannelParticipant(const ChannelRecord& channel,
                                                        int64_t user_id, int64_t viewer_id) {
  if (user_id == channel.creator_id && channel.HasMember(user_id)) {
    auto creator = std::make_unique<api::channelParticipantCreator>();
    creator->user_id = user_id;
    creator->admin_rights = MakeAdminRights(admin_right::kAll);
    return creator;
  }
  if (auto it = channel.admins.find(user_id); it != channel.admins.end()) {
    auto admin = std::make_unique<api::channelParticipantAdmin>();
    admin->user_id = user_id;
    admin->promoted_by = it->second.promoted_by;
    admin->date = it->second.date;
    admin->admin_rights = MakeAdminRights(it->second.rights);
    // Telegram's can_edit: the viewer promoted them or is the creator.
    admin->can_edit = viewer_id == channel.creator_id || viewer_id == it->second.promoted_by;
    admin->self = viewer_id == user_id;
    if (admin->self) admin->inviter_id = it->second.promoted_by;
    if (!it->second.rank.empty()) admin->rank = it->second.rank;
    return admin;
  }
  if (auto it = channel.restricted.find(user_id); it != channel.restricted.end()) {
    auto banned = std::make_unique<api::channelParticipantBanned>();
    auto peer = std::make_unique<api::peerUser>();
    peer->user_id = user_id;
    banned->peer = std::move(peer);
    banned->left = !channel.HasMember(user_id);
    banned->kicked_by = it->second.kicked_by;
    banned->date = it->second.date;
    banned->banned_rights = MakeBannedRights(it->second.banned, it->second.until_date);
    return banned;
  }
  if (!channel.HasMember(user_id)) return nullptr;
  auto member = std::make_unique<api::channelParticipant>();
  member->user_id = user_id;
  member->date = channel.date;
  return member;
}

absl::Status CheckMaySend(const ChannelRecord& channel, int64_t user_id, bool media, int32_t now) {
  const uint32_t banned = BannedOf(channel, user_id);
  if ((banned & (banned_right::kViewMessages | banned_right::kSendMessages)) != 0) {
    return TelegramError(403, "CHAT_WRITE_FORBIDDEN");
  }
  if (media && (banned & banned_right::kSendMedia) != 0) {
    return TelegramError(403, "CHAT_SEND_MEDIA_FORBIDDEN");
  }
  if (channel.slowmode_seconds > 0 && !IsChannelAdmin(channel, user_id)) {
    auto last = channel.last_sent.find(user_id);
    if (last != channel.last_sent.end() && now < last->second + channel.slowmode_seconds) {
      return TelegramError(
          420, "SLOWMODE_WAIT_" + std::to_string(last->second + channel.slowmode_seconds - now));
    }
  }
  return absl::OkStatus();
}

void NoteSent(ChannelRecord& channel, int64_t user_id, int32_t now) {
  if (channel.slowmode_seconds > 0) channel.last_sent[user_id] = now;
}

absl::Status CheckMaySendToChat(const ChatRecord& chat, int64_t user_id, bool media) {
  if (user_id == chat.creator_id || chat.admins.count(user_id) != 0) return absl::OkStatus();
  if ((chat.default_banned & banned_right::kSendMessages) != 0) {
    return TelegramError(403, "CHAT_WRITE_FORBIDDEN");
  }
  if (media && (chat.default_banned & banned_right::kSendMedia) != 0) {
    return TelegramError(403, "CHAT_SEND_MEDIA_FORBIDDEN");
  }
  return absl::OkStatus();
}

void LogAdminAction(World& world, ChannelRecord& channel, int64_t user_id, uint32_t filter_bit,
                    const api::ChannelAdminLogEventAction& action) {
  absl::StatusOr<std::string> bytes = tl::Serialize(action);
  if (!bytes.ok()) return;
  AdminLogRecord record;
  record.id = channel.admin_log.empty() ? 1 : channel.admin_log.back().id + 1;
  record.date = world.Now();
  record.user_id = user_id;
  record.filter_bit = filter_bit;
  record.action = *std::move(bytes);
  channel.admin_log.push_back(std::move(record));
}

}  // namespace tgrpc::fakedc
