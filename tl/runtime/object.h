// Base classes and field codecs for the generated TL types. Every generated constructor derives
// from a per-type abstract base (itself an Object), every generated method from Function; field
// (de)serialization goes through the small Codec templates below.
#ifndef TGRPC_TL_RUNTIME_OBJECT_H_
#define TGRPC_TL_RUNTIME_OBJECT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tl/runtime/binary.h"

namespace tgrpc::tl {

template <class T>
using Ptr = std::unique_ptr<T>;

class Object {
 public:
  virtual ~Object() = default;
  virtual uint32_t tl_id() const = 0;
  virtual const char* tl_name() const = 0;
  // Writes the constructor's fields, without its id (the bare form).
  virtual void TlStore(Writer& w) const = 0;
};

// A TL method (function). Generated methods also carry `using Result` and
// `static Result ReadResult(Reader&)`.
class Function : public Object {};

// Reads any boxed object / function of the schemas linked into the program (generic fields:
// `Object`, `!X`). Each generated schema registers its dispatcher at start-up.
using ObjectReader = Ptr<Object> (*)(uint32_t id, Reader& r, bool* known);
void RegisterObjectReader(ObjectReader reader);
Ptr<Object> ReadAnyObject(Reader& r);
Ptr<Function> ReadAnyFunction(Reader& r);

template <class T, class = void>
struct Codec;

template <>
struct Codec<int32_t> {
  static constexpr size_t kMinSize = 4;
  static void Write(Writer& w, int32_t v) { w.I32(v); }
  static void Read(Reader& r, int32_t& v) { v = r.I32(); }
};
template <>
struct Codec<int64_t> {
  static constexpr size_t kMinSize = 8;
  static void Write(Writer& w, int64_t v) { w.I64(v); }
  static void Read(Reader& r, int64_t& v) { v = r.I64(); }
};
template <>
struct Codec<double> {
  static constexpr size_t kMinSize = 8;
  static void Write(Writer& w, double v) { w.F64(v); }
  static void Read(Reader& r, double& v) { v = r.F64(); }
};
template <>
struct Codec<bool> {  // the boxed Bool type
  static constexpr size_t kMinSize = 4;
  static void Write(Writer& w, bool v) { w.Bool(v); }
  static void Read(Reader& r, bool& v) { v = r.Bool(); }
};
template <>
struct Codec<std::string> {
  static constexpr size_t kMinSize = 4;
  static void Write(Writer& w, const std::string& v) { w.Bytes(v); }
  static void Read(Reader& r, std::string& v) { v = r.Bytes(); }
};
template <>
struct Codec<Int128> {
  static constexpr size_t kMinSize = 16;
  static void Write(Writer& w, const Int128& v) { w.I128(v); }
  static void Read(Reader& r, Int128& v) { v = r.I128(); }
};
template <>
struct Codec<Int256> {
  static constexpr size_t kMinSize = 32;
  static void Write(Writer& w, const Int256& v) { w.I256(v); }
  static void Read(Reader& r, Int256& v) { v = r.I256(); }
};

void WriteBoxed(Writer& w, const Object* v);

// A boxed object of an abstract type T: written with its id, read through T::TlRead.
template <class T>
struct Codec<Ptr<T>> {
  static constexpr size_t kMinSize = 4;
  static void Write(Writer& w, const Ptr<T>& v) { WriteBoxed(w, v.get()); }
  static void Read(Reader& r, Ptr<T>& v) { v = T::TlRead(r); }
};

// A bare constructor embedded by value (%T, lowercase type names): no id on the wire.
template <class T>
struct Codec<T, std::enable_if_t<std::is_base_of_v<Object, T>>> {
  static constexpr size_t kMinSize = 0;
  static void Write(Writer& w, const T& v) { v.TlStore(w); }
  static void Read(Reader& r, T& v) { v.TlParse(r); }
};

// Generic fields: `Object` (any constructor) and `!X` (any function).
template <>
struct Codec<Ptr<Object>> {
  static constexpr size_t kMinSize = 4;
  static void Write(Writer& w, const Ptr<Object>& v) { WriteBoxed(w, v.get()); }
  static void Read(Reader& r, Ptr<Object>& v) { v = ReadAnyObject(r); }
};
template <>
struct Codec<Ptr<Function>> {
  static constexpr size_t kMinSize = 4;
  static void Write(Writer& w, const Ptr<Function>& v) { WriteBoxed(w, v.get()); }
  static void Read(Reader& r, Ptr<Function>& v) { v = ReadAnyFunction(r); }
};

template <class T>
void WriteVector(Writer& w, const std::vector<T>& v, bool boxed) {
  if (boxed) w.U32(kVectorId);
  w.U32(static_cast<uint32_t>(v.size()));
  for (const T& e : v) Codec<T>::Write(w, e);
}

template <class T>
void ReadVector(Reader& r, std::vector<T>& v, bool boxed) {
  uint32_t n = boxed ? r.BoxedVectorLength(Codec<T>::kMinSize) : r.VectorLength(Codec<T>::kMinSize);
  v.clear();
  v.reserve(n);
  for (uint32_t i = 0; i < n && r.ok(); ++i) Codec<T>::Read(r, v.emplace_back());
}

// Boxed Vector<T> (the common case); bare vector<T> fields call WriteVector/ReadVector directly.
template <class T>
struct Codec<std::vector<T>> {
  static constexpr size_t kMinSize = 8;
  static void Write(Writer& w, const std::vector<T>& v) { WriteVector(w, v, true); }
  static void Read(Reader& r, std::vector<T>& v) { ReadVector(r, v, true); }
};

template <class T>
void Write(Writer& w, const T& v) {
  Codec<T>::Write(w, v);
}
template <class T>
void Read(Reader& r, T& v) {
  Codec<T>::Read(r, v);
}

// Not inlined: the id dispatchers switch over up to ~2500 constructors, and inlining every
// constructor's parser into one function made a single compile take over 6 GB and 3 minutes.
template <class T>
[[gnu::noinline]] Ptr<T> ParseNew(Reader& r) {
  auto p = std::make_unique<T>();
  p->TlParse(r);
  return p;
}

// Serializes a boxed object (id + fields).
absl::StatusOr<std::string> Serialize(const Object& o);

// Decodes one boxed value of a generated type, e.g. Decode<api::InputPeer>() or a method's
// result with DecodeResult<api::messages_sendMessage>(). Trailing bytes are an error.
template <class T>
absl::StatusOr<Ptr<T>> Decode(absl::string_view bytes) {
  Reader r(bytes);
  Ptr<T> v = T::TlRead(r);
  if (r.ok() && r.remaining() != 0) r.Fail("trailing bytes after TL object");
  if (!r.ok()) return r.status();
  return v;
}

template <class F>
absl::StatusOr<typename F::Result> DecodeResult(absl::string_view bytes) {
  Reader r(bytes);
  typename F::Result v = F::ReadResult(r);
  if (r.ok() && r.remaining() != 0) r.Fail("trailing bytes after TL result");
  if (!r.ok()) return r.status();
  return v;
}

}  // namespace tgrpc::tl

#endif  // TGRPC_TL_RUNTIME_OBJECT_H_
