// The raw API's lock file (tl/schema/raw_api.lock): the field number of every (combinator,
// parameter) and the oneof case number of every (boxed type, constructor) ever published. The
// generator only appends to it: a new parameter or constructor gets a number above every number
// its message ever used, a combinator renamed under the same id inherits its old numbers, and
// nothing is ever taken out, so what a layer drops stays in the lock and is emitted as `reserved`
// (numbers and names), and a constructor that comes back gets its old numbers back.
//
// The text form, one entry per line, sorted; '#' starts a comment:
//   id inputPeerUser dde8a54c
//   field inputPeerUser user_id 1
//   case InputPeer inputPeerUser 3
#ifndef TGRPC_TL_RAWAPI_LOCK_H_
#define TGRPC_TL_RAWAPI_LOCK_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tl/parser/schema.h"

namespace tgrpc::tl::raw {

template <class V>
using NameMap = std::map<std::string, V, std::less<>>;

struct Lock {
  NameMap<uint32_t> ids;         // combinator name -> its id when last seen
  NameMap<NameMap<int>> fields;  // combinator name -> parameter name -> number
  NameMap<NameMap<int>> cases;   // boxed type -> constructor name -> number

  bool operator==(const Lock&) const = default;
};

// Errors name the line.
absl::StatusOr<Lock> ParseLock(absl::string_view text);
std::string PrintLock(const Lock& lock);

// Whether the raw API includes a combinator: not a generic method ({X:Type}) and not one of the
// built-in Bool / True / Vector / Null constructors, and not mtcute's own mtcute.* methods.
bool InRawApi(const Combinator& c);
// Whether a parameter becomes a field (every one but the `#` flags words).
bool IsField(const Param& p);
// The first number of a method's parameters (1 is the request's `account`).
inline constexpr int kFirstRequestField = 2;

// `lock` with everything `schema` has that it lacks. Each change is described in `changes` (if
// set), one line each ("new field messages.sendMessage effect 20").
Lock UpdateLock(const Lock& lock, const Schema& schema, std::vector<std::string>* changes);

}  // namespace tgrpc::tl::raw

#endif  // TGRPC_TL_RAWAPI_LOCK_H_
