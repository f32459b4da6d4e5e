#include "service/api/convert.h"

#include <cctype>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/timestamp.pb.h"
#include "service/api/chat_rights.h"
#include "service/api/tl_json.h"
#include "service/api/utf8.h"
#include "service/telegram/peer_id.h"

namespace tgrpc::service {

namespace api = tl::api;

namespace {

void SetTime(int64_t unix_seconds, google::protobuf::Timestamp* out) {
  out->set_seconds(unix_seconds);
  out->set_nanos(0);
}

// "messageMediaPhoto" -> "photo": the constructor without its type's prefix.
std::string KindName(absl::string_view tl_name, absl::string_view prefix) {
  std::string out(tl_name);
  if (absl::StartsWith(out, prefix)) out = out.substr(prefix.size());
  if (!out.empty()) out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

// messageEntityBold -> bold, messageEntityTextUrl -> text_url.
std::string EntityType(absl::string_view tl_name) {
  std::string kind = KindName(tl_name, "messageEntity");
  if (kind == "strike") return "strike";
  std::string out;
  for (char c : kind) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      out.push_back('_');
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string MainUsername(const std::optional<std::string>& username,
                         const std::optional<std::vector<tl::Ptr<api::Username>>>& usernames,
                         google::protobuf::RepeatedPtrField<std::string>* all) {
  std::string main = username.value_or("");
  if (usernames.has_value()) {
    for (const auto& u : *usernames) {
      const auto* name = dynamic_cast<const api::username*>(u.get());
      if (name == nullptr) continue;
      if (all != nullptr) all->Add(ValidUtf8(name->username_));
      if (main.empty() && name->active) main = name->username_;
    }
  }
  return ValidUtf8(main);
}

int64_t PhotoId(const api::UserProfilePhoto* photo) {
  const auto* p = dynamic_cast<const api::userProfilePhoto*>(photo);
  return p != nullptr ? p->photo_id : 0;
}

int64_t ChatPhotoId(const api::ChatPhoto* photo) {
  const auto* p = dynamic_cast<const api::chatPhoto*>(photo);
  return p != nullptr ? p->photo_id : 0;
}

void DocumentToProto(const api::document& document, v1::Media* out) {
  out->set_id(document.id);
  out->set_access_hash(document.access_hash);
  out->set_file_reference(document.file_reference);
  out->set_dc_id(document.dc_id);
  out->set_size(document.size);
  out->set_mime_type(ValidUtf8(document.mime_type));
  for (const auto& attribute : document.attributes) {
    if (const auto* a = dynamic_cast<const api::documentAttributeFilename*>(attribute.get())) {
      out->set_file_name(ValidUtf8(a->file_name));
    } else if (const auto* a = dynamic_cast<const api::documentAttributeVideo*>(attribute.get())) {
      out->set_duration(a->duration);
      out->set_width(a->w);
      out->set_height(a->h);
    } else if (const auto* a = dynamic_cast<const api::documentAttributeAudio*>(attribute.get())) {
      out->set_duration(a->duration);
      if (a->title.has_value()) out->set_title(ValidUtf8(*a->title));
    } else if (const auto* a =
                   dynamic_cast<const api::documentAttributeImageSize*>(attribute.get())) {
      out->set_width(a->w);
      out->set_height(a->h);
    }
  }
}

}  // namespace

void PollToProto(const api::Poll& poll, const api::PollResults* results, v1::Poll* out) {
  const auto* p = dynamic_cast<const api::poll*>(&poll);
  if (p == nullptr) return;
  out->set_id(p->id);
  if (const auto* q = dynamic_cast<const api::textWithEntities*>(p->question.get())) {
    out->set_question(ValidUtf8(q->text));
  }
  out->set_closed(p->closed);
  out->set_public_voters(p->public_voters);
  out->set_multiple_choice(p->multiple_choice);
  out->set_quiz(p->quiz);
  out->set_close_period_seconds(p->close_period.value_or(0));
  for (const auto& a : p->answers) {
    const auto* answer = dynamic_cast<const api::pollAnswer*>(a.get());
    if (answer == nullptr) continue;
    v1::PollOption* option = out->add_options();
    if (const auto* t = dynamic_cast<const api::textWithEntities*>(answer->text.get())) {
      option->set_text(ValidUtf8(t->text));
    }
    option->set_option(answer->option);
  }
  const auto* r = dynamic_cast<const api::pollResults*>(results);
  if (r == nullptr) return;
  out->set_total_voters(r->total_voters.value_or(0));
  if (r->solution.has_value()) out->set_explanation(ValidUtf8(*r->solution));
  if (!r->results.has_value()) return;
  for (const auto& v : *r->results) {
    const auto* voters = dynamic_cast<const api::pollAnswerVoters*>(v.get());
    if (voters == nullptr) continue;
    for (v1::PollOption& option : *out->mutable_options()) {
      if (option.option() != voters->option) continue;
      option.set_voters(voters->voters.value_or(0));
      option.set_chosen(voters->chosen);
      option.set_correct(voters->correct);
    }
  }
}

namespace {

void MediaToProto(const api::MessageMedia& media, v1::Media* out) {
  out->set_type(KindName(media.tl_name(), "messageMedia"));
  if (const auto* m = dynamic_cast<const api::messageMediaPhoto*>(&media)) {
    out->set_spoiler(m->spoiler);
    if (const auto* photo = dynamic_cast<const api::photo*>(m->photo.get())) {
      out->set_id(photo->id);
      out->set_access_hash(photo->access_hash);
      out->set_file_reference(photo->file_reference);
      out->set_dc_id(photo->dc_id);
      for (const auto& size : photo->sizes) {
        if (const auto* s = dynamic_cast<const api::photoSize*>(size.get())) {
          if (s->w >= out->width()) {
            out->set_width(s->w);
            out->set_height(s->h);
            out->set_size(s->size);
          }
        }
      }
    }
  } else if (const auto* m = dynamic_cast<const api::messageMediaDocument*>(&media)) {
    out->set_spoiler(m->spoiler);
    if (const auto* document = dynamic_cast<const api::document*>(m->document.get())) {
      DocumentToProto(*document, out);
    }
  } else if (const auto* m = dynamic_cast<const api::messageMediaGeo*>(&media)) {
    if (const auto* geo = dynamic_cast<const api::geoPoint*>(m->geo.get())) {
      out->set_latitude(geo->lat);
      out->set_longitude(geo->long_);
    }
  } else if (const auto* m = dynamic_cast<const api::messageMediaVenue*>(&media)) {
    out->set_title(ValidUtf8(m->title));
    if (const auto* geo = dynamic_cast<const api::geoPoint*>(m->geo.get())) {
      out->set_latitude(geo->lat);
      out->set_longitude(geo->long_);
    }
  } else if (const auto* m = dynamic_cast<const api::messageMediaContact*>(&media)) {
    out->set_title(ValidUtf8(m->phone_number));
    out->set_file_name(ValidUtf8(absl::StrJoin({m->first_name, m->last_name}, " ")));
  } else if (const auto* m = dynamic_cast<const api::messageMediaDice*>(&media)) {
    out->set_title(ValidUtf8(m->emoticon));
    out->set_value(m->value);
  } else if (const auto* m = dynamic_cast<const api::messageMediaPoll*>(&media)) {
    if (m->poll != nullptr) PollToProto(*m->poll, m->results.get(), out->mutable_poll());
  } else if (const auto* m = dynamic_cast<const api::messageMediaWebPage*>(&media)) {
    if (const auto* page = dynamic_cast<const api::webPage*>(m->webpage.get())) {
      out->set_url(ValidUtf8(page->url));
      out->set_id(page->id);
      if (page->title.has_value()) out->set_title(ValidUtf8(*page->title));
    }
  }
}

// Every entity constructor has offset and length fields: read them through its concrete type.
template <class... Types>
void OffsetAndLength(const api::MessageEntity& entity, v1::MessageEntity* out) {
  (void)(([&] {
    const auto* e = dynamic_cast<const Types*>(&entity);
    if (e == nullptr) return false;
    out->set_offset(e->offset);
    out->set_length(e->length);
    return true;
  }() || ...));
}

}  // namespace

std::string UserName(absl::string_view account, int64_t user_id) {
  return absl::StrCat("accounts/", account, "/users/", user_id);
}

std::string ChatName(absl::string_view account, int64_t marked_id) {
  return absl::StrCat("accounts/", account, "/chats/", marked_id);
}

std::string MessageName(absl::string_view account, int64_t marked_chat, int32_t message_id) {
  return absl::StrCat(ChatName(account, marked_chat), "/messages/", message_id);
}

int64_t MarkedPeerId(const api::Peer* peer) {
  if (const auto* p = dynamic_cast<const api::peerUser*>(peer)) return MarkUser(p->user_id);
  if (const auto* p = dynamic_cast<const api::peerChat*>(peer)) return MarkChat(p->chat_id);
  if (const auto* p = dynamic_cast<const api::peerChannel*>(peer)) {
    return MarkChannel(p->channel_id);
  }
  return 0;
}

void ToProto(const api::User& user, absl::string_view account, v1::User* out) {
  if (const auto* empty = dynamic_cast<const api::userEmpty*>(&user)) {
    out->set_id(empty->id);
    out->set_name(UserName(account, empty->id));
    out->set_is_deleted(true);
    return;
  }
  const auto* u = dynamic_cast<const api::user*>(&user);
  if (u == nullptr) return;
  out->set_name(UserName(account, u->id));
  out->set_id(u->id);
  out->set_access_hash(u->min ? 0 : u->access_hash.value_or(0));
  out->set_first_name(ValidUtf8(u->first_name.value_or("")));
  out->set_last_name(ValidUtf8(u->last_name.value_or("")));
  out->set_username(MainUsername(u->username, u->usernames, out->mutable_usernames()));
  if (out->usernames().empty() && !out->username().empty()) out->add_usernames(out->username());
  out->set_phone_number(ValidUtf8(u->phone.value_or("")));
  out->set_is_self(u->self);
  out->set_is_bot(u->bot);
  out->set_is_contact(u->contact);
  out->set_is_mutual_contact(u->mutual_contact);
  out->set_is_verified(u->verified);
  out->set_is_premium(u->premium);
  out->set_is_scam(u->scam);
  out->set_is_fake(u->fake);
  out->set_is_deleted(u->deleted);
  out->set_is_support(u->support);
  out->set_is_min(u->min);
  out->set_lang_code(ValidUtf8(u->lang_code.value_or("")));
  out->set_photo_id(PhotoId(u->photo.get()));
  ToProto(u->status.get(), out->mutable_status());
}

void ToProto(const api::UserStatus* from, v1::User::Status* status) {
  if (const auto* s = dynamic_cast<const api::userStatusOnline*>(from)) {
    status->set_kind(v1::User::Status::ONLINE);
    SetTime(s->expires, status->mutable_time());
  } else if (const auto* s = dynamic_cast<const api::userStatusOffline*>(from)) {
    status->set_kind(v1::User::Status::OFFLINE);
    SetTime(s->was_online, status->mutable_time());
  } else if (dynamic_cast<const api::userStatusRecently*>(from) != nullptr) {
    status->set_kind(v1::User::Status::RECENTLY);
  } else if (dynamic_cast<const api::userStatusLastWeek*>(from) != nullptr) {
    status->set_kind(v1::User::Status::LAST_WEEK);
  } else if (dynamic_cast<const api::userStatusLastMonth*>(from) != nullptr) {
    status->set_kind(v1::User::Status::LAST_MONTH);
  }
}

void ToProto(const api::userFull& full, v1::User* out) {
  v1::User::FullInfo* info = out->mutable_full();
  info->set_about(ValidUtf8(full.about.value_or("")));
  info->set_common_chats_count(full.common_chats_count);
  info->set_blocked(full.blocked);
  info->set_phone_calls_available(full.phone_calls_available);
  info->set_pinned_message_id(full.pinned_msg_id.value_or(0));
  info->set_has_private_forward(full.private_forward_name.has_value());
  if (const auto* bot = dynamic_cast<const api::botInfo*>(full.bot_info.get())) {
    info->set_bot_description(ValidUtf8(bot->description.value_or("")));
  }
}

void ToProto(const api::Chat& chat, absl::string_view account, v1::Chat* out) {
  if (const auto* c = dynamic_cast<const api::chat*>(&chat)) {
    out->set_id(MarkChat(c->id));
    out->set_type(v1::Chat::BASIC_GROUP);
    out->set_raw_id(c->id);
    out->set_title(ValidUtf8(c->title));
    out->set_members_count(c->participants_count);
    out->set_is_creator(c->creator);
    out->set_has_left(c->left);
    SetTime(c->date, out->mutable_create_time());
    out->set_photo_id(ChatPhotoId(c->photo.get()));
  } else if (const auto* c = dynamic_cast<const api::chatForbidden*>(&chat)) {
    out->set_id(MarkChat(c->id));
    out->set_type(v1::Chat::BASIC_GROUP);
    out->set_raw_id(c->id);
    out->set_title(ValidUtf8(c->title));
    out->set_has_left(true);
  } else if (const auto* c = dynamic_cast<const api::channel*>(&chat)) {
    out->set_id(MarkChannel(c->id));
    out->set_type(c->broadcast ? v1::Chat::CHANNEL : v1::Chat::SUPERGROUP);
    out->set_raw_id(c->id);
    out->set_access_hash(c->min ? 0 : c->access_hash.value_or(0));
    out->set_title(ValidUtf8(c->title));
    out->set_username(MainUsername(c->username, c->usernames, out->mutable_usernames()));
    if (out->usernames().empty() && !out->username().empty()) out->add_usernames(out->username());
    out->set_members_count(c->participants_count.value_or(0));
    out->set_is_forum(c->forum);
    out->set_is_creator(c->creator);
    out->set_has_left(c->left);
    out->set_is_verified(c->verified);
    out->set_is_scam(c->scam);
    SetTime(c->date, out->mutable_create_time());
    out->set_photo_id(ChatPhotoId(c->photo.get()));
  } else if (const auto* c = dynamic_cast<const api::channelForbidden*>(&chat)) {
    out->set_id(MarkChannel(c->id));
    out->set_type(c->broadcast ? v1::Chat::CHANNEL : v1::Chat::SUPERGROUP);
    out->set_raw_id(c->id);
    out->set_access_hash(c->access_hash);
    out->set_title(ValidUtf8(c->title));
    out->set_has_left(true);
  } else {
    return;
  }
  out->set_name(ChatName(account, out->id()));
}

void ChatFromUser(const v1::User& user, absl::string_view account, v1::Chat* out) {
  out->set_id(user.id());
  out->set_name(ChatName(account, user.id()));
  out->set_type(v1::Chat::PRIVATE);
  out->set_raw_id(user.id());
  out->set_access_hash(user.access_hash());
  std::string title = user.first_name();
  if (!user.last_name().empty())
    absl::StrAppend(&title, title.empty() ? "" : " ", user.last_name());
  out->set_title(title);
  out->set_username(user.username());
  *out->mutable_usernames() = user.usernames();
  *out->mutable_user() = user;
}

void ToProto(const api::ChatFull& full, v1::Chat* out) {
  v1::Chat::FullInfo* info = out->mutable_full();
  if (const auto* f = dynamic_cast<const api::chatFull*>(&full)) {
    info->set_about(ValidUtf8(f->about));
    info->set_pinned_message_id(f->pinned_msg_id.value_or(0));
    if (const auto* members = dynamic_cast<const api::chatParticipants*>(f->participants.get())) {
      info->set_members_count(static_cast<int32_t>(members->participants.size()));
    }
    if (const auto* invite =
            dynamic_cast<const api::chatInviteExported*>(f->exported_invite.get())) {
      info->set_invite_link(ValidUtf8(invite->link));
    }
  } else if (const auto* f = dynamic_cast<const api::channelFull*>(&full)) {
    info->set_about(ValidUtf8(f->about));
    info->set_members_count(f->participants_count.value_or(0));
    info->set_admins_count(f->admins_count.value_or(0));
    info->set_online_count(f->online_count.value_or(0));
    info->set_pinned_message_id(f->pinned_msg_id.value_or(0));
    info->set_slow_mode_seconds(f->slowmode_seconds.value_or(0));
    info->set_migrated_from_chat_id(f->migrated_from_chat_id.value_or(0));
    info->set_read_inbox_max_id(f->read_inbox_max_id);
    info->set_read_outbox_max_id(f->read_outbox_max_id);
    info->set_unread_count(f->unread_count);
    if (const auto* invite =
            dynamic_cast<const api::chatInviteExported*>(f->exported_invite.get())) {
      info->set_invite_link(ValidUtf8(invite->link));
    }
    if (out->members_count() == 0) out->set_members_count(info->members_count());
  }
}

void ToProto(const api::MessageEntity& entity, v1::MessageEntity* out) {
  out->set_type(EntityType(entity.tl_name()));
  OffsetAndLength<api::messageEntityUnknown, api::messageEntityMention, api::messageEntityHashtag,
                  api::messageEntityBotCommand, api::messageEntityUrl, api::messageEntityEmail,
                  api::messageEntityBold, api::messageEntityItalic, api::messageEntityCode,
                  api::messageEntityPre, api::messageEntityTextUrl, api::messageEntityMentionName,
                  api::inputMessageEntityMentionName, api::messageEntityPhone,
                  api::messageEntityCashtag, api::messageEntityUnderline, api::messageEntityStrike,
                  api::messageEntityBankCard, api::messageEntitySpoiler,
                  api::messageEntityCustomEmoji, api::messageEntityBlockquote,
                  api::messageEntityFormattedDate, api::messageEntityDiffInsert,
                  api::messageEntityDiffReplace, api::messageEntityDiffDelete>(entity, out);
  if (const auto* e = dynamic_cast<const api::messageEntityTextUrl*>(&entity)) {
    out->set_url(ValidUtf8(e->url));
  } else if (const auto* e = dynamic_cast<const api::messageEntityPre*>(&entity)) {
    out->set_language(ValidUtf8(e->language));
  } else if (const auto* e = dynamic_cast<const api::messageEntityMentionName*>(&entity)) {
    out->set_user_id(e->user_id);
  } else if (const auto* e = dynamic_cast<const api::messageEntityCustomEmoji*>(&entity)) {
    out->set_custom_emoji_id(e->document_id);
  }
}

void ToProto(const api::Message& message, absl::string_view account, v1::Message* out) {
  const api::message* m = dynamic_cast<const api::message*>(&message);
  const api::messageService* service = dynamic_cast<const api::messageService*>(&message);
  if (const auto* empty = dynamic_cast<const api::messageEmpty*>(&message)) {
    out->set_id(empty->id);
    out->set_chat_id(MarkedPeerId(empty->peer_id.get()));
    out->set_name(MessageName(account, out->chat_id(), out->id()));
    return;
  }
  if (m == nullptr && service == nullptr) return;
  const int32_t id = m != nullptr ? m->id : service->id;
  const api::Peer* peer = m != nullptr ? m->peer_id.get() : service->peer_id.get();
  const api::Peer* from = m != nullptr ? m->from_id.get() : service->from_id.get();
  const bool outgoing = m != nullptr ? m->out : service->out;
  out->set_id(id);
  out->set_chat_id(MarkedPeerId(peer));
  out->set_name(MessageName(account, out->chat_id(), id));
  int64_t sender = MarkedPeerId(from);
  // In a private chat Telegram leaves from_id out of the other side's messages.
  if (sender == 0 && out->chat_id() > 0 && !outgoing) sender = out->chat_id();
  out->set_sender_id(sender);
  out->set_outgoing(outgoing);
  const api::MessageReplyHeader* reply = m != nullptr ? m->reply_to.get() : service->reply_to.get();
  if (const auto* r = dynamic_cast<const api::messageReplyHeader*>(reply)) {
    v1::ReplyTo* to = out->mutable_reply_to();
    to->set_message_id(r->reply_to_msg_id.value_or(0));
    to->set_chat_id(MarkedPeerId(r->reply_to_peer_id.get()));
    to->set_top_message_id(r->reply_to_top_id.value_or(0));
    to->set_forum_topic(r->forum_topic);
    to->set_quote_text(ValidUtf8(r->quote_text.value_or("")));
    if (r->forum_topic) {
      out->set_topic_id(r->reply_to_top_id.value_or(r->reply_to_msg_id.value_or(0)));
    }
  }
  if (service != nullptr) {
    SetTime(service->date, out->mutable_date());
    out->set_mentioned(service->mentioned);
    out->set_silent(service->silent);
    out->set_post(service->post);
    if (service->action != nullptr) {
      out->set_service_action(KindName(service->action->tl_name(), "messageAction"));
    }
    return;
  }
  SetTime(m->date, out->mutable_date());
  out->set_text(ValidUtf8(m->message_));
  if (m->entities.has_value()) {
    for (const auto& entity : *m->entities) {
      if (entity != nullptr) ToProto(*entity, out->add_entities());
    }
  }
  out->set_mentioned(m->mentioned);
  out->set_silent(m->silent);
  out->set_post(m->post);
  out->set_pinned(m->pinned);
  if (m->media != nullptr &&
      dynamic_cast<const api::messageMediaEmpty*>(m->media.get()) == nullptr) {
    MediaToProto(*m->media, out->mutable_media());
  }
  if (const auto* fwd = dynamic_cast<const api::messageFwdHeader*>(m->fwd_from.get())) {
    v1::ForwardHeader* header = out->mutable_forward();
    header->set_from_id(MarkedPeerId(fwd->from_id.get()));
    header->set_from_name(ValidUtf8(fwd->from_name.value_or("")));
    SetTime(fwd->date, header->mutable_date());
    header->set_channel_post(fwd->channel_post.value_or(0));
    header->set_post_author(ValidUtf8(fwd->post_author.value_or("")));
  }
  out->set_views(m->views.value_or(0));
  out->set_forwards(m->forwards.value_or(0));
  if (const auto* replies = dynamic_cast<const api::messageReplies*>(m->replies.get())) {
    out->set_replies(replies->replies);
  }
  if (m->edit_date.has_value()) SetTime(*m->edit_date, out->mutable_edit_date());
  out->set_post_author(ValidUtf8(m->post_author.value_or("")));
  out->set_grouped_id(m->grouped_id.value_or(0));
  out->set_via_bot_id(m->via_bot_id.value_or(0));
  if (m->reply_markup != nullptr) {
    absl::StatusOr<std::string> boxed = tl::Serialize(*m->reply_markup);
    absl::StatusOr<std::string> json =
        boxed.ok() ? TlToJson(*boxed, "ReplyMarkup") : boxed.status();
    // A markup that does not convert is left out rather than failing the whole message.
    if (json.ok()) out->set_reply_markup_json(ValidUtf8(*json));
  }
  ToProto(m->reactions.get(), out->mutable_reactions());
}

const api::User* PeerIndex::FindUser(int64_t id) const {
  for (const api::User* user : users) {
    if (const auto* u = dynamic_cast<const api::user*>(user); u != nullptr && u->id == id)
      return user;
  }
  return nullptr;
}

const api::Chat* PeerIndex::FindChat(int64_t marked_id) const {
  for (const api::Chat* chat : chats) {
    v1::Chat converted;
    ToProto(*chat, "", &converted);
    if (converted.id() == marked_id) return chat;
  }
  return nullptr;
}

void ToProto(const api::MessageReactions* from,
             google::protobuf::RepeatedPtrField<v1::Reaction>* out) {
  const auto* reactions = dynamic_cast<const api::messageReactions*>(from);
  if (reactions == nullptr) return;
  for (const auto& result : reactions->results) {
    const auto* count = dynamic_cast<const api::reactionCount*>(result.get());
    if (count == nullptr) continue;
    v1::Reaction* reaction = out->Add();
    if (const auto* r = dynamic_cast<const api::reactionEmoji*>(count->reaction.get())) {
      reaction->set_reaction(ValidUtf8(r->emoticon));
    } else if (const auto* r =
                   dynamic_cast<const api::reactionCustomEmoji*>(count->reaction.get())) {
      reaction->set_reaction(absl::StrCat("custom_emoji:", r->document_id));
    } else {
      reaction->set_reaction("paid");
    }
    reaction->set_count(count->count);
    reaction->set_chosen(count->chosen_order.has_value());
  }
}

v1::ChatMember::Status MemberStatus(const tl::Object& participant) {
  if (dynamic_cast<const api::channelParticipantCreator*>(&participant) != nullptr ||
      dynamic_cast<const api::chatParticipantCreator*>(&participant) != nullptr) {
    return v1::ChatMember::CREATOR;
  }
  if (dynamic_cast<const api::channelParticipantAdmin*>(&participant) != nullptr ||
      dynamic_cast<const api::chatParticipantAdmin*>(&participant) != nullptr) {
    return v1::ChatMember::ADMINISTRATOR;
  }
  if (const auto* banned = dynamic_cast<const api::channelParticipantBanned*>(&participant)) {
    const auto* rights = dynamic_cast<const api::chatBannedRights*>(banned->banned_rights.get());
    return rights != nullptr && rights->view_messages ? v1::ChatMember::BANNED
                                                      : v1::ChatMember::RESTRICTED;
  }
  if (dynamic_cast<const api::channelParticipantLeft*>(&participant) != nullptr) {
    return v1::ChatMember::LEFT;
  }
  return v1::ChatMember::MEMBER;
}

bool MemberToProto(const tl::Object& participant, absl::string_view account, int64_t marked_chat,
                   const PeerIndex& index, v1::ChatMember* out) {
  int64_t user_id = 0;
  int64_t inviter = 0;
  int32_t date = 0;
  std::string rank;
  if (const auto* p = dynamic_cast<const api::channelParticipant*>(&participant)) {
    user_id = p->user_id, date = p->date, rank = p->rank.value_or("");
  } else if (const auto* p = dynamic_cast<const api::channelParticipantSelf*>(&participant)) {
    user_id = p->user_id, inviter = p->inviter_id, date = p->date, rank = p->rank.value_or("");
  } else if (const auto* p = dynamic_cast<const api::channelParticipantCreator*>(&participant)) {
    user_id = p->user_id, rank = p->rank.value_or("");
  } else if (const auto* p = dynamic_cast<const api::channelParticipantAdmin*>(&participant)) {
    user_id = p->user_id, inviter = p->promoted_by, date = p->date, rank = p->rank.value_or("");
  } else if (const auto* p = dynamic_cast<const api::channelParticipantBanned*>(&participant)) {
    user_id = MarkedPeerId(p->peer.get()), inviter = p->kicked_by, date = p->date;
    if (const auto* rights = dynamic_cast<const api::chatBannedRights*>(p->banned_rights.get())) {
      if (rights->until_date != 0 && rights->until_date != INT32_MAX) {
        out->mutable_until_time()->set_seconds(rights->until_date);
      }
    }
  } else if (const auto* p = dynamic_cast<const api::channelParticipantLeft*>(&participant)) {
    user_id = MarkedPeerId(p->peer.get());
  } else if (const auto* p = dynamic_cast<const api::chatParticipant*>(&participant)) {
    user_id = p->user_id, inviter = p->inviter_id, date = p->date, rank = p->rank.value_or("");
  } else if (const auto* p = dynamic_cast<const api::chatParticipantCreator*>(&participant)) {
    user_id = p->user_id, rank = p->rank.value_or("");
  } else if (const auto* p = dynamic_cast<const api::chatParticipantAdmin*>(&participant)) {
    user_id = p->user_id, inviter = p->inviter_id, date = p->date, rank = p->rank.value_or("");
  }
  if (user_id <= 0) return false;
  out->set_name(absl::StrCat(ChatName(account, marked_chat), "/members/", user_id));
  if (const api::User* user = index.FindUser(user_id)) {
    ToProto(*user, account, out->mutable_user());
  } else {
    out->mutable_user()->set_id(user_id);
    out->mutable_user()->set_name(UserName(account, user_id));
  }
  out->set_status(MemberStatus(participant));
  if (const auto* p = dynamic_cast<const api::channelParticipantCreator*>(&participant)) {
    if (p->admin_rights != nullptr) ToProto(*p->admin_rights, out->mutable_admin_rights());
  } else if (const auto* p = dynamic_cast<const api::channelParticipantAdmin*>(&participant)) {
    if (p->admin_rights != nullptr) ToProto(*p->admin_rights, out->mutable_admin_rights());
  } else if (const auto* p = dynamic_cast<const api::channelParticipantBanned*>(&participant)) {
    if (p->banned_rights != nullptr && out->status() == v1::ChatMember::RESTRICTED) {
      ToProto(*p->banned_rights, out->mutable_permissions());
    }
  }
  if (date != 0) out->mutable_join_time()->set_seconds(date);
  out->set_inviter_id(inviter);
  out->set_rank(ValidUtf8(rank));
  return true;
}

}  // namespace tgrpc::service
