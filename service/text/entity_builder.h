// What the Markdown and HTML parsers share: UTF-8 checks, the output text with its running UTF-16
// length, the stack of open entities under Telegram's nesting rules, and link targets. Internal
// to //service/text.
#ifndef TGRPC_SERVICE_TEXT_ENTITY_BUILDER_H_
#define TGRPC_SERVICE_TEXT_ENTITY_BUILDER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "service/text/formatting.h"

namespace tgrpc::service::text::internal {

// Byte length (1 to 4) of the well-formed UTF-8 sequence at s[pos], or 0 if there is none there: a
// stray continuation byte, an overlong form, a surrogate, a code point past U+10FFFF, or a
// sequence cut short by the end of `s`.
int Utf8SequenceLength(absl::string_view s, size_t pos);

// Byte offset of the first ill-formed UTF-8 sequence in `s`, or s.size() if there is none.
size_t FindInvalidUtf8(absl::string_view s);

// Appends `code_point` (at most U+10FFFF, not a surrogate) as UTF-8.
void AppendUtf8(uint32_t code_point, std::string* out);

// Parses a decimal id that must be positive and fit int64 (Telegram's user and custom emoji ids).
bool ParsePositiveId(absl::string_view digits, int64_t* id);

// Sets entity->type and its argument from a link target: tg://user?id=N gives mention_name,
// tg://emoji?id=N custom_emoji, anything else text_url. InvalidArgument (a message to which the
// caller adds where the link is) for an empty url, whitespace or control characters in it, or a
// tg://user or tg://emoji link without a valid id.
absl::Status SetLinkTarget(absl::string_view url, Entity* entity);

// How Telegram lets entities nest (the Bot API's formatting rules): styles go anywhere but inside
// code and pre; code and pre hold nothing and sit only inside a blockquote; links and custom emoji
// (continuous entities) do not nest in each other; a blockquote is not inside a link or another
// blockquote.
enum class NestingKind { kStyle, kBlockquote, kVerbatim, kContinuous };
inline constexpr int kNestingKindCount = 4;

// Accumulates the parsed text and its entities. The parser feeds it bytes of already validated
// UTF-8, and opens and closes entities as it meets markup.
class EntityBuilder {
 public:
  struct OpenEntity {
    Entity entity;         // offset is where it opened; the parser may still set its argument
    std::string token;     // what closes it: a Markdown marker or an HTML tag name
    std::string label;     // how errors name it: "'**' (bold)", "<b>"
    size_t source_offset;  // its byte offset in the parser's input
    bool emit;     // false when it adds nothing to an enclosing entity (<b><b>, <pre><code>)
    int sequence;  // opening order, which orders entities with the same range
    NestingKind kind;
    int enclosing_of_kind;  // stack index of the next open entity of the same kind, or -1
  };

  // `error_prefix` starts every error message ("can't parse HTML: ").
  explicit EntityBuilder(std::string error_prefix) : error_prefix_(std::move(error_prefix)) {}

  void Append(char byte);
  void Append(absl::string_view utf8);

  // Opens `entity` (type and argument set, offset taken here) at the end of the text so far.
  // InvalidArgument when Telegram does not allow it inside the entities already open. A style
  // already open around it (<b> in <strong>) adds nothing, so it is kept but not emitted.
  absl::Status Open(Entity entity, std::string token, std::string label, size_t source_offset);
  // Opens markup whose content belongs to the innermost entity instead of making one of its own
  // (HTML's <code> directly inside <pre>). Entities inside it are checked against its `type`.
  void OpenMerged(absl::string_view type, std::string token, std::string label,
                  size_t source_offset);
  // Closes the innermost entity. An empty one is dropped, as Telegram drops them.
  void Close();

  bool has_open() const { return !open_.empty(); }
  OpenEntity& innermost() { return open_.back(); }
  // The innermost open entity closed by `token`, or nullptr.
  const OpenEntity* FindOpen(absl::string_view token) const;

  // InvalidArgument with the prefix and `message`.
  absl::Status Error(absl::string_view message) const;
  // The parser's input must be valid UTF-8, and short enough for UTF-16 offsets to fit int32.
  absl::Status CheckSource(absl::string_view source) const;

  // The text and its entities, sorted by offset with enclosing entities first. Call once, with
  // nothing left open.
  FormattedText Finish();

 private:
  struct Done {
    Entity entity;
    int sequence;
  };

  void Push(Entity entity, NestingKind kind, std::string token, std::string label,
            size_t source_offset, bool emit);

  std::string error_prefix_;
  std::string text_;
  int32_t utf16_length_ = 0;
  int next_sequence_ = 0;
  std::vector<OpenEntity> open_;
  // Per kind, the stack index of the innermost open entity of that kind (or -1), and per style type
  // how many are open: HTML may nest tags deeply, and checking each new one against every open one
  // would make parsing quadratic.
  std::array<int, kNestingKindCount> innermost_of_kind_ = {-1, -1, -1, -1};
  std::map<std::string, int, std::less<>> open_styles_;
  std::vector<Done> done_;
};

}  // namespace tgrpc::service::text::internal

#endif  // TGRPC_SERVICE_TEXT_ENTITY_BUILDER_H_
