// BotService: what only bots do. Every handler first checks that the account is a bot (a user
// account gets FAILED_PRECONDITION / BOT_ACCOUNT_REQUIRED without a call to Telegram), then makes
// one bots.* or messages.set*Answer call (AnswerInlineQuery first makes the files the bot uploaded
// for its results Telegram's with messages.uploadMedia).
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/media_input.h"
#include "service/api/services.h"
#include "service/api/tl_json.h"
#include "service/api/utf8.h"
#include "service/telegram/peer_id.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;

constexpr int kMaxCommands = 100;
constexpr int kMaxCallbackText = 200;
constexpr int kMaxCacheTime = 86400;
constexpr int kMaxInlineResults = 50;

absl::StatusOr<std::shared_ptr<Account>> CallerBot(const ApiContext& api,
                                                   const grpc::CallbackServerContext& context,
                                                   const std::string& name) {
  absl::StatusOr<std::shared_ptr<Account>> found =
      CallerSignedInAccount(api, context, name, "account");
  if (!found.ok()) return found;
  if (!(*found)->record().bot) {
    return ServiceError(absl::StatusCode::kFailedPrecondition, "BOT_ACCOUNT_REQUIRED",
                        absl::StrCat((*found)->name(),
                                     " is a user account: BotService is for bot accounts (signed "
                                     "in with a bot_token)"));
  }
  return found;
}

// Empty, or a two-letter ISO 639-1 code.
absl::Status CheckLanguage(const std::string& code, absl::string_view field) {
  if (code.empty()) return absl::OkStatus();
  if (code.size() != 2 || !absl::ascii_islower(static_cast<unsigned char>(code[0])) ||
      !absl::ascii_islower(static_cast<unsigned char>(code[1]))) {
    return InvalidField(field, "a two-letter ISO 639-1 code in lowercase, or empty");
  }
  return absl::OkStatus();
}

// The reference ({chat} or {user}) of `name` in `field`, which must be of `account`.
absl::StatusOr<std::string> ReferenceOf(const Account& account, const std::string& name,
                                        absl::string_view field, absl::string_view collection) {
  if (name.empty()) return InvalidField(field, "required");
  absl::StatusOr<ChildName> parsed = ParseChildName(name, field, collection);
  if (!parsed.ok()) return parsed.status();
  if (parsed->account != account.id()) {
    return InvalidField(field, "must be of the request's account");
  }
  return parsed->child;
}

using ScopeCallback = std::function<void(absl::StatusOr<tl::Ptr<api::BotCommandScope>>)>;

// A CommandScope as TL, its chat and user resolved.
void ScopeToTl(std::shared_ptr<Account> account, const v1::CommandScope& scope, absl::Time deadline,
               ScopeCallback done) {
  using Scope = v1::CommandScope;
  switch (scope.kind()) {
    case Scope::KIND_UNSPECIFIED:
    case Scope::DEFAULT:
      return done(std::make_unique<api::botCommandScopeDefault>());
    case Scope::ALL_PRIVATE_CHATS:
      return done(std::make_unique<api::botCommandScopeUsers>());
    case Scope::ALL_GROUP_CHATS:
      return done(std::make_unique<api::botCommandScopeChats>());
    case Scope::ALL_CHAT_ADMINISTRATORS:
      return done(std::make_unique<api::botCommandScopeChatAdmins>());
    case Scope::CHAT:
    case Scope::CHAT_ADMINISTRATORS:
    case Scope::CHAT_MEMBER:
      break;
    default:
      return done(InvalidField("scope.kind", "unknown kind"));
  }
  absl::StatusOr<std::string> chat = ReferenceOf(*account, scope.chat(), "scope.chat", "chats");
  if (!chat.ok()) return done(chat.status());
  std::string user;
  if (scope.kind() == Scope::CHAT_MEMBER) {
    absl::StatusOr<std::string> found = ReferenceOf(*account, scope.user(), "scope.user", "users");
    if (!found.ok()) return done(found.status());
    user = *std::move(found);
  }
  const Scope::Kind kind = scope.kind();
  ResolveChat(account, *chat, "scope.chat", deadline, [=](absl::StatusOr<ResolvedPeer> peer) {
    if (!peer.ok()) return done(peer.status());
    if (kind == Scope::CHAT) {
      auto out = std::make_unique<api::botCommandScopePeer>();
      out->peer = std::move(peer->input);
      return done(tl::Ptr<api::BotCommandScope>(std::move(out)));
    }
    if (kind == Scope::CHAT_ADMINISTRATORS) {
      auto out = std::make_unique<api::botCommandScopePeerAdmins>();
      out->peer = std::move(peer->input);
      return done(tl::Ptr<api::BotCommandScope>(std::move(out)));
    }
    auto input = std::make_shared<tl::Ptr<api::InputPeer>>(std::move(peer->input));
    ResolveUsers(account, {user}, "scope.user", deadline,
                 [input, done](absl::StatusOr<std::vector<tl::Ptr<api::InputUser>>> users) {
                   if (!users.ok()) return done(users.status());
                   auto out = std::make_unique<api::botCommandScopePeerUser>();
                   out->peer = std::move(*input);
                   out->user_id = std::move(users->front());
                   done(tl::Ptr<api::BotCommandScope>(std::move(out)));
                 });
  });
}

