// messages.* and channels.*: sending (text and uploaded documents), fetching by id, history,
// search, dialogs, channel members with filters and paging. Edits, deletions and forwards are in
// methods_messages_edit.cc; the helpers both use are declared in methods_messages_internal.h.
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "tests/fakedc/chat_rights.h"
#include "tests/fakedc/entities.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/methods_messages_internal.h"
#include "tests/fakedc/photos.h"
#include "tests/fakedc/uploads.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

constexpr int kMaxParticipantsPage = 200;

}  // namespace

// An Update as boxed TL for the box's event log (World::AddEvent). Empty, and so skipped by
// getDifference, only if the generated code cannot write it.
std::string UpdateBytes(const api::Update& update) {
  absl::StatusOr<std::string> bytes = tl::Serialize(update);
  return bytes.ok() ? *std::move(bytes) : std::string();
}

// Stores a new message with `content`'s text, entities and document in the boxes that see it
// and answers the sender like Telegram: updates{updateMessageID, updateNew(Channel)Message}.
// Other users' sessions get a push.
absl::StatusOr<tl::Ptr<api::Updates>> Deliver(MethodEnv& env, const CallContext& context,
                                              const PeerRef& peer, const MessageRecord& content,
                                              int64_t random_id) {
  World& world = *env.world;
  if (peer.kind == PeerKind::kUser && peer.id != context.user_id) {
    if (absl::Status s = CheckNotBlocked(world, context.user_id, peer.id); !s.ok()) return s;
  }
  const int32_t now = world.Now();
  auto answer = std::make_unique<api::updates>();
  answer->date = now;
  std::set<int64_t> users = {context.user_id};
  MessageRecord record;
  record.from_id = context.user_id;
  record.sent_as_channel = content.sent_as_channel;
  record.reply_markup = content.reply_markup;
  record.date = now;
  record.text = content.text;
  record.entities = content.entities;
  record.document_id = content.document_id;
  record.photo_id = content.photo_id;
  record.media = content.media;
  record.poll_id = content.poll_id;
  record.via_bot_id = content.via_bot_id;
  record.grouped_id = content.grouped_id;
  record.topic_id = content.topic_id;
  if (peer.kind == PeerKind::kChat) {
    record.group_key = world.NewGroupMessageKey();
    return DeliverToChat(env, context, peer.id, std::move(record), random_id);
  }
  if (peer.kind == PeerKind::kChannel) {
    ChannelRecord* channel = world.FindChannel(peer.id);
    if (channel == nullptr || !channel->HasMember(context.user_id)) {
      return TelegramError(403, "CHAT_WRITE_FORBIDDEN");
    }
    if (!channel->megagroup &&
        (AdminRightsOf(*channel, context.user_id) & admin_right::kPostMessages) == 0) {
      return TelegramError(403, "CHAT_ADMIN_REQUIRED");
    }
    const bool media =
        record.document_id.has_value() || record.photo_id.has_value() || !record.media.empty();
    if (absl::Status s = CheckMaySend(*channel, context.user_id, media, now); !s.ok()) return s;
    NoteSent(*channel, context.user_id, now);
    record.peer = peer;
    record.out = true;
    record = world.AddMessage(channel->box, record);
    const int32_t pts = channel->box.pts;
    auto id = std::make_unique<api::updateMessageID>();
    id->id = record.id;
    id->random_id = random_id;
    answer->updates_.push_back(std::move(id));
    auto update = std::make_unique<api::updateNewChannelMessage>();
    update->message = MakeMessage(record, world);
    update->pts = pts;
    update->pts_count = 1;
    answer->updates_.push_back(std::move(update));
    answer->chats.push_back(MakeChannel(*channel, context.user_id));
    if (record.sent_as_channel != 0 && record.sent_as_channel != channel->id) {
      if (const ChannelRecord* as = world.FindChannel(record.sent_as_channel)) {
        answer->chats.push_back(MakeChannel(*as, context.user_id));
      }
    }
    PushToChannel(env, *channel, context.session_id, [&](int64_t viewer) {
      MessageRecord seen = record;
      seen.out = viewer == record.from_id;
      auto pushed = std::make_unique<api::updateNewChannelMessage>();
      pushed->message = MakeMessage(seen, world);
      pushed->pts = pts;
      pushed->pts_count = 1;
      auto push = std::make_unique<api::updates>();
      push->updates_.push_back(std::move(pushed));
      if (const UserRecord* sender = world.FindUser(record.from_id)) {
        push->users.push_back(MakeUser(*sender, viewer));
      }
      push->chats.push_back(MakeChannel(*channel, viewer));
      push->date = now;
      return push;
    });
  } else {
    // The sender's copy; for a private chat with someone else, the recipient's copy too.
    MessageBox& box = world.BoxOf(context.user_id);
    record.peer = peer;
    record.out = true;
    record = world.AddMessage(box, record);
    const int32_t pts = box.pts;
    auto id = std::make_unique<api::updateMessageID>();
    id->id = record.id;
    id->random_id = random_id;
    answer->updates_.push_back(std::move(id));
    auto update = std::make_unique<api::updateNewMessage>();
    update->message = MakeMessage(record, world);
    update->pts = pts;
    update->pts_count = 1;
    answer->updates_.push_back(std::move(update));
    if (peer.kind == PeerKind::kUser && peer.id != context.user_id) {
      users.insert(peer.id);
      MessageBox& theirs = world.BoxOf(peer.id);
      MessageRecord copy = record;
      copy.peer = {PeerKind::kUser, context.user_id};
      copy.out = false;
      copy.counterpart_id = record.id;
      const MessageRecord& stored = world.AddMessage(theirs, copy);
      box.messages[record.id].counterpart_id = stored.id;
      auto incoming = std::make_unique<api::updateNewMessage>();
      incoming->message = MakeMessage(stored, world);
      incoming->pts = theirs.pts;
      incoming->pts_count = 1;
      auto push = std::make_unique<api::updates>();
      push->updates_.push_back(std::move(incoming));
      if (const UserRecord* sender = world.FindUser(context.user_id)) {
        push->users.push_back(MakeUser(*sender, peer.id));
      }
      push->date = now;
      env.push(peer.id, *push, 0);
    }
    // The sender's other sessions see the message too (after the recipient's push: an update gap
    // fault takes the recipient's).
    auto mine = std::make_unique<api::updates>();
    auto own = std::make_unique<api::updateNewMessage>();
    own->message = MakeMessage(record, world);
    own->pts = pts;
    own->pts_count = 1;
    mine->updates_.push_back(std::move(own));
    for (int64_t id : users) {
      if (const UserRecord* user = world.FindUser(id)) {
        mine->users.push_back(MakeUser(*user, context.user_id));
      }
    }
    mine->date = now;
    env.push(context.user_id, *mine, context.session_id);
  }
  for (int64_t id : users) {
    if (const UserRecord* user = world.FindUser(id)) {
      answer->users.push_back(MakeUser(*user, context.user_id));
    }
  }
  return tl::Ptr<api::Updates>(std::move(answer));
}

