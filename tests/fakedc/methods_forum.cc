// Forum topics (core.telegram.org/api/forum): messages.createForumTopic and
// messages.editForumTopic in a supergroup made with channels.createChannel's
// `forum`. A topic is named by the id of its messageActionTopicCreate service
// message; an edit posts a messageActionTopicEdit in the topic, and messages
// sent with inputReplyToMessage.top_msg_id (or replying to a message of a
// topic) are posted in it, their reply header naming the topic with forum_topic
// set. Both service messages reach every signed-in member like any channel
// message. Every forum has the General topic (id 1, made when a forum method
// first sees the forum), which holds the messages posted in no other topic; it
// alone may be hidden (NOGENERAL_HIDE_FORBIDDEN), which closes it too, and its
// icon is fixed (GENERAL_MODIFY_ICON_FORBIDDEN). messages.updatePinnedForumTopic
// pins up to kMaxPinnedTopics topics (PINNED_TOO_MUCH, PINNED_TOPIC_NOT_MODIFIED),
// pushed as updatePinnedForumTopic. messages.getForumTopics lists the pinned
// topics first (the newest pin first), then the others most recently active
// first, paged after the topic offset_topic names (or, when it is gone, by
// (offset_date, offset_id, offset_topic)); getForumTopicsByID names them;
// messages.deleteTopicHistory deletes a topic and its messages (its creator or
// admins with manage_topics or delete_messages, else CHAT_ADMIN_REQUIRED).
// Rights (chatBannedRights.manage_topics, chatAdminRights.manage_topics): any
// member creates topics and edits their own unless the forum's defaults or the
// member's restriction withhold manage_topics; editing others' topics and the
// General topic, and pinning, take an admin's manage_topics (else 400
// CHAT_ADMIN_REQUIRED).
#include <algorithm>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "tests/fakedc/chat_rights.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/methods_messages_internal.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

constexpr int32_t kDefaultIconColor = 0x6FB9F0;  // Telegram's default blue
// appConfig's topics_pinned_limit.
constexpr size_t kMaxPinnedTopics = 5;

// The forum `peer` names, for a member; its General topic made if it has none yet.
absl::StatusOr<ChannelRecord*> ForumOf(World& world, const CallContext& context,
                                       const api::InputPeer& input) {
  if (absl::Status s = RequireUser(context); !s.ok()) return s;
  absl::StatusOr<PeerRef> peer = ResolveInputPeer(input, context, world);
  if (!peer.ok()) return peer.status();
  if (peer->kind != PeerKind::kChannel) return BadRequest("CHANNEL_INVALID");
  ChannelRecord* channel = world.FindChannel(peer->id);
  if (channel == nullptr) return BadRequest("CHANNEL_INVALID");
  if (!channel->forum) return BadRequest("CHANNEL_FORUM_MISSING");
  if (!channel->HasMember(context.user_id)) return TelegramError(403, "CHAT_WRITE_FORBIDDEN");
  if (channel->topics.count(kGeneralTopicId) == 0) {
    ForumTopicRecord general;
    general.id = kGeneralTopicId;
    general.title = "General";
    general.icon_color = kDefaultIconColor;
    general.creator_id = channel->creator_id;
    general.date = channel->date;
    channel->topics[general.id] = general;
    // Message id 1 is the General topic's (in Telegram, the channel's creation message): a
    // channel made without one keeps the id from the next topic.
    channel->box.last_id = std::max(channel->box.last_id, kGeneralTopicId);
  }
  return channel;
}

// Whether `user_id` holds the manage_topics admin right in the forum.
bool ManagesTopics(const ChannelRecord& channel, int64_t user_id) {
  return (AdminRightsOf(channel, user_id) & admin_right::kManageTopics) != 0;
}

// Whether `user_id` may create topics, and edit the ones they made: unless the forum's defaults
// or their own restriction withhold manage_topics (admins are never restricted).
bool MayMakeTopics(const ChannelRecord& channel, int64_t user_id) {
  return ManagesTopics(channel, user_id) ||
         (BannedOf(channel, user_id) & banned_right::kManageTopics) == 0;
}

