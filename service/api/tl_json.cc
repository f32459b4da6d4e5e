#include "service/api/tl_json.h"

#include "absl/strings/str_cat.h"
#include "tl/dynamic/json.h"
#include "tl/dynamic/value.h"
#include "tl/parser/schema.h"

extern const char kTgrpcApiTl[];

namespace tgrpc::service {

const tl::Schema* PinnedApiSchema() {
  static const tl::Schema* const schema = []() -> const tl::Schema* {
    absl::StatusOr<tl::Schema> parsed = tl::ParseSchema(kTgrpcApiTl);
    return parsed.ok() ? new tl::Schema(*std::move(parsed)) : nullptr;
  }();
  return schema;
}

absl::StatusOr<std::string> TlFromJson(absl::string_view json, absl::string_view type,
                                       absl::string_view field) {
  const tl::Schema* schema = PinnedApiSchema();
  if (schema == nullptr) return absl::InternalError("the compiled-in TL schema does not parse");
  absl::StatusOr<tl::Value> value = tl::FromJson(*schema, json, type);
  if (!value.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not a ", type, " in TL JSON: ", value.status().message()));
  }
  absl::StatusOr<std::string> bytes = tl::DynamicCodec(schema).EncodeBoxed(*value);
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", bytes.status().message()));
  }
  return bytes;
}

absl::StatusOr<std::string> TlToJson(absl::string_view boxed, absl::string_view type) {
  const tl::Schema* schema = PinnedApiSchema();
  if (schema == nullptr) return absl::InternalError("the compiled-in TL schema does not parse");
  absl::StatusOr<tl::Value> value = tl::DynamicCodec(schema).Decode(boxed, type);
  if (!value.ok()) {
    return absl::DataLossError(absl::StrCat("TL ", type, ": ", value.status().message()));
  }
  return tl::ObjectToJson(*value);
}

}  // namespace tgrpc::service
