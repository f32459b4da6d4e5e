// Forum topics (core.telegram.org/api/forum): messages.createForumTopic and
// messages.editForumTopic in a supergroup made with channels.createChannel's `forum`. A topic is
// named by the id of its messageActionTopicCreate service message; an edit posts a
// messageActionTopicEdit in the topic, and messages sent with inputReplyToMessage.top_msg_id
// (or replying to a message of a topic) are posted in it, their reply header naming the topic
// with forum_topic set. Both service messages reach every signed-in member like any channel
// message. Not emulated: the General topic, pinned topics, channels.getForumTopics, and the
// manage_topics right (any member creates topics; the topic's creator or the channel's edits).
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
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
}

}  // namespace tgrpc::fakedc