absl::Status CheckCommand(const v1::BotCommand& command, absl::string_view field) {
  const std::string& name = command.command();
  if (name.empty() || name.size() > 32) {
    return InvalidField(absl::StrCat(field, ".command"), "1-32 characters");
  }
  for (char c : name) {
    if (!(absl::ascii_islower(static_cast<unsigned char>(c)) ||
          absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '_')) {
      return InvalidField(absl::StrCat(field, ".command"),
                          "lowercase letters, digits and underscores, without the /");
    }
  }
  const int description = CodePoints(command.description());
  if (description < 1 || description > 256) {
    return InvalidField(absl::StrCat(field, ".description"), "1-256 characters");
  }
  return absl::OkStatus();
}

// Runs `call(account, scope)` on the request's bot once its scope is TL; `call` finishes.
void WithScope(const ApiContext& api, grpc::CallbackServerContext* context,
               grpc::ServerUnaryReactor* reactor, const std::string& name,
               const v1::CommandScope& scope, const std::string& language,
               std::function<void(std::shared_ptr<Account>, tl::Ptr<api::BotCommandScope>)> call) {
  absl::StatusOr<std::shared_ptr<Account>> found = CallerBot(api, *context, name);
  if (!found.ok()) return Finish(reactor, found.status());
  if (absl::Status s = CheckLanguage(language, "language_code"); !s.ok()) {
    return Finish(reactor, s);
  }
  std::shared_ptr<Account> account = *found;
  ScopeToTl(account, scope, CallDeadline(*context, api),
            [account, reactor, call](absl::StatusOr<tl::Ptr<api::BotCommandScope>> tl_scope) {
              if (!tl_scope.ok()) return Finish(reactor, tl_scope.status());
              call(account, *std::move(tl_scope));
            });
}

void BotInfoToProto(const api::bots_botInfo& info, v1::BotInfo* out) {
  out->set_name(ValidUtf8(info.name));
  out->set_short_description(ValidUtf8(info.about));
  out->set_description(ValidUtf8(info.description));
}

// Finishes `reactor` with the bot's info in `language` as Telegram has it now (bots.getBotInfo).
void AnswerBotInfo(Account& account, const std::string& language, absl::Time deadline,
                   grpc::ServerUnaryReactor* reactor, v1::BotInfo* response) {
  api::bots_getBotInfo get;
  get.lang_code = language;
  account.invoker()->Call<api::bots_getBotInfo>(
      get, {deadline}, [response, reactor](absl::StatusOr<tl::Ptr<api::bots_BotInfo>> info) {
        if (!info.ok()) return Finish(reactor, info.status());
        if (const auto* i = dynamic_cast<const api::bots_botInfo*>(info->get())) {
          BotInfoToProto(*i, response);
        }
        Finish(reactor, absl::OkStatus());
      });
}

