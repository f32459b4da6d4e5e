// MessageService: send (text with entities, or Markdown/HTML parsed here), get by ids, history,
// search, edit, delete and forward.
#include <algorithm>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "mtproto/crypto/random_source.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/file_source.h"
#include "service/api/message_text.h"
#include "service/api/services.h"
#include "service/api/tl_json.h"
#include "service/telegram/peer_id.h"
#include "service/text/formatting.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;

constexpr int kMaxTextLength = 4096;  // UTF-16 units, Telegram's limit for a message

template <class Response>
void AddPeers(const Account& account, const MessageList& list, Response* response) {
  for (const auto& u : *list.users) ToProto(*u, account.id(), response->add_users());
  for (const auto& c : *list.chats) ToProto(*c, account.id(), response->add_chats());
}

// Answers a send or an edit with the message Telegram's Updates carry (by `random_id` unless 0),
// kept in `cache` under `cache_key` (unless empty) for retries of the same request_id.
std::function<void(absl::StatusOr<tl::Ptr<api::Updates>>)> AnswerWithMessage(
    grpc::ServerUnaryReactor* reactor, v1::Message* response, std::shared_ptr<Account> account,
    int64_t random_id, int64_t marked_chat,
    std::shared_ptr<absl::StatusOr<text::FormattedText>> sent, RequestCache* cache,
    std::string cache_key) {
  return [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
    if (!result.ok()) return Finish(reactor, result.status());
    account->peers().AddFromUpdates(**result);
    absl::StatusOr<v1::Message> message =
        MessageFromUpdates(**result, random_id, *account, marked_chat, &**sent);
    if (message.ok()) *response = *std::move(message);
    if (message.ok() && !cache_key.empty()) cache->Store(cache_key, response->SerializeAsString());
    Finish(reactor, message.status());
  };
}

// Every message of an Updates answer (forwards), in order.
std::vector<v1::Message> MessagesFromUpdates(const api::Updates& updates, Account& account) {
  std::vector<v1::Message> out;
  const std::vector<tl::Ptr<api::Update>>* list = nullptr;
  if (const auto* u = dynamic_cast<const api::updates*>(&updates)) list = &u->updates_;
  if (const auto* u = dynamic_cast<const api::updatesCombined*>(&updates)) list = &u->updates;
  if (list == nullptr) return out;
  for (const auto& update : *list) {
    const api::Message* message = nullptr;
    if (const auto* u = dynamic_cast<const api::updateNewMessage*>(update.get())) {
      message = u->message.get();
    } else if (const auto* u = dynamic_cast<const api::updateNewChannelMessage*>(update.get())) {
      message = u->message.get();
    }
    if (message != nullptr) ToProto(*message, account.id(), &out.emplace_back());
  }
  return out;
}

// The cache key of a mutation with a request_id, and its earlier answer if there is one.
std::string CachedAnswer(const ApiContext& api, grpc::CallbackServerContext* context,
                         const std::string& name, absl::string_view method,
                         const std::string& request_id, google::protobuf::Message* response,
                         bool* hit) {
  *hit = false;
  if (request_id.empty() || api.requests == nullptr) return "";
  absl::StatusOr<std::string> tenant = Authenticate(*context, api);
  absl::StatusOr<ChildName> parsed = ParseChildName(name, "parent", "chats");
  if (!tenant.ok() || !parsed.ok()) return "";
  std::string key = RequestKey(*tenant, parsed->account, method, request_id);
  if (std::optional<std::string> answer = api.requests->Find(key)) {
    *hit = response->ParseFromString(*answer);
  }
  return key;
}

