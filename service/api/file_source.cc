// Where a file to download is, and how to find it again: the location upload.getFile takes, read
// from a message's media or a FileLocation the caller kept, or fetched afresh (the message again,
// or a user's or chat's current photo) when Telegram says a file reference went stale.
#include "service/api/file_source.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "mtproto/net/rpc_status.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/utf8.h"
#include "service/telegram/peer_id.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;

// The largest of a photo's sizes (by area) that can be fetched: its type and bytes.
bool LargestPhotoSize(const api::photo& photo, std::string* type, int64_t* size) {
  int64_t best_area = -1;
  for (const auto& s : photo.sizes) {
    if (const auto* p = dynamic_cast<const api::photoSize*>(s.get())) {
      if (int64_t{p->w} * p->h > best_area) {
        best_area = int64_t{p->w} * p->h;
        *type = p->type;
        *size = p->size;
      }
    } else if (const auto* p = dynamic_cast<const api::photoSizeProgressive*>(s.get())) {
      if (int64_t{p->w} * p->h > best_area && !p->sizes.empty()) {
        best_area = int64_t{p->w} * p->h;
        *type = p->type;
        *size = p->sizes.back();  // the full image; the others are its prefixes
      }
    }
  }
  return best_area >= 0;
}

}  // namespace

absl::StatusOr<FileSource> FileSourceOf(const api::Message& message, absl::string_view field) {
  const auto* m = dynamic_cast<const api::message*>(&message);
  const api::MessageMedia* media = m != nullptr ? m->media.get() : nullptr;
  FileSource out;
  if (const auto* d = dynamic_cast<const api::messageMediaDocument*>(media)) {
    if (const auto* document = dynamic_cast<const api::document*>(d->document.get())) {
      auto location = std::make_unique<api::inputDocumentFileLocation>();
      location->id = document->id;
      location->access_hash = document->access_hash;
      location->file_reference = document->file_reference;
      out.location = std::move(location);
      out.dc = document->dc_id;
      out.size = document->size;
      out.info.set_type("document");
      out.info.set_id(document->id);
      out.info.set_mime_type(ValidUtf8(document->mime_type));
      for (const auto& attribute : document->attributes) {
        if (const auto* a = dynamic_cast<const api::documentAttributeFilename*>(attribute.get())) {
          out.info.set_file_name(ValidUtf8(a->file_name));
        }
      }
    }
  } else if (const auto* p = dynamic_cast<const api::messageMediaPhoto*>(media)) {
    const auto* photo = dynamic_cast<const api::photo*>(p->photo.get());
    std::string type;
    int64_t size = 0;
    if (photo != nullptr && LargestPhotoSize(*photo, &type, &size)) {
      auto location = std::make_unique<api::inputPhotoFileLocation>();
      location->id = photo->id;
      location->access_hash = photo->access_hash;
      location->file_reference = photo->file_reference;
      location->thumb_size = type;
      out.location = std::move(location);
      out.dc = photo->dc_id;
      out.size = size;
      out.info.set_type("photo");
      out.info.set_id(photo->id);
      out.info.set_mime_type("image/jpeg");
    }
  }
  if (out.location == nullptr) {
    return InvalidField(field, "the message has no photo or document");
  }
  out.info.set_dc_id(out.dc);
  out.info.set_size(out.size);
  return out;
}

absl::StatusOr<FileSource> FileSourceOf(const v1::FileLocation& location) {
  const std::string& type = location.type();
  if (!type.empty() && type != "document" && type != "photo") {
    return InvalidField("location.type", "\"document\" or \"photo\"");
  }
  if (location.id() == 0) return InvalidField("location.id", "required: Media.id");
  if (location.dc_id() <= 0 || location.dc_id() > 1000) {
    return InvalidField("location.dc_id", "required: Media.dc_id");
  }
  if (location.size() < 0) return InvalidField("location.size", "must not be negative");
  if (location.file_reference().size() > 1024) {
    return InvalidField("location.file_reference", "at most 1024 bytes");
  }
  FileSource out;
  if (type == "photo") {
    if (location.thumb_size().empty() || location.thumb_size().size() > 8) {
      return InvalidField("location.thumb_size", "required for a photo: 1-8 characters");
    }
    auto photo = std::make_unique<api::inputPhotoFileLocation>();
    photo->id = location.id();
    photo->access_hash = location.access_hash();
    photo->file_reference = location.file_reference();
    photo->thumb_size = location.thumb_size();
    out.location = std::move(photo);
  } else {
    auto document = std::make_unique<api::inputDocumentFileLocation>();
    document->id = location.id();
    document->access_hash = location.access_hash();
    document->file_reference = location.file_reference();
    out.location = std::move(document);
  }
  out.dc = location.dc_id();
  out.size = location.size();
  out.info.set_type(type.empty() ? "document" : type);
  out.info.set_id(location.id());
  out.info.set_dc_id(out.dc);
  out.info.set_size(out.size);
  return out;
}

