// ParseHtml: a single pass over the source. Every supported tag opens an entity on EntityBuilder's
// stack, and its end tag must be the next one to close.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/text/entity_builder.h"
#include "service/text/formatting.h"

namespace tgrpc::service::text {
namespace {

using internal::EntityBuilder;

struct Attribute {
  std::string name;  // lower case
  std::string value;
};

struct SimpleTag {
  absl::string_view name;
  absl::string_view type;
};

// Tags that need no attribute; <span>, <code>, <a> and <tg-emoji> are handled on their own.
constexpr SimpleTag kSimpleTags[] = {
    {"b", "bold"},
    {"strong", "bold"},
    {"i", "italic"},
    {"em", "italic"},
    {"u", "underline"},
    {"ins", "underline"},
    {"s", "strike"},
    {"strike", "strike"},
    {"del", "strike"},
    {"tg-spoiler", "spoiler"},
    {"blockquote", "blockquote"},
    {"pre", "pre"},
};

bool IsHtmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

bool IsTagNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
}

// Decodes the character reference at s[pos] (which is '&') into *out and returns its length, or
// returns 0 when there is none, and the '&' is then literal, as Telegram takes it.
size_t DecodeCharacterReference(absl::string_view s, size_t pos, std::string* out) {
  // The longest useful one is "&#x10FFFF;"; leading zeros past this are not worth reading.
  constexpr size_t kMaxLength = 16;
  // Looking no further keeps a text full of '&' linear.
  const size_t semicolon = s.substr(0, pos + kMaxLength + 1).find(';', pos + 1);
  if (semicolon == absl::string_view::npos) return 0;
  const absl::string_view name = s.substr(pos + 1, semicolon - pos - 1);
  const size_t length = semicolon - pos + 1;
  if (name == "lt") {
    out->push_back('<');
  } else if (name == "gt") {
    out->push_back('>');
  } else if (name == "amp") {
    out->push_back('&');
  } else if (name == "quot") {
    out->push_back('"');
  } else if (name.size() >= 2 && name[0] == '#') {
    const bool hex = name[1] == 'x' || name[1] == 'X';
    const absl::string_view digits = name.substr(hex ? 2 : 1);
    if (digits.empty()) return 0;
    uint32_t code_point = 0;
    for (const char c : digits) {
      const auto byte = static_cast<unsigned char>(c);
      uint32_t digit;
      if (absl::ascii_isdigit(byte)) {
        digit = byte - '0';
      } else if (hex && absl::ascii_isxdigit(byte)) {
        digit = absl::ascii_tolower(byte) - 'a' + 10;
      } else {
        return 0;
      }
      code_point = code_point * (hex ? 16 : 10) + digit;
      if (code_point > 0x10FFFF) return 0;
    }
    // NUL and the surrogates are not characters UTF-8 may carry.
    if (code_point == 0 || (code_point >= 0xD800 && code_point <= 0xDFFF)) return 0;
    internal::AppendUtf8(code_point, out);
  } else {
    return 0;
  }
  return length;
}

std::string DecodeAttributeValue(absl::string_view raw) {
  std::string value;
  for (size_t pos = 0; pos < raw.size();) {
    if (raw[pos] == '&') {
      if (const size_t length = DecodeCharacterReference(raw, pos, &value)) {
        pos += length;
        continue;
      }
    }
    value.push_back(raw[pos++]);
  }
  return value;
}

const std::string* FindAttribute(const std::vector<Attribute>& attributes, absl::string_view name) {
  for (const Attribute& attribute : attributes) {
    if (attribute.name == name) return &attribute.value;
  }
  return nullptr;
}

class HtmlParser {
 public:
  explicit HtmlParser(absl::string_view source) : source_(source), out_("can't parse HTML: ") {}

  absl::StatusOr<FormattedText> Parse() {
    if (absl::Status status = out_.CheckSource(source_); !status.ok()) return status;
    while (pos_ < source_.size()) {
      if (absl::Status status = Step(); !status.ok()) return status;
    }
    if (out_.has_open()) {
      const EntityBuilder::OpenEntity& unclosed = out_.innermost();
      return out_.Error(absl::StrCat("unclosed tag ", unclosed.label, " at byte offset ",
                                     unclosed.source_offset));
    }
    return out_.Finish();
  }

 private:
  absl::Status Step() {
    const char c = source_[pos_];
    if (c == '&') {
      std::string decoded;
      if (const size_t length = DecodeCharacterReference(source_, pos_, &decoded)) {
        out_.Append(decoded);
        pos_ += length;
        return absl::OkStatus();
      }
    } else if (c == '<') {
      if (pos_ + 1 < source_.size() && source_[pos_ + 1] == '/') return ParseEndTag();
      if (pos_ + 1 < source_.size() &&
          absl::ascii_isalpha(static_cast<unsigned char>(source_[pos_ + 1]))) {
        return ParseStartTag();
      }
      // As in Telegram: a '<' that starts no tag is a mistake more often than it is text.
      return out_.Error(absl::StrCat("unescaped '<' at byte offset ", pos_, " (write &lt;)"));
    }
    out_.Append(c);
    ++pos_;
    return absl::OkStatus();
  }

  size_t SkipSpaces(size_t p) const {
    while (p < source_.size() && IsHtmlSpace(source_[p])) ++p;
    return p;
  }

  size_t SkipTagName(size_t p) const {
    while (p < source_.size() && IsTagNameChar(source_[p])) ++p;
    return p;
  }

