#include "tl/dynamic/translate.h"

#include <cctype>
#include <limits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tgrpc::tl {
namespace {

constexpr int kMaxDepth = 64;
// Defaults nest (a default user holds a default photo ...); the simplest constructors are chosen
// so that this stays shallow, and the limit stops a schema whose every constructor recurses.
constexpr int kMaxDefaultDepth = 12;

bool IsScalar(const std::string& name) {
  return name == "int" || name == "long" || name == "double" || name == "string" ||
         name == "bytes" || name == "int128" || name == "int256" || name == "Bool" ||
         name == "true" || name == "#";
}

bool IsGeneric(const TypeRef& type, const Combinator* context) {
  if (type.bang || type.name == "Object") return true;
  if (context == nullptr) return false;
  for (const auto& [name, kind] : context->generics) {
    if (name == type.name) return true;
  }
  return false;
}

// A lowercase bare type names one constructor (`future_salt`), anything else names a type.
bool NamesConstructor(const TypeRef& type) {
  if (!type.bare || type.name.empty()) return false;
  const size_t dot = type.name.rfind('.');
  const char first = type.name[dot == std::string::npos ? 0 : dot + 1];
  return std::islower(static_cast<unsigned char>(first)) != 0;
}

// The cost of filling a constructor with defaults: optional fields cost nothing, scalars little,
// nested objects (which need their own defaults) much more.
int DefaultCost(const Combinator& c) {
  int cost = 0;
  for (const Param& p : c.params) {
    if (p.conditional() || p.type.name == "#") continue;
    cost += IsScalar(p.type.name) || p.type.IsVector() ? 1 : 16;
  }
  return cost;
}

}  // namespace

LayerTranslator::LayerTranslator(const Schema* from, const Schema* to) : from_(from), to_(to) {
  for (const auto& [type, constructors] : to_->types()) {
    const Combinator* best = nullptr;
    for (const Combinator* c : constructors) {
      if (best == nullptr || DefaultCost(*c) < DefaultCost(*best)) best = c;
    }
    if (best != nullptr) simplest_.emplace(type, best);
  }
}

const Combinator* LayerTranslator::SimplestConstructor(absl::string_view type) const {
  auto it = simplest_.find(type);
  return it == simplest_.end() ? nullptr : it->second;
}

absl::StatusOr<Value> LayerTranslator::Translate(const Value& value) const {
  return Object(value, nullptr, 0);
}

absl::StatusOr<Value> LayerTranslator::TranslateAs(const Value& value, const TypeRef& type) const {
  return Convert(value, type, 0);
}

absl::StatusOr<Value> LayerTranslator::DefaultFor(const TypeRef& type) const {
  return Default(type, 0);
}

absl::StatusOr<Value> LayerTranslator::Object(const Value& value, const TypeRef* type,
                                              int depth) const {
  if (depth > kMaxDepth) return absl::InvalidArgumentError("TL value nested too deeply");
  if (value.kind != Value::Kind::kObject || value.ctor == nullptr) {
    return absl::InvalidArgumentError("expected a TL object");
  }
  const Combinator* target = to_->ByName(value.ctor->name);
  if (target == nullptr || target->is_function != value.ctor->is_function) {
    return absl::NotFoundError(
        absl::StrCat(value.ctor->name, " does not exist in layer ", to_->layer));
  }
  if (type != nullptr && !type->bang && type->name != "Object") {
    const bool fits =
        NamesConstructor(*type) ? target->name == type->name : target->result.name == type->name;
    if (!fits) {
      return absl::NotFoundError(
          absl::StrCat(target->name, " is not a ", type->ToString(), " in layer ", to_->layer));
    }
  }
  Value out = Value::Object(target);
  for (const Param& p : target->params) {
    if (p.type.name == "#") continue;
    const Value* source = value.Field(p.name);
    if (p.type.name == "true") {
      if (source != nullptr && source->kind == Value::Kind::kBool && source->b) {
        out.Set(p.name, Value::Bool(true));
      }
      continue;
    }
    if (source != nullptr) {
      absl::StatusOr<Value> converted = IsGeneric(p.type, target)
                                            ? Object(*source, nullptr, depth + 1)
                                            : Convert(*source, p.type, depth + 1);
      if (converted.ok()) {
        out.Set(p.name, *std::move(converted));
        continue;
      }
      if (!absl::IsNotFound(converted.status()) && !absl::IsInvalidArgument(converted.status())) {
        return converted.status();
      }
      if (depth + 1 > kMaxDepth) return converted.status();
      // An unknown constructor or an incompatible value: dropped when optional, else defaulted.
    }
    if (p.conditional()) continue;
    absl::StatusOr<Value> fallback = Default(p.type, 0);
    if (!fallback.ok()) return fallback.status();
    out.Set(p.name, *std::move(fallback));
  }
  // An absent optional field whose flag bit another present field sets must be written too.
  std::vector<std::pair<std::string, Value>> ordered;
  for (const Param& p : target->params) {
    if (p.type.name == "#") continue;
    if (const Value* present = out.Field(p.name); present != nullptr) {
      ordered.emplace_back(p.name, *present);
      continue;
    }
    if (!p.conditional() || p.type.name == "true") continue;
    bool bit_set = false;
    for (const Param& q : target->params) {
      bit_set |= &q != &p && q.cond_field == p.cond_field && q.cond_bit == p.cond_bit &&
                 out.Field(q.name) != nullptr;
    }
    if (!bit_set) continue;
    absl::StatusOr<Value> fallback = Default(p.type, 0);
    if (!fallback.ok()) return fallback.status();
    ordered.emplace_back(p.name, *std::move(fallback));
  }
  out.fields = std::move(ordered);
  return out;
}

