// ChatService's forum topics: CreateForumTopic (messages.createForumTopic), UpdateForumTopic
// (messages.editForumTopic; messages.updatePinnedForumTopic for `pinned`), DeleteForumTopic
// (messages.deleteTopicHistory) and ListForumTopics (messages.getForumTopics). A topic's answer is
// read back with messages.getForumTopicsByID, so that it is the topic as Telegram keeps it after
// the change.
#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "service/api/chat_admin_common.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/message_text.h"
#include "service/api/services.h"
#include "service/api/utf8.h"
#include "service/telegram/peer_id.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;

constexpr size_t kMaxTopicTitleLength = 128;  // characters
constexpr int32_t kDefaultPageSize = 50;
constexpr int32_t kMaxPageSize = 100;
// The colors Telegram's clients offer for a topic's icon.
constexpr std::array<int32_t, 6> kIconColors = {0x6FB9F0, 0xFFD67E, 0xCB86DB,
                                                0x8EEE98, 0xFF93B2, 0xFB6F5F};

absl::Status CheckTopicTitle(const std::string& title, absl::string_view field) {
  if (absl::StripAsciiWhitespace(title).empty()) {
    return InvalidField(field, "required: 1-128 characters, not only spaces");
  }
  if (CodePoints(title) > kMaxTopicTitleLength) {
    return InvalidField(field, absl::StrCat("at most ", kMaxTopicTitleLength, " characters"));
  }
  return absl::OkStatus();
}

// The {topic_id} of a topic's name accounts/{account}/chats/{chat}/topics/{topic_id}: a positive
// message id.
absl::StatusOr<int32_t> TopicOfName(const std::string& name, absl::string_view field) {
  absl::StatusOr<ChildName> parsed = ParseChildName(name, field, "chats", "topics");
  if (!parsed.ok()) return parsed.status();
  const std::string& rest = parsed->rest;
  int32_t id = 0;
  if (!absl::ascii_isdigit(rest[0]) || !absl::SimpleAtoi(rest, &id) || id <= 0) {
    return InvalidField(field, "accounts/{account}/chats/{chat}/topics/{topic_id}");
  }
  return id;
}

// The forum a handler names must be a supergroup (a user or basic group has no topics).
absl::Status CheckSupergroup(int64_t marked, absl::string_view field) {
  if (MarkedType(marked) != PeerType::kChannel) {
    return InvalidField(field, "names no supergroup: only a forum supergroup has topics");
  }
  return absl::OkStatus();
}

// A second reference to a supergroup's input peer (the first goes to the change, this one to
// reading the topic back).
std::shared_ptr<tl::Ptr<api::InputPeer>> CopyPeer(const api::InputPeer& peer) {
  auto out = std::make_shared<tl::Ptr<api::InputPeer>>();
  if (const auto* channel = dynamic_cast<const api::inputPeerChannel*>(&peer)) {
    auto copy = std::make_unique<api::inputPeerChannel>();
    copy->channel_id = channel->channel_id;
    copy->access_hash = channel->access_hash;
    *out = std::move(copy);
  }
  return out;
}

void ToProto(const api::forumTopic& topic, const std::string& chat_name, v1::ForumTopic* out) {
  out->set_name(absl::StrCat(chat_name, "/topics/", topic.id));
  out->set_topic_id(topic.id);
  out->set_title(ValidUtf8(topic.title));
  out->set_icon_color(topic.icon_color);
  out->set_icon_emoji_id(topic.icon_emoji_id.value_or(0));
  out->set_closed(topic.closed);
  out->set_hidden(topic.hidden);
  out->set_pinned(topic.pinned);
  out->set_my(topic.my);
  if (topic.date != 0) out->mutable_create_time()->set_seconds(topic.date);
  out->set_top_message_id(topic.top_message);
  out->set_unread_count(topic.unread_count);
}

// Answers topic `id` of the forum as messages.getForumTopicsByID has it, kept for retries.
void AnswerTopic(std::shared_ptr<Account> account, tl::Ptr<api::InputPeer> peer,
                 std::string chat_name, int32_t id, absl::Time deadline, v1::ForumTopic* response,
                 RetryRecord retry, grpc::ServerUnaryReactor* reactor) {
  api::messages_getForumTopicsByID get;
  get.peer = std::move(peer);
  get.topics = {id};
  account->invoker()->Call<api::messages_getForumTopicsByID>(
      get, {deadline}, [=](absl::StatusOr<tl::Ptr<api::messages_ForumTopics>> result) {
        if (!result.ok()) return FinishAdmin(reactor, result.status());
        const auto* topics = dynamic_cast<const api::messages_forumTopics*>(result->get());
        if (topics != nullptr) {
          for (const auto& item : topics->topics) {
            const auto* topic = dynamic_cast<const api::forumTopic*>(item.get());
            if (topic != nullptr && topic->id == id) {
              ToProto(*topic, chat_name, response);
              retry.Store(*response);
              return Finish(reactor, absl::OkStatus());
            }
          }
        }
        Finish(reactor, absl::DataLossError(absl::StrCat("Telegram has no topic ", id)));
      });
}