absl::Status CheckIds(const google::protobuf::RepeatedField<int32_t>& ids, int max) {
  if (ids.empty() || ids.size() > max) return InvalidField("ids", absl::StrCat("1-", max, " ids"));
  for (int32_t id : ids) {
    if (id <= 0) return InvalidField("ids", absl::StrCat("message ids are positive, got ", id));
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* MessageServiceImpl::SendMessage(grpc::CallbackServerContext* context,
                                                          const v1::SendMessageRequest* request,
                                                          v1::Message* response) {
  auto* reactor = context->DefaultReactor();
  if (request->text().size() > 64 * 1024) {
    return Finish(reactor, InvalidField("text", "longer than 64 KiB")), reactor;
  }
  if (request->request_id().size() > 128) {
    return Finish(reactor, InvalidField("request_id", "at most 128 characters")), reactor;
  }
  if (request->reply_to_message_id() < 0 || request->topic_id() < 0) {
    return Finish(reactor, InvalidField("reply_to_message_id", "must not be negative")), reactor;
  }
  // A reply markup as TL JSON, checked now (Telegram applies it to bots' messages only).
  auto markup = std::make_shared<tl::Ptr<api::ReplyMarkup>>();
  if (!request->reply_markup_json().empty()) {
    if (request->reply_markup_json().size() > 64 * 1024) {
      return Finish(reactor, InvalidField("reply_markup_json", "longer than 64 KiB")), reactor;
    }
    absl::StatusOr<std::string> boxed =
        TlFromJson(request->reply_markup_json(), "ReplyMarkup", "reply_markup_json");
    absl::StatusOr<tl::Ptr<api::ReplyMarkup>> decoded =
        boxed.ok() ? tl::Decode<api::ReplyMarkup>(*boxed) : boxed.status();
    if (!decoded.ok()) {
      return Finish(reactor, InvalidField("reply_markup_json", decoded.status().message())),
             reactor;
    }
    *markup = *std::move(decoded);
  }
  // send_as names a chat of the same account: accounts/{account}/chats/{chat}.
  std::string send_as;
  if (!request->send_as().empty()) {
    absl::StatusOr<ChildName> as = ParseChildName(request->send_as(), "send_as", "chats");
    if (!as.ok()) return Finish(reactor, as.status()), reactor;
    absl::StatusOr<ChildName> parent = ParseChildName(request->parent(), "parent", "chats");
    if (parent.ok() && parent->account != as->account) {
      Finish(reactor, InvalidField("send_as", "must be a chat of the account in parent"));
      return reactor;
    }
    send_as = as->child;
  }
  auto parsed = std::make_shared<absl::StatusOr<text::FormattedText>>(
      ParseFormattedText(request->text(), request->entities(), request->parse_mode(), "text",
                         kMaxTextLength, /*allow_empty=*/false));
  if (!parsed->ok()) return Finish(reactor, parsed->status()), reactor;
  const absl::Time deadline = CallDeadline(*context, *api_);
  bool hit = false;
  const std::string key = CachedAnswer(*api_, context, request->parent(), "SendMessage",
                                       request->request_id(), response, &hit);
  if (hit) return Finish(reactor, absl::OkStatus()), reactor;
  RequestCache* cache = api_->requests;
  // Sends once the chat (and the send_as chat, if any) are resolved.
  auto send_message = [=](std::shared_ptr<Account> account, ResolvedPeer peer,
                          tl::Ptr<api::InputPeer> as) {
    absl::StatusOr<std::vector<tl::Ptr<api::MessageEntity>>> entities =
        EntitiesToTl((*parsed)->entities, *account);
    if (!entities.ok()) return Finish(reactor, entities.status());
    api::messages_sendMessage send;
    send.peer = std::move(peer.input);
    send.send_as = std::move(as);
    send.reply_markup = std::move(*markup);  // this runs once per request
    send.message = (*parsed)->text;
    send.random_id = RandomIdFor(request->request_id(), account->id(), "0");
    if (!entities->empty()) send.entities = *std::move(entities);
    send.silent = request->silent();
    send.no_webpage = request->no_webpage();
    if (request->reply_to_message_id() != 0 || request->topic_id() != 0) {
      auto reply = std::make_unique<api::inputReplyToMessage>();
      reply->reply_to_msg_id = request->reply_to_message_id() != 0 ? request->reply_to_message_id()
                                                                   : request->topic_id();
      if (request->topic_id() != 0) reply->top_msg_id = request->topic_id();
      send.reply_to = std::move(reply);
    }
    if (request->has_schedule_time()) {
      send.schedule_date = static_cast<int32_t>(request->schedule_time().seconds());
    }
    account->invoker()->Call<api::messages_sendMessage>(
        send, {deadline},
        AnswerWithMessage(reactor, response, account, send.random_id, peer.marked_id, parsed, cache,
                          key));
  };
  OnResolvedName(*api_, context, reactor, request->parent(), "parent", "chats", "",
                 [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
                   if (send_as.empty())
                     return send_message(std::move(account), std::move(peer), nullptr);
                   auto chat = std::make_shared<ResolvedPeer>(std::move(peer));
                   ResolveChat(account, send_as, "send_as", deadline,
                               [=](absl::StatusOr<ResolvedPeer> as) {
                                 if (!as.ok()) return Finish(reactor, as.status());
                                 send_message(account, std::move(*chat), std::move(as->input));
                               });
                 });
  return reactor;
}

grpc::ServerUnaryReactor* MessageServiceImpl::GetMessages(grpc::CallbackServerContext* context,
                                                          const v1::GetMessagesRequest* request,
                                                          v1::GetMessagesResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (absl::Status s = CheckIds(request->ids(), 200); !s.ok()) return Finish(reactor, s), reactor;
  const absl::Time deadline = CallDeadline(*context, *api_);
  std::vector<int32_t> ids(request->ids().begin(), request->ids().end());
  OnResolvedName(*api_, context, reactor, request->parent(), "parent", "chats", "",
                 [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
                   std::vector<tl::Ptr<api::InputMessage>> inputs;
                   for (int32_t id : ids) {
                     auto input = std::make_unique<api::inputMessageID>();
                     input->id = id;
                     inputs.push_back(std::move(input));
                   }
                   const int64_t marked = peer.marked_id;
                   auto answer = [=](absl::StatusOr<tl::Ptr<api::messages_Messages>> result) {
                     if (!result.ok()) return Finish(reactor, result.status());
                     MessageList list = ListOf(**result);
                     if (list.messages == nullptr) return Finish(reactor, absl::OkStatus());
                     account->peers().AddUsers(*list.users);
                     account->peers().AddChats(*list.chats);
                     std::vector<int32_t> found;
                     for (const auto& m : *list.messages) {
                       if (dynamic_cast<const api::messageEmpty*>(m.get()) != nullptr) continue;
                       v1::Message message;
                       ToProto(*m, account->id(), &message);
                       // Outside channels ids are the account's own: a message of another chat with
                       // the asked id is not this chat's.
                       if (message.chat_id() != marked) continue;
                       found.push_back(message.id());
                       *response->add_messages() = std::move(message);
                     }
                     for (int32_t id : ids) {
                       if (std::find(found.begin(), found.end(), id) == found.end())
                         response->add_missing(id);
                     }
                     AddPeers(*account, list, response);
                     Finish(reactor, absl::OkStatus());
                   };
                   GetMessagesOf(*account, marked, std::move(inputs), deadline, answer);
                 });
  return reactor;
}

grpc::ServerUnaryReactor* MessageServiceImpl::ListMessages(grpc::CallbackServerContext* context,
                                                           const v1::ListMessagesRequest* request,
                                                           v1::ListMessagesResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (request->page_size() < 0 || request->page_size() > 100) {
    return Finish(reactor, InvalidField("page_size", "0-100")), reactor;
  }
  if (request->offset_id() < 0 || request->min_id() < 0) {
    return Finish(reactor, InvalidField("offset_id", "must not be negative")), reactor;
  }
  absl::StatusOr<std::map<std::string, std::string>> token =
      ParsePageToken(request->page_token(), "page_token");
  if (!token.ok()) return Finish(reactor, token.status()), reactor;
  int32_t offset_id = request->offset_id();
  if (!(*token)["before"].empty() &&
      (!absl::SimpleAtoi((*token)["before"], &offset_id) || offset_id < 0)) {
    return Finish(reactor, InvalidField("page_token", "not a page token from this API")), reactor;
  }
  const int32_t limit = request->page_size() == 0 ? 50 : request->page_size();
  const int32_t offset_date = offset_id == request->offset_id() && request->has_offset_date()
                                  ? static_cast<int32_t>(request->offset_date().seconds())
                                  : 0;
  const int32_t min_id = request->min_id();
  const absl::Time deadline = CallDeadline(*context, *api_);
  OnResolvedName(
      *api_, context, reactor, request->parent(), "parent", "chats", "",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
        api::messages_getHistory get;
        get.peer = std::move(peer.input);
        get.offset_id = offset_id;
        get.offset_date = offset_date;
        get.limit = limit;
        get.min_id = min_id;
        account->invoker()->Call<api::messages_getHistory>(
            get, {deadline}, [=](absl::StatusOr<tl::Ptr<api::messages_Messages>> result) {
              if (!result.ok()) return Finish(reactor, result.status());
              MessageList list = ListOf(**result);
              if (list.messages == nullptr) return Finish(reactor, absl::OkStatus());
              account->peers().AddUsers(*list.users);
              account->peers().AddChats(*list.chats);
              int32_t last = 0;
              for (const auto& m : *list.messages) {
                v1::Message* message = response->add_messages();
                ToProto(*m, account->id(), message);
                last = message->id();
              }
              response->set_total_size(list.count);
              if (static_cast<int32_t>(list.messages->size()) >= limit && last > 1) {
                response->set_next_page_token(MakePageToken({{"before", absl::StrCat(last)}}));
              }
              AddPeers(*account, list, response);
              Finish(reactor, absl::OkStatus());
            });
      });
  return reactor;
}

namespace {

tl::Ptr<api::MessagesFilter> SearchFilter(v1::SearchMessagesRequest::Filter filter) {
  switch (filter) {
    case v1::SearchMessagesRequest::PHOTOS:
      return std::make_unique<api::inputMessagesFilterPhotos>();
    case v1::SearchMessagesRequest::VIDEOS:
      return std::make_unique<api::inputMessagesFilterVideo>();
    case v1::SearchMessagesRequest::DOCUMENTS:
      return std::make_unique<api::inputMessagesFilterDocument>();
    case v1::SearchMessagesRequest::URLS:
      return std::make_unique<api::inputMessagesFilterUrl>();
    case v1::SearchMessagesRequest::VOICE:
      return std::make_unique<api::inputMessagesFilterVoice>();
    case v1::SearchMessagesRequest::MUSIC:
      return std::make_unique<api::inputMessagesFilterMusic>();
    case v1::SearchMessagesRequest::MENTIONS:
      return std::make_unique<api::inputMessagesFilterMyMentions>();
    case v1::SearchMessagesRequest::PINNED:
      return std::make_unique<api::inputMessagesFilterPinned>();
    default:
      return std::make_unique<api::inputMessagesFilterEmpty>();
  }
}

}  // namespace

grpc::ServerUnaryReactor* MessageServiceImpl::SearchMessages(
    grpc::CallbackServerContext* context, const v1::SearchMessagesRequest* request,
    v1::SearchMessagesResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (request->page_size() < 0 || request->page_size() > 100) {
    return Finish(reactor, InvalidField("page_size", "0-100")), reactor;
  }
  if (request->query().size() > 256) {
    return Finish(reactor, InvalidField("query", "at most 256 bytes")), reactor;
  }
  if (!v1::SearchMessagesRequest::Filter_IsValid(request->filter())) {
    return Finish(reactor, InvalidField("filter", "not a known filter")), reactor;
  }
  absl::StatusOr<std::shared_ptr<Account>> found =
      CallerSignedInAccount(*api_, *context, request->account(), "account");
  if (!found.ok()) return Finish(reactor, found.status()), reactor;
  std::shared_ptr<Account> searcher = *found;
  absl::StatusOr<std::map<std::string, std::string>> token =
      ParsePageToken(request->page_token(), "page_token");
  if (!token.ok()) return Finish(reactor, token.status()), reactor;
  int32_t offset_id = 0, offset_rate = 0;
  int64_t offset_peer = 0;
  if ((!(*token)["id"].empty() && !absl::SimpleAtoi((*token)["id"], &offset_id)) ||
      (!(*token)["rate"].empty() && !absl::SimpleAtoi((*token)["rate"], &offset_rate)) ||
      (!(*token)["peer"].empty() && !absl::SimpleAtoi((*token)["peer"], &offset_peer))) {
    return Finish(reactor, InvalidField("page_token", "not a page token from this API")), reactor;
  }
  const int32_t limit = request->page_size() == 0 ? 50 : request->page_size();
  const absl::Time deadline = CallDeadline(*context, *api_);
  const int32_t min_date = static_cast<int32_t>(request->min_date().seconds());
  const int32_t max_date = static_cast<int32_t>(request->max_date().seconds());
  auto answer = [reactor, response, limit](std::shared_ptr<Account> account, bool global) {
    return [=](absl::StatusOr<tl::Ptr<api::messages_Messages>> result) {
      if (!result.ok()) return Finish(reactor, result.status());
      MessageList list = ListOf(**result);
      if (list.messages == nullptr) return Finish(reactor, absl::OkStatus());
      account->peers().AddUsers(*list.users);
      account->peers().AddChats(*list.chats);
      v1::Message last;
      for (const auto& m : *list.messages) {
        ToProto(*m, account->id(), response->add_messages());
        last = response->messages(response->messages_size() - 1);
      }
      response->set_total_size(list.count);
      if (static_cast<int32_t>(list.messages->size()) >= limit && last.id() != 0) {
        std::map<std::string, std::string> next = {{"id", absl::StrCat(last.id())}};
        if (global) {
          next["rate"] = absl::StrCat(list.next_rate);
          next["peer"] = absl::StrCat(last.chat_id());
        }
        response->set_next_page_token(MakePageToken(next));
      }
      AddPeers(*account, list, response);
      Finish(reactor, absl::OkStatus());
    };
  };
  if (request->chat().empty()) {
    if (!request->from_user().empty()) {
      return Finish(reactor, InvalidField("from_user", "needs chat")), reactor;
    }
    api::messages_searchGlobal search;
    search.q = request->query();
    search.filter = SearchFilter(request->filter());
    search.min_date = min_date;
    search.max_date = max_date;
    search.offset_rate = offset_rate;
    absl::StatusOr<tl::Ptr<api::InputPeer>> peer =
        offset_peer != 0
            ? searcher->peers().InputPeer(offset_peer, searcher->self_id())
            : absl::StatusOr<tl::Ptr<api::InputPeer>>(std::make_unique<api::inputPeerEmpty>());
    search.offset_peer = peer.ok() ? *std::move(peer) : std::make_unique<api::inputPeerEmpty>();
    search.offset_id = offset_id;
    search.limit = limit;
    searcher->invoker()->Call<api::messages_searchGlobal>(search, {deadline},
                                                          answer(searcher, true));
    return reactor;
  }
  const std::string query = request->query();
  const auto filter = request->filter();
  const std::string from_user = request->from_user();
  OnResolvedName(
      *api_, context, reactor, request->chat(), "chat", "chats", "",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName chat) {
        if (chat.account != searcher->id()) {
          return Finish(reactor, InvalidField("chat",
                                              "belongs to another account than "
                                              "`account`"));
        }
        api::messages_search search;
        search.peer = std::move(peer.input);
        search.q = query;
        search.filter = SearchFilter(filter);
        search.min_date = min_date;
        search.max_date = max_date;
        search.offset_id = offset_id;
        search.limit = limit;
        if (!from_user.empty()) {
          absl::StatusOr<ChildName> user = ParseChildName(from_user, "from_user", "users");
          int64_t user_id = 0;
          if (!user.ok()) return Finish(reactor, user.status());
          if (!absl::SimpleAtoi(user->child, &user_id)) {
            return Finish(reactor, InvalidField("from_user", "a user id"));
          }
          absl::StatusOr<tl::Ptr<api::InputPeer>> from =
              account->peers().InputPeer(user_id, account->self_id());
          if (!from.ok()) return Finish(reactor, from.status());
          search.from_id = *std::move(from);
        }
        account->invoker()->Call<api::messages_search>(search, {deadline}, answer(account, false));
      });
  return reactor;
}

