#include "tl/dynamic/value.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tgrpc::tl {

Value::Value() = default;
Value::~Value() = default;
Value::Value(const Value&) = default;
Value::Value(Value&&) noexcept = default;
Value& Value::operator=(const Value&) = default;
Value& Value::operator=(Value&&) noexcept = default;
namespace {

const char* KindName(Value::Kind k) {
  switch (k) {
    case Value::Kind::kInt:
      return "int";
    case Value::Kind::kLong:
      return "long";
    case Value::Kind::kDouble:
      return "double";
    case Value::Kind::kBytes:
      return "bytes";
    case Value::Kind::kInt128:
      return "int128";
    case Value::Kind::kInt256:
      return "int256";
    case Value::Kind::kBool:
      return "bool";
    case Value::Kind::kVector:
      return "vector";
    case Value::Kind::kObject:
      return "object";
  }
  return "?";
}

bool IsGeneric(const TypeRef& t, const Combinator* ctx) {
  if (ctx == nullptr) return false;
  for (const auto& g : ctx->generics) {
    if (g.first == t.name) return true;
  }
  return false;
}

// The constructor a bare type reference stands for (%Message -> message).
const Combinator* BareConstructor(const Schema& s, const TypeRef& t) {
  if (const Combinator* c = s.ByName(t.name); c != nullptr && !c->is_function) return c;
  const auto& list = s.ConstructorsOf(t.name);
  return list.size() == 1 ? list[0] : nullptr;
}

bool Present(const Param& p, const Value* v) {
  if (v == nullptr) return false;
  return p.type.name == "true" ? v->b : true;
}

}  // namespace

Value Value::Int(int32_t v) {
  Value x;
  x.kind = Kind::kInt;
  x.i = v;
  return x;
}
Value Value::Long(int64_t v) {
  Value x;
  x.kind = Kind::kLong;
  x.i = v;
  return x;
}
Value Value::Double(double v) {
  Value x;
  x.kind = Kind::kDouble;
  x.d = v;
  return x;
}
Value Value::Bytes(std::string v) {
  Value x;
  x.kind = Kind::kBytes;
  x.s = std::move(v);
  return x;
}
Value Value::Bool(bool v) {
  Value x;
  x.kind = Kind::kBool;
  x.b = v;
  return x;
}
Value Value::Vector(std::vector<Value> v) {
  Value x;
  x.kind = Kind::kVector;
  x.items = std::move(v);
  return x;
}
Value Value::Object(const Combinator* c) {
  Value x;
  x.kind = Kind::kObject;
  x.ctor = c;
  return x;
}

const Value* Value::Field(absl::string_view name) const {
  for (const auto& [n, v] : fields) {
    if (n == name) return &v;
  }
  return nullptr;
}

Value& Value::Set(absl::string_view name, Value v) {
  fields.emplace_back(std::string(name), std::move(v));
  return fields.back().second;
}

bool Value::operator==(const Value& o) const {
  if (kind != o.kind) return false;
  switch (kind) {
    case Kind::kInt:
    case Kind::kLong:
      return i == o.i;
    case Kind::kDouble:
      return d == o.d || (d != d && o.d != o.d);
    case Kind::kBool:
      return b == o.b;
    case Kind::kBytes:
    case Kind::kInt128:
    case Kind::kInt256:
      return s == o.s;
    case Kind::kVector:
      return items == o.items;
    case Kind::kObject:
      return ctor == o.ctor && fields == o.fields;
  }
  return false;
}

absl::StatusOr<Schema> ParseSchemas(const std::vector<std::string>& texts) {
  std::string all;
  for (const std::string& t : texts) absl::StrAppend(&all, "---types---\n", t, "\n");
  return ParseSchema(all);
}

// ---- encoding ----

absl::Status DynamicCodec::EncodeBoxed(const Value& v, Writer& w) const {
  if (v.kind != Value::Kind::kObject || v.ctor == nullptr) {
    return absl::InvalidArgumentError("a boxed TL value must be an object");
  }
  w.U32(v.ctor->id);
  WriteFields(v, w);
  return w.status();
}

absl::StatusOr<std::string> DynamicCodec::EncodeBoxed(const Value& v) const {
  std::string out;
  Writer w(&out);
  absl::Status s = EncodeBoxed(v, w);
  if (!s.ok()) return s;
  return out;
}

