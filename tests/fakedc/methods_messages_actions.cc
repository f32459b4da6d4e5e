// What members do to messages besides sending and editing them: pins (messages.updatePinnedMessage,
// unpinAllMessages), read marks (messages.readHistory, channels.readHistory, readMentions),
// typing (messages.setTyping) and reactions (messages.sendReaction, getMessageReactionsList), with
// the updates Telegram sends the other members; and the geo point, contact and dice media
// messages.sendMedia takes. Registered by RegisterMessageMethods.
//
// A private chat's and a basic group's messages have a copy per member (own ids, own pts): a pin,
// a reaction or a read reaches every copy, each member's box logs its own event and each member
// gets the update with its own ids. A channel's live once, in the channel's box.
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/methods_messages_internal.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

// Telegram's client configuration (core.telegram.org/api/config): reactions per user without and
// with Premium, and distinct reactions per message.
constexpr size_t kMaxUserReactions = 1;
constexpr size_t kMaxPremiumUserReactions = 3;
constexpr size_t kMaxUniqueReactions = 11;
constexpr int kMaxReactionsPage = 100;

// The emoji every chat allows by default (messages.getAvailableReactions' non-premium set).
bool IsStandardReaction(const std::string& emoji) {
  static const auto* standard = new std::set<std::string>{
      "👍",    "👎",    "❤",    "🔥",    "🥰", "👏",    "😁",          "🤔",       "🤯",
      "😱",    "🤬", "😢",    "🎉",    "🤩", "🤮", "💩",          "🙏",          "👌",
      "🕊", "🤡", "🥱", "🥴", "😍",    "🐳",    "🌚",          "🌭",       "💯",
      "🤣", "⚡",    "🍌",    "🏆",    "💔",    "🤨", "😐",          "🍓",          "🍾",
      "💋",    "🖕", "😈",    "😴",    "😭",    "🤓", "👻",          "👀",          "🎃",
      "🙈",    "😇",    "😨",    "🤝", "✍",    "🤗", "🫡",       "🎅",          "🎄",
      "☃",    "💅",    "🤪", "🗿",    "🆒",    "💘",    "🙉",          "🦄",       "😘",
      "💊",    "🙊",    "😎",    "👾",    "🤷", "😡",    "❤‍🔥", "👨‍💻"};
  return standard->count(emoji) != 0;
}

// The dice Telegram rolls, with each one's highest value.
int DiceFaces(const std::string& emoticon) {
  static const auto* faces =
      new std::map<std::string, int>{{"🎲", 6}, {"🎯", 6}, {"🏀", 5}, {"⚽", 5}, {"🎳", 6}, {"🎰", 64}};
  auto it = faces->find(emoticon);
  return it == faces->end() ? 0 : it->second;
}

tl::Ptr<api::Reaction> MakeReaction(const std::string& key) {
  int64_t document_id = 0;
  if (absl::StartsWith(key, "custom:") && absl::SimpleAtoi(key.substr(7), &document_id)) {
    auto out = std::make_unique<api::reactionCustomEmoji>();
    out->document_id = document_id;
    return out;
  }
  auto out = std::make_unique<api::reactionEmoji>();
  out->emoticon = key;
  return out;
}

// The key a ReactionRecord keeps, or "" for a reaction fakedc does not take (paid, empty).
std::string ReactionKey(const api::Reaction& reaction) {
  if (const auto* r = dynamic_cast<const api::reactionEmoji*>(&reaction)) return r->emoticon;
  if (const auto* r = dynamic_cast<const api::reactionCustomEmoji*>(&reaction)) {
    return absl::StrCat("custom:", r->document_id);
  }
  return "";
}

bool IsBroadcast(World& world, const PeerRef& peer) {
  if (peer.kind != PeerKind::kChannel) return false;
  const ChannelRecord* channel = world.FindChannel(peer.id);
  return channel != nullptr && !channel->megagroup;
}

// One copy of a message and the user whose box holds it (0 for a channel's).
struct Copy {
  int64_t owner = 0;
  MessageRecord* record = nullptr;
};

