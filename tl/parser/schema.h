// The TL schema as data: an AST for Telegram's TL dialect (flags and flags2 with conditional
// fields, `true`, Vector/vector, bare and boxed types, `#`, generics, int128/int256), its parser
// and printer, and an index by id, name and type used by both codecs and the code generator.
#ifndef TGRPC_TL_PARSER_SCHEMA_H_
#define TGRPC_TL_PARSER_SCHEMA_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tgrpc::tl {

struct TypeRef {
  std::string name;           // "int", "Vector", "messages.Messages", "X", "#", "future_salt"
  bool bare = false;          // written %T, or a lowercase constructor / vector<T> (no id)
  bool bang = false;          // !X: any function returning X
  std::vector<TypeRef> args;  // Vector<T>

  std::string ToString() const;
  bool IsVector() const { return (name == "Vector" || name == "vector") && args.size() == 1; }
  bool operator==(const TypeRef&) const = default;
};

struct Param {
  std::string name;
  TypeRef type;
  std::string cond_field;  // "flags" / "flags2" for flags.N?T; empty when always present
  int cond_bit = -1;

  bool conditional() const { return !cond_field.empty(); }
  std::string ToString() const;
  bool operator==(const Param&) const = default;
};

struct Combinator {
  std::string name;  // "messages.sendMessage"
  uint32_t id = 0;
  std::vector<std::pair<std::string, std::string>> generics;  // {X:Type}
  std::vector<Param> params;
  TypeRef result;
  bool is_function = false;

  std::string ToString() const;  // the canonical TL line, with `;`
  // The id TL derives from the line (CRC32 of its normalized text); Telegram's explicit ids
  // almost always equal it, and the parser tests count the exceptions.
  uint32_t ComputedId() const;
  bool operator==(const Combinator&) const = default;
};

class Schema {
 public:
  Schema() = default;
  Schema(Schema&&) = default;  // vectors keep their elements' addresses, so the index stays valid
  Schema& operator=(Schema&&) = default;
  Schema(const Schema&) = delete;
  Schema& operator=(const Schema&) = delete;

  int layer = 0;  // from a `// LAYER N` comment, 0 if none
  std::vector<Combinator> constructors;
  std::vector<Combinator> functions;

  // Builds the look-up tables; call after the vectors are final (Parse does).
  void Index();

  const Combinator* ById(uint32_t id) const;
  const Combinator* ConstructorById(uint32_t id) const;
  const Combinator* FunctionById(uint32_t id) const;
  const Combinator* ByName(absl::string_view name) const;
  // Constructors of a boxed type, in schema order; empty for unknown types.
  const std::vector<const Combinator*>& ConstructorsOf(absl::string_view type) const;
  const std::map<std::string, std::vector<const Combinator*>, std::less<>>& types() const {
    return types_;
  }

 private:
  std::map<uint32_t, const Combinator*> ctor_by_id_, func_by_id_;
  std::map<std::string, const Combinator*, std::less<>> by_name_;
  std::map<std::string, std::vector<const Combinator*>, std::less<>> types_;
};

// Parses TL text. Built-in declarations (`int ? = Int;`, `vector {t:Type} # [ t ] = Vector t;`,
// `int128 4*[ int ] = Int128;`) are accepted and skipped; errors name the line.
absl::StatusOr<Schema> ParseSchema(absl::string_view text);

// Reads a file whole; NotFoundError names the path when it cannot be read.
absl::StatusOr<std::string> ReadTextFile(const std::string& path);

// Reads and parses one or more schema files into one schema (later files see the earlier ones'
// types, as if concatenated); errors name the file.
absl::StatusOr<Schema> LoadSchemaFiles(const std::vector<std::string>& paths);

// Prints a schema back as TL text (types, then ---functions---), one combinator per line.
std::string PrintSchema(const Schema& schema);

// Parses a type expression: "int", "Vector<User>", "%Message", "!X".
absl::StatusOr<TypeRef> ParseTypeRef(absl::string_view text);

// Types with a fixed binary form that are not constructors of any schema type.
bool IsBuiltinScalar(absl::string_view type);  // int long double string bytes int128 int256 # true

}  // namespace tgrpc::tl

#endif  // TGRPC_TL_PARSER_SCHEMA_H_
