#include "tl/runtime/object.h"

#include "absl/strings/str_format.h"

namespace tgrpc::tl {
namespace {

std::vector<ObjectReader>& Readers() {
  static auto* readers = new std::vector<ObjectReader>();
  return *readers;
}

Ptr<Object> ReadAny(Reader& r, bool want_function) {
  if (!r.Enter()) return nullptr;
  uint32_t id = r.U32();
  Ptr<Object> out;
  bool known = false;
  if (r.ok()) {
    for (ObjectReader reader : Readers()) {
      out = reader(id, r, &known);
      if (known) break;
    }
    if (!known) r.FailUnknownId(want_function ? "a function" : "Object", id);
  }
  r.Leave();
  if (!r.ok()) return nullptr;
  if (want_function != (dynamic_cast<Function*>(out.get()) != nullptr)) {
    r.Fail(absl::StrFormat("0x%08x is not a %s", id, want_function ? "function" : "constructor"));
    return nullptr;
  }
  return out;
}

}  // namespace

void RegisterObjectReader(ObjectReader reader) { Readers().push_back(reader); }

Ptr<Object> ReadAnyObject(Reader& r) { return ReadAny(r, false); }

Ptr<Function> ReadAnyFunction(Reader& r) {
  Ptr<Object> o = ReadAny(r, true);
  return Ptr<Function>(static_cast<Function*>(o.release()));
}

void WriteBoxed(Writer& w, const Object* v) {
  if (v == nullptr) {
    w.Fail("a required TL object field is null");
    return;
  }
  w.U32(v->tl_id());
  v->TlStore(w);
}

absl::StatusOr<std::string> Serialize(const Object& o) {
  std::string out;
  Writer w(&out);
  WriteBoxed(w, &o);
  if (!w.ok()) return w.status();
  return out;
}

}  // namespace tgrpc::tl
