// Groups and their members: basic groups (messages.createChat, addChatUser, deleteChatUser,
// editChatTitle, getChats, getFullChat, and sending to one) and joining and leaving channels
// (channels.createChannel, inviteToChannel, joinChannel, leaveChannel). As in Telegram, a basic
// group's messages are copied into each member's own box (own ids, own pts), while a channel's
// live in the channel's box; each change is a service message.
#include <algorithm>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "tests/fakedc/chat_rights.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/photos.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

// help.getConfig's chat_size_max.
constexpr size_t kMaxChatMembers = 200;
// The most history messages.addChatUser copies to the new member (its fwd_limit is capped).
constexpr int32_t kMaxForwardedHistory = 100;
constexpr size_t kMaxAboutLength = 255;

std::unique_ptr<api::updates> NewUpdates(World& world) {
  auto out = std::make_unique<api::updates>();
  out->date = world.Now();
  return out;
}

void AddUsers(World& world, const std::set<int64_t>& ids, int64_t viewer,
              std::vector<tl::Ptr<api::User>>& out) {
  for (int64_t id : ids) {
    if (const UserRecord* user = world.FindUser(id)) out.push_back(MakeUser(*user, viewer));
  }
}

// The users a message names: its sender and whom a service message adds or removes.
std::set<int64_t> UsersOf(const MessageRecord& record) {
  std::set<int64_t> out = {record.from_id};
  if (record.action.has_value()) {
    out.insert(record.action->user_ids.begin(), record.action->user_ids.end());
  }
  return out;
}

MessageRecord ServiceMessage(World& world, int64_t from_id, ServiceAction action) {
  MessageRecord record;
  record.from_id = from_id;
  record.date = world.Now();
  record.action = std::move(action);
  return record;
}

// ---- Basic groups.

std::vector<int64_t> MemberIds(const ChatRecord& chat) {
  std::vector<int64_t> out;
  for (const ChatParticipantRecord& p : chat.participants) out.push_back(p.user_id);
  return out;
}

// A chat the caller is or was in; CHAT_ID_INVALID for any other id.
absl::StatusOr<ChatRecord*> FindKnownChat(World& world, int64_t chat_id, int64_t user_id) {
  ChatRecord* chat = world.FindChat(chat_id);
  if (chat == nullptr || !chat->Knows(user_id)) return BadRequest("CHAT_ID_INVALID");
  return chat;
}

// The basic group and the user a membership call (addChatUser, deleteChatUser) names, checked
// for a signed-in caller who knows the group.
struct ChatAndUser {
  ChatRecord* chat = nullptr;
  int64_t user_id = 0;
};
absl::StatusOr<ChatAndUser> FindChatAndUser(World& world, int64_t chat_id,
                                            const api::InputUser& input, CallContext& context) {
  if (absl::Status s = RequireUser(context); !s.ok()) return s;
  absl::StatusOr<ChatRecord*> chat = FindKnownChat(world, chat_id, context.user_id);
  if (!chat.ok()) return chat.status();
  absl::StatusOr<UserRecord*> user = ResolveInputUser(input, context, world);
  if (!user.ok()) return user.status();
  return ChatAndUser{*chat, (*user)->id};
}

// What StoreInChat leaves for the caller's answer.
struct CallerCopy {
  tl::Ptr<api::Update> update;  // the caller's updateNewMessage; null if the caller got no copy
  int32_t id = 0;
};

