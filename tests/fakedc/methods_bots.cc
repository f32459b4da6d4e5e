// Bots: their settings (bots.setBotCommands / getBotCommands / resetBotCommands, setBotInfo /
// getBotInfo, setBotMenuButton / getBotMenuButton), callback buttons and inline queries.
//
// A button press (messages.getBotCallbackAnswer) and an inline query (getInlineBotResults) reach
// the bot as updateBotCallbackQuery / updateBotInlineQuery, and their callers wait (a deferred
// answer) for the bot's messages.setBotCallbackAnswer / setInlineBotResults, or for
// World::bot_answer_timeout_ms(), after which they get 400 BOT_RESPONSE_TIMEOUT as Telegram's
// callers do. An answered inline query is kept for messages.sendInlineBotResult.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/methods_messages_internal.h"
#include "tests/fakedc/photos.h"

namespace tgrpc::fakedc {

namespace {

namespace api = tl::api;

constexpr int kMaxInlineResults = 50;

absl::Status RequireBot(const CallContext& context, World& world) {
  if (absl::Status s = RequireUser(context); !s.ok()) return s;
  const UserRecord* self = world.FindUser(context.user_id);
  if (self == nullptr || !self->bot) return BadRequest("USER_BOT_REQUIRED");
  return absl::OkStatus();
}

// A scope as a key of BotSettings::commands: its constructor and the ids it names.
absl::StatusOr<std::string> ScopeKey(const api::BotCommandScope& scope, const CallContext& context,
                                     World& world) {
  const api::InputPeer* peer = nullptr;
  const api::InputUser* user = nullptr;
  if (const auto* s = dynamic_cast<const api::botCommandScopePeer*>(&scope)) peer = s->peer.get();
  if (const auto* s = dynamic_cast<const api::botCommandScopePeerAdmins*>(&scope)) {
    peer = s->peer.get();
  }
  if (const auto* s = dynamic_cast<const api::botCommandScopePeerUser*>(&scope)) {
    peer = s->peer.get();
    user = s->user_id.get();
  }
  std::string key = scope.tl_name();
  if (peer != nullptr) {
    absl::StatusOr<PeerRef> resolved = ResolveInputPeer(*peer, context, world);
    if (!resolved.ok()) return resolved.status();
    absl::StrAppend(&key, ":", static_cast<int>(resolved->kind), ":", resolved->id);
  }
  if (user != nullptr) {
    absl::StatusOr<UserRecord*> resolved = ResolveInputUser(*user, context, world);
    if (!resolved.ok()) return resolved.status();
    absl::StrAppend(&key, ":user:", (*resolved)->id);
  }
  return key;
}

absl::Status CheckLangCode(const std::string& code) {
  if (code.empty()) return absl::OkStatus();
  if (code.size() > 10) return BadRequest("LANG_CODE_INVALID");
  for (char c : code) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c)) && c != '-') {
      return BadRequest("LANG_CODE_INVALID");
    }
  }
  return absl::OkStatus();
}

// The answers waited for, by query id.
struct PendingCallback {
  int64_t bot_id = 0;
  std::function<void(absl::StatusOr<tl::Ptr<api::messages_BotCallbackAnswer>>)> reply;
};
struct InlineQuery {
  int64_t bot_id = 0;
  int64_t user_id = 0;
  PeerRef peer;
  std::function<void(absl::StatusOr<tl::Ptr<api::messages_BotResults>>)> reply;  // null: answered
  // The answer's results (boxed pinned-layer InputBotInlineResult) by id, for sendInlineBotResult.
  std::map<std::string, std::string> results;
};
struct PendingQueries {
  std::map<int64_t, PendingCallback> callbacks;
  std::map<int64_t, InlineQuery> inline_queries;
};

