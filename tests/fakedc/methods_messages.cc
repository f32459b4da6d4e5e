// messages.* and channels.*: sending (text and uploaded documents), fetching by id, history,
// channel members with filters and paging.
#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"

#include "tests/fakedc/methods.h"
#include "tests/fakedc/uploads.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

constexpr int kMaxParticipantsPage = 200;

bool IsMember(const ChannelRecord& channel, int64_t user_id) {
  return std::find(channel.members.begin(), channel.members.end(), user_id) !=
         channel.members.end();
}

// Stores a new message in the boxes that see it and answers the sender like Telegram:
// updates{updateMessageID, updateNew(Channel)Message}. Other users' sessions get a push.
absl::StatusOr<tl::Ptr<api::Updates>> Deliver(MethodEnv& env, const CallContext& context,
                                              const PeerRef& peer, const std::string& text,
                                              std::optional<int64_t> document_id,
                                              int64_t random_id) {
  World& world = *env.world;
  const int32_t now = world.Now();
  auto answer = std::make_unique<api::updates>();
  answer->date = now;
  std::set<int64_t> users = {context.user_id};
  MessageRecord record;
  record.from_id = context.user_id;
  record.date = now;
  record.text = text;
  record.document_id = document_id;
  if (peer.kind == PeerKind::kChannel) {
    ChannelRecord* channel = world.FindChannel(peer.id);
    if (channel == nullptr || !IsMember(*channel, context.user_id)) {
      return TelegramError(403, "CHAT_WRITE_FORBIDDEN");
    }
    if (!channel->megagroup && channel->creator_id != context.user_id) {
      return TelegramError(403, "CHAT_ADMIN_REQUIRED");
    }
    record.id = ++channel->box.last_id;
    record.peer = peer;
    record.out = true;
    channel->box.messages[record.id] = record;
    const int32_t pts = ++channel->box.pts;
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
  } else {
    // The sender's copy; for a private chat with someone else, the recipient's copy too.
    MessageBox& box = world.BoxOf(context.user_id);
    record.id = ++box.last_id;
    record.peer = peer;
    record.out = true;
    box.messages[record.id] = record;
    const int32_t pts = ++box.pts;
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
      copy.id = ++theirs.last_id;
      copy.peer = {PeerKind::kUser, context.user_id};
      copy.out = false;
      theirs.messages[copy.id] = copy;
      auto incoming = std::make_unique<api::updateNewMessage>();
      incoming->message = MakeMessage(copy, world);
      incoming->pts = ++theirs.pts;
      incoming->pts_count = 1;
      auto push = std::make_unique<api::updates>();
      push->updates_.push_back(std::move(incoming));
      if (const UserRecord* sender = world.FindUser(context.user_id)) {
        push->users.push_back(MakeUser(*sender, peer.id));
      }
      push->date = now;
      env.push(peer.id, *push, 0);
    }
  }
  for (int64_t id : users) {
    if (const UserRecord* user = world.FindUser(id)) {
      answer->users.push_back(MakeUser(*user, context.user_id));
    }
  }
  return tl::Ptr<api::Updates>(std::move(answer));
}

// The users and channels the messages mention, for the answer's users/chats vectors.
void AddReferenced(const std::vector<const MessageRecord*>& messages, World& world,
                   int64_t viewer, std::vector<tl::Ptr<api::User>>& users,
                   std::vector<tl::Ptr<api::Chat>>& chats) {
  std::set<int64_t> user_ids, channel_ids;
  for (const MessageRecord* m : messages) {
    user_ids.insert(m->from_id);
    if (m->peer.kind == PeerKind::kUser) user_ids.insert(m->peer.id);
    if (m->peer.kind == PeerKind::kChannel) channel_ids.insert(m->peer.id);
  }
  for (int64_t id : user_ids) {
    if (const UserRecord* user = world.FindUser(id)) users.push_back(MakeUser(*user, viewer));
  }
  for (int64_t id : channel_ids) {
    if (const ChannelRecord* channel = world.FindChannel(id)) {
      chats.push_back(MakeChannel(*channel, viewer));
    }
  }
}

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
    out.messages.push_back(MakeMessage(it->second, world));
  }
  AddReferenced(found, world, viewer, out.users, out.chats);
}

}  // namespace

