#include "service/cluster/account_of_request.h"

#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "grpcpp/support/proto_buffer_reader.h"

namespace tgrpc::service::cluster {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;
using google::protobuf::io::ZeroCopyInputStream;

// An account's name is short; a longer value names none, and is not worth copying out of a
// message that may be megabytes.
constexpr uint32_t kMaxValueBytes = 1024;

enum class ValueKind {
  kResourceName,  // accounts/{id}[/...]
  kBareId,        // {id}
};

// A field that may name the request's account.
struct AccountField {
  int outer = 0;  // the number of the top-level message field that holds it; 0: top level
  int number = 0;
  bool repeated = false;  // only the first element counts
  ValueKind kind = ValueKind::kResourceName;
  std::string path;  // for AccountFieldsOf
};

// A method's account fields, in the order they are tried; empty: the method names no account.
struct AccountRule {
  std::vector<AccountField> fields;
};

struct NamedField {
  const char* name;
  ValueKind kind;
  bool repeated;
};

// Step 1 of the header's rules: the API's names for "this request is about that account".
constexpr NamedField kAccountFields[] = {
    {"account", ValueKind::kResourceName, false}, {"name", ValueKind::kResourceName, false},
    {"parent", ValueKind::kResourceName, false},  {"accounts", ValueKind::kResourceName, true},
    {"account_id", ValueKind::kBareId, false},
};

// Step 2: resource names under other names, in requests that have none of step 1's. Kept out of
// step 1 so that a raw API request, whose `account` is field 1, never routes by a TL parameter
// that happens to be called `message`.
constexpr const char* kOtherResourceNames[] = {"from_chat", "message", "peer_photo"};

bool IsString(const FieldDescriptor& field) { return field.type() == FieldDescriptor::TYPE_STRING; }

// Appends the step 1 fields of `message`, which is the type of `outer` (nullptr: top level).
void AddAccountFields(const Descriptor& message, const FieldDescriptor* outer,
                      std::vector<AccountField>* out) {
  for (const NamedField& named : kAccountFields) {
    const FieldDescriptor* field = message.FindFieldByName(named.name);
    if (field == nullptr || !IsString(*field) || field->is_repeated() != named.repeated) continue;
    AccountField account;
    account.outer = outer != nullptr ? outer->number() : 0;
    account.number = field->number();
    account.repeated = named.repeated;
    account.kind = named.kind;
    account.path = outer != nullptr ? absl::StrCat(outer->name(), ".", field->name()) : named.name;
    out->push_back(std::move(account));
  }
}

AccountRule MakeRule(const Descriptor& request) {
  AccountRule rule;
  AddAccountFields(request, nullptr, &rule.fields);
  if (!rule.fields.empty()) return rule;
  for (const char* name : kOtherResourceNames) {
    const FieldDescriptor* field = request.FindFieldByName(name);
    if (field == nullptr || !IsString(*field) || field->is_repeated()) continue;
    rule.fields.push_back({0, field->number(), false, ValueKind::kResourceName, name});
  }
  for (int i = 0; i < request.field_count(); ++i) {
    const FieldDescriptor& field = *request.field(i);
    if (field.type() != FieldDescriptor::TYPE_MESSAGE || field.is_repeated()) continue;
    AddAccountFields(*field.message_type(), &field, &rule.fields);
  }
  return rule;
}

// "/tgrpc.v1.UserService/GetMe" -> "tgrpc.v1.UserService.GetMe".
std::optional<std::string> MethodName(absl::string_view full_method) {
  if (!absl::ConsumePrefix(&full_method, "/")) return std::nullopt;
  const size_t slash = full_method.find('/');
  if (slash == absl::string_view::npos || slash == 0 || slash + 1 == full_method.size() ||
      full_method.find('/', slash + 1) != absl::string_view::npos) {
    return std::nullopt;
  }
  return absl::StrCat(full_method.substr(0, slash), ".", full_method.substr(slash + 1));
}

// Rules of the methods seen so far. Only methods found in the pool are kept: the path is the
// caller's input, and unknown ones would grow the map without bound. (A method the raw API adds
// to the pool later is looked up again until then.)
class RuleCache {
 public:
  // nullptr: the method is not in the generated pool.
  const AccountRule* Find(absl::string_view full_method) ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::ReaderMutexLock lock(&mu_);
      auto it = rules_.find(full_method);
      if (it != rules_.end()) return it->second.get();
    }
    const std::optional<std::string> name = MethodName(full_method);
    if (!name.has_value()) return nullptr;
    const MethodDescriptor* method = DescriptorPool::generated_pool()->FindMethodByName(*name);
    if (method == nullptr) return nullptr;
    auto rule = std::make_unique<const AccountRule>(MakeRule(*method->input_type()));
    absl::MutexLock lock(&mu_);
    // Another thread may have made it meanwhile: theirs is kept, the same as ours.
    return rules_.try_emplace(std::string(full_method), std::move(rule)).first->second.get();
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<const AccountRule>> rules_ ABSL_GUARDED_BY(mu_);
};

RuleCache& Rules() {
  static RuleCache* const cache = new RuleCache;
  return *cache;
}

