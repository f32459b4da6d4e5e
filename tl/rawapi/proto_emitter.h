// The raw API's .proto files, written from the RawModel: one message per constructor (after its
// type's oneof wrapper), the request messages and service of each namespace, the TL line of each
// combinator as its comment, and `reserved` for every number and name the lock holds that the
// layer no longer uses.
#ifndef TGRPC_TL_RAWAPI_PROTO_EMITTER_H_
#define TGRPC_TL_RAWAPI_PROTO_EMITTER_H_

#include <map>
#include <string>

#include "tl/rawapi/comments.h"
#include "tl/rawapi/model.h"

namespace tgrpc::tl::raw {

// File name ("tgrpc/raw/v1/types.proto") -> contents, for every file of model.files(). With
// `comments`, Telegram's descriptions go on the messages, fields and RPCs.
std::map<std::string, std::string> EmitProtoFiles(const RawModel& model,
                                                  const Comments* comments = nullptr);

// The proto type of a field's element ("int64", "TypeInputPeer").
std::string ProtoType(const RawModel& model, const Field& field);

}  // namespace tgrpc::tl::raw

#endif  // TGRPC_TL_RAWAPI_PROTO_EMITTER_H_