void RegisterMessageMethods(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.On<api::messages_sendMessage>([&env, &world](const api::messages_sendMessage& request,
                                                 CallContext& context)
                                      -> absl::StatusOr<tl::Ptr<api::Updates>> {
    if (absl::Status s = RequireUser(context); !s.ok()) return s;
    if (request.message.empty()) return BadRequest("MESSAGE_EMPTY");
    if (request.message.size() > 4096) return BadRequest("MESSAGE_TOO_LONG");
    absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
    if (!peer.ok()) return peer.status();
    return Deliver(env, context, *peer, request.message, std::nullopt, request.random_id);
  });
  d.On<api::messages_sendMedia>([&env, &world](const api::messages_sendMedia& request,
                                               CallContext& context)
                                    -> absl::StatusOr<tl::Ptr<api::Updates>> {
    if (absl::Status s = RequireUser(context); !s.ok()) return s;
    absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
    if (!peer.ok()) return peer.status();
    const auto* media = dynamic_cast<const api::inputMediaUploadedDocument*>(request.media.get());
    if (media == nullptr) return BadRequest("MEDIA_INVALID");
    absl::StatusOr<int64_t> document = CommitUpload(env, context, *media);
    if (!document.ok()) return document.status();
    return Deliver(env, context, *peer, request.message, *document, request.random_id);
  });
  d.On<api::messages_getMessages>([&world](const api::messages_getMessages& request,
                                           CallContext& context)
                                      -> absl::StatusOr<tl::Ptr<api::messages_Messages>> {
    if (absl::Status s = RequireUser(context); !s.ok()) return s;
    auto out = std::make_unique<api::messages_messages>();
    FillById(world.BoxOf(context.user_id), request.id, {PeerKind::kUser, context.user_id}, world,
             context.user_id, *out);
    return tl::Ptr<api::messages_Messages>(std::move(out));
  });
  d.On<api::channels_getMessages>([&world](const api::channels_getMessages& request,
                                           CallContext& context)
                                      -> absl::StatusOr<tl::Ptr<api::messages_Messages>> {
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
  d.On<api::messages_getHistory>([&world](const api::messages_getHistory& request,
                                          CallContext& context)
                                     -> absl::StatusOr<tl::Ptr<api::messages_Messages>> {
    if (absl::Status s = RequireUser(context); !s.ok()) return s;
    absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
    if (!peer.ok()) return peer.status();
    const MessageBox* box = nullptr;
    if (peer->kind == PeerKind::kChannel) {
      box = &world.FindChannel(peer->id)->box;
    } else {
      box = &world.BoxOf(context.user_id);
    }
    std::vector<const MessageRecord*> page;
    const int limit = std::clamp(request.limit, 1, 100);
    for (auto it = box->messages.rbegin(); it != box->messages.rend(); ++it) {
      const MessageRecord& m = it->second;
      if (peer->kind != PeerKind::kChannel && !(m.peer == *peer)) continue;
      if (request.offset_id > 0 && m.id >= request.offset_id) continue;
      if (request.max_id > 0 && m.id >= request.max_id) continue;
      if (m.id <= request.min_id) continue;
      page.push_back(&m);
      if (static_cast<int>(page.size()) >= limit) break;
    }
    auto out = std::make_unique<api::messages_messagesSlice>();
    out->count = static_cast<int32_t>(box->messages.size());
    for (const MessageRecord* m : page) out->messages.push_back(MakeMessage(*m, world));
    AddReferenced(page, world, context.user_id, out->users, out->chats);
    return tl::Ptr<api::messages_Messages>(std::move(out));
  });
}

void RegisterChannelMethods(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.On<api::channels_getParticipants>(
      [&world](const api::channels_getParticipants& request, CallContext& context)
          -> absl::StatusOr<tl::Ptr<api::channels_ChannelParticipants>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<ChannelRecord*> found = ResolveInputChannel(*request.channel, world);
        if (!found.ok()) return found.status();
        const ChannelRecord& channel = **found;
        if (!channel.megagroup && channel.creator_id != context.user_id) {
          return TelegramError(403, "CHAT_ADMIN_REQUIRED");
        }
        std::vector<int64_t> matching;
        if (dynamic_cast<const api::channelParticipantsAdmins*>(request.filter.get())) {
          matching.push_back(channel.creator_id);
        } else if (const auto* search =
                       dynamic_cast<const api::channelParticipantsSearch*>(request.filter.get())) {
          const std::string q = absl::AsciiStrToLower(search->q);
          for (int64_t id : channel.members) {
            const UserRecord* user = world.FindUser(id);
            if (user == nullptr) continue;
            const std::string name = absl::AsciiStrToLower(
                user->first_name + " " + user->last_name + " " + user->username);
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
          if (user->id == channel.creator_id) {
            auto creator = std::make_unique<api::channelParticipantCreator>();
            creator->user_id = user->id;
            creator->admin_rights = std::make_unique<api::chatAdminRights>();
            out->participants.push_back(std::move(creator));
          } else {
            auto participant = std::make_unique<api::channelParticipant>();
            participant->user_id = user->id;
            participant->date = channel.date;
            out->participants.push_back(std::move(participant));
          }
          out->users.push_back(MakeUser(*user, context.user_id));
        }
        return tl::Ptr<api::channels_ChannelParticipants>(std::move(out));
      });
  d.On<api::channels_getChannels>([&world](const api::channels_getChannels& request,
                                           CallContext& context)
                                      -> absl::StatusOr<tl::Ptr<api::messages_Chats>> {
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
  d.On<api::channels_getFullChannel>([&env, &world](const api::channels_getFullChannel& request,
                                                    CallContext& context)
                                         -> absl::StatusOr<tl::Ptr<api::messages_ChatFull>> {
    if (absl::Status s = RequireUser(context); !s.ok()) return s;
    absl::StatusOr<ChannelRecord*> channel = ResolveInputChannel(*request.channel, world);
    if (!channel.ok()) return channel.status();
    const ChannelRecord& c = **channel;
    // Every other required field of channelFull (photo, notify settings, pts, ...) is defaulted
    // by the builder.
    absl::StatusOr<tl::Value> full = env.builder->Build(
        "channelFull", {{"id", tl::Value::Long(c.id)},
                        {"about", tl::Value::Bytes("")},
                        {"participants_count", tl::Value::Int(static_cast<int32_t>(c.members.size()))},
                        {"pts", tl::Value::Int(static_cast<int32_t>(c.box.pts))}});
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