// Puts a copy of `record` into the box of each of `recipients` (through World::AddMessage, so
// updates.getDifference replays it; `out` for its sender) and pushes updates{updateNewMessage}
// with the users it names and the chat to each of them, the caller's other sessions included.
CallerCopy StoreInChat(MethodEnv& env, const CallContext& context, const ChatRecord& chat,
                       const MessageRecord& record, const std::vector<int64_t>& recipients) {
  World& world = *env.world;
  CallerCopy caller;
  for (int64_t user_id : recipients) {
    MessageBox& box = world.BoxOf(user_id);
    MessageRecord copy = record;
    copy.peer = {PeerKind::kChat, chat.id};
    copy.out = record.from_id == user_id;
    const MessageRecord& stored = world.AddMessage(box, std::move(copy));
    auto make_update = [&] {
      auto update = std::make_unique<api::updateNewMessage>();
      update->message = MakeMessage(stored, world);
      update->pts = box.pts;
      update->pts_count = 1;
      return update;
    };
    std::unique_ptr<api::updates> push = NewUpdates(world);
    push->updates_.push_back(make_update());
    AddUsers(world, UsersOf(stored), user_id, push->users);
    push->chats.push_back(MakeChat(chat, user_id));
    if (user_id == context.user_id) {
      caller.update = make_update();
      caller.id = stored.id;
      env.push(user_id, *push, context.session_id);
    } else {
      env.push(user_id, *push, 0);
    }
  }
  return caller;
}

// The caller's answer to a change of `chat`: updates{`first`..., the caller's copy}.
std::unique_ptr<api::updates> ChatAnswer(World& world, const CallContext& context,
                                         const ChatRecord& chat, const MessageRecord& record,
                                         CallerCopy copy,
                                         std::vector<tl::Ptr<api::Update>> first = {}) {
  std::unique_ptr<api::updates> answer = NewUpdates(world);
  answer->updates_ = std::move(first);
  if (copy.update != nullptr) answer->updates_.push_back(std::move(copy.update));
  AddUsers(world, UsersOf(record), context.user_id, answer->users);
  answer->chats.push_back(MakeChat(chat, context.user_id));
  return answer;
}

tl::Ptr<api::messages_InvitedUsers> Invited(tl::Ptr<api::Updates> updates) {
  auto out = std::make_unique<api::messages_invitedUsers>();
  out->updates = std::move(updates);
  return out;
}

tl::Ptr<api::ChatParticipants> MakeParticipants(const ChatRecord& chat) {
  auto out = std::make_unique<api::chatParticipants>();
  out->chat_id = chat.id;
  out->version = chat.version;
  for (const ChatParticipantRecord& p : chat.participants) {
    if (p.user_id == chat.creator_id) {
      auto creator = std::make_unique<api::chatParticipantCreator>();
      creator->user_id = p.user_id;
      out->participants.push_back(std::move(creator));
      continue;
    }
    if (chat.admins.count(p.user_id) != 0) {
      auto admin = std::make_unique<api::chatParticipantAdmin>();
      admin->user_id = p.user_id;
      admin->inviter_id = p.inviter_id;
      admin->date = p.date;
      out->participants.push_back(std::move(admin));
      continue;
    }
    auto participant = std::make_unique<api::chatParticipant>();
    participant->user_id = p.user_id;
    participant->inviter_id = p.inviter_id;
    participant->date = p.date;
    out->participants.push_back(std::move(participant));
  }
  return out;
}

// Copies the newest `limit` messages of the chat, as `from_user` has them, into a new member's
// box: what messages.addChatUser's fwd_limit asks for. Not pushed: the new member's client sees
// the pts gap at the next push and fetches them with updates.getDifference.
void CopyHistory(World& world, const ChatRecord& chat, int64_t from_user, int64_t to_user,
                 int32_t limit) {
  const PeerRef peer = {PeerKind::kChat, chat.id};
  std::vector<MessageRecord> newest;
  const MessageBox& from = world.BoxOf(from_user);
  for (auto it = from.messages.rbegin();
       it != from.messages.rend() && static_cast<int32_t>(newest.size()) < limit; ++it) {
    if (it->second.peer == peer) newest.push_back(it->second);
  }
  MessageBox& to = world.BoxOf(to_user);
  for (auto it = newest.rbegin(); it != newest.rend(); ++it) {
    MessageRecord copy = *it;
    copy.out = copy.from_id == to_user;
    world.AddMessage(to, std::move(copy));
  }
}

