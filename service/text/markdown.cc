// ParseMarkdown: a single pass over the source. Styles and links sit on EntityBuilder's stack until
// their closing marker; code and pre are read whole, since nothing inside them is markup.
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "service/text/entity_builder.h"
#include "service/text/formatting.h"

namespace tgrpc::service::text {
namespace {

using internal::EntityBuilder;

struct StyleMarker {
  absl::string_view token;
  absl::string_view type;
};

// Doubled, as the apps write them, so that snake_case, 2*3 and a|b stay plain text.
constexpr StyleMarker kStyleMarkers[] = {
    {"**", "bold"}, {"__", "italic"}, {"~~", "strike"}, {"||", "spoiler"}};

constexpr absl::string_view kLinkToken = "[";

class MarkdownParser {
 public:
  explicit MarkdownParser(absl::string_view source)
      : source_(source), out_("can't parse Markdown: ") {}

  absl::StatusOr<FormattedText> Parse() {
    if (absl::Status status = out_.CheckSource(source_); !status.ok()) return status;
    while (pos_ < source_.size()) {
      if (absl::Status status = Step(); !status.ok()) return status;
    }
    if (out_.has_open()) {
      const EntityBuilder::OpenEntity& unclosed = out_.innermost();
      return out_.Error(
          absl::StrCat("unclosed ", unclosed.label, " at byte offset ", unclosed.source_offset));
    }
    return out_.Finish();
  }

 private:
  bool At(absl::string_view token) const { return source_.substr(pos_, token.size()) == token; }

  // Consumes one character of the source, or one piece of markup.
  absl::Status Step() {
    const char c = source_[pos_];
    if (c == '\\') {
      // Only punctuation is escapable, so C:\new and \d keep their backslash.
      if (pos_ + 1 < source_.size() &&
          absl::ascii_ispunct(static_cast<unsigned char>(source_[pos_ + 1]))) {
        out_.Append(source_[pos_ + 1]);
        pos_ += 2;
      } else {
        out_.Append(c);
        ++pos_;
      }
      return absl::OkStatus();
    }
    if (At("```")) return ParsePre();
    if (c == '`') return ParseCode();
    for (const StyleMarker& marker : kStyleMarkers) {
      if (At(marker.token)) return ParseStyleMarker(marker);
    }
    if (c == '[') {
      Entity link;
      link.type = "text_url";  // settled at the url; all link kinds nest alike
      const size_t offset = pos_++;
      return out_.Open(std::move(link), std::string(kLinkToken), "'[' (link)", offset);
    }
    if (c == ']' && out_.FindOpen(kLinkToken) != nullptr) return ParseLinkEnd();
    out_.Append(c);
    ++pos_;
    return absl::OkStatus();
  }

  absl::Status ParseStyleMarker(const StyleMarker& marker) {
    const EntityBuilder::OpenEntity* open = out_.FindOpen(marker.token);
    if (open == nullptr) {
      Entity style;
      style.type = std::string(marker.type);
      const size_t offset = pos_;
      pos_ += marker.token.size();
      return out_.Open(std::move(style), std::string(marker.token),
                       absl::StrCat("'", marker.token, "' (", marker.type, ")"), offset);
    }
    if (absl::Status status = CheckClosesInnermost(*open); !status.ok()) return status;
    out_.Close();
    pos_ += marker.token.size();
    return absl::OkStatus();
  }

  // Markers must close in the reverse order of opening: "**a __b** c__" has no tree of entities.
  absl::Status CheckClosesInnermost(const EntityBuilder::OpenEntity& open) {
    const EntityBuilder::OpenEntity& innermost = out_.innermost();
    if (&open == &innermost) return absl::OkStatus();
    return out_.Error(absl::StrCat(
        "'", source_.substr(pos_, open.token.size()), "' at byte offset ", pos_, " closes ",
        open.label, " opened at byte offset ", open.source_offset, ", but ", innermost.label,
        " opened at byte offset ", innermost.source_offset, " is still open"));
  }