// updates{update} for the bot, with the user who caused it and the chat it is about.
std::unique_ptr<api::updates> ForBot(World& world, tl::Ptr<api::Update> update, int64_t bot_id,
                                     int64_t user_id, const PeerRef& chat) {
  auto out = std::make_unique<api::updates>();
  out->date = world.Now();
  out->updates_.push_back(std::move(update));
  if (const UserRecord* user = world.FindUser(user_id)) {
    out->users.push_back(MakeUser(*user, bot_id));
  }
  if (chat.kind == PeerKind::kChat) {
    if (const ChatRecord* c = world.FindChat(chat.id)) out->chats.push_back(MakeChat(*c, bot_id));
  } else if (chat.kind == PeerKind::kChannel) {
    if (const ChannelRecord* c = world.FindChannel(chat.id)) {
      out->chats.push_back(MakeChannel(*c, bot_id));
    }
  }
  return out;
}

// Whether the message's inline keyboard has a callback button with `data`.
bool HasCallbackButton(const MessageRecord& message, const std::string& data) {
  if (message.reply_markup.empty()) return false;
  absl::StatusOr<tl::Ptr<api::ReplyMarkup>> markup =
      tl::Decode<api::ReplyMarkup>(message.reply_markup);
  if (!markup.ok()) return false;
  const auto* inline_markup = dynamic_cast<const api::replyInlineMarkup*>(markup->get());
  if (inline_markup == nullptr) return false;
  for (const auto& row : inline_markup->rows) {
    const auto* r = dynamic_cast<const api::keyboardButtonRow*>(row.get());
    if (r == nullptr) continue;
    for (const auto& button : r->buttons) {
      const auto* b = dynamic_cast<const api::keyboardButtonCallback*>(button.get());
      if (b != nullptr && b->data == data) return true;
    }
  }
  return false;
}

// The chat and message id the bot sees for a message the presser sees as (`peer`, `message`).
std::pair<PeerRef, int32_t> BotView(World& world, int64_t presser, int64_t bot_id,
                                    const PeerRef& peer, const MessageRecord& message) {
  if (peer.kind == PeerKind::kUser) {
    return {{PeerKind::kUser, presser}, message.counterpart_id};
  }
  if (peer.kind == PeerKind::kChat) {
    for (const auto& [id, copy] : world.BoxOf(bot_id).messages) {
      if (copy.group_key == message.group_key && copy.peer == peer) return {peer, id};
    }
  }
  return {peer, message.id};
}

tl::Ptr<api::WebDocument> WebDocumentOf(const api::InputWebDocument* input) {
  const auto* in = dynamic_cast<const api::inputWebDocument*>(input);
  if (in == nullptr) return nullptr;
  auto out = std::make_unique<api::webDocumentNoProxy>();
  out->url = in->url;
  out->size = in->size;
  out->mime_type = in->mime_type;
  return out;
}

// What a result sends, as the user's app sees it.
tl::Ptr<api::BotInlineMessage> SentMessageOf(const api::InputBotInlineMessage* input) {
  if (const auto* text = dynamic_cast<const api::inputBotInlineMessageText*>(input)) {
    auto out = std::make_unique<api::botInlineMessageText>();
    out->no_webpage = text->no_webpage;
    out->message = text->message;
    return out;
  }
  auto out = std::make_unique<api::botInlineMessageMediaAuto>();
  if (const auto* media = dynamic_cast<const api::inputBotInlineMessageMediaAuto*>(input)) {
    out->message = media->message;
  }
  return out;
}

std::string SentText(const api::InputBotInlineMessage* input) {
  if (const auto* text = dynamic_cast<const api::inputBotInlineMessageText*>(input)) {
    return text->message;
  }
  if (const auto* media = dynamic_cast<const api::inputBotInlineMessageMediaAuto*>(input)) {
    return media->message;
  }
  return "";
}

