#include "service/api/raw_service.h"

#include <deque>
#include <map>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "proto/raw/embedded.h"
#include "service/api/errors.h"
#include "service/api/tl_json.h"
#include "service/telegram/peer_id.h"
#include "tl/dynamic/json.h"
#include "tl/rawapi/lock.h"

namespace tgrpc::service {
namespace {

using tl::Value;
using tl::raw::Message;
using tl::raw::Rpc;

// Adds the raw .proto files to protobuf's generated pool. The pool keeps pointers to the bytes,
// so they are never freed; files already there are left alone.
absl::Status RegisterDescriptors() {
  google::protobuf::FileDescriptorSet set;
  const absl::string_view bytes = raw::RawApiDescriptorSet();
  if (!set.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InternalError("the compiled-in raw API descriptor set does not parse");
  }
  for (const google::protobuf::FileDescriptorProto& file : set.file()) {
    auto* kept = new std::string(file.SerializeAsString());
    google::protobuf::DescriptorPool::InternalAddGeneratedFile(kept->data(),
                                                               static_cast<int>(kept->size()));
  }
  return absl::OkStatus();
}

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  out.reserve(buffer.Length());
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

// Field 1 (`account`) of a request, read before the rest so that `ref` cases can be completed
// from that account's peer cache.
std::string AccountField(absl::string_view bytes) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  std::string account;
  while (uint32_t tag = in.ReadTag()) {
    if (tag == (static_cast<uint32_t>(tl::raw::kAccountField) << 3 | 2)) {
      uint32_t size = 0;
      if (!in.ReadVarint32(&size) || !in.ReadString(&account, static_cast<int>(size))) break;
      continue;
    }
    if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) break;
  }
  return account;
}

// A typed TL object as a Value of its boxed type.
absl::StatusOr<Value> AsValue(const RawApi& raw, const tl::Object& object, absl::string_view type) {
  absl::StatusOr<std::string> bytes = tl::Serialize(object);
  if (!bytes.ok()) return bytes.status();
  return raw.codec().Decode(*bytes, type);
}

Value Constructor(const RawApi& raw, absl::string_view name) {
  return Value::Object(raw.model().schema().ByName(name));
}

// A `ref` from what the account has seen: a marked id, "me", or a username.
absl::StatusOr<Value> RefFromCache(const RawApi& raw, Account& account, absl::string_view type,
                                   absl::string_view ref) {
  std::string name = absl::AsciiStrToLower(absl::StripPrefix(ref, "@"));
  if (name == "me" || name == "self") {
    if (type == "InputPeer") return Constructor(raw, "inputPeerSelf");
    if (type == "InputUser") return Constructor(raw, "inputUserSelf");
  }
  int64_t marked = 0;
  if (!absl::SimpleAtoi(name, &marked)) {
    std::optional<PeerRecord> record = account.peers().FindByUsername(name);
    if (!record.has_value()) {
      return absl::NotFoundError(absl::StrCat("ref: no peer @", name, " seen by the account"));
    }
    marked = record->peer_id;
  }
  if (type == "InputUser") {
    if (MarkedType(marked) != PeerType::kUser) {
      return InvalidField("ref", absl::StrCat(ref, " is not a user"));
    }
    auto input = account.peers().InputUser(marked, account.self_id());
    if (!input.ok()) return input.status();
    return AsValue(raw, **input, type);
  }
  if (type == "InputChannel") {
    if (MarkedType(marked) != PeerType::kChannel) {
      return InvalidField("ref", absl::StrCat(ref, " is not a channel (-100... or a username)"));
    }
    auto input = account.peers().InputChannel(marked);
    if (!input.ok()) return input.status();
    return AsValue(raw, **input, type);
  }
  auto input = account.peers().InputPeer(marked, account.self_id());
  if (!input.ok()) return input.status();
  return AsValue(raw, **input, type);
}

// The converter's INVALID_ARGUMENT about a field as the API's (BadRequest naming the field).
absl::Status WithFieldDetails(const absl::Status& status) {
  absl::optional<absl::Cord> path = status.GetPayload(tl::raw::kFieldPathPayload);
  if (!path.has_value() || status.code() != absl::StatusCode::kInvalidArgument) return status;
  const std::string field(*path);
  return InvalidField(field, absl::StripPrefix(status.message(), absl::StrCat(field, ": ")));
}

// Resolves `refs` one after the other (a username the cache lacks is asked of Telegram).
void ResolveRefs(std::shared_ptr<Account> account, std::vector<std::string> refs, size_t next,
                 absl::Time deadline, std::function<void(absl::Status)> done) {
  if (next == refs.size()) return done(absl::OkStatus());
  const std::string ref = refs[next];
  ResolveChat(account, ref, "ref", deadline,
              [account, refs = std::move(refs), next, deadline,
               done = std::move(done)](absl::StatusOr<ResolvedPeer> peer) mutable {
                if (!peer.ok()) return done(peer.status());
                ResolveRefs(account, std::move(refs), next + 1, deadline, std::move(done));
              });
}

