// A generic TL value tree, and a codec driven by a Schema loaded at run time: the binary form of
// any object or function of any layer, without generated code. It serves the tlconv tool, the raw
// API bridge and fakedc's answers to clients on older layers, and must agree byte for byte with
// the generated codec (tl/roundtrip_test.cc checks every combinator).
#ifndef TGRPC_TL_DYNAMIC_VALUE_H_
#define TGRPC_TL_DYNAMIC_VALUE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tl/parser/schema.h"
#include "tl/runtime/binary.h"

namespace tgrpc::tl {

struct Value {
  enum class Kind { kInt, kLong, kDouble, kBytes, kInt128, kInt256, kBool, kVector, kObject };

  // Out of line: a Value holds Values, and the special members must not be instantiated while
  // the type is still incomplete (clang with libstdc++ rejects that).
  Value();
  ~Value();
  Value(const Value&);
  Value(Value&&) noexcept;
  Value& operator=(const Value&);
  Value& operator=(Value&&) noexcept;

  Kind kind = Kind::kInt;
  int64_t i = 0;             // kInt, kLong
  double d = 0;              // kDouble
  bool b = false;            // kBool (Bool, and `true` flags)
  std::string s;             // kBytes (string and bytes), kInt128 (16 bytes), kInt256 (32 bytes)
  std::vector<Value> items;  // kVector
  const Combinator* ctor = nullptr;                   // kObject: constructor or function
  std::vector<std::pair<std::string, Value>> fields;  // kObject: present fields, schema order

  static Value Int(int32_t v);
  static Value Long(int64_t v);
  static Value Double(double v);
  static Value Bytes(std::string v);
  static Value Bool(bool v);
  static Value Vector(std::vector<Value> v);
  static Value Object(const Combinator* c);

  const Value* Field(absl::string_view name) const;
  Value& Set(absl::string_view name, Value v);  // appends; callers keep schema order

  bool operator==(const Value& o) const;
};

class DynamicCodec {
 public:
  explicit DynamicCodec(const Schema* schema) : schema_(schema) {}

  // A boxed object or function (id + fields), as sent on the wire.
  absl::Status EncodeBoxed(const Value& v, Writer& w) const;
  absl::StatusOr<std::string> EncodeBoxed(const Value& v) const;
  // A value of the given type (boxed or bare), e.g. a method's result.
  absl::Status Encode(const Value& v, const TypeRef& type, Writer& w) const;

  // Reads one boxed value of `type`: a boxed type name ("Updates", "Vector<User>", "Bool",
  // "Object" for any constructor, "Function" for any method) or a constructor/method name,
  // which then must be what the bytes hold.
  absl::StatusOr<Value> DecodeBoxed(Reader& r, absl::string_view type) const;
  absl::StatusOr<Value> Decode(absl::string_view bytes, absl::string_view type) const;
  Value Decode(Reader& r, const TypeRef& type, const Combinator* context) const;

  const Schema& schema() const { return *schema_; }

 private:
  void Write(const Value& v, const TypeRef& t, const Combinator* ctx, Writer& w) const;
  void WriteFields(const Value& v, Writer& w) const;
  void ReadFields(Reader& r, Value& v) const;
  Value ReadBoxedObject(Reader& r, absl::string_view type, bool want_function) const;

  const Schema* schema_;
};

// Parses one or more schema texts into one Schema (ids of the MTProto and API schemas do not
// overlap), e.g. {api.tl, mtproto.tl}.
absl::StatusOr<Schema> ParseSchemas(const std::vector<std::string>& texts);

}  // namespace tgrpc::tl

#endif  // TGRPC_TL_DYNAMIC_VALUE_H_
