// Telegram's descriptions of the API's combinators and their arguments (tl/schema/api_comments.tsv,
// written by tl/schema/update_schema.py), for the raw API's .proto to carry as comments.
//
// The text form, one comment per line; lines starting with '#' and empty lines are skipped:
//   <combinator>\t<argument, empty for the combinator itself>\t<comment>
#ifndef TGRPC_TL_RAWAPI_COMMENTS_H_
#define TGRPC_TL_RAWAPI_COMMENTS_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tgrpc::tl::raw {

struct Comments {
  struct OfCombinator {
    std::string comment;  // empty when only its arguments are described
    absl::flat_hash_map<std::string, std::string> arguments;
  };
  absl::flat_hash_map<std::string, OfCombinator> combinators;

  // The comment, or null when there is none. The pointer lives as long as `combinators` is not
  // changed.
  const std::string* Of(absl::string_view combinator) const;
  const std::string* Of(absl::string_view combinator, absl::string_view argument) const;
};

// A line without three tab-separated columns, with an empty combinator or comment, or describing
// what an earlier line did is an InvalidArgument error that names the line.
absl::StatusOr<Comments> ParseComments(absl::string_view tsv);

}  // namespace tgrpc::tl::raw

#endif  // TGRPC_TL_RAWAPI_COMMENTS_H_