grpc::ServerUnaryReactor* MessageServiceImpl::EditMessage(grpc::CallbackServerContext* context,
                                                          const v1::EditMessageRequest* request,
                                                          v1::Message* response) {
  auto* reactor = context->DefaultReactor();
  if (request->text().size() > 64 * 1024) {
    return Finish(reactor, InvalidField("text", "longer than 64 KiB")), reactor;
  }
  auto parsed = std::make_shared<absl::StatusOr<text::FormattedText>>(
      ParseFormattedText(request->text(), request->entities(), request->parse_mode(), "text",
                         kMaxTextLength, /*allow_empty=*/false));
  if (!parsed->ok()) return Finish(reactor, parsed->status()), reactor;
  const absl::Time deadline = CallDeadline(*context, *api_);
  const bool no_webpage = request->no_webpage();
  OnResolvedName(
      *api_, context, reactor, request->name(), "name", "chats", "messages",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName name) {
        int32_t id = 0;
        if (!absl::SimpleAtoi(name.rest, &id) || id <= 0) {
          return Finish(reactor, InvalidField("name", "the message id must be positive"));
        }
        absl::StatusOr<std::vector<tl::Ptr<api::MessageEntity>>> entities =
            EntitiesToTl((*parsed)->entities, *account);
        if (!entities.ok()) return Finish(reactor, entities.status());
        api::messages_editMessage edit;
        edit.peer = std::move(peer.input);
        edit.id = id;
        edit.message = (*parsed)->text;
        edit.entities = *std::move(entities);
        edit.no_webpage = no_webpage;
        account->invoker()->Call<api::messages_editMessage>(
            edit, {deadline},
            AnswerWithMessage(reactor, response, account, 0, peer.marked_id, parsed, nullptr, ""));
      });
  return reactor;
}