// The request as a TL function. `ref` cases the cache cannot complete are resolved and the
// request converted again.
void ConvertRequest(const RawApi& raw, std::shared_ptr<Account> account, const Message& message,
                    std::shared_ptr<const std::string> bytes, absl::Time deadline, bool retried,
                    std::function<void(absl::StatusOr<Value>)> done) {
  std::vector<std::string> unknown;
  auto resolver = [&](absl::string_view type, absl::string_view ref) -> absl::StatusOr<Value> {
    absl::StatusOr<Value> value = RefFromCache(raw, *account, type, ref);
    if (value.ok() || retried || !absl::IsNotFound(value.status())) return value;
    unknown.emplace_back(ref);
    return Constructor(raw, type == "InputPeer"   ? "inputPeerEmpty"
                            : type == "InputUser" ? "inputUserEmpty"
                                                  : "inputChannelEmpty");
  };
  absl::StatusOr<Value> query = raw.converter().FromProto(message, *bytes, nullptr, resolver);
  if (!query.ok()) return done(WithFieldDetails(query.status()));
  if (unknown.empty()) return done(std::move(query));
  ResolveRefs(account, std::move(unknown), 0, deadline,
              [&raw, account, &message, bytes, deadline, done](absl::Status status) mutable {
                if (!status.ok()) return done(status);
                ConvertRequest(raw, account, message, bytes, deadline, true, std::move(done));
              });
}

// The users and chats anywhere in a result, into the peer cache (as typed answers do).
void CollectPeers(const RawApi& raw, const Value& v, std::vector<tl::Ptr<tl::api::User>>& users,
                  std::vector<tl::Ptr<tl::api::Chat>>& chats) {
  if (v.kind == Value::Kind::kVector) {
    for (const Value& item : v.items) CollectPeers(raw, item, users, chats);
    return;
  }
  if (v.kind != Value::Kind::kObject || v.ctor == nullptr) return;
  const std::string& type = v.ctor->result.name;
  if (type == "User" || type == "Chat") {
    absl::StatusOr<std::string> bytes = raw.codec().EncodeBoxed(v);
    if (!bytes.ok()) return;
    if (type == "User") {
      if (auto user = tl::Decode<tl::api::User>(*bytes); user.ok())
        users.push_back(*std::move(user));
    } else if (auto chat = tl::Decode<tl::api::Chat>(*bytes); chat.ok()) {
      chats.push_back(*std::move(chat));
    }
    return;
  }
  for (const auto& [name, field] : v.fields) CollectPeers(raw, field, users, chats);
}

class RawGrpcService final : public grpc::Service {
 public:
  RawGrpcService(const ApiContext* api, const RawApi* raw, std::vector<const Rpc*> rpcs)
      : api_(api), raw_(raw) {
    for (size_t i = 0; i < rpcs.size(); ++i) {
      paths_.push_back(rpcs[i]->path());  // a deque: the method keeps a pointer to the name
      AddMethod(new grpc::internal::RpcServiceMethod(
          paths_.back().c_str(), grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
      MarkMethodRawCallback(
          static_cast<int>(i),
          new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
              [this, rpc = rpcs[i]](grpc::CallbackServerContext* context,
                                    const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
                return Handle(*rpc, context, request, response);
              }));
    }
  }

 private:
  grpc::ServerUnaryReactor* Handle(const Rpc& rpc, grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    auto bytes = std::make_shared<const std::string>(Flatten(*request));
    absl::StatusOr<std::shared_ptr<Account>> account =
        CallerAccount(*api_, *context, AccountField(*bytes), "account");
    if (!account.ok()) return Finish(reactor, account.status()), reactor;
    const absl::Time deadline = CallDeadline(*context, *api_);
    const RawApi& raw = *raw_;
    const Message& request_message = raw.model().message(rpc.request);
    const Message& response_message = raw.model().message(rpc.response);
    ConvertRequest(
        raw, *account, request_message, bytes, deadline, false,
        [&raw, &rpc, &response_message, account = *account, deadline, reactor,
         response](absl::StatusOr<Value> query) {
          if (!query.ok()) return Finish(reactor, query.status());
          InvokeRaw(raw, account, *rpc.function, *query, deadline,
                    [&raw, &response_message, reactor, response](absl::StatusOr<Value> result) {
                      if (!result.ok()) return Finish(reactor, result.status());
                      absl::StatusOr<std::string> out =
                          raw.converter().ToProto(response_message, *result);
                      if (!out.ok())
                        return Finish(reactor, absl::DataLossError(out.status().message()));
                      grpc::Slice slice(*out);
                      *response = grpc::ByteBuffer(&slice, 1);
                      Finish(reactor, absl::OkStatus());
                    });
        });
    return reactor;
  }

  const ApiContext* api_;
  const RawApi* raw_;
  std::deque<std::string> paths_;
};

}  // namespace