// The value a message ends with in one AccountField.
struct SeenValue {
  std::string value;
  bool too_long = false;
  bool first_read = false;  // repeated fields: the first element is in `value`
};

absl::Status Malformed() {
  return absl::InvalidArgumentError("the request message is not valid protobuf wire format");
}

// Reads the length-delimited value of `field` at the stream's position. Protobuf merges a
// singular field seen twice by keeping the last value; a repeated one is judged by its first.
bool ReadValue(CodedInputStream* in, const AccountField& field, SeenValue* seen) {
  uint32_t size = 0;
  if (!in->ReadVarint32(&size)) return false;
  if (field.repeated && seen->first_read) return in->Skip(static_cast<int>(size));
  seen->first_read = true;
  seen->too_long = size > kMaxValueBytes;
  if (seen->too_long) {
    seen->value.clear();
    return in->Skip(static_cast<int>(size));
  }
  return in->ReadString(&seen->value, static_cast<int>(size));
}

// Reads the message up to the stream's current limit, keeping the values of the rule's fields
// that sit at `outer` (0: top level; else inside top-level field `outer`) and skipping the rest
// without copying it.
absl::Status Scan(CodedInputStream* in, const AccountRule& rule, int outer,
                  std::vector<SeenValue>* seen) {
  // The stream always has a limit (the message's size), so the loop ends there; a tag of 0
  // before it is a zero byte or the end of the bytes, and either is malformed.
  while (in->BytesUntilLimit() > 0) {
    const uint32_t tag = in->ReadTag();
    const int number = WireFormatLite::GetTagFieldNumber(tag);
    if (number == 0) return Malformed();
    bool handled = false;
    // A field of the wrong wire type is an unknown field to protobuf, so it is skipped here too.
    if (WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      for (size_t i = 0; i < rule.fields.size() && !handled; ++i) {
        const AccountField& field = rule.fields[i];
        if (outer == 0 && field.outer == number) {
          uint32_t size = 0;
          // PushLimit would clip a length past the end of the message to it.
          if (!in->ReadVarint32(&size) || size > static_cast<uint32_t>(in->BytesUntilLimit())) {
            return Malformed();
          }
          const CodedInputStream::Limit limit = in->PushLimit(static_cast<int>(size));
          TGRPC_RETURN_IF_ERROR(Scan(in, rule, number, seen));
          in->PopLimit(limit);
          handled = true;
        } else if (field.outer == outer && field.number == number) {
          if (!ReadValue(in, field, &(*seen)[i])) return Malformed();
          handled = true;
        }
      }
    }
    if (!handled && !WireFormatLite::SkipField(in, tag)) return Malformed();
  }
  return absl::OkStatus();
}

// "accounts/{id}[/...]" -> {id}; anything else -> "".
std::string AccountIdOfName(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "accounts/")) return "";
  return std::string(name.substr(0, name.find('/')));
}

absl::StatusOr<std::string> AccountOfStream(absl::string_view full_method,
                                            ZeroCopyInputStream* stream, size_t size) {
  const AccountRule* rule = Rules().Find(full_method);
  if (rule == nullptr || rule->fields.empty()) return std::string();
  if (size > INT_MAX) return Malformed();
  CodedInputStream in(stream);
  in.PushLimit(static_cast<int>(size));
  std::vector<SeenValue> seen(rule->fields.size());
  TGRPC_RETURN_IF_ERROR(Scan(&in, *rule, 0, &seen));
  for (size_t i = 0; i < seen.size(); ++i) {
    if (seen[i].too_long) return std::string();
    if (seen[i].value.empty()) continue;
    if (rule->fields[i].kind == ValueKind::kBareId) return std::move(seen[i].value);
    return AccountIdOfName(seen[i].value);
  }
  return std::string();
}

}  // namespace

absl::StatusOr<std::string> AccountOfRequest(absl::string_view full_method,
                                             absl::string_view first_message) {
  if (first_message.size() > INT_MAX) return Malformed();
  google::protobuf::io::ArrayInputStream stream(first_message.data(),
                                                static_cast<int>(first_message.size()));
  return AccountOfStream(full_method, &stream, first_message.size());
}

absl::StatusOr<std::string> AccountOfRequest(absl::string_view full_method,
                                             const grpc::ByteBuffer& first_message) {
  // ProtoBufferReader cannot read a buffer without a payload (what a caller that half-closes
  // without a message leaves): that is the empty message.
  if (!first_message.Valid() || first_message.Length() == 0) {
    return AccountOfRequest(full_method, absl::string_view());
  }
  // The copy shares the slices; the reader walks them without flattening the message.
  grpc::ByteBuffer buffer(first_message);
  grpc::ProtoBufferReader reader(&buffer);
  if (!reader.status().ok()) {
    return absl::InternalError(
        absl::StrCat("reading the request: ", reader.status().error_message()));
  }
  return AccountOfStream(full_method, &reader, first_message.Length());
}

std::vector<std::string> AccountFieldsOf(absl::string_view full_method) {
  std::vector<std::string> paths;
  if (const AccountRule* rule = Rules().Find(full_method)) {
    for (const AccountField& field : rule->fields) paths.push_back(field.path);
  }
  return paths;
}

}  // namespace tgrpc::service::cluster
