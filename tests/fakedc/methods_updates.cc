// updates.*: the update state, and the differences that fill a client's gaps, replayed from the
// event logs of the boxes (World::AddMessage / AddEvent) with Telegram's slices, limits and
// too-long answers (core.telegram.org/api/updates). A difference also names the member channels
// that may hold news the client missed (updateChannelTooLong), for getChannelDifference.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "tests/fakedc/methods.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

// Events per updates.differenceSlice. Telegram slices a difference at about 100 messages; fakedc
// counts every logged event (a new message or another update) against it. A client's pts_limit
// lowers it.
constexpr int32_t kDifferenceSliceEvents = 100;
// updates.getChannelDifference's limit (events per answer) is capped at 100 for users ("ordinary
// users are supposed to pass 10-100") and 100,000 for bots; less than 1 counts as 1.
constexpr int32_t kMaxChannelDifferenceLimit = 100;
constexpr int32_t kMaxBotChannelDifferenceLimit = 100000;
// channelDifference(Empty/TooLong).timeout: the seconds a client that has the channel open waits
// before it asks again.
constexpr int32_t kChannelDifferenceTimeout = 30;

// The pts a box's log starts from: a client at this pts or later gets every event it missed; an
// older one gets differenceTooLong / channelDifferenceTooLong.
int32_t LogStart(const MessageBox& box) {
  if (box.events.empty()) return box.pts;
  return box.events.front().pts - box.events.front().pts_count;
}

// fakedc keeps no read marks: every message of someone else is unread.
int32_t UnreadCount(const MessageBox& box, int64_t viewer) {
  int32_t count = 0;
  for (const auto& [id, message] : box.messages) {
    if (message.from_id != viewer) ++count;
  }
  return count;
}

// The users, basic groups and channels a difference's messages and updates name, for its
// users/chats vectors.
class Mentions {
 public:
  void AddPeer(const api::Peer* peer) {
    if (const auto* user = dynamic_cast<const api::peerUser*>(peer)) users_.insert(user->user_id);
    if (const auto* chat = dynamic_cast<const api::peerChat*>(peer)) chats_.insert(chat->chat_id);
    if (const auto* channel = dynamic_cast<const api::peerChannel*>(peer)) {
      channels_.insert(channel->channel_id);
    }
  }
  void AddMessage(const api::Message& message) {
    if (const auto* m = dynamic_cast<const api::message*>(&message)) {
      AddPeer(m->from_id.get());
      AddPeer(m->peer_id.get());
    } else if (const auto* service = dynamic_cast<const api::messageService*>(&message)) {
      AddPeer(service->from_id.get());
      AddPeer(service->peer_id.get());
      const api::MessageAction* action = service->action.get();
      if (const auto* create = dynamic_cast<const api::messageActionChatCreate*>(action)) {
        users_.insert(create->users.begin(), create->users.end());
      } else if (const auto* add = dynamic_cast<const api::messageActionChatAddUser*>(action)) {
        users_.insert(add->users.begin(), add->users.end());
      } else if (const auto* del = dynamic_cast<const api::messageActionChatDeleteUser*>(action)) {
        users_.insert(del->user_id);
      }
    }
  }
  void AddUpdate(const api::Update& update) {
    if (const auto* edit = dynamic_cast<const api::updateEditMessage*>(&update)) {
      AddMessage(*edit->message);
    } else if (const auto* edit = dynamic_cast<const api::updateEditChannelMessage*>(&update)) {
      AddMessage(*edit->message);
    } else if (const auto* deleted =
                   dynamic_cast<const api::updateDeleteChannelMessages*>(&update)) {
      channels_.insert(deleted->channel_id);
    }
  }
  void AddChannel(int64_t id) { channels_.insert(id); }

  template <class Out>
  void Fill(World& world, int64_t viewer, Out& out) const {
    for (int64_t id : users_) {
      if (const UserRecord* user = world.FindUser(id)) out.users.push_back(MakeUser(*user, viewer));
    }
    for (int64_t id : chats_) {
      if (const ChatRecord* chat = world.FindChat(id)) out.chats.push_back(MakeChat(*chat, viewer));
    }
    for (int64_t id : channels_) {
      if (const ChannelRecord* channel = world.FindChannel(id)) {
        out.chats.push_back(MakeChannel(*channel, viewer));
      }
    }
  }