bool IsHttpUrl(const std::string& url) {
  return absl::StartsWith(url, "http://") || absl::StartsWith(url, "https://");
}

absl::StatusOr<tl::Ptr<api::ReplyMarkup>> MarkupFromJson(const std::string& json,
                                                         absl::string_view field) {
  if (json.empty()) return tl::Ptr<api::ReplyMarkup>();
  if (json.size() > 64 * 1024) return InvalidField(field, "longer than 64 KiB");
  absl::StatusOr<std::string> boxed = TlFromJson(json, "ReplyMarkup", field);
  absl::StatusOr<tl::Ptr<api::ReplyMarkup>> decoded =
      boxed.ok() ? tl::Decode<api::ReplyMarkup>(*boxed) : boxed.status();
  if (!decoded.ok()) return InvalidField(field, decoded.status().message());
  return decoded;
}

tl::Ptr<api::InputWebDocument> WebDocument(const std::string& url, const std::string& mime) {
  auto out = std::make_unique<api::inputWebDocument>();
  out->url = url;
  out->mime_type = mime;
  return out;
}

// An InlineResult's uploaded file as the SendMedia that would send it to `account`'s chats, so
// that it is checked and made InputMedia exactly as SendMedia's file is.
v1::SendMediaRequest SendMediaOf(const v1::InlineResult& in, const std::string& account) {
  v1::SendMediaRequest out;
  out.set_parent(absl::StrCat(account, "/chats/self"));
  out.set_kind(in.kind() == v1::InlineResult::PHOTO ? v1::SendMediaRequest::PHOTO
                                                    : v1::SendMediaRequest::DOCUMENT);
  *out.mutable_file() = in.file();
  out.set_mime_type(in.mime_type());
  return out;
}

// The photo or document messages.uploadMedia made of an uploaded file, as a StoredFile.
absl::StatusOr<v1::StoredFile> StoredFileOf(const api::MessageMedia& media) {
  v1::StoredFile out;
  if (const auto* m = dynamic_cast<const api::messageMediaPhoto*>(&media)) {
    if (const auto* photo = dynamic_cast<const api::photo*>(m->photo.get())) {
      out.set_id(photo->id);
      out.set_access_hash(photo->access_hash);
      out.set_file_reference(photo->file_reference);
      return out;
    }
  } else if (const auto* m = dynamic_cast<const api::messageMediaDocument*>(&media)) {
    if (const auto* document = dynamic_cast<const api::document*>(m->document.get())) {
      out.set_id(document->id);
      out.set_access_hash(document->access_hash);
      out.set_file_reference(document->file_reference);
      return out;
    }
  }
  return absl::DataLossError("messages.uploadMedia answered no photo or document");
}

