// MessageService.SendMedia: a file uploaded with FileService.UploadFile sent as a document (with
// its name, mime type and video or audio attributes) or a photo, with a caption parsed like
// SendMessage's text.
//
// The caption's parsing, the entities' conversion to TL and finding the sent message in the
// answer follow the rules of message_service.cc's SendMessage helpers (kept in its unnamed
// namespace), written again here for captions; moving both into one shared file is left for a
// change that may touch message_service.cc.
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mtproto/crypto/random_source.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/file_parts.h"
#include "service/api/media_input.h"
#include "service/api/message_text.h"
#include "service/api/services.h"
#include "service/text/formatting.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace api = tl::api;

absl::Status CheckSendMedia(const v1::SendMediaRequest& request) {
  if (request.caption().size() > 64 * 1024) return InvalidField("caption", "longer than 64 KiB");
  if (request.request_id().size() > 128) {
    return InvalidField("request_id", "at most 128 characters");
  }
  if (request.reply_to_message_id() < 0) {
    return InvalidField("reply_to_message_id", "must not be negative");
  }
  if (request.topic_id() < 0) return InvalidField("topic_id", "must not be negative");
  if (!v1::SendMediaRequest::Kind_IsValid(request.kind())) {
    return InvalidField("kind", "DOCUMENT or PHOTO");
  }
  if (!request.has_file()) return InvalidField("file", "required: UploadFile's answer");
  const v1::UploadedFile& file = request.file();
  absl::StatusOr<std::string> owner = ParseAccountName(file.account(), "file.account");
  if (!owner.ok()) return owner.status();
  absl::StatusOr<ChildName> parent = ParseChildName(request.parent(), "parent", "chats");
  if (!parent.ok()) return parent.status();
  if (*owner != parent->account) {
    return InvalidField("file.account", "the file was uploaded by another account than parent's");
  }
  if (file.file_id() == 0) return InvalidField("file.file_id", "required");
  if (file.size() <= 0 || file.size() > files::kMaxPremiumFileSize) {
    return InvalidField("file.size", "1 byte to 4000 MiB");
  }
  if (file.parts() != files::PartCount(file.size())) {
    return InvalidField("file.parts", "does not match file.size: pass UploadFile's answer");
  }
  if (file.big() != files::IsBigFile(file.size())) {
    return InvalidField("file.big", "does not match file.size: pass UploadFile's answer");
  }
  if (file.file_name().size() > 255 || request.file_name().size() > 255) {
    return InvalidField("file_name", "at most 255 bytes");
  }
  if (request.mime_type().size() > 255) return InvalidField("mime_type", "at most 255 bytes");
  if (request.has_video() && request.has_audio()) {
    return InvalidField("audio", "at most one of video and audio");
  }
  if (request.kind() == v1::SendMediaRequest::PHOTO) {
    if (file.size() > files::kMaxPhotoSize) {
      return InvalidField("kind", "a photo is at most 10 MiB: send it as a DOCUMENT");
    }
    if (request.has_video() || request.has_audio() || request.force_file()) {
      return InvalidField("kind", "video, audio and force_file are for documents");
    }
  }
  if (request.video().duration() < 0 || request.audio().duration() < 0) {
    return InvalidField(request.has_video() ? "video.duration" : "audio.duration",
                        "must not be negative");
  }
  return absl::OkStatus();
}

tl::Ptr<api::InputFile> InputFileOf(const v1::UploadedFile& uploaded) {
  if (uploaded.big()) {
    auto big = std::make_unique<api::inputFileBig>();
    big->id = uploaded.file_id();
    big->parts = uploaded.parts();
    big->name = uploaded.file_name();
    return big;
  }
  auto small = std::make_unique<api::inputFile>();
  small->id = uploaded.file_id();
  small->parts = uploaded.parts();
  small->name = uploaded.file_name();
  small->md5_checksum = uploaded.md5_checksum();
  return small;
}

