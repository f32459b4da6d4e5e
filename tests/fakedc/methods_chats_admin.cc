// Channel administration: channels.editTitle (a messageActionChatEditTitle service message, as
// messages.editChatTitle posts in a basic group; logged as ChangeTitle) and channels.editPhoto
// (messageActionChatEditPhoto or ChatDeletePhoto, as messages.editChatPhoto), for admins with
// change_info; the members' standing is methods_chat_members.cc's.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "tests/fakedc/chat_rights.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/photos.h"

namespace tgrpc::fakedc {

namespace api = tl::api;

namespace {
constexpr uint32_t kLogInfo = 1u << 9;  // channelAdminLogEventsFilter.info
}  // namespace

absl::StatusOr<ChannelRecord*> AdministeredChannel(const api::InputChannel& input, World& world,
                                                   const CallContext& context, uint32_t right) {
  if (absl::Status s = RequireUser(context); !s.ok()) return s;
  absl::StatusOr<ChannelRecord*> found = ResolveInputChannel(input, world);
  if (!found.ok()) return found.status();
  ChannelRecord& channel = **found;
  if (!channel.HasMember(context.user_id) && channel.username.empty()) {
    return TelegramError(406, "CHANNEL_PRIVATE");
  }
  if ((AdminRightsOf(channel, context.user_id) & right) == 0) {
    return BadRequest("CHAT_ADMIN_REQUIRED");
  }
  return &channel;
}

void RegisterChatAdminMethods(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  // The new title reaches every member as the service message (updateNewChannelMessage); the
  // channel objects in the updates carry it.
  d.On<api::channels_editTitle>([&env, &world](
                                    const api::channels_editTitle& request,
                                    CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
    absl::StatusOr<ChannelRecord*> found =
        AdministeredChannel(*request.channel, world, context, admin_right::kChangeInfo);
    if (!found.ok()) return found.status();
    ChannelRecord& channel = **found;
    absl::StatusOr<std::string> title = CleanTitle(request.title);
    if (!title.ok()) return title.status();
    if (*title == channel.title) return BadRequest("CHAT_NOT_MODIFIED");
    api::channelAdminLogEventActionChangeTitle logged;
    logged.prev_value = channel.title;
    logged.new_value = *title;
    LogAdminAction(world, channel, context.user_id, kLogInfo, logged);
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
    absl::StatusOr<ChannelRecord*> found =
        AdministeredChannel(*request.channel, world, context, admin_right::kChangeInfo);
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
  RegisterChatMemberMethods(d, env);
  RegisterChatSettingsMethods(d, env);
  RegisterChatInviteMethods(d, env);
}

}  // namespace tgrpc::fakedc