// `owner`'s copy first, then the others: a private chat's other side, or every other (former)
// member's copy of a basic-group message. A channel message is its only copy.
std::vector<Copy> CopiesOf(World& world, int64_t owner, MessageRecord& message) {
  std::vector<Copy> out = {{owner, &message}};
  if (message.peer.kind == PeerKind::kUser && message.peer.id != owner &&
      message.counterpart_id != 0) {
    MessageBox& theirs = world.BoxOf(message.peer.id);
    auto it = theirs.messages.find(message.counterpart_id);
    if (it != theirs.messages.end()) out.push_back({message.peer.id, &it->second});
  } else if (message.peer.kind == PeerKind::kChat && message.group_key != 0) {
    const ChatRecord* chat = world.FindChat(message.peer.id);
    if (chat == nullptr) return out;
    std::vector<int64_t> users;
    for (const ChatParticipantRecord& p : chat->participants) users.push_back(p.user_id);
    for (const auto& [user_id, removed] : chat->former_members) users.push_back(user_id);
    for (int64_t user_id : users) {
      if (user_id == owner) continue;
      for (auto& [id, copy] : world.BoxOf(user_id).messages) {
        if (copy.peer == message.peer && copy.group_key == message.group_key) {
          out.push_back({user_id, &copy});
          break;
        }
      }
    }
  }
  return out;
}

// updates{update} with `peer` and `also` (a user, 0 for none) as `viewer` sees them.
std::unique_ptr<api::updates> Wrap(World& world, tl::Ptr<api::Update> update, const PeerRef& peer,
                                   int64_t viewer, int64_t also = 0) {
  auto out = std::make_unique<api::updates>();
  out->date = world.Now();
  out->updates_.push_back(std::move(update));
  std::set<int64_t> users;
  if (also != 0) users.insert(also);
  if (peer.kind == PeerKind::kUser) users.insert(peer.id);
  for (int64_t id : users) {
    if (const UserRecord* user = world.FindUser(id)) out->users.push_back(MakeUser(*user, viewer));
  }
  if (peer.kind == PeerKind::kChat) {
    if (const ChatRecord* chat = world.FindChat(peer.id)) {
      out->chats.push_back(MakeChat(*chat, viewer));
    }
  } else if (peer.kind == PeerKind::kChannel) {
    if (const ChannelRecord* channel = world.FindChannel(peer.id)) {
      out->chats.push_back(MakeChannel(*channel, viewer));
    }
  }
  return out;
}

// Logs `make(pts)` in `owner`'s box (moving pts by `pts_count`) and pushes it to the owner's
// sessions but `except_session`. Returns the update again, for an answer.
tl::Ptr<api::Update> LogAndPush(MethodEnv& env, int64_t owner, const PeerRef& peer,
                                uint64_t except_session, int32_t pts_count,
                                const std::function<tl::Ptr<api::Update>(int32_t pts)>& make) {
  World& world = *env.world;
  const int32_t pts = world.AddEvent(world.BoxOf(owner), pts_count,
                                     [&](int32_t new_pts) { return UpdateBytes(*make(new_pts)); });
  env.push(owner, *Wrap(world, make(pts), peer, owner), except_session);
  return make(pts);
}

// The message the caller names in `peer`, with the peer and the box holding it.
struct Target {
  PeerRef peer;
  MessageBox* box = nullptr;
  MessageRecord* message = nullptr;
};

absl::StatusOr<Target> FindTarget(World& world, const CallContext& context,
                                  const api::InputPeer& input, int32_t id,
                                  const char* missing = "MESSAGE_ID_INVALID") {
  absl::StatusOr<PeerRef> peer = ResolveInputPeer(input, context, world);
  if (!peer.ok()) return peer.status();
  absl::StatusOr<MessageBox*> box = BoxFor(world, context, *peer);
  if (!box.ok()) return box.status();
  MessageRecord* message = FindIn(**box, *peer, id);
  if (message == nullptr) return BadRequest(missing);
  return Target{*peer, *box, message};
}

// The chat's newest message id in `box` (the whole box for a channel's).
int32_t NewestId(const MessageBox& box, const PeerRef& peer) {
  for (auto it = box.messages.rbegin(); it != box.messages.rend(); ++it) {
    if (peer.kind == PeerKind::kChannel || it->second.peer == peer) return it->first;
  }
  return 0;
}

std::pair<int, int64_t> ReadKey(const PeerRef& peer, int64_t reader) {
  if (peer.kind == PeerKind::kChannel) return {static_cast<int>(PeerKind::kUser), reader};
  return {static_cast<int>(peer.kind), peer.id};
}

// Whether a group's or channel's message names `user` by @username.
bool Mentions(const MessageRecord& message, const UserRecord& user) {
  if (message.peer.kind == PeerKind::kUser || message.from_id == user.id || user.username.empty()) {
    return false;
  }
  return absl::StrContains(absl::AsciiStrToLower(message.text),
                           absl::AsciiStrToLower(absl::StrCat("@", user.username)));
}

// ---- Pins.

