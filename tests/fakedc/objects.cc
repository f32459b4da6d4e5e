// World records as pinned-layer objects, and the builder for objects with many fields.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "tests/fakedc/chat_rights.h"
#include "tests/fakedc/entities.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/photos.h"

namespace tgrpc::fakedc {

namespace api = tl::api;

absl::StatusOr<tl::Value> ObjectBuilder::Build(
    absl::string_view constructor, std::vector<std::pair<std::string, tl::Value>> fields) const {
  const tl::Combinator* c = schema_->ByName(constructor);
  if (c == nullptr) return absl::NotFoundError(absl::StrCat("no constructor ", constructor));
  tl::Value out = tl::Value::Object(c);
  for (const tl::Param& p : c->params) {
    if (p.type.name == "#") continue;
    bool given = false;
    for (auto& [name, value] : fields) {
      if (name == p.name) {
        out.Set(p.name, std::move(value));
        given = true;
        break;
      }
    }
    if (given || p.conditional() || p.type.name == "true") continue;
    absl::StatusOr<tl::Value> fallback = defaults_.DefaultFor(p.type);
    if (!fallback.ok()) return fallback.status();
    out.Set(p.name, *std::move(fallback));
  }
  for (const auto& [name, value] : fields) {
    if (out.Field(name) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(constructor, " has no field ", name));
    }
  }
  return out;
}

absl::StatusOr<tl::Value> ObjectBuilder::ToValue(const tl::Object& object) const {
  absl::StatusOr<std::string> bytes = tl::Serialize(object);
  if (!bytes.ok()) return bytes.status();
  return tl::DynamicCodec(schema_).Decode(*bytes, "Object");
}

absl::Status RequireUser(const CallContext& context) {
  if (context.user_id == 0) return Unauthorized("AUTH_KEY_UNREGISTERED");
  return absl::OkStatus();
}

tl::Ptr<api::User> MakeUser(const UserRecord& user, int64_t viewer_id) {
  auto out = std::make_unique<api::user>();
  out->self = user.id == viewer_id;
  out->bot = user.bot;
  out->id = user.id;
  out->access_hash = user.access_hash;
  out->first_name = user.first_name;
  if (!user.last_name.empty()) out->last_name = user.last_name;
  if (!user.username.empty()) out->username = user.username;
  out->contact = user.contact_of.count(viewer_id) != 0;
  out->mutual_contact = out->contact && user.contacts.count(viewer_id) != 0;
  // A contact's number is one the viewer saved (imported) themselves.
  if (!user.phone.empty() && (out->self || viewer_id == 0 || out->contact)) out->phone = user.phone;
  if (user.bot) out->bot_info_version = 1;
  if (user.photo.id != 0) {
    auto photo = std::make_unique<api::userProfilePhoto>();
    photo->photo_id = user.photo.id;
    photo->dc_id = user.photo.dc_id;
    out->photo = std::move(photo);
  }
  out->premium = user.premium;
  return out;
}

namespace {

tl::Ptr<api::ChatPhoto> MakeChatPhoto(const PeerPhoto& photo) {
  if (photo.id == 0) return std::make_unique<api::chatPhotoEmpty>();
  auto out = std::make_unique<api::chatPhoto>();
  out->photo_id = photo.id;
  out->dc_id = photo.dc_id;
  return out;
}

}  // namespace

tl::Ptr<api::Chat> MakeChannel(const ChannelRecord& channel, int64_t viewer_id) {
  auto out = std::make_unique<api::channel>();
  out->id = channel.id;
  out->access_hash = channel.access_hash;
  out->title = channel.title;
  if (!channel.username.empty()) out->username = channel.username;
  out->photo = MakeChatPhoto(channel.photo);
  out->date = channel.date;
  out->megagroup = channel.megagroup;
  out->forum = channel.forum;
  out->broadcast = !channel.megagroup;
  out->creator = channel.creator_id == viewer_id;
  out->participants_count = static_cast<int32_t>(channel.members.size());
  out->left =
      std::find(channel.members.begin(), channel.members.end(), viewer_id) == channel.members.end();
  out->signatures = channel.signatures;
  out->slowmode_enabled = channel.slowmode_seconds > 0;
  out->default_banned_rights = MakeBannedRights(channel.default_banned, 0);
  if (viewer_id != channel.creator_id && channel.admins.count(viewer_id) != 0) {
    out->admin_rights = MakeAdminRights(channel.admins.at(viewer_id).rights);
  } else if (viewer_id == channel.creator_id) {
    out->admin_rights = MakeAdminRights(admin_right::kAll);
  }
  if (auto it = channel.restricted.find(viewer_id); it != channel.restricted.end()) {
    out->banned_rights = MakeBannedRights(it->second.banned, it->second.until_date);
  }
  return out;
}