// The users and channels the messages mention, for the answer's users/chats vectors.
void AddReferenced(const std::vector<const MessageRecord*>& messages, World& world, int64_t viewer,
                   std::vector<tl::Ptr<api::User>>& users, std::vector<tl::Ptr<api::Chat>>& chats) {
  std::set<int64_t> user_ids, channel_ids, chat_ids;
  for (const MessageRecord* m : messages) {
    user_ids.insert(m->from_id);
    if (m->peer.kind == PeerKind::kUser) user_ids.insert(m->peer.id);
    if (m->peer.kind == PeerKind::kChannel) channel_ids.insert(m->peer.id);
    if (m->peer.kind == PeerKind::kChat) chat_ids.insert(m->peer.id);
    // The users a service message names (added, removed).
    if (m->action.has_value())
      user_ids.insert(m->action->user_ids.begin(), m->action->user_ids.end());
  }
  for (int64_t id : user_ids) {
    if (const UserRecord* user = world.FindUser(id)) users.push_back(MakeUser(*user, viewer));
  }
  for (int64_t id : channel_ids) {
    if (const ChannelRecord* channel = world.FindChannel(id)) {
      chats.push_back(MakeChannel(*channel, viewer));
    }
  }
  for (int64_t id : chat_ids) {
    if (const ChatRecord* chat = world.FindChat(id)) chats.push_back(MakeChat(*chat, viewer));
  }
}

