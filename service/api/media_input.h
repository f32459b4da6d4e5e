// What SendMedia, SendAlbum and UpdateChat's photo share: the checks of an uploaded file's send
// options and the InputMedia they make (media_service.cc), so an album item is checked and sent
// exactly as a SendMedia of the same file would be.
#ifndef TGRPC_SERVICE_API_MEDIA_INPUT_H_
#define TGRPC_SERVICE_API_MEDIA_INPUT_H_

#include "absl/status/status.h"
#include "tgrpc/v1/message.pb.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

// UTF-16 units; Telegram allows 1024 without Premium and says MEDIA_CAPTION_TOO_LONG.
inline constexpr int kMaxCaptionLength = 4096;

// INVALID_ARGUMENT naming the field of `request` that cannot be sent (the file, its kind,
// attributes, name, options); the caption is parsed separately.
absl::Status CheckSendMedia(const v1::SendMediaRequest& request);

// UploadFile's answer as Telegram's InputFile (inputFileBig above 10 MiB).
tl::Ptr<tl::api::InputFile> InputFileOf(const v1::UploadedFile& uploaded);

// The uploaded file as messages.sendMedia's (or messages.uploadMedia's) InputMedia.
tl::Ptr<tl::api::InputMedia> MediaOf(const v1::SendMediaRequest& request);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_MEDIA_INPUT_H_
