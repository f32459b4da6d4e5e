// messages.* and channels.* that change sent messages: edits (both copies of a private message),
// deletions (with revoke, the other side's copies too; a channel's by its author or creator) and
// forwards (copies delivered like new sends). Registered by RegisterMessageMethods.
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/fakedc/chat_rights.h"
#include "tests/fakedc/entities.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/methods_messages_internal.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

// updates{update} with the users and chats `mentioned` names, as `viewer` sees them.
std::unique_ptr<api::updates> OneUpdate(tl::Ptr<api::Update> update,
                                        const std::vector<const MessageRecord*>& mentioned,
                                        World& world, int64_t viewer) {
  auto out = std::make_unique<api::updates>();
  out->date = world.Now();
  out->updates_.push_back(std::move(update));
  AddReferenced(mentioned, world, viewer, out->users, out->chats);
  return out;
}

// A private message's copy on the other side of the chat, or nullptr (a chat with oneself, a
// group's message, or a copy the other side deleted).
MessageRecord* OtherSidesCopy(World& world, int64_t owner, const MessageRecord& message) {
  if (message.peer.kind != PeerKind::kUser || message.peer.id == owner ||
      message.counterpart_id == 0) {
    return nullptr;
  }
  MessageBox& theirs = world.BoxOf(message.peer.id);
  auto it = theirs.messages.find(message.counterpart_id);
  return it == theirs.messages.end() ? nullptr : &it->second;
}

// Telegram edits both copies of a private message and tells both sides: the other side's copy
// takes `edited`'s text and entities, its box logs the edit (under its own pts) and its sessions
// get updateEditMessage.
void EditOtherSide(MethodEnv& env, int64_t owner, const MessageRecord& edited) {
  World& world = *env.world;
  MessageRecord* copy = OtherSidesCopy(world, owner, edited);
  if (copy == nullptr) return;
  copy->text = edited.text;
  copy->entities = edited.entities;
  const int64_t other = edited.peer.id;
  auto make_update = [&](int32_t pts) {
    auto update = std::make_unique<api::updateEditMessage>();
    update->message = MakeMessage(*copy, world);
    update->pts = pts;
    update->pts_count = 1;
    return update;
  };
  const int32_t pts = world.AddEvent(
      world.BoxOf(other), 1, [&](int32_t new_pts) { return UpdateBytes(*make_update(new_pts)); });
  env.push(other, *OneUpdate(make_update(pts), {copy}, world, other), 0);
}

// Deletes `ids` from `owner`'s box: pts moves by the number deleted, the event is logged and
// pushed to the owner's sessions but `except_session`. Returns the ids that were there.
std::vector<int32_t> DeleteFromBox(MethodEnv& env, int64_t owner, const std::vector<int32_t>& ids,
                                   uint64_t except_session) {
  World& world = *env.world;
  MessageBox& box = world.BoxOf(owner);
  std::vector<int32_t> deleted;
  for (int32_t id : ids) {
    if (box.messages.erase(id) != 0) deleted.push_back(id);
  }
  const int32_t pts_count = static_cast<int32_t>(deleted.size());
  // Nothing deleted moves nothing: pts stays, and there is no event to log or push.
  if (pts_count == 0) return deleted;
  auto make_update = [&](int32_t pts) {
    auto update = std::make_unique<api::updateDeleteMessages>();
    update->messages = deleted;
    update->pts = pts;
    update->pts_count = pts_count;
    return update;
  };
  const int32_t pts = world.AddEvent(
      box, pts_count, [&](int32_t new_pts) { return UpdateBytes(*make_update(new_pts)); });
  env.push(owner, *OneUpdate(make_update(pts), {}, world, owner), except_session);
  return deleted;
}

}  // namespace

