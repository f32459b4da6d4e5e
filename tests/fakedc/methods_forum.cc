// Forum topics (core.telegram.org/api/forum): messages.createForumTopic and
// messages.editForumTopic in a supergroup made with channels.createChannel's
// `forum`. A topic is named by the id of its messageActionTopicCreate service
// message; an edit posts a messageActionTopicEdit in the topic, and messages
// sent with inputReplyToMessage.top_msg_id (or replying to a message of a
// topic) are posted in it, their reply header naming the topic with forum_topic
// set. Both service messages reach every signed-in member like any channel
// message. messages.getForumTopics lists the topics, most recently active
// first, paged by (offset_date, offset_id, offset_topic) of the last one a page
// held; getForumTopicsByID names them; messages.deleteTopicHistory deletes a
// topic and its messages (its creator or admins with manage_topics or
// delete_messages, else CHAT_ADMIN_REQUIRED). Not emulated: the General topic,
// pinned topics, and the manage_topics right of creating and editing (any
// member creates topics; the topic's creator or the channel's edits).
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

// The forum `peer` names, for a member.
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
  return channel;
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
  for (auto it = channel.box.messages.rbegin(); it != channel.box.messages.rend(); ++it) {
    if (it->first == topic.id || it->second.topic_id == topic.id) {
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
  if (found == channel->topics.end()) return BadRequest("TOPIC_ID_INVALID");
  if (found->second.closed && channel->creator_id != context.user_id) {
    return BadRequest("TOPIC_CLOSED");
  }
  return topic;
}

void RegisterForumMethods(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.On<api::messages_createForumTopic>(
      [&env, &world](const api::messages_createForumTopic& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        absl::StatusOr<ChannelRecord*> forum = ForumOf(world, context, *request.peer);
        if (!forum.ok()) return forum.status();
        absl::StatusOr<std::string> title = TopicTitle(request.title);
        if (!title.ok()) return title.status();
        ServiceAction action;
        action.kind = ServiceAction::Kind::kTopicCreate;
        action.title = *title;
        action.icon_color = request.icon_color.value_or(0x6FB9F0);  // Telegram's default blue
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
        if (topic.creator_id != context.user_id && (*forum)->creator_id != context.user_id) {
          return BadRequest("CHAT_ADMIN_REQUIRED");
        }
        const bool other = request.title.has_value() || request.icon_emoji_id.has_value();
        if (request.closed.has_value() && (other || request.hidden.has_value())) {
          return BadRequest("TOPIC_CLOSE_SEPARATELY");
        }
        if (request.hidden.has_value() && other) return BadRequest("TOPIC_HIDE_SEPARATELY");
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
        if (action.hidden.has_value()) topic.hidden = *action.hidden;
        const MessageRecord& edited =
            AddChannelService(world, **forum, context.user_id, action, topic.id);
        return Publish(env, context, **forum, edited, std::nullopt);
      });
  d.On<api::messages_getForumTopics>(
      [&world](const api::messages_getForumTopics& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_ForumTopics>> {
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
        const bool from_start =
            request.offset_date == 0 && request.offset_id == 0 && request.offset_topic == 0;
        const Key offset(request.offset_date, request.offset_id, request.offset_topic);
        const int32_t limit = std::clamp(request.limit, 1, 100);
        std::vector<const ForumTopicRecord*> page;
        for (const auto& [key, topic] : all) {
          if (!from_start && !(key < offset)) continue;
          if (static_cast<int32_t>(page.size()) == limit) break;
          page.push_back(topic);
        }
        return TopicsAnswer(world, channel, page, static_cast<int32_t>(all.size()),
                            context.user_id);
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
        c.topics.erase(found);
        const int32_t pts_count = static_cast<int32_t>(deleted.size());
        if (pts_count > 0) {
          auto make_update = [&](int32_t pts) {
            auto update = std::make_unique<api::updateDeleteChannelMessages>();
            update->channel_id = c.id;
            update->messages = deleted;
            update->pts = pts;
            update->pts_count = pts_count;
            return update;
          };
          const int32_t pts = world.AddEvent(c.box, pts_count, [&](int32_t new_pts) {
            return UpdateBytes(*make_update(new_pts));
          });
          PushToChannel(env, c, context.session_id, [&](int64_t viewer) -> tl::Ptr<api::Updates> {
            auto push = std::make_unique<api::updates>();
            push->updates_.push_back(make_update(pts));
            push->chats.push_back(MakeChannel(c, viewer));
            push->date = static_cast<int32_t>(world.Now());
            return push;
          });
        }
        auto out = std::make_unique<api::messages_affectedHistory>();
        out->pts = c.box.pts;
        out->pts_count = pts_count;
        out->offset = 0;
        return tl::Ptr<api::messages_AffectedHistory>(std::move(out));
      });
}

}  // namespace tgrpc::fakedc