grpc::ServerUnaryReactor* MessageServiceImpl::DeleteMessages(
    grpc::CallbackServerContext* context, const v1::DeleteMessagesRequest* request,
    v1::DeleteMessagesResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (absl::Status s = CheckIds(request->ids(), 100); !s.ok()) return Finish(reactor, s), reactor;
  const absl::Time deadline = CallDeadline(*context, *api_);
  std::vector<int32_t> ids(request->ids().begin(), request->ids().end());
  const bool revoke = request->revoke();
  OnResolvedName(
      *api_, context, reactor, request->parent(), "parent", "chats", "",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
        auto answer = [=](absl::StatusOr<tl::Ptr<api::messages_AffectedMessages>> result) {
          if (!result.ok()) return Finish(reactor, result.status());
          if (const auto* affected =
                  dynamic_cast<const api::messages_affectedMessages*>(result->get())) {
            response->set_deleted_count(affected->pts_count);
          }
          Finish(reactor, absl::OkStatus());
        };
        if (MarkedType(peer.marked_id) == PeerType::kChannel) {
          absl::StatusOr<tl::Ptr<api::InputChannel>> channel =
              account->peers().InputChannel(peer.marked_id);
          if (!channel.ok()) return Finish(reactor, channel.status());
          api::channels_deleteMessages del;
          del.channel = *std::move(channel);
          del.id = ids;
          account->invoker()->Call<api::channels_deleteMessages>(del, {deadline}, answer);
        } else {
          api::messages_deleteMessages del;
          del.revoke = revoke;
          del.id = ids;
          account->invoker()->Call<api::messages_deleteMessages>(del, {deadline}, answer);
        }
      });
  return reactor;
}

