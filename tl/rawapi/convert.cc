#include "tl/rawapi/convert.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "tl/rawapi/wire.h"

namespace tgrpc::tl::raw {
namespace {

using wire::Input;
using wire::kEndGroup;
using wire::kFixed32;
using wire::kFixed64;
using wire::kLen;
using wire::kStartGroup;
using wire::kVarint;

// What one element of a field is on the TL side (kAccount: a request's field 1; kRef: a
// wrapper's `ref` case). The order matches kKindOf.
enum class Elem : uint8_t {
  kInt,
  kLong,
  kDouble,
  kString,
  kBytes,
  kInt128,
  kInt256,
  kBool,
  kTrue,
  kMessage,
  kAccount,
  kRef,
};
constexpr Value::Kind kKindOf[] = {Value::Kind::kInt,    Value::Kind::kLong,  Value::Kind::kDouble,
                                   Value::Kind::kBytes,  Value::Kind::kBytes, Value::Kind::kInt128,
                                   Value::Kind::kInt256, Value::Kind::kBool,  Value::Kind::kBool,
                                   Value::Kind::kObject, Value::Kind::kBytes, Value::Kind::kBytes};
Value::Kind KindOf(Elem e) { return kKindOf[static_cast<int>(e)]; }
size_t FixedSize(Elem e) { return e == Elem::kInt128 ? 16 : e == Elem::kInt256 ? 32 : 0; }

const char* KindName(Value::Kind k) {
  static constexpr const char* kNames[] = {"int",    "long", "double", "bytes", "int128",
                                           "int256", "bool", "vector", "object"};
  return kNames[static_cast<int>(k)];
}

// The scalars of the model: which TL type goes in which proto scalar, and its wire type.
struct ScalarForm {
  const char* tl_type;
  Scalar scalar;
  Elem elem;
};
constexpr ScalarForm kScalarForms[] = {
    {"int", Scalar::kInt32, Elem::kInt},        {"long", Scalar::kInt64, Elem::kLong},
    {"long", Scalar::kSfixed64, Elem::kLong},   {"double", Scalar::kDouble, Elem::kDouble},
    {"string", Scalar::kString, Elem::kString}, {"bytes", Scalar::kBytes, Elem::kBytes},
    {"int128", Scalar::kBytes, Elem::kInt128},  {"int256", Scalar::kBytes, Elem::kInt256},
    {"Bool", Scalar::kBool, Elem::kBool},       {"true", Scalar::kBool, Elem::kTrue}};
// By Scalar: kInt32, kInt64, kSfixed64, kDouble, kString, kBytes, kBool.
constexpr uint32_t kWireOf[] = {kVarint, kVarint, kFixed64, kFixed64, kLen, kLen, kVarint};

struct FieldPlan {
  const Field* field = nullptr;
  const std::string* tl_name = nullptr;  // the TL parameter; null for account, ref, result items
  Elem elem = Elem::kInt;
  uint32_t wire = kLen;  // of one element
  bool repeated = false;
  bool conditional = false;  // a flags.N? parameter
  bool packable = false;     // repeated numbers: written packed
  int message = -1;          // kMessage: the element's message
};

struct MessagePlan {
  const Message* message = nullptr;
  std::vector<FieldPlan> fields;                        // schema order, account first
  std::vector<int16_t> by_number;                       // number -> index into fields, or -1
  absl::flat_hash_map<const Combinator*, int> case_of;  // a wrapper's cases by constructor
  std::vector<std::vector<int>> groups;                 // fields sharing one flag bit
  absl::Status error;                                   // the model's message makes no sense

