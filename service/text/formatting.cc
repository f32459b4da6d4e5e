// Utf16Length and ValidateEntities; the parsers live in markdown.cc and html.cc.
#include "service/text/formatting.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "service/text/entity_builder.h"

namespace tgrpc::service::text {
namespace {

constexpr absl::string_view kKnownTypes[] = {
    "bold", "italic",   "underline", "strike",       "spoiler",     "blockquote", "code",
    "pre",  "text_url", "mention",   "mention_name", "hashtag",     "cashtag",    "bot_command",
    "url",  "email",    "phone",     "bank_card",    "custom_emoji"};

bool IsKnownType(absl::string_view type) {
  return std::find(std::begin(kKnownTypes), std::end(kKnownTypes), type) != std::end(kKnownTypes);
}

}  // namespace

int32_t Utf16Length(absl::string_view utf8) {
  int64_t units = 0;
  size_t pos = 0;
  while (pos < utf8.size()) {
    const int length = internal::Utf8SequenceLength(utf8, pos);
    units += length == 4 ? 2 : 1;
    pos += length == 0 ? 1 : length;
  }
  return static_cast<int32_t>(std::min<int64_t>(units, std::numeric_limits<int32_t>::max()));
}

absl::Status ValidateEntities(absl::string_view text, const std::vector<Entity>& entities) {
  if (const size_t invalid = internal::FindInvalidUtf8(text); invalid != text.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the text is not valid UTF-8 at byte offset ", invalid));
  }
  // UTF-16 positions between the halves of a surrogate pair, ascending: an entity edge there
  // would cut a character in two.
  std::vector<int64_t> inside_pairs;
  int64_t text_length = 0;
  for (size_t pos = 0; pos < text.size();) {
    const int length = internal::Utf8SequenceLength(text, pos);
    if (length == 4) inside_pairs.push_back(text_length + 1);
    text_length += length == 4 ? 2 : 1;
    pos += length;
  }
  const auto cuts_pair = [&inside_pairs](int64_t position) {
    return std::binary_search(inside_pairs.begin(), inside_pairs.end(), position);
  };
  for (size_t i = 0; i < entities.size(); ++i) {
    const Entity& entity = entities[i];
    const auto fail = [i, &entity](absl::string_view problem) {
      return absl::InvalidArgumentError(
          absl::StrCat("entity ", i, " (", entity.type, ") ", problem));
    };
    if (!IsKnownType(entity.type)) return fail("has an unknown type");
    // In int64, so that offset + length cannot overflow.
    const int64_t begin = entity.offset;
    const int64_t end = begin + entity.length;
    if (begin < 0) return fail(absl::StrCat("has a negative offset ", begin));
    if (entity.length <= 0) return fail(absl::StrCat("has length ", entity.length));
    if (end > text_length) {
      return fail(
          absl::StrCat("ends at ", end, ", past the text's ", text_length, " UTF-16 code units"));
    }
    if (cuts_pair(begin)) return fail("starts inside a surrogate pair");
    if (cuts_pair(end)) return fail("ends inside a surrogate pair");
    if (entity.type == "text_url" && entity.url.empty()) return fail("has no url");
    if (entity.type == "mention_name" && entity.user_id <= 0) return fail("has no user_id");
    if (entity.type == "custom_emoji" && entity.custom_emoji_id == 0) {
      return fail("has no custom_emoji_id");
    }
  }
  return absl::OkStatus();
}

}  // namespace tgrpc::service::text