absl::Status DynamicCodec::Encode(const Value& v, const TypeRef& type, Writer& w) const {
  Write(v, type, nullptr, w);
  return w.status();
}

void DynamicCodec::WriteFields(const Value& v, Writer& w) const {
  const Combinator& c = *v.ctor;
  for (const Param& p : c.params) {
    if (p.type.name == "#") {
      uint32_t flags = 0;
      for (const Param& q : c.params) {
        if (q.cond_field == p.name && Present(q, v.Field(q.name))) flags |= 1u << q.cond_bit;
      }
      w.U32(flags);
      continue;
    }
    const Value* f = v.Field(p.name);
    if (p.type.name == "true") continue;  // carried by its flags bit
    if (p.conditional()) {
      if (f != nullptr) {
        Write(*f, p.type, &c, w);
      } else {
        // Another field with the same bit is present: this one must be too.
        bool bit_set = false;
        for (const Param& q : c.params) {
          bit_set |= q.cond_field == p.cond_field && q.cond_bit == p.cond_bit &&
                     Present(q, v.Field(q.name));
        }
        if (bit_set) {
          w.Fail(
              absl::StrCat(c.name, ".", p.name, " is required by ", p.cond_field, ".", p.cond_bit));
        }
      }
      continue;
    }
    if (f == nullptr) {
      w.Fail(absl::StrCat("missing field ", c.name, ".", p.name));
      continue;
    }
    Write(*f, p.type, &c, w);
  }
}

void DynamicCodec::Write(const Value& v, const TypeRef& t, const Combinator* ctx, Writer& w) const {
  auto expect = [&](Value::Kind k) {
    if (v.kind == k) return true;
    w.Fail(absl::StrCat("expected ", KindName(k), " for ", t.ToString(),
                        ctx ? absl::StrCat(" in ", ctx->name) : "", ", got ", KindName(v.kind)));
    return false;
  };
  const std::string& n = t.name;
  if (n == "int") {
    if (expect(Value::Kind::kInt)) w.I32(static_cast<int32_t>(v.i));
  } else if (n == "long") {
    if (expect(Value::Kind::kLong)) w.I64(v.i);
  } else if (n == "double") {
    if (expect(Value::Kind::kDouble)) w.F64(v.d);
  } else if (n == "string" || n == "bytes") {
    if (expect(Value::Kind::kBytes)) w.Bytes(v.s);
  } else if (n == "int128" || n == "int256") {
    size_t size = n == "int128" ? 16 : 32;
    if (expect(n == "int128" ? Value::Kind::kInt128 : Value::Kind::kInt256)) {
      if (v.s.size() != size) {
        w.Fail(absl::StrCat(n, " needs ", size, " bytes, got ", v.s.size()));
      } else {
        w.Raw(v.s);
      }
    }
  } else if (n == "Bool") {
    if (expect(Value::Kind::kBool)) w.Bool(v.b);
  } else if (t.IsVector()) {
    if (!expect(Value::Kind::kVector)) return;
    if (!t.bare) w.U32(kVectorId);
    w.U32(static_cast<uint32_t>(v.items.size()));
    for (const Value& e : v.items) Write(e, t.args[0], ctx, w);
  } else {
    if (!expect(Value::Kind::kObject)) return;
    const Combinator* c = v.ctor;
    bool any = n == "Object" || IsGeneric(t, ctx);
    if (c == nullptr) {
      w.Fail("object without a constructor");
    } else if (t.bang || any) {
      if (t.bang != c->is_function) {
        w.Fail(absl::StrCat(c->name, t.bang ? " is not a function" : " is not a constructor"));
      } else {
        w.U32(c->id);
        WriteFields(v, w);
      }
    } else if (t.bare) {
      if (c != BareConstructor(*schema_, t)) {
        w.Fail(absl::StrCat(c->name, " is not the bare type ", t.ToString()));
      } else {
        WriteFields(v, w);
      }
    } else if (c->is_function || c->result.name != n) {
      w.Fail(absl::StrCat(c->name, " is not of type ", n));
    } else {
      w.U32(c->id);
      WriteFields(v, w);
    }
  }
}

// ---- decoding ----