void RegisterPins(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.On<api::messages_updatePinnedMessage>(
      [&env, &world](const api::messages_updatePinnedMessage& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<Target> target = FindTarget(world, context, *request.peer, request.id);
        if (!target.ok()) return target.status();
        const bool pin = !request.unpin;
        const PeerRef peer = target->peer;
        if (peer.kind == PeerKind::kChannel) {
          ChannelRecord& channel = *world.FindChannel(peer.id);
          // A broadcast channel's pins are its admins' (fakedc's only admin is the creator).
          if (!channel.megagroup && channel.creator_id != context.user_id) {
            return TelegramError(403, "CHAT_ADMIN_REQUIRED");
          }
          target->message->pinned = pin;
          const int32_t id = target->message->id;
          auto make = [&](int32_t pts) {
            auto update = std::make_unique<api::updatePinnedChannelMessages>();
            update->pinned = pin;
            update->channel_id = channel.id;
            update->messages = {id};
            update->pts = pts;
            update->pts_count = 1;
            return update;
          };
          const int32_t pts = world.AddEvent(
              channel.box, 1, [&](int32_t new_pts) { return UpdateBytes(*make(new_pts)); });
          PushToChannel(env, channel, context.session_id, [&](int64_t viewer) {
            return tl::Ptr<api::Updates>(Wrap(world, make(pts), peer, viewer));
          });
          return tl::Ptr<api::Updates>(Wrap(world, make(pts), peer, context.user_id));
        }
        // Both sides of a private chat (unless pm_oneside), every member of a basic group.
        std::vector<Copy> copies = CopiesOf(world, context.user_id, *target->message);
        if (request.pm_oneside && peer.kind == PeerKind::kUser) copies.resize(1);
        tl::Ptr<api::Update> own;
        // The others first, as with sends: an update gap fault takes their push.
        for (auto it = copies.rbegin(); it != copies.rend(); ++it) {
          it->record->pinned = pin;
          const int32_t id = it->record->id;
          const PeerRef seen = it->record->peer;
          auto make = [&](int32_t pts) -> tl::Ptr<api::Update> {
            auto update = std::make_unique<api::updatePinnedMessages>();
            update->pinned = pin;
            update->peer = MakePeer(seen);
            update->messages = {id};
            update->pts = pts;
            update->pts_count = 1;
            return update;
          };
          const bool caller = it->owner == context.user_id;
          tl::Ptr<api::Update> update =
              LogAndPush(env, it->owner, seen, caller ? context.session_id : 0, 1, make);
          if (caller) own = std::move(update);
        }
        return tl::Ptr<api::Updates>(Wrap(world, std::move(own), peer, context.user_id));
      });
  // Unpins every pinned message of the chat (for everyone in private chats and basic groups, as
  // updatePinnedMessage does): one event per box, pts moved by the number unpinned.
  d.On<api::messages_unpinAllMessages>(
      [&env, &world](
          const api::messages_unpinAllMessages& request,
          CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_AffectedHistory>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
        if (!peer.ok()) return peer.status();
        absl::StatusOr<MessageBox*> box = BoxFor(world, context, *peer);
        if (!box.ok()) return box.status();
        auto out = std::make_unique<api::messages_affectedHistory>();
        if (peer->kind == PeerKind::kChannel) {
          ChannelRecord& channel = *world.FindChannel(peer->id);
          if (!channel.megagroup && channel.creator_id != context.user_id) {
            return TelegramError(403, "CHAT_ADMIN_REQUIRED");
          }
          std::vector<int32_t> ids;
          for (auto& [id, m] : channel.box.messages) {
            if (m.pinned) ids.push_back(id), m.pinned = false;
          }
          out->pts = channel.box.pts;
          if (ids.empty()) return tl::Ptr<api::messages_AffectedHistory>(std::move(out));
          const int32_t count = static_cast<int32_t>(ids.size());
          auto make = [&](int32_t pts) {
            auto update = std::make_unique<api::updatePinnedChannelMessages>();
            update->channel_id = channel.id;
            update->messages = ids;
            update->pts = pts;
            update->pts_count = count;
            return update;
          };
          out->pts = world.AddEvent(channel.box, count,
                                    [&](int32_t new_pts) { return UpdateBytes(*make(new_pts)); });
          PushToChannel(env, channel, context.session_id, [&](int64_t viewer) {
            return tl::Ptr<api::Updates>(Wrap(world, make(out->pts), *peer, viewer));
          });
          out->pts_count = count;
          return tl::Ptr<api::messages_AffectedHistory>(std::move(out));
        }
        // Each owner's unpinned ids, in their own box.
        std::map<int64_t, std::pair<PeerRef, std::vector<int32_t>>> by_owner;
        for (auto& [id, m] : (*box)->messages) {
          if (!m.pinned || !(m.peer == *peer)) continue;
          for (const Copy& copy : CopiesOf(world, context.user_id, m)) {
            if (!copy.record->pinned) continue;
            copy.record->pinned = false;
            auto& entry = by_owner[copy.owner];
            entry.first = copy.record->peer;
            entry.second.push_back(copy.record->id);
          }
        }
        for (const auto& [owner, entry] : by_owner) {
          const auto& [seen, ids] = entry;
          const int32_t count = static_cast<int32_t>(ids.size());
          const bool caller = owner == context.user_id;
          LogAndPush(env, owner, seen, caller ? context.session_id : 0, count, [&](int32_t pts) {
            auto update = std::make_unique<api::updatePinnedMessages>();
            update->peer = MakePeer(seen);
            update->messages = ids;
            update->pts = pts;
            update->pts_count = count;
            return tl::Ptr<api::Update>(std::move(update));
          });
          if (caller) out->pts_count = count;
        }
        out->pts = (*box)->pts;
        return tl::Ptr<api::messages_AffectedHistory>(std::move(out));
      });
}