bool IsPinned(const ChannelRecord& channel, int32_t topic_id) {
  return std::find(channel.pinned_topics.begin(), channel.pinned_topics.end(), topic_id) !=
         channel.pinned_topics.end();
}

absl::StatusOr<std::string> TopicTitle(const std::string& title) {
  std::string out(absl::StripAsciiWhitespace(title));
  if (out.empty()) return BadRequest("TOPIC_TITLE_EMPTY");
  return out;
}

// The answer and the members' pushes for a topic's service message.
tl::Ptr<api::Updates> Publish(MethodEnv& env, const CallContext& context, ChannelRecord& channel,
                              const MessageRecord& service, std::optional<int64_t> random_id) {
  World& world = *env.world;
  PushToChannel(env, channel, context.session_id, [&](int64_t viewer) {
    return tl::Ptr<api::Updates>(ChannelUpdates(world, channel, &service, viewer, false));
  });
  std::unique_ptr<api::updates> answer =
      ChannelUpdates(world, channel, &service, context.user_id, false);
  if (random_id.has_value()) {
    auto id = std::make_unique<api::updateMessageID>();
    id->id = service.id;
    id->random_id = *random_id;
    answer->updates_.insert(answer->updates_.begin(), std::move(id));
  }
  return answer;
}

// The topic's newest message: its own service message when nothing was posted
// in it since.
const MessageRecord* TopMessage(const ChannelRecord& channel, const ForumTopicRecord& topic) {
  const MessageRecord* top = nullptr;
  // The General topic's messages are in no topic (and create none).
  const bool general = topic.id == kGeneralTopicId;
  for (auto it = channel.box.messages.rbegin(); it != channel.box.messages.rend(); ++it) {
    const bool in_general = general && it->second.topic_id == 0 &&
                            (it->first == kGeneralTopicId || channel.topics.count(it->first) == 0);
    if (in_general || it->first == topic.id || (!general && it->second.topic_id == topic.id)) {
      top = &it->second;
      break;
    }
  }
  return top;
}

tl::Ptr<api::ForumTopic> MakeTopic(const ChannelRecord& channel, const ForumTopicRecord& topic,
                                   const MessageRecord* top, int64_t viewer) {
  auto out = std::make_unique<api::forumTopic>();
  out->my = topic.creator_id == viewer;
  out->closed = topic.closed;
  out->hidden = topic.hidden;
  out->pinned = IsPinned(channel, topic.id);
  out->id = topic.id;
  out->date = topic.date;
  auto peer = std::make_unique<api::peerChannel>();
  peer->channel_id = channel.id;
  out->peer = std::move(peer);
  out->title = topic.title;
  out->icon_color = topic.icon_color;
  if (topic.icon_emoji_id != 0) out->icon_emoji_id = topic.icon_emoji_id;
  out->top_message = top != nullptr ? top->id : topic.id;
  auto from = std::make_unique<api::peerUser>();
  from->user_id = topic.creator_id;
  out->from_id = std::move(from);
  out->notify_settings = std::make_unique<api::peerNotifySettings>();
  return out;
}

// messages.forumTopics of `topics` with their top messages, as `viewer` sees
// them.
tl::Ptr<api::messages_ForumTopics> TopicsAnswer(World& world, const ChannelRecord& channel,
                                                const std::vector<const ForumTopicRecord*>& topics,
                                                int32_t count, int64_t viewer) {
  auto out = std::make_unique<api::messages_forumTopics>();
  out->count = count;
  std::vector<const MessageRecord*> tops;
  for (const ForumTopicRecord* topic : topics) {
    const MessageRecord* top = TopMessage(channel, *topic);
    out->topics.push_back(MakeTopic(channel, *topic, top, viewer));
    if (top != nullptr) {
      tops.push_back(top);
      out->messages.push_back(MakeMessage(*top, world));
    }
  }
  AddReferenced(tops, world, viewer, out->users, out->chats);
  out->chats.push_back(MakeChannel(channel, viewer));
  out->pts = channel.box.pts;
  return out;
}
}  // namespace

