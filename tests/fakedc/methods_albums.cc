// Albums: messages.uploadMedia turns an uploaded photo or document into one a message can refer
// to, and messages.sendMultiMedia sends 1-10 such media as one group (core.telegram.org/api/files,
// "Albums"). Telegram takes only referenced media (inputMediaPhoto / inputMediaDocument) in an
// album, so clients upload each file with messages.uploadMedia first; fakedc refuses the
// inputMediaUploaded* constructors there with MEDIA_INVALID, so a client that skips the step
// fails here as it would against Telegram.
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/fakedc/entities.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/methods_messages_internal.h"
#include "tests/fakedc/photos.h"
#include "tests/fakedc/uploads.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

constexpr size_t kMaxAlbumItems = 10;

// What an album may mix (Telegram's rule, as its apps and TDLib state it): photos and videos
// together; documents only with documents; audio files only with audio files.
enum class AlbumKind { kVisual, kDocument, kAudio };

AlbumKind KindOfDocument(const DocumentRecord& document) {
  for (const std::string& bytes : document.attributes) {
    absl::StatusOr<tl::Ptr<api::DocumentAttribute>> attribute =
        tl::Decode<api::DocumentAttribute>(bytes);
    if (!attribute.ok()) continue;
    if (dynamic_cast<const api::documentAttributeVideo*>(attribute->get()) != nullptr) {
      return AlbumKind::kVisual;
    }
    if (dynamic_cast<const api::documentAttributeAudio*>(attribute->get()) != nullptr) {
      return AlbumKind::kAudio;
    }
  }
  return AlbumKind::kDocument;
}

// Telegram's file reference rule for media sent again: the reference must be current.
absl::Status CheckReference(World& world, int64_t file_id, const std::string& reference) {
  switch (world.files().Check(file_id, reference)) {
    case FileStore::ReferenceCheck::kValid:
      return absl::OkStatus();
    case FileStore::ReferenceCheck::kExpired:
      return BadRequest("FILE_REFERENCE_EXPIRED");
    case FileStore::ReferenceCheck::kInvalid:
      break;
  }
  return BadRequest(reference.empty() ? "FILE_REFERENCE_EMPTY" : "FILE_REFERENCE_INVALID");
}

// One album item resolved to the stored photo or document it sends.
struct AlbumItem {
  MessageRecord content;
  AlbumKind kind = AlbumKind::kVisual;
};

absl::StatusOr<AlbumItem> ResolveItem(World& world, const api::InputMedia* media) {
  AlbumItem item;
  if (const auto* photo = dynamic_cast<const api::inputMediaPhoto*>(media)) {
    const auto* input = dynamic_cast<const api::inputPhoto*>(photo->id.get());
    const PhotoRecord* record = input != nullptr ? world.files().FindPhoto(input->id) : nullptr;
    if (record == nullptr || record->access_hash != input->access_hash) {
      return BadRequest("MEDIA_INVALID");
    }
    if (absl::Status s = CheckReference(world, record->id, input->file_reference); !s.ok()) {
      return s;
    }
    item.content.photo_id = record->id;
    return item;
  }
  if (const auto* document = dynamic_cast<const api::inputMediaDocument*>(media)) {
    const auto* input = dynamic_cast<const api::inputDocument*>(document->id.get());
    const DocumentRecord* record = input != nullptr ? world.FindDocument(input->id) : nullptr;
    if (record == nullptr || record->access_hash != input->access_hash) {
      return BadRequest("MEDIA_INVALID");
    }
    if (absl::Status s = CheckReference(world, record->id, input->file_reference); !s.ok()) {
      return s;
    }
    item.content.document_id = record->id;
    item.kind = KindOfDocument(*record);
    return item;
  }
  // Uploaded media (messages.uploadMedia first), geo points, contacts, dice, polls ...
  return BadRequest("MEDIA_INVALID");
}

}  // namespace