// One result of messages.setInlineBotResults as messages.getInlineBotResults shows it, or
// RESULT_TYPE_INVALID.
absl::StatusOr<tl::Ptr<api::BotInlineResult>> ResultOf(const api::InputBotInlineResult& input,
                                                       World& world) {
  static const std::set<std::string> kTypes = {
      "article",  "photo",   "gif",      "video", "audio",   "voice", "file",
      "document", "sticker", "location", "venue", "contact", "game",  "mpeg4_gif"};
  if (const auto* r = dynamic_cast<const api::inputBotInlineResult*>(&input)) {
    if (kTypes.count(r->type) == 0) return BadRequest("RESULT_TYPE_INVALID");
    if (r->send_message == nullptr) return BadRequest("SEND_MESSAGE_MEDIA_INVALID");
    auto out = std::make_unique<api::botInlineResult>();
    out->id = r->id;
    out->type = r->type;
    out->title = r->title;
    out->description = r->description;
    out->url = r->url;
    out->thumb = WebDocumentOf(r->thumb.get());
    out->content = WebDocumentOf(r->content.get());
    out->send_message = SentMessageOf(r->send_message.get());
    return tl::Ptr<api::BotInlineResult>(std::move(out));
  }
  auto out = std::make_unique<api::botInlineMediaResult>();
  if (const auto* r = dynamic_cast<const api::inputBotInlineResultPhoto*>(&input)) {
    const auto* photo = dynamic_cast<const api::inputPhoto*>(r->photo.get());
    if (photo == nullptr) return BadRequest("PHOTO_INVALID");
    out->id = r->id;
    out->type = r->type;
    out->photo = MakePhoto(world, photo->id);
    out->send_message = SentMessageOf(r->send_message.get());
  } else if (const auto* r = dynamic_cast<const api::inputBotInlineResultDocument*>(&input)) {
    const auto* document = dynamic_cast<const api::inputDocument*>(r->document.get());
    const DocumentRecord* stored = document != nullptr ? world.FindDocument(document->id) : nullptr;
    if (stored == nullptr) return BadRequest("DOCUMENT_INVALID");
    auto doc = std::make_unique<api::document>();
    doc->id = stored->id;
    doc->access_hash = stored->access_hash;
    doc->file_reference = world.files().Reference(stored->id);
    doc->date = stored->date;
    doc->mime_type = stored->mime_type;
    doc->size = stored->size;
    doc->dc_id = stored->dc_id;
    out->id = r->id;
    out->type = r->type;
    out->title = r->title;
    out->description = r->description;
    out->document = std::move(doc);
    out->send_message = SentMessageOf(r->send_message.get());
  } else {
    return BadRequest("RESULT_TYPE_INVALID");
  }
  return tl::Ptr<api::BotInlineResult>(std::move(out));
}