  // At the ']' of an open link: "](url)" closes it.
  absl::Status ParseLinkEnd() {
    const EntityBuilder::OpenEntity* link = out_.FindOpen(kLinkToken);
    if (absl::Status status = CheckClosesInnermost(*link); !status.ok()) return status;
    const size_t url_open = pos_ + 1;
    if (url_open >= source_.size() || source_[url_open] != '(') {
      return out_.Error(absl::StrCat("the link opened at byte offset ", link->source_offset,
                                     " needs (url) right after its ']' at byte offset ", pos_));
    }
    // Balanced parentheses stay in the url (Wikipedia's Foo_(bar)); \( \) \\ are escapes.
    std::string url;
    int depth = 0;
    size_t p = url_open + 1;
    for (;; ++p) {
      if (p >= source_.size()) {
        return out_.Error(absl::StrCat("unclosed '(' at byte offset ", url_open));
      }
      const char c = source_[p];
      if (c == '\\' && p + 1 < source_.size() &&
          (source_[p + 1] == '(' || source_[p + 1] == ')' || source_[p + 1] == '\\')) {
        url.push_back(source_[++p]);
        continue;
      }
      if (c == ')' && depth == 0) break;
      if (c == '(') ++depth;
      if (c == ')') --depth;
      url.push_back(c);
    }
    if (absl::Status status = internal::SetLinkTarget(url, &out_.innermost().entity);
        !status.ok()) {
      return out_.Error(
          absl::StrCat(status.message(), " in the link url at byte offset ", url_open + 1));
    }
    out_.Close();
    pos_ = p + 1;
    return absl::OkStatus();
  }

  absl::Status ParseCode() {
    const size_t open = pos_;
    std::string content;
    absl::Status status = ReadVerbatim(open + 1, "`", &content);
    if (!status.ok()) return status;
    Entity code;
    code.type = "code";
    return EmitVerbatim(std::move(code), "'`' (code)", open, content);
  }

  // ```lang\n...```: the language is a first line without spaces; the newlines right after the
  // opening fence and right before the closing one belong to the fences, not to the code.
  absl::Status ParsePre() {
    const size_t open = pos_;
    const size_t after_fence = open + 3;
    Entity pre;
    pre.type = "pre";
    size_t content_start = after_fence;
    const size_t line_end = source_.find_first_of("\n`", after_fence);
    if (line_end != absl::string_view::npos && source_[line_end] == '\n') {
      absl::string_view line = source_.substr(after_fence, line_end - after_fence);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      bool one_word = true;
      for (const char c : line) {
        if (absl::ascii_isspace(static_cast<unsigned char>(c))) one_word = false;
      }
      if (one_word) {
        pre.language = std::string(line);
        content_start = line_end + 1;
      }
    }
    std::string content;
    absl::Status status = ReadVerbatim(content_start, "```", &content);
    if (!status.ok()) return status;
    if (!content.empty() && content.back() == '\n') {
      content.pop_back();
      if (!content.empty() && content.back() == '\r') content.pop_back();
    }
    return EmitVerbatim(std::move(pre), "'```' (pre)", open, content);
  }

  // Reads from `from` to the unescaped `fence` and leaves pos_ after it. Only \` and \\ are
  // escapes: code is where backslashes are most likely meant literally.
  absl::Status ReadVerbatim(size_t from, absl::string_view fence, std::string* content) {
    for (size_t p = from; p < source_.size(); ++p) {
      const char c = source_[p];
      if (c == '\\' && p + 1 < source_.size() &&
          (source_[p + 1] == '`' || source_[p + 1] == '\\')) {
        content->push_back(source_[++p]);
        continue;
      }
      if (source_.substr(p, fence.size()) == fence) {
        pos_ = p + fence.size();
        return absl::OkStatus();
      }
      content->push_back(c);
    }
    return out_.Error(absl::StrCat("unclosed '", fence, "' (", fence.size() == 1 ? "code" : "pre",
                                   ") at byte offset ", pos_));
  }

  absl::Status EmitVerbatim(Entity entity, std::string label, size_t open,
                            absl::string_view content) {
    std::string token = entity.type;
    if (absl::Status status =
            out_.Open(std::move(entity), std::move(token), std::move(label), open);
        !status.ok()) {
      return status;
    }
    out_.Append(content);
    out_.Close();
    return absl::OkStatus();
  }

  absl::string_view source_;
  size_t pos_ = 0;
  EntityBuilder out_;
};

}  // namespace

absl::StatusOr<FormattedText> ParseMarkdown(absl::string_view markdown) {
  return MarkdownParser(markdown).Parse();
}

}  // namespace tgrpc::service::text