void RegisterAlbumMethods(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.On<api::messages_uploadMedia>(
      [&env, &world](const api::messages_uploadMedia& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::MessageMedia>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        // Telegram's peer for bots may be inputPeerEmpty (inputPeerSelf for users).
        const UserRecord* caller = world.FindUser(context.user_id);
        const bool bot_without_peer =
            caller != nullptr && caller->bot &&
            dynamic_cast<const api::inputPeerEmpty*>(request.peer.get()) != nullptr;
        if (!bot_without_peer) {
          absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
          if (!peer.ok()) return peer.status();
        }
        MessageRecord stored;
        if (const auto* photo =
                dynamic_cast<const api::inputMediaUploadedPhoto*>(request.media.get());
            photo != nullptr && photo->file != nullptr) {
          absl::StatusOr<int64_t> committed = CommitUploadedPhoto(env, context, *photo->file);
          if (!committed.ok()) return committed.status();
          stored.photo_id = *committed;
        } else if (const auto* document =
                       dynamic_cast<const api::inputMediaUploadedDocument*>(request.media.get())) {
          absl::StatusOr<int64_t> committed = CommitUpload(env, context, *document);
          if (!committed.ok()) return committed.status();
          stored.document_id = *committed;
        } else {
          return BadRequest("MEDIA_INVALID");
        }
        // The media exactly as a message carrying it would show it.
        tl::Ptr<api::Message> message = MakeMessage(stored, world);
        auto& media = static_cast<api::message&>(*message).media;
        if (media == nullptr) return BadRequest("MEDIA_INVALID");
        return std::move(media);
      });
  d.On<api::messages_sendMultiMedia>(
      [&env, &world](const api::messages_sendMultiMedia& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
        if (!peer.ok()) return peer.status();
        if (request.multi_media.empty()) return BadRequest("MEDIA_EMPTY");
        if (request.multi_media.size() > kMaxAlbumItems) {
          return BadRequest("MULTI_MEDIA_TOO_LONG");
        }
        // Every item is checked before any is sent: an album goes out whole or not at all.
        absl::StatusOr<int32_t> topic = TopicOf(world, context, *peer, request.reply_to.get());
        if (!topic.ok()) return topic.status();
        std::vector<AlbumItem> items;
        std::set<int64_t> random_ids;
        for (const auto& single : request.multi_media) {
          const auto* input = dynamic_cast<const api::inputSingleMedia*>(single.get());
          if (input == nullptr || input->media == nullptr) return BadRequest("MEDIA_EMPTY");
          if (!random_ids.insert(input->random_id).second) {
            return BadRequest("RANDOM_ID_DUPLICATE");
          }
          absl::StatusOr<AlbumItem> item = ResolveItem(world, input->media.get());
          if (!item.ok()) return item.status();
          if (!items.empty() && item->kind != items.front().kind) {
            return BadRequest("MEDIA_INVALID");
          }
          absl::StatusOr<std::vector<std::string>> entities =
              StoredEntities(input->entities, input->message, context, world);
          if (!entities.ok()) return entities.status();
          item->content.text = input->message;
          item->content.entities = *std::move(entities);
          items.push_back(*std::move(item));
        }
        const int64_t grouped_id = world.RandomLong();
        // Each item is delivered as a message of its own (own id and pts, pushed to the other
        // side like sendMedia's); the answer gathers their updates into one.
        tl::Ptr<api::Updates> answer;
        for (size_t i = 0; i < items.size(); ++i) {
          items[i].content.grouped_id = grouped_id;
          items[i].content.topic_id = *topic;
          const auto& input = static_cast<const api::inputSingleMedia&>(*request.multi_media[i]);
          absl::StatusOr<tl::Ptr<api::Updates>> sent =
              Deliver(env, context, *peer, items[i].content, input.random_id);
          if (!sent.ok()) return sent.status();
          if (answer == nullptr) {
            answer = *std::move(sent);
            continue;
          }
          auto* into = dynamic_cast<api::updates*>(answer.get());
          auto* more = dynamic_cast<api::updates*>(sent->get());
          if (into == nullptr || more == nullptr) return TelegramError(500, "INTERNAL");
          for (auto& update : more->updates_) into->updates_.push_back(std::move(update));
        }
        return answer;
      });
}

}  // namespace tgrpc::fakedc