 private:
  std::set<int64_t> users_;
  std::set<int64_t> chats_;
  std::set<int64_t> channels_;
};

// A channel's box is shared by its members: a message is `out` for its author only.
void MarkOutFor(api::Update& update, int64_t viewer) {
  api::Message* message = nullptr;
  if (auto* edit = dynamic_cast<api::updateEditChannelMessage*>(&update)) {
    message = edit->message.get();
  }
  auto* m = dynamic_cast<api::message*>(message);
  if (m == nullptr) return;
  const auto* from = dynamic_cast<const api::peerUser*>(m->from_id.get());
  m->out = from != nullptr && from->user_id == viewer;
}

// Whether a channel difference's filter keeps the new message `id`.
bool FilterKeeps(const api::ChannelMessagesFilter* filter, int32_t id) {
  const auto* ranges = dynamic_cast<const api::channelMessagesFilter*>(filter);
  if (ranges == nullptr) return true;
  if (ranges->exclude_new_messages) return false;
  if (ranges->ranges.empty()) return true;
  for (const auto& range : ranges->ranges) {
    const auto* r = dynamic_cast<const api::messageRange*>(range.get());
    if (r != nullptr && r->min_id <= id && id <= r->max_id) return true;
  }
  return false;
}

// The events of a box after a client's pts, at most `max_events` of them, as a difference lists
// them: new messages that still exist (a deleted one is skipped; its deletion follows as an
// update) and the other updates as logged.
struct Page {
  std::vector<tl::Ptr<api::Message>> new_messages;
  std::vector<tl::Ptr<api::Update>> other_updates;
  Mentions mentions;
  const PtsEvent* last = nullptr;  // the newest event read
  bool complete = false;           // no event of the box is left after `last`
};

Page ReadEvents(const MessageBox& box, int32_t after_pts, int32_t max_events, World& world,
                int64_t viewer, bool channel, const api::ChannelMessagesFilter* filter) {
  Page page;
  auto it = std::partition_point(box.events.begin(), box.events.end(),
                                 [after_pts](const PtsEvent& e) { return e.pts <= after_pts; });
  for (int32_t taken = 0; it != box.events.end() && taken < max_events; ++it, ++taken) {
    const PtsEvent& event = *it;
    page.last = &event;
    if (event.new_message_id != 0) {
      auto found = box.messages.find(event.new_message_id);
      if (found == box.messages.end() || !FilterKeeps(filter, found->first)) continue;
      MessageRecord seen = found->second;
      if (channel) seen.out = seen.from_id == viewer;
      tl::Ptr<api::Message> message = MakeMessage(seen, world);
      page.mentions.AddMessage(*message);
      page.new_messages.push_back(std::move(message));
      continue;
    }
    absl::StatusOr<tl::Ptr<api::Update>> update = tl::Decode<api::Update>(event.update);
    if (!update.ok()) continue;
    if (channel) MarkOutFor(**update, viewer);
    page.mentions.AddUpdate(**update);
    page.other_updates.push_back(*std::move(update));
  }
  page.complete = it == box.events.end();
  return page;
}

// updateChannelTooLong, with the channel's pts, for each channel the user is a member of that had
// an event at or after `since` (the client's state date): pushes reach only connected sessions,
// so a client that was away may lack them, and Telegram's difference names such channels for the
// client to ask getChannelDifference (core.telegram.org/api/updates). A client that has the
// channel's pts already skips it; one that never had the channel starts from that pts.
std::vector<tl::Ptr<api::Update>> ChannelsWithNews(World& world, int64_t user_id, int32_t since,
                                                   Mentions& mentions) {
  std::vector<tl::Ptr<api::Update>> out;
  for (const auto& [id, channel] : world.channels()) {
    if (channel.box.events.empty() || channel.box.events.back().date < since) continue;
    if (!channel.HasMember(user_id)) continue;
    auto too_long = std::make_unique<api::updateChannelTooLong>();
    too_long->channel_id = id;
    too_long->pts = channel.box.pts;
    mentions.AddChannel(id);
    out.push_back(std::move(too_long));
  }
  return out;
}