absl::StatusOr<Value> LayerTranslator::Convert(const Value& value, const TypeRef& type,
                                               int depth) const {
  if (depth > kMaxDepth) return absl::InvalidArgumentError("TL value nested too deeply");
  const std::string& n = type.name;
  auto mismatch = [&] {
    return absl::InvalidArgumentError(absl::StrCat("cannot convert a value to ", type.ToString()));
  };
  if (n == "int") {
    if (value.kind != Value::Kind::kInt && value.kind != Value::Kind::kLong) return mismatch();
    if (value.i < std::numeric_limits<int32_t>::min() ||
        value.i > std::numeric_limits<int32_t>::max()) {
      return mismatch();
    }
    return Value::Int(static_cast<int32_t>(value.i));
  }
  if (n == "long") {
    if (value.kind != Value::Kind::kInt && value.kind != Value::Kind::kLong) return mismatch();
    return Value::Long(value.i);
  }
  if (n == "double") {
    if (value.kind != Value::Kind::kDouble) return mismatch();
    return value;
  }
  if (n == "string" || n == "bytes") {
    if (value.kind != Value::Kind::kBytes) return mismatch();
    return value;
  }
  if (n == "int128" || n == "int256") {
    const Value::Kind kind = n == "int128" ? Value::Kind::kInt128 : Value::Kind::kInt256;
    if (value.kind != kind) return mismatch();
    return value;
  }
  if (n == "Bool") {
    if (value.kind != Value::Kind::kBool) return mismatch();
    return value;
  }
  if (type.IsVector()) {
    if (value.kind != Value::Kind::kVector) return mismatch();
    std::vector<Value> items;
    items.reserve(value.items.size());
    for (const Value& item : value.items) {
      absl::StatusOr<Value> converted = Convert(item, type.args[0], depth + 1);
      if (converted.ok()) {
        items.push_back(*std::move(converted));
      } else if (!absl::IsNotFound(converted.status())) {
        return converted.status();
      }
      // An element the target layer has no constructor for is left out, as Telegram leaves out
      // updates and entities an old client cannot read.
    }
    return Value::Vector(std::move(items));
  }
  if (value.kind != Value::Kind::kObject) return mismatch();
  return Object(value, &type, depth);
}

absl::StatusOr<Value> LayerTranslator::Default(const TypeRef& type, int depth) const {
  if (depth > kMaxDefaultDepth) {
    return absl::FailedPreconditionError(
        absl::StrCat("no finite default for ", type.ToString(), " in layer ", to_->layer));
  }
  const std::string& n = type.name;
  if (n == "int") return Value::Int(0);
  if (n == "long") return Value::Long(0);
  if (n == "double") return Value::Double(0);
  if (n == "string" || n == "bytes") return Value::Bytes("");
  if (n == "int128" || n == "int256") {
    Value v = Value::Bytes(std::string(n == "int128" ? 16 : 32, '\0'));
    v.kind = n == "int128" ? Value::Kind::kInt128 : Value::Kind::kInt256;
    return v;
  }
  if (n == "Bool") return Value::Bool(false);
  if (type.IsVector()) return Value::Vector({});
  const Combinator* c = NamesConstructor(type) ? to_->ByName(n) : SimplestConstructor(n);
  if (c == nullptr || c->is_function) {
    return absl::FailedPreconditionError(
        absl::StrCat("no constructor for ", type.ToString(), " in layer ", to_->layer));
  }
  Value out = Value::Object(c);
  for (const Param& p : c->params) {
    if (p.conditional() || p.type.name == "#" || p.type.name == "true") continue;
    absl::StatusOr<Value> field = Default(p.type, depth + 1);
    if (!field.ok()) return field.status();
    out.Set(p.name, *std::move(field));
  }
  return out;
}

}  // namespace tgrpc::tl