void RegisterBasicGroupMethods(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.On<api::messages_createChat>([&env, &world](const api::messages_createChat& request,
                                                CallContext& context)
                                     -> absl::StatusOr<tl::Ptr<api::messages_InvitedUsers>> {
    if (absl::Status s = RequireUser(context); !s.ok()) return s;
    absl::StatusOr<std::string> title = CleanTitle(request.title);
    if (!title.ok()) return title.status();
    std::vector<int64_t> invited;
    for (const auto& input : request.users) {
      absl::StatusOr<UserRecord*> user = ResolveInputUser(*input, context, world);
      if (!user.ok()) return user.status();
      const int64_t id = (*user)->id;
      if (id == context.user_id || std::find(invited.begin(), invited.end(), id) != invited.end()) {
        continue;
      }
      invited.push_back(id);
    }
    if (invited.empty()) return BadRequest("USERS_TOO_FEW");
    if (invited.size() + 1 > kMaxChatMembers) return BadRequest("USERS_TOO_MUCH");
    ChatRecord& chat = world.AddChat(*title, context.user_id);
    for (int64_t id : invited) chat.participants.push_back({id, context.user_id, chat.date});
    const MessageRecord record = ServiceMessage(
        world, context.user_id, {ServiceAction::Kind::kChatCreate, chat.title, MemberIds(chat)});
    CallerCopy copy = StoreInChat(env, context, chat, record, MemberIds(chat));
    // Telegram's answer carries the participant list ahead of the service message.
    auto participants = std::make_unique<api::updateChatParticipants>();
    participants->participants = MakeParticipants(chat);
    std::vector<tl::Ptr<api::Update>> first;
    first.push_back(std::move(participants));
    return Invited(ChatAnswer(world, context, chat, record, std::move(copy), std::move(first)));
  });
  // Any member may add users (a basic group's default rights); one who left (not one removed)
  // may add themselves back.
  d.On<api::messages_addChatUser>(
      [&env, &world](const api::messages_addChatUser& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_InvitedUsers>> {
        absl::StatusOr<ChatAndUser> target =
            FindChatAndUser(world, request.chat_id, *request.user_id, context);
        if (!target.ok()) return target.status();
        ChatRecord& chat = *target->chat;
        const int64_t user_id = target->user_id;
        const auto former = chat.former_members.find(context.user_id);
        const bool returning =
            user_id == context.user_id && former != chat.former_members.end() && !former->second;
        if (!chat.HasMember(context.user_id) && !returning) {
          return TelegramError(403, "CHAT_WRITE_FORBIDDEN");
        }
        if (chat.HasMember(user_id)) return BadRequest("USER_ALREADY_PARTICIPANT");
        if (chat.participants.size() >= kMaxChatMembers) return BadRequest("USERS_TOO_MUCH");
        if (!returning && request.fwd_limit > 0) {
          CopyHistory(world, chat, context.user_id, user_id,
                      std::min(request.fwd_limit, kMaxForwardedHistory));
        }
        chat.participants.push_back({user_id, context.user_id, world.Now()});
        chat.former_members.erase(user_id);
        ++chat.version;
        const MessageRecord record = ServiceMessage(
            world, context.user_id, {ServiceAction::Kind::kChatAddUser, "", {user_id}});
        CallerCopy copy = StoreInChat(env, context, chat, record, MemberIds(chat));
        return Invited(ChatAnswer(world, context, chat, record, std::move(copy)));
      });
  // Removing oneself is leaving. Others are removed by the creator, an admin (not the creator or
  // another admin), or whoever added them.
  d.On<api::messages_deleteChatUser>(
      [&env, &world](const api::messages_deleteChatUser& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        absl::StatusOr<ChatAndUser> target =
            FindChatAndUser(world, request.chat_id, *request.user_id, context);
        if (!target.ok()) return target.status();
        ChatRecord& chat = *target->chat;
        const int64_t user_id = target->user_id;
        const bool leaving = user_id == context.user_id;
        if (!chat.HasMember(context.user_id) && !leaving) return BadRequest("CHAT_ADMIN_REQUIRED");
        auto participant = std::find_if(
            chat.participants.begin(), chat.participants.end(),
            [user_id](const ChatParticipantRecord& p) { return p.user_id == user_id; });
        if (participant == chat.participants.end()) return BadRequest("USER_NOT_PARTICIPANT");
        const bool by_admin = chat.admins.count(context.user_id) != 0 && user_id != chat.creator_id;
        if (!leaving && context.user_id != chat.creator_id && !by_admin &&
            participant->inviter_id != context.user_id) {
          return BadRequest("CHAT_ADMIN_REQUIRED");
        }
        // The one removed gets the service message too, as the last one of the chat.
        const std::vector<int64_t> recipients = MemberIds(chat);
        chat.participants.erase(participant);
        chat.admins.erase(user_id);
        chat.former_members[user_id] = !leaving;
        ++chat.version;
        const MessageRecord record = ServiceMessage(
            world, context.user_id, {ServiceAction::Kind::kChatDeleteUser, "", {user_id}});
        CallerCopy copy = StoreInChat(env, context, chat, record, recipients);
        return tl::Ptr<api::Updates>(ChatAnswer(world, context, chat, record, std::move(copy)));
      });
  d.On<api::messages_editChatTitle>(
      [&env, &world](const api::messages_editChatTitle& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<ChatRecord*> found = FindKnownChat(world, request.chat_id, context.user_id);
        if (!found.ok()) return found.status();
        ChatRecord& chat = **found;
        if (!chat.HasMember(context.user_id)) return BadRequest("CHAT_ADMIN_REQUIRED");
        absl::StatusOr<std::string> title = CleanTitle(request.title);
        if (!title.ok()) return title.status();
        if (*title == chat.title) return BadRequest("CHAT_NOT_MODIFIED");
        chat.title = *title;
        const MessageRecord record = ServiceMessage(
            world, context.user_id, {ServiceAction::Kind::kChatEditTitle, chat.title, {}});
        CallerCopy copy = StoreInChat(env, context, chat, record, MemberIds(chat));
        return tl::Ptr<api::Updates>(ChatAnswer(world, context, chat, record, std::move(copy)));
      });
  // The brief fakedc follows: only the creator (fakedc's one admin) changes the photo, whereas
  // the title is any member's to change.
  d.On<api::messages_editChatPhoto>(
      [&env, &world](const api::messages_editChatPhoto& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<ChatRecord*> found = FindKnownChat(world, request.chat_id, context.user_id);
        if (!found.ok()) return found.status();
        ChatRecord& chat = **found;
        if (!chat.HasMember(context.user_id) || chat.creator_id != context.user_id) {
          return BadRequest("CHAT_ADMIN_REQUIRED");
        }
        if (request.photo == nullptr) return BadRequest("PHOTO_INVALID");
        absl::StatusOr<int64_t> photo = ChatPhotoOf(env, context, *request.photo);
        if (!photo.ok()) return photo.status();
        if (*photo == chat.photo.id) return BadRequest("CHAT_NOT_MODIFIED");
        ServiceAction action{ServiceAction::Kind::kChatDeletePhoto, "", {}};
        if (*photo != 0) {
          if (absl::Status s = SetPeerPhoto(world, {PeerKind::kChat, chat.id}, *photo); !s.ok()) {
            return s;
          }
          action = {ServiceAction::Kind::kChatEditPhoto, "", {}, *photo};
        } else {
          chat.photo = {};
        }
        const MessageRecord record = ServiceMessage(world, context.user_id, action);
        CallerCopy copy = StoreInChat(env, context, chat, record, MemberIds(chat));
        return tl::Ptr<api::Updates>(ChatAnswer(world, context, chat, record, std::move(copy)));
      });
  d.On<api::messages_getChats>(
      [&world](const api::messages_getChats& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_Chats>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        auto out = std::make_unique<api::messages_chats>();
        for (int64_t id : request.id) {
          absl::StatusOr<ChatRecord*> chat = FindKnownChat(world, id, context.user_id);
          if (!chat.ok()) return chat.status();
          out->chats.push_back(MakeChat(**chat, context.user_id));
        }
        return tl::Ptr<api::messages_Chats>(std::move(out));
      });
  // Members see the participants; former members only that they may not.
  d.On<api::messages_getFullChat>(
      [&world](const api::messages_getFullChat& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_ChatFull>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<ChatRecord*> found = FindKnownChat(world, request.chat_id, context.user_id);
        if (!found.ok()) return found.status();
        const ChatRecord& chat = **found;
        auto full = std::make_unique<api::chatFull>();
        full->id = chat.id;
        full->about = chat.about;
        full->notify_settings = std::make_unique<api::peerNotifySettings>();
        if (chat.photo.id != 0) full->chat_photo = MakePhoto(world, chat.photo.id);
        auto out = std::make_unique<api::messages_chatFull>();
        if (chat.HasMember(context.user_id)) {
          full->participants = MakeParticipants(chat);
          std::set<int64_t> users;
          for (const ChatParticipantRecord& p : chat.participants) users.insert(p.user_id);
          AddUsers(world, users, context.user_id, out->users);
        } else {
          auto forbidden = std::make_unique<api::chatParticipantsForbidden>();
          forbidden->chat_id = chat.id;
          full->participants = std::move(forbidden);
        }
        out->full_chat = std::move(full);
        out->chats.push_back(MakeChat(chat, context.user_id));
        return tl::Ptr<api::messages_ChatFull>(std::move(out));
      });
}

}  // namespace