  int Lookup(uint64_t number) const { return number < by_number.size() ? by_number[number] : -1; }
};

absl::Status PlanError(const Message& m, const Field& f, absl::string_view what) {
  return absl::InternalError(absl::StrCat("raw API model: ", m.name, ".", f.name, ": ", what));
}

absl::Status PlanField(const RawModel& model, const Message& m, const Field& f, FieldPlan& p) {
  p.field = &f;
  p.tl_name = f.param != nullptr ? &f.param->name : nullptr;
  p.repeated = f.repeated;
  p.conditional = f.param != nullptr && f.param->conditional();
  if (f.number <= 0 || f.number > 0x7fff) return PlanError(m, f, "bad field number");
  if (f.is_message) {
    p.elem = Elem::kMessage;
    const bool in_range = f.message >= 0 && f.message < static_cast<int>(model.messages().size());
    p.message = f.message;
    return in_range ? absl::OkStatus() : PlanError(m, f, "message index out of range");
  }
  p.wire = kWireOf[static_cast<int>(f.scalar)];
  p.packable = p.repeated && p.wire != kLen;
  if (f.param == nullptr && m.kind == Message::Kind::kRequest && f.number == kAccountField) {
    p.elem = Elem::kAccount;
  } else if (m.kind == Message::Kind::kWrapper) {
    p.elem = Elem::kRef;
  } else {
    for (const ScalarForm& form : kScalarForms) {
      if (f.tl_type == form.tl_type && f.scalar == form.scalar) {
        p.elem = form.elem;
        return absl::OkStatus();
      }
    }
    return PlanError(m, f, absl::StrCat("no scalar form for TL type ", f.tl_type));
  }
  return f.scalar == Scalar::kString ? absl::OkStatus() : PlanError(m, f, "not a string");
}

MessagePlan BuildPlan(const RawModel& model, const Message& m) {
  MessagePlan plan;
  plan.message = &m;
  int max_number = 0;
  for (const Field& f : m.fields) {
    FieldPlan& p = plan.fields.emplace_back();
    if (absl::Status s = PlanField(model, m, f, p); !s.ok()) plan.error = s;
    max_number = std::max(max_number, std::min(f.number, 0x7fff));
  }
  if (m.kind == Message::Kind::kVector || m.kind == Message::Kind::kScalarResult) {
    if (m.fields.size() != 1) {
      plan.error = absl::InternalError(absl::StrCat("raw API model: ", m.name, " not one field"));
    }
  }
  // Schema order (a TL object's fields in order): one combinator's parameters lie in one vector,
  // so their addresses give it; the account (no parameter) goes first.
  std::stable_sort(plan.fields.begin(), plan.fields.end(), [](const auto& a, const auto& b) {
    const Param* pa = a.field->param;
    const Param* pb = b.field->param;
    return pb != nullptr && (pa == nullptr || std::less<const Param*>()(pa, pb));
  });
  plan.by_number.assign(max_number + 1, -1);
  std::map<std::pair<std::string, int>, std::vector<int>> bits;
  for (size_t i = 0; i < plan.fields.size(); ++i) {
    const Field& f = *plan.fields[i].field;
    if (f.number <= 0 || f.number > max_number) continue;
    if (plan.by_number[f.number] >= 0) plan.error = PlanError(m, f, "number used twice");
    plan.by_number[f.number] = static_cast<int16_t>(i);
    if (f.constructor != nullptr) plan.case_of.emplace(f.constructor, static_cast<int>(i));
    if (plan.fields[i].conditional) {
      bits[{f.param->cond_field, f.param->cond_bit}].push_back(static_cast<int>(i));
    }
  }
  for (auto& [bit, members] : bits) {
    if (members.size() > 1) plan.groups.push_back(std::move(members));
  }
  return plan;
}

bool SameCombinator(const Combinator* have, const Combinator* want) {
  return have == want ||
         (have != nullptr && want != nullptr && have->id == want->id && have->name == want->name);
}

// Where a conversion is, as proto field names ("peer.input_peer_user.user_id"), for errors.
class Path {
 public:
  void Push(const Field& f) { names_.push_back(&f.name); }
  void Pop() { names_.pop_back(); }
  std::string Join(const Field* last = nullptr) const {
    std::string out;
    for (const std::string* name : names_) absl::StrAppend(&out, out.empty() ? "" : ".", *name);
    if (last != nullptr) absl::StrAppend(&out, out.empty() ? "" : ".", last->name);
    return out;
  }
  absl::Status Error(absl::StatusCode code, absl::string_view what,
                     const Field* last = nullptr) const {
    std::string path = Join(last);
    if (path.empty()) return absl::Status(code, what);
    absl::Status status(code, absl::StrCat(path, ": ", what));
    status.SetPayload(kFieldPathPayload, absl::Cord(path));
    return status;
  }