// ---- Read marks.

// Tells the senders of the messages `reader` read in a private chat or basic group up to its
// copy `max_id` that theirs were read: updateReadHistoryOutbox with each sender's own ids.
void ReadOutboxes(MethodEnv& env, int64_t reader, const PeerRef& peer, int32_t max_id) {
  World& world = *env.world;
  std::map<int64_t, int32_t> newest;  // by sender: the newest of their copies read
  for (auto& [id, m] : world.BoxOf(reader).messages) {
    if (id > max_id || m.out || !(m.peer == peer)) continue;
    for (const Copy& copy : CopiesOf(world, reader, m)) {
      if (copy.owner == m.from_id && copy.owner != reader) {
        newest[copy.owner] = std::max(newest[copy.owner], copy.record->id);
      }
    }
  }
  for (const auto& [sender, sender_max] : newest) {
    const PeerRef seen = peer.kind == PeerKind::kUser ? PeerRef{PeerKind::kUser, reader} : peer;
    ReadState& state = world.BoxOf(sender).reads[ReadKey(seen, sender)];
    if (sender_max <= state.outbox_max_id) continue;
    state.outbox_max_id = sender_max;
    LogAndPush(env, sender, seen, 0, 1, [&](int32_t pts) -> tl::Ptr<api::Update> {
      auto update = std::make_unique<api::updateReadHistoryOutbox>();
      update->peer = MakePeer(seen);
      update->max_id = sender_max;
      update->pts = pts;
      update->pts_count = 1;
      return update;
    });
  }
}

int32_t CountUnread(const MessageBox& box, const PeerRef& peer, int64_t viewer, int32_t after) {
  int32_t count = 0;
  for (auto it = box.messages.upper_bound(after); it != box.messages.end(); ++it) {
    const MessageRecord& m = it->second;
    if (peer.kind != PeerKind::kChannel && !(m.peer == peer)) continue;
    if (m.from_id != viewer && !m.action.has_value()) ++count;
  }
  return count;
}