// The box that holds `peer`'s messages for the caller: the channel's own, or the caller's.
absl::StatusOr<MessageBox*> BoxFor(World& world, const CallContext& context, const PeerRef& peer) {
  if (peer.kind == PeerKind::kChannel) {
    ChannelRecord* channel = world.FindChannel(peer.id);
    if (channel == nullptr) return BadRequest("CHANNEL_INVALID");
    if (!channel->HasMember(context.user_id)) return TelegramError(406, "CHANNEL_PRIVATE");
    return &channel->box;
  }
  return &world.BoxOf(context.user_id);
}

// A message of `peer` in `box`, or nullptr (a private box holds every chat of its owner).
MessageRecord* FindIn(MessageBox& box, const PeerRef& peer, int32_t id) {
  auto it = box.messages.find(id);
  if (it == box.messages.end()) return nullptr;
  if (peer.kind != PeerKind::kChannel && !(it->second.peer == peer)) return nullptr;
  return &it->second;
}

namespace {

template <class Out>
void FillById(const MessageBox& box, const std::vector<tl::Ptr<api::InputMessage>>& ids,
              const PeerRef& peer, World& world, int64_t viewer, Out& out) {
  std::vector<const MessageRecord*> found;
  for (const auto& input : ids) {
    int32_t id = 0;
    if (const auto* by_id = dynamic_cast<const api::inputMessageID*>(input.get())) id = by_id->id;
    auto it = box.messages.find(id);
    if (it == box.messages.end()) {
      auto empty = std::make_unique<api::messageEmpty>();
      empty->id = id;
      out.messages.push_back(std::move(empty));
      continue;
    }
    found.push_back(&it->second);
    out.messages.push_back(MakeMessageFor(it->second, world, viewer));
  }
  AddReferenced(found, world, viewer, out.users, out.chats);
}

bool ContainsIgnoringCase(absl::string_view text, absl::string_view query) {
  return absl::StrContains(absl::AsciiStrToLower(text), absl::AsciiStrToLower(query));
}

// search, dialogs.
void RegisterSearchAndDialogs(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  // Text search in one chat, newest first (filters other than empty are not emulated).
  d.On<api::messages_search>(
      [&world](const api::messages_search& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_Messages>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        if (request.filter != nullptr &&
            dynamic_cast<const api::inputMessagesFilterEmpty*>(request.filter.get()) == nullptr) {
          return BadRequest("FILTER_NOT_SUPPORTED");
        }
        absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
        if (!peer.ok()) return peer.status();
        absl::StatusOr<MessageBox*> box = BoxFor(world, context, *peer);
        if (!box.ok()) return box.status();
        const int limit = std::clamp(request.limit, 1, 100);
        std::vector<const MessageRecord*> matches;
        for (auto it = (*box)->messages.rbegin(); it != (*box)->messages.rend(); ++it) {
          const MessageRecord& m = it->second;
          if (peer->kind != PeerKind::kChannel && !(m.peer == *peer)) continue;
          if (!request.q.empty() && !ContainsIgnoringCase(m.text, request.q)) continue;
          if (request.min_date > 0 && m.date < request.min_date) continue;
          if (request.max_date > 0 && m.date > request.max_date) continue;
          matches.push_back(&m);
        }
        auto out = std::make_unique<api::messages_messagesSlice>();
        out->count = static_cast<int32_t>(matches.size());
        std::vector<const MessageRecord*> page;
        for (const MessageRecord* m : matches) {
          if (request.offset_id > 0 && m->id >= request.offset_id) continue;
          if (request.max_id > 0 && m->id >= request.max_id) continue;
          if (m->id <= request.min_id) continue;
          page.push_back(m);
          if (static_cast<int>(page.size()) >= limit) break;
        }
        for (const MessageRecord* m : page) out->messages.push_back(MakeMessage(*m, world));
        AddReferenced(page, world, context.user_id, out->users, out->chats);
        return tl::Ptr<api::messages_Messages>(std::move(out));
      });
  // Every private chat with a message and every channel the caller is in, newest first; paged
  // by offset_date.
  d.On<api::messages_getDialogs>(
      [&world](const api::messages_getDialogs& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_Dialogs>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        struct Entry {
          PeerRef peer;
          const MessageRecord* top = nullptr;
          int32_t date = 0;
          int32_t pts = 0;
        };
        std::vector<Entry> entries;
        std::map<std::pair<int, int64_t>, size_t> index;
        const MessageBox& own = world.BoxOf(context.user_id);
        for (auto it = own.messages.rbegin(); it != own.messages.rend(); ++it) {
          const auto key =
              std::make_pair(static_cast<int>(it->second.peer.kind), it->second.peer.id);
          if (index.count(key) != 0) continue;
          index[key] = entries.size();
          entries.push_back({it->second.peer, &it->second, it->second.date, 0});
        }
        for (auto& [id, channel] : world.channels()) {
          if (!channel.HasMember(context.user_id)) continue;
          Entry e{{PeerKind::kChannel, id}, nullptr, channel.date, channel.box.pts};
          if (!channel.box.messages.empty()) {
            e.top = &channel.box.messages.rbegin()->second;
            e.date = e.top->date;
          }
          entries.push_back(e);
        }
        std::stable_sort(entries.begin(), entries.end(),
                         [](const Entry& a, const Entry& b) { return a.date > b.date; });
        const size_t total = entries.size();
        const int limit = std::clamp(request.limit, 1, 100);
        auto out = std::make_unique<api::messages_dialogsSlice>();
        out->count = static_cast<int32_t>(total);
        std::vector<const MessageRecord*> tops;
        std::set<int64_t> channel_ids, dialog_user_ids, chat_ids;
        for (const Entry& e : entries) {
          if (request.offset_date > 0 && e.date >= request.offset_date) continue;
          if (static_cast<int>(out->dialogs.size()) >= limit) break;
          auto dialog = std::make_unique<api::dialog>();
          dialog->peer = MakePeer(e.peer);
          dialog->top_message = e.top != nullptr ? e.top->id : 0;
          dialog->notify_settings = std::make_unique<api::peerNotifySettings>();
          dialog->unread_count = UnreadCount(world, context.user_id, e.peer);
          dialog->unread_mentions_count = UnreadMentionsCount(world, context.user_id, e.peer);
          if (e.peer.kind == PeerKind::kChannel) {
            dialog->pts = e.pts;
            channel_ids.insert(e.peer.id);
          } else if (e.peer.kind == PeerKind::kUser) {
            dialog_user_ids.insert(e.peer.id);
          } else {
            chat_ids.insert(e.peer.id);
          }
          if (e.top != nullptr) {
            tops.push_back(e.top);
            out->messages.push_back(MakeMessage(*e.top, world));
          }
          out->dialogs.push_back(std::move(dialog));
        }
        // Users and channels of the top messages, and every listed channel (with or without one).
        std::set<int64_t> user_ids;
        for (const MessageRecord* m : tops) {
          user_ids.insert(m->from_id);
          if (m->peer.kind == PeerKind::kUser) user_ids.insert(m->peer.id);
          if (m->action.has_value()) {
            user_ids.insert(m->action->user_ids.begin(), m->action->user_ids.end());
          }
        }
        for (int64_t id : dialog_user_ids) user_ids.insert(id);
        for (int64_t id : user_ids) {
          if (const UserRecord* user = world.FindUser(id)) {
            out->users.push_back(MakeUser(*user, context.user_id));
          }
        }
        for (int64_t id : channel_ids) {
          if (const ChannelRecord* channel = world.FindChannel(id)) {
            out->chats.push_back(MakeChannel(*channel, context.user_id));
          }
        }
        for (int64_t id : chat_ids) {
          if (const ChatRecord* chat = world.FindChat(id)) {
            out->chats.push_back(MakeChat(*chat, context.user_id));
          }
        }
        return tl::Ptr<api::messages_Dialogs>(std::move(out));
      });
}

}  // namespace