absl::StatusOr<int32_t> TopicOf(World& world, const CallContext& context, const PeerRef& peer,
                                const api::InputReplyTo* reply_to) {
  if (peer.kind != PeerKind::kChannel) return 0;
  const ChannelRecord* channel = world.FindChannel(peer.id);
  const auto* reply = dynamic_cast<const api::inputReplyToMessage*>(reply_to);
  if (channel == nullptr || !channel->forum || reply == nullptr) return 0;
  int32_t topic = 0;
  if (reply->top_msg_id.has_value()) {
    topic = *reply->top_msg_id;
  } else if (channel->topics.count(reply->reply_to_msg_id) != 0) {
    topic = reply->reply_to_msg_id;
  } else if (auto it = channel->box.messages.find(reply->reply_to_msg_id);
             it != channel->box.messages.end()) {
    topic = it->second.topic_id;  // a reply stays in the replied message's topic
  }
  if (topic == 0) return 0;
  auto found = channel->topics.find(topic);
  if (found == channel->topics.end()) {
    // The General topic, before a forum method made its record: open.
    if (topic == kGeneralTopicId) return 0;
    return BadRequest("TOPIC_ID_INVALID");
  }
  if (found->second.closed && channel->creator_id != context.user_id) {
    return BadRequest("TOPIC_CLOSED");
  }
  // A message of the General topic is in no topic.
  return topic == kGeneralTopicId ? 0 : topic;
}