grpc::ServerUnaryReactor* MessageServiceImpl::ForwardMessages(
    grpc::CallbackServerContext* context, const v1::ForwardMessagesRequest* request,
    v1::ForwardMessagesResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (absl::Status s = CheckIds(request->ids(), 100); !s.ok()) return Finish(reactor, s), reactor;
  if (request->request_id().size() > 128) {
    return Finish(reactor, InvalidField("request_id", "at most 128 characters")), reactor;
  }
  if (request->topic_id() < 0) {
    return Finish(reactor, InvalidField("topic_id", "must not be negative")), reactor;
  }
  absl::StatusOr<ChildName> to = ParseChildName(request->to_chat(), "to_chat", "chats");
  if (!to.ok()) return Finish(reactor, to.status()), reactor;
  const absl::Time deadline = CallDeadline(*context, *api_);
  const v1::ForwardMessagesRequest copy = *request;
  bool hit = false;
  const std::string key = CachedAnswer(*api_, context, request->from_chat(), "ForwardMessages",
                                       request->request_id(), response, &hit);
  if (hit) return Finish(reactor, absl::OkStatus()), reactor;
  RequestCache* cache = api_->requests;
  OnResolvedName(
      *api_, context, reactor, request->from_chat(), "from_chat", "chats", "",
      [=](std::shared_ptr<Account> account, ResolvedPeer from, ChildName from_name) {
        if (to->account != from_name.account) {
          return Finish(reactor, InvalidField("to_chat", "must be a chat of the same account"));
        }
        auto from_input = std::make_shared<tl::Ptr<api::InputPeer>>(std::move(from.input));
        ResolveChat(account, to->child, "to_chat", deadline,
                    [=](absl::StatusOr<ResolvedPeer> target) {
                      if (!target.ok()) return Finish(reactor, target.status());
                      api::messages_forwardMessages forward;
                      forward.from_peer = std::move(*from_input);
                      forward.to_peer = std::move(target->input);
                      forward.id.assign(copy.ids().begin(), copy.ids().end());
                      for (int i = 0; i < copy.ids_size(); ++i) {
                        forward.random_id.push_back(
                            RandomIdFor(copy.request_id(), account->id(), absl::StrCat(i + 1)));
                      }
                      forward.drop_author = copy.drop_author();
                      forward.drop_media_captions = copy.drop_captions();
                      forward.silent = copy.silent();
                      if (copy.topic_id() != 0) forward.top_msg_id = copy.topic_id();
                      account->invoker()->Call<api::messages_forwardMessages>(
                          forward, {deadline}, [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
                            if (!result.ok()) return Finish(reactor, result.status());
                            account->peers().AddFromUpdates(**result);
                            for (v1::Message& m : MessagesFromUpdates(**result, *account)) {
                              *response->add_messages() = std::move(m);
                            }
                            if (!key.empty()) cache->Store(key, response->SerializeAsString());
                            Finish(reactor, absl::OkStatus());
                          });
                    });
      });
  return reactor;
}

}  // namespace tgrpc::service
