#include "tl/parser/schema.h"

#include <zlib.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tgrpc::tl {
namespace {

bool IsLowerStart(absl::string_view name) {
  size_t dot = name.rfind('.');
  absl::string_view last = dot == absl::string_view::npos ? name : name.substr(dot + 1);
  return !last.empty() && std::islower(static_cast<unsigned char>(last[0]));
}

absl::StatusOr<TypeRef> ParseType(absl::string_view s) {
  TypeRef t;
  if (absl::ConsumePrefix(&s, "!")) t.bang = true;
  if (absl::ConsumePrefix(&s, "%")) t.bare = true;
  size_t lt = s.find('<');
  if (lt != absl::string_view::npos) {
    if (s.back() != '>') return absl::InvalidArgumentError(absl::StrCat("bad type: ", s));
    t.name = std::string(s.substr(0, lt));
    absl::string_view inner = s.substr(lt + 1, s.size() - lt - 2);
    // Only single-argument generics occur (Vector<T>), possibly nested.
    absl::StatusOr<TypeRef> arg = ParseType(inner);
    if (!arg.ok()) return arg.status();
    t.args.push_back(*std::move(arg));
  } else {
    t.name = std::string(s);
  }
  if (t.name.empty()) return absl::InvalidArgumentError("empty type name");
  if (t.name == "vector") t.bare = true;
  if (!IsBuiltinScalar(t.name) && t.name != "vector" && IsLowerStart(t.name)) t.bare = true;
  return t;
}

absl::StatusOr<Param> ParseParam(absl::string_view token) {
  size_t colon = token.find(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat("bad parameter: ", token));
  }
  Param p;
  p.name = std::string(token.substr(0, colon));
  absl::string_view type = token.substr(colon + 1);
  size_t q = type.find('?');
  if (q != absl::string_view::npos) {
    absl::string_view cond = type.substr(0, q);
    size_t dot = cond.find('.');
    int bit;
    if (dot == absl::string_view::npos || !absl::SimpleAtoi(cond.substr(dot + 1), &bit) ||
        bit < 0 || bit > 31) {
      return absl::InvalidArgumentError(absl::StrCat("bad condition: ", token));
    }
    p.cond_field = std::string(cond.substr(0, dot));
    p.cond_bit = bit;
    type = type.substr(q + 1);
  }
  absl::StatusOr<TypeRef> t = ParseType(type);
  if (!t.ok()) return t.status();
  p.type = *std::move(t);
  return p;
}

// One declaration, without its trailing ';'. Returns nullopt-like false for built-ins.
absl::StatusOr<bool> ParseCombinator(absl::string_view line, bool functions, Combinator* out) {
  size_t eq = line.rfind(" = ");
  if (eq == absl::string_view::npos) return absl::InvalidArgumentError("missing ' = '");
  absl::string_view lhs = line.substr(0, eq);
  absl::string_view rhs = absl::StripAsciiWhitespace(line.substr(eq + 3));
  std::vector<absl::string_view> tokens = absl::StrSplit(lhs, ' ', absl::SkipEmpty());
  if (tokens.empty()) return absl::InvalidArgumentError("missing name");
  // Built-in declarations use TL's full syntax (`?`, `[ t ]`, `4*[ int ]`), which no API object
  // needs: recognise and skip them.
  for (absl::string_view tok : tokens) {
    if (tok == "?" || tok == "#" || tok == "[" || absl::StrContains(tok, "*[")) return false;
  }
  absl::string_view head = tokens[0];
  size_t hash = head.find('#');
  Combinator c;
  c.is_function = functions;
  c.name = std::string(head.substr(0, hash));
  if (hash == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("no explicit id for ", c.name));
  }
  std::string hex(head.substr(hash + 1));
  uint64_t id;
  if (hex.empty() || hex.size() > 8 || !absl::SimpleHexAtoi(hex, &id)) {
    return absl::InvalidArgumentError(absl::StrCat("bad id in ", head));
  }
  c.id = static_cast<uint32_t>(id);
  for (size_t i = 1; i < tokens.size(); ++i) {
    absl::string_view tok = tokens[i];
    if (tok.front() == '{') {
      if (tok.back() != '}' || tok.find(':') == absl::string_view::npos) {
        return absl::InvalidArgumentError(absl::StrCat("bad generic ", tok));
      }
      absl::string_view g = tok.substr(1, tok.size() - 2);
      size_t colon = g.find(':');
      c.generics.emplace_back(std::string(g.substr(0, colon)), std::string(g.substr(colon + 1)));
      continue;
    }
    absl::StatusOr<Param> p = ParseParam(tok);
    if (!p.ok()) return p.status();
    c.params.push_back(*std::move(p));
  }
  absl::StatusOr<TypeRef> result = ParseType(rhs);
  if (!result.ok()) return result.status();
  c.result = *std::move(result);
  c.result.bare = false;  // a result type is always the boxed type
  *out = std::move(c);
  return true;
}

}  // namespace

absl::StatusOr<TypeRef> ParseTypeRef(absl::string_view text) {
  return ParseType(absl::StripAsciiWhitespace(text));
}

bool IsBuiltinScalar(absl::string_view t) {
  return t == "int" || t == "long" || t == "double" || t == "string" || t == "bytes" ||
         t == "int128" || t == "int256" || t == "#" || t == "true";
}

std::string TypeRef::ToString() const {
  std::string s;
  if (bang) s += "!";
  if (bare && name != "vector" && !IsLowerStart(name)) s += "%";
  s += name;
  if (!args.empty()) absl::StrAppend(&s, "<", args[0].ToString(), ">");
  return s;
}

