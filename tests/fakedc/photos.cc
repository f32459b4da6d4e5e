#include "tests/fakedc/photos.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "tests/fakedc/uploads.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;
namespace fs = std::filesystem;

uint32_t BigEndian(absl::string_view bytes, size_t at, size_t width) {
  uint32_t out = 0;
  for (size_t i = 0; i < width; ++i) out = (out << 8) | static_cast<uint8_t>(bytes[at + i]);
  return out;
}

// The dimensions in a JPEG's first SOF marker (any SOFn but DHT C4, JPG C8 and DAC CC).
std::optional<std::pair<int32_t, int32_t>> JpegDimensions(absl::string_view image) {
  size_t at = 2;  // after SOI
  while (at + 4 <= image.size()) {
    if (static_cast<uint8_t>(image[at]) != 0xFF) return std::nullopt;
    const uint8_t marker = static_cast<uint8_t>(image[at + 1]);
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      at += 2;  // markers without a length
      continue;
    }
    const uint32_t length = BigEndian(image, at + 2, 2);
    if (length < 2) return std::nullopt;
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      // length(2) precision(1) height(2) width(2)
      if (at + 9 > image.size()) return std::nullopt;
      const int32_t h = static_cast<int32_t>(BigEndian(image, at + 5, 2));
      const int32_t w = static_cast<int32_t>(BigEndian(image, at + 7, 2));
      return std::make_pair(w, h);
    }
    if (marker == 0xDA || marker == 0xD9) return std::nullopt;  // scan data before any SOF
    at += 2 + length;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::pair<int32_t, int32_t>> ImageDimensions(absl::string_view image) {
  static constexpr absl::string_view kPng("\x89PNG\r\n\x1a\n", 8);
  if (image.size() >= 24 && image.substr(0, 8) == kPng && image.substr(12, 4) == "IHDR") {
    const uint32_t w = BigEndian(image, 16, 4), h = BigEndian(image, 20, 4);
    if (w > 0x7fffffff || h > 0x7fffffff) return std::nullopt;
    return std::make_pair(static_cast<int32_t>(w), static_cast<int32_t>(h));
  }
  if (image.size() >= 4 && static_cast<uint8_t>(image[0]) == 0xFF &&
      static_cast<uint8_t>(image[1]) == 0xD8) {
    return JpegDimensions(image);
  }
  return std::nullopt;
}

std::string PhotoSizeType(int32_t w, int32_t h) {
  const int32_t side = std::max(w, h);
  if (side <= 100) return "s";
  if (side <= 320) return "m";
  if (side <= 800) return "x";
  if (side <= 1280) return "y";
  return "w";
}

absl::StatusOr<int64_t> AddPhotoFromFile(World& world, const std::string& path, int dc_id) {
  std::error_code error;
  const uintmax_t size = fs::file_size(path, error);
  if (error || size == 0) return BadRequest("PHOTO_FILE_MISSING");
  if (static_cast<int64_t>(size) > kMaxPhotoSize) return BadRequest("PHOTO_SAVE_FILE_INVALID");
  // A JPEG's SOF follows its APPn segments (EXIF, ICC: up to 64 KiB each); 256 KiB covers them.
  std::string header(std::min<uintmax_t>(size, 256 * 1024), '\0');
  std::ifstream in(path, std::ios::binary);
  in.read(header.data(), static_cast<std::streamsize>(header.size()));
  const std::optional<std::pair<int32_t, int32_t>> dimensions = ImageDimensions(header);
  if (!dimensions.has_value()) return BadRequest("IMAGE_PROCESS_FAILED");
  const auto [w, h] = *dimensions;
  if (w <= 0 || h <= 0 || int64_t{w} + h > 10000 || int64_t{w} > int64_t{h} * 20 ||
      int64_t{h} > int64_t{w} * 20) {
    return BadRequest("PHOTO_INVALID_DIMENSIONS");
  }
  PhotoRecord photo;
  photo.id = world.NewId();
  photo.access_hash = world.RandomLong();
  photo.date = world.Now();
  photo.dc_id = dc_id;
  photo.path = path;
  photo.type = PhotoSizeType(w, h);
  photo.w = w;
  photo.h = h;
  photo.size = static_cast<int64_t>(size);
  return world.files().AddPhoto(std::move(photo)).id;
}

