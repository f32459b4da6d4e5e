// The raw API in tgrpcd: every TL method of the pinned layer as a typed RPC of package
// tgrpc.raw.v1 (generated: proto/raw, docs/raw-api.md), served from the descriptors loaded at run
// time and tl/rawapi's converter between protobuf wire bytes and TL, with no C++ protobuf class
// for any raw type; plus tgrpc.v1.RawService.InvokeJson, any method as JSON.
//
// Each raw service is a grpc::Service built at start whose methods are raw (ByteBuffer) callback
// handlers, rather than one CallbackGenericService: registered services are what server
// reflection lists and what gRPC answers UNIMPLEMENTED for when a method does not exist.
//
// A raw call takes the path of a typed one: the caller's tenant and account (CallerAccount), the
// account's Invoker (session choice, FLOOD_WAIT policy, DC migration, retries, statistics, the
// update tap that puts every Updates result into the update log), errors mapped by errors.h with
// Telegram's details; the users and chats of its result go into the peer cache.
#ifndef TGRPC_SERVICE_API_RAW_SERVICE_H_
#define TGRPC_SERVICE_API_RAW_SERVICE_H_

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "service/api/common.h"
#include "tgrpc/v1/raw.grpc.pb.h"
#include "tl/dynamic/value.h"
#include "tl/rawapi/convert.h"
#include "tl/rawapi/model.h"

namespace tgrpc::service {

// The raw API as compiled in, built once: the pinned schema, the lock, the model and converter.
// The first call also adds the raw .proto files to protobuf's generated pool, so server
// reflection and the metrics' method labels know them; call it before the server starts.
class RawApi {
 public:
  static absl::StatusOr<const RawApi*> Get();

  const tl::raw::RawModel& model() const { return *model_; }
  const tl::raw::Converter& converter() const { return *converter_; }
  const tl::DynamicCodec& codec() const { return codec_; }

 private:
  RawApi(const tl::Schema* schema, std::unique_ptr<tl::raw::RawModel> model);

  std::unique_ptr<tl::raw::RawModel> model_;
  std::unique_ptr<tl::raw::Converter> converter_;
  tl::DynamicCodec codec_;
};

// Calls TL function `query` (a Value of `function`) on the account and answers its result as a
// Value of the function's result type, after putting the users and chats it carries into the peer
// cache.
void InvokeRaw(const RawApi& raw, std::shared_ptr<Account> account, const tl::Combinator& function,
               const tl::Value& query, absl::Time deadline,
               std::function<void(absl::StatusOr<tl::Value>)> done);

// One grpc::Service per raw service; `api` must outlive them.
absl::StatusOr<std::vector<std::unique_ptr<grpc::Service>>> MakeRawServices(const ApiContext* api);

class RawServiceImpl final : public v1::RawService::CallbackService {
 public:
  explicit RawServiceImpl(const ApiContext* api) : api_(api) {}
  grpc::ServerUnaryReactor* InvokeJson(grpc::CallbackServerContext* context,
                                       const v1::InvokeJsonRequest* request,
                                       v1::InvokeJsonResponse* response) override;

 private:
  const ApiContext* api_;
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_RAW_SERVICE_H_