tl::Ptr<api::Chat> MakeChat(const ChatRecord& chat, int64_t viewer_id) {
  const auto former = chat.former_members.find(viewer_id);
  const bool left = former != chat.former_members.end() && !former->second;
  // Removed by someone else, or never in it: Telegram shows only the id and title.
  if (!chat.HasMember(viewer_id) && !left) {
    auto out = std::make_unique<api::chatForbidden>();
    out->id = chat.id;
    out->title = chat.title;
    return out;
  }
  auto out = std::make_unique<api::chat>();
  out->creator = chat.creator_id == viewer_id;
  out->left = left;
  out->id = chat.id;
  out->title = chat.title;
  out->photo = MakeChatPhoto(chat.photo);
  out->participants_count = static_cast<int32_t>(chat.participants.size());
  out->date = chat.date;
  out->version = chat.version;
  if (chat.admins.count(viewer_id) != 0) out->admin_rights = MakeAdminRights(admin_right::kAll);
  out->default_banned_rights = MakeBannedRights(chat.default_banned, 0);
  return out;
}

tl::Ptr<api::Peer> MakePeer(const PeerRef& peer) {
  switch (peer.kind) {
    case PeerKind::kUser: {
      auto out = std::make_unique<api::peerUser>();
      out->user_id = peer.id;
      return out;
    }
    case PeerKind::kChat: {
      auto out = std::make_unique<api::peerChat>();
      out->chat_id = peer.id;
      return out;
    }
    case PeerKind::kChannel: {
      auto out = std::make_unique<api::peerChannel>();
      out->channel_id = peer.id;
      return out;
    }
  }
  return nullptr;
}

namespace {

tl::Ptr<api::MessageAction> MakeAction(const ServiceAction& action, World& world) {
  switch (action.kind) {
    case ServiceAction::Kind::kChatCreate: {
      auto out = std::make_unique<api::messageActionChatCreate>();
      out->title = action.title;
      out->users = action.user_ids;
      return out;
    }
    case ServiceAction::Kind::kChatEditTitle: {
      auto out = std::make_unique<api::messageActionChatEditTitle>();
      out->title = action.title;
      return out;
    }
    case ServiceAction::Kind::kChatAddUser: {
      auto out = std::make_unique<api::messageActionChatAddUser>();
      out->users = action.user_ids;
      return out;
    }
    case ServiceAction::Kind::kChatDeleteUser: {
      auto out = std::make_unique<api::messageActionChatDeleteUser>();
      out->user_id = action.user_ids.empty() ? 0 : action.user_ids.front();
      return out;
    }
    case ServiceAction::Kind::kChannelCreate: {
      auto out = std::make_unique<api::messageActionChannelCreate>();
      out->title = action.title;
      return out;
    }
    case ServiceAction::Kind::kChatEditPhoto: {
      auto out = std::make_unique<api::messageActionChatEditPhoto>();
      out->photo = MakePhoto(world, action.photo_id);
      return out;
    }
    case ServiceAction::Kind::kChatDeletePhoto:
      return std::make_unique<api::messageActionChatDeletePhoto>();
    case ServiceAction::Kind::kChatJoinedByLink: {
      auto out = std::make_unique<api::messageActionChatJoinedByLink>();
      out->inviter_id = action.user_ids.empty() ? 0 : action.user_ids.front();
      return out;
    }
    case ServiceAction::Kind::kTopicCreate: {
      auto out = std::make_unique<api::messageActionTopicCreate>();
      out->title = action.title;
      out->icon_color = action.icon_color;
      out->icon_emoji_id = action.icon_emoji_id;
      return out;
    }
    case ServiceAction::Kind::kTopicEdit: {
      auto out = std::make_unique<api::messageActionTopicEdit>();
      if (action.title_changed) out->title = action.title;
      out->icon_emoji_id = action.icon_emoji_id;
      out->closed = action.closed;
      out->hidden = action.hidden;
      return out;
    }
  }
  return std::make_unique<api::messageActionEmpty>();
}

// A message posted in a forum topic replies to the topic's creation message, as Telegram shows
// it (forum_topic set).
tl::Ptr<api::MessageReplyHeader> TopicHeader(int32_t topic_id) {
  if (topic_id == 0) return nullptr;
  auto out = std::make_unique<api::messageReplyHeader>();
  out->forum_topic = true;
  out->reply_to_msg_id = topic_id;
  return out;
}

}  // namespace