void RegisterReads(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.On<api::messages_readHistory>(
      [&env, &world](
          const api::messages_readHistory& request,
          CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_AffectedMessages>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
        if (!peer.ok()) return peer.status();
        // A channel's history is read with channels.readHistory.
        if (peer->kind == PeerKind::kChannel) return BadRequest("PEER_ID_INVALID");
        MessageBox& box = world.BoxOf(context.user_id);
        int32_t max_id = NewestId(box, *peer);
        if (request.max_id > 0) max_id = std::min(max_id, request.max_id);
        ReadState& state = box.reads[ReadKey(*peer, context.user_id)];
        auto out = std::make_unique<api::messages_affectedMessages>();
        out->pts = box.pts;
        if (max_id <= state.inbox_max_id) {
          return tl::Ptr<api::messages_AffectedMessages>(std::move(out));
        }
        state.inbox_max_id = max_id;
        // The senders first, as with sends: an update gap fault takes their push.
        ReadOutboxes(env, context.user_id, *peer, max_id);
        const int32_t unread = CountUnread(box, *peer, context.user_id, max_id);
        LogAndPush(env, context.user_id, *peer, context.session_id, 1,
                   [&](int32_t pts) -> tl::Ptr<api::Update> {
                     auto update = std::make_unique<api::updateReadHistoryInbox>();
                     update->peer = MakePeer(*peer);
                     update->max_id = max_id;
                     update->still_unread_count = unread;
                     update->pts = pts;
                     update->pts_count = 1;
                     return update;
                   });
        out->pts = box.pts;
        out->pts_count = 1;
        return tl::Ptr<api::messages_AffectedMessages>(std::move(out));
      });
  // No pts of its own: the reader's other sessions get updateReadChannelInbox, and in a
  // supergroup the senders of the messages read get updateReadChannelOutbox.
  d.On<api::channels_readHistory>([&env, &world](const api::channels_readHistory& request,
                                                 CallContext& context) -> absl::StatusOr<bool> {
    if (absl::Status s = RequireUser(context); !s.ok()) return s;
    absl::StatusOr<ChannelRecord*> found = ResolveInputChannel(*request.channel, world);
    if (!found.ok()) return found.status();
    ChannelRecord& channel = **found;
    if (!channel.HasMember(context.user_id)) return TelegramError(406, "CHANNEL_PRIVATE");
    const PeerRef peer = {PeerKind::kChannel, channel.id};
    int32_t max_id = NewestId(channel.box, peer);
    if (request.max_id > 0) max_id = std::min(max_id, request.max_id);
    ReadState& state = channel.box.reads[ReadKey(peer, context.user_id)];
    if (max_id <= state.inbox_max_id) return true;
    const int32_t before = state.inbox_max_id;
    state.inbox_max_id = max_id;
    if (channel.megagroup) {
      std::map<int64_t, int32_t> newest;  // by sender
      for (auto it = channel.box.messages.upper_bound(before);
           it != channel.box.messages.end() && it->first <= max_id; ++it) {
        if (it->second.from_id != context.user_id) newest[it->second.from_id] = it->first;
      }
      for (const auto& [sender, sender_max] : newest) {
        ReadState& theirs = channel.box.reads[ReadKey(peer, sender)];
        if (sender_max <= theirs.outbox_max_id) continue;
        theirs.outbox_max_id = sender_max;
        auto update = std::make_unique<api::updateReadChannelOutbox>();
        update->channel_id = channel.id;
        update->max_id = sender_max;
        env.push(sender, *Wrap(world, std::move(update), peer, sender), 0);
      }
    }
    auto inbox = std::make_unique<api::updateReadChannelInbox>();
    inbox->channel_id = channel.id;
    inbox->max_id = max_id;
    inbox->still_unread_count = CountUnread(channel.box, peer, context.user_id, max_id);
    inbox->pts = channel.box.pts;
    env.push(context.user_id, *Wrap(world, std::move(inbox), peer, context.user_id),
             context.session_id);
    return true;
  });
  // Marks every mention of the caller in the chat read (fakedc counts a message naming the
  // caller's @username as a mention). Telegram answers the common box's pts; nothing moves it.
  d.On<api::messages_readMentions>(
      [&world](const api::messages_readMentions& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_AffectedHistory>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
        if (!peer.ok()) return peer.status();
        absl::StatusOr<MessageBox*> box = BoxFor(world, context, *peer);
        if (!box.ok()) return box.status();
        ReadState& state = (*box)->reads[ReadKey(*peer, context.user_id)];
        state.mentions_max_id = std::max(state.mentions_max_id, NewestId(**box, *peer));
        auto out = std::make_unique<api::messages_affectedHistory>();
        out->pts = world.BoxOf(context.user_id).pts;
        return tl::Ptr<api::messages_AffectedHistory>(std::move(out));
      });
}

// ---- Typing.

void RegisterTyping(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  // Not logged: a chat action is shown for a few seconds and never replayed by getDifference.
  d.On<api::messages_setTyping>([&env, &world](const api::messages_setTyping& request,
                                               CallContext& context) -> absl::StatusOr<bool> {
    if (absl::Status s = RequireUser(context); !s.ok()) return s;
    if (request.action == nullptr) return BadRequest("TYPE_CONSTRUCTOR_INVALID");
    absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
    if (!peer.ok()) return peer.status();
    // Each push takes its own copy of the action.
    auto copy_action = [&] {
      absl::StatusOr<std::string> bytes = tl::Serialize(*request.action);
      absl::StatusOr<tl::Ptr<api::SendMessageAction>> decoded =
          bytes.ok() ? tl::Decode<api::SendMessageAction>(*bytes) : bytes.status();
      return decoded.ok() ? *std::move(decoded)
                          : tl::Ptr<api::SendMessageAction>(
                                std::make_unique<api::sendMessageTypingAction>());
    };
    const PeerRef me = {PeerKind::kUser, context.user_id};
    if (peer->kind == PeerKind::kUser) {
      if (peer->id != context.user_id) {
        auto update = std::make_unique<api::updateUserTyping>();
        update->user_id = context.user_id;
        update->top_msg_id = request.top_msg_id;
        update->action = copy_action();
        env.push(peer->id, *Wrap(world, std::move(update), me, peer->id), 0);
      }
    } else if (peer->kind == PeerKind::kChat) {
      const ChatRecord* chat = world.FindChat(peer->id);
      if (!chat->HasMember(context.user_id)) return TelegramError(403, "CHAT_WRITE_FORBIDDEN");
      for (const ChatParticipantRecord& p : chat->participants) {
        if (p.user_id == context.user_id) continue;
        auto update = std::make_unique<api::updateChatUserTyping>();
        update->chat_id = chat->id;
        update->from_id = MakePeer(me);
        update->action = copy_action();
        env.push(p.user_id, *Wrap(world, std::move(update), *peer, p.user_id, context.user_id), 0);
      }
    } else {
      const ChannelRecord& channel = *world.FindChannel(peer->id);
      if (!channel.HasMember(context.user_id)) return TelegramError(406, "CHANNEL_PRIVATE");
      if (!channel.megagroup && channel.creator_id != context.user_id) {
        return TelegramError(403, "CHAT_WRITE_FORBIDDEN");
      }
      // Only a supergroup's members see who types; a broadcast channel shows no one.
      if (channel.megagroup) {
        PushToChannel(env, channel, 0, [&](int64_t viewer) -> tl::Ptr<api::Updates> {
          if (viewer == context.user_id) return nullptr;
          auto update = std::make_unique<api::updateChannelUserTyping>();
          update->channel_id = channel.id;
          update->top_msg_id = request.top_msg_id;
          update->from_id = MakePeer(me);
          update->action = copy_action();
          return Wrap(world, std::move(update), *peer, viewer, context.user_id);
        });
      }
    }
    return true;
  });
}