// ---- Channels.

// Stored as a member who did not send it sees it; NewChannelMessage shows it to a viewer.
const MessageRecord& AddChannelService(World& world, ChannelRecord& channel, int64_t from_id,
                                       ServiceAction action, int32_t topic_id) {
  MessageRecord record = ServiceMessage(world, from_id, std::move(action));
  record.peer = {PeerKind::kChannel, channel.id};
  record.topic_id = topic_id;
  return world.AddMessage(channel.box, std::move(record));
}

namespace {

tl::Ptr<api::Update> NewChannelMessage(World& world, const ChannelRecord& channel,
                                       const MessageRecord& message, int64_t viewer) {
  MessageRecord seen = message;
  seen.out = message.from_id == viewer;
  auto update = std::make_unique<api::updateNewChannelMessage>();
  update->message = MakeMessage(seen, world);
  update->pts = channel.box.pts;
  update->pts_count = 1;
  return update;
}

tl::Ptr<api::Update> ChannelChanged(const ChannelRecord& channel) {
  auto update = std::make_unique<api::updateChannel>();
  update->channel_id = channel.id;
  return update;
}

}  // namespace

std::unique_ptr<api::updates> ChannelUpdates(World& world, const ChannelRecord& channel,
                                             const MessageRecord* service, int64_t viewer,
                                             bool with_channel_update) {
  std::unique_ptr<api::updates> out = NewUpdates(world);
  if (with_channel_update) out->updates_.push_back(ChannelChanged(channel));
  std::set<int64_t> users = {viewer};
  if (service != nullptr) {
    out->updates_.push_back(NewChannelMessage(world, channel, *service, viewer));
    users = UsersOf(*service);
  }
  AddUsers(world, users, viewer, out->users);
  out->chats.push_back(MakeChannel(channel, viewer));
  return out;
}

