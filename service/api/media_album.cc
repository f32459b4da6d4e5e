// MessageService.SendAlbum: 2-10 photos, videos, documents or audio files sent as one album.
// Telegram takes only media it already knows in messages.sendMultiMedia (inputMediaPhoto /
// inputMediaDocument), so each uploaded file first goes through messages.uploadMedia, one at a
// time (an album is at most 10 items; the bytes are already on Telegram's side), and then the
// album is sent in one call whose random_ids come from the request_id, so a retry is one album
// for Telegram too.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/media_input.h"
#include "service/api/message_text.h"
#include "service/api/services.h"
#include "service/text/formatting.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;

constexpr int kMinAlbumItems = 2;
constexpr int kMaxAlbumItems = 10;

// What an album may mix (Telegram's rule, as its apps and TDLib state it): photos and videos
// together, documents only with documents, audio files only with audio files.
enum class AlbumKind { kUnknown, kVisual, kDocument, kAudio };

// An item with `file` as the SendMediaRequest that would send it alone.
v1::SendMediaRequest AsSendMedia(const std::string& parent,
                                 const v1::SendAlbumRequest::Item& item) {
  v1::SendMediaRequest out;
  out.set_parent(parent);
  *out.mutable_file() = item.file();
  out.set_kind(item.kind());
  out.set_caption(item.caption());
  *out.mutable_entities() = item.entities();
  out.set_parse_mode(item.parse_mode());
  out.set_mime_type(item.mime_type());
  out.set_file_name(item.file_name());
  if (item.has_video()) *out.mutable_video() = item.video();
  if (item.has_audio()) *out.mutable_audio() = item.audio();
  out.set_force_file(item.force_file());
  out.set_spoiler(item.spoiler());
  return out;
}

absl::StatusOr<AlbumKind> KindOf(const std::string& parent, const v1::SendAlbumRequest::Item& item,
                                 const std::string& field) {
  if (item.has_existing()) {
    const v1::FileLocation& existing = item.existing();
    absl::StatusOr<std::string> owner =
        ParseAccountName(existing.account(), absl::StrCat(field, ".existing.account"));
    if (!owner.ok()) return owner.status();
    if (*owner != ParseChildName(parent, "parent", "chats")->account) {
      return InvalidField(absl::StrCat(field, ".existing.account"),
                          "another account than parent's saw the file");
    }
    if (existing.id() == 0) return InvalidField(absl::StrCat(field, ".existing.id"), "required");
    if (existing.type() == "photo") return AlbumKind::kVisual;
    if (existing.type().empty() || existing.type() == "document") return AlbumKind::kUnknown;
    return InvalidField(absl::StrCat(field, ".existing.type"), "photo or document");
  }
  if (!item.has_file()) {
    return InvalidField(absl::StrCat(field, ".file"), "required: file or existing");
  }
  if (absl::Status s = CheckSendMedia(AsSendMedia(parent, item)); !s.ok()) {
    return PrefixField(s, absl::StrCat(field, "."));
  }
  if (item.kind() == v1::SendMediaRequest::PHOTO) return AlbumKind::kVisual;
  if (item.video().round() || item.audio().voice()) {
    return InvalidField(absl::StrCat(field, item.has_video() ? ".video.round" : ".audio.voice"),
                        "round videos and voice messages are not sent in albums");
  }
  if (item.has_video() && !item.force_file()) return AlbumKind::kVisual;
  if (item.has_audio()) return AlbumKind::kAudio;
  return AlbumKind::kDocument;
}

absl::Status CheckSendAlbum(const v1::SendAlbumRequest& request) {
  absl::StatusOr<ChildName> parent = ParseChildName(request.parent(), "parent", "chats");
  if (!parent.ok()) return parent.status();
  if (request.items_size() < kMinAlbumItems || request.items_size() > kMaxAlbumItems) {
    return InvalidField("items", "an album has 2-10 items");
  }
  if (request.request_id().size() > 128) {
    return InvalidField("request_id", "at most 128 characters");
  }
  if (request.reply_to_message_id() < 0) {
    return InvalidField("reply_to_message_id", "must not be negative");
  }
  if (request.topic_id() < 0) return InvalidField("topic_id", "must not be negative");
  AlbumKind album = AlbumKind::kUnknown;
  for (int i = 0; i < request.items_size(); ++i) {
    absl::StatusOr<AlbumKind> kind =
        KindOf(request.parent(), request.items(i), absl::StrCat("items[", i, "]"));
    if (!kind.ok()) return kind.status();
    if (*kind == AlbumKind::kUnknown) continue;
    if (album != AlbumKind::kUnknown && *kind != album) {
      return InvalidField("items",
                          "photos and videos may be mixed; documents go only with documents and "
                          "audio files only with audio files");
    }
    album = *kind;
  }
  return absl::OkStatus();
}