// One InlineResult of `account` as TL, checked (field names it as results[i]). A result with an
// uploaded file is null until `uploaded`, what messages.uploadMedia made of the file, is given.
absl::StatusOr<tl::Ptr<api::InputBotInlineResult>> InlineResultToTl(
    const v1::InlineResult& in, const std::string& field, const std::string& account,
    const api::MessageMedia* uploaded = nullptr) {
  using Result = v1::InlineResult;
  if (in.id().empty() || in.id().size() > 64) return InvalidField(field + ".id", "1-64 bytes");
  const int title = CodePoints(in.title());
  const int text = CodePoints(in.message_text());
  if (title > 256) return InvalidField(field + ".title", "at most 256 characters");
  if (CodePoints(in.description()) > 512) {
    return InvalidField(field + ".description", "at most 512 characters");
  }
  if (!in.thumb_url().empty() && !IsHttpUrl(in.thumb_url())) {
    return InvalidField(field + ".thumb_url", "an http(s) URL");
  }
  absl::StatusOr<tl::Ptr<api::ReplyMarkup>> markup =
      MarkupFromJson(in.reply_markup_json(), field + ".reply_markup_json");
  if (!markup.ok()) return markup.status();
  const Result::Kind kind = in.kind() == Result::KIND_UNSPECIFIED ? Result::ARTICLE : in.kind();
  if (kind == Result::ARTICLE) {
    if (title < 1) return InvalidField(field + ".title", "required for an article");
    if (text < 1 || text > 4096) {
      return InvalidField(field + ".message_text", "1-4096 characters for an article");
    }
    auto message = std::make_unique<api::inputBotInlineMessageText>();
    message->message = in.message_text();
    message->no_webpage = in.no_webpage();
    message->reply_markup = *std::move(markup);
    auto out = std::make_unique<api::inputBotInlineResult>();
    out->id = in.id();
    out->type = "article";
    out->title = in.title();
    if (!in.description().empty()) out->description = in.description();
    if (!in.url().empty()) out->url = in.url();
    if (!in.thumb_url().empty()) out->thumb = WebDocument(in.thumb_url(), "image/jpeg");
    out->send_message = std::move(message);
    return tl::Ptr<api::InputBotInlineResult>(std::move(out));
  }
  if (kind != Result::PHOTO && kind != Result::DOCUMENT) {
    return InvalidField(field + ".kind", "unknown kind");
  }
  if (text > 1024) return InvalidField(field + ".message_text", "a caption: at most 1024");
  if (kind == Result::DOCUMENT && title < 1) {
    return InvalidField(field + ".title", "required for a document");
  }
  const bool by_url = !in.content_url().empty();
  if (static_cast<int>(by_url) + static_cast<int>(in.has_stored_file()) +
          static_cast<int>(in.has_file()) !=
      1) {
    return InvalidField(field, "set exactly one of content_url, stored_file and file");
  }
  if (in.has_file()) {
    if (absl::Status s = CheckSendMedia(SendMediaOf(in, account)); !s.ok()) {
      return PrefixField(s, absl::StrCat(field, "."));
    }
    if (uploaded == nullptr) return tl::Ptr<api::InputBotInlineResult>();
  }
  auto caption = std::make_unique<api::inputBotInlineMessageMediaAuto>();
  caption->message = in.message_text();
  caption->reply_markup = *std::move(markup);
  const char* type = kind == Result::PHOTO ? "photo" : "file";
  if (by_url) {
    if (!IsHttpUrl(in.content_url())) return InvalidField(field + ".content_url", "an http(s) URL");
    std::string mime = kind == Result::PHOTO ? "image/jpeg" : in.mime_type();
    if (mime.empty()) return InvalidField(field + ".mime_type", "required for a document by URL");
    auto out = std::make_unique<api::inputBotInlineResult>();
    out->id = in.id();
    out->type = type;
    if (title > 0) out->title = in.title();
    if (!in.description().empty()) out->description = in.description();
    out->content = WebDocument(in.content_url(), mime);
    // Telegram wants a thumbnail with every result by URL: the photo itself when none is given.
    out->thumb = WebDocument(in.thumb_url().empty() ? in.content_url() : in.thumb_url(),
                             in.thumb_url().empty() ? mime : "image/jpeg");
    out->send_message = std::move(caption);
    return tl::Ptr<api::InputBotInlineResult>(std::move(out));
  }
  v1::StoredFile file = in.stored_file();
  if (uploaded != nullptr) {
    absl::StatusOr<v1::StoredFile> made = StoredFileOf(*uploaded);
    if (!made.ok()) return made.status();
    file = *std::move(made);
  }
  if (file.id() == 0) return InvalidField(field + ".stored_file.id", "required");
  if (kind == Result::PHOTO) {
    auto photo = std::make_unique<api::inputPhoto>();
    photo->id = file.id();
    photo->access_hash = file.access_hash();
    photo->file_reference = file.file_reference();
    auto out = std::make_unique<api::inputBotInlineResultPhoto>();
    out->id = in.id();
    out->type = type;
    out->photo = std::move(photo);
    out->send_message = std::move(caption);
    return tl::Ptr<api::InputBotInlineResult>(std::move(out));
  }
  auto document = std::make_unique<api::inputDocument>();
  document->id = file.id();
  document->access_hash = file.access_hash();
  document->file_reference = file.file_reference();
  auto out = std::make_unique<api::inputBotInlineResultDocument>();
  out->id = in.id();
  out->type = type;
  out->title = in.title();
  if (!in.description().empty()) out->description = in.description();
  out->document = std::move(document);
  out->send_message = std::move(caption);
  return tl::Ptr<api::InputBotInlineResult>(std::move(out));
}

