// MessageService's side of bots and polls, for user accounts: PressButton
// (messages.getBotCallbackAnswer, which waits for the bot's answer), SendBotCommand (a text
// message), VotePoll (messages.sendVote with the options of the poll's message), QueryInlineBot
// (messages.getInlineBotResults, paged by the bot's next_offset) and SendInlineResult
// (messages.sendInlineBotResult). SendPoll is with the other one-media sends
// (message_actions_send.cc).
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/file_source.h"
#include "service/api/message_text.h"
#include "service/api/services.h"
#include "service/api/utf8.h"
#include "service/telegram/peer_id.h"
#include "service/text/formatting.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;

constexpr size_t kMaxCallbackData = 64;
constexpr int kMaxInlineQuery = 256;

absl::StatusOr<int32_t> MessageIdOf(const ChildName& name, absl::string_view field) {
  int32_t id = 0;
  if (!absl::SimpleAtoi(name.rest, &id) || id <= 0) {
    return InvalidField(field, "the message id must be positive");
  }
  return id;
}

bool IsCommandName(const std::string& text, size_t max) {
  if (text.empty() || text.size() > max) return false;
  for (char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// The poll an Updates answer of messages.sendVote carries (updateMessagePoll).
bool PollFromUpdates(const api::Updates& updates, v1::Poll* out) {
  const std::vector<tl::Ptr<api::Update>>* list = nullptr;
  if (const auto* u = dynamic_cast<const api::updates*>(&updates)) list = &u->updates_;
  if (const auto* u = dynamic_cast<const api::updatesCombined*>(&updates)) list = &u->updates;
  std::vector<const api::Update*> all;
  if (list != nullptr) {
    for (const auto& update : *list) all.push_back(update.get());
  }
  if (const auto* u = dynamic_cast<const api::updateShort*>(&updates)) {
    all.push_back(u->update.get());
  }
  for (const api::Update* update : all) {
    const auto* poll = dynamic_cast<const api::updateMessagePoll*>(update);
    if (poll != nullptr && poll->poll != nullptr) {
      PollToProto(*poll->poll, poll->results.get(), out);
      return true;
    }
  }
  return false;
}

std::string WebUrl(const api::WebDocument* document, std::string* mime) {
  if (const auto* d = dynamic_cast<const api::webDocument*>(document)) {
    if (mime != nullptr) *mime = d->mime_type;
    return d->url;
  }
  if (const auto* d = dynamic_cast<const api::webDocumentNoProxy*>(document)) {
    if (mime != nullptr) *mime = d->mime_type;
    return d->url;
  }
  return "";
}

std::string SentText(const api::BotInlineMessage* message) {
  if (const auto* m = dynamic_cast<const api::botInlineMessageText*>(message)) return m->message;
  if (const auto* m = dynamic_cast<const api::botInlineMessageMediaAuto*>(message)) {
    return m->message;
  }
  return "";
}

void InlineResultToProto(const api::BotInlineResult& result, v1::InlineBotResult* out) {
  if (const auto* r = dynamic_cast<const api::botInlineResult*>(&result)) {
    out->set_id(ValidUtf8(r->id));
    out->set_type(ValidUtf8(r->type));
    out->set_title(ValidUtf8(r->title.value_or("")));
    out->set_description(ValidUtf8(r->description.value_or("")));
    out->set_url(ValidUtf8(r->url.value_or("")));
    out->set_thumb_url(ValidUtf8(WebUrl(r->thumb.get(), nullptr)));
    std::string mime;
    out->set_content_url(ValidUtf8(WebUrl(r->content.get(), &mime)));
    out->set_mime_type(ValidUtf8(mime));
    out->set_message_text(ValidUtf8(SentText(r->send_message.get())));
  } else if (const auto* r = dynamic_cast<const api::botInlineMediaResult*>(&result)) {
    out->set_id(ValidUtf8(r->id));
    out->set_type(ValidUtf8(r->type));
    out->set_title(ValidUtf8(r->title.value_or("")));
    out->set_description(ValidUtf8(r->description.value_or("")));
    out->set_message_text(ValidUtf8(SentText(r->send_message.get())));
    if (const auto* photo = dynamic_cast<const api::photo*>(r->photo.get())) {
      out->mutable_media()->set_type("photo");
      out->mutable_media()->set_id(photo->id);
      out->mutable_media()->set_access_hash(photo->access_hash);
      out->mutable_media()->set_file_reference(photo->file_reference);
      out->mutable_media()->set_dc_id(photo->dc_id);
    } else if (const auto* doc = dynamic_cast<const api::document*>(r->document.get())) {
      out->mutable_media()->set_type("document");
      out->mutable_media()->set_id(doc->id);
      out->mutable_media()->set_access_hash(doc->access_hash);
      out->mutable_media()->set_file_reference(doc->file_reference);
      out->mutable_media()->set_dc_id(doc->dc_id);
      out->mutable_media()->set_size(doc->size);
      out->mutable_media()->set_mime_type(ValidUtf8(doc->mime_type));
    }
  }
}

}  // namespace

grpc::ServerUnaryReactor* MessageServiceImpl::PressButton(grpc::CallbackServerContext* context,
                                                          const v1::PressButtonRequest* request,
                                                          v1::PressButtonResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (request->data().empty() || request->data().size() > kMaxCallbackData) {
    return Finish(reactor, InvalidField("data", "the button's callback data, 1-64 bytes")), reactor;
  }
  const absl::Time deadline = CallDeadline(*context, *api_);
  const std::string data = request->data();
  OnResolvedName(
      *api_, context, reactor, request->name(), "name", "chats", "messages",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName name) {
        absl::StatusOr<int32_t> id = MessageIdOf(name, "name");
        if (!id.ok()) return Finish(reactor, id.status());
        api::messages_getBotCallbackAnswer press;
        press.peer = std::move(peer.input);
        press.msg_id = *id;
        press.data = data;
        account->invoker()->Call<api::messages_getBotCallbackAnswer>(
            press, {deadline},
            [response, reactor](absl::StatusOr<tl::Ptr<api::messages_BotCallbackAnswer>> result) {
              if (!result.ok()) return Finish(reactor, result.status());
              const auto* answer =
                  dynamic_cast<const api::messages_botCallbackAnswer*>(result->get());
              if (answer == nullptr) return Finish(reactor, absl::DataLossError("no answer"));
              response->set_text(ValidUtf8(answer->message.value_or("")));
              response->set_alert(answer->alert);
              response->set_url(ValidUtf8(answer->url.value_or("")));
              response->set_cache_time_seconds(answer->cache_time);
              Finish(reactor, absl::OkStatus());
            });
      });
  return reactor;
}