// An item Telegram has already seen, as sendMultiMedia's InputMedia.
tl::Ptr<api::InputMedia> ExistingMedia(const v1::FileLocation& existing, bool spoiler) {
  if (existing.type() == "photo") {
    auto photo = std::make_unique<api::inputPhoto>();
    photo->id = existing.id();
    photo->access_hash = existing.access_hash();
    photo->file_reference = existing.file_reference();
    auto media = std::make_unique<api::inputMediaPhoto>();
    media->id = std::move(photo);
    media->spoiler = spoiler;
    return media;
  }
  auto document = std::make_unique<api::inputDocument>();
  document->id = existing.id();
  document->access_hash = existing.access_hash();
  document->file_reference = existing.file_reference();
  auto media = std::make_unique<api::inputMediaDocument>();
  media->id = std::move(document);
  media->spoiler = spoiler;
  return media;
}

// messages.uploadMedia's answer as sendMultiMedia's InputMedia.
absl::StatusOr<tl::Ptr<api::InputMedia>> ReferenceTo(const api::MessageMedia& uploaded,
                                                     bool spoiler) {
  v1::FileLocation location;
  if (const auto* m = dynamic_cast<const api::messageMediaPhoto*>(&uploaded)) {
    if (const auto* photo = dynamic_cast<const api::photo*>(m->photo.get())) {
      location.set_type("photo");
      location.set_id(photo->id);
      location.set_access_hash(photo->access_hash);
      location.set_file_reference(photo->file_reference);
      return ExistingMedia(location, spoiler);
    }
  } else if (const auto* m = dynamic_cast<const api::messageMediaDocument*>(&uploaded)) {
    if (const auto* document = dynamic_cast<const api::document*>(m->document.get())) {
      location.set_type("document");
      location.set_id(document->id);
      location.set_access_hash(document->access_hash);
      location.set_file_reference(document->file_reference);
      return ExistingMedia(location, spoiler);
    }
  }
  return absl::DataLossError("messages.uploadMedia answered no photo or document");
}

// One SendAlbum call while its uploads and the send run.
struct AlbumCall {
  grpc::ServerUnaryReactor* reactor = nullptr;
  v1::SendAlbumResponse* response = nullptr;
  std::shared_ptr<const v1::SendAlbumRequest> request;
  std::vector<text::FormattedText> captions;
  absl::Time deadline;
  std::string cache_key;  // empty: no request_id
  RequestCache* cache = nullptr;
  std::shared_ptr<Account> account;
  std::string peer;  // the resolved InputPeer, serialized (each call takes its own copy)
  int64_t marked_chat = 0;
  std::vector<tl::Ptr<api::InputMedia>> media;  // per item, filled by the uploads
};

absl::StatusOr<tl::Ptr<api::InputPeer>> PeerOf(const AlbumCall& call) {
  return tl::Decode<api::InputPeer>(call.peer);
}

void SendAll(std::shared_ptr<AlbumCall> call) {
  const v1::SendAlbumRequest& request = *call->request;
  absl::StatusOr<tl::Ptr<api::InputPeer>> peer = PeerOf(*call);
  if (!peer.ok()) return Finish(call->reactor, peer.status());
  api::messages_sendMultiMedia send;
  send.peer = *std::move(peer);
  send.silent = request.silent();
  if (request.reply_to_message_id() != 0 || request.topic_id() != 0) {
    auto reply = std::make_unique<api::inputReplyToMessage>();
    reply->reply_to_msg_id =
        request.reply_to_message_id() != 0 ? request.reply_to_message_id() : request.topic_id();
    if (request.topic_id() != 0) reply->top_msg_id = request.topic_id();
    send.reply_to = std::move(reply);
  }
  std::vector<int64_t> random_ids;
  for (size_t i = 0; i < call->media.size(); ++i) {
    auto single = std::make_unique<api::inputSingleMedia>();
    single->media = std::move(call->media[i]);
    single->random_id =
        RandomIdFor(request.request_id(), call->account->id(), absl::StrCat("album/", i));
    single->message = call->captions[i].text;
    absl::StatusOr<std::vector<tl::Ptr<api::MessageEntity>>> entities =
        EntitiesToTl(call->captions[i].entities, *call->account);
    if (!entities.ok()) return Finish(call->reactor, entities.status());
    if (!entities->empty()) single->entities = *std::move(entities);
    random_ids.push_back(single->random_id);
    send.multi_media.push_back(std::move(single));
  }
  call->account->invoker()->Call<api::messages_sendMultiMedia>(
      send, {call->deadline}, [call, random_ids](absl::StatusOr<tl::Ptr<api::Updates>> result) {
        if (!result.ok()) return Finish(call->reactor, result.status());
        call->account->peers().AddFromUpdates(**result);
        for (size_t i = 0; i < random_ids.size(); ++i) {
          absl::StatusOr<v1::Message> message = MessageFromUpdates(
              **result, random_ids[i], *call->account, call->marked_chat, &call->captions[i]);
          if (!message.ok()) return Finish(call->reactor, message.status());
          *call->response->add_messages() = *std::move(message);
        }
        if (!call->cache_key.empty()) {
          call->cache->Store(call->cache_key, call->response->SerializeAsString());
        }
        Finish(call->reactor, absl::OkStatus());
      });
}