MessageList ListOf(api::messages_Messages& result) {
  MessageList out;
  if (auto* m = dynamic_cast<api::messages_messages*>(&result)) {
    out = {&m->messages, &m->chats, &m->users, static_cast<int32_t>(m->messages.size())};
  } else if (auto* m = dynamic_cast<api::messages_messagesSlice*>(&result)) {
    out = {&m->messages, &m->chats, &m->users, m->count, m->next_rate.value_or(0)};
  } else if (auto* m = dynamic_cast<api::messages_channelMessages*>(&result)) {
    out = {&m->messages, &m->chats, &m->users, m->count};
  }
  return out;
}

void GetMessagesOf(Account& account, int64_t chat, std::vector<tl::Ptr<api::InputMessage>> ids,
                   absl::Time deadline, MessagesCallback done) {
  if (MarkedType(chat) == PeerType::kChannel) {
    absl::StatusOr<tl::Ptr<api::InputChannel>> channel = account.peers().InputChannel(chat);
    if (!channel.ok()) return done(channel.status());
    api::channels_getMessages get;
    get.channel = *std::move(channel);
    get.id = std::move(ids);
    account.invoker()->Call<api::channels_getMessages>(get, {deadline}, std::move(done));
    return;
  }
  api::messages_getMessages get;
  get.id = std::move(ids);
  account.invoker()->Call<api::messages_getMessages>(get, {deadline}, std::move(done));
}

void FetchMessage(std::shared_ptr<Account> account, int64_t chat, int32_t id, absl::Time deadline,
                  MessageCallback done) {
  std::vector<tl::Ptr<api::InputMessage>> ids;
  auto input = std::make_unique<api::inputMessageID>();
  input->id = id;
  ids.push_back(std::move(input));
  auto answer = [account, chat, id, done](absl::StatusOr<tl::Ptr<api::messages_Messages>> result) {
    if (!result.ok()) return done(result.status());
    MessageList list = ListOf(**result);
    if (list.messages != nullptr) {
      account->peers().AddUsers(*list.users);
      account->peers().AddChats(*list.chats);
      for (auto& message : *list.messages) {
        const auto* found = dynamic_cast<const api::message*>(message.get());
        if (found != nullptr && found->id == id && MarkedPeerId(found->peer_id.get()) == chat) {
          return done(std::move(message));
        }
      }
    }
    done(ServiceError(absl::StatusCode::kNotFound, "MESSAGE_NOT_FOUND",
                      absl::StrCat("message ", id, " does not exist or is not visible")));
  };
  GetMessagesOf(*account, chat, std::move(ids), deadline, std::move(answer));
}

void FetchMessageFile(std::shared_ptr<Account> account, int64_t chat, int32_t id,
                      absl::Time deadline, SourceCallback done) {
  FetchMessage(std::move(account), chat, id, deadline,
               [done](absl::StatusOr<tl::Ptr<api::Message>> message) {
                 if (!message.ok()) return done(message.status());
                 done(FileSourceOf(**message, "message"));
               });
}