grpc::ServerUnaryReactor* MessageServiceImpl::SendBotCommand(
    grpc::CallbackServerContext* context, const v1::SendBotCommandRequest* request,
    v1::Message* response) {
  auto* reactor = context->DefaultReactor();
  const v1::SendOptions& options = request->options();
  if (!IsCommandName(request->command(), 32)) {
    return Finish(reactor,
                  InvalidField("command", "1-32 letters, digits and underscores, without the /")),
           reactor;
  }
  if (!request->bot_username().empty() && !IsCommandName(request->bot_username(), 32)) {
    return Finish(reactor, InvalidField("bot_username", "a username, without the @")), reactor;
  }
  if (options.request_id().size() > 128) {
    return Finish(reactor, InvalidField("options.request_id", "at most 128 characters")), reactor;
  }
  if (options.reply_to_message_id() < 0 || options.topic_id() < 0) {
    return Finish(reactor, InvalidField("options", "ids must not be negative")), reactor;
  }
  auto sent = std::make_shared<text::FormattedText>();
  sent->text = absl::StrCat("/", request->command());
  if (!request->bot_username().empty()) absl::StrAppend(&sent->text, "@", request->bot_username());
  const int command_length = static_cast<int>(sent->text.size());  // ASCII: UTF-16 units too
  if (!request->arguments().empty()) absl::StrAppend(&sent->text, " ", request->arguments());
  if (text::Utf16Length(sent->text) > 4096) {
    return Finish(reactor, InvalidField("arguments", "the message is at most 4096 characters")),
           reactor;
  }
  const absl::Time deadline = CallDeadline(*context, *api_);
  OnResolvedName(*api_, context, reactor, request->parent(), "parent", "chats", "",
                 [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
                   api::messages_sendMessage send;
                   send.peer = std::move(peer.input);
                   send.message = sent->text;
                   auto entity = std::make_unique<api::messageEntityBotCommand>();
                   entity->offset = 0;
                   entity->length = command_length;
                   send.entities = std::vector<tl::Ptr<api::MessageEntity>>();
                   send.entities->push_back(std::move(entity));
                   send.random_id =
                       RandomIdFor(options.request_id(), account->id(), "SendBotCommand");
                   send.silent = options.silent();
                   if (options.reply_to_message_id() != 0 || options.topic_id() != 0) {
                     auto reply = std::make_unique<api::inputReplyToMessage>();
                     reply->reply_to_msg_id = options.reply_to_message_id() != 0
                                                  ? options.reply_to_message_id()
                                                  : options.topic_id();
                     if (options.topic_id() != 0) reply->top_msg_id = options.topic_id();
                     send.reply_to = std::move(reply);
                   }
                   const int64_t random_id = send.random_id;
                   const int64_t chat = peer.marked_id;
                   account->invoker()->Call<api::messages_sendMessage>(
                       send, {deadline}, [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
                         if (!result.ok()) return Finish(reactor, result.status());
                         account->peers().AddFromUpdates(**result);
                         absl::StatusOr<v1::Message> message =
                             MessageFromUpdates(**result, random_id, *account, chat, sent.get());
                         if (message.ok()) *response = *std::move(message);
                         Finish(reactor, message.status());
                       });
                 });
  return reactor;
}