// ---- Reactions.

// The caller's new reactions, checked against the chat's rules: the standard emoji everywhere;
// custom emoji with Premium, outside channels (whose default chatReactionsAll has no
// allow_custom); one reaction (three with Premium).
absl::StatusOr<std::vector<std::string>> CheckedReactions(
    const std::optional<std::vector<tl::Ptr<api::Reaction>>>& reactions, const UserRecord& user,
    const PeerRef& peer) {
  std::vector<std::string> keys;
  if (!reactions.has_value()) return keys;
  for (const auto& reaction : *reactions) {
    const std::string key = reaction != nullptr ? ReactionKey(*reaction) : "";
    if (key.empty() || std::find(keys.begin(), keys.end(), key) != keys.end()) {
      return BadRequest("REACTION_INVALID");
    }
    if (absl::StartsWith(key, "custom:")) {
      if (peer.kind == PeerKind::kChannel) return BadRequest("REACTION_INVALID");
      if (!user.premium) return TelegramError(403, "PREMIUM_ACCOUNT_REQUIRED");
    } else if (!IsStandardReaction(key)) {
      return BadRequest("REACTION_INVALID");
    }
    keys.push_back(key);
  }
  if (keys.size() > (user.premium ? kMaxPremiumUserReactions : kMaxUserReactions)) {
    return BadRequest("REACTIONS_TOO_MANY");
  }
  return keys;
}

void SetReactions(MessageRecord& message, int64_t user_id, const std::vector<std::string>& keys,
                  int32_t now, bool big) {
  auto& list = message.reactions;
  list.erase(std::remove_if(list.begin(), list.end(),
                            [&](const ReactionRecord& r) { return r.user_id == user_id; }),
             list.end());
  for (const std::string& key : keys) list.push_back({user_id, key, now, big});
}

tl::Ptr<api::Update> ReactionsUpdate(const MessageRecord& copy, World& world, int64_t viewer) {
  auto update = std::make_unique<api::updateMessageReactions>();
  update->peer = MakePeer(copy.peer);
  update->msg_id = copy.id;
  update->reactions = MakeReactions(copy, world, viewer);
  if (update->reactions == nullptr) update->reactions = std::make_unique<api::messageReactions>();
  return update;
}

