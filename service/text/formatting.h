// Message text formatting for SendMessage's parse_mode: Markdown and HTML as Telegram's apps and
// the Bot API write them, parsed here into plain text plus entities, because MTProto's
// messages.sendMessage takes only entities. Also the checks that caller-supplied entities fit the
// text they come with.
#ifndef TGRPC_SERVICE_TEXT_FORMATTING_H_
#define TGRPC_SERVICE_TEXT_FORMATTING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tgrpc::service::text {

struct Entity {
  // bold, italic, underline, strike, spoiler, blockquote, code, pre, text_url, mention,
  // mention_name, hashtag, cashtag, bot_command, url, email, phone, bank_card, custom_emoji
  std::string type;
  int32_t offset = 0;           // UTF-16 code units, as Telegram counts
  int32_t length = 0;           // UTF-16 code units
  std::string url;              // text_url
  std::string language;         // pre
  int64_t user_id = 0;          // mention_name (from tg://user?id=123 links)
  int64_t custom_emoji_id = 0;  // custom_emoji (tg://emoji?id=123 links, <tg-emoji emoji-id>)
  friend bool operator==(const Entity&, const Entity&) = default;
};

struct FormattedText {
  std::string text;
  // Sorted by offset, an enclosing entity before the ones inside it. Never empty entities.
  std::vector<Entity> entities;
};

// Markdown as Telegram's apps write it: **bold**, __italic__, ~~strike~~, ||spoiler||, `code`,
// ```lang\npre``` and [text](url), where tg://user?id=N makes a mention_name and tg://emoji?id=N a
// custom_emoji. A backslash before ASCII punctuation makes it literal (elsewhere it is kept, so
// paths survive); inside code and pre only \` and \\ are escapes. Single *, _, ~ and | are plain
// text. Markers nest where Telegram lets the entities nest, and must close in reverse order.
// InvalidArgument naming the byte offset in `markdown` for an unclosed marker, crossed markers,
// nesting Telegram refuses, a bad link, or invalid UTF-8.
[[nodiscard]] absl::StatusOr<FormattedText> ParseMarkdown(absl::string_view markdown);

// HTML as the Bot API takes it: <b>/<strong>, <i>/<em>, <u>/<ins>, <s>/<strike>/<del>,
// <tg-spoiler>/<span class="tg-spoiler">, <code>, <pre>, <pre><code class="language-x"> (one pre
// entity with that language), <a href>, <blockquote>, <tg-emoji emoji-id>; &lt; &gt; &amp; &quot;
// and numeric &#...; references (any other '&' is literal). Tag names are case-insensitive,
// unknown attributes are ignored and whitespace is kept as written. InvalidArgument naming the tag
// and byte offset for an unknown, unclosed or mismatched tag, a bare '<', nesting Telegram refuses,
// a missing href or emoji-id, or invalid UTF-8.
[[nodiscard]] absl::StatusOr<FormattedText> ParseHtml(absl::string_view html);

// Length of UTF-8 text in UTF-16 code units (4-byte sequences count 2). A byte that does not start
// a well-formed sequence counts 1, as its U+FFFD replacement would.
int32_t Utf16Length(absl::string_view utf8);

// Checks entities a caller sent with plain text: a known type, a non-empty range inside the text
// that does not cut a surrogate pair, a url for text_url, a user_id for mention_name and an id for
// custom_emoji. InvalidArgument naming the entity's index otherwise (or the byte offset of invalid
// UTF-8 in `text`).
[[nodiscard]] absl::Status ValidateEntities(absl::string_view text,
                                            const std::vector<Entity>& entities);

}  // namespace tgrpc::service::text

#endif  // TGRPC_SERVICE_TEXT_FORMATTING_H_
