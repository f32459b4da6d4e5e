#include "tl/gen/cpp_generator.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace tgrpc::tl::gen {
namespace {

constexpr absl::string_view kTl = "::tgrpc::tl::";

const std::set<std::string, std::less<>>& Reserved() {
  static const auto* words = new std::set<std::string, std::less<>>{
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break",
      "case", "catch", "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept",
      "const", "consteval", "constexpr", "constinit", "const_cast", "continue", "co_await",
      "co_return", "co_yield", "decltype", "default", "delete", "do", "double", "dynamic_cast",
      "else", "enum", "explicit", "export", "extern", "false", "float", "for", "friend", "goto",
      "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
      "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register",
      "reinterpret_cast", "requires", "return", "short", "signed", "sizeof", "static",
      "static_assert", "static_cast", "struct", "switch", "template", "this", "thread_local",
      "throw", "true", "try", "typedef", "typeid", "typename", "union", "unsigned", "using",
      "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq", "errno", "unix", "linux",
      "major", "minor", "stdin", "stdout", "stderr", "NULL", "EOF", "assert",
      // Members every generated class has.
      "kId", "kName", "tl_id", "tl_name", "TlStore", "TlParse", "TlRead", "Result", "ReadResult"};
  return *words;
}

// How a field is held in C++ and moved on the wire.
struct FieldPlan {
  std::string member;        // C++ member name
  std::string cpp_type;      // type of the member
  bool is_flags = false;     // a `#` field: computed, not stored
  bool is_true = false;      // flags.N?true: a bool, nothing on the wire
  bool optional = false;     // held in std::optional
  bool nullable = false;     // a Ptr, null when absent
  bool bare_vector = false;  // vector<T>: no Vector id
  const Param* param = nullptr;
};

class Generator {
 public:
  Generator(const Schema& schema, const CppOptions& options) : s_(schema), o_(options) {}

  absl::StatusOr<CppOutput> Run();

 private:
  absl::StatusOr<std::string> CppType(const TypeRef& t, const Combinator& c);
  absl::StatusOr<std::string> BareStruct(const TypeRef& t);
  absl::StatusOr<std::vector<FieldPlan>> Plan(const Combinator& c);
  void EmitStruct(const Combinator& c, const std::vector<FieldPlan>& fields,
                  const std::string& result_type);
  void EmitStore(const Combinator& c, const std::vector<FieldPlan>& fields, std::string& out);
  void EmitParse(const Combinator& c, const std::vector<FieldPlan>& fields, std::string& out);