namespace {

void RegisterChannelMembershipMethods(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  // A broadcast channel unless `megagroup` (or `forum`) asks for a supergroup; private (no
  // username) until one is set.
  d.On<api::channels_createChannel>(
      [&env, &world](const api::channels_createChannel& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<std::string> title = CleanTitle(request.title);
        if (!title.ok()) return title.status();
        if (request.about.size() > kMaxAboutLength) return BadRequest("CHAT_ABOUT_TOO_LONG");
        ChannelRecord& channel =
            world.AddChannel(*title, "", context.user_id, request.megagroup || request.forum);
        channel.about = request.about;
        channel.forum = request.forum;
        const MessageRecord& created = AddChannelService(
            world, channel, context.user_id, {ServiceAction::Kind::kChannelCreate, *title, {}});
        env.push(context.user_id, *ChannelUpdates(world, channel, &created, context.user_id, true),
                 context.session_id);
        return tl::Ptr<api::Updates>(ChannelUpdates(world, channel, &created, context.user_id,
                                                    /*with_channel_update=*/true));
      });
  // Any member of a supergroup may invite; in a broadcast channel only its admin (the creator),
  // and bots only as admins. Users already in it are skipped.
  d.On<api::channels_inviteToChannel>([&env, &world](const api::channels_inviteToChannel& request,
                                                     CallContext& context)
                                          -> absl::StatusOr<tl::Ptr<api::messages_InvitedUsers>> {
    if (absl::Status s = RequireUser(context); !s.ok()) return s;
    absl::StatusOr<ChannelRecord*> found = ResolveInputChannel(*request.channel, world);
    if (!found.ok()) return found.status();
    ChannelRecord& channel = **found;
    if (!channel.HasMember(context.user_id)) {
      return TelegramError(406, "CHANNEL_PRIVATE");
    }
    if (!channel.megagroup &&
        (AdminRightsOf(channel, context.user_id) & admin_right::kInviteUsers) == 0) {
      return TelegramError(403, "CHAT_ADMIN_REQUIRED");
    }
    std::vector<int64_t> invited;
    for (const auto& input : request.users) {
      absl::StatusOr<UserRecord*> user = ResolveInputUser(*input, context, world);
      if (!user.ok()) return user.status();
      if (!channel.megagroup && (*user)->bot) return BadRequest("USER_BOT");
      const int64_t id = (*user)->id;
      if (channel.HasMember(id) || std::find(invited.begin(), invited.end(), id) != invited.end()) {
        continue;
      }
      // Only an admin's invitation lifts a ban.
      if (channel.kicked.count(id) != 0 &&
          (AdminRightsOf(channel, context.user_id) & admin_right::kBanUsers) == 0) {
        return BadRequest("USER_KICKED");
      }
      invited.push_back(id);
    }
    for (int64_t id : invited) {
      if (channel.kicked.erase(id) != 0) channel.restricted.erase(id);
    }
    if (invited.empty()) {
      return Invited(ChannelUpdates(world, channel, nullptr, context.user_id, false));
    }
    channel.members.insert(channel.members.end(), invited.begin(), invited.end());
    // A supergroup says who joined; a broadcast channel does not.
    const MessageRecord* added = nullptr;
    if (channel.megagroup) {
      added = &AddChannelService(world, channel, context.user_id,
                                 {ServiceAction::Kind::kChatAddUser, "", invited});
    }
    // The invited learn of the channel (updateChannel); the other members of the message.
    PushToChannel(env, channel, context.session_id, [&](int64_t viewer) -> tl::Ptr<api::Updates> {
      const bool is_new = std::find(invited.begin(), invited.end(), viewer) != invited.end();
      if (!is_new && added == nullptr) return nullptr;
      return ChannelUpdates(world, channel, added, viewer, is_new);
    });
    std::unique_ptr<api::updates> answer =
        ChannelUpdates(world, channel, added, context.user_id, false);
    return Invited(std::move(answer));
  });
  // Public (username) channels only: a private one needs an invite link (not emulated).
  d.On<api::channels_joinChannel>(
      [&env, &world](
          const api::channels_joinChannel& request,
          CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_ChatInviteJoinResult>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<ChannelRecord*> found = ResolveInputChannel(*request.channel, world);
        if (!found.ok()) return found.status();
        ChannelRecord& channel = **found;
        if (channel.HasMember(context.user_id)) {
          return BadRequest("USER_ALREADY_PARTICIPANT");
        }
        // A banned user cannot see the channel, so cannot join it either.
        if (channel.username.empty() || channel.kicked.count(context.user_id) != 0) {
          return TelegramError(406, "CHANNEL_PRIVATE");
        }
        channel.members.push_back(context.user_id);
        const MessageRecord* joined = nullptr;
        if (channel.megagroup) {
          joined = &AddChannelService(world, channel, context.user_id,
                                      {ServiceAction::Kind::kChatAddUser, "", {context.user_id}});
        }
        PushToChannel(env, channel, context.session_id,
                      [&](int64_t viewer) -> tl::Ptr<api::Updates> {
                        const bool self = viewer == context.user_id;
                        if (!self && joined == nullptr) return nullptr;
                        return ChannelUpdates(world, channel, joined, viewer, self);
                      });
        auto out = std::make_unique<api::messages_chatInviteJoinResultOk>();
        out->updates = ChannelUpdates(world, channel, joined, context.user_id, true);
        return tl::Ptr<api::messages_ChatInviteJoinResult>(std::move(out));
      });
  // The creator may leave too (and join a public channel again, still its creator).
  d.On<api::channels_leaveChannel>(
      [&env, &world](const api::channels_leaveChannel& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<ChannelRecord*> found = ResolveInputChannel(*request.channel, world);
        if (!found.ok()) return found.status();
        ChannelRecord& channel = **found;
        if (!channel.HasMember(context.user_id)) {
          if (channel.username.empty()) return TelegramError(406, "CHANNEL_PRIVATE");
          return BadRequest("USER_NOT_PARTICIPANT");
        }
        const MessageRecord* left = nullptr;
        if (channel.megagroup) {
          left = &AddChannelService(world, channel, context.user_id,
                                    {ServiceAction::Kind::kChatDeleteUser, "", {context.user_id}});
        }
        channel.members.erase(
            std::find(channel.members.begin(), channel.members.end(), context.user_id));
        if (left != nullptr) {
          PushToChannel(env, channel, context.session_id,
                        [&](int64_t viewer) -> tl::Ptr<api::Updates> {
                          return ChannelUpdates(world, channel, left, viewer, false);
                        });
        }
        // The caller's other sessions learn that the channel is left.
        env.push(context.user_id, *ChannelUpdates(world, channel, nullptr, context.user_id, true),
                 context.session_id);
        return tl::Ptr<api::Updates>(ChannelUpdates(world, channel, left, context.user_id, true));
      });
}

}  // namespace