tl::Ptr<api::InputMedia> MediaOf(const v1::SendMediaRequest& request) {
  const v1::UploadedFile& uploaded = request.file();
  tl::Ptr<api::InputFile> file = InputFileOf(uploaded);
  if (request.kind() == v1::SendMediaRequest::PHOTO) {
    auto photo = std::make_unique<api::inputMediaUploadedPhoto>();
    photo->file = std::move(file);
    photo->spoiler = request.spoiler();
    return photo;
  }
  auto document = std::make_unique<api::inputMediaUploadedDocument>();
  document->file = std::move(file);
  document->mime_type =
      request.mime_type().empty() ? "application/octet-stream" : request.mime_type();
  document->force_file = request.force_file();
  document->spoiler = request.spoiler();
  auto name = std::make_unique<api::documentAttributeFilename>();
  name->file_name = request.file_name().empty() ? uploaded.file_name() : request.file_name();
  document->attributes.push_back(std::move(name));
  if (request.has_video()) {
    auto video = std::make_unique<api::documentAttributeVideo>();
    video->duration = request.video().duration();
    video->w = request.video().width();
    video->h = request.video().height();
    video->supports_streaming = request.video().supports_streaming();
    video->round_message = request.video().round();
    document->attributes.push_back(std::move(video));
  } else if (request.has_audio()) {
    auto audio = std::make_unique<api::documentAttributeAudio>();
    audio->duration = request.audio().duration();
    audio->voice = request.audio().voice();
    if (!request.audio().title().empty()) audio->title = request.audio().title();
    if (!request.audio().performer().empty()) audio->performer = request.audio().performer();
    document->attributes.push_back(std::move(audio));
  }
  return document;
}

grpc::ServerUnaryReactor* MessageServiceImpl::SendMedia(grpc::CallbackServerContext* context,
                                                        const v1::SendMediaRequest* request,
                                                        v1::Message* response) {
  auto* reactor = context->DefaultReactor();
  // The caller first: one without a valid token learns nothing from how its request is checked.
  absl::StatusOr<std::string> caller = Authenticate(*context, *api_);
  if (!caller.ok()) return Finish(reactor, caller.status()), reactor;
  if (absl::Status s = CheckSendMedia(*request); !s.ok()) return Finish(reactor, s), reactor;
  auto caption = std::make_shared<absl::StatusOr<text::FormattedText>>(
      ParseFormattedText(request->caption(), request->entities(), request->parse_mode(), "caption",
                         kMaxCaptionLength, /*allow_empty=*/true));
  if (!caption->ok()) return Finish(reactor, caption->status()), reactor;
  const absl::Time deadline = CallDeadline(*context, *api_);
  // A retry of a request_id answered before gets that answer.
  std::string key;
  if (!request->request_id().empty() && api_->requests != nullptr) {
    absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
    if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
    key = RequestKey(*tenant, ParseChildName(request->parent(), "parent", "chats")->account,
                     "SendMedia", request->request_id());
    if (std::optional<std::string> answer = api_->requests->Find(key);
        answer.has_value() && response->ParseFromString(*answer)) {
      return Finish(reactor, absl::OkStatus()), reactor;
    }
  }
  auto copy = std::make_shared<const v1::SendMediaRequest>(*request);
  RequestCache* cache = api_->requests;
  OnResolvedName(*api_, context, reactor, request->parent(), "parent", "chats", "",
                 [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
                   absl::StatusOr<std::vector<tl::Ptr<api::MessageEntity>>> entities =
                       EntitiesToTl((*caption)->entities, *account);
                   if (!entities.ok()) return Finish(reactor, entities.status());
                   api::messages_sendMedia send;
                   send.peer = std::move(peer.input);
                   send.media = MediaOf(*copy);
                   send.message = (*caption)->text;
                   send.random_id = RandomIdFor(copy->request_id(), account->id(), "media");
                   if (!entities->empty()) send.entities = *std::move(entities);
                   send.silent = copy->silent();
                   if (copy->reply_to_message_id() != 0 || copy->topic_id() != 0) {
                     auto reply = std::make_unique<api::inputReplyToMessage>();
                     reply->reply_to_msg_id = copy->reply_to_message_id() != 0
                                                  ? copy->reply_to_message_id()
                                                  : copy->topic_id();
                     if (copy->topic_id() != 0) reply->top_msg_id = copy->topic_id();
                     send.reply_to = std::move(reply);
                   }
                   const int64_t random_id = send.random_id;
                   const int64_t marked_chat = peer.marked_id;
                   account->invoker()->Call<api::messages_sendMedia>(
                       send, {deadline}, [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
                         if (!result.ok()) return Finish(reactor, result.status());
                         account->peers().AddFromUpdates(**result);
                         absl::StatusOr<v1::Message> message = MessageFromUpdates(
                             **result, random_id, *account, marked_chat, &**caption);
                         if (message.ok()) *response = *std::move(message);
                         if (message.ok() && !key.empty()) {
                           cache->Store(key, response->SerializeAsString());
                         }
                         Finish(reactor, message.status());
                       });
                 });
  return reactor;
}

}  // namespace tgrpc::service