  const Schema& s_;
  const CppOptions& o_;
  std::string h_;
  std::set<std::string> bare_used_;  // constructors embedded by value somewhere
};

std::string Tl(absl::string_view name) { return absl::StrCat(kTl, name); }

absl::StatusOr<std::string> Generator::BareStruct(const TypeRef& t) {
  if (const Combinator* c = s_.ByName(t.name); c != nullptr && !c->is_function) {
    bare_used_.insert(c->name);
    return CppIdentifier(c->name);
  }
  const auto& ctors = s_.ConstructorsOf(t.name);
  if (ctors.size() == 1) {
    bare_used_.insert(ctors[0]->name);
    return CppIdentifier(ctors[0]->name);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("bare type ", t.ToString(), " names no single constructor"));
}

absl::StatusOr<std::string> Generator::CppType(const TypeRef& t, const Combinator& c) {
  if (t.bang) return absl::StrCat(Tl("Ptr<"), Tl("Function>"));
  const std::string& n = t.name;
  if (n == "int") return std::string("int32_t");
  if (n == "long") return std::string("int64_t");
  if (n == "double") return std::string("double");
  if (n == "string" || n == "bytes") return std::string("std::string");
  if (n == "int128") return Tl("Int128");
  if (n == "int256") return Tl("Int256");
  if (n == "Bool" || n == "true") return std::string("bool");
  if (t.IsVector()) {
    absl::StatusOr<std::string> elem = CppType(t.args[0], c);
    if (!elem.ok()) return elem.status();
    return absl::StrCat("std::vector<", *elem, ">");
  }
  if (n == "Object") return absl::StrCat(Tl("Ptr<"), Tl("Object>"));
  for (const auto& g : c.generics) {
    if (g.first == n) return absl::StrCat(Tl("Ptr<"), Tl("Object>"));
  }
  if (t.bare) return BareStruct(t);
  if (s_.ConstructorsOf(n).empty()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown type ", n, " in ", c.name));
  }
  return absl::StrCat(Tl("Ptr<"), CppIdentifier(n), ">");
}

absl::StatusOr<std::vector<FieldPlan>> Generator::Plan(const Combinator& c) {
  std::vector<FieldPlan> out;
  std::string self = CppIdentifier(c.name);
  for (const Param& p : c.params) {
    FieldPlan f;
    f.param = &p;
    f.member = CppIdentifier(p.name);
    if (f.member == self) f.member += "_";
    if (p.type.name == "#") {
      f.is_flags = true;
      f.member = "f_" + p.name;  // a local in Store/Parse, never a member
      out.push_back(std::move(f));
      continue;
    }
    absl::StatusOr<std::string> t = CppType(p.type, c);
    if (!t.ok()) return t.status();
    f.cpp_type = *t;
    f.bare_vector = p.type.name == "vector";
    if (p.conditional()) {
      bool found = false;
      for (const Param& q : c.params) found |= q.name == p.cond_field && q.type.name == "#";
      if (!found) {
        return absl::InvalidArgumentError(
            absl::StrCat(c.name, ".", p.name, " depends on unknown flags field ", p.cond_field));
      }
      if (p.type.name == "true") {
        f.is_true = true;
      } else if (absl::StartsWith(f.cpp_type, Tl("Ptr<"))) {
        f.nullable = true;
      } else {
        f.optional = true;
        f.cpp_type = absl::StrCat("std::optional<", f.cpp_type, ">");
      }
    } else if (p.type.name == "true") {
      f.is_true = true;  // an unconditional `true` carries no data
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::string Initializer(const std::string& type) {
  if (type == "int32_t" || type == "int64_t" || type == "double") return " = 0";
  if (type == "bool") return " = false";
  return "";
}

void Generator::EmitStruct(const Combinator& c, const std::vector<FieldPlan>& fields,
                           const std::string& result_type) {
  std::string name = CppIdentifier(c.name);
  std::string base = c.is_function ? Tl("Function") : CppIdentifier(c.result.name);
  absl::StrAppend(&h_, "struct ", name, " final : ", base, " {\n");
  absl::StrAppendFormat(&h_, "  static constexpr uint32_t kId = 0x%08xu;\n", c.id);
  absl::StrAppend(&h_, "  static constexpr const char* kName = \"", c.name, "\";\n");
  if (c.is_function) {
    absl::StrAppend(&h_, "  using Result = ", result_type, ";\n");
    absl::StrAppend(&h_, "  static Result ReadResult(", Tl("Reader& r);\n"));
  }
  for (const FieldPlan& f : fields) {
    if (f.is_flags) continue;
    absl::StrAppend(&h_, "  ", f.cpp_type, " ", f.member, Initializer(f.cpp_type), ";\n");
  }
  absl::StrAppend(&h_, "  ", name, "() = default;\n  ", name, "(", name, "&&) = default;\n  ", name,
                  "& operator=(", name, "&&) = default;\n", "  ~", name,
                  "() override;  // out of line: vtable in one shard\n", "  static ", Tl("Ptr<"),
                  Tl("Object> TlNew("), Tl("Reader& r);\n"),
                  "  uint32_t tl_id() const override { return kId; }\n",
                  "  const char* tl_name() const override { return kName; }\n", "  void TlStore(",
                  Tl("Writer& w) const override;\n"), "  void TlParse(", Tl("Reader& r);\n"),
                  "};\n\n");
}

// Members are named through `this->`: a TL field may be called `w` or `r` like the parameters.
std::string Member(const FieldPlan& f) { return "this->" + f.member; }

std::string PresentExpr(const FieldPlan& f) {
  if (f.is_true) return Member(f);
  if (f.nullable) return Member(f) + " != nullptr";
  return Member(f) + ".has_value()";
}

void Generator::EmitStore(const Combinator& c, const std::vector<FieldPlan>& fields,
                          std::string& out) {
  std::string name = CppIdentifier(c.name);
  bool uses_w = false;
  for (const FieldPlan& f : fields) uses_w |= !f.is_true;
  absl::StrAppend(&out, "void ", name, "::TlStore(", Tl("Writer& "), uses_w ? "w" : "",
                  ") const {\n");
  // Flags words first: each is the OR of the bits of the fields that are present.
  for (const FieldPlan& f : fields) {
    if (!f.is_flags) continue;
    absl::StrAppend(&out, "  uint32_t ", f.member, " = 0;\n");
    for (const FieldPlan& g : fields) {
      if (g.is_flags || g.param->cond_field != f.param->name) continue;
      absl::StrAppend(&out, "  if (", PresentExpr(g), ") ", f.member, " |= 1u << ",
                      g.param->cond_bit, ";\n");
    }
  }
  for (const FieldPlan& f : fields) {
    if (f.is_flags) {
      absl::StrAppend(&out, "  w.U32(", f.member, ");\n");
      continue;
    }
    if (f.is_true) continue;
    std::string value = f.optional ? "*" + Member(f) : Member(f);
    std::string write = f.bare_vector ? absl::StrCat(Tl("WriteVector(w, "), value, ", false);")
                                      : absl::StrCat(Tl("Write(w, "), value, ");");
    if (!f.param->conditional()) {
      absl::StrAppend(&out, "  ", write, "\n");
      continue;
    }
    // A field that shares its bit with a present one must be present too.
    absl::StrAppend(&out, "  if (", PresentExpr(f), ") ", write, " else if (f_",
                    f.param->cond_field, " & (1u << ", f.param->cond_bit, ")) w.Fail(\"", c.name,
                    ".", f.param->name, " is required by ", f.param->cond_field, ".",
                    f.param->cond_bit, "\");\n");
  }
  absl::StrAppend(&out, "}\n\n");
}

void Generator::EmitParse(const Combinator& c, const std::vector<FieldPlan>& fields,
                          std::string& out) {
  std::string name = CppIdentifier(c.name);
  bool uses_r = false;
  for (const FieldPlan& f : fields) uses_r |= !f.is_true || f.param->conditional();
  absl::StrAppend(&out, "void ", name, "::TlParse(", Tl("Reader& "), uses_r ? "r" : "", ") {\n");
  for (const FieldPlan& f : fields) {
    if (f.is_flags) {
      // A flags word that no field of this layer reads (every flag is gone from the schema) is
      // still on the wire: skip it without a local the compiler would call unused.
      bool read_later = false;
      for (const FieldPlan& other : fields) {
        read_later |= other.param->conditional() && "f_" + other.param->cond_field == f.member;
      }
      absl::StrAppend(&out, read_later ? absl::StrCat("  uint32_t ", f.member, " = r.U32();\n")
                                       : std::string("  (void)r.U32();\n"));
      continue;
    }
    if (f.is_true) {
      if (f.param->conditional()) {
        absl::StrAppend(&out, "  ", Member(f), " = (f_", f.param->cond_field, " & (1u << ",
                        f.param->cond_bit, ")) != 0;\n");
      } else {
        absl::StrAppend(&out, "  ", Member(f), " = true;\n");
      }
      continue;
    }
    std::string target = f.optional ? Member(f) + ".emplace()" : Member(f);
    std::string read = f.bare_vector ? absl::StrCat(Tl("ReadVector(r, "), target, ", false);")
                                     : absl::StrCat(Tl("Read(r, "), target, ");");
    if (f.param->conditional()) {
      absl::StrAppend(&out, "  if (f_", f.param->cond_field, " & (1u << ", f.param->cond_bit, ")) ",
                      read, "\n");
    } else {
      absl::StrAppend(&out, "  ", read, "\n");
    }
  }
  absl::StrAppend(&out, "}\n\n");
}

absl::StatusOr<CppOutput> Generator::Run() {
  if (o_.shards < 1) return absl::InvalidArgumentError("shards must be at least 1");
  // Plan every combinator first: that also finds the constructors embedded by value.
  struct Item {
    const Combinator* c;
    std::vector<FieldPlan> fields;
    std::string result;
  };
  std::vector<Item> ctors, funcs;
  std::set<std::string> names;
  for (const auto* list : {&s_.constructors, &s_.functions}) {
    for (const Combinator& c : *list) {
      if (!names.insert(CppIdentifier(c.name)).second) {
        return absl::InvalidArgumentError(absl::StrCat("two TL names map to C++ ", c.name));
      }
      absl::StatusOr<std::vector<FieldPlan>> plan = Plan(c);
      if (!plan.ok()) return plan.status();
      Item item{&c, *std::move(plan), ""};
      if (c.is_function) {
        absl::StatusOr<std::string> r = CppType(c.result, c);
        if (!r.ok()) return r.status();
        item.result = *r;
        funcs.push_back(std::move(item));
      } else {
        ctors.push_back(std::move(item));
      }
    }
  }
  for (const auto& [type, list] : s_.types()) {
    if (!names.insert(CppIdentifier(type)).second) {
      return absl::InvalidArgumentError(absl::StrCat("type name clashes in C++: ", type));
    }
  }
  // Embedded-by-value constructors must be complete before their users.
  std::stable_partition(ctors.begin(), ctors.end(),
                        [&](const Item& i) { return bare_used_.count(i.c->name) > 0; });

  std::string guard = absl::StrCat("TGRPC_TL_GENERATED_", absl::AsciiStrToUpper(o_.ns), "_H_");
  absl::StrAppend(&h_, "// Generated by tl/gen from the TL schema (layer ", s_.layer,
                  "). DO NOT EDIT.\n#ifndef ", guard, "\n#define ", guard, "\n\n",
                  "#include <cstdint>\n#include <optional>\n#include <string>\n#include "
                  "<vector>\n\n#include \"tl/runtime/object.h\"\n\n",
                  "namespace tgrpc::tl::", o_.ns, " {\n\n");
  absl::StrAppend(&h_, "inline constexpr int kLayer = ", s_.layer, ";\n",
                  "inline constexpr int kConstructorCount = ", ctors.size(), ";\n",
                  "inline constexpr int kFunctionCount = ", funcs.size(), ";\n\n");
  for (const auto* list : {&ctors, &funcs}) {
    for (const Item& i : *list) absl::StrAppend(&h_, "struct ", CppIdentifier(i.c->name), ";\n");
  }
  absl::StrAppend(&h_, "\n");
  for (const auto& [type, list] : s_.types()) {
    absl::StrAppend(&h_, "struct ", CppIdentifier(type), " : ", Tl("Object"), " {\n", "  static ",
                    Tl("Ptr<"), CppIdentifier(type), "> TlRead(", Tl("Reader& r);\n"), "};\n");
  }
  absl::StrAppend(&h_, "\n");
  for (const Item& i : ctors) EmitStruct(*i.c, i.fields, "");
  for (const Item& i : funcs) EmitStruct(*i.c, i.fields, i.result);
  absl::StrAppend(&h_,
                  "// Any constructor or function of this schema by id; *known is false for "
                  "ids it does not have.\n",
                  Tl("Ptr<"), Tl("Object> ReadById(uint32_t id, "),
                  Tl("Reader& r, bool* known);\n"), "\n}  // namespace tgrpc::tl::", o_.ns,
                  "\n\n#endif  // ", guard, "\n");

  CppOutput out;
  out.header = std::move(h_);
  out.sources.assign(o_.shards, "");
  for (int k = 0; k < o_.shards; ++k) {
    absl::StrAppend(
        &out.sources[k], "// Generated by tl/gen. DO NOT EDIT.\n#include \"", o_.header_path,
        "\"\n\n#include <algorithm>\n#include <iterator>\n\nnamespace tgrpc::tl::", o_.ns,
        " {\n\n");
  }
  int n = 0;
  for (const auto* list : {&ctors, &funcs}) {
    for (const Item& i : *list) {
      std::string& src = out.sources[n++ % o_.shards];
      std::string cn = CppIdentifier(i.c->name);
      absl::StrAppend(&src, cn, "::~", cn, "() = default;\n\n", Tl("Ptr<"), Tl("Object> "), cn,
                      "::TlNew(", Tl("Reader& r) {\n"), "  auto p = std::make_unique<", cn,
                      ">();\n  p->TlParse(r);\n  return p;\n}\n\n");
      EmitStore(*i.c, i.fields, src);
      EmitParse(*i.c, i.fields, src);
      if (i.c->is_function) {
        absl::StrAppend(&src, CppIdentifier(i.c->name), "::Result ", CppIdentifier(i.c->name),
                        "::ReadResult(", Tl("Reader& r) {\n"), "  Result v{};\n  ",
                        Tl("Read(r, v);\n"), "  return v;\n}\n\n");
      }
    }
  }
  for (const auto& [type, list] : s_.types()) {
    std::string& src = out.sources[n++ % o_.shards];
    std::string t = CppIdentifier(type);
    absl::StrAppend(&src, Tl("Ptr<"), t, "> ", t, "::TlRead(", Tl("Reader& r) {\n"),
                    "  if (!r.Enter()) return nullptr;\n  ", Tl("Ptr<"), t,
                    "> out;\n  uint32_t id = r.U32();\n  switch (id) {\n");
    for (const Combinator* c : list) {
      std::string cn = CppIdentifier(c->name);
      absl::StrAppend(&src, "    case ", cn, "::kId: out.reset(static_cast<", t, "*>(", cn,
                      "::TlNew(r).release())); break;\n");
    }
    absl::StrAppend(
        &src, "    default: if (r.ok()) r.FailUnknownId(\"", type,
        "\", id);\n  }\n  r.Leave();\n  if (!r.ok()) out.reset();\n  return out;\n}\n\n");
  }
  // ReadById looks the id up in a sorted table of small per-constructor readers: one switch over
  // ~2500 cases took a single compile to 6.6 GB and 3 minutes.
  std::string& first = out.sources[0];
  absl::StrAppend(&first, "namespace {\n\nstruct Entry {\n  uint32_t id;\n  ", Tl("Ptr<"),
                  Tl("Object> (*read)("), Tl("Reader&);\n};\n\n"), "const Entry kEntries[] = {\n");
  for (const auto* list : {&ctors, &funcs}) {
    for (const Item& i : *list) {
      std::string cn = CppIdentifier(i.c->name);
      absl::StrAppend(&first, "    {", cn, "::kId, &", cn, "::TlNew},\n");
    }
  }
  absl::StrAppend(
      &first, "};\n\n}  // namespace\n\n", Tl("Ptr<"), Tl("Object> ReadById(uint32_t id, "),
      Tl("Reader& r, bool* known) {\n"), "  static const std::vector<Entry>* sorted = [] {\n",
      "    auto* v = new std::vector<Entry>(std::begin(kEntries), std::end(kEntries));\n",
      "    std::sort(v->begin(), v->end(), [](const Entry& a, const Entry& b) { return a.id < "
      "b.id; });\n",
      "    return v;\n  }();\n",
      "  auto it = std::lower_bound(sorted->begin(), sorted->end(), id,\n",
      "                             [](const Entry& e, uint32_t k) { return e.id < k; });\n",
      "  *known = it != sorted->end() && it->id == id;\n",
      "  return *known ? it->read(r) : nullptr;\n}\n\n",
      "namespace {\n[[maybe_unused]] const bool kRegistered = (",
      Tl("RegisterObjectReader(&ReadById), true);\n"), "}  // namespace\n\n");
  for (std::string& src : out.sources) {
    absl::StrAppend(&src, "}  // namespace tgrpc::tl::", o_.ns, "\n");
  }
  return out;
}

}  // namespace

std::string CppIdentifier(absl::string_view tl_name) {
  std::string id = absl::StrReplaceAll(tl_name, {{".", "_"}});
  if (Reserved().count(id)) id += "_";
  return id;
}

absl::StatusOr<CppOutput> GenerateCpp(const Schema& schema, const CppOptions& options) {
  return Generator(schema, options).Run();
}

}  // namespace tgrpc::tl::gen