bool IsStartParameter(const std::string& text) {
  if (text.empty() || text.size() > 64) return false;
  for (char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

// An AnswerInlineQuery whose results' uploaded files are being made Telegram's.
struct InlineAnswer {
  grpc::ServerUnaryReactor* reactor = nullptr;
  std::shared_ptr<Account> account;
  std::shared_ptr<const v1::AnswerInlineQueryRequest> request;
  // The answer; the results with an uploaded file are null until uploaded.
  std::shared_ptr<api::messages_setInlineBotResults> set;
  absl::Time deadline;
};

// Uploads the files of the results from `next` on (messages.uploadMedia, one at a time, with
// inputPeerEmpty, the peer Telegram asks of bots), then answers the query.
void UploadThenAnswer(std::shared_ptr<InlineAnswer> call, int next) {
  const int size = static_cast<int>(call->set->results.size());
  while (next < size && call->set->results[next] != nullptr) ++next;
  if (next == size) {
    grpc::ServerUnaryReactor* reactor = call->reactor;
    call->account->invoker()->Call<api::messages_setInlineBotResults>(
        *call->set, {call->deadline},
        [reactor](absl::StatusOr<bool> result) { Finish(reactor, result.status()); });
    return;
  }
  const v1::InlineResult& in = call->request->results(next);
  api::messages_uploadMedia upload;
  upload.peer = std::make_unique<api::inputPeerEmpty>();
  upload.media = MediaOf(SendMediaOf(in, call->request->account()));
  call->account->invoker()->Call<api::messages_uploadMedia>(
      upload, {call->deadline}, [call, next](absl::StatusOr<tl::Ptr<api::MessageMedia>> media) {
        if (!media.ok()) return Finish(call->reactor, media.status());
        absl::StatusOr<tl::Ptr<api::InputBotInlineResult>> result =
            InlineResultToTl(call->request->results(next), absl::StrCat("results[", next, "]"),
                             call->request->account(), media->get());
        if (!result.ok()) return Finish(call->reactor, result.status());
        call->set->results[next] = *std::move(result);
        UploadThenAnswer(call, next + 1);
      });
}

// Finishes `reactor` with the outcome of a call answered by Bool.
std::function<void(absl::StatusOr<bool>)> FinishBool(grpc::ServerUnaryReactor* reactor) {
  return [reactor](absl::StatusOr<bool> result) { Finish(reactor, result.status()); };
}

}  // namespace

grpc::ServerUnaryReactor* BotServiceImpl::AnswerCallbackQuery(
    grpc::CallbackServerContext* context, const v1::AnswerCallbackQueryRequest* request,
    google::protobuf::Empty*) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> found = CallerBot(*api_, *context, request->account());
  if (!found.ok()) return Finish(reactor, found.status()), reactor;
  if (request->query_id() == 0)
    return Finish(reactor, InvalidField("query_id", "required")), reactor;
  if (CodePoints(request->text()) > kMaxCallbackText) {
    return Finish(reactor, InvalidField("text", "at most 200 characters")), reactor;
  }
  if (request->alert() && request->text().empty()) {
    return Finish(reactor, InvalidField("text", "an alert needs a text")), reactor;
  }
  if (request->cache_time_seconds() < 0 || request->cache_time_seconds() > kMaxCacheTime) {
    return Finish(reactor, InvalidField("cache_time_seconds", "0-86400")), reactor;
  }
  if (request->url().size() > 1024) {
    return Finish(reactor, InvalidField("url", "at most 1024 bytes")), reactor;
  }
  api::messages_setBotCallbackAnswer answer;
  answer.query_id = request->query_id();
  answer.alert = request->alert();
  if (!request->text().empty()) answer.message = request->text();
  if (!request->url().empty()) answer.url = request->url();
  answer.cache_time = request->cache_time_seconds();
  (*found)->invoker()->Call<api::messages_setBotCallbackAnswer>(
      answer, {CallDeadline(*context, *api_)}, FinishBool(reactor));
  return reactor;
}