  absl::Status ParseStartTag() {
    const size_t tag_offset = pos_;
    size_t p = SkipTagName(tag_offset + 1);
    const std::string name =
        absl::AsciiStrToLower(source_.substr(tag_offset + 1, p - tag_offset - 1));
    std::vector<Attribute> attributes;
    for (;;) {
      p = SkipSpaces(p);
      if (p >= source_.size()) {
        return out_.Error(
            absl::StrCat("tag <", name, "> at byte offset ", tag_offset, " has no closing '>'"));
      }
      if (source_[p] == '>') break;
      const size_t name_start = p;
      while (p < source_.size() && !IsHtmlSpace(source_[p]) &&
             absl::string_view("\"'<>/=").find(source_[p]) == absl::string_view::npos) {
        ++p;
      }
      if (p == name_start) {
        return out_.Error(absl::StrCat("unexpected '", source_.substr(p, 1), "' at byte offset ", p,
                                       " in tag <", name, "> at byte offset ", tag_offset));
      }
      Attribute attribute;
      attribute.name = absl::AsciiStrToLower(source_.substr(name_start, p - name_start));
      p = SkipSpaces(p);
      if (p < source_.size() && source_[p] == '=') {
        p = SkipSpaces(p + 1);
        size_t value_start = p;
        size_t value_end;
        if (p < source_.size() && (source_[p] == '"' || source_[p] == '\'')) {
          value_start = p + 1;
          value_end = source_.find(source_[p], value_start);
          if (value_end == absl::string_view::npos) {
            return out_.Error(absl::StrCat("unclosed value of attribute ", attribute.name,
                                           " at byte offset ", p, " in tag <", name,
                                           "> at byte offset ", tag_offset));
          }
          p = value_end + 1;
        } else {
          while (p < source_.size() && !IsHtmlSpace(source_[p]) && source_[p] != '>') ++p;
          value_end = p;
        }
        attribute.value =
            DecodeAttributeValue(source_.substr(value_start, value_end - value_start));
      }
      attributes.push_back(std::move(attribute));
    }
    pos_ = p + 1;
    return OpenTag(name, attributes, tag_offset);
  }

  absl::Status OpenTag(const std::string& name, const std::vector<Attribute>& attributes,
                       size_t tag_offset) {
    std::string label = absl::StrCat("<", name, ">");
    Entity entity;
    for (const SimpleTag& tag : kSimpleTags) {
      if (name == tag.name) entity.type = std::string(tag.type);
    }
    if (name == "span") {
      // Telegram gives <span> a meaning only as a spoiler.
      const std::string* css_class = FindAttribute(attributes, "class");
      if (css_class == nullptr || *css_class != "tg-spoiler") {
        return out_.Error(
            absl::StrCat("<span> at byte offset ", tag_offset, " needs class=\"tg-spoiler\""));
      }
      entity.type = "spoiler";
    } else if (name == "code") {
      const std::string* css_class = FindAttribute(attributes, "class");
      if (out_.has_open() && out_.innermost().token == "pre") {
        // <pre><code class="language-x"> is one pre entity that knows its language.
        Entity& pre = out_.innermost().entity;
        if (css_class != nullptr && absl::StartsWith(*css_class, "language-") &&
            pre.language.empty()) {
          pre.language = css_class->substr(absl::string_view("language-").size());
        }
        out_.OpenMerged("code", name, std::move(label), tag_offset);
        return absl::OkStatus();
      }
      entity.type = "code";
    } else if (name == "a") {
      const std::string* href = FindAttribute(attributes, "href");
      if (href == nullptr) {
        return out_.Error(absl::StrCat("<a> at byte offset ", tag_offset, " has no href"));
      }
      if (absl::Status status = internal::SetLinkTarget(*href, &entity); !status.ok()) {
        return out_.Error(
            absl::StrCat(status.message(), " in <a href> at byte offset ", tag_offset));
      }
    } else if (name == "tg-emoji") {
      const std::string* id = FindAttribute(attributes, "emoji-id");
      if (id == nullptr || !internal::ParsePositiveId(*id, &entity.custom_emoji_id)) {
        return out_.Error(absl::StrCat("<tg-emoji> at byte offset ", tag_offset,
                                       " needs a positive numeric emoji-id"));
      }
      entity.type = "custom_emoji";
    }
    if (entity.type.empty()) {
      return out_.Error(absl::StrCat("unsupported tag ", label, " at byte offset ", tag_offset));
    }
    return out_.Open(std::move(entity), name, std::move(label), tag_offset);
  }

  absl::Status ParseEndTag() {
    const size_t tag_offset = pos_;
    const size_t name_end = SkipTagName(tag_offset + 2);
    const std::string name =
        absl::AsciiStrToLower(source_.substr(tag_offset + 2, name_end - tag_offset - 2));
    const size_t p = SkipSpaces(name_end);
    if (name.empty() || p >= source_.size() || source_[p] != '>') {
      return out_.Error(absl::StrCat("malformed end tag at byte offset ", tag_offset));
    }
    if (!out_.has_open()) {
      return out_.Error(
          absl::StrCat("end tag </", name, "> at byte offset ", tag_offset, " closes nothing"));
    }
    const EntityBuilder::OpenEntity& innermost = out_.innermost();
    if (innermost.token != name) {
      return out_.Error(absl::StrCat("end tag </", name, "> at byte offset ", tag_offset,
                                     " doesn't match ", innermost.label, " opened at byte offset ",
                                     innermost.source_offset));
    }
    out_.Close();
    pos_ = p + 1;
    return absl::OkStatus();
  }

  absl::string_view source_;
  size_t pos_ = 0;
  EntityBuilder out_;
};

}  // namespace

absl::StatusOr<FormattedText> ParseHtml(absl::string_view html) { return HtmlParser(html).Parse(); }

}  // namespace tgrpc::service::text