grpc::ServerUnaryReactor* MessageServiceImpl::VotePoll(grpc::CallbackServerContext* context,
                                                       const v1::VotePollRequest* request,
                                                       v1::Poll* response) {
  auto* reactor = context->DefaultReactor();
  if (request->options_size() > 12) {
    return Finish(reactor, InvalidField("options", "at most 12 options")), reactor;
  }
  std::vector<int32_t> chosen(request->options().begin(), request->options().end());
  for (int32_t index : chosen) {
    if (index < 0) return Finish(reactor, InvalidField("options", "indexes from 0")), reactor;
  }
  const absl::Time deadline = CallDeadline(*context, *api_);
  OnResolvedName(
      *api_, context, reactor, request->name(), "name", "chats", "messages",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName name) {
        absl::StatusOr<int32_t> id = MessageIdOf(name, "name");
        if (!id.ok()) return Finish(reactor, id.status());
        auto input = std::make_shared<tl::Ptr<api::InputPeer>>(std::move(peer.input));
        FetchMessage(
            account, peer.marked_id, *id, deadline,
            [=](absl::StatusOr<tl::Ptr<api::Message>> message) {
              if (!message.ok()) return Finish(reactor, message.status());
              const auto* m = dynamic_cast<const api::message*>(message->get());
              const auto* media = m != nullptr
                                      ? dynamic_cast<const api::messageMediaPoll*>(m->media.get())
                                      : nullptr;
              const auto* poll =
                  media != nullptr ? dynamic_cast<const api::poll*>(media->poll.get()) : nullptr;
              if (poll == nullptr) {
                return Finish(reactor, InvalidField("name", "the message has no poll"));
              }
              api::messages_sendVote vote;
              vote.peer = std::move(*input);
              vote.msg_id = *id;
              for (int32_t index : chosen) {
                if (index >= static_cast<int32_t>(poll->answers.size())) {
                  return Finish(reactor, InvalidField("options", absl::StrCat("the poll has ",
                                                                              poll->answers.size(),
                                                                              " options")));
                }
                const auto* answer = dynamic_cast<const api::pollAnswer*>(
                    poll->answers[static_cast<size_t>(index)].get());
                if (answer != nullptr) vote.options.push_back(answer->option);
              }
              account->invoker()->Call<api::messages_sendVote>(
                  vote, {deadline}, [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
                    if (!result.ok()) return Finish(reactor, result.status());
                    account->peers().AddFromUpdates(**result);
                    if (!PollFromUpdates(**result, response)) {
                      return Finish(reactor, absl::DataLossError("no updateMessagePoll"));
                    }
                    Finish(reactor, absl::OkStatus());
                  });
            });
      });
  return reactor;
}

