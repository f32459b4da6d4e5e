#include "tl/dynamic/sample.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace tgrpc::tl {
namespace {

bool IsScalarLike(const TypeRef& t) {
  return IsBuiltinScalar(t.name) || t.name == "Bool" || t.IsVector();
}

}  // namespace

Sampler::Sampler(const Schema* schema, SampleOptions options)
    : schema_(schema), options_(options), state_(options.seed * 0x9e3779b97f4a7c15ull + 1) {
  // Cheapest constructor per type: the least nesting of required objects (vectors may be empty,
  // optional fields left out). A fixed point over the whole schema.
  constexpr int kInf = 1 << 20;
  for (const auto& [type, list] : schema_->types()) cheapest_[type] = {kInf, nullptr};
  bool changed = true;
  while (changed) {
    changed = false;
    for (const auto& [type, list] : schema_->types()) {
      for (const Combinator* c : list) {
        int cost = 1;
        for (const Param& p : c->params) {
          if (p.conditional() || IsScalarLike(p.type) || p.type.bang || p.type.name == "Object") {
            continue;
          }
          const std::string& dep = p.type.name;
          auto it = cheapest_.find(dep);
          int d = it == cheapest_.end() ? kInf : it->second.first;
          if (p.type.bare) {
            const Combinator* bc = schema_->ByName(dep);
            d = bc ? 1 : d;
          }
          cost = std::max(cost, d == kInf ? kInf : d + 1);
        }
        if (cost < cheapest_[type].first) {
          cheapest_[type] = {cost, c};
          changed = true;
        }
      }
    }
  }
  for (const Combinator& c : schema_->constructors) {
    if (c.params.empty() && c.result.name != "Bool" && !any_constructor_) any_constructor_ = &c;
  }
  for (const Combinator& c : schema_->functions) {
    if (c.params.empty() && !any_function_) any_function_ = &c;
  }
}

uint64_t Sampler::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

const Combinator* Sampler::Cheapest(const std::string& type) const {
  auto it = cheapest_.find(type);
  return it == cheapest_.end() ? nullptr : it->second.second;
}

Value Sampler::Object(const Combinator& c) { return Fields(c, 0); }

Value Sampler::Fields(const Combinator& c, int depth) {
  Value v = Value::Object(&c);
  bool shallow = depth >= options_.max_depth;
  for (const Param& p : c.params) {
    if (p.type.name == "#") continue;
    if (p.conditional() && (!options_.all_optional || shallow)) continue;
    if (p.type.name == "true") {
      v.Set(p.name, Value::Bool(true));
      continue;
    }
    Value field = OfType(p.type, c, depth + 1);
    // An optional vector is never present and empty (the form JSON and the raw API give it),
    // unless another field on its bit is set anyway.
    if (p.conditional() && field.kind == Value::Kind::kVector && field.items.empty()) {
      bool shared = false;
      for (const Param& q : c.params) {
        shared |= q.name != p.name && q.cond_field == p.cond_field && q.cond_bit == p.cond_bit;
      }
      if (!shared) continue;
    }
    v.Set(p.name, std::move(field));
  }
  return v;
}

Value Sampler::OfType(const TypeRef& t, const Combinator& ctx, int depth) {
  const std::string& n = t.name;
  if (n == "int") return Value::Int(static_cast<int32_t>(Next()));
  if (n == "long") return Value::Long(static_cast<int64_t>(Next()));
  if (n == "double") return Value::Double(static_cast<double>(Next() % 1000000) / 8.0);
  if (n == "string") return Value::Bytes(absl::StrCat("s", Next() % 100000));
  if (n == "bytes") {
    size_t len = Next() % 4 == 0 ? 300 : Next() % 9;  // both length encodings
    std::string s(len, '\0');
    for (char& ch : s) ch = static_cast<char>(Next());
    return Value::Bytes(std::move(s));
  }
  if (n == "int128" || n == "int256") {
    Value v;
    v.kind = n == "int128" ? Value::Kind::kInt128 : Value::Kind::kInt256;
    v.s.resize(n == "int128" ? 16 : 32);
    for (char& ch : v.s) ch = static_cast<char>(Next());
    return v;
  }
  if (n == "Bool") return Value::Bool(Next() & 1);
  if (t.IsVector()) {
    Value v = Value::Vector({});
    size_t count = depth >= options_.max_depth ? 0 : 1 + Next() % 2;
    for (size_t i = 0; i < count; ++i) v.items.push_back(OfType(t.args[0], ctx, depth + 1));
    return v;
  }
  if (t.bang) return Value::Object(any_function_);
  bool generic = n == "Object";
  for (const auto& g : ctx.generics) generic |= g.first == n;
  if (generic) return Value::Object(any_constructor_);
  const Combinator* c = nullptr;
  if (t.bare) {
    c = schema_->ByName(n);
    if (c == nullptr) {
      const auto& list = schema_->ConstructorsOf(n);
      c = list.empty() ? nullptr : list[0];
    }
  } else if (depth >= options_.max_depth) {
    c = Cheapest(n);
  } else {
    const auto& list = schema_->ConstructorsOf(n);
    if (!list.empty()) c = list[Next() % list.size()];
  }
  if (c == nullptr) return Value();
  return Fields(*c, depth);
}

}  // namespace tgrpc::tl