void RegisterBotSettings(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.On<api::bots_setBotCommands>([&world](const api::bots_setBotCommands& request,
                                          CallContext& context) -> absl::StatusOr<bool> {
    if (absl::Status s = RequireBot(context, world); !s.ok()) return s;
    if (absl::Status s = CheckLangCode(request.lang_code); !s.ok()) return s;
    absl::StatusOr<std::string> scope = ScopeKey(*request.scope, context, world);
    if (!scope.ok()) return scope.status();
    if (request.commands.size() > 100) return BadRequest("BOT_COMMANDS_TOO_MUCH");
    std::vector<std::pair<std::string, std::string>> commands;
    for (const auto& command : request.commands) {
      const auto* c = dynamic_cast<const api::botCommand*>(command.get());
      if (c == nullptr || c->command.empty() || c->command.size() > 32) {
        return BadRequest("BOT_COMMAND_INVALID");
      }
      for (char ch : c->command) {
        if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '_') {
          return BadRequest("BOT_COMMAND_INVALID");
        }
      }
      if (c->description.empty() || c->description.size() > 1024) {
        return BadRequest("BOT_COMMAND_DESCRIPTION_INVALID");
      }
      commands.emplace_back(absl::AsciiStrToLower(c->command), c->description);
    }
    world.BotSettingsOf(context.user_id).commands[{*scope, request.lang_code}] = commands;
    return true;
  });
  d.On<api::bots_getBotCommands>(
      [&world](const api::bots_getBotCommands& request,
               CallContext& context) -> absl::StatusOr<std::vector<tl::Ptr<api::BotCommand>>> {
        if (absl::Status s = RequireBot(context, world); !s.ok()) return s;
        if (absl::Status s = CheckLangCode(request.lang_code); !s.ok()) return s;
        absl::StatusOr<std::string> scope = ScopeKey(*request.scope, context, world);
        if (!scope.ok()) return scope.status();
        std::vector<tl::Ptr<api::BotCommand>> out;
        const BotSettings& settings = world.BotSettingsOf(context.user_id);
        auto it = settings.commands.find({*scope, request.lang_code});
        if (it == settings.commands.end()) return out;
        for (const auto& [command, description] : it->second) {
          auto c = std::make_unique<api::botCommand>();
          c->command = command;
          c->description = description;
          out.push_back(std::move(c));
        }
        return out;
      });
  d.On<api::bots_resetBotCommands>([&world](const api::bots_resetBotCommands& request,
                                            CallContext& context) -> absl::StatusOr<bool> {
    if (absl::Status s = RequireBot(context, world); !s.ok()) return s;
    if (absl::Status s = CheckLangCode(request.lang_code); !s.ok()) return s;
    absl::StatusOr<std::string> scope = ScopeKey(*request.scope, context, world);
    if (!scope.ok()) return scope.status();
    world.BotSettingsOf(context.user_id).commands.erase({*scope, request.lang_code});
    return true;
  });
  d.On<api::bots_setBotInfo>(
      [&world](const api::bots_setBotInfo& request, CallContext& context) -> absl::StatusOr<bool> {
        // A user account may edit a bot it owns with `bot`; fakedc's bots have no owner.
        if (request.bot != nullptr) return BadRequest("BOT_INVALID");
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        UserRecord* self = world.FindUser(context.user_id);
        if (self == nullptr || !self->bot) return BadRequest("USER_BOT_INVALID");
        if (absl::Status s = CheckLangCode(request.lang_code); !s.ok()) return s;
        if (request.name.has_value() && (request.name->empty() || request.name->size() > 256)) {
          return BadRequest("BOT_NAME_INVALID");
        }
        if (request.about.has_value() && request.about->size() > 480) {
          return BadRequest("ABOUT_TOO_LONG");
        }
        if (request.description.has_value() && request.description->size() > 2048) {
          return BadRequest("BOT_DESCRIPTION_INVALID");
        }
        BotSettings::Info& info = world.BotSettingsOf(self->id).info[request.lang_code];
        if (info.name.empty()) info.name = self->first_name;
        if (request.name.has_value()) {
          info.name = *request.name;
          if (request.lang_code.empty()) self->first_name = *request.name;
        }
        if (request.about.has_value()) info.about = *request.about;
        if (request.description.has_value()) info.description = *request.description;
        return true;
      });
  d.On<api::bots_getBotInfo>(
      [&world](const api::bots_getBotInfo& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::bots_BotInfo>> {
        if (request.bot != nullptr) return BadRequest("BOT_INVALID");
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        const UserRecord* self = world.FindUser(context.user_id);
        if (self == nullptr || !self->bot) return BadRequest("USER_BOT_INVALID");
        if (absl::Status s = CheckLangCode(request.lang_code); !s.ok()) return s;
        const BotSettings& settings = world.BotSettingsOf(self->id);
        auto out = std::make_unique<api::bots_botInfo>();
        out->name = self->first_name;
        auto it = settings.info.find(request.lang_code);
        if (it != settings.info.end()) {
          out->name = it->second.name;
          out->about = it->second.about;
          out->description = it->second.description;
        }
        return tl::Ptr<api::bots_BotInfo>(std::move(out));
      });
  d.On<api::bots_setBotMenuButton>([&world](const api::bots_setBotMenuButton& request,
                                            CallContext& context) -> absl::StatusOr<bool> {
    if (absl::Status s = RequireBot(context, world); !s.ok()) return s;
    int64_t user_id = 0;
    if (dynamic_cast<const api::inputUserEmpty*>(request.user_id.get()) == nullptr) {
      absl::StatusOr<UserRecord*> user = ResolveInputUser(*request.user_id, context, world);
      if (!user.ok()) return user.status();
      user_id = (*user)->id;
    }
    if (const auto* web = dynamic_cast<const api::botMenuButton*>(request.button.get())) {
      if (web->text.empty()) return BadRequest("BUTTON_TEXT_INVALID");
      if (web->url.rfind("https://", 0) != 0) return BadRequest("BUTTON_URL_INVALID");
    }
    absl::StatusOr<std::string> bytes = tl::Serialize(*request.button);
    if (!bytes.ok()) return bytes.status();
    world.BotSettingsOf(context.user_id).menu_buttons[user_id] = *std::move(bytes);
    return true;
  });
  d.On<api::bots_getBotMenuButton>(
      [&world](const api::bots_getBotMenuButton& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::BotMenuButton>> {
        if (absl::Status s = RequireBot(context, world); !s.ok()) return s;
        int64_t user_id = 0;
        if (dynamic_cast<const api::inputUserEmpty*>(request.user_id.get()) == nullptr) {
          absl::StatusOr<UserRecord*> user = ResolveInputUser(*request.user_id, context, world);
          if (!user.ok()) return user.status();
          user_id = (*user)->id;
        }
        const BotSettings& settings = world.BotSettingsOf(context.user_id);
        auto it = settings.menu_buttons.find(user_id);
        if (it == settings.menu_buttons.end()) it = settings.menu_buttons.find(0);
        if (it == settings.menu_buttons.end()) {
          return tl::Ptr<api::BotMenuButton>(std::make_unique<api::botMenuButtonDefault>());
        }
        return tl::Decode<api::BotMenuButton>(it->second);
      });
}

void RegisterCallbackButtons(Dispatcher& d, MethodEnv& env,
                             std::shared_ptr<PendingQueries> pending) {
  World& world = *env.world;
  d.On<api::messages_getBotCallbackAnswer>(
      [&env, &world, pending](
          const api::messages_getBotCallbackAnswer& request,
          CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_BotCallbackAnswer>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        if (request.game || request.password != nullptr) return BadRequest("DATA_INVALID");
        absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
        if (!peer.ok()) return peer.status();
        absl::StatusOr<MessageBox*> box = BoxFor(world, context, *peer);
        if (!box.ok()) return box.status();
        const MessageRecord* message = FindIn(**box, *peer, request.msg_id);
        if (message == nullptr) return BadRequest("MESSAGE_ID_INVALID");
        const UserRecord* bot = world.FindUser(message->from_id);
        if (bot == nullptr || !bot->bot || !request.data.has_value() ||
            !HasCallbackButton(*message, *request.data)) {
          return BadRequest("DATA_INVALID");
        }
        auto reply = DeferReply<api::messages_getBotCallbackAnswer>(context);
        if (reply == nullptr) return BadRequest("BOT_RESPONSE_TIMEOUT");
        const int64_t query_id = world.RandomLong();
        pending->callbacks[query_id] = {bot->id, std::move(reply)};
        auto [chat, bot_msg_id] = BotView(world, context.user_id, bot->id, *peer, *message);
        auto update = std::make_unique<api::updateBotCallbackQuery>();
        update->query_id = query_id;
        update->user_id = context.user_id;
        update->peer = MakePeer(chat);
        update->msg_id = bot_msg_id;
        update->chat_instance = (chat.id * 31) ^ static_cast<int64_t>(chat.kind);
        update->data = *request.data;
        env.push(bot->id, *ForBot(world, std::move(update), bot->id, context.user_id, chat), 0);
        env.after(world.bot_answer_timeout_ms(), [pending, query_id] {
          auto it = pending->callbacks.find(query_id);
          if (it == pending->callbacks.end()) return;
          auto late = std::move(it->second.reply);
          pending->callbacks.erase(it);
          late(BadRequest("BOT_RESPONSE_TIMEOUT"));
        });
        return Deferred();
      });
  d.On<api::messages_setBotCallbackAnswer>(
      [&world, pending](const api::messages_setBotCallbackAnswer& request,
                        CallContext& context) -> absl::StatusOr<bool> {
        if (absl::Status s = RequireBot(context, world); !s.ok()) return s;
        auto it = pending->callbacks.find(request.query_id);
        if (it == pending->callbacks.end() || it->second.bot_id != context.user_id) {
          return BadRequest("QUERY_ID_INVALID");
        }
        if (request.message.has_value() && request.message->size() > 200 * 4) {
          return BadRequest("MESSAGE_TOO_LONG");
        }
        auto answer = std::make_unique<api::messages_botCallbackAnswer>();
        answer->alert = request.alert;
        answer->message = request.message;
        answer->url = request.url;
        answer->has_url = request.url.has_value();
        answer->cache_time = request.cache_time;
        auto reply = std::move(it->second.reply);
        pending->callbacks.erase(it);
        reply(tl::Ptr<api::messages_BotCallbackAnswer>(std::move(answer)));
        return true;
      });
}

void RegisterInlineQueries(Dispatcher& d, MethodEnv& env, std::shared_ptr<PendingQueries> pending) {
  World& world = *env.world;
  d.On<api::messages_getInlineBotResults>(
      [&env, &world, pending](
          const api::messages_getInlineBotResults& request,
          CallContext& context) -> absl::StatusOr<tl::Ptr<api::messages_BotResults>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<UserRecord*> bot = ResolveInputUser(*request.bot, context, world);
        if (!bot.ok()) return bot.status();
        if (!(*bot)->bot) return BadRequest("BOT_INVALID");
        absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
        if (!peer.ok()) return peer.status();
        auto reply = DeferReply<api::messages_getInlineBotResults>(context);
        if (reply == nullptr) return BadRequest("BOT_RESPONSE_TIMEOUT");
        const int64_t query_id = world.RandomLong();
        const int64_t bot_id = (*bot)->id;
        pending->inline_queries[query_id] = {bot_id, context.user_id, *peer, std::move(reply), {}};
        auto update = std::make_unique<api::updateBotInlineQuery>();
        update->query_id = query_id;
        update->user_id = context.user_id;
        update->query = request.query;
        update->offset = request.offset;
        if (peer->kind == PeerKind::kUser) {
          update->peer_type = peer->id == bot_id
                                  ? tl::Ptr<api::InlineQueryPeerType>(
                                        std::make_unique<api::inlineQueryPeerTypeSameBotPM>())
                                  : std::make_unique<api::inlineQueryPeerTypePM>();
        } else if (peer->kind == PeerKind::kChat) {
          update->peer_type = std::make_unique<api::inlineQueryPeerTypeChat>();
        } else {
          const ChannelRecord* channel = world.FindChannel(peer->id);
          update->peer_type = channel != nullptr && channel->megagroup
                                  ? tl::Ptr<api::InlineQueryPeerType>(
                                        std::make_unique<api::inlineQueryPeerTypeMegagroup>())
                                  : std::make_unique<api::inlineQueryPeerTypeBroadcast>();
        }
        env.push(bot_id, *ForBot(world, std::move(update), bot_id, context.user_id, {}), 0);
        env.after(world.bot_answer_timeout_ms(), [pending, query_id] {
          auto it = pending->inline_queries.find(query_id);
          if (it == pending->inline_queries.end() || it->second.reply == nullptr) return;
          auto late = std::move(it->second.reply);
          pending->inline_queries.erase(it);
          late(BadRequest("BOT_RESPONSE_TIMEOUT"));
        });
        return Deferred();
      });
  d.On<api::messages_setInlineBotResults>(
      [&world, pending](const api::messages_setInlineBotResults& request,
                        CallContext& context) -> absl::StatusOr<bool> {
        if (absl::Status s = RequireBot(context, world); !s.ok()) return s;
        auto it = pending->inline_queries.find(request.query_id);
        if (it == pending->inline_queries.end() || it->second.bot_id != context.user_id ||
            it->second.reply == nullptr) {
          return BadRequest("QUERY_ID_INVALID");
        }
        if (request.results.size() > kMaxInlineResults) return BadRequest("RESULTS_TOO_MUCH");
        auto answer = std::make_unique<api::messages_botResults>();
        answer->gallery = request.gallery;
        answer->query_id = request.query_id;
        answer->next_offset = request.next_offset;
        answer->cache_time = request.cache_time;
        if (const auto* pm = dynamic_cast<const api::inlineBotSwitchPM*>(request.switch_pm.get())) {
          auto copy = std::make_unique<api::inlineBotSwitchPM>();
          copy->text = pm->text;
          copy->start_param = pm->start_param;
          answer->switch_pm = std::move(copy);
        }
        std::map<std::string, std::string> kept;
        for (const auto& result : request.results) {
          absl::StatusOr<tl::Ptr<api::BotInlineResult>> shown = ResultOf(*result, world);
          if (!shown.ok()) return shown.status();
          std::string id;
          if (const auto* r = dynamic_cast<const api::botInlineResult*>(shown->get())) id = r->id;
          if (const auto* r = dynamic_cast<const api::botInlineMediaResult*>(shown->get()))
            id = r->id;
          if (id.empty()) return BadRequest("RESULT_ID_EMPTY");
          absl::StatusOr<std::string> bytes = tl::Serialize(*result);
          if (!bytes.ok()) return bytes.status();
          if (!kept.emplace(id, *std::move(bytes)).second) return BadRequest("RESULT_ID_DUPLICATE");
          answer->results.push_back(*std::move(shown));
        }
        if (const UserRecord* bot = world.FindUser(context.user_id)) {
          answer->users.push_back(MakeUser(*bot, it->second.user_id));
        }
        it->second.results = std::move(kept);
        auto reply = std::move(it->second.reply);
        it->second.reply = nullptr;
        reply(tl::Ptr<api::messages_BotResults>(std::move(answer)));
        return true;
      });
  d.On<api::messages_sendInlineBotResult>(
      [&env, &world, pending](const api::messages_sendInlineBotResult& request,
                              CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
        if (!peer.ok()) return peer.status();
        auto it = pending->inline_queries.find(request.query_id);
        if (it == pending->inline_queries.end() || it->second.user_id != context.user_id ||
            it->second.reply != nullptr) {
          return BadRequest("QUERY_ID_INVALID");
        }
        auto result = it->second.results.find(request.id);
        if (result == it->second.results.end()) return BadRequest("RESULT_ID_INVALID");
        absl::StatusOr<tl::Ptr<api::InputBotInlineResult>> input =
            tl::Decode<api::InputBotInlineResult>(result->second);
        if (!input.ok()) return input.status();
        // The text (or caption) it sends; the media of a result is not carried over.
        MessageRecord content;
        if (const auto* r = dynamic_cast<const api::inputBotInlineResult*>(input->get())) {
          content.text = SentText(r->send_message.get());
        } else if (const auto* r =
                       dynamic_cast<const api::inputBotInlineResultPhoto*>(input->get())) {
          content.text = SentText(r->send_message.get());
          if (const auto* p = dynamic_cast<const api::inputPhoto*>(r->photo.get())) {
            content.photo_id = p->id;
          }
        } else if (const auto* r =
                       dynamic_cast<const api::inputBotInlineResultDocument*>(input->get())) {
          content.text = SentText(r->send_message.get());
          if (const auto* doc = dynamic_cast<const api::inputDocument*>(r->document.get())) {
            content.document_id = doc->id;
          }
        }
        content.via_bot_id = it->second.bot_id;
        return Deliver(env, context, *peer, content, request.random_id);
      });
}

}  // namespace

void RegisterBotMethods(Dispatcher& d, MethodEnv& env) {
  auto pending = std::make_shared<PendingQueries>();
  RegisterBotSettings(d, env);
  RegisterCallbackButtons(d, env, pending);
  RegisterInlineQueries(d, env, pending);
  RegisterPollMethods(d, env);
}

}  // namespace tgrpc::fakedc