 private:
  std::vector<const std::string*> names_;
};

}  // namespace

struct Converter::Plans {
  std::vector<MessagePlan> messages;
};

namespace {

// ---- proto -> TL ----

class Decoder {
 public:
  Decoder(const Converter::Plans& plans, const ConvertLimits& limits, const RefResolver& resolve,
          std::string* account)
      : plans_(plans), limits_(limits), resolve_(resolve), account_(account) {}

  // Reads a message of `plan`. `*has` is false for a wrapper with no case set.
  bool Read(const MessagePlan& plan, absl::string_view bytes, int depth, Value* out, bool* has);
  const absl::Status& status() const { return status_; }

 private:
  bool ReadWrapper(const MessagePlan& plan, absl::string_view bytes, int depth, Value* out,
                   bool* has);
  bool Resolve(const MessagePlan& plan, absl::string_view ref, Value* out);
  bool ReadField(const FieldPlan& f, uint32_t wire, Input& in, size_t slot, int depth);
  bool StoreNumber(const FieldPlan& f, size_t slot, uint64_t raw);
  bool StoreBytes(const FieldPlan& f, size_t slot, absl::string_view s);
  bool Store(const FieldPlan& f, size_t slot, Value v);
  Value* Target(const FieldPlan& f, size_t slot);
  bool Assemble(const MessagePlan& plan, size_t base, Value* out);
  bool Skip(Input& in, uint64_t number, uint32_t wire, int depth);

  bool Fail(absl::string_view what, const Field* last = nullptr) {
    status_ = path_.Error(absl::StatusCode::kInvalidArgument, what, last);
    return false;
  }
  bool Truncated() { return Fail("truncated or malformed bytes"); }
  bool WrongWire(uint32_t wire) { return Fail(absl::StrCat("wire type ", wire, " does not fit")); }