absl::StatusOr<tl::Ptr<api::Updates>> JoinChatByLink(MethodEnv& env, const CallContext& context,
                                                     ChatRecord& chat, int64_t inviter_id) {
  World& world = *env.world;
  if (chat.participants.size() >= kMaxChatMembers) return BadRequest("USERS_TOO_MUCH");
  chat.participants.push_back({context.user_id, inviter_id, world.Now()});
  chat.former_members.erase(context.user_id);
  ++chat.version;
  const MessageRecord record = ServiceMessage(
      world, context.user_id, {ServiceAction::Kind::kChatJoinedByLink, "", {inviter_id}});
  CallerCopy copy = StoreInChat(env, context, chat, record, MemberIds(chat));
  return tl::Ptr<api::Updates>(ChatAnswer(world, context, chat, record, std::move(copy)));
}

absl::StatusOr<std::string> CleanTitle(const std::string& title) {
  std::string out(absl::StripAsciiWhitespace(title));
  if (out.empty()) return BadRequest("CHAT_TITLE_EMPTY");
  return out;
}

absl::StatusOr<tl::Ptr<api::Updates>> DeliverToChat(MethodEnv& env, const CallContext& context,
                                                    int64_t chat_id, MessageRecord record,
                                                    int64_t random_id) {
  World& world = *env.world;
  absl::StatusOr<ChatRecord*> chat = FindKnownChat(world, chat_id, context.user_id);
  if (!chat.ok()) return chat.status();
  if (!(*chat)->HasMember(context.user_id)) return TelegramError(403, "CHAT_WRITE_FORBIDDEN");
  const bool media =
      record.document_id.has_value() || record.photo_id.has_value() || !record.media.empty();
  if (absl::Status s = CheckMaySendToChat(**chat, context.user_id, media); !s.ok()) return s;
  CallerCopy copy = StoreInChat(env, context, **chat, record, MemberIds(**chat));
  auto id = std::make_unique<api::updateMessageID>();
  id->id = copy.id;
  id->random_id = random_id;
  std::vector<tl::Ptr<api::Update>> first;
  first.push_back(std::move(id));
  return tl::Ptr<api::Updates>(
      ChatAnswer(world, context, **chat, record, std::move(copy), std::move(first)));
}

void RegisterChatMethods(Dispatcher& d, MethodEnv& env) {
  RegisterBasicGroupMethods(d, env);
  RegisterChannelMembershipMethods(d, env);
  RegisterChatAdminMethods(d, env);
}

}  // namespace tgrpc::fakedc
