#include "mtproto/session/rpc_error.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace tgrpc::mtproto::session {
namespace {

// Digits, then only capital letters.
bool IsArgumentWord(absl::string_view word, size_t* digits) {
  size_t n = 0;
  while (n < word.size() && absl::ascii_isdigit(static_cast<unsigned char>(word[n]))) ++n;
  if (n == 0 || n > 18) return false;
  for (size_t i = n; i < word.size(); ++i) {
    if (!absl::ascii_isupper(static_cast<unsigned char>(word[i]))) return false;
  }
  *digits = n;
  return true;
}

}  // namespace

std::string RpcError::ToString() const { return absl::StrCat(code, " ", message); }

RpcError ParseRpcError(int32_t code, absl::string_view message) {
  RpcError error;
  error.code = code;
  error.message = std::string(message);
  error.type = error.message;
  error.pattern = error.message;

  std::vector<absl::string_view> words = absl::StrSplit(message, '_');
  for (size_t i = words.size(); i-- > 1;) {
    size_t digits = 0;
    if (!IsArgumentWord(words[i], &digits)) continue;
    int64_t argument = 0;
    if (!absl::SimpleAtoi(words[i].substr(0, digits), &argument)) continue;
    const absl::string_view suffix = words[i].substr(digits);
    error.argument = argument;
    std::vector<std::string> type_words;
    std::vector<std::string> pattern_words;
    for (size_t j = 0; j < words.size(); ++j) {
      if (j != i) {
        type_words.emplace_back(words[j]);
        pattern_words.emplace_back(words[j]);
        continue;
      }
      if (!suffix.empty()) type_words.emplace_back(suffix);
      pattern_words.push_back(absl::StrCat("%d", suffix));
    }
    error.type = absl::StrJoin(type_words, "_");
    error.pattern = absl::StrJoin(pattern_words, "_");
    break;
  }
  return error;
}

}  // namespace tgrpc::mtproto::session