  const Converter::Plans& plans_;
  const ConvertLimits& limits_;
  const RefResolver& resolve_;
  std::string* account_;
  absl::Status status_;
  Path path_;
  // The fields of the objects being read, a stack with the innermost object's on top, so no
  // object allocates its own. Slots above `top_` are kept (empty once moved from) for the next
  // object instead of being destroyed and made again.
  std::vector<Value> slots_;
  std::vector<uint8_t> present_;
  size_t top_ = 0;
};

bool Decoder::Read(const MessagePlan& plan, absl::string_view bytes, int depth, Value* out,
                   bool* has) {
  if (!plan.error.ok()) return status_ = plan.error, false;
  if (depth > limits_.max_depth) {
    return Fail(absl::StrCat("messages nested deeper than ", limits_.max_depth));
  }
  *has = true;
  if (plan.message->kind == Message::Kind::kWrapper) {
    return ReadWrapper(plan, bytes, depth, out, has);
  }
  const size_t base = top_;
  top_ += plan.fields.size();
  if (slots_.size() < top_) {
    slots_.resize(top_);
    present_.resize(top_);
  }
  std::fill(present_.begin() + base, present_.begin() + top_, 0);
  Input in(bytes);
  while (in.more()) {
    uint64_t tag;
    if (!in.Varint(&tag)) return Truncated();
    const uint64_t number = tag >> 3;
    if (number == 0 || number > wire::kMaxFieldNumber) return Fail("invalid field tag");
    const int index = plan.Lookup(number);
    if (index < 0) {
      // Unknown fields are skipped, as protobuf does (a newer client's fields).
      if (!Skip(in, number, tag & 7, depth)) return false;
      continue;
    }
    const FieldPlan& f = plan.fields[index];
    path_.Push(*f.field);
    if (!ReadField(f, tag & 7, in, base + index, depth)) return false;
    path_.Pop();
  }
  top_ = base;  // a failure ends the whole conversion, so only success needs to pop
  return Assemble(plan, base, out);
}

bool Decoder::ReadWrapper(const MessagePlan& plan, absl::string_view bytes, int depth, Value* out,
                          bool* has) {
  Input in(bytes);
  int chosen = -1;  // a oneof: the last case on the wire wins
  absl::string_view ref;
  while (in.more()) {
    uint64_t tag;
    if (!in.Varint(&tag)) return Truncated();
    const int index = plan.Lookup(tag >> 3);
    if (index < 0) {
      return Fail(absl::StrCat("unknown case ", tag >> 3, " of ", plan.message->name));
    }
    const FieldPlan& f = plan.fields[index];
    path_.Push(*f.field);
    absl::string_view sub;
    if ((tag & 7) != kLen) return WrongWire(tag & 7);
    if (!in.Len(&sub)) return Truncated();
    if (f.elem == Elem::kRef) {
      if (sub.size() > limits_.max_bytes_field) return Fail("ref over the size limit");
      ref = sub;
    } else {
      bool case_has;
      if (!Read(plans_.messages[f.message], sub, depth + 1, out, &case_has)) return false;
    }
    chosen = index;
    path_.Pop();
  }
  *has = chosen >= 0;
  if (!*has || plan.fields[chosen].elem != Elem::kRef) return true;
  path_.Push(*plan.fields[chosen].field);
  if (!Resolve(plan, ref, out)) return false;
  path_.Pop();
  return true;
}

bool Decoder::Resolve(const MessagePlan& plan, absl::string_view ref, Value* out) {
  const std::string& type = plan.message->tl_type;
  if (resolve_ == nullptr) return Fail(absl::StrCat("no resolver here for a ", type, " ref"));
  absl::StatusOr<Value> v = resolve_(type, ref);
  if (!v.ok()) return status_ = path_.Error(v.status().code(), v.status().message()), false;
  if (v->kind != Value::Kind::kObject || v->ctor == nullptr || v->ctor->is_function ||
      v->ctor->result.name != type) {
    return Fail(absl::StrCat("the ref resolved to something not a ", type));
  }
  *out = *std::move(v);
  return true;
}

bool Decoder::ReadField(const FieldPlan& f, uint32_t wire, Input& in, size_t slot, int depth) {
  absl::string_view sub;
  if (f.elem == Elem::kMessage) {
    if (wire != kLen) return WrongWire(wire);
    if (!in.Len(&sub)) return Truncated();
    if (f.repeated && present_[slot] && slots_[slot].items.size() >= limits_.max_repeated) {
      return Fail(absl::StrCat("more than ", limits_.max_repeated, " elements"));
    }
    Value v;
    bool has;
    if (!Read(plans_.messages[f.message], sub, depth + 1, &v, &has)) return false;
    // A message given twice replaces the first (protobuf would merge the two; nothing that
    // writes these messages splits one).
    if (has) return Store(f, slot, std::move(v));
    // An empty wrapper: a value is required unless the field is conditional, where it stands for
    // the field left out.
    if (f.repeated || !f.conditional) {
      return Fail(absl::StrCat("no case of ", plans_.messages[f.message].message->name, " set"));
    }
    present_[slot] = 0;
    return true;
  }
  if (f.wire == kLen) {
    if (wire != kLen) return WrongWire(wire);
    return in.Len(&sub) ? StoreBytes(f, slot, sub) : Truncated();
  }
  const int size = f.wire == kFixed64 ? 8 : 0;
  uint64_t raw;
  if (wire == f.wire) return in.Number(size, &raw) ? StoreNumber(f, slot, raw) : Truncated();
  // Repeated numbers come packed (proto3's default) or one by one; both are read.
  if (wire != kLen || !f.repeated) return WrongWire(wire);
  if (!in.Len(&sub)) return Truncated();
  for (Input packed(sub); packed.more();) {
    if (!packed.Number(size, &raw)) return Truncated();
    if (!StoreNumber(f, slot, raw)) return false;
  }
  return true;
}

// Scalars are written in place (the slot, or a new element of its vector) rather than built and
// moved: Value's special members are out of line, and this is the hot path.
bool Decoder::StoreNumber(const FieldPlan& f, size_t slot, uint64_t raw) {
  if (f.elem == Elem::kTrue && raw == 0) return present_[slot] = 0, true;  // the flag is clear
  Value* v = Target(f, slot);
  if (v == nullptr) return false;
  v->kind = KindOf(f.elem);
  if (f.elem == Elem::kDouble) {
    std::memcpy(&v->d, &raw, 8);
  } else if (v->kind == Value::Kind::kBool) {
    v->b = raw != 0;
  } else {
    v->i = f.elem == Elem::kInt ? static_cast<int32_t>(raw) : static_cast<int64_t>(raw);
  }
  return true;
}

bool Decoder::StoreBytes(const FieldPlan& f, size_t slot, absl::string_view s) {
  if (s.size() > limits_.max_bytes_field) {
    return Fail(absl::StrCat(s.size(), " bytes, over the limit of ", limits_.max_bytes_field));
  }
  if (f.elem == Elem::kAccount) {
    if (account_ != nullptr) *account_ = std::string(s);
    return true;
  }
  if (const size_t want = FixedSize(f.elem); want != 0 && s.size() != want) {
    return Fail(absl::StrCat(KindName(KindOf(f.elem)), " needs ", want, " bytes, got ", s.size()));
  }
  Value* v = Target(f, slot);
  if (v == nullptr) return false;
  v->kind = KindOf(f.elem);
  if (f.elem == Elem::kString) {
    v->s = Converter::UnescapeString(s);
  } else {
    v->s.assign(s.data(), s.size());
  }
  return true;
}

// Clears what an earlier object left in a slot.
void Reset(Value& v) {
  v.kind = Value::Kind::kInt;
  v.i = 0;
  v.d = 0;
  v.b = false;
  v.ctor = nullptr;
  v.s.clear();
  v.items.clear();
  v.fields.clear();
}

Value* Decoder::Target(const FieldPlan& f, size_t slot) {
  Value& s = slots_[slot];
  if (!f.repeated || !present_[slot]) {
    Reset(s);  // a singular field given twice: the last one wins, as in protobuf
    present_[slot] = 1;
    if (!f.repeated) return &s;
    s.kind = Value::Kind::kVector;
  }
  if (s.items.size() >= limits_.max_repeated) {
    Fail(absl::StrCat("more than ", limits_.max_repeated, " elements"));
    return nullptr;
  }
  return &s.items.emplace_back();
}

bool Decoder::Store(const FieldPlan& f, size_t slot, Value v) {
  Value* target = Target(f, slot);
  if (target != nullptr) *target = std::move(v);
  return target != nullptr;
}

// A field the proto left out: the TL default, where TL has one (objects, int128 and int256 have
// none). A `true` that is not conditional is always set.
bool Default(const FieldPlan& f, Value* v) {
  if (f.repeated) return *v = Value::Vector({}), true;
  if (f.elem == Elem::kMessage || FixedSize(f.elem) != 0) return false;
  *v = Value();
  v->kind = KindOf(f.elem);
  v->b = f.elem == Elem::kTrue;
  return true;
}

bool Decoder::Assemble(const MessagePlan& plan, size_t base, Value* out) {
  const Message& m = *plan.message;
  if (m.kind == Message::Kind::kVector || m.kind == Message::Kind::kScalarResult) {
    if (present_[base]) return *out = std::move(slots_[base]), true;
    return Default(plan.fields[0], out) || Fail("missing required field", plan.fields[0].field);
  }
  // Fields sharing a flag bit are there together: a `true` or a vector (which proto cannot carry
  // empty) is implied by the others; any other value must be given.
  for (const std::vector<int>& group : plan.groups) {
    int set = -1;
    for (int i : group) set = present_[base + i] ? i : set;
    if (set < 0) continue;
    for (int i : group) {
      const FieldPlan& f = plan.fields[i];
      if (present_[base + i]) continue;
      if (f.elem != Elem::kTrue && !f.repeated) {
        return Fail(absl::StrCat("required with ", plan.fields[set].field->name, " (one flag bit)"),
                    f.field);
      }
      slots_[base + i] = f.repeated ? Value::Vector({}) : Value::Bool(true);
      present_[base + i] = 1;
    }
  }
  Value obj = Value::Object(m.combinator);
  size_t count = 0;
  for (size_t i = 0; i < plan.fields.size(); ++i) {
    count += present_[base + i] || !plan.fields[i].conditional;
  }
  obj.fields.reserve(count);
  for (size_t i = 0; i < plan.fields.size(); ++i) {
    const FieldPlan& f = plan.fields[i];
    if (f.tl_name == nullptr) continue;
    if (present_[base + i]) {
      obj.fields.emplace_back(*f.tl_name, std::move(slots_[base + i]));
    } else if (!f.conditional) {
      Value v;
      if (!Default(f, &v)) {
        return Fail("required, not set", f.field);
      }
      obj.fields.emplace_back(*f.tl_name, std::move(v));
    }
  }
  *out = std::move(obj);
  return true;
}

bool Decoder::Skip(Input& in, uint64_t number, uint32_t wire, int depth) {
  uint64_t ignored;
  absl::string_view sub;
  switch (wire) {
    case kVarint:
    case kFixed64:
    case kFixed32:
      return in.Number(wire == kVarint ? 0 : wire == kFixed64 ? 8 : 4, &ignored) || Truncated();
    case kLen:
      return in.Len(&sub) || Truncated();
    case kStartGroup:
      if (depth + 1 > limits_.max_depth) return Fail("groups nested too deep");
      while (true) {
        uint64_t tag;
        if (!in.Varint(&tag)) return Truncated();
        if ((tag & 7) == kEndGroup) return (tag >> 3) == number || Fail("mismatched end group");
        if (!Skip(in, tag >> 3, tag & 7, depth + 1)) return false;
      }
    default:
      return Fail(absl::StrCat("invalid wire type ", wire));
  }
}

// ---- TL -> proto ----

class Encoder {
 public:
  Encoder(const RawModel& model, const Converter::Plans& plans, const ConvertLimits& limits)
      : model_(model), plans_(plans), limits_(limits) {}