void RegisterForumMethods(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.On<api::messages_createForumTopic>(
      [&env, &world](const api::messages_createForumTopic& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        absl::StatusOr<ChannelRecord*> forum = ForumOf(world, context, *request.peer);
        if (!forum.ok()) return forum.status();
        if (!MayMakeTopics(**forum, context.user_id)) return BadRequest("CHAT_ADMIN_REQUIRED");
        absl::StatusOr<std::string> title = TopicTitle(request.title);
        if (!title.ok()) return title.status();
        ServiceAction action;
        action.kind = ServiceAction::Kind::kTopicCreate;
        action.title = *title;
        action.icon_color = request.icon_color.value_or(kDefaultIconColor);
        action.icon_emoji_id = request.icon_emoji_id;
        const MessageRecord& created = AddChannelService(world, **forum, context.user_id, action);
        ForumTopicRecord topic;
        topic.id = created.id;
        topic.title = *title;
        topic.icon_color = action.icon_color;
        topic.icon_emoji_id = request.icon_emoji_id.value_or(0);
        topic.creator_id = context.user_id;
        topic.date = created.date;
        (*forum)->topics[topic.id] = topic;
        return Publish(env, context, **forum, created, request.random_id);
      });
  d.On<api::messages_editForumTopic>(
      [&env, &world](const api::messages_editForumTopic& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        absl::StatusOr<ChannelRecord*> forum = ForumOf(world, context, *request.peer);
        if (!forum.ok()) return forum.status();
        auto found = (*forum)->topics.find(request.topic_id);
        if (found == (*forum)->topics.end()) return BadRequest("TOPIC_ID_INVALID");
        ForumTopicRecord& topic = found->second;
        const bool general = topic.id == kGeneralTopicId;
        const bool own = !general && topic.creator_id == context.user_id &&
                         MayMakeTopics(**forum, context.user_id);
        if (!own && !ManagesTopics(**forum, context.user_id)) {
          return BadRequest("CHAT_ADMIN_REQUIRED");
        }
        const bool other = request.title.has_value() || request.icon_emoji_id.has_value();
        if (request.closed.has_value() && (other || request.hidden.has_value())) {
          return BadRequest("TOPIC_CLOSE_SEPARATELY");
        }
        if (request.hidden.has_value() && other) return BadRequest("TOPIC_HIDE_SEPARATELY");
        if (request.hidden.has_value() && !general) return BadRequest("NOGENERAL_HIDE_FORBIDDEN");
        if (request.icon_emoji_id.has_value() && general) {
          return BadRequest("GENERAL_MODIFY_ICON_FORBIDDEN");
        }
        ServiceAction action;
        action.kind = ServiceAction::Kind::kTopicEdit;
        if (request.title.has_value()) {
          absl::StatusOr<std::string> title = TopicTitle(*request.title);
          if (!title.ok()) return title.status();
          if (*title != topic.title) {
            action.title = *title;
            action.title_changed = true;
          }
        }
        if (request.icon_emoji_id.has_value() && *request.icon_emoji_id != topic.icon_emoji_id) {
          action.icon_emoji_id = request.icon_emoji_id;
        }
        if (request.closed.has_value() && *request.closed != topic.closed) {
          action.closed = request.closed;
        }
        if (request.hidden.has_value() && *request.hidden != topic.hidden) {
          action.hidden = request.hidden;
        }
        if (!action.title_changed && !action.icon_emoji_id.has_value() &&
            !action.closed.has_value() && !action.hidden.has_value()) {
          return BadRequest("TOPIC_NOT_MODIFIED");
        }
        if (action.title_changed) topic.title = action.title;
        if (action.icon_emoji_id.has_value()) topic.icon_emoji_id = *action.icon_emoji_id;
        if (action.closed.has_value()) topic.closed = *action.closed;
        if (action.hidden.has_value()) {
          // Hiding the General topic closes it; showing it opens it again.
          topic.hidden = *action.hidden;
          topic.closed = *action.hidden;
        }
        const MessageRecord& edited =
            AddChannelService(world, **forum, context.user_id, action, general ? 0 : topic.id);
        return Publish(env, context, **forum, edited, std::nullopt);
      });
  d.On<api::messages_getForumTopics>([&world](const api::messages_getForumTopics& request,
                                              CallContext& context)
                                         -> absl::StatusOr<tl::Ptr<api::messages_ForumTopics>> {
    absl::StatusOr<ChannelRecord*> forum = ForumOf(world, context, *request.peer);
    if (!forum.ok()) return forum.status();
    const ChannelRecord& channel = **forum;
    // Most recently active first: by (top message date, top message id,
    // topic id).
    using Key = std::tuple<int32_t, int32_t, int32_t>;
    std::vector<std::pair<Key, const ForumTopicRecord*>> all;
    for (const auto& [id, topic] : channel.topics) {
      if (request.q.has_value() && !absl::StrContains(absl::AsciiStrToLower(topic.title),
                                                      absl::AsciiStrToLower(*request.q))) {
        continue;
      }
      const MessageRecord* top = TopMessage(channel, topic);
      all.push_back({Key(top != nullptr ? top->date : topic.date,
                         top != nullptr ? top->id : topic.id, topic.id),
                     &topic});
    }
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    // The pinned topics first, in pin order, then the others.
    std::stable_sort(all.begin(), all.end(), [&](const auto& a, const auto& b) {
      auto rank = [&](const ForumTopicRecord* topic) {
        auto it = std::find(channel.pinned_topics.begin(), channel.pinned_topics.end(), topic->id);
        return it - channel.pinned_topics.begin();  // pinned_topics.size(): not pinned
      };
      return rank(a.second) < rank(b.second);
    });
    const bool from_start =
        request.offset_date == 0 && request.offset_id == 0 && request.offset_topic == 0;
    const Key offset(request.offset_date, request.offset_id, request.offset_topic);
    // A page goes on after the topic offset_topic names; if that one is gone, after the
    // unpinned topics at least as recently active as the offsets.
    size_t start = 0;
    if (!from_start) {
      auto named = std::find_if(all.begin(), all.end(), [&](const auto& entry) {
        return entry.second->id == request.offset_topic;
      });
      if (named != all.end()) {
        start = static_cast<size_t>(named - all.begin()) + 1;
      } else {
        while (start < all.size() &&
               (IsPinned(channel, all[start].second->id) || !(all[start].first < offset))) {
          ++start;
        }
      }
    }
    const int32_t limit = std::clamp(request.limit, 1, 100);
    std::vector<const ForumTopicRecord*> page;
    for (size_t i = start; i < all.size(); ++i) {
      if (static_cast<int32_t>(page.size()) == limit) break;
      page.push_back(all[i].second);
    }
    return TopicsAnswer(world, channel, page, static_cast<int32_t>(all.size()), context.user_id);
  });
  d.On<api::messages_getForumTopicsByID>(
      [&world](const api::messages_getForumTopicsByID& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_ForumTopics>> {
        absl::StatusOr<ChannelRecord*> forum = ForumOf(world, context, *request.peer);
        if (!forum.ok()) return forum.status();
        std::vector<const ForumTopicRecord*> found;
        for (int32_t id : request.topics) {
          auto it = (*forum)->topics.find(id);
          if (it != (*forum)->topics.end()) found.push_back(&it->second);
        }
        return TopicsAnswer(world, **forum, found, static_cast<int32_t>(found.size()),
                            context.user_id);
      });
  d.On<api::messages_updatePinnedForumTopic>(
      [&env, &world](const api::messages_updatePinnedForumTopic& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        absl::StatusOr<ChannelRecord*> forum = ForumOf(world, context, *request.peer);
        if (!forum.ok()) return forum.status();
        ChannelRecord& channel = **forum;
        if (!ManagesTopics(channel, context.user_id)) return BadRequest("CHAT_ADMIN_REQUIRED");
        if (channel.topics.count(request.topic_id) == 0) return BadRequest("TOPIC_ID_INVALID");
        std::vector<int32_t>& pinned = channel.pinned_topics;
        auto it = std::find(pinned.begin(), pinned.end(), request.topic_id);
        if (request.pinned == (it != pinned.end())) {
          return BadRequest("PINNED_TOPIC_NOT_MODIFIED");
        }
        if (request.pinned) {
          if (pinned.size() >= kMaxPinnedTopics) return BadRequest("PINNED_TOO_MUCH");
          pinned.insert(pinned.begin(), request.topic_id);
        } else {
          pinned.erase(it);
        }
        auto make = [&](int64_t viewer) {
          auto out = std::make_unique<api::updates>();
          auto update = std::make_unique<api::updatePinnedForumTopic>();
          update->pinned = request.pinned;
          auto peer = std::make_unique<api::peerChannel>();
          peer->channel_id = channel.id;
          update->peer = std::move(peer);
          update->topic_id = request.topic_id;
          out->updates_.push_back(std::move(update));
          out->chats.push_back(MakeChannel(channel, viewer));
          out->date = world.Now();
          return out;
        };
        PushToChannel(env, channel, context.session_id,
                      [&](int64_t viewer) { return tl::Ptr<api::Updates>(make(viewer)); });
        return tl::Ptr<api::Updates>(make(context.user_id));
      });
  d.On<api::messages_deleteTopicHistory>(
      [&env, &world](
          const api::messages_deleteTopicHistory& request,
          CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_AffectedHistory>> {
        absl::StatusOr<ChannelRecord*> forum = ForumOf(world, context, *request.peer);
        if (!forum.ok()) return forum.status();
        ChannelRecord& c = **forum;
        auto found = c.topics.find(request.top_msg_id);
        if (found == c.topics.end()) return BadRequest("TOPIC_ID_INVALID");
        const uint32_t rights = AdminRightsOf(c, context.user_id);
        if (found->second.creator_id != context.user_id &&
            (rights & (admin_right::kManageTopics | admin_right::kDeleteMessages)) == 0) {
          return BadRequest("CHAT_ADMIN_REQUIRED");
        }
        std::vector<int32_t> deleted;
        for (auto it = c.box.messages.begin(); it != c.box.messages.end();) {
          if (it->first == found->first || it->second.topic_id == found->first) {
            deleted.push_back(it->first);
            it = c.box.messages.erase(it);
          } else {
            ++it;
          }
        }
        std::erase(c.pinned_topics, found->first);
        c.topics.erase(found);
        const int32_t pts_count = static_cast<int32_t>(deleted.size());
        if (pts_count > 0) {
          PushChannelDeletion(env, c, deleted, context.session_id);
        }
        auto out = std::make_unique<api::messages_affectedHistory>();
        out->pts = c.box.pts;
        out->pts_count = pts_count;
        out->offset = 0;
        return tl::Ptr<api::messages_AffectedHistory>(std::move(out));
      });
}

}  // namespace tgrpc::fakedc
