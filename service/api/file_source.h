// Where a file to download is (DownloadFile, file_download.h): the location upload.getFile takes,
// its DC and size, from a message's media or a FileLocation the caller kept; and, when Telegram
// says a location went stale (an expired file reference), how to read it again. Also the message
// fetch that needs, which MessageService.GetMessages and bot callbacks share.
#ifndef TGRPC_SERVICE_API_FILE_SOURCE_H_
#define TGRPC_SERVICE_API_FILE_SOURCE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/telegram/account.h"
#include "tgrpc/v1/file.pb.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

// Where a message's file is: its location for upload.getFile, its DC and size, and what the
// first response tells about it. A photo is fetched in its largest size.
struct FileSource {
  tl::Ptr<tl::api::InputFileLocation> location;
  int dc = 0;
  int64_t size = 0;  // 0: not known
  v1::DownloadFileResponse::FileInfo info;
};
// INVALID_ARGUMENT naming `field` when the message has no photo or document.
absl::StatusOr<FileSource> FileSourceOf(const tl::api::Message& message, absl::string_view field);
// A FileLocation as the caller gave it (checked).
absl::StatusOr<FileSource> FileSourceOf(const v1::FileLocation& location);

// A messages.Messages answer, whichever constructor; null vectors for messagesNotModified.
struct MessageList {
  std::vector<tl::Ptr<tl::api::Message>>* messages = nullptr;
  std::vector<tl::Ptr<tl::api::Chat>>* chats = nullptr;
  std::vector<tl::Ptr<tl::api::User>>* users = nullptr;
  int32_t count = 0;
  int32_t next_rate = 0;
};
MessageList ListOf(tl::api::messages_Messages& result);

using MessagesCallback = std::function<void(absl::StatusOr<tl::Ptr<tl::api::messages_Messages>>)>;

// Messages `ids` of chat `chat` (a marked id): channels.getMessages in a channel (NOT_FOUND when
// the account has not seen it), else messages.getMessages, which looks in every private chat and
// basic group: the caller keeps the named chat's.
void GetMessagesOf(Account& account, int64_t chat, std::vector<tl::Ptr<tl::api::InputMessage>> ids,
                   absl::Time deadline, MessagesCallback done);

using MessageCallback = std::function<void(absl::StatusOr<tl::Ptr<tl::api::Message>>)>;

// Message `id` of chat `chat` (a marked id): messages.getMessages, or channels.getMessages in a
// channel; the answer's users and chats go to the account's peers. NOT_FOUND (MESSAGE_NOT_FOUND)
// when it is not there (messages.getMessages looks in every private chat and basic group: the
// message must be the named chat's).
void FetchMessage(std::shared_ptr<Account> account, int64_t chat, int32_t id, absl::Time deadline,
                  MessageCallback done);

using SourceCallback = std::function<void(absl::StatusOr<FileSource>)>;

// The message `id` in the chat `chat` (a marked id), and its file. NOT_FOUND (MESSAGE_NOT_FOUND)
// when it is not there.
void FetchMessageFile(std::shared_ptr<Account> account, int64_t chat, int32_t id,
                      absl::Time deadline, SourceCallback done);

// The current photo of a user or chat (a marked id), as an inputPeerPhotoFileLocation.
// NOT_FOUND (PHOTO_NOT_FOUND) when it has none.
void FetchPeerPhoto(std::shared_ptr<Account> account, int64_t peer, bool big, absl::Time deadline,
                    SourceCallback done);

// Whether Telegram's answer to upload.getFile means the location went stale: an expired (or
// otherwise refused) file reference, or, for a peer photo, a photo that is no longer current.
bool IsStaleLocation(const absl::Status& status, bool peer_photo);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_FILE_SOURCE_H_