// The id of the topic a createForumTopic answer made: its messageActionTopicCreate's message.
int32_t CreatedTopic(const api::Updates& updates) {
  const auto* list = dynamic_cast<const api::updates*>(&updates);
  if (list == nullptr) return 0;
  for (const auto& update : list->updates_) {
    const api::Message* message = nullptr;
    if (const auto* u = dynamic_cast<const api::updateNewChannelMessage*>(update.get())) {
      message = u->message.get();
    } else if (const auto* u = dynamic_cast<const api::updateNewMessage*>(update.get())) {
      message = u->message.get();
    }
    const auto* service = dynamic_cast<const api::messageService*>(message);
    if (service != nullptr &&
        dynamic_cast<const api::messageActionTopicCreate*>(service->action.get()) != nullptr) {
      return service->id;
    }
  }
  return 0;
}

// Deletes the topic's history in as many calls as Telegram's `offset` asks for.
void DeleteTopicHistory(std::shared_ptr<Account> account,
                        std::shared_ptr<tl::Ptr<api::InputPeer>> peer, int32_t topic,
                        absl::Time deadline, std::function<void(absl::Status)> done) {
  api::messages_deleteTopicHistory remove;
  remove.peer = std::move(*CopyPeer(**peer));
  remove.top_msg_id = topic;
  account->invoker()->Call<api::messages_deleteTopicHistory>(
      remove, {deadline}, [=](absl::StatusOr<tl::Ptr<api::messages_AffectedHistory>> result) {
        if (!result.ok()) return done(result.status());
        const auto* affected = dynamic_cast<const api::messages_affectedHistory*>(result->get());
        if (affected != nullptr && affected->offset > 0) {
          return DeleteTopicHistory(account, peer, topic, deadline, done);
        }
        done(absl::OkStatus());
      });
}

}  // namespace

grpc::ServerUnaryReactor* ChatServiceImpl::CreateForumTopic(
    grpc::CallbackServerContext* context, const v1::CreateForumTopicRequest* request,
    v1::ForumTopic* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
  if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
  absl::Status checked = CheckTopicTitle(request->title(), "title");
  if (checked.ok() && request->icon_color() != 0 &&
      std::find(kIconColors.begin(), kIconColors.end(), request->icon_color()) ==
          kIconColors.end()) {
    checked = InvalidField(
        "icon_color", "0 or one of 0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F");
  }
  if (checked.ok()) checked = CheckRequestId(request->request_id());
  if (!checked.ok()) return Finish(reactor, checked), reactor;
  const RetryRecord retry(*api_, *tenant, request->parent(), "CreateForumTopic",
                          request->request_id());
  if (retry.Replay(response)) return Finish(reactor, absl::OkStatus()), reactor;
  const absl::Time deadline = CallDeadline(*context, *api_);
  auto copy = std::make_shared<const v1::CreateForumTopicRequest>(*request);
  OnResolvedName(*api_, context, reactor, request->parent(), "parent", "chats", "",
                 [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
                   if (absl::Status s = CheckSupergroup(peer.marked_id, "parent"); !s.ok()) {
                     return Finish(reactor, s);
                   }
                   const std::string chat_name = ChatName(account->id(), peer.marked_id);
                   auto input = CopyPeer(*peer.input);
                   if (*input == nullptr) {
                     return Finish(reactor, absl::InternalError("no channel peer"));
                   }
                   api::messages_createForumTopic create;
                   create.peer = std::move(peer.input);
                   create.title = std::string(absl::StripAsciiWhitespace(copy->title()));
                   if (copy->icon_color() != 0) create.icon_color = copy->icon_color();
                   if (copy->icon_emoji_id() != 0) create.icon_emoji_id = copy->icon_emoji_id();
                   create.random_id = RandomIdFor(copy->request_id(), account->id(), "topic");
                   account->invoker()->Call<api::messages_createForumTopic>(
                       create, {deadline}, [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
                         if (!result.ok()) return FinishAdmin(reactor, result.status());
                         account->peers().AddFromUpdates(**result);
                         const int32_t id = CreatedTopic(**result);
                         if (id == 0)
                           return Finish(reactor, absl::DataLossError("the answer names no topic"));
                         AnswerTopic(account, std::move(*input), chat_name, id, deadline, response,
                                     retry, reactor);
                       });
                 });
  return reactor;
}