void PushToChannel(MethodEnv& env, const ChannelRecord& channel, uint64_t except_session,
                   const std::function<tl::Ptr<api::Updates>(int64_t viewer)>& make) {
  // A channel of 10,000 members has few signed in: ask the World who is, not every member.
  for (int64_t user_id : env.world->SignedInUsers()) {
    if (!channel.HasMember(user_id)) continue;
    tl::Ptr<api::Updates> updates = make(user_id);
    if (updates != nullptr) env.push(user_id, *updates, except_session);
  }
}

void RegisterMessageMethods(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.On<api::messages_sendMessage>(
      [&env, &world](const api::messages_sendMessage& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        if (request.message.empty()) return BadRequest("MESSAGE_EMPTY");
        if (request.message.size() > 4096) return BadRequest("MESSAGE_TOO_LONG");
        absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
        if (!peer.ok()) return peer.status();
        MessageRecord content;
        content.text = request.message;
        absl::StatusOr<int32_t> topic = TopicOf(world, context, *peer, request.reply_to.get());
        if (!topic.ok()) return topic.status();
        content.topic_id = *topic;
        // Telegram keeps a reply markup on bots' messages only.
        const UserRecord* sender = world.FindUser(context.user_id);
        if (request.reply_markup != nullptr && sender != nullptr && sender->bot) {
          absl::StatusOr<std::string> markup = tl::Serialize(*request.reply_markup);
          if (!markup.ok()) return BadRequest("REPLY_MARKUP_INVALID");
          content.reply_markup = *std::move(markup);
        }
        if (request.send_as != nullptr) {
          // Telegram's rule (channels.getSendAs): in a supergroup or channel, as the user or as a
          // channel the user owns.
          absl::StatusOr<PeerRef> as = ResolveInputPeer(*request.send_as, context, world);
          if (!as.ok()) return BadRequest("SEND_AS_PEER_INVALID");
          if (as->kind == PeerKind::kChannel) {
            const ChannelRecord* owned = world.FindChannel(as->id);
            if (peer->kind != PeerKind::kChannel || owned == nullptr ||
                owned->creator_id != context.user_id) {
              return BadRequest("SEND_AS_PEER_INVALID");
            }
            content.sent_as_channel = as->id;
          } else if (as->kind != PeerKind::kUser || as->id != context.user_id) {
            return BadRequest("SEND_AS_PEER_INVALID");
          }
        }
        absl::StatusOr<std::vector<std::string>> entities =
            StoredEntities(request.entities, request.message, context, world);
        if (!entities.ok()) return entities.status();
        content.entities = *std::move(entities);
        return Deliver(env, context, *peer, content, request.random_id);
      });
  d.On<api::messages_sendMedia>([&env, &world](
                                    const api::messages_sendMedia& request,
                                    CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
    if (absl::Status s = RequireUser(context); !s.ok()) return s;
    absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
    if (!peer.ok()) return peer.status();
    const auto* media = dynamic_cast<const api::inputMediaUploadedDocument*>(request.media.get());
    const auto* photo = dynamic_cast<const api::inputMediaUploadedPhoto*>(request.media.get());
    std::optional<absl::StatusOr<std::string>> simple =
        request.media != nullptr ? SimpleMedia(*request.media, world) : std::nullopt;
    if (simple.has_value() && !simple->ok()) return simple->status();
    std::optional<absl::StatusOr<int64_t>> poll =
        request.media != nullptr ? PollFromInput(*request.media, world, context.user_id)
                                 : std::nullopt;
    if (poll.has_value() && !poll->ok()) return poll->status();
    if (media == nullptr && !simple.has_value() && !poll.has_value() &&
        (photo == nullptr || photo->file == nullptr)) {
      return BadRequest("MEDIA_INVALID");
    }
    // The caption's entities and the topic are checked before the upload is committed.
    MessageRecord content;
    content.text = request.message;
    // Telegram keeps reply markups on bots' messages only.
    const UserRecord* sender = world.FindUser(context.user_id);
    if (request.reply_markup != nullptr && sender != nullptr && sender->bot) {
      absl::StatusOr<std::string> markup = tl::Serialize(*request.reply_markup);
      if (!markup.ok()) return BadRequest("REPLY_MARKUP_INVALID");
      content.reply_markup = *std::move(markup);
    }
    absl::StatusOr<int32_t> topic = TopicOf(world, context, *peer, request.reply_to.get());
    if (!topic.ok()) return topic.status();
    content.topic_id = *topic;
    absl::StatusOr<std::vector<std::string>> entities =
        StoredEntities(request.entities, request.message, context, world);
    if (!entities.ok()) return entities.status();
    content.entities = *std::move(entities);
    if (poll.has_value()) {
      content.poll_id = **poll;
    } else if (simple.has_value()) {
      content.media = **std::move(simple);
    } else if (photo != nullptr) {
      absl::StatusOr<int64_t> committed = CommitUploadedPhoto(env, context, *photo->file);
      if (!committed.ok()) return committed.status();
      content.photo_id = *committed;
    } else {
      absl::StatusOr<int64_t> document = CommitUpload(env, context, *media);
      if (!document.ok()) return document.status();
      content.document_id = *document;
    }
    return Deliver(env, context, *peer, content, request.random_id);
  });
  d.On<api::messages_getMessages>(
      [&world](const api::messages_getMessages& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_Messages>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        auto out = std::make_unique<api::messages_messages>();
        FillById(world.BoxOf(context.user_id), request.id, {PeerKind::kUser, context.user_id},
                 world, context.user_id, *out);
        return tl::Ptr<api::messages_Messages>(std::move(out));
      });
  d.On<api::channels_getMessages>(
      [&world](const api::channels_getMessages& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_Messages>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<ChannelRecord*> channel = ResolveInputChannel(*request.channel, world);
        if (!channel.ok()) return channel.status();
        auto out = std::make_unique<api::messages_channelMessages>();
        out->pts = (*channel)->box.pts;
        out->count = static_cast<int32_t>((*channel)->box.messages.size());
        FillById((*channel)->box, request.id, {PeerKind::kChannel, (*channel)->id}, world,
                 context.user_id, *out);
        if (out->chats.empty()) out->chats.push_back(MakeChannel(**channel, context.user_id));
        return tl::Ptr<api::messages_Messages>(std::move(out));
      });
  d.On<api::messages_getHistory>(
      [&world](const api::messages_getHistory& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_Messages>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
        if (!peer.ok()) return peer.status();
        const MessageBox* box = nullptr;
        int32_t cleared = 0;
        if (peer->kind == PeerKind::kChannel) {
          const ChannelRecord* channel = world.FindChannel(peer->id);
          box = &channel->box;
          if (auto it = channel->history_cleared.find(context.user_id);
              it != channel->history_cleared.end()) {
            cleared = it->second;
          }
        } else {
          box = &world.BoxOf(context.user_id);
        }
        std::vector<const MessageRecord*> page;
        const int limit = std::clamp(request.limit, 1, 100);
        for (auto it = box->messages.rbegin(); it != box->messages.rend(); ++it) {
          const MessageRecord& m = it->second;
          if (peer->kind != PeerKind::kChannel && !(m.peer == *peer)) continue;
          if (m.id <= cleared) continue;  // channels.deleteHistory for the caller only
          if (request.offset_id > 0 && m.id >= request.offset_id) continue;
          if (request.max_id > 0 && m.id >= request.max_id) continue;
          if (m.id <= request.min_id) continue;
          page.push_back(&m);
          if (static_cast<int>(page.size()) >= limit) break;
        }
        auto out = std::make_unique<api::messages_messagesSlice>();
        out->count = static_cast<int32_t>(box->messages.size());
        for (const MessageRecord* m : page) {
          out->messages.push_back(MakeMessageFor(*m, world, context.user_id));
        }
        AddReferenced(page, world, context.user_id, out->users, out->chats);
        return tl::Ptr<api::messages_Messages>(std::move(out));
      });
  RegisterMessageEditing(d, env);
  RegisterMessageActions(d, env);
  RegisterSearchAndDialogs(d, env);
  RegisterAlbumMethods(d, env);
  RegisterForumMethods(d, env);
}