grpc::ServerUnaryReactor* BotServiceImpl::SetCommands(grpc::CallbackServerContext* context,
                                                      const v1::SetCommandsRequest* request,
                                                      google::protobuf::Empty*) {
  auto* reactor = context->DefaultReactor();
  if (request->commands().empty() || request->commands_size() > kMaxCommands) {
    return Finish(reactor, InvalidField("commands", "1-100 commands")), reactor;
  }
  std::vector<tl::Ptr<api::BotCommand>> commands;
  std::set<std::string> seen;
  for (int i = 0; i < request->commands_size(); ++i) {
    const v1::BotCommand& command = request->commands(i);
    const std::string field = absl::StrCat("commands[", i, "]");
    if (absl::Status s = CheckCommand(command, field); !s.ok()) return Finish(reactor, s), reactor;
    if (!seen.insert(command.command()).second) {
      return Finish(reactor, InvalidField(field + ".command", "given twice")), reactor;
    }
    auto out = std::make_unique<api::botCommand>();
    out->command = command.command();
    out->description = command.description();
    commands.push_back(std::move(out));
  }
  auto shared = std::make_shared<std::vector<tl::Ptr<api::BotCommand>>>(std::move(commands));
  const std::string language = request->language_code();
  const absl::Time deadline = CallDeadline(*context, *api_);
  WithScope(*api_, context, reactor, request->account(), request->scope(), language,
            [=](std::shared_ptr<Account> account, tl::Ptr<api::BotCommandScope> scope) {
              api::bots_setBotCommands set;
              set.scope = std::move(scope);
              set.lang_code = language;
              set.commands = std::move(*shared);
              account->invoker()->Call<api::bots_setBotCommands>(set, {deadline},
                                                                 FinishBool(reactor));
            });
  return reactor;
}

grpc::ServerUnaryReactor* BotServiceImpl::GetCommands(grpc::CallbackServerContext* context,
                                                      const v1::GetCommandsRequest* request,
                                                      v1::GetCommandsResponse* response) {
  auto* reactor = context->DefaultReactor();
  const std::string language = request->language_code();
  const absl::Time deadline = CallDeadline(*context, *api_);
  WithScope(
      *api_, context, reactor, request->account(), request->scope(), language,
      [=](std::shared_ptr<Account> account, tl::Ptr<api::BotCommandScope> scope) {
        api::bots_getBotCommands get;
        get.scope = std::move(scope);
        get.lang_code = language;
        account->invoker()->Call<api::bots_getBotCommands>(
            get, {deadline},
            [response, reactor](absl::StatusOr<std::vector<tl::Ptr<api::BotCommand>>> result) {
              if (!result.ok()) return Finish(reactor, result.status());
              for (const auto& command : *result) {
                const auto* c = dynamic_cast<const api::botCommand*>(command.get());
                if (c == nullptr) continue;
                v1::BotCommand* out = response->add_commands();
                out->set_command(ValidUtf8(c->command));
                out->set_description(ValidUtf8(c->description));
              }
              Finish(reactor, absl::OkStatus());
            });
      });
  return reactor;
}

grpc::ServerUnaryReactor* BotServiceImpl::DeleteCommands(grpc::CallbackServerContext* context,
                                                         const v1::DeleteCommandsRequest* request,
                                                         google::protobuf::Empty*) {
  auto* reactor = context->DefaultReactor();
  const std::string language = request->language_code();
  const absl::Time deadline = CallDeadline(*context, *api_);
  WithScope(*api_, context, reactor, request->account(), request->scope(), language,
            [=](std::shared_ptr<Account> account, tl::Ptr<api::BotCommandScope> scope) {
              api::bots_resetBotCommands reset;
              reset.scope = std::move(scope);
              reset.lang_code = language;
              account->invoker()->Call<api::bots_resetBotCommands>(reset, {deadline},
                                                                   FinishBool(reactor));
            });
  return reactor;
}

