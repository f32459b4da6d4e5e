#include "service/api/message_text.h"

#include <map>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "mtproto/crypto/random_source.h"
#include "service/api/convert.h"
#include "service/api/errors.h"

namespace tgrpc::service {

namespace api = tl::api;

absl::StatusOr<text::FormattedText> ParseFormattedText(
    const std::string& input, const google::protobuf::RepeatedPtrField<v1::MessageEntity>& entities,
    v1::SendMessageRequest::ParseMode mode, absl::string_view text_field, int max_utf16,
    bool allow_empty) {
  text::FormattedText out;
  switch (mode) {
    case v1::SendMessageRequest::MARKDOWN:
    case v1::SendMessageRequest::HTML: {
      absl::StatusOr<text::FormattedText> parsed = mode == v1::SendMessageRequest::MARKDOWN
                                                       ? text::ParseMarkdown(input)
                                                       : text::ParseHtml(input);
      if (!parsed.ok()) return InvalidField(text_field, parsed.status().message());
      out = *std::move(parsed);
      break;
    }
    case v1::SendMessageRequest::PARSE_MODE_UNSPECIFIED:
    case v1::SendMessageRequest::PLAIN:
      out.text = input;
      for (const v1::MessageEntity& e : entities) {
        out.entities.push_back({e.type(), e.offset(), e.length(), e.url(), e.language(),
                                e.user_id(), e.custom_emoji_id()});
      }
      if (absl::Status s = text::ValidateEntities(out.text, out.entities); !s.ok()) {
        return InvalidField("entities", s.message());
      }
      break;
    default:
      return InvalidField("parse_mode", "PLAIN, MARKDOWN or HTML");
  }
  if (!allow_empty && out.text.empty()) return InvalidField(text_field, "empty after parsing");
  if (text::Utf16Length(out.text) > max_utf16) {
    return InvalidField(text_field, absl::StrCat("longer than ", max_utf16, " characters"));
  }
  return out;
}

namespace {
template <class T>
tl::Ptr<api::MessageEntity> Ranged(std::unique_ptr<T> entity, const text::Entity& e) {
  entity->offset = e.offset;
  entity->length = e.length;
  return entity;
}

template <class T>
tl::Ptr<api::MessageEntity> Simple(const text::Entity& e) {
  return Ranged(std::make_unique<T>(), e);
}

}  // namespace

absl::StatusOr<std::vector<tl::Ptr<api::MessageEntity>>> EntitiesToTl(
    const std::vector<text::Entity>& entities, Account& account) {
  using Make = tl::Ptr<api::MessageEntity> (*)(const text::Entity&);
  static const auto* simple = new std::map<std::string, Make>{
      {"bold", &Simple<api::messageEntityBold>},
      {"italic", &Simple<api::messageEntityItalic>},
      {"underline", &Simple<api::messageEntityUnderline>},
      {"strike", &Simple<api::messageEntityStrike>},
      {"spoiler", &Simple<api::messageEntitySpoiler>},
      {"blockquote", &Simple<api::messageEntityBlockquote>},
      {"code", &Simple<api::messageEntityCode>},
      {"mention", &Simple<api::messageEntityMention>},
      {"hashtag", &Simple<api::messageEntityHashtag>},
      {"cashtag", &Simple<api::messageEntityCashtag>},
      {"bot_command", &Simple<api::messageEntityBotCommand>},
      {"url", &Simple<api::messageEntityUrl>},
      {"email", &Simple<api::messageEntityEmail>},
      {"phone", &Simple<api::messageEntityPhone>},
      {"bank_card", &Simple<api::messageEntityBankCard>},
  };
  std::vector<tl::Ptr<api::MessageEntity>> out;
  for (const text::Entity& e : entities) {
    if (auto it = simple->find(e.type); it != simple->end()) {
      out.push_back(it->second(e));
    } else if (e.type == "pre") {
      auto pre = std::make_unique<api::messageEntityPre>();
      pre->language = e.language;
      out.push_back(Ranged(std::move(pre), e));
    } else if (e.type == "text_url") {
      auto url = std::make_unique<api::messageEntityTextUrl>();
      url->url = e.url;
      out.push_back(Ranged(std::move(url), e));
    } else if (e.type == "custom_emoji") {
      auto emoji = std::make_unique<api::messageEntityCustomEmoji>();
      emoji->document_id = e.custom_emoji_id;
      out.push_back(Ranged(std::move(emoji), e));
    } else if (e.type == "mention_name") {
      absl::StatusOr<tl::Ptr<api::InputUser>> user =
          account.peers().InputUser(e.user_id, account.self_id());
      if (!user.ok()) return InvalidField("entities", user.status().message());
      auto mention = std::make_unique<api::inputMessageEntityMentionName>();
      mention->user_id = *std::move(user);
      out.push_back(Ranged(std::move(mention), e));
    } else {
      return InvalidField("entities", absl::StrCat("unknown entity type \"", e.type, "\""));
    }
  }
  return out;
}

int64_t RandomIdFor(const std::string& request_id, absl::string_view account,
                    absl::string_view salt) {
  if (!request_id.empty()) {
    // FNV-1a: absl::Hash is seeded per process, and a retry after a restart must match.
    uint64_t hash = 14695981039346656037ULL;
    for (char c : absl::StrCat(account, "/", request_id, "/", salt)) {
      hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    }
    return static_cast<int64_t>(hash | 1);
  }
  int64_t value = 0;
  mtproto::crypto::SecureRandom()(
      absl::MakeSpan(reinterpret_cast<uint8_t*>(&value), sizeof(value)));
  return value == 0 ? 1 : value;
}

absl::StatusOr<v1::Message> MessageFromUpdates(const api::Updates& updates, int64_t random_id,
                                               Account& account, int64_t marked_chat,
                                               const text::FormattedText* sent) {
  if (const auto* s = dynamic_cast<const api::updateShortSentMessage*>(&updates)) {
    // A private chat's short answer: the message is what was sent, with Telegram's id and date.
    v1::Message out;
    out.set_id(s->id);
    out.set_chat_id(marked_chat);
    out.set_name(MessageName(account.id(), marked_chat, s->id));
    out.set_sender_id(account.self_id());
    out.mutable_date()->set_seconds(s->date);
    out.set_outgoing(true);
    if (sent != nullptr) out.set_text(sent->text);
    if (s->entities.has_value()) {
      for (const auto& e : *s->entities) ToProto(*e, out.add_entities());
    }
    return out;
  }
  const std::vector<tl::Ptr<api::Update>>* list = nullptr;
  if (const auto* u = dynamic_cast<const api::updates*>(&updates)) list = &u->updates_;
  if (const auto* u = dynamic_cast<const api::updatesCombined*>(&updates)) list = &u->updates;
  if (list == nullptr) return absl::DataLossError("the answer carries no message");
  int32_t wanted = 0;
  for (const auto& update : *list) {
    if (const auto* id = dynamic_cast<const api::updateMessageID*>(update.get())) {
      if (id->random_id == random_id) wanted = id->id;
    }
  }
  const api::Message* found = nullptr;
  for (const auto& update : *list) {
    const api::Message* message = nullptr;
    if (const auto* u = dynamic_cast<const api::updateNewMessage*>(update.get())) {
      message = u->message.get();
    } else if (const auto* u = dynamic_cast<const api::updateNewChannelMessage*>(update.get())) {
      message = u->message.get();
    } else if (const auto* u = dynamic_cast<const api::updateNewScheduledMessage*>(update.get())) {
      message = u->message.get();
    } else if (const auto* u = dynamic_cast<const api::updateEditMessage*>(update.get())) {
      message = u->message.get();
    } else if (const auto* u = dynamic_cast<const api::updateEditChannelMessage*>(update.get())) {
      message = u->message.get();
    }
    if (message == nullptr) continue;
    v1::Message converted;
    ToProto(*message, account.id(), &converted);
    if (wanted == 0 || converted.id() == wanted) {
      found = message;
      break;
    }
  }
  if (found == nullptr) return absl::DataLossError("the answer carries no message");
  v1::Message out;
  ToProto(*found, account.id(), &out);
  return out;
}

}  // namespace tgrpc::service