grpc::ServerUnaryReactor* MessageServiceImpl::QueryInlineBot(
    grpc::CallbackServerContext* context, const v1::QueryInlineBotRequest* request,
    v1::QueryInlineBotResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (CodePoints(request->query()) > kMaxInlineQuery) {
    return Finish(reactor, InvalidField("query", "at most 256 characters")), reactor;
  }
  if (request->page_token().size() > 64) {
    return Finish(reactor, InvalidField("page_token", "not a token QueryInlineBot gave")), reactor;
  }
  absl::StatusOr<ChildName> bot = ParseChildName(request->bot(), "bot", "users");
  if (!bot.ok()) return Finish(reactor, bot.status()), reactor;
  absl::StatusOr<ChildName> parent = ParseChildName(request->parent(), "parent", "chats");
  if (parent.ok() && parent->account != bot->account) {
    return Finish(reactor, InvalidField("bot", "must be a user of the account in parent")), reactor;
  }
  const absl::Time deadline = CallDeadline(*context, *api_);
  const std::string query = request->query();
  const std::string offset = request->page_token();
  const std::string bot_reference = bot->child;
  OnResolvedName(
      *api_, context, reactor, request->parent(), "parent", "chats", "",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
        auto input = std::make_shared<tl::Ptr<api::InputPeer>>(std::move(peer.input));
        ResolveUsers(
            account, {bot_reference}, "bot", deadline,
            [=](absl::StatusOr<std::vector<tl::Ptr<api::InputUser>>> users) {
              if (!users.ok()) return Finish(reactor, users.status());
              api::messages_getInlineBotResults get;
              get.bot = std::move(users->front());
              get.peer = std::move(*input);
              get.query = query;
              get.offset = offset;
              account->invoker()->Call<api::messages_getInlineBotResults>(
                  get, {deadline}, [=](absl::StatusOr<tl::Ptr<api::messages_BotResults>> result) {
                    if (!result.ok()) return Finish(reactor, result.status());
                    const auto* results =
                        dynamic_cast<const api::messages_botResults*>(result->get());
                    if (results == nullptr) return Finish(reactor, absl::DataLossError("none"));
                    account->peers().AddUsers(results->users);
                    response->set_query_id(results->query_id);
                    for (const auto& r : results->results) {
                      InlineResultToProto(*r, response->add_results());
                    }
                    response->set_next_page_token(ValidUtf8(results->next_offset.value_or("")));
                    response->set_cache_time_seconds(results->cache_time);
                    response->set_gallery(results->gallery);
                    if (const auto* pm =
                            dynamic_cast<const api::inlineBotSwitchPM*>(results->switch_pm.get())) {
                      response->set_switch_pm_text(ValidUtf8(pm->text));
                      response->set_switch_pm_parameter(ValidUtf8(pm->start_param));
                    }
                    Finish(reactor, absl::OkStatus());
                  });
            });
      });
  return reactor;
}

grpc::ServerUnaryReactor* MessageServiceImpl::SendInlineResult(
    grpc::CallbackServerContext* context, const v1::SendInlineResultRequest* request,
    v1::Message* response) {
  auto* reactor = context->DefaultReactor();
  const v1::SendOptions& options = request->options();
  if (request->query_id() == 0)
    return Finish(reactor, InvalidField("query_id", "required")), reactor;
  if (request->result_id().empty() || request->result_id().size() > 64) {
    return Finish(reactor, InvalidField("result_id", "1-64 bytes")), reactor;
  }
  if (options.request_id().size() > 128) {
    return Finish(reactor, InvalidField("options.request_id", "at most 128 characters")), reactor;
  }
  if (options.reply_to_message_id() < 0) {
    return Finish(reactor, InvalidField("options.reply_to_message_id", "must not be negative")),
           reactor;
  }
  const absl::Time deadline = CallDeadline(*context, *api_);
  const int64_t query_id = request->query_id();
  const std::string result_id = request->result_id();
  OnResolvedName(*api_, context, reactor, request->parent(), "parent", "chats", "",
                 [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
                   api::messages_sendInlineBotResult send;
                   send.peer = std::move(peer.input);
                   send.query_id = query_id;
                   send.id = result_id;
                   send.silent = options.silent();
                   send.random_id =
                       RandomIdFor(options.request_id(), account->id(), "SendInlineResult");
                   if (options.reply_to_message_id() != 0) {
                     auto reply = std::make_unique<api::inputReplyToMessage>();
                     reply->reply_to_msg_id = options.reply_to_message_id();
                     send.reply_to = std::move(reply);
                   }
                   const int64_t random_id = send.random_id;
                   const int64_t chat = peer.marked_id;
                   account->invoker()->Call<api::messages_sendInlineBotResult>(
                       send, {deadline}, [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
                         if (!result.ok()) return Finish(reactor, result.status());
                         account->peers().AddFromUpdates(**result);
                         const text::FormattedText unknown;
                         absl::StatusOr<v1::Message> message =
                             MessageFromUpdates(**result, random_id, *account, chat, &unknown);
                         if (message.ok()) *response = *std::move(message);
                         Finish(reactor, message.status());
                       });
                 });
  return reactor;
}

}  // namespace tgrpc::service