// Makes the items from `next` on referable (messages.uploadMedia for uploaded files), then sends.
void PrepareFrom(std::shared_ptr<AlbumCall> call, int next) {
  const v1::SendAlbumRequest& request = *call->request;
  for (; next < request.items_size(); ++next) {
    const v1::SendAlbumRequest::Item& item = request.items(next);
    if (item.has_existing()) {
      call->media[next] = ExistingMedia(item.existing(), item.spoiler());
      continue;
    }
    absl::StatusOr<tl::Ptr<api::InputPeer>> peer = PeerOf(*call);
    if (!peer.ok()) return Finish(call->reactor, peer.status());
    api::messages_uploadMedia upload;
    upload.peer = *std::move(peer);
    upload.media = MediaOf(AsSendMedia(request.parent(), item));
    call->account->invoker()->Call<api::messages_uploadMedia>(
        upload, {call->deadline}, [call, next](absl::StatusOr<tl::Ptr<api::MessageMedia>> result) {
          if (!result.ok()) return Finish(call->reactor, result.status());
          absl::StatusOr<tl::Ptr<api::InputMedia>> media =
              ReferenceTo(**result, call->request->items(next).spoiler());
          if (!media.ok()) return Finish(call->reactor, media.status());
          call->media[next] = *std::move(media);
          PrepareFrom(call, next + 1);
        });
    return;
  }
  SendAll(std::move(call));
}

}  // namespace

grpc::ServerUnaryReactor* MessageServiceImpl::SendAlbum(grpc::CallbackServerContext* context,
                                                        const v1::SendAlbumRequest* request,
                                                        v1::SendAlbumResponse* response) {
  auto* reactor = context->DefaultReactor();
  // The caller first: one without a valid token learns nothing from how its request is checked.
  absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
  if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
  if (absl::Status s = CheckSendAlbum(*request); !s.ok()) return Finish(reactor, s), reactor;
  auto call = std::make_shared<AlbumCall>();
  for (int i = 0; i < request->items_size(); ++i) {
    const v1::SendAlbumRequest::Item& item = request->items(i);
    absl::StatusOr<text::FormattedText> caption = ParseFormattedText(
        item.caption(), item.entities(), item.parse_mode(), absl::StrCat("items[", i, "].caption"),
        kMaxCaptionLength, /*allow_empty=*/true);
    if (!caption.ok()) return Finish(reactor, caption.status()), reactor;
    call->captions.push_back(*std::move(caption));
  }
  call->reactor = reactor;
  call->response = response;
  call->deadline = CallDeadline(*context, *api_);
  call->cache = api_->requests;
  // A retry of a request_id answered before gets that answer.
  if (!request->request_id().empty() && api_->requests != nullptr) {
    call->cache_key =
        RequestKey(*tenant, ParseChildName(request->parent(), "parent", "chats")->account,
                   "SendAlbum", request->request_id());
    if (std::optional<std::string> answer = api_->requests->Find(call->cache_key);
        answer.has_value() && response->ParseFromString(*answer)) {
      return Finish(reactor, absl::OkStatus()), reactor;
    }
  }
  call->request = std::make_shared<const v1::SendAlbumRequest>(*request);
  call->media.resize(request->items_size());
  OnResolvedName(*api_, context, reactor, request->parent(), "parent", "chats", "",
                 [call](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
                   absl::StatusOr<std::string> bytes = tl::Serialize(*peer.input);
                   if (!bytes.ok()) return Finish(call->reactor, bytes.status());
                   call->account = std::move(account);
                   call->peer = *std::move(bytes);
                   call->marked_chat = peer.marked_id;
                   PrepareFrom(call, 0);
                 });
  return reactor;
}

}  // namespace tgrpc::service