  bool Body(const MessagePlan& plan, const Value& v, int depth, absl::string_view account);
  std::string Take() { return sink_.Take(); }
  const absl::Status& status() const { return status_; }

 private:
  bool Case(const MessagePlan& plan, const Value& v, int depth);
  bool Fields(const MessagePlan& plan, const Value& v, int depth, bool by_name);
  bool WriteField(const FieldPlan& f, const Value& x, int depth);
  bool Element(const FieldPlan& f, const Value& x, int depth);
  bool Number(const FieldPlan& f, const Value& x, uint64_t* raw);

  bool Fail(absl::string_view what) {
    status_ = path_.Error(absl::StatusCode::kDataLoss, what);
    return false;
  }
  bool WrongKind(Value::Kind want, const Value& x) {
    return Fail(absl::StrCat("expected ", KindName(want), ", got ", KindName(x.kind)));
  }

  const RawModel& model_;
  const Converter::Plans& plans_;
  const ConvertLimits& limits_;
  wire::Sink sink_;
  absl::Status status_;
  Path path_;
};

bool Encoder::Body(const MessagePlan& plan, const Value& v, int depth, absl::string_view account) {
  if (!plan.error.ok()) return status_ = plan.error, false;
  if (depth > limits_.max_depth) {
    return Fail(absl::StrCat("nested deeper than ", limits_.max_depth, " messages"));
  }
  const Message& m = *plan.message;
  switch (m.kind) {
    case Message::Kind::kVector:
    case Message::Kind::kScalarResult:
      path_.Push(*plan.fields[0].field);
      if (!WriteField(plan.fields[0], v, depth)) return false;
      path_.Pop();
      return true;
    case Message::Kind::kWrapper:
      return Case(plan, v, depth);
    case Message::Kind::kConstructor:
    case Message::Kind::kRequest:
      if (v.kind != Value::Kind::kObject) return WrongKind(Value::Kind::kObject, v);
      if (!SameCombinator(v.ctor, m.combinator)) {
        return Fail(absl::StrCat(v.ctor ? v.ctor->name : "an object without a constructor",
                                 " where ", m.combinator->name, " belongs"));
      }
      if (m.kind == Message::Kind::kRequest && !account.empty()) {
        sink_.Bytes(kAccountField, account);
      }
      return Fields(plan, v, depth, false);
  }
  return Fail("unknown message kind");
}

// A wrapper: the case of the value's constructor, holding the constructor's message.
bool Encoder::Case(const MessagePlan& plan, const Value& v, int depth) {
  if (v.kind != Value::Kind::kObject) return WrongKind(Value::Kind::kObject, v);
  auto it = plan.case_of.find(v.ctor);
  if (it == plan.case_of.end() && v.ctor != nullptr) {
    // The same constructor from another copy of the schema.
    it = plan.case_of.find(model_.schema().ConstructorById(v.ctor->id));
    if (it != plan.case_of.end() && it->first->name != v.ctor->name) it = plan.case_of.end();
  }
  if (it == plan.case_of.end()) {
    return Fail(absl::StrCat(v.ctor ? v.ctor->name : "an object without a constructor",
                             " is not a case of ", plan.message->name));
  }
  const FieldPlan& f = plan.fields[it->second];
  path_.Push(*f.field);
  const size_t at = sink_.BeginLen(f.field->number);
  if (!Body(plans_.messages[f.message], v, depth + 1, {})) return false;
  sink_.EndLen(at);
  path_.Pop();
  return true;
}

// The fast pass walks the value's fields in step with the schema (a Value keeps schema order);
// a value out of order, or without a field it needs, is done again by name.
bool Encoder::Fields(const MessagePlan& plan, const Value& v, int depth, bool by_name) {
  const size_t start = sink_.size();
  size_t next = 0;
  bool in_step = true;
  for (const FieldPlan& f : plan.fields) {
    if (f.tl_name == nullptr) continue;
    const Value* x = nullptr;
    if (by_name) {
      x = v.Field(*f.tl_name);
    } else if (next < v.fields.size() && v.fields[next].first == *f.tl_name) {
      x = &v.fields[next++].second;
    }
    if (x == nullptr) {
      if (f.conditional || f.elem == Elem::kTrue) continue;
      if (!by_name) {
        in_step = false;
        break;
      }
      path_.Push(*f.field);
      return Fail(absl::StrCat("missing in ", v.ctor->name));
    }
    path_.Push(*f.field);
    if (!WriteField(f, *x, depth)) return false;
    path_.Pop();
  }
  if (by_name || (in_step && next == v.fields.size())) return true;
  sink_.Truncate(start);
  return Fields(plan, v, depth, true);
}

bool Encoder::WriteField(const FieldPlan& f, const Value& x, int depth) {
  if (f.repeated) {
    if (x.kind != Value::Kind::kVector) return WrongKind(Value::Kind::kVector, x);
    if (x.items.empty()) return true;
    if (!f.packable) {
      for (const Value& e : x.items) {
        if (!Element(f, e, depth)) return false;
      }
      return true;
    }
    const size_t at = sink_.BeginLen(f.field->number);
    for (const Value& e : x.items) {
      uint64_t raw;
      if (!Number(f, e, &raw)) return false;
      sink_.Number(f.wire, raw);
    }
    sink_.EndLen(at);
    return true;
  }
  // proto3 leaves out the defaults of fields without presence, and a clear `true` flag.
  if (!f.conditional || f.elem == Elem::kTrue) {
    uint64_t bits;  // -0.0 is not the default
    std::memcpy(&bits, &x.d, 8);
    if (x.kind == KindOf(f.elem) && FixedSize(f.elem) == 0 && f.elem != Elem::kMessage &&
        x.i == 0 && !x.b && x.s.empty() && bits == 0) {
      return true;
    }
  }
  return Element(f, x, depth);
}

bool Encoder::Element(const FieldPlan& f, const Value& x, int depth) {
  const int number = f.field->number;
  if (f.elem == Elem::kMessage) {
    const size_t at = sink_.BeginLen(number);
    if (!Body(plans_.messages[f.message], x, depth + 1, {})) return false;
    sink_.EndLen(at);
    return true;
  }
  const Value::Kind want = KindOf(f.elem);
  if (x.kind != want) return WrongKind(want, x);
  if (f.wire == kLen) {
    if (const size_t size = FixedSize(f.elem); size != 0 && x.s.size() != size) {
      return Fail(absl::StrCat(KindName(want), " of ", x.s.size(), " bytes"));
    }
    if (f.elem == Elem::kString && wire::PlainPrefix(x.s) != x.s.size()) {
      sink_.Bytes(number, Converter::EscapeString(x.s));
    } else {
      sink_.Bytes(number, x.s);
    }
    return true;
  }
  uint64_t raw;
  if (!Number(f, x, &raw)) return false;
  sink_.Tag(number, f.wire);
  sink_.Number(f.wire, raw);
  return true;
}

bool Encoder::Number(const FieldPlan& f, const Value& x, uint64_t* raw) {
  const Value::Kind want = KindOf(f.elem);
  if (x.kind != want) return WrongKind(want, x);
  if (f.elem == Elem::kDouble) {
    std::memcpy(raw, &x.d, 8);
  } else if (want == Value::Kind::kBool) {
    *raw = x.b ? 1 : 0;
  } else if (f.elem == Elem::kInt) {
    // A negative int32 is ten bytes, sign-extended, as protobuf writes it.
    *raw = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(x.i)));
  } else {
    *raw = static_cast<uint64_t>(x.i);
  }
  return true;
}

