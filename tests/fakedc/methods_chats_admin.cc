// Channel administration: channels.editTitle (a messageActionChatEditTitle service message, as
// messages.editChatTitle posts in a basic group), channels.editPhoto (messageActionChatEditPhoto
// or ChatDeletePhoto, as messages.editChatPhoto) and channels.editBanned (view_messages bans:
// the member is removed, with a messageActionChatDeleteUser in a supergroup, and cannot join
// again until the ban is lifted or the creator invites them). fakedc has no admins but the
// creator, so only the creator may do either; other restrictions than view_messages are taken
// and not kept.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "tests/fakedc/methods.h"
#include "tests/fakedc/photos.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

// The channel an admin call names, checked for a caller who may administer it: a member (of a
// private channel: CHANNEL_PRIVATE) who is its creator (CHAT_ADMIN_REQUIRED, 400 as Telegram
// answers these methods).
absl::StatusOr<ChannelRecord*> AdministeredChannel(const api::InputChannel& input, World& world,
                                                   const CallContext& context) {
  if (absl::Status s = RequireUser(context); !s.ok()) return s;
  absl::StatusOr<ChannelRecord*> found = ResolveInputChannel(input, world);
  if (!found.ok()) return found.status();
  ChannelRecord& channel = **found;
  if (!channel.HasMember(context.user_id) && channel.username.empty()) {
    return TelegramError(406, "CHANNEL_PRIVATE");
  }
  if (channel.creator_id != context.user_id || !channel.HasMember(context.user_id)) {
    return BadRequest("CHAT_ADMIN_REQUIRED");
  }
  return &channel;
}

}  // namespace

void RegisterChatAdminMethods(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  // The new title reaches every member as the service message (updateNewChannelMessage); the
  // channel objects in the updates carry it.
  d.On<api::channels_editTitle>([&env, &world](
                                    const api::channels_editTitle& request,
                                    CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
    absl::StatusOr<ChannelRecord*> found = AdministeredChannel(*request.channel, world, context);
    if (!found.ok()) return found.status();
    ChannelRecord& channel = **found;
    absl::StatusOr<std::string> title = CleanTitle(request.title);
    if (!title.ok()) return title.status();
    if (*title == channel.title) return BadRequest("CHAT_NOT_MODIFIED");
    channel.title = *title;
    const MessageRecord& edited = AddChannelService(
        world, channel, context.user_id, {ServiceAction::Kind::kChatEditTitle, *title, {}});
    PushToChannel(env, channel, context.session_id, [&](int64_t viewer) {
      return tl::Ptr<api::Updates>(ChannelUpdates(world, channel, &edited, viewer, false));
    });
    return tl::Ptr<api::Updates>(ChannelUpdates(world, channel, &edited, context.user_id, false));
  });
  // A new photo reaches the members as messageActionChatEditPhoto, a removed one as
  // messageActionChatDeletePhoto; the channel objects carry the chatPhoto.
  d.On<api::channels_editPhoto>([&env, &world](
                                    const api::channels_editPhoto& request,
                                    CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
    absl::StatusOr<ChannelRecord*> found = AdministeredChannel(*request.channel, world, context);
    if (!found.ok()) return found.status();
    ChannelRecord& channel = **found;
    if (request.photo == nullptr) return BadRequest("PHOTO_INVALID");
    absl::StatusOr<int64_t> photo = ChatPhotoOf(env, context, *request.photo);
    if (!photo.ok()) return photo.status();
    if (*photo == channel.photo.id) return BadRequest("CHAT_NOT_MODIFIED");
    ServiceAction action{ServiceAction::Kind::kChatDeletePhoto, "", {}};
    if (*photo != 0) {
      if (absl::Status s = SetPeerPhoto(world, {PeerKind::kChannel, channel.id}, *photo); !s.ok()) {
        return s;
      }
      action = {ServiceAction::Kind::kChatEditPhoto, "", {}, *photo};
    } else {
      channel.photo = {};
    }
    const MessageRecord& edited = AddChannelService(world, channel, context.user_id, action);
    PushToChannel(env, channel, context.session_id, [&](int64_t viewer) {
      return tl::Ptr<api::Updates>(ChannelUpdates(world, channel, &edited, viewer, false));
    });
    return tl::Ptr<api::Updates>(ChannelUpdates(world, channel, &edited, context.user_id, false));
  });
  d.On<api::channels_editBanned>([&env, &world](const api::channels_editBanned& request,
                                                CallContext& context)
                                     -> absl::StatusOr<tl::Ptr<api::Updates>> {
    absl::StatusOr<ChannelRecord*> found = AdministeredChannel(*request.channel, world, context);
    if (!found.ok()) return found.status();
    ChannelRecord& channel = **found;
    absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.participant, context, world);
    if (!peer.ok()) return peer.status();
    if (peer->kind != PeerKind::kUser) return BadRequest("PARTICIPANT_ID_INVALID");
    const int64_t user_id = peer->id;
    if (user_id == channel.creator_id) return BadRequest("USER_ADMIN_INVALID");
    const auto* rights = dynamic_cast<const api::chatBannedRights*>(request.banned_rights.get());
    if (rights == nullptr) return BadRequest("RIGHTS_NOT_MODIFIED");
    if (!rights->view_messages) {
      // Lifting the ban: the user may join again (and is not added back).
      channel.kicked.erase(user_id);
      return tl::Ptr<api::Updates>(ChannelUpdates(world, channel, nullptr, context.user_id, true));
    }
    channel.kicked.insert(user_id);
    auto member = std::find(channel.members.begin(), channel.members.end(), user_id);
    if (member == channel.members.end()) {
      // Banned before joining: nothing to tell the members.
      return tl::Ptr<api::Updates>(ChannelUpdates(world, channel, nullptr, context.user_id, true));
    }
    channel.members.erase(member);
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
}

}  // namespace tgrpc::fakedc
