// FileService: UploadFile (file_upload.cc) and DownloadFile (file_download.cc), each a reactor
// of gRPC's callback API that moves 512 KiB parts with several in flight and memory bounded by
// them (file_parts.h).
#include "service/api/file_download.h"
#include "service/api/file_upload.h"
#include "service/api/services.h"

namespace tgrpc::service {

grpc::ServerReadReactor<grpc::ByteBuffer>* FileServiceImpl::UploadFile(
    grpc::CallbackServerContext* context, grpc::ByteBuffer* response) {
  return NewUploadReactor(api_, context, response);
}

grpc::ServerWriteReactor<v1::DownloadFileResponse>* FileServiceImpl::DownloadFile(
    grpc::CallbackServerContext* context, const v1::DownloadFileRequest* request) {
  return NewDownloadReactor(api_, context, request);
}

}  // namespace tgrpc::service
