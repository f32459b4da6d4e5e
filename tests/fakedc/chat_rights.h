// Telegram's rights in fakedc's groups and channels: chatAdminRights and chatBannedRights as the
// bits of their TL flags (what World records keep), who holds which, and the checks Telegram
// makes before a member sends or an admin acts (CHAT_ADMIN_REQUIRED, RIGHT_FORBIDDEN,
// CHAT_WRITE_FORBIDDEN, SLOWMODE_WAIT_X).
#ifndef TGRPC_TESTS_FAKEDC_CHAT_RIGHTS_H_
#define TGRPC_TESTS_FAKEDC_CHAT_RIGHTS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "tests/fakedc/world.h"
#include "tl/generated/api.h"

namespace tgrpc::fakedc {

// chatAdminRights' flag bits.
namespace admin_right {
inline constexpr uint32_t kChangeInfo = 1u << 0;
inline constexpr uint32_t kPostMessages = 1u << 1;
inline constexpr uint32_t kEditMessages = 1u << 2;
inline constexpr uint32_t kDeleteMessages = 1u << 3;
inline constexpr uint32_t kBanUsers = 1u << 4;
inline constexpr uint32_t kInviteUsers = 1u << 5;
inline constexpr uint32_t kPinMessages = 1u << 7;
inline constexpr uint32_t kAddAdmins = 1u << 9;
inline constexpr uint32_t kAnonymous = 1u << 10;
inline constexpr uint32_t kManageCall = 1u << 11;
inline constexpr uint32_t kOther = 1u << 12;
inline constexpr uint32_t kManageTopics = 1u << 13;
// What a creator holds.
inline constexpr uint32_t kAll = kChangeInfo | kPostMessages | kEditMessages | kDeleteMessages |
                                 kBanUsers | kInviteUsers | kPinMessages | kAddAdmins | kAnonymous |
                                 kManageCall | kOther | kManageTopics;
}  // namespace admin_right

// chatBannedRights' flag bits (the ones fakedc keeps).
namespace banned_right {
inline constexpr uint32_t kViewMessages = 1u << 0;
inline constexpr uint32_t kSendMessages = 1u << 1;
inline constexpr uint32_t kSendMedia = 1u << 2;
inline constexpr uint32_t kSendStickers = 1u << 3;
inline constexpr uint32_t kSendGifs = 1u << 4;
inline constexpr uint32_t kSendGames = 1u << 5;
inline constexpr uint32_t kSendInline = 1u << 6;
inline constexpr uint32_t kEmbedLinks = 1u << 7;
inline constexpr uint32_t kSendPolls = 1u << 8;
inline constexpr uint32_t kChangeInfo = 1u << 10;
inline constexpr uint32_t kInviteUsers = 1u << 15;
inline constexpr uint32_t kPinMessages = 1u << 17;
inline constexpr uint32_t kManageTopics = 1u << 18;
}  // namespace banned_right

uint32_t AdminBits(const tl::api::ChatAdminRights* rights);
tl::Ptr<tl::api::ChatAdminRights> MakeAdminRights(uint32_t bits);
uint32_t BannedBits(const tl::api::ChatBannedRights* rights);
int32_t BannedUntil(const tl::api::ChatBannedRights* rights);
tl::Ptr<tl::api::ChatBannedRights> MakeBannedRights(uint32_t bits, int32_t until_date);

// The admin rights `user_id` holds in the channel: all for its creator (while a member), an
// admin's own, none for anyone else.
uint32_t AdminRightsOf(const ChannelRecord& channel, int64_t user_id);
bool IsChannelAdmin(const ChannelRecord& channel, int64_t user_id);
// What `user_id` may not do there: nothing for admins, else the chat's defaults and the member's
// own restriction.
uint32_t BannedOf(const ChannelRecord& channel, int64_t user_id);

// The channel participant `user_id` is as `channel` records them (creator, admin, banned or
// restricted, member), or null when they are none of these.
tl::Ptr<tl::api::ChannelParticipant> MakeChannelParticipant(const ChannelRecord& channel,
                                                            int64_t user_id, int64_t viewer_id);

// Whether `user_id` may post a message (with media if `media`) in the channel now: a restricted
// member's CHAT_WRITE_FORBIDDEN / CHAT_SEND_MEDIA_FORBIDDEN (403), slow mode's SLOWMODE_WAIT_X
// (420). Call NoteSent after the message is posted.
absl::Status CheckMaySend(const ChannelRecord& channel, int64_t user_id, bool media, int32_t now);
void NoteSent(ChannelRecord& channel, int64_t user_id, int32_t now);
// The same for a basic group's defaults (messages.editChatDefaultBannedRights).
absl::Status CheckMaySendToChat(const ChatRecord& chat, int64_t user_id, bool media);

// Adds an admin log entry of `action` (a ChannelAdminLogEventAction) by `user_id`, under
// channelAdminLogEventsFilter flag bit `filter_bit`.
void LogAdminAction(World& world, ChannelRecord& channel, int64_t user_id, uint32_t filter_bit,
                    const tl::api::ChannelAdminLogEventAction& action);

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_CHAT_RIGHTS_H_