grpc::ServerUnaryReactor* BotServiceImpl::SetBotInfo(grpc::CallbackServerContext* context,
                                                     const v1::SetBotInfoRequest* request,
                                                     v1::BotInfo* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> found = CallerBot(*api_, *context, request->account());
  if (!found.ok()) return Finish(reactor, found.status()), reactor;
  if (absl::Status s = CheckLanguage(request->language_code(), "language_code"); !s.ok()) {
    return Finish(reactor, s), reactor;
  }
  if (request->update_mask().paths().empty()) {
    return Finish(reactor, InvalidField("update_mask", "name the fields to set")), reactor;
  }
  api::bots_setBotInfo set;
  set.lang_code = request->language_code();
  const v1::BotInfo& info = request->info();
  for (const std::string& path : request->update_mask().paths()) {
    if (path == "name") {
      const int length = CodePoints(info.name());
      if (length < 1 || length > 64) {
        return Finish(reactor, InvalidField("info.name", "1-64 characters")), reactor;
      }
      set.name = info.name();
    } else if (path == "description") {
      if (CodePoints(info.description()) > 512) {
        return Finish(reactor, InvalidField("info.description", "at most 512 characters")), reactor;
      }
      set.description = info.description();
    } else if (path == "short_description") {
      if (CodePoints(info.short_description()) > 120) {
        return Finish(reactor, InvalidField("info.short_description", "at most 120 characters")),
               reactor;
      }
      set.about = info.short_description();
    } else {
      return Finish(reactor,
                    InvalidField("update_mask",
                                 absl::StrCat("unknown field \"", path,
                                              "\": name, description, short_description"))),
             reactor;
    }
  }
  std::shared_ptr<Account> account = *found;
  const absl::Time deadline = CallDeadline(*context, *api_);
  const std::string language = request->language_code();
  account->invoker()->Call<api::bots_setBotInfo>(set, {deadline}, [=](absl::StatusOr<bool> result) {
    if (!result.ok()) return Finish(reactor, result.status());
    AnswerBotInfo(*account, language, deadline, reactor, response);
  });
  return reactor;
}

grpc::ServerUnaryReactor* BotServiceImpl::GetBotInfo(grpc::CallbackServerContext* context,
                                                     const v1::GetBotInfoRequest* request,
                                                     v1::BotInfo* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> found = CallerBot(*api_, *context, request->account());
  if (!found.ok()) return Finish(reactor, found.status()), reactor;
  if (absl::Status s = CheckLanguage(request->language_code(), "language_code"); !s.ok()) {
    return Finish(reactor, s), reactor;
  }
  AnswerBotInfo(**found, request->language_code(), CallDeadline(*context, *api_), reactor,
                response);
  return reactor;
}

grpc::ServerUnaryReactor* BotServiceImpl::SetMenuButton(grpc::CallbackServerContext* context,
                                                        const v1::SetMenuButtonRequest* request,
                                                        google::protobuf::Empty*) {
  using Request = v1::SetMenuButtonRequest;
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> found = CallerBot(*api_, *context, request->account());
  if (!found.ok()) return Finish(reactor, found.status()), reactor;
  std::shared_ptr<Account> account = *found;
  auto button = std::make_shared<tl::Ptr<api::BotMenuButton>>();
  switch (request->kind()) {
    case Request::KIND_UNSPECIFIED:
    case Request::DEFAULT:
      *button = std::make_unique<api::botMenuButtonDefault>();
      break;
    case Request::COMMANDS:
      *button = std::make_unique<api::botMenuButtonCommands>();
      break;
    case Request::WEB_APP: {
      const int text = CodePoints(request->text());
      if (text < 1 || text > 64) {
        return Finish(reactor, InvalidField("text", "1-64 characters for a web app")), reactor;
      }
      if (!absl::StartsWith(request->url(), "https://") || request->url().size() > 1024) {
        return Finish(reactor, InvalidField("url", "an https:// URL for a web app")), reactor;
      }
      auto web = std::make_unique<api::botMenuButton>();
      web->text = request->text();
      web->url = request->url();
      *button = std::move(web);
      break;
    }
    default:
      return Finish(reactor, InvalidField("kind", "unknown kind")), reactor;
  }
  const absl::Time deadline = CallDeadline(*context, *api_);
  auto call = [account, button, deadline, reactor](tl::Ptr<api::InputUser> user) {
    api::bots_setBotMenuButton set;
    set.user_id = std::move(user);
    set.button = std::move(*button);
    account->invoker()->Call<api::bots_setBotMenuButton>(set, {deadline}, FinishBool(reactor));
  };
  if (request->user().empty()) {
    call(std::make_unique<api::inputUserEmpty>());  // every user's default
    return reactor;
  }
  absl::StatusOr<std::string> user = ReferenceOf(*account, request->user(), "user", "users");
  if (!user.ok()) return Finish(reactor, user.status()), reactor;
  ResolveUsers(account, {*user}, "user", deadline,
               [call, reactor](absl::StatusOr<std::vector<tl::Ptr<api::InputUser>>> users) {
                 if (!users.ok()) return Finish(reactor, users.status());
                 call(std::move(users->front()));
               });
  return reactor;
}