grpc::ServerUnaryReactor* ChatServiceImpl::UpdateForumTopic(
    grpc::CallbackServerContext* context, const v1::UpdateForumTopicRequest* request,
    v1::ForumTopic* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
  if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
  if (request->update_mask().paths().empty()) {
    return Finish(reactor, InvalidField("update_mask", "required: the fields to change")), reactor;
  }
  bool title = false, icon = false, closed = false, hidden = false, pinned = false;
  for (const std::string& path : request->update_mask().paths()) {
    if (path == "title") {
      title = true;
    } else if (path == "icon_emoji_id") {
      icon = true;
    } else if (path == "closed") {
      closed = true;
    } else if (path == "hidden") {
      hidden = true;
    } else if (path == "pinned") {
      pinned = true;
    } else {
      return Finish(reactor, InvalidField("update_mask",
                                          absl::StrCat("\"", absl::CHexEscape(path.substr(0, 64)),
                                                       "\" is none of title, icon_emoji_id, "
                                                       "closed, hidden, pinned: the fields "
                                                       "UpdateForumTopic changes"))),
             reactor;
    }
  }
  // Telegram takes closing, and hiding, each in a call of its own (TOPIC_CLOSE_SEPARATELY,
  // TOPIC_HIDE_SEPARATELY); pinning is a method of its own (messages.updatePinnedForumTopic).
  absl::Status checked = absl::OkStatus();
  if (static_cast<int>(title || icon) + static_cast<int>(closed) + static_cast<int>(hidden) +
          static_cast<int>(pinned) >
      1) {
    checked = InvalidField("update_mask", "closed, hidden and pinned each go alone");
  }
  if (checked.ok() && title) checked = CheckTopicTitle(request->topic().title(), "topic.title");
  if (checked.ok()) checked = CheckRequestId(request->request_id());
  if (!checked.ok()) return Finish(reactor, checked), reactor;
  const std::string& name = request->topic().name();
  absl::StatusOr<int32_t> id = TopicOfName(name, "topic.name");
  if (!id.ok()) return Finish(reactor, id.status()), reactor;
  const int32_t topic = *id;
  const RetryRecord retry(*api_, *tenant, name, "UpdateForumTopic", request->request_id());
  if (retry.Replay(response)) return Finish(reactor, absl::OkStatus()), reactor;
  const absl::Time deadline = CallDeadline(*context, *api_);
  auto copy = std::make_shared<const v1::UpdateForumTopicRequest>(*request);
  OnResolvedName(*api_, context, reactor, name, "topic.name", "chats", "topics",
                 [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
                   if (absl::Status s = CheckSupergroup(peer.marked_id, "topic.name"); !s.ok()) {
                     return Finish(reactor, s);
                   }
                   const std::string chat_name = ChatName(account->id(), peer.marked_id);
                   auto input = CopyPeer(*peer.input);
                   if (*input == nullptr) {
                     return Finish(reactor, absl::InternalError("no channel peer"));
                   }
                   auto answer = [=](const absl::StatusOr<tl::Ptr<api::Updates>>& result,
                                     absl::string_view unchanged) {
                     // The values the topic already has are no change, not an error.
                     if (!result.ok() && !IsTelegramError(result.status(), unchanged)) {
                       return FinishAdmin(reactor, result.status());
                     }
                     if (result.ok()) account->peers().AddFromUpdates(**result);
                     AnswerTopic(account, std::move(*input), chat_name, topic, deadline, response,
                                 retry, reactor);
                   };
                   if (pinned) {
                     api::messages_updatePinnedForumTopic pin;
                     pin.peer = std::move(peer.input);
                     pin.topic_id = topic;
                     pin.pinned = copy->topic().pinned();
                     account->invoker()->Call<api::messages_updatePinnedForumTopic>(
                         pin, {deadline}, [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
                           answer(result, "PINNED_TOPIC_NOT_MODIFIED");
                         });
                     return;
                   }
                   api::messages_editForumTopic edit;
                   edit.peer = std::move(peer.input);
                   edit.topic_id = topic;
                   if (title)
                     edit.title = std::string(absl::StripAsciiWhitespace(copy->topic().title()));
                   if (icon) edit.icon_emoji_id = copy->topic().icon_emoji_id();
                   if (closed) edit.closed = copy->topic().closed();
                   if (hidden) edit.hidden = copy->topic().hidden();
                   account->invoker()->Call<api::messages_editForumTopic>(
                       edit, {deadline}, [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
                         answer(result, "TOPIC_NOT_MODIFIED");
                       });
                 });
  return reactor;
}