tl::Ptr<api::Update> PushChannelDeletion(MethodEnv& env, ChannelRecord& channel,
                                         const std::vector<int32_t>& deleted,
                                         uint64_t except_session) {
  World& world = *env.world;
  const int32_t pts_count = static_cast<int32_t>(deleted.size());
  auto make_update = [&](int32_t pts) {
    auto update = std::make_unique<api::updateDeleteChannelMessages>();
    update->channel_id = channel.id;
    update->messages = deleted;
    update->pts = pts;
    update->pts_count = pts_count;
    return update;
  };
  const int32_t pts = world.AddEvent(
      channel.box, pts_count, [&](int32_t new_pts) { return UpdateBytes(*make_update(new_pts)); });
  PushToChannel(env, channel, except_session, [&](int64_t viewer) -> tl::Ptr<api::Updates> {
    std::unique_ptr<api::updates> push = OneUpdate(make_update(pts), {}, world, viewer);
    push->chats.push_back(MakeChannel(channel, viewer));
    return push;
  });
  return make_update(pts);
}

// edit, delete, forward.
void RegisterMessageEditing(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.On<api::messages_editMessage>(
      [&env, &world](const api::messages_editMessage& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
        if (!peer.ok()) return peer.status();
        absl::StatusOr<MessageBox*> box = BoxFor(world, context, *peer);
        if (!box.ok()) return box.status();
        MessageRecord* message = FindIn(**box, *peer, request.id);
        if (message == nullptr) return BadRequest("MESSAGE_ID_INVALID");
        if (message->from_id != context.user_id)
          return TelegramError(403, "MESSAGE_AUTHOR_REQUIRED");
        // New text without entities is plain; entities without text restyle the old text.
        const std::string text = request.message.value_or(message->text);
        absl::StatusOr<std::vector<std::string>> entities =
            StoredEntities(request.entities, text, context, world);
        if (!entities.ok()) return entities.status();
        if (!request.message.has_value() && !request.entities.has_value()) {
          return BadRequest("MESSAGE_NOT_MODIFIED");
        }
        if (text == message->text && *entities == message->entities) {
          return BadRequest("MESSAGE_NOT_MODIFIED");
        }
        if (text.empty() && !message->document_id.has_value() && !message->photo_id.has_value()) {
          return BadRequest("MESSAGE_EMPTY");
        }
        if (text.size() > 4096) return BadRequest("MESSAGE_TOO_LONG");
        message->text = text;
        message->entities = *std::move(entities);
        const bool in_channel = peer->kind == PeerKind::kChannel;
        // The edit as `viewer` sees it (a channel message is `out` for its author only).
        auto make_update = [&](int32_t pts, int64_t viewer) -> tl::Ptr<api::Update> {
          MessageRecord seen = *message;
          if (in_channel) {
            seen.out = seen.from_id == viewer;
            auto update = std::make_unique<api::updateEditChannelMessage>();
            update->message = MakeMessage(seen, world);
            update->pts = pts;
            update->pts_count = 1;
            return update;
          }
          auto update = std::make_unique<api::updateEditMessage>();
          update->message = MakeMessage(seen, world);
          update->pts = pts;
          update->pts_count = 1;
          return update;
        };
        // A channel's log is read by every member: logged as a non-author sees it.
        const int32_t pts = world.AddEvent(**box, 1, [&](int32_t new_pts) {
          return UpdateBytes(*make_update(new_pts, in_channel ? 0 : context.user_id));
        });
        if (in_channel) {
          PushToChannel(env, *world.FindChannel(peer->id), context.session_id,
                        [&](int64_t viewer) -> tl::Ptr<api::Updates> {
                          return OneUpdate(make_update(pts, viewer), {message}, world, viewer);
                        });
        } else {
          // The other side first, as with sends: an update gap fault takes their push.
          EditOtherSide(env, context.user_id, *message);
          env.push(context.user_id,
                   *OneUpdate(make_update(pts, context.user_id), {message}, world, context.user_id),
                   context.session_id);
        }
        return tl::Ptr<api::Updates>(
            OneUpdate(make_update(pts, context.user_id), {message}, world, context.user_id));
      });
  // Deletes from the caller's box; with revoke, a private chat's messages go from the other
  // side's box too (each side's deletion under its own ids and pts), as Telegram deletes them for
  // both. A basic group's other copies are kept.
  d.On<api::messages_deleteMessages>(
      [&env, &world](
          const api::messages_deleteMessages& request,
          CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_AffectedMessages>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        MessageBox& box = world.BoxOf(context.user_id);
        std::map<int64_t, std::vector<int32_t>> revoked;  // by the other side: their copies' ids
        for (int32_t id : request.id) {
          auto it = box.messages.find(id);
          if (!request.revoke || it == box.messages.end()) continue;
          if (const MessageRecord* copy = OtherSidesCopy(world, context.user_id, it->second)) {
            revoked[it->second.peer.id].push_back(copy->id);
          }
        }
        // The other side first, as with sends: an update gap fault takes their push.
        for (const auto& [user_id, ids] : revoked) DeleteFromBox(env, user_id, ids, 0);
        const std::vector<int32_t> deleted =
            DeleteFromBox(env, context.user_id, request.id, context.session_id);
        auto out = std::make_unique<api::messages_affectedMessages>();
        out->pts = box.pts;
        out->pts_count = static_cast<int32_t>(deleted.size());
        return tl::Ptr<api::messages_AffectedMessages>(std::move(out));
      });
  d.On<api::channels_deleteMessages>(
      [&env, &world](
          const api::channels_deleteMessages& request,
          CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_AffectedMessages>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<ChannelRecord*> channel = ResolveInputChannel(*request.channel, world);
        if (!channel.ok()) return channel.status();
        ChannelRecord& c = **channel;
        if (!c.HasMember(context.user_id)) return TelegramError(406, "CHANNEL_PRIVATE");
        // Only admins with delete_messages delete others' messages.
        const bool may_delete =
            (AdminRightsOf(c, context.user_id) & admin_right::kDeleteMessages) != 0;
        for (int32_t id : request.id) {
          auto it = c.box.messages.find(id);
          if (it != c.box.messages.end() && it->second.from_id != context.user_id && !may_delete) {
            return TelegramError(403, "MESSAGE_DELETE_FORBIDDEN");
          }
        }
        std::vector<int32_t> deleted;
        for (int32_t id : request.id) {
          if (c.box.messages.erase(id) != 0) deleted.push_back(id);
        }
        const int32_t pts_count = static_cast<int32_t>(deleted.size());
        if (pts_count > 0) {
          PushChannelDeletion(env, c, deleted, context.session_id);
        }
        auto out = std::make_unique<api::messages_affectedMessages>();
        out->pts = c.box.pts;
        out->pts_count = pts_count;
        return tl::Ptr<api::messages_AffectedMessages>(std::move(out));
      });
  // A private chat's or basic group's history up to max_id (0: all), from the caller's box; with
  // revoke also the other side's copies (in a basic group: every member's, by group_key). One
  // batch: offset is always 0.
  d.On<api::messages_deleteHistory>([&env, &world](const api::messages_deleteHistory& request,
                                                   CallContext& context)
                                        -> absl::StatusOr<tl::Ptr<api::messages_AffectedHistory>> {
    if (absl::Status s = RequireUser(context); !s.ok()) return s;
    absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
    if (!peer.ok()) return peer.status();
    if (peer->kind == PeerKind::kChannel) return BadRequest("PEER_ID_INVALID");
    MessageBox& box = world.BoxOf(context.user_id);
    std::vector<int32_t> ids;
    std::vector<int64_t> group_keys;
    std::map<int64_t, std::vector<int32_t>> revoked;  // by the other side: their copies' ids
    for (const auto& [id, message] : box.messages) {
      if (!(message.peer == *peer) || (request.max_id > 0 && id > request.max_id)) continue;
      ids.push_back(id);
      if (!request.revoke) continue;
      if (const MessageRecord* copy = OtherSidesCopy(world, context.user_id, message)) {
        revoked[message.peer.id].push_back(copy->id);
      }
      if (message.group_key != 0) group_keys.push_back(message.group_key);
    }
    if (const ChatRecord* chat = peer->kind == PeerKind::kChat ? world.FindChat(peer->id) : nullptr;
        chat != nullptr && !group_keys.empty()) {
      const std::set<int64_t> keys(group_keys.begin(), group_keys.end());
      for (const ChatParticipantRecord& member : chat->participants) {
        if (member.user_id == context.user_id) continue;
        for (const auto& [id, message] : world.BoxOf(member.user_id).messages) {
          if (message.peer == *peer && keys.count(message.group_key) != 0) {
            revoked[member.user_id].push_back(id);
          }
        }
      }
    }
    for (const auto& [user_id, copies] : revoked) DeleteFromBox(env, user_id, copies, 0);
    const std::vector<int32_t> deleted =
        DeleteFromBox(env, context.user_id, ids, context.session_id);
    auto out = std::make_unique<api::messages_affectedHistory>();
    out->pts = box.pts;
    out->pts_count = static_cast<int32_t>(deleted.size());
    return tl::Ptr<api::messages_AffectedHistory>(std::move(out));
  });
  // A supergroup's history up to max_id: for everyone (admins with delete_messages), or hidden
  // from the caller only.
  d.On<api::channels_deleteHistory>(
      [&env, &world](const api::channels_deleteHistory& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<ChannelRecord*> channel = ResolveInputChannel(*request.channel, world);
        if (!channel.ok()) return channel.status();
        ChannelRecord& c = **channel;
        if (!c.HasMember(context.user_id)) return TelegramError(406, "CHANNEL_PRIVATE");
        if (!c.megagroup) return BadRequest("CHANNEL_INVALID");
        auto answer = std::make_unique<api::updates>();
        answer->date = world.Now();
        answer->chats.push_back(MakeChannel(c, context.user_id));
        if (!request.for_everyone) {
          int32_t& cleared = c.history_cleared[context.user_id];
          cleared = std::max(cleared, std::min(request.max_id, c.box.last_id));
          return tl::Ptr<api::Updates>(std::move(answer));
        }
        if ((AdminRightsOf(c, context.user_id) & admin_right::kDeleteMessages) == 0) {
          return BadRequest("CHAT_ADMIN_REQUIRED");
        }
        std::vector<int32_t> deleted;
        for (auto it = c.box.messages.begin(); it != c.box.messages.end();) {
          if (it->first > request.max_id) break;
          deleted.push_back(it->first);
          it = c.box.messages.erase(it);
        }
        const int32_t pts_count = static_cast<int32_t>(deleted.size());
        if (pts_count > 0) {
          answer->updates_.push_back(PushChannelDeletion(env, c, deleted, context.session_id));
        }
        return tl::Ptr<api::Updates>(std::move(answer));
      });
  // Copies text, entities and document of each message into to_peer (no fwd_from header in
  // fakedc).
  d.On<api::messages_forwardMessages>(
      [&env, &world](const api::messages_forwardMessages& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        if (request.id.empty()) return BadRequest("MESSAGE_IDS_EMPTY");
        if (request.id.size() != request.random_id.size()) return BadRequest("RANDOM_ID_INVALID");
        if (request.id.size() > 100) return BadRequest("MESSAGE_IDS_TOO_MANY");
        absl::StatusOr<PeerRef> from = ResolveInputPeer(*request.from_peer, context, world);
        if (!from.ok()) return from.status();
        absl::StatusOr<PeerRef> to = ResolveInputPeer(*request.to_peer, context, world);
        if (!to.ok()) return to.status();
        absl::StatusOr<MessageBox*> box = BoxFor(world, context, *from);
        if (!box.ok()) return box.status();
        // Copy first: delivering may add to the same box.
        std::vector<MessageRecord> originals;
        for (int32_t id : request.id) {
          const MessageRecord* m = FindIn(**box, *from, id);
          if (m == nullptr) return BadRequest("MESSAGE_ID_INVALID");
          originals.push_back(*m);
        }
        auto answer = std::make_unique<api::updates>();
        answer->date = world.Now();
        for (size_t i = 0; i < originals.size(); ++i) {
          absl::StatusOr<tl::Ptr<api::Updates>> one =
              Deliver(env, context, *to, originals[i], request.random_id[i]);
          if (!one.ok()) return one.status();
          auto* updates = dynamic_cast<api::updates*>(one->get());
          if (updates == nullptr) continue;
          for (auto& u : updates->updates_) answer->updates_.push_back(std::move(u));
          // Every delivery names the same users and chats: keep one copy.
          if (i == 0) {
            answer->users = std::move(updates->users);
            answer->chats = std::move(updates->chats);
          }
        }
        return tl::Ptr<api::Updates>(std::move(answer));
      });
}

}  // namespace tgrpc::fakedc