void RegisterChannelMethods(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.On<api::channels_getParticipants>(
      [&world](const api::channels_getParticipants& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::channels_ChannelParticipants>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<ChannelRecord*> found = ResolveInputChannel(*request.channel, world);
        if (!found.ok()) return found.status();
        const ChannelRecord& channel = **found;
        if (channel.username.empty() && !channel.HasMember(context.user_id)) {
          return TelegramError(406, "CHANNEL_PRIVATE");
        }
        if (!channel.megagroup && !IsChannelAdmin(channel, context.user_id)) {
          return TelegramError(403, "CHAT_ADMIN_REQUIRED");
        }
        std::vector<int64_t> matching;
        if (dynamic_cast<const api::channelParticipantsAdmins*>(request.filter.get())) {
          // The creator, while a member (a creator may leave, and join again), then the admins.
          if (channel.HasMember(channel.creator_id)) matching.push_back(channel.creator_id);
          for (const auto& [id, admin] : channel.admins) matching.push_back(id);
        } else if (dynamic_cast<const api::channelParticipantsKicked*>(request.filter.get())) {
          matching.assign(channel.kicked.begin(), channel.kicked.end());
        } else if (dynamic_cast<const api::channelParticipantsBanned*>(request.filter.get())) {
          // Restricted members (not the banned, who are Kicked).
          for (const auto& [id, restriction] : channel.restricted) {
            if (channel.kicked.count(id) == 0) matching.push_back(id);
          }
        } else if (const auto* search =
                       dynamic_cast<const api::channelParticipantsSearch*>(request.filter.get())) {
          const std::string q = absl::AsciiStrToLower(search->q);
          for (int64_t id : channel.members) {
            const UserRecord* user = world.FindUser(id);
            if (user == nullptr) continue;
            const std::string name = absl::AsciiStrToLower(user->first_name + " " +
                                                           user->last_name + " " + user->username);
            if (name.find(q) != std::string::npos) matching.push_back(id);
          }
        } else {
          matching = channel.members;
        }
        if (request.offset < 0) return BadRequest("OFFSET_INVALID");
        const size_t begin = std::min<size_t>(request.offset, matching.size());
        const size_t end =
            std::min(matching.size(), begin + std::clamp(request.limit, 0, kMaxParticipantsPage));
        auto out = std::make_unique<api::channels_channelParticipants>();
        out->count = static_cast<int32_t>(matching.size());
        for (size_t i = begin; i < end; ++i) {
          const UserRecord* user = world.FindUser(matching[i]);
          if (user == nullptr) continue;
          tl::Ptr<api::ChannelParticipant> participant =
              MakeChannelParticipant(channel, user->id, context.user_id);
          if (participant == nullptr) continue;
          out->participants.push_back(std::move(participant));
          out->users.push_back(MakeUser(*user, context.user_id));
        }
        return tl::Ptr<api::channels_ChannelParticipants>(std::move(out));
      });
  d.On<api::channels_getChannels>(
      [&world](const api::channels_getChannels& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_Chats>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        auto out = std::make_unique<api::messages_chats>();
        for (const auto& input : request.id) {
          absl::StatusOr<ChannelRecord*> channel = ResolveInputChannel(*input, world);
          if (!channel.ok()) return channel.status();
          out->chats.push_back(MakeChannel(**channel, context.user_id));
        }
        return tl::Ptr<api::messages_Chats>(std::move(out));
      });
  // GramJS asks for it before paging participants (it reads participants_count).
  d.On<api::channels_getFullChannel>(
      [&env, &world](const api::channels_getFullChannel& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_ChatFull>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<ChannelRecord*> channel = ResolveInputChannel(*request.channel, world);
        if (!channel.ok()) return channel.status();
        const ChannelRecord& c = **channel;
        // Every other required field of channelFull (photo, notify settings, pts, ...) is defaulted
        // by the builder.
        std::vector<std::pair<std::string, tl::Value>> fields = {
            {"id", tl::Value::Long(c.id)},
            {"about", tl::Value::Bytes(c.about)},
            {"participants_count", tl::Value::Int(static_cast<int32_t>(c.members.size()))},
            {"slowmode_seconds", tl::Value::Int(c.slowmode_seconds)},
            {"pts", tl::Value::Int(static_cast<int32_t>(c.box.pts))}};
        if (c.photo.id != 0) {
          absl::StatusOr<tl::Value> photo = env.builder->ToValue(*MakePhoto(world, c.photo.id));
          if (!photo.ok()) return photo.status();
          fields.emplace_back("chat_photo", *std::move(photo));
        }
        absl::StatusOr<tl::Value> full = env.builder->Build("channelFull", std::move(fields));
        if (!full.ok()) return full.status();
        absl::StatusOr<tl::Value> chat = env.builder->ToValue(*MakeChannel(c, context.user_id));
        if (!chat.ok()) return chat.status();
        return env.builder->Make<api::messages_ChatFull>(
            "messages.chatFull", {{"full_chat", *std::move(full)},
                                  {"chats", tl::Value::Vector({*std::move(chat)})},
                                  {"users", tl::Value::Vector({})}});
      });
}

}  // namespace tgrpc::fakedc