grpc::ServerUnaryReactor* ChatServiceImpl::DeleteForumTopic(
    grpc::CallbackServerContext* context, const v1::DeleteForumTopicRequest* request,
    google::protobuf::Empty* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
  if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
  if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) {
    return Finish(reactor, s), reactor;
  }
  absl::StatusOr<int32_t> id = TopicOfName(request->name(), "name");
  if (!id.ok()) return Finish(reactor, id.status()), reactor;
  if (*id == 1) {
    return Finish(reactor, InvalidField("name", "the General topic is not deleted")), reactor;
  }
  const int32_t topic = *id;
  const RetryRecord retry(*api_, *tenant, request->name(), "DeleteForumTopic",
                          request->request_id());
  if (retry.Replay(response)) return Finish(reactor, absl::OkStatus()), reactor;
  const absl::Time deadline = CallDeadline(*context, *api_);
  OnResolvedName(*api_, context, reactor, request->name(), "name", "chats", "topics",
                 [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
                   if (absl::Status s = CheckSupergroup(peer.marked_id, "name"); !s.ok()) {
                     return Finish(reactor, s);
                   }
                   auto input = CopyPeer(*peer.input);
                   if (*input == nullptr) {
                     return Finish(reactor, absl::InternalError("no channel peer"));
                   }
                   DeleteTopicHistory(account, input, topic, deadline, [=](absl::Status status) {
                     if (!status.ok()) return FinishAdmin(reactor, status);
                     retry.Store(google::protobuf::Empty());
                     Finish(reactor, absl::OkStatus());
                   });
                 });
  return reactor;
}

grpc::ServerUnaryReactor* ChatServiceImpl::ListForumTopics(
    grpc::CallbackServerContext* context, const v1::ListForumTopicsRequest* request,
    v1::ListForumTopicsResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (request->page_size() < 0 || request->page_size() > kMaxPageSize) {
    return Finish(reactor, InvalidField("page_size", absl::StrCat("0-", kMaxPageSize))), reactor;
  }
  const int32_t limit = request->page_size() == 0 ? kDefaultPageSize : request->page_size();
  absl::StatusOr<std::map<std::string, std::string>> token =
      ParsePageToken(request->page_token(), "page_token");
  if (!token.ok()) return Finish(reactor, token.status()), reactor;
  // A page resumes after the last topic of the one before: its top message's date and id, and
  // the topic's id (messages.getForumTopics' offsets).
  std::array<int32_t, 3> offset = {0, 0, 0};
  const std::array<const char*, 3> keys = {"date", "message", "topic"};
  for (size_t i = 0; i < keys.size(); ++i) {
    auto it = token->find(keys[i]);
    if (it != token->end() && !absl::SimpleAtoi(it->second, &offset[i])) {
      return Finish(reactor, InvalidField("page_token", "not a token this method made")), reactor;
    }
  }
  const absl::Time deadline = CallDeadline(*context, *api_);
  const std::string query = request->query();
  OnResolvedName(
      *api_, context, reactor, request->parent(), "parent", "chats", "",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
        if (absl::Status s = CheckSupergroup(peer.marked_id, "parent"); !s.ok()) {
          return Finish(reactor, s);
        }
        const std::string chat_name = ChatName(account->id(), peer.marked_id);
        api::messages_getForumTopics list;
        list.peer = std::move(peer.input);
        if (!query.empty()) list.q = query;
        list.offset_date = offset[0];
        list.offset_id = offset[1];
        list.offset_topic = offset[2];
        list.limit = limit;
        account->invoker()->Call<api::messages_getForumTopics>(
            list, {deadline}, [=](absl::StatusOr<tl::Ptr<api::messages_ForumTopics>> result) {
              if (!result.ok()) return FinishAdmin(reactor, result.status());
              const auto* topics = dynamic_cast<const api::messages_forumTopics*>(result->get());
              if (topics == nullptr) return Finish(reactor, absl::DataLossError("no topics"));
              account->peers().AddUsers(topics->users);
              std::map<int32_t, int32_t> message_dates;
              for (const auto& message : topics->messages) {
                if (const auto* m = dynamic_cast<const api::message*>(message.get())) {
                  message_dates[m->id] = m->date;
                } else if (const auto* s =
                               dynamic_cast<const api::messageService*>(message.get())) {
                  message_dates[s->id] = s->date;
                }
              }
              response->set_total_size(topics->count);
              const api::forumTopic* last = nullptr;
              for (const auto& item : topics->topics) {
                const auto* topic = dynamic_cast<const api::forumTopic*>(item.get());
                if (topic == nullptr) continue;
                ToProto(*topic, chat_name, response->add_topics());
                last = topic;
              }
              if (static_cast<int32_t>(topics->topics.size()) == limit && last != nullptr) {
                auto date = message_dates.find(last->top_message);
                response->set_next_page_token(MakePageToken(
                    {{"date",
                      absl::StrCat(date != message_dates.end() ? date->second : last->date)},
                     {"message", absl::StrCat(last->top_message)},
                     {"topic", absl::StrCat(last->id)}}));
              }
              Finish(reactor, absl::OkStatus());
            });
      });
  return reactor;
}

}  // namespace tgrpc::service