std::string Param::ToString() const {
  if (!conditional()) return absl::StrCat(name, ":", type.ToString());
  return absl::StrCat(name, ":", cond_field, ".", cond_bit, "?", type.ToString());
}

std::string Combinator::ToString() const {
  std::string s = absl::StrCat(name, "#", absl::Hex(id, absl::kZeroPad8));
  for (const auto& [g, t] : generics) absl::StrAppend(&s, " {", g, ":", t, "}");
  for (const Param& p : params) absl::StrAppend(&s, " ", p.ToString());
  absl::StrAppend(&s, " = ", result.ToString(), ";");
  return s;
}

uint32_t Combinator::ComputedId() const {
  // TL's rule: CRC32 of the declaration without its id, with `<`/`>` as spaces, `?true` fields
  // and the trailing ';' dropped. Telegram's published ids follow it for nearly all combinators.
  std::string s = name;
  for (const auto& [g, t] : generics) absl::StrAppend(&s, " {", g, ":", t, "}");
  for (const Param& p : params) {
    if (p.conditional() && p.type.name == "true") continue;
    absl::StrAppend(&s, " ", p.ToString());
  }
  absl::StrAppend(&s, " = ", result.ToString());
  for (char& ch : s) {
    if (ch == '<' || ch == '>') ch = ' ';
  }
  // `bytes` is a later alias of `string`; ids were computed with `string`.
  s = absl::StrReplaceAll(s, {{":bytes", ":string"}, {"<bytes>", "<string>"}});
  // `Vector<T>` becomes `Vector T ` after the replacement; TL collapses the trailing space.
  std::string norm;
  for (char ch : s) {
    if (ch == ' ' && !norm.empty() && norm.back() == ' ') continue;
    norm.push_back(ch);
  }
  while (!norm.empty() && norm.back() == ' ') norm.pop_back();
  return static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(norm.data()), static_cast<uInt>(norm.size())));
}

absl::StatusOr<Schema> ParseSchema(absl::string_view text) {
  Schema schema;
  bool functions = false;
  int line_no = 0;
  std::string pending;  // a declaration may span lines until its ';'
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_no;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (absl::ConsumePrefix(&line, "//")) {
      line = absl::StripAsciiWhitespace(line);
      if (absl::ConsumePrefix(&line, "LAYER ")) {
        if (!absl::SimpleAtoi(line, &schema.layer)) {
          return absl::InvalidArgumentError(absl::StrCat("line ", line_no, ": bad LAYER comment"));
        }
      }
      continue;
    }
    if (line.empty()) continue;
    if (line == "---functions---") {
      functions = true;
      continue;
    }
    if (line == "---types---") {
      functions = false;
      continue;
    }
    absl::StrAppend(&pending, pending.empty() ? "" : " ", line);
    if (pending.back() != ';') continue;
    std::string decl = std::move(pending);
    pending.clear();
    decl.pop_back();
    Combinator c;
    absl::StatusOr<bool> parsed = ParseCombinator(decl, functions, &c);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_no, ": ", parsed.status().message(), ": ", decl));
    }
    if (!*parsed) continue;
    (functions ? schema.functions : schema.constructors).push_back(std::move(c));
  }
  if (!pending.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("unterminated declaration: ", pending));
  }
  schema.Index();
  return schema;
}

std::string PrintSchema(const Schema& schema) {
  std::string out;
  if (schema.layer) absl::StrAppend(&out, "// LAYER ", schema.layer, "\n");
  for (const Combinator& c : schema.constructors) absl::StrAppend(&out, c.ToString(), "\n");
  absl::StrAppend(&out, "---functions---\n");
  for (const Combinator& c : schema.functions) absl::StrAppend(&out, c.ToString(), "\n");
  return out;
}

void Schema::Index() {
  ctor_by_id_.clear();
  func_by_id_.clear();
  by_name_.clear();
  types_.clear();
  for (const Combinator& c : constructors) {
    ctor_by_id_.try_emplace(c.id, &c);
    by_name_.try_emplace(c.name, &c);  // merged schemas: the first of a name wins
    types_[c.result.name].push_back(&c);
  }
  for (const Combinator& c : functions) {
    func_by_id_.try_emplace(c.id, &c);
    by_name_.try_emplace(c.name, &c);
  }
}

const Combinator* Schema::ConstructorById(uint32_t id) const {
  auto it = ctor_by_id_.find(id);
  return it == ctor_by_id_.end() ? nullptr : it->second;
}

const Combinator* Schema::FunctionById(uint32_t id) const {
  auto it = func_by_id_.find(id);
  return it == func_by_id_.end() ? nullptr : it->second;
}

const Combinator* Schema::ById(uint32_t id) const {
  const Combinator* c = ConstructorById(id);
  return c ? c : FunctionById(id);
}

const Combinator* Schema::ByName(absl::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

const std::vector<const Combinator*>& Schema::ConstructorsOf(absl::string_view type) const {
  static const std::vector<const Combinator*> kNone;
  auto it = types_.find(type);
  return it == types_.end() ? kNone : it->second;
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("error while reading ", path));
  return text.str();
}

absl::StatusOr<Schema> LoadSchemaFiles(const std::vector<std::string>& paths) {
  std::string all;
  for (const std::string& path : paths) {
    absl::StatusOr<std::string> text = ReadTextFile(path);
    if (!text.ok()) return text.status();
    // Each file starts in the types section, whatever section the previous one ended in.
    absl::StrAppend(&all, "---types---\n", *text, "\n");
  }
  absl::StatusOr<Schema> schema = ParseSchema(all);
  if (!schema.ok()) {
    return absl::Status(schema.status().code(),
                        absl::StrCat(absl::StrJoin(paths, ", "), ": ", schema.status().message()));
  }
  return schema;
}

}  // namespace tgrpc::tl