RawApi::RawApi(const tl::Schema* schema, std::unique_ptr<tl::raw::RawModel> model)
    : model_(std::move(model)),
      converter_(std::make_unique<tl::raw::Converter>(model_.get())),
      codec_(schema) {}

absl::StatusOr<const RawApi*> RawApi::Get() {
  static const absl::StatusOr<const RawApi*> raw = []() -> absl::StatusOr<const RawApi*> {
    const tl::Schema* schema = PinnedApiSchema();
    if (schema == nullptr) return absl::InternalError("the compiled-in TL schema does not parse");
    absl::StatusOr<tl::raw::Lock> lock = tl::raw::ParseLock(raw::RawApiLock());
    if (!lock.ok()) return lock.status();
    absl::StatusOr<std::unique_ptr<tl::raw::RawModel>> model =
        tl::raw::RawModel::Build(schema, *lock);
    if (!model.ok()) return model.status();
    if (absl::Status s = RegisterDescriptors(); !s.ok()) return s;
    return new RawApi(schema, *std::move(model));
  }();
  return raw;
}

void InvokeRaw(const RawApi& raw, std::shared_ptr<Account> account, const tl::Combinator& function,
               const Value& query, absl::Time deadline,
               std::function<void(absl::StatusOr<Value>)> done) {
  absl::StatusOr<std::string> body = raw.codec().EncodeBoxed(query);
  if (!body.ok()) return done(absl::InvalidArgumentError(body.status().message()));
  std::shared_ptr<Invoker> invoker = account->invoker();
  if (invoker == nullptr) {
    return done(absl::FailedPreconditionError("the account has no connection to Telegram yet"));
  }
  invoker->Invoke(
      *std::move(body), function.name, InvokeOptions{deadline},
      [&raw, &function, account, done = std::move(done)](absl::StatusOr<std::string> result) {
        if (!result.ok()) return done(result.status());
        absl::StatusOr<Value> value = raw.codec().Decode(*result, function.result.ToString());
        if (!value.ok()) {
          return done(absl::DataLossError(absl::StrCat(
              function.name, ": the answer does not decode: ", value.status().message())));
        }
        std::vector<tl::Ptr<tl::api::User>> users;
        std::vector<tl::Ptr<tl::api::Chat>> chats;
        CollectPeers(raw, *value, users, chats);
        if (!users.empty()) account->peers().AddUsers(users);
        if (!chats.empty()) account->peers().AddChats(chats);
        done(std::move(value));
      });
}

absl::StatusOr<std::vector<std::unique_ptr<grpc::Service>>> MakeRawServices(const ApiContext* api) {
  absl::StatusOr<const RawApi*> raw = RawApi::Get();
  if (!raw.ok()) return raw.status();
  std::map<std::string, std::vector<const Rpc*>> by_service;
  for (const Rpc& rpc : (*raw)->model().rpcs()) by_service[rpc.service].push_back(&rpc);
  std::vector<std::unique_ptr<grpc::Service>> services;
  for (auto& [name, rpcs] : by_service) {
    services.push_back(std::make_unique<RawGrpcService>(api, *raw, std::move(rpcs)));
  }
  return services;
}

grpc::ServerUnaryReactor* RawServiceImpl::InvokeJson(grpc::CallbackServerContext* context,
                                                     const v1::InvokeJsonRequest* request,
                                                     v1::InvokeJsonResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> account =
      CallerAccount(*api_, *context, request->account(), "account");
  if (!account.ok()) return Finish(reactor, account.status()), reactor;
  absl::StatusOr<const RawApi*> raw = RawApi::Get();
  if (!raw.ok()) return Finish(reactor, raw.status()), reactor;
  absl::StatusOr<Value> query =
      tl::FromJson((*raw)->model().schema(), request->query_json(), "Function");
  if (!query.ok())
    return Finish(reactor, InvalidField("query_json", query.status().message())), reactor;
  const tl::Combinator& function = *query->ctor;
  if (!tl::raw::InRawApi(function)) {
    return Finish(reactor, InvalidField("query_json", absl::StrCat(function.name,
                                                                   " is a wrapper tgrpcd applies "
                                                                   "itself"))),
           reactor;
  }
  InvokeRaw(**raw, *account, function, *query, CallDeadline(*context, *api_),
            [&function, reactor, response](absl::StatusOr<Value> result) {
              if (!result.ok()) return Finish(reactor, result.status());
              response->set_method(function.name);
              response->set_result_json(tl::ToJson(*result, function.result));
              Finish(reactor, absl::OkStatus());
            });
  return reactor;
}

}  // namespace tgrpc::service