grpc::ServerUnaryReactor* BotServiceImpl::AnswerInlineQuery(
    grpc::CallbackServerContext* context, const v1::AnswerInlineQueryRequest* request,
    google::protobuf::Empty*) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> found = CallerBot(*api_, *context, request->account());
  if (!found.ok()) return Finish(reactor, found.status()), reactor;
  if (request->query_id() == 0)
    return Finish(reactor, InvalidField("query_id", "required")), reactor;
  if (request->results_size() > kMaxInlineResults) {
    return Finish(reactor, InvalidField("results", "at most 50 results")), reactor;
  }
  if (request->cache_time_seconds() < 0 || request->cache_time_seconds() > kMaxCacheTime) {
    return Finish(reactor, InvalidField("cache_time_seconds", "0-86400")), reactor;
  }
  if (request->next_offset().size() > 64) {
    return Finish(reactor, InvalidField("next_offset", "at most 64 bytes")), reactor;
  }
  if (request->switch_pm_text().empty() != request->switch_pm_parameter().empty()) {
    return Finish(reactor,
                  InvalidField("switch_pm_parameter",
                               "set both switch_pm_text and switch_pm_parameter, or none")),
           reactor;
  }
  if (!request->switch_pm_parameter().empty() &&
      !IsStartParameter(request->switch_pm_parameter())) {
    return Finish(reactor,
                  InvalidField("switch_pm_parameter", "1-64 characters: A-Z, a-z, 0-9, _ and -")),
           reactor;
  }
  auto set = std::make_shared<api::messages_setInlineBotResults>();
  set->query_id = request->query_id();
  set->gallery = request->gallery();
  set->private_ = request->personal();
  set->cache_time = request->cache_time_seconds() == 0 ? 300 : request->cache_time_seconds();
  if (!request->next_offset().empty()) set->next_offset = request->next_offset();
  std::set<std::string> ids;
  for (int i = 0; i < request->results_size(); ++i) {
    const std::string field = absl::StrCat("results[", i, "]");
    absl::StatusOr<tl::Ptr<api::InputBotInlineResult>> result =
        InlineResultToTl(request->results(i), field, request->account());
    if (!result.ok()) return Finish(reactor, result.status()), reactor;
    if (!ids.insert(request->results(i).id()).second) {
      return Finish(reactor, InvalidField(field + ".id", "given twice")), reactor;
    }
    set->results.push_back(*std::move(result));
  }
  if (!request->switch_pm_text().empty()) {
    auto pm = std::make_unique<api::inlineBotSwitchPM>();
    pm->text = request->switch_pm_text();
    pm->start_param = request->switch_pm_parameter();
    set->switch_pm = std::move(pm);
  }
  auto call = std::make_shared<InlineAnswer>();
  call->reactor = reactor;
  call->account = *found;
  call->request = std::make_shared<const v1::AnswerInlineQueryRequest>(*request);
  call->set = std::move(set);
  call->deadline = CallDeadline(*context, *api_);
  UploadThenAnswer(std::move(call), 0);
  return reactor;
}

}  // namespace tgrpc::service
