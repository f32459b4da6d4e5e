#include "tl/rawapi/comments.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tgrpc::tl::raw {
namespace {

absl::Status LineError(int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("API comments, line ", line, ": ", what));
}

}  // namespace

const std::string* Comments::Of(absl::string_view combinator) const {
  auto it = combinators.find(combinator);
  if (it == combinators.end() || it->second.comment.empty()) return nullptr;
  return &it->second.comment;
}

const std::string* Comments::Of(absl::string_view combinator, absl::string_view argument) const {
  auto it = combinators.find(combinator);
  if (it == combinators.end()) return nullptr;
  auto arg = it->second.arguments.find(argument);
  return arg == it->second.arguments.end() ? nullptr : &arg->second;
}

absl::StatusOr<Comments> ParseComments(absl::string_view tsv) {
  Comments comments;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(tsv, '\n')) {
    ++line_number;
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    std::vector<absl::string_view> columns = absl::StrSplit(line, '\t');
    if (columns.size() != 3) {
      return LineError(line_number, absl::StrCat(columns.size(), " columns, not 3"));
    }
    const absl::string_view combinator = columns[0], argument = columns[1], text = columns[2];
    if (combinator.empty()) return LineError(line_number, "no combinator");
    if (text.empty()) return LineError(line_number, "no comment");
    Comments::OfCombinator& of = comments.combinators[combinator];
    // A second description would silently replace the first: the file is generated, so that is a
    // bug in the generator, not something to paper over.
    if (argument.empty()) {
      if (!of.comment.empty()) {
        return LineError(line_number, absl::StrCat("second comment for ", combinator));
      }
      of.comment = std::string(text);
    } else if (!of.arguments.emplace(argument, text).second) {
      return LineError(line_number, absl::StrCat("second comment for ", combinator, " ", argument));
    }
  }
  return comments;
}

}  // namespace tgrpc::tl::raw
