// The raw API (package tgrpc.raw.v1) as data: every constructor, boxed type and method of the
// pinned TL layer laid out as protobuf messages, oneof wrappers and RPCs, with field numbers
// taken from the committed lock file (lock.h). One model serves the .proto emitter
// (proto_emitter.h) and the converter between protobuf wire bytes and TL values (convert.h), so
// the files callers compile and the bytes tgrpcd reads agree by construction.
//
// The rules (docs/raw-api.md says them for callers):
//   - a constructor `inputPeerUser` is the message InputPeerUser, `messages.messages` is
//     MessagesMessages; a boxed type `InputPeer` is the message TypeInputPeer with one oneof
//     `value` holding one case per constructor (snake_case of the constructor's name), plus, for
//     InputPeer, InputUser and InputChannel, a case `ref` (a marked id or a username) that tgrpcd
//     completes with the access hash from its peer cache;
//   - a method `messages.getHistory` is the RPC MessagesService.GetHistory taking
//     MessagesGetHistoryRequest (field 1 `account`, the account's resource name, then the
//     method's parameters) and returning the wrapper of its result type; results that are a
//     Vector or a bare scalar get a message of their own (VectorUser, VectorLong, ResultBool);
//   - `#` fields are not emitted: a conditional field's presence sets its bit; a `true` flag is a
//     bool; a conditional scalar is proto3 `optional`; a conditional vector is present when not
//     empty (an empty one clears its bit, as mtcute's serializer does);
//   - int -> int32; long -> int64, except random-looking longs (named `hash`, ending in `_hash`,
//     or `random_id`), which are sfixed64 (8 bytes instead of a 10-byte varint for half of all
//     values); double -> double; bytes, int128, int256 -> bytes; Bool and `true` -> bool;
//     string -> string, with bytes that are not UTF-8 carried by the escape in convert.h;
//   - generic methods (invokeWithLayer and the other wrappers, {X:Type}) are not part of it:
//     tgrpcd wraps calls itself.
#ifndef TGRPC_TL_RAWAPI_MODEL_H_
#define TGRPC_TL_RAWAPI_MODEL_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tl/parser/schema.h"
#include "tl/rawapi/lock.h"

namespace tgrpc::tl::raw {

inline constexpr absl::string_view kPackage = "tgrpc.raw.v1";
// The request field naming the account, in every request message.
inline constexpr int kAccountField = 1;
// The oneof case of TypeInputPeer, TypeInputUser and TypeInputChannel that names a peer by
// marked id or username; above every number the lock hands out.
inline constexpr int kRefField = 1000;

enum class Scalar { kInt32, kInt64, kSfixed64, kDouble, kString, kBytes, kBool };

struct Field {
  std::string name;  // proto field name
  int number = 0;
  const Param* param = nullptr;  // the TL parameter; null for `account` and oneof cases
  // What one element holds: a scalar, or a message (by index into RawModel::messages()).
  bool is_message = false;
  Scalar scalar = Scalar::kInt32;
  int message = -1;
  // TL's form of an element: "int", "long", "int128", "int256", "string", "bytes", "double",
  // "Bool", "true", or a boxed type name.
  std::string tl_type;
  bool repeated = false;  // a Vector
  bool optional = false;  // proto3 `optional`: a conditional scalar
  // A oneof case of a wrapper: the constructor it holds (null for `ref`).
  const Combinator* constructor = nullptr;
};

struct Message {
  enum class Kind { kConstructor, kWrapper, kRequest, kVector, kScalarResult };
  Kind kind = Kind::kConstructor;
  std::string name;                        // "InputPeerUser" (without the package)
  const Combinator* combinator = nullptr;  // kConstructor, kRequest
  std::string tl_type;        // kWrapper: the boxed type; kVector, kScalarResult: the element type
  std::vector<Field> fields;  // schema order; a wrapper's are its oneof cases
  std::vector<std::pair<int, std::string>> reserved;  // numbers and names no longer used
  std::string file;                                   // "tgrpc/raw/v1/types.proto"

  const Field* ByNumber(int number) const;
};

struct Rpc {
  std::string service;  // "MessagesService"
  std::string method;   // "GetHistory"
  const Combinator* function = nullptr;
  int request = -1;  // message indexes
  int response = -1;
  std::string path() const;  // "/tgrpc.raw.v1.MessagesService/GetHistory"
};

class RawModel {
 public:
  // Lays out `schema` (which must outlive the model) with the numbers of `lock`. Fails, naming
  // what is missing, when the lock does not cover the schema (UpdateLock first).
  static absl::StatusOr<std::unique_ptr<RawModel>> Build(const Schema* schema, const Lock& lock);

  const std::vector<Message>& messages() const { return messages_; }
  const std::vector<Rpc>& rpcs() const { return rpcs_; }
  // .proto file names in dependency order, and the methods left out (generic wrappers).
  const std::vector<std::string>& files() const { return files_; }
  const std::vector<const Combinator*>& skipped_functions() const { return skipped_; }
  const Schema& schema() const { return *schema_; }

  const Message& message(int index) const { return messages_[index]; }
  const Message* ByName(absl::string_view name) const;  // without the package
  const Message* ForConstructor(const Combinator* c) const;
  const Message* WrapperOf(absl::string_view boxed_type) const;
  const Rpc* RpcByPath(absl::string_view path) const;
  const Rpc* RpcForFunction(absl::string_view tl_name) const;

 private:
  explicit RawModel(const Schema* schema) : schema_(schema) {}

  const Schema* schema_;
  std::vector<Message> messages_;
  std::vector<Rpc> rpcs_;
  std::vector<std::string> files_;
  std::vector<const Combinator*> skipped_;
  std::map<std::string, int, std::less<>> by_name_;
  std::map<const Combinator*, int> by_combinator_;
  std::map<std::string, int, std::less<>> rpc_by_path_, rpc_by_function_;
};

// Name helpers, shared with the emitter: "messages.getHistory" -> "MessagesGetHistory";
// "inputPeerUser" -> "input_peer_user"; "messages" -> "MessagesService".
std::string PascalCase(absl::string_view tl_name);
std::string SnakeCase(absl::string_view tl_name);

}  // namespace tgrpc::tl::raw

#endif  // TGRPC_TL_RAWAPI_MODEL_H_