// The current photo of a user or chat: its id and DC from users.getUsers / messages.getChats /
// channels.getChannels, as an inputPeerPhotoFileLocation. NOT_FOUND when it has none.
void FetchPeerPhoto(std::shared_ptr<Account> account, int64_t peer, bool big, absl::Time deadline,
                    SourceCallback done) {
  auto finish = [account, peer, big, done](int64_t photo_id, int dc) {
    if (photo_id == 0) {
      return done(ServiceError(absl::StatusCode::kNotFound, "PHOTO_NOT_FOUND",
                               "the user or chat has no photo"));
    }
    absl::StatusOr<tl::Ptr<api::InputPeer>> input =
        account->peers().InputPeer(peer, account->self_id());
    if (!input.ok()) return done(input.status());
    auto location = std::make_unique<api::inputPeerPhotoFileLocation>();
    location->big = big;
    location->peer = *std::move(input);
    location->photo_id = photo_id;
    FileSource out;
    out.location = std::move(location);
    out.dc = dc;
    out.info.set_type("peer_photo");
    out.info.set_id(photo_id);
    out.info.set_dc_id(dc);
    out.info.set_mime_type("image/jpeg");
    done(std::move(out));
  };
  auto from_chats = [account, peer, finish,
                     done](absl::StatusOr<tl::Ptr<api::messages_Chats>> result) {
    if (!result.ok()) return done(result.status());
    const std::vector<tl::Ptr<api::Chat>>* chats = nullptr;
    if (const auto* c = dynamic_cast<const api::messages_chats*>(result->get())) {
      chats = &c->chats;
    } else if (const auto* c = dynamic_cast<const api::messages_chatsSlice*>(result->get())) {
      chats = &c->chats;
    }
    if (chats == nullptr) return finish(0, 0);
    account->peers().AddChats(*chats);
    for (const auto& chat : *chats) {
      const api::ChatPhoto* photo = nullptr;
      if (const auto* c = dynamic_cast<const api::chat*>(chat.get());
          c && MarkChat(c->id) == peer) {
        photo = c->photo.get();
      } else if (const auto* c = dynamic_cast<const api::channel*>(chat.get());
                 c && MarkChannel(c->id) == peer) {
        photo = c->photo.get();
      }
      if (const auto* p = dynamic_cast<const api::chatPhoto*>(photo)) {
        return finish(p->photo_id, p->dc_id);
      }
    }
    finish(0, 0);
  };
  switch (MarkedType(peer)) {
    case PeerType::kUser: {
      absl::StatusOr<tl::Ptr<api::InputUser>> user =
          account->peers().InputUser(peer, account->self_id());
      if (!user.ok()) return done(user.status());
      api::users_getUsers get;
      get.id.push_back(*std::move(user));
      account->invoker()->Call<api::users_getUsers>(
          get, {deadline},
          [account, peer, finish, done](absl::StatusOr<std::vector<tl::Ptr<api::User>>> users) {
            if (!users.ok()) return done(users.status());
            account->peers().AddUsers(*users);
            for (const auto& u : *users) {
              const auto* user = dynamic_cast<const api::user*>(u.get());
              if (user == nullptr || MarkUser(user->id) != peer) continue;
              if (const auto* p = dynamic_cast<const api::userProfilePhoto*>(user->photo.get())) {
                return finish(p->photo_id, p->dc_id);
              }
            }
            finish(0, 0);
          });
      return;
    }
    case PeerType::kChat: {
      api::messages_getChats get;
      get.id.push_back(Unmark(peer));
      account->invoker()->Call<api::messages_getChats>(get, {deadline}, from_chats);
      return;
    }
    case PeerType::kChannel: {
      absl::StatusOr<tl::Ptr<api::InputChannel>> channel = account->peers().InputChannel(peer);
      if (!channel.ok()) return done(channel.status());
      api::channels_getChannels get;
      get.id.push_back(*std::move(channel));
      account->invoker()->Call<api::channels_getChannels>(get, {deadline}, from_chats);
      return;
    }
  }
}

// Whether Telegram's answer to upload.getFile means the location went stale: an expired (or
// otherwise refused) file reference, or, for a peer photo, a photo that is no longer current.
bool IsStaleLocation(const absl::Status& status, bool peer_photo) {
  std::optional<mtproto::session::RpcError> error = mtproto::net::RpcErrorOf(status);
  if (!error.has_value() || error->code != 400) return false;
  return absl::StartsWith(error->type, "FILE_REFERENCE_") ||
         (peer_photo && error->type == "LOCATION_INVALID");
}

}  // namespace tgrpc::service