absl::Status SetPeerPhoto(World& world, const PeerRef& peer, int64_t photo_id) {
  const PhotoRecord* photo = world.files().FindPhoto(photo_id);
  if (photo == nullptr) return BadRequest("PHOTO_INVALID");
  const PeerPhoto value{photo->id, photo->dc_id};
  switch (peer.kind) {
    case PeerKind::kUser:
      if (UserRecord* user = world.FindUser(peer.id)) {
        user->photo = value;
        user->profile_photos.insert(user->profile_photos.begin(), value.id);
        return absl::OkStatus();
      }
      break;
    case PeerKind::kChat:
      if (ChatRecord* chat = world.FindChat(peer.id)) {
        chat->photo = value;
        return absl::OkStatus();
      }
      break;
    case PeerKind::kChannel:
      if (ChannelRecord* channel = world.FindChannel(peer.id)) {
        channel->photo = value;
        return absl::OkStatus();
      }
      break;
  }
  return BadRequest("PEER_ID_INVALID");
}

absl::StatusOr<int64_t> CommitUploadedPhoto(MethodEnv& env, const CallContext& context,
                                            const api::InputFile& file) {
  const std::string path =
      (fs::path(env.files_dir) / absl::StrCat("photo-", env.world->NewId())).string();
  absl::StatusOr<JoinedUpload> joined = JoinUploadedParts(env, context, file, path, kMaxPhotoSize);
  if (!joined.ok()) {
    return ToRpcError(joined.status()).second == "FILE_PARTS_INVALID" &&
                   dynamic_cast<const api::inputFileBig*>(&file) != nullptr
               ? BadRequest("PHOTO_SAVE_FILE_INVALID")
               : joined.status();
  }
  absl::StatusOr<int64_t> photo =
      AddPhotoFromFile(*env.world, path, env.files_dc != 0 ? env.files_dc : context.dc_id);
  if (!photo.ok()) {
    std::error_code ignored;
    fs::remove(path, ignored);
  }
  return photo;
}

absl::StatusOr<int64_t> ChatPhotoOf(MethodEnv& env, const CallContext& context,
                                    const api::InputChatPhoto& input) {
  if (dynamic_cast<const api::inputChatPhotoEmpty*>(&input) != nullptr) return 0;
  if (const auto* uploaded = dynamic_cast<const api::inputChatUploadedPhoto*>(&input)) {
    if (uploaded->file == nullptr) return BadRequest("PHOTO_INVALID");
    return CommitUploadedPhoto(env, context, *uploaded->file);
  }
  if (const auto* existing = dynamic_cast<const api::inputChatPhoto*>(&input)) {
    const auto* id = dynamic_cast<const api::inputPhoto*>(existing->id.get());
    const PhotoRecord* photo = id != nullptr ? env.world->files().FindPhoto(id->id) : nullptr;
    if (photo == nullptr || photo->access_hash != id->access_hash) {
      return BadRequest("PHOTO_INVALID");
    }
    return photo->id;
  }
  return BadRequest("PHOTO_INVALID");
}

tl::Ptr<api::Photo> MakePhoto(World& world, int64_t photo_id) {
  const PhotoRecord* record = world.files().FindPhoto(photo_id);
  if (record == nullptr) {
    auto empty = std::make_unique<api::photoEmpty>();
    empty->id = photo_id;
    return empty;
  }
  auto out = std::make_unique<api::photo>();
  out->id = record->id;
  out->access_hash = record->access_hash;
  out->file_reference = world.files().Reference(record->id);
  out->date = record->date;
  out->dc_id = record->dc_id;
  auto size = std::make_unique<api::photoSize>();
  size->type = record->type;
  size->w = record->w;
  size->h = record->h;
  size->size = static_cast<int32_t>(record->size);
  out->sizes.push_back(std::move(size));
  return out;
}