absl::StatusOr<Value> DynamicCodec::DecodeBoxed(Reader& r, absl::string_view type) const {
  Value v;
  if (type == "Function") {
    v = ReadBoxedObject(r, "", true);
  } else if (const Combinator* c = schema_->ByName(type); c != nullptr) {
    uint32_t id = r.PeekU32();
    if (r.remaining() >= 4 && id != c->id) {
      return absl::InvalidArgumentError(
          absl::StrFormat("expected %s (0x%08x), found id 0x%08x", c->name, c->id, id));
    }
    v = ReadBoxedObject(r, c->is_function ? "" : c->result.name, c->is_function);
  } else {
    absl::StatusOr<TypeRef> t = ParseTypeRef(type);
    if (!t.ok()) return t.status();
    if (t->bare || t->bang) return absl::InvalidArgumentError("expected a boxed type name");
    if (!t->IsVector() && !IsBuiltinScalar(t->name) && t->name != "Bool" && t->name != "Object" &&
        schema_->ConstructorsOf(t->name).empty()) {
      return absl::NotFoundError(absl::StrCat("no type, constructor or method named ", type));
    }
    v = Decode(r, *t, nullptr);
  }
  if (!r.ok()) return r.status();
  return v;
}

absl::StatusOr<Value> DynamicCodec::Decode(absl::string_view bytes, absl::string_view type) const {
  Reader r(bytes);
  absl::StatusOr<Value> v = DecodeBoxed(r, type);
  if (v.ok() && r.remaining() != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(r.remaining(), " trailing bytes after the TL value"));
  }
  return v;
}

Value DynamicCodec::ReadBoxedObject(Reader& r, absl::string_view type, bool want_function) const {
  Value v;
  if (!r.Enter()) return v;
  uint32_t id = r.U32();
  const Combinator* c = want_function ? schema_->FunctionById(id) : schema_->ConstructorById(id);
  if (r.ok()) {
    if (c == nullptr || (!type.empty() && c->result.name != type)) {
      r.FailUnknownId(type.empty() ? (want_function ? "a function" : "Object") : type, id);
    } else {
      v = Value::Object(c);
      ReadFields(r, v);
    }
  }
  r.Leave();
  return v;
}

void DynamicCodec::ReadFields(Reader& r, Value& v) const {
  const Combinator& c = *v.ctor;
  std::vector<std::pair<absl::string_view, uint32_t>> flags;
  auto flag_value = [&](const std::string& name) -> uint32_t {
    for (const auto& [n, f] : flags) {
      if (n == name) return f;
    }
    return 0;
  };
  for (const Param& p : c.params) {
    if (!r.ok()) return;
    if (p.type.name == "#") {
      flags.emplace_back(p.name, r.U32());
      continue;
    }
    if (p.conditional() && (flag_value(p.cond_field) & (1u << p.cond_bit)) == 0) continue;
    if (p.type.name == "true") {
      v.Set(p.name, Value::Bool(true));
      continue;
    }
    v.Set(p.name, Decode(r, p.type, &c));
  }
}

Value DynamicCodec::Decode(Reader& r, const TypeRef& t, const Combinator* ctx) const {
  const std::string& n = t.name;
  if (n == "int") return Value::Int(r.I32());
  if (n == "long") return Value::Long(r.I64());
  if (n == "double") return Value::Double(r.F64());
  if (n == "string" || n == "bytes") return Value::Bytes(r.Bytes());
  if (n == "int128" || n == "int256") {
    Value v;
    v.kind = n == "int128" ? Value::Kind::kInt128 : Value::Kind::kInt256;
    v.s = std::string(r.Raw(n == "int128" ? 16 : 32));
    return v;
  }
  if (n == "Bool") return Value::Bool(r.Bool());
  if (t.IsVector()) {
    uint32_t count = t.bare ? r.VectorLength(4) : r.BoxedVectorLength(4);
    Value v = Value::Vector({});
    v.items.reserve(count);
    for (uint32_t i = 0; i < count && r.ok(); ++i) v.items.push_back(Decode(r, t.args[0], ctx));
    return v;
  }
  if (t.bang) return ReadBoxedObject(r, "", true);
  if (n == "Object" || IsGeneric(t, ctx)) return ReadBoxedObject(r, "", false);
  if (t.bare) {
    const Combinator* c = BareConstructor(*schema_, t);
    if (c == nullptr) {
      r.Fail(absl::StrCat("bare type ", t.ToString(), " names no single constructor"));
      return Value();
    }
    Value v = Value::Object(c);
    if (r.Enter()) {
      ReadFields(r, v);
      r.Leave();
    }
    return v;
  }
  return ReadBoxedObject(r, n, false);
}

}  // namespace tgrpc::tl
