// JSON form of TL values: {"_": "<constructor or method>", "<field>": value, ...} with the
// schema's field names; int and double as numbers, long as a decimal string, string as a JSON
// string, bytes / int128 / int256 as base64, Bool and `true` flags as booleans, vectors as arrays.
// Absent optional fields are left out; flags words are computed, never written.
#ifndef TGRPC_TL_DYNAMIC_JSON_H_
#define TGRPC_TL_DYNAMIC_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tl/dynamic/value.h"

namespace tgrpc::tl {

// Serializes `v` (whose type is `type`) as compact JSON text.
std::string ToJson(const Value& v, const TypeRef& type);
// A boxed object or function.
std::string ObjectToJson(const Value& v);

// Parses JSON text into a value of `type` (a type expression such as "Updates" or
// "Vector<User>"; "Object" / "Function" accept any constructor / method).
absl::StatusOr<Value> FromJson(const Schema& schema, absl::string_view json,
                               absl::string_view type);

}  // namespace tgrpc::tl

#endif  // TGRPC_TL_DYNAMIC_JSON_H_