tl::Ptr<api::updates_State> MakeState(int32_t pts, int32_t date, int32_t unread_count) {
  auto state = std::make_unique<api::updates_state>();
  state->pts = pts;
  state->qts = 0;  // no secret chats or bot qts events
  state->date = date;
  state->seq = 0;  // fakedc sends no seq-numbered updates: seq stays 0
  state->unread_count = unread_count;
  return state;
}

absl::StatusOr<tl::Ptr<api::updates_Difference>> GetDifference(
    World& world, const api::updates_getDifference& request, const CallContext& context) {
  if (absl::Status s = RequireUser(context); !s.ok()) return s;
  const MessageBox& box = world.BoxOf(context.user_id);
  // A pts the box never had: Telegram answers PERSISTENT_TIMESTAMP_INVALID (tdlib then asks
  // getState again).
  if (request.pts < 0 || request.pts > box.pts) return BadRequest("PERSISTENT_TIMESTAMP_INVALID");
  if (request.pts == box.pts) {
    // Nothing new in the account's own box; maybe in its channels.
    Mentions mentions;
    std::vector<tl::Ptr<api::Update>> news =
        ChannelsWithNews(world, context.user_id, request.date, mentions);
    if (!news.empty()) {
      auto out = std::make_unique<api::updates_difference>();
      out->other_updates = std::move(news);
      mentions.Fill(world, context.user_id, *out);
      out->state = MakeState(box.pts, world.Now(), UnreadCount(box, context.user_id));
      return tl::Ptr<api::updates_Difference>(std::move(out));
    }
    auto empty = std::make_unique<api::updates_differenceEmpty>();
    empty->date = world.Now();
    empty->seq = 0;
    return tl::Ptr<api::updates_Difference>(std::move(empty));
  }
  const bool beyond_limit = request.pts_total_limit.has_value() &&
                            static_cast<int64_t>(request.pts) + *request.pts_total_limit < box.pts;
  if (request.pts < LogStart(box) || beyond_limit) {
    auto too_long = std::make_unique<api::updates_differenceTooLong>();
    too_long->pts = box.pts;
    return tl::Ptr<api::updates_Difference>(std::move(too_long));
  }
  int32_t slice = kDifferenceSliceEvents;
  if (request.pts_limit.has_value() && *request.pts_limit > 0) {
    slice = std::min(slice, *request.pts_limit);
  }
  Page page = ReadEvents(box, request.pts, slice, world, context.user_id, /*channel=*/false,
                         /*filter=*/nullptr);
  const int32_t unread = UnreadCount(box, context.user_id);
  if (!page.complete) {
    auto out = std::make_unique<api::updates_differenceSlice>();
    out->new_messages = std::move(page.new_messages);
    out->other_updates = std::move(page.other_updates);
    page.mentions.Fill(world, context.user_id, *out);
    out->intermediate_state = MakeState(page.last->pts, page.last->date, unread);
    return tl::Ptr<api::updates_Difference>(std::move(out));
  }
  // The last slice names the channels with news, after the box's own updates.
  auto out = std::make_unique<api::updates_difference>();
  out->new_messages = std::move(page.new_messages);
  out->other_updates = std::move(page.other_updates);
  for (tl::Ptr<api::Update>& news :
       ChannelsWithNews(world, context.user_id, request.date, page.mentions)) {
    out->other_updates.push_back(std::move(news));
  }
  page.mentions.Fill(world, context.user_id, *out);
  out->state = MakeState(box.pts, world.Now(), unread);
  return tl::Ptr<api::updates_Difference>(std::move(out));
}

