// FileService.UploadFile on gRPC's callback API: the caller's chunks are cut into 512 KiB parts
// that go to Telegram several at a time (file_parts.h), and the next chunk is read only when a
// part may be sent, so a caller faster than Telegram is held back by gRPC's flow control and a
// transfer's memory stays bounded by the parts in flight.
#ifndef TGRPC_SERVICE_API_FILE_UPLOAD_H_
#define TGRPC_SERVICE_API_FILE_UPLOAD_H_

#include "grpcpp/grpcpp.h"
#include "service/api/common.h"
#include "tgrpc/v1/file.pb.h"

namespace tgrpc::service {

// The reactor of one UploadFile call, a raw method: UploadFileRequest messages in (read by
// upload_message.h), an UploadedFile out. It deletes itself when the call is done.
grpc::ServerReadReactor<grpc::ByteBuffer>* NewUploadReactor(const ApiContext* api,
                                                            grpc::CallbackServerContext* context,
                                                            grpc::ByteBuffer* response);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_FILE_UPLOAD_H_