void RegisterReactions(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  // updateMessageReactions has no pts: pushed, never logged.
  d.On<api::messages_sendReaction>(
      [&env, &world](const api::messages_sendReaction& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<Target> target =
            FindTarget(world, context, *request.peer, request.msg_id, "MSG_ID_INVALID");
        if (!target.ok()) return target.status();
        if (target->message->action.has_value()) return BadRequest("MSG_ID_INVALID");
        const UserRecord* user = world.FindUser(context.user_id);
        absl::StatusOr<std::vector<std::string>> keys =
            CheckedReactions(request.reaction, *user, target->peer);
        if (!keys.ok()) return keys.status();
        std::set<std::string> distinct;
        for (const ReactionRecord& r : target->message->reactions) {
          if (r.user_id != context.user_id) distinct.insert(r.reaction);
        }
        distinct.insert(keys->begin(), keys->end());
        if (distinct.size() > kMaxUniqueReactions) return BadRequest("REACTIONS_TOO_MANY");
        const int32_t now = world.Now();
        const PeerRef peer = target->peer;
        if (peer.kind == PeerKind::kChannel) {
          MessageRecord& message = *target->message;
          SetReactions(message, context.user_id, *keys, now, request.big);
          PushToChannel(env, *world.FindChannel(peer.id), context.session_id,
                        [&](int64_t viewer) -> tl::Ptr<api::Updates> {
                          return Wrap(world, ReactionsUpdate(message, world, viewer), peer, viewer);
                        });
          return tl::Ptr<api::Updates>(
              Wrap(world, ReactionsUpdate(message, world, context.user_id), peer, context.user_id));
        }
        std::vector<Copy> copies = CopiesOf(world, context.user_id, *target->message);
        for (const Copy& copy : copies) {
          SetReactions(*copy.record, context.user_id, *keys, now, request.big);
        }
        for (const Copy& copy : copies) {
          const bool caller = copy.owner == context.user_id;
          env.push(copy.owner,
                   *Wrap(world, ReactionsUpdate(*copy.record, world, copy.owner), copy.record->peer,
                         copy.owner, context.user_id),
                   caller ? context.session_id : 0);
        }
        return tl::Ptr<api::Updates>(Wrap(world,
                                          ReactionsUpdate(*target->message, world, context.user_id),
                                          peer, context.user_id));
      });
  // Who reacted, newest first; next_offset is the index of the next entry. Hidden in broadcast
  // channels, whose reactions are anonymous.
  d.On<api::messages_getMessageReactionsList>(
      [&world](
          const api::messages_getMessageReactionsList& request,
          CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_MessageReactionsList>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<Target> target =
            FindTarget(world, context, *request.peer, request.id, "MSG_ID_INVALID");
        if (!target.ok()) return target.status();
        if (IsBroadcast(world, target->peer)) return TelegramError(403, "BROADCAST_FORBIDDEN");
        const std::string filter =
            request.reaction != nullptr ? ReactionKey(*request.reaction) : "";
        std::vector<const ReactionRecord*> matching;
        const auto& all = target->message->reactions;
        for (auto it = all.rbegin(); it != all.rend(); ++it) {
          if (filter.empty() || it->reaction == filter) matching.push_back(&*it);
        }
        std::stable_sort(
            matching.begin(), matching.end(),
            [](const ReactionRecord* a, const ReactionRecord* b) { return a->date > b->date; });
        int offset = 0;
        if (request.offset.has_value() && !request.offset->empty() &&
            (!absl::SimpleAtoi(*request.offset, &offset) || offset < 0)) {
          return BadRequest("OFFSET_INVALID");
        }
        const size_t begin = std::min<size_t>(offset, matching.size());
        const size_t end =
            std::min(matching.size(), begin + std::clamp(request.limit, 1, kMaxReactionsPage));
        auto out = std::make_unique<api::messages_messageReactionsList>();
        out->count = static_cast<int32_t>(matching.size());
        std::set<int64_t> users;
        for (size_t i = begin; i < end; ++i) {
          const ReactionRecord& r = *matching[i];
          auto entry = std::make_unique<api::messagePeerReaction>();
          entry->big = r.big;
          entry->my = r.user_id == context.user_id;
          entry->peer_id = MakePeer({PeerKind::kUser, r.user_id});
          entry->date = r.date;
          entry->reaction = MakeReaction(r.reaction);
          out->reactions.push_back(std::move(entry));
          users.insert(r.user_id);
        }
        for (int64_t id : users) {
          if (const UserRecord* user = world.FindUser(id)) {
            out->users.push_back(MakeUser(*user, context.user_id));
          }
        }
        if (end < matching.size()) out->next_offset = absl::StrCat(end);
        return tl::Ptr<api::messages_MessageReactionsList>(std::move(out));
      });
}

}  // namespace

tl::Ptr<api::MessageReactions> MakeReactions(const MessageRecord& message, World& world,
                                             int64_t viewer_id) {
  if (message.reactions.empty()) return nullptr;
  auto out = std::make_unique<api::messageReactions>();
  out->can_see_list = !IsBroadcast(world, message.peer);
  std::vector<std::string> order;
  std::map<std::string, int32_t> counts;
  std::vector<std::string> mine;
  for (const ReactionRecord& r : message.reactions) {
    if (counts[r.reaction]++ == 0) order.push_back(r.reaction);
    if (r.user_id == viewer_id && viewer_id != 0) mine.push_back(r.reaction);
  }
  for (const std::string& key : order) {
    auto count = std::make_unique<api::reactionCount>();
    count->reaction = MakeReaction(key);
    count->count = counts[key];
    auto chosen = std::find(mine.begin(), mine.end(), key);
    if (chosen != mine.end()) count->chosen_order = static_cast<int32_t>(chosen - mine.begin());
    out->results.push_back(std::move(count));
  }
  return out;
}

