// TL as JSON in the API's *_json fields (reply_markup_json), in the form of tl/dynamic/json.h
// ({"_": "replyInlineMarkup", "rows": [...]}), through the pinned schema compiled into tgrpcd
// and parsed once, on first use.
#ifndef TGRPC_SERVICE_API_TL_JSON_H_
#define TGRPC_SERVICE_API_TL_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tl/parser/schema.h"

namespace tgrpc::service {

// The pinned schema compiled into tgrpcd, parsed on first use; null if the compiled-in text does
// not parse (a build error, reported by the calls).
const tl::Schema* PinnedApiSchema();

// JSON of a value of boxed type `type` (e.g. "ReplyMarkup") to its boxed TL bytes.
// INVALID_ARGUMENT naming `field` for JSON that is not such a value.
absl::StatusOr<std::string> TlFromJson(absl::string_view json, absl::string_view type,
                                       absl::string_view field);

// Boxed TL bytes of boxed type `type` to JSON. DATA_LOSS for bytes that do not decode.
absl::StatusOr<std::string> TlToJson(absl::string_view boxed, absl::string_view type);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_TL_JSON_H_
