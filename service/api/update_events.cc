#include "service/api/update_events.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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

// The typed event for `u`; false when it has none (it goes as raw JSON).
bool Typed(const api::Update& u, absl::string_view account, v1::UpdateEvent* out) {
  if (const auto* x = dynamic_cast<const api::updateNewMessage*>(&u)) {
    if (dynamic_cast<const api::messageEmpty*>(x->message.get()) != nullptr) return false;
    Message(x->message.get(), account, out->mutable_new_message());
  } else if (const auto* x = dynamic_cast<const api::updateNewChannelMessage*>(&u)) {
    if (dynamic_cast<const api::messageEmpty*>(x->message.get()) != nullptr) return false;
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
  if (!Typed(**decoded, account, out)) {
    v1::RawUpdate* raw = out->mutable_raw();
    raw->set_type((*decoded)->tl_name());
    absl::StatusOr<std::string> json = TlToJson(update, "Update");
    if (!json.ok()) return json.status();
    raw->set_tl_json(*std::move(json));
  }
  for (const std::string& boxed : users) {
    absl::StatusOr<tl::Ptr<api::User>> user = tl::Decode<api::User>(boxed);
    if (user.ok()) ToProto(**user, account, out->add_users());
  }
  for (const std::string& boxed : chats) {
    absl::StatusOr<tl::Ptr<api::Chat>> chat = tl::Decode<api::Chat>(boxed);
    if (chat.ok()) ToProto(**chat, account, out->add_chats());
  }
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
  if (!chats.empty()) {
    const int64_t chat = EventChat(event);
    if (std::find(chats.begin(), chats.end(), chat) == chats.end()) return false;
  }
  if (filter.has_outgoing()) {
    const v1::Message* message = event.has_new_message()      ? &event.new_message()
                                 : event.has_edited_message() ? &event.edited_message()
                                                              : nullptr;
    if (message == nullptr || message->outgoing() != filter.outgoing()) return false;
  }
  return true;
}

}  // namespace tgrpc::service
