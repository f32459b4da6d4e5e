// FileService.DownloadFile on gRPC's callback API: the file's 512 KiB blocks are fetched with
// upload.getFile on the DC that holds the file, several in flight, and written to the caller in
// order with one write at a time; a block is fetched only while fewer than
// files::PartsInFlight(the account's max_sessions) are fetched or waiting to be written, so a
// slow reader holds the download back and memory stays bounded.
#ifndef TGRPC_SERVICE_API_FILE_DOWNLOAD_H_
#define TGRPC_SERVICE_API_FILE_DOWNLOAD_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "service/api/common.h"
#include "tgrpc/v1/file.pb.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

// The reactor of one DownloadFile call; it deletes itself when the call is done.
grpc::ServerWriteReactor<v1::DownloadFileResponse>* NewDownloadReactor(
    const ApiContext* api, grpc::CallbackServerContext* context,
    const v1::DownloadFileRequest* request);

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

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_FILE_DOWNLOAD_H_