// channelDifferenceTooLong: the channel's dialog (its pts and read state) and its newest
// messages, newest first, for a client to start over from.
tl::Ptr<api::updates_ChannelDifference> ChannelTooLong(World& world, const ChannelRecord& channel,
                                                       int32_t limit, int64_t viewer) {
  const MessageBox& box = channel.box;
  auto dialog = std::make_unique<api::dialog>();
  dialog->peer = MakePeer({PeerKind::kChannel, channel.id});
  dialog->top_message = box.messages.empty() ? 0 : box.messages.rbegin()->first;
  dialog->unread_count = UnreadCount(box, viewer);
  dialog->notify_settings = std::make_unique<api::peerNotifySettings>();
  dialog->pts = box.pts;
  auto out = std::make_unique<api::updates_channelDifferenceTooLong>();
  out->final = true;
  out->timeout = kChannelDifferenceTimeout;
  out->dialog = std::move(dialog);
  Mentions mentions;
  mentions.AddChannel(channel.id);
  int32_t taken = 0;
  for (auto it = box.messages.rbegin(); it != box.messages.rend() && taken < limit; ++it, ++taken) {
    MessageRecord seen = it->second;
    seen.out = seen.from_id == viewer;
    tl::Ptr<api::Message> message = MakeMessage(seen, world);
    mentions.AddMessage(*message);
    out->messages.push_back(std::move(message));
  }
  mentions.Fill(world, viewer, *out);
  return out;
}

absl::StatusOr<tl::Ptr<api::updates_ChannelDifference>> GetChannelDifference(
    World& world, const api::updates_getChannelDifference& request, const CallContext& context) {
  if (absl::Status s = RequireUser(context); !s.ok()) return s;
  absl::StatusOr<ChannelRecord*> found = ResolveInputChannel(*request.channel, world);
  if (!found.ok()) return found.status();
  const ChannelRecord& channel = **found;
  if (!channel.HasMember(context.user_id)) return TelegramError(406, "CHANNEL_PRIVATE");
  const MessageBox& box = channel.box;
  if (request.pts <= 0) return BadRequest("PERSISTENT_TIMESTAMP_EMPTY");
  if (request.pts > box.pts) return BadRequest("PERSISTENT_TIMESTAMP_INVALID");
  const UserRecord* user = world.FindUser(context.user_id);
  const int32_t cap =
      user != nullptr && user->bot ? kMaxBotChannelDifferenceLimit : kMaxChannelDifferenceLimit;
  const int32_t limit = std::clamp(request.limit, 1, cap);
  if (request.pts == box.pts) {
    auto empty = std::make_unique<api::updates_channelDifferenceEmpty>();
    empty->final = true;
    empty->pts = box.pts;
    empty->timeout = kChannelDifferenceTimeout;
    return tl::Ptr<api::updates_ChannelDifference>(std::move(empty));
  }
  if (request.pts < LogStart(box)) return ChannelTooLong(world, channel, limit, context.user_id);
  Page page = ReadEvents(box, request.pts, limit, world, context.user_id, /*channel=*/true,
                         request.filter.get());
  auto out = std::make_unique<api::updates_channelDifference>();
  out->final = page.complete;
  out->pts = page.complete ? box.pts : page.last->pts;
  if (page.complete) out->timeout = kChannelDifferenceTimeout;
  out->new_messages = std::move(page.new_messages);
  out->other_updates = std::move(page.other_updates);
  page.mentions.AddChannel(channel.id);
  page.mentions.Fill(world, context.user_id, *out);
  return tl::Ptr<api::updates_ChannelDifference>(std::move(out));
}

}  // namespace

void RegisterUpdateMethods(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.On<api::updates_getState>(
      [&world](const api::updates_getState&,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::updates_State>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        const MessageBox& box = world.BoxOf(context.user_id);
        return MakeState(box.pts, world.Now(), UnreadCount(box, context.user_id));
      });
  d.On<api::updates_getDifference>(
      [&world](const api::updates_getDifference& request, CallContext& context) {
        return GetDifference(world, request, context);
      });
  d.On<api::updates_getChannelDifference>(
      [&world](const api::updates_getChannelDifference& request, CallContext& context) {
        return GetChannelDifference(world, request, context);
      });
}

}  // namespace tgrpc::fakedc