// The plan of a message of the model, or one made for the occasion (a message built elsewhere).
const MessagePlan* PlanOf(const RawModel& model, const Converter::Plans& plans,
                          const Message& message, MessagePlan* local) {
  const std::vector<Message>& all = model.messages();
  std::less<const Message*> less;
  if (!all.empty() && !less(&message, &all.front()) && !less(&all.back(), &message)) {
    return &plans.messages[&message - &all.front()];
  }
  *local = BuildPlan(model, message);
  return local;
}

}  // namespace

Converter::Converter(const RawModel* model, ConvertLimits limits) : model_(model), limits_(limits) {
  auto plans = std::make_shared<Plans>();
  plans->messages.reserve(model->messages().size());
  for (const Message& m : model->messages()) plans->messages.push_back(BuildPlan(*model, m));
  plans_ = std::move(plans);
}

absl::StatusOr<Value> Converter::FromProto(const Message& message, absl::string_view bytes,
                                           std::string* account, const RefResolver& resolve) const {
  MessagePlan local;
  const MessagePlan* plan = PlanOf(*model_, *plans_, message, &local);
  Decoder decoder(*plans_, limits_, resolve, account);
  Value v;
  bool has;
  if (!decoder.Read(*plan, bytes, 0, &v, &has)) return decoder.status();
  if (!has) return absl::InvalidArgumentError(absl::StrCat("no case of ", message.name, " set"));
  return v;
}

absl::StatusOr<std::string> Converter::ToProto(const Message& message, const Value& value,
                                               absl::string_view account) const {
  MessagePlan local;
  const MessagePlan* plan = PlanOf(*model_, *plans_, message, &local);
  Encoder encoder(*model_, *plans_, limits_);
  if (!encoder.Body(*plan, value, 0, account)) return encoder.status();
  return encoder.Take();
}

std::string Converter::EscapeString(absl::string_view tl) { return wire::Escape(tl); }

std::string Converter::UnescapeString(absl::string_view proto) { return wire::Unescape(proto); }

}  // namespace tgrpc::tl::raw
