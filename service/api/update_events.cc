#include "service/api/update_events.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "service/api/convert.h"
#include "service/api/tl_json.h"
#include "service/api/utf8.h"
#include "service/telegram/peer_id.h"
#include "tl/generated/api.h"
#include "tl/runtime/object.h"

namespace tgrpc::service {
namespace {

namespace api = tl::api;

void SetTime(int64_t unix_seconds, google::protobuf::Timestamp* out) {
  out->set_seconds(unix_seconds);
  out->set_nanos(0);
}

std::string ChatOf(absl::string_view account, int64_t marked_id) {
  return marked_id == 0 ? std::string() : ChatName(account, marked_id);
}

// sendMessageTypingAction -> "typing", sendMessageUploadPhotoAction -> "uploadPhoto".
std::string ActionName(const api::SendMessageAction* action) {
  if (action == nullptr) return "";
  std::string name = action->tl_name();
  if (absl::StartsWith(name, "sendMessage")) name = name.substr(11);
  if (absl::EndsWith(name, "Action")) name.resize(name.size() - 6);
  if (!name.empty()) name[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
  return name;
}

void Message(const api::Message* message, absl::string_view account, v1::Message* out) {
  if (message != nullptr) ToProto(*message, account, out);
}

void Typing(absl::string_view account, int64_t chat, int64_t from, const api::SendMessageAction* a,
            int32_t top_msg_id, v1::UpdateEvent* out) {
  v1::Typing* typing = out->mutable_typing();
  typing->set_chat(ChatOf(account, chat));
  if (from != 0) typing->set_from(from > 0 ? UserName(account, from) : ChatName(account, from));
  typing->set_action(ActionName(a));
  typing->set_top_msg_id(top_msg_id);
}

void Read(absl::string_view account, int64_t chat, bool outbox, int32_t max_id, int32_t unread,
          v1::UpdateEvent* out) {
  v1::ReadReceipt* read = out->mutable_read();
  read->set_chat(ChatOf(account, chat));
  read->set_outbox(outbox);
  read->set_max_id(max_id);
  read->set_still_unread_count(unread);
}

void Ids(const std::vector<int32_t>& ids, google::protobuf::RepeatedField<int32_t>* out) {
  out->Add(ids.begin(), ids.end());
}

std::string InviteLink(const api::ExportedChatInvite* invite) {
  const auto* link = dynamic_cast<const api::chatInviteExported*>(invite);
  return link != nullptr ? ValidUtf8(link->link) : "";
}

void MemberChange(absl::string_view account, int64_t chat, int64_t user, int64_t actor,
                  const tl::Object* before, const tl::Object* after,
                  const api::ExportedChatInvite* invite, int32_t date, const PeerIndex& index,
                  v1::UpdateEvent* out) {
  v1::ChatMemberChange* change = out->mutable_member_change();
  change->set_chat(ChatName(account, chat));
  change->set_user(UserName(account, user));
  if (actor != 0) change->set_actor(UserName(account, actor));
  if (before != nullptr) MemberToProto(*before, account, chat, index, change->mutable_old_member());
  if (after != nullptr) MemberToProto(*after, account, chat, index, change->mutable_new_member());
  change->set_invite_link(InviteLink(invite));
  if (date != 0) SetTime(date, out->mutable_time());
}

// A forum topic's service message (messageActionTopicCreate / TopicEdit) as a forum_topic
// event; false for any other message.
bool ForumTopic(const api::Message* m, absl::string_view account, v1::UpdateEvent* out) {
  const auto* message = dynamic_cast<const api::messageService*>(m);
  if (message == nullptr) return false;
  const auto* create = dynamic_cast<const api::messageActionTopicCreate*>(message->action.get());
  const auto* edit = dynamic_cast<const api::messageActionTopicEdit*>(message->action.get());
  if (create == nullptr && edit == nullptr) return false;
  v1::ForumTopicChange* topic = out->mutable_forum_topic();
  topic->set_chat(ChatOf(account, MarkedPeerId(message->peer_id.get())));
  const int64_t actor = MarkedPeerId(message->from_id.get());
  if (actor != 0) topic->set_actor(actor > 0 ? UserName(account, actor) : ChatName(account, actor));
  if (create != nullptr) {
    // A topic is named after the message that created it.
    topic->set_topic_id(message->id);
    topic->set_created(true);
    topic->set_title(ValidUtf8(create->title));
    topic->set_icon_color(create->icon_color);
    topic->set_icon_emoji_id(create->icon_emoji_id.value_or(0));
  } else {
    // An edit is posted in the topic: its reply header names it (the top message, or the
    // replied-to one when that is the top).
    if (const auto* reply = dynamic_cast<const api::messageReplyHeader*>(message->reply_to.get())) {
      topic->set_topic_id(reply->reply_to_top_id.value_or(reply->reply_to_msg_id.value_or(0)));
    }
    if (edit->title.has_value()) {
      topic->add_changed("title");
      topic->set_title(ValidUtf8(*edit->title));
    }
    if (edit->icon_emoji_id.has_value()) {
      topic->add_changed("icon");
      topic->set_icon_emoji_id(*edit->icon_emoji_id);
    }
    if (edit->closed.has_value()) {
      topic->add_changed("closed");
      topic->set_closed(*edit->closed);
    }
    if (edit->hidden.has_value()) {
      topic->add_changed("hidden");
      topic->set_hidden(*edit->hidden);
    }
  }
  ToProto(*message, account, topic->mutable_message());
  return true;
}

// The typed event for `u`; false when it has none (it goes as raw JSON).
bool Typed(const api::Update& u, absl::string_view account, const PeerIndex& index,
           v1::UpdateEvent* out) {
  if (const auto* x = dynamic_cast<const api::updateNewMessage*>(&u)) {
    if (dynamic_cast<const api::messageEmpty*>(x->message.get()) != nullptr) return false;
    if (ForumTopic(x->message.get(), account, out)) return true;
    Message(x->message.get(), account, out->mutable_new_message());
  } else if (const auto* x = dynamic_cast<const api::updateNewChannelMessage*>(&u)) {
    if (dynamic_cast<const api::messageEmpty*>(x->message.get()) != nullptr) return false;
    if (ForumTopic(x->message.get(), account, out)) return true;
    Message(x->message.get(), account, out->mutable_new_message());
  } else if (const auto* x = dynamic_cast<const api::updateEditMessage*>(&u)) {
    Message(x->message.get(), account, out->mutable_edited_message());
  } else if (const auto* x = dynamic_cast<const api::updateEditChannelMessage*>(&u)) {
    Message(x->message.get(), account, out->mutable_edited_message());
  } else if (const auto* x = dynamic_cast<const api::updateDeleteMessages*>(&u)) {
    Ids(x->messages, out->mutable_deleted_messages()->mutable_message_ids());
  } else if (const auto* x = dynamic_cast<const api::updateDeleteChannelMessages*>(&u)) {
    v1::DeletedMessages* deleted = out->mutable_deleted_messages();
    deleted->set_chat(ChatName(account, MarkChannel(x->channel_id)));
    Ids(x->messages, deleted->mutable_message_ids());
  } else if (const auto* x = dynamic_cast<const api::updateUserName*>(&u)) {
    v1::UserUpdate* user = out->mutable_user_update();
    user->set_user(UserName(account, x->user_id));
    user->add_changed("name");
    user->add_changed("usernames");
    user->set_first_name(ValidUtf8(x->first_name));
    user->set_last_name(ValidUtf8(x->last_name));
    for (const auto& name : x->usernames) {
      if (const auto* n = dynamic_cast<const api::username*>(name.get())) {
        user->add_usernames(ValidUtf8(n->username_));
      }
    }
  } else if (const auto* x = dynamic_cast<const api::updateUserStatus*>(&u)) {
    v1::UserUpdate* user = out->mutable_user_update();
    user->set_user(UserName(account, x->user_id));
    user->add_changed("status");
    ToProto(x->status.get(), user->mutable_status());
  } else if (const auto* x = dynamic_cast<const api::updateUserPhone*>(&u)) {
    v1::UserUpdate* user = out->mutable_user_update();
    user->set_user(UserName(account, x->user_id));
    user->add_changed("phone");
    user->set_phone(ValidUtf8(x->phone));
  } else if (const auto* x = dynamic_cast<const api::updateUserEmojiStatus*>(&u)) {
    v1::UserUpdate* user = out->mutable_user_update();
    user->set_user(UserName(account, x->user_id));
    user->add_changed("emoji_status");
  } else if (const auto* x = dynamic_cast<const api::updateUser*>(&u)) {
    // Telegram says only that the user changed (photo, or more): the users list has it anew.
    v1::UserUpdate* user = out->mutable_user_update();
    user->set_user(UserName(account, x->user_id));
    user->add_changed("photo");
  } else if (const auto* x = dynamic_cast<const api::updateReadHistoryInbox*>(&u)) {
    Read(account, MarkedPeerId(x->peer.get()), false, x->max_id, x->still_unread_count, out);
  } else if (const auto* x = dynamic_cast<const api::updateReadHistoryOutbox*>(&u)) {
    Read(account, MarkedPeerId(x->peer.get()), true, x->max_id, 0, out);
  } else if (const auto* x = dynamic_cast<const api::updateReadChannelInbox*>(&u)) {
    Read(account, MarkChannel(x->channel_id), false, x->max_id, x->still_unread_count, out);
  } else if (const auto* x = dynamic_cast<const api::updateReadChannelOutbox*>(&u)) {
    Read(account, MarkChannel(x->channel_id), true, x->max_id, 0, out);
  } else if (const auto* x = dynamic_cast<const api::updateUserTyping*>(&u)) {
    Typing(account, MarkUser(x->user_id), x->user_id, x->action.get(), x->top_msg_id.value_or(0),
           out);
  } else if (const auto* x = dynamic_cast<const api::updateChatUserTyping*>(&u)) {
    Typing(account, MarkChat(x->chat_id), MarkedPeerId(x->from_id.get()), x->action.get(), 0, out);
  } else if (const auto* x = dynamic_cast<const api::updateChannelUserTyping*>(&u)) {
    Typing(account, MarkChannel(x->channel_id), MarkedPeerId(x->from_id.get()), x->action.get(),
           x->top_msg_id.value_or(0), out);
  } else if (const auto* x = dynamic_cast<const api::updatePinnedMessages*>(&u)) {
    v1::PinnedMessages* pinned = out->mutable_pinned_messages();
    pinned->set_chat(ChatOf(account, MarkedPeerId(x->peer.get())));
    Ids(x->messages, pinned->mutable_message_ids());
    pinned->set_pinned(x->pinned);
  } else if (const auto* x = dynamic_cast<const api::updatePinnedChannelMessages*>(&u)) {
    v1::PinnedMessages* pinned = out->mutable_pinned_messages();
    pinned->set_chat(ChatName(account, MarkChannel(x->channel_id)));
    Ids(x->messages, pinned->mutable_message_ids());
    pinned->set_pinned(x->pinned);
  } else if (const auto* x = dynamic_cast<const api::updateMessageReactions*>(&u)) {
    v1::MessageReactions* reactions = out->mutable_reactions();
    reactions->set_chat(ChatOf(account, MarkedPeerId(x->peer.get())));
    reactions->set_message_id(x->msg_id);
    reactions->set_top_msg_id(x->top_msg_id.value_or(0));
    ToProto(x->reactions.get(), reactions->mutable_reactions());
  } else if (const auto* x = dynamic_cast<const api::updateChannelParticipant*>(&u)) {
    MemberChange(account, MarkChannel(x->channel_id), x->user_id, x->actor_id,
                 x->prev_participant.get(), x->new_participant.get(), x->invite.get(), x->date,
                 index, out);
  } else if (const auto* x = dynamic_cast<const api::updateChatParticipant*>(&u)) {
    MemberChange(account, MarkChat(x->chat_id), x->user_id, x->actor_id, x->prev_participant.get(),
                 x->new_participant.get(), x->invite.get(), x->date, index, out);
  } else if (const auto* x = dynamic_cast<const api::updateChatParticipantAdd*>(&u)) {
    api::chatParticipant added;
    added.user_id = x->user_id;
    added.inviter_id = x->inviter_id;
    added.date = x->date;
    MemberChange(account, MarkChat(x->chat_id), x->user_id, x->inviter_id, nullptr, &added, nullptr,
                 x->date, index, out);
  } else if (const auto* x = dynamic_cast<const api::updateChatParticipantDelete*>(&u)) {
    api::chatParticipant removed;
    removed.user_id = x->user_id;
    MemberChange(account, MarkChat(x->chat_id), x->user_id, 0, &removed, nullptr, nullptr, 0, index,
                 out);
  } else if (const auto* x = dynamic_cast<const api::updatePendingJoinRequests*>(&u)) {
    v1::JoinRequests* requests = out->mutable_join_requests();
    requests->set_chat(ChatOf(account, MarkedPeerId(x->peer.get())));
    requests->set_pending_count(x->requests_pending);
    for (int64_t id : x->recent_requesters) requests->add_recent_requester_ids(id);
  } else if (const auto* x = dynamic_cast<const api::updateBotChatInviteRequester*>(&u)) {
    v1::JoinRequests* requests = out->mutable_join_requests();
    requests->set_chat(ChatOf(account, MarkedPeerId(x->peer.get())));
    requests->set_pending_count(1);
    requests->set_user(UserName(account, x->user_id));
    requests->set_about(ValidUtf8(x->about));
    requests->set_invite_link(InviteLink(x->invite.get()));
  } else if (const auto* x = dynamic_cast<const api::updateChat*>(&u)) {
    out->mutable_chat_change()->set_chat(ChatName(account, MarkChat(x->chat_id)));
  } else if (const auto* x = dynamic_cast<const api::updateChannel*>(&u)) {
    out->mutable_chat_change()->set_chat(ChatName(account, MarkChannel(x->channel_id)));
  } else if (const auto* x = dynamic_cast<const api::updateBotCallbackQuery*>(&u)) {
    v1::CallbackQuery* query = out->mutable_callback_query();
    query->set_query_id(x->query_id);
    query->set_from(UserName(account, x->user_id));
    query->set_chat(ChatOf(account, MarkedPeerId(x->peer.get())));
    query->set_message_id(x->msg_id);
    query->set_data(x->data.value_or(""));
    query->set_game_short_name(ValidUtf8(x->game_short_name.value_or("")));
    query->set_chat_instance(x->chat_instance);
  } else if (const auto* x = dynamic_cast<const api::updateInlineBotCallbackQuery*>(&u)) {
    v1::CallbackQuery* query = out->mutable_callback_query();
    query->set_query_id(x->query_id);
    query->set_from(UserName(account, x->user_id));
    if (x->msg_id != nullptr) {
      absl::StatusOr<std::string> boxed = tl::Serialize(*x->msg_id);
      absl::StatusOr<std::string> json =
          boxed.ok() ? TlToJson(*boxed, "InputBotInlineMessageID") : boxed.status();
      if (json.ok()) query->set_inline_message_id(*json);
    }
    query->set_data(x->data.value_or(""));
    query->set_game_short_name(ValidUtf8(x->game_short_name.value_or("")));
    query->set_chat_instance(x->chat_instance);
  } else if (const auto* x = dynamic_cast<const api::updateBotInlineQuery*>(&u)) {
    v1::InlineQuery* query = out->mutable_inline_query();
    query->set_query_id(x->query_id);
    query->set_from(UserName(account, x->user_id));
    query->set_query(ValidUtf8(x->query));
    query->set_offset(ValidUtf8(x->offset));
    if (x->peer_type != nullptr) {
      std::string type = x->peer_type->tl_name();
      if (absl::StartsWith(type, "inlineQueryPeerType")) type = type.substr(19);
      query->set_peer_type(type);
    }
  } else {
    return false;
  }
  return true;
}

// Chat names look like accounts/{account}/chats/{id}: the id.
int64_t ChatIdOf(absl::string_view name) {
  const size_t slash = name.rfind('/');
  int64_t id = 0;
  if (slash == absl::string_view::npos || !absl::SimpleAtoi(name.substr(slash + 1), &id)) {
    return 0;
  }
  return id;
}

}  // namespace

absl::Status UpdateToEvent(absl::string_view update, const std::vector<std::string>& users,
                           const std::vector<std::string>& chats, int64_t date,
                           absl::string_view account, v1::UpdateEvent* out) {
  absl::StatusOr<tl::Ptr<api::Update>> decoded = tl::Decode<api::Update>(update);
  if (!decoded.ok()) {
    return absl::DataLossError(
        absl::StrCat("a logged update does not decode: ", decoded.status().message()));
  }
  if (date != 0) SetTime(date, out->mutable_time());
  std::vector<tl::Ptr<api::User>> decoded_users;
  std::vector<tl::Ptr<api::Chat>> decoded_chats;
  PeerIndex index;
  for (const std::string& boxed : users) {
    absl::StatusOr<tl::Ptr<api::User>> user = tl::Decode<api::User>(boxed);
    if (!user.ok()) continue;
    index.users.push_back(user->get());
    decoded_users.push_back(*std::move(user));
  }
  for (const std::string& boxed : chats) {
    absl::StatusOr<tl::Ptr<api::Chat>> chat = tl::Decode<api::Chat>(boxed);
    if (!chat.ok()) continue;
    index.chats.push_back(chat->get());
    decoded_chats.push_back(*std::move(chat));
  }
  if (!Typed(**decoded, account, index, out)) {
    v1::RawUpdate* raw = out->mutable_raw();
    raw->set_type((*decoded)->tl_name());
    absl::StatusOr<std::string> json = TlToJson(update, "Update");
    if (!json.ok()) return json.status();
    raw->set_tl_json(*std::move(json));
  }
  for (const api::User* user : index.users) ToProto(*user, account, out->add_users());
  for (const api::Chat* chat : index.chats) ToProto(*chat, account, out->add_chats());
  return absl::OkStatus();
}

std::string EventKind(const v1::UpdateEvent& event) {
  const google::protobuf::FieldDescriptor* field = event.GetReflection()->GetOneofFieldDescriptor(
      event, v1::UpdateEvent::descriptor()->FindOneofByName("event"));
  return field == nullptr ? "" : field->name();
}

const std::vector<std::string>& EventKinds() {
  static const std::vector<std::string>* const kinds = [] {
    auto* out = new std::vector<std::string>;
    const google::protobuf::OneofDescriptor* oneof =
        v1::UpdateEvent::descriptor()->FindOneofByName("event");
    for (int i = 0; i < oneof->field_count(); ++i) out->push_back(oneof->field(i)->name());
    return out;
  }();
  return *kinds;
}

int64_t EventChat(const v1::UpdateEvent& event) {
  switch (event.event_case()) {
    case v1::UpdateEvent::kNewMessage:
      return event.new_message().chat_id();
    case v1::UpdateEvent::kEditedMessage:
      return event.edited_message().chat_id();
    case v1::UpdateEvent::kDeletedMessages:
      return ChatIdOf(event.deleted_messages().chat());
    case v1::UpdateEvent::kRead:
      return ChatIdOf(event.read().chat());
    case v1::UpdateEvent::kTyping:
      return ChatIdOf(event.typing().chat());
    case v1::UpdateEvent::kPinnedMessages:
      return ChatIdOf(event.pinned_messages().chat());
    case v1::UpdateEvent::kHistoryGap:
      return ChatIdOf(event.history_gap().chat());
    case v1::UpdateEvent::kReactions:
      return ChatIdOf(event.reactions().chat());
    case v1::UpdateEvent::kMemberChange:
      return ChatIdOf(event.member_change().chat());
    case v1::UpdateEvent::kJoinRequests:
      return ChatIdOf(event.join_requests().chat());
    case v1::UpdateEvent::kChatChange:
      return ChatIdOf(event.chat_change().chat());
    case v1::UpdateEvent::kCallbackQuery:
      return ChatIdOf(event.callback_query().chat());
    case v1::UpdateEvent::kForumTopic:
      return ChatIdOf(event.forum_topic().chat());
    default:
      return 0;
  }
}

bool FilterPasses(const v1::UpdateFilter& filter, const std::vector<int64_t>& chats,
                  const v1::UpdateEvent& event) {
  if (event.has_checkpoint()) return true;
  if (!filter.kinds().empty()) {
    const std::string kind = EventKind(event);
    if (std::find(filter.kinds().begin(), filter.kinds().end(), kind) == filter.kinds().end()) {
      return false;
    }
  }
  // About the stream's account, not a chat or a message: only kinds select them.
  if (event.has_account_state()) return true;
  if (!chats.empty()) {
    const int64_t chat = EventChat(event);
    if (std::find(chats.begin(), chats.end(), chat) == chats.end()) return false;
  }
  if (filter.direction() != v1::UpdateFilter::DIRECTION_UNSPECIFIED) {
    const bool outgoing = filter.direction() == v1::UpdateFilter::OUTGOING;
    const v1::Message* message = event.has_new_message()      ? &event.new_message()
                                 : event.has_edited_message() ? &event.edited_message()
                                                              : nullptr;
    if (message == nullptr || message->outgoing() != outgoing) return false;
  }
  return true;
}

std::vector<v1::AccountStateChange> AccountStateChanges(AccountView& seen, const AccountView& now,
                                                        absl::string_view revoke_reason) {
  std::vector<v1::AccountStateChange> out;
  auto add = [&](v1::AccountStateChange::Change change) -> v1::AccountStateChange& {
    v1::AccountStateChange& event = out.emplace_back();
    event.set_state(now.state);
    event.set_change(change);
    event.set_home_dc(now.home_dc);
    return event;
  };
  if (now.state != seen.state) {
    switch (now.state) {
      case v1::Account::SIGNED_IN:
        add(v1::AccountStateChange::SIGNED_IN);
        break;
      case v1::Account::LOGGED_OUT:
        add(v1::AccountStateChange::LOGGED_OUT);
        break;
      case v1::Account::REVOKED:
        add(v1::AccountStateChange::REVOKED).set_reason(std::string(revoke_reason));
        break;
      case v1::Account::LOGIN_IN_PROGRESS:
        add(v1::AccountStateChange::LOGIN_STARTED);
        break;
      default:
        break;
    }
  }
  const bool login_waits_or_ends = now.login_step == v1::LoginState::CODE_SENT ||
                                   now.login_step == v1::LoginState::PASSWORD_NEEDED ||
                                   now.login_step == v1::LoginState::SIGN_UP_NEEDED ||
                                   now.login_step == v1::LoginState::QR_TOKEN ||
                                   now.login_step == v1::LoginState::FAILED ||
                                   now.login_step == v1::LoginState::CANCELLED;
  if (now.state == v1::Account::LOGIN_IN_PROGRESS && now.login_step != seen.login_step &&
      login_waits_or_ends) {
    add(v1::AccountStateChange::LOGIN_STEP).set_login_step(now.login_step);
  }
  if (now.home_dc != seen.home_dc && seen.home_dc != 0) {
    add(v1::AccountStateChange::HOME_DC_MOVED).set_previous_home_dc(seen.home_dc);
  }
  seen = now;
  return out;
}

std::string RevokeReason(const v1::LoginState& login) {
  for (const google::protobuf::Any& detail : login.error().details()) {
    google::rpc::ErrorInfo info;
    if (detail.UnpackTo(&info)) return info.reason();
  }
  return "";
}

}  // namespace tgrpc::service
