// Protobuf wire bytes of the raw API <-> TL values (tl/dynamic/value.h), driven by the RawModel,
// so no C++ protobuf classes exist for the raw types. Requests come in as bytes of a request
// message and leave as a TL function Value (then DynamicCodec's binary form); results come back
// as a TL Value of the method's result type and leave as bytes of the response message.
//
// Caller mistakes are INVALID_ARGUMENT naming the field by its path
// ("peer.input_peer_user.user_id"): a wire type that does not match the field, an unknown oneof
// case, a wrapper with no case set where a value is required, an int128 / int256 of the wrong
// size, a value over the size limit, bytes that do not parse. Unknown fields are skipped, as
// protobuf does. A TL value that does not fit the model (a result of another layer) is DATA_LOSS.
//
// Strings: proto3 strings must be UTF-8, TL strings need not be. A TL string is carried as is
// when it is valid UTF-8 and contains no code point of U+10FD00..U+10FDFF; otherwise every byte
// that is not part of such a valid sequence, and every byte of such a code point, is written as
// the code point U+10FD00 + byte. The way in maps every code point of that range back to its
// byte, so any TL string survives the round trip and ordinary text is untouched.
#ifndef TGRPC_TL_RAWAPI_CONVERT_H_
#define TGRPC_TL_RAWAPI_CONVERT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tl/dynamic/value.h"
#include "tl/rawapi/model.h"

namespace tgrpc::tl::raw {

// An INVALID_ARGUMENT about a field carries the field's path (as in its message) in this payload,
// for the caller's BadRequest details.
inline constexpr absl::string_view kFieldPathPayload = "type.tgrpc.dev/tgrpc.raw.FieldPath";

// Completes a `ref` case: `boxed_type` is "InputPeer", "InputUser" or "InputChannel", `ref` what
// the caller gave (a marked id or a username). Returns the object (inputPeerUser, ...).
using RefResolver =
    std::function<absl::StatusOr<Value>(absl::string_view boxed_type, absl::string_view ref)>;

struct ConvertLimits {
  int max_depth = 64;                 // nested messages
  size_t max_bytes_field = 64 << 20;  // one string / bytes value
  size_t max_repeated = 1 << 20;      // elements of one repeated field
};

class Converter {
 public:
  // `model` must outlive the converter.
  explicit Converter(const RawModel* model, ConvertLimits limits = {});

  // Bytes of message `message` -> a TL object of its combinator (a function for a request; the
  // request's `account` goes to `account` when set). Without a resolver a `ref` case is
  // INVALID_ARGUMENT.
  absl::StatusOr<Value> FromProto(const Message& message, absl::string_view bytes,
                                  std::string* account = nullptr,
                                  const RefResolver& resolve = nullptr) const;
  // A TL value -> bytes of `message`: a constructor's object for kConstructor, any constructor of
  // the type for kWrapper, a vector for kVector, a scalar for kScalarResult; a function object for
  // kRequest (with `account` in field 1).
  absl::StatusOr<std::string> ToProto(const Message& message, const Value& value,
                                      absl::string_view account = {}) const;

  // The string escape, both ways (exposed for tests and the emitter's docs).
  static std::string EscapeString(absl::string_view tl);
  static std::string UnescapeString(absl::string_view proto);

  // Each message's fields by number and in schema order, with what each element is, worked out
  // once so the conversions compare no type names (convert.cc).
  struct Plans;

 private:
  const RawModel* model_;
  ConvertLimits limits_;
  std::shared_ptr<const Plans> plans_;
};

}  // namespace tgrpc::tl::raw

#endif  // TGRPC_TL_RAWAPI_CONVERT_H_