tl::Ptr<api::Message> MakeMessage(const MessageRecord& message, World& world) {
  if (message.action.has_value()) {
    auto out = std::make_unique<api::messageService>();
    out->id = message.id;
    out->out = message.out;
    out->from_id = MakePeer({PeerKind::kUser, message.from_id});
    out->peer_id = MakePeer(message.peer);
    out->date = message.date;
    out->action = MakeAction(*message.action, world);
    out->reply_to = TopicHeader(message.topic_id);
    return out;
  }
  auto out = std::make_unique<api::message>();
  out->id = message.id;
  out->out = message.out;
  out->from_id = message.sent_as_channel != 0
                     ? MakePeer({PeerKind::kChannel, message.sent_as_channel})
                     : MakePeer({PeerKind::kUser, message.from_id});
  out->peer_id = MakePeer(message.peer);
  out->reply_to = TopicHeader(message.topic_id);
  out->date = message.date;
  out->message_ = message.text;
  if (!message.entities.empty()) out->entities = MessageEntities(message.entities);
  out->pinned = message.pinned;
  if (message.via_bot_id != 0) out->via_bot_id = message.via_bot_id;
  if (message.grouped_id != 0) out->grouped_id = message.grouped_id;
  out->reactions = MakeReactions(message, world, 0);
  if (!message.media.empty()) {
    absl::StatusOr<tl::Ptr<api::MessageMedia>> media = tl::Decode<api::MessageMedia>(message.media);
    if (media.ok()) out->media = *std::move(media);
  }
  if (!message.reply_markup.empty()) {
    absl::StatusOr<tl::Ptr<api::ReplyMarkup>> markup =
        tl::Decode<api::ReplyMarkup>(message.reply_markup);
    if (markup.ok()) out->reply_markup = *std::move(markup);
  }
  if (message.poll_id != 0) {
    if (const PollRecord* poll = world.FindPoll(message.poll_id)) {
      out->media = MakePollMedia(*poll, 0);
    }
  }
  if (message.document_id.has_value()) {
    if (const DocumentRecord* doc = world.FindDocument(*message.document_id)) {
      auto document = std::make_unique<api::document>();
      document->id = doc->id;
      document->access_hash = doc->access_hash;
      document->file_reference = world.files().Reference(doc->id);
      document->date = doc->date;
      document->mime_type = doc->mime_type;
      document->size = doc->size;
      document->dc_id = doc->dc_id;
      auto name = std::make_unique<api::documentAttributeFilename>();
      name->file_name = doc->name;
      document->attributes.push_back(std::move(name));
      for (const std::string& bytes : doc->attributes) {
        absl::StatusOr<tl::Ptr<api::DocumentAttribute>> attribute =
            tl::Decode<api::DocumentAttribute>(bytes);
        if (attribute.ok()) document->attributes.push_back(*std::move(attribute));
      }
      auto media = std::make_unique<api::messageMediaDocument>();
      media->document = std::move(document);
      out->media = std::move(media);
    }
  } else if (message.photo_id.has_value()) {
    auto media = std::make_unique<api::messageMediaPhoto>();
    media->photo = MakePhoto(world, *message.photo_id);
    out->media = std::move(media);
  }
  return out;
}

}  // namespace tgrpc::fakedc

namespace tgrpc::fakedc {

absl::StatusOr<UserRecord*> ResolveInputUser(const api::InputUser& input,
                                             const CallContext& context, World& world) {
  if (dynamic_cast<const api::inputUserSelf*>(&input) != nullptr) {
    if (absl::Status s = RequireUser(context); !s.ok()) return s;
    return world.FindUser(context.user_id);
  }
  if (const auto* user = dynamic_cast<const api::inputUser*>(&input)) {
    UserRecord* record = world.FindUser(user->user_id);
    if (record == nullptr || record->access_hash != user->access_hash) {
      return BadRequest("USER_ID_INVALID");
    }
    return record;
  }
  return BadRequest("USER_ID_INVALID");
}

absl::StatusOr<PeerRef> ResolveInputPeer(const api::InputPeer& input, const CallContext& context,
                                         World& world) {
  if (dynamic_cast<const api::inputPeerSelf*>(&input) != nullptr) {
    if (absl::Status s = RequireUser(context); !s.ok()) return s;
    return PeerRef{PeerKind::kUser, context.user_id};
  }
  if (const auto* user = dynamic_cast<const api::inputPeerUser*>(&input)) {
    const UserRecord* record = world.FindUser(user->user_id);
    if (record == nullptr || record->access_hash != user->access_hash) {
      return BadRequest("PEER_ID_INVALID");
    }
    return PeerRef{PeerKind::kUser, record->id};
  }
  if (const auto* channel = dynamic_cast<const api::inputPeerChannel*>(&input)) {
    const ChannelRecord* record = world.FindChannel(channel->channel_id);
    if (record == nullptr || record->access_hash != channel->access_hash) {
      return BadRequest("PEER_ID_INVALID");
    }
    return PeerRef{PeerKind::kChannel, record->id};
  }
  if (const auto* chat = dynamic_cast<const api::inputPeerChat*>(&input)) {
    // A basic group is a peer of its members and former members (who keep their history); no
    // access hash.
    const ChatRecord* record = world.FindChat(chat->chat_id);
    if (record == nullptr) return BadRequest("CHAT_ID_INVALID");
    if (!record->Knows(context.user_id)) return BadRequest("PEER_ID_INVALID");
    return PeerRef{PeerKind::kChat, record->id};
  }
  return BadRequest("PEER_ID_INVALID");
}

absl::StatusOr<ChannelRecord*> ResolveInputChannel(const api::InputChannel& input, World& world) {
  if (const auto* channel = dynamic_cast<const api::inputChannel*>(&input)) {
    ChannelRecord* record = world.FindChannel(channel->channel_id);
    if (record != nullptr && record->access_hash == channel->access_hash) return record;
  }
  return BadRequest("CHANNEL_INVALID");
}

}  // namespace tgrpc::fakedc
