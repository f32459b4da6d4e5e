// Moves TL values between layers, the way Telegram answers each client in the layer it declared
// with invokeWithLayer: a value of one schema is rewritten into another by constructor and field
// name. Fields the target lacks are dropped; fields it requires that the source lacks get a
// default (0, "", false, an empty vector, the target type's simplest constructor). A constructor
// the target does not know is dropped from a vector, or replaced by the target type's simplest
// constructor elsewhere; at the top level it is an error. Used both ways by fakedc: requests from
// a client's layer into the pinned layer, answers and updates from the pinned layer to the
// client's.
#ifndef TGRPC_TL_DYNAMIC_TRANSLATE_H_
#define TGRPC_TL_DYNAMIC_TRANSLATE_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tl/dynamic/value.h"
#include "tl/parser/schema.h"

namespace tgrpc::tl {

class LayerTranslator {
 public:
  // Both schemas must outlive the translator.
  LayerTranslator(const Schema* from, const Schema* to);

  // A boxed object or function of `from` as the same-named combinator of `to`.
  absl::StatusOr<Value> Translate(const Value& value) const;
  // A value of `from` as a value of `type`, a type of `to` (e.g. a method's result type).
  absl::StatusOr<Value> TranslateAs(const Value& value, const TypeRef& type) const;

  // The value a field of `type` (in `to`) gets when the source has nothing for it.
  absl::StatusOr<Value> DefaultFor(const TypeRef& type) const;

 private:
  absl::StatusOr<Value> Object(const Value& value, const TypeRef* type, int depth) const;
  absl::StatusOr<Value> Convert(const Value& value, const TypeRef& type, int depth) const;
  absl::StatusOr<Value> Default(const TypeRef& type, int depth) const;
  // The constructor of a boxed type that is cheapest to fill with defaults, or null.
  const Combinator* SimplestConstructor(absl::string_view type) const;

  const Schema* from_;
  const Schema* to_;
  std::map<std::string, const Combinator*, std::less<>> simplest_;
};

}  // namespace tgrpc::tl

#endif  // TGRPC_TL_DYNAMIC_TRANSLATE_H_
