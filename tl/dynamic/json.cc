#include "tl/dynamic/json.h"

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tgrpc::tl {
namespace {

using Json = nlohmann::json;

Json Build(const Value& v, const TypeRef& t);

Json BuildObject(const Value& v) {
  Json j = Json::object();
  j["_"] = v.ctor->name;
  for (const Param& p : v.ctor->params) {
    const Value* f = v.Field(p.name);
    if (f == nullptr || p.type.name == "#") continue;
    j[p.name] = Build(*f, p.type);
  }
  return j;
}

Json Build(const Value& v, const TypeRef& t) {
  switch (v.kind) {
    case Value::Kind::kInt:
      return Json(static_cast<int32_t>(v.i));
    case Value::Kind::kLong:
      return Json(absl::StrCat(v.i));
    case Value::Kind::kDouble:
      return Json(v.d);
    case Value::Kind::kBool:
      return Json(v.b);
    case Value::Kind::kBytes:
      if (t.name == "string") return Json(v.s);
      return Json(absl::Base64Escape(v.s));
    case Value::Kind::kInt128:
    case Value::Kind::kInt256:
      return Json(absl::Base64Escape(v.s));
    case Value::Kind::kVector: {
      Json a = Json::array();
      TypeRef elem = t.IsVector() ? t.args[0] : TypeRef{};
      for (const Value& e : v.items) a.push_back(Build(e, elem));
      return a;
    }
    case Value::Kind::kObject:
      return v.ctor ? BuildObject(v) : Json();
  }
  return Json();
}

class Parser {
 public:
  explicit Parser(const Schema& s) : s_(s) {}

  absl::StatusOr<Value> Parse(const Json& j, const TypeRef& t, const Combinator* ctx,
                              const std::string& path) {
    const std::string& n = t.name;
    auto fail = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(path.empty() ? "value" : path, ": ", what));
    };
    if (j.is_object()) return ParseObject(j, t, ctx, path);
    if (n == "int") {
      if (!j.is_number_integer()) return fail("expected an integer");
      int64_t x = j.get<int64_t>();
      if (x < INT32_MIN || x > static_cast<int64_t>(UINT32_MAX)) return fail("int out of range");
      return Value::Int(static_cast<int32_t>(x));
    }
    if (n == "long") {
      int64_t x;
      if (j.is_string()) {
        uint64_t u;
        if (absl::SimpleAtoi(j.get<std::string>(), &x)) return Value::Long(x);
        if (absl::SimpleAtoi(j.get<std::string>(), &u)) return Value::Long(static_cast<int64_t>(u));
        return fail("expected a decimal 64-bit integer string");
      }
      if (j.is_number_integer()) return Value::Long(j.get<int64_t>());
      return fail("expected a 64-bit integer (decimal string)");
    }
    if (n == "double") {
      if (!j.is_number()) return fail("expected a number");
      return Value::Double(j.get<double>());
    }
    if (n == "string") {
      if (!j.is_string()) return fail("expected a string");
      return Value::Bytes(j.get<std::string>());
    }
    if (n == "bytes" || n == "int128" || n == "int256") {
      std::string raw;
      if (!j.is_string() || !absl::Base64Unescape(j.get<std::string>(), &raw)) {
        return fail("expected base64");
      }
      Value v = Value::Bytes(std::move(raw));
      if (n != "bytes") {
        size_t size = n == "int128" ? 16 : 32;
        if (v.s.size() != size) return fail(absl::StrCat(n, " needs ", size, " bytes"));
        v.kind = n == "int128" ? Value::Kind::kInt128 : Value::Kind::kInt256;
      }
      return v;
    }
    if (n == "Bool" || n == "true") {
      if (!j.is_boolean()) return fail("expected true or false");
      return Value::Bool(j.get<bool>());
    }
    if (t.IsVector()) {
      if (!j.is_array()) return fail("expected an array");
      Value v = Value::Vector({});
      for (size_t i = 0; i < j.size(); ++i) {
        absl::StatusOr<Value> e = Parse(j[i], t.args[0], ctx, absl::StrCat(path, "[", i, "]"));
        if (!e.ok()) return e.status();
        v.items.push_back(*std::move(e));
      }
      return v;
    }
    return fail("expected an object with \"_\"");
  }

  absl::StatusOr<Value> ParseObject(const Json& j, const TypeRef& t, const Combinator* ctx,
                                    const std::string& path) {
    const std::string& n = t.name;
    auto fail = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(path.empty() ? "value" : path, ": ", what));
    };
    if (!j.contains("_") || !j["_"].is_string()) {
      return fail("expected an object with \"_\"");
    }
    const std::string name = j["_"].get<std::string>();
    const Combinator* c = s_.ByName(name);
    if (c == nullptr) return fail(absl::StrCat("unknown constructor or method ", name));
    bool generic = n == "Object" || n == "Function" || t.bang;
    for (const auto& g : ctx ? ctx->generics : decltype(ctx->generics){}) generic |= g.first == n;
    if (t.bang || n == "Function") {
      if (!c->is_function) return fail(absl::StrCat(name, " is not a method"));
    } else if (generic) {
      if (c->is_function) return fail(absl::StrCat(name, " is not a constructor"));
    } else if (t.bare) {
      if (c->is_function || (c->name != n && c->result.name != n)) {
        return fail(absl::StrCat(name, " is not ", t.ToString()));
      }
    } else if (c->is_function ? c->name != n : c->result.name != n && c->name != n) {
      return fail(absl::StrCat(name, " is not of type ", n));
    }
    Value v = Value::Object(c);
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "_") continue;
      bool known = false;
      for (const Param& p : c->params) known |= p.name == it.key() && p.type.name != "#";
      if (!known) return fail(absl::StrCat(name, " has no field ", it.key()));
    }
    for (const Param& p : c->params) {
      if (p.type.name == "#") continue;
      std::string fpath = path.empty() ? p.name : absl::StrCat(path, ".", p.name);
      if (!j.contains(p.name)) {
        if (p.conditional() || p.type.name == "true") continue;
        return fail(absl::StrCat("missing field ", p.name, " of ", name));
      }
      absl::StatusOr<Value> f = Parse(j[p.name], p.type, c, fpath);
      if (!f.ok()) return f.status();
      if (p.type.name == "true" && !f->b) continue;  // false = flag not set
      // An empty optional vector is absent (its bit clear), as mtcute's serializer writes it and
      // as the raw API must, since protobuf cannot tell an empty repeated field from none.
      // Unless another field on the same bit is given: then the bit is set and the vector is
      // written, empty.
      if (p.conditional() && f->kind == Value::Kind::kVector && f->items.empty()) {
        bool shared = false;
        for (const Param& q : c->params) {
          shared |= q.name != p.name && q.cond_field == p.cond_field && q.cond_bit == p.cond_bit &&
                    j.contains(q.name);
        }
        if (!shared) continue;
      }
      v.Set(p.name, *std::move(f));
    }
    return v;
  }

 private:
  const Schema& s_;
};

}  // namespace

std::string ToJson(const Value& v, const TypeRef& type) {
  return Build(v, type).dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string ObjectToJson(const Value& v) { return ToJson(v, TypeRef{"Object"}); }

absl::StatusOr<Value> FromJson(const Schema& schema, absl::string_view json,
                               absl::string_view type) {
  Json j = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("invalid JSON");
  TypeRef t;
  if (type == "Function") {
    t.name = "Function";
  } else if (const Combinator* c = schema.ByName(type); c != nullptr) {
    t.name = c->name;  // exactly this constructor or method
  } else {
    absl::StatusOr<TypeRef> parsed = ParseTypeRef(type);
    if (!parsed.ok()) return parsed.status();
    t = *std::move(parsed);
  }
  return Parser(schema).Parse(j, t, nullptr, "");
}

}  // namespace tgrpc::tl