tl::Ptr<api::Message> MakeMessageFor(const MessageRecord& message, World& world, int64_t viewer) {
  tl::Ptr<api::Message> out = MakeMessage(message, world);
  if (auto* m = dynamic_cast<api::message*>(out.get()); m != nullptr && m->reactions != nullptr) {
    m->reactions = MakeReactions(message, world, viewer);
  }
  return out;
}

std::optional<absl::StatusOr<std::string>> SimpleMedia(const api::InputMedia& media, World& world) {
  tl::Ptr<api::MessageMedia> out;
  if (const auto* geo = dynamic_cast<const api::inputMediaGeoPoint*>(&media)) {
    const auto* point = dynamic_cast<const api::inputGeoPoint*>(geo->geo_point.get());
    if (point == nullptr || !(point->lat >= -90 && point->lat <= 90) ||
        !(point->long_ >= -180 && point->long_ <= 180)) {
      return BadRequest("GEO_POINT_INVALID");
    }
    auto stored = std::make_unique<api::geoPoint>();
    stored->lat = point->lat;
    stored->long_ = point->long_;
    stored->access_hash = world.RandomLong();
    stored->accuracy_radius = point->accuracy_radius;
    auto m = std::make_unique<api::messageMediaGeo>();
    m->geo = std::move(stored);
    out = std::move(m);
  } else if (const auto* contact = dynamic_cast<const api::inputMediaContact*>(&media)) {
    if (contact->first_name.empty()) return BadRequest("CONTACT_NAME_EMPTY");
    std::string digits;
    for (char c : contact->phone_number) {
      if (absl::ascii_isdigit(static_cast<unsigned char>(c))) digits.push_back(c);
    }
    if (digits.empty()) return BadRequest("PHONE_NUMBER_INVALID");
    auto m = std::make_unique<api::messageMediaContact>();
    m->phone_number = contact->phone_number;
    m->first_name = contact->first_name;
    m->last_name = contact->last_name;
    m->vcard = contact->vcard;
    // The Telegram user with that number, if there is one.
    if (const UserRecord* user = world.FindUserByPhone(digits)) m->user_id = user->id;
    out = std::move(m);
  } else if (const auto* dice = dynamic_cast<const api::inputMediaDice*>(&media)) {
    if (dice->emoticon.empty()) return BadRequest("EMOTICON_EMPTY");
    const int faces = DiceFaces(dice->emoticon);
    if (faces == 0) return BadRequest("EMOTICON_INVALID");
    auto m = std::make_unique<api::messageMediaDice>();
    m->emoticon = dice->emoticon;
    m->value = static_cast<int32_t>(world.RandomLong() % faces) + 1;
    out = std::move(m);
  } else {
    return std::nullopt;
  }
  absl::StatusOr<std::string> bytes = tl::Serialize(*out);
  if (!bytes.ok()) return BadRequest("MEDIA_INVALID");
  return bytes;
}

int32_t UnreadCount(World& world, int64_t viewer, const PeerRef& peer) {
  MessageBox* box = &world.BoxOf(viewer);
  if (peer.kind == PeerKind::kChannel) {
    ChannelRecord* channel = world.FindChannel(peer.id);
    if (channel == nullptr) return 0;
    box = &channel->box;
  }
  auto it = box->reads.find(ReadKey(peer, viewer));
  return CountUnread(*box, peer, viewer, it == box->reads.end() ? 0 : it->second.inbox_max_id);
}

int32_t UnreadMentionsCount(World& world, int64_t viewer, const PeerRef& peer) {
  const UserRecord* user = world.FindUser(viewer);
  MessageBox* box = &world.BoxOf(viewer);
  if (peer.kind == PeerKind::kChannel) {
    ChannelRecord* channel = world.FindChannel(peer.id);
    if (channel == nullptr) return 0;
    box = &channel->box;
  }
  if (user == nullptr) return 0;
  auto read = box->reads.find(ReadKey(peer, viewer));
  const int32_t after = read == box->reads.end() ? 0 : read->second.mentions_max_id;
  int32_t count = 0;
  for (auto it = box->messages.upper_bound(after); it != box->messages.end(); ++it) {
    if ((peer.kind == PeerKind::kChannel || it->second.peer == peer) &&
        Mentions(it->second, *user)) {
      ++count;
    }
  }
  return count;
}

void RegisterMessageActions(Dispatcher& d, MethodEnv& env) {
  RegisterPins(d, env);
  RegisterReads(d, env);
  RegisterTyping(d, env);
  RegisterReactions(d, env);
}

}  // namespace tgrpc::fakedc
