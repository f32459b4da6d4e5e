// Photos in fakedc: an uploaded image sent with inputMediaUploadedPhoto or set with
// photos.uploadProfilePhoto becomes a photo (file_store.h: PhotoRecord), shown as
// messageMediaPhoto / userProfilePhoto / chatPhoto; upload.getFile serves documents, photos
// (inputPhotoFileLocation) and users' and chats' current photos (inputPeerPhotoFileLocation),
// checking file references as Telegram does.
//
// Simplification: Telegram recompresses an uploaded photo into JPEG sizes of several boxes
// (s 100, m 320, x 800, y 1280, w 2560 pixels); fakedc keeps the uploaded bytes unchanged as the
// photo's one size, typed by the smallest box that holds the dimensions read from its PNG or
// JPEG header (a larger image is "w" at its own size). So a download gives back the upload's
// bytes, and big and small peer photos are the same bytes.
#ifndef TGRPC_TESTS_FAKEDC_PHOTOS_H_
#define TGRPC_TESTS_FAKEDC_PHOTOS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tests/fakedc/methods.h"

namespace tgrpc::fakedc {

// Telegram's limit for a photo upload.
inline constexpr int64_t kMaxPhotoSize = 10 * 1024 * 1024;

// Width and height from a PNG IHDR or a JPEG SOF marker at the start of `image`; nullopt when it
// is neither (or the header is cut short).
std::optional<std::pair<int32_t, int32_t>> ImageDimensions(absl::string_view image);
// The size type of a w x h image: the smallest of s, m, x, y, w whose box holds it.
std::string PhotoSizeType(int32_t w, int32_t h);

// Makes a photo of the image in the file at `path` (kept there) on `dc_id`: 400
// IMAGE_PROCESS_FAILED when its header gives no dimensions, PHOTO_INVALID_DIMENSIONS when
// Telegram would refuse them (w + h over 10,000, or one side over 20 times the other).
absl::StatusOr<int64_t> AddPhotoFromFile(World& world, const std::string& path, int dc_id);
// Makes `photo_id` the current photo of a user, basic group or channel (a test's seed, or
// photos.uploadProfilePhoto's last step).
absl::Status SetPeerPhoto(World& world, const PeerRef& peer, int64_t photo_id);

// Joins the parts of an uploaded photo (inputMediaUploadedPhoto's file) into a photo; returns
// its id.
absl::StatusOr<int64_t> CommitUploadedPhoto(MethodEnv& env, const CallContext& context,
                                            const tl::api::InputFile& file);

// The photo messages.editChatPhoto / channels.editPhoto set: an uploaded one is made a photo,
// inputChatPhoto names an existing one (PHOTO_INVALID if unknown); 0 for inputChatPhotoEmpty.
// Video chat photos are not emulated (PHOTO_INVALID).
absl::StatusOr<int64_t> ChatPhotoOf(MethodEnv& env, const CallContext& context,
                                    const tl::api::InputChatPhoto& input);

// A photo as `photo` (with its current file reference).
tl::Ptr<tl::api::Photo> MakePhoto(World& world, int64_t photo_id);

// What upload.getFile reads for a location: the file's bytes on disk, its size and DC.
struct ServedFile {
  int64_t id = 0;  // counts parts toward its reference's lifetime; 0 for peer photos
  std::string path;
  int64_t size = 0;
  int dc_id = 0;
  int32_t date = 0;
};
// The file an upload.getFile location names, after Telegram's checks: FILE_ID_INVALID for an
// unknown id or access hash, FILE_REFERENCE_EXPIRED / FILE_REFERENCE_INVALID for a stale or
// made-up reference, LOCATION_INVALID for a peer photo that is not the peer's current one (fakedc's
// choice: Telegram does not document it) or a location of another kind.
absl::StatusOr<ServedFile> ResolveFileLocation(World& world, const CallContext& context,
                                               const tl::api::InputFileLocation& location);

// photos.uploadProfilePhoto (a photo file only; video avatars are not emulated).
void RegisterPhotoMethods(Dispatcher& dispatcher, MethodEnv& env);

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_PHOTOS_H_