absl::StatusOr<ServedFile> ResolveFileLocation(World& world, const CallContext& context,
                                               const api::InputFileLocation& location) {
  ServedFile out;
  const std::string* reference = nullptr;
  if (const auto* d = dynamic_cast<const api::inputDocumentFileLocation*>(&location)) {
    const DocumentRecord* doc = world.FindDocument(d->id);
    if (doc == nullptr || doc->access_hash != d->access_hash) return BadRequest("FILE_ID_INVALID");
    out = {doc->id, doc->path, doc->size, doc->dc_id, doc->date};
    reference = &d->file_reference;
  } else if (const auto* p = dynamic_cast<const api::inputPhotoFileLocation*>(&location)) {
    const PhotoRecord* photo = world.files().FindPhoto(p->id);
    if (photo == nullptr || photo->access_hash != p->access_hash) {
      return BadRequest("FILE_ID_INVALID");
    }
    // The one size fakedc keeps; Telegram would serve a smaller size it made.
    if (p->thumb_size != photo->type) return BadRequest("LOCATION_INVALID");
    out = {photo->id, photo->path, photo->size, photo->dc_id, photo->date};
    reference = &p->file_reference;
  } else if (const auto* peer_photo =
                 dynamic_cast<const api::inputPeerPhotoFileLocation*>(&location)) {
    if (peer_photo->peer == nullptr) return BadRequest("PEER_ID_INVALID");
    absl::StatusOr<PeerRef> peer = ResolveInputPeer(*peer_photo->peer, context, world);
    if (!peer.ok()) return peer.status();
    PeerPhoto current;
    if (peer->kind == PeerKind::kUser) {
      current = world.FindUser(peer->id)->photo;
    } else if (peer->kind == PeerKind::kChat) {
      current = world.FindChat(peer->id)->photo;
    } else {
      current = world.FindChannel(peer->id)->photo;
    }
    if (current.id == 0 || current.id != peer_photo->photo_id) {
      return BadRequest("LOCATION_INVALID");
    }
    const PhotoRecord* photo = world.files().FindPhoto(current.id);
    if (photo == nullptr) return BadRequest("LOCATION_INVALID");
    out = {0, photo->path, photo->size, photo->dc_id, photo->date};
  } else {
    return BadRequest("LOCATION_INVALID");
  }
  // Each DC serves its own files (on its main and media-only endpoints): a client is sent there
  // before its reference is looked at.
  if (out.dc_id != context.dc_id) return SeeOther("FILE", out.dc_id);
  if (reference != nullptr) {
    switch (world.files().Check(out.id, *reference)) {
      case FileStore::ReferenceCheck::kValid:
        break;
      case FileStore::ReferenceCheck::kExpired:
        return BadRequest("FILE_REFERENCE_EXPIRED");
      case FileStore::ReferenceCheck::kInvalid:
        return BadRequest(reference->empty() ? "FILE_REFERENCE_EMPTY" : "FILE_REFERENCE_INVALID");
    }
  }
  return out;
}

void RegisterPhotoMethods(Dispatcher& d, MethodEnv& env) {
  d.On<api::photos_uploadProfilePhoto>(
      [&env](const api::photos_uploadProfilePhoto& request,
             CallContext& context) -> absl::StatusOr<tl::Ptr<api::photos_Photo>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        if (request.bot != nullptr) return BadRequest("BOT_INVALID");  // bots' photos: not emulated
        if (request.file == nullptr) return BadRequest("PHOTO_FILE_MISSING");
        absl::StatusOr<int64_t> photo = CommitUploadedPhoto(env, context, *request.file);
        if (!photo.ok()) return photo.status();
        if (absl::Status s = SetPeerPhoto(*env.world, {PeerKind::kUser, context.user_id}, *photo);
            !s.ok()) {
          return s;
        }
        auto out = std::make_unique<api::photos_photo>();
        out->photo = MakePhoto(*env.world, *photo);
        if (const UserRecord* self = env.world->FindUser(context.user_id)) {
          out->users.push_back(MakeUser(*self, context.user_id));
        }
        return tl::Ptr<api::photos_Photo>(std::move(out));
      });
}

}  // namespace tgrpc::fakedc
