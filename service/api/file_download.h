// FileService.DownloadFile on gRPC's callback API: the file's 512 KiB blocks are fetched with
// upload.getFile on the DC that holds the file, several in flight, and written to the caller in
// order with one write at a time; a block is fetched only while fewer than
// files::PartsInFlight(the account's max_sessions) are fetched or waiting to be written, so a
// slow reader holds the download back and memory stays bounded.
#ifndef TGRPC_SERVICE_API_FILE_DOWNLOAD_H_
#define TGRPC_SERVICE_API_FILE_DOWNLOAD_H_

#include "grpcpp/grpcpp.h"
#include "service/api/common.h"
#include "service/api/file_source.h"
#include "tgrpc/v1/file.pb.h"

namespace tgrpc::service {

// The reactor of one DownloadFile call; it deletes itself when the call is done.
grpc::ServerWriteReactor<v1::DownloadFileResponse>* NewDownloadReactor(
    const ApiContext* api, grpc::CallbackServerContext* context,
    const v1::DownloadFileRequest* request);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_FILE_DOWNLOAD_H_
