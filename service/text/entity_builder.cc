#include "service/text/entity_builder.h"

#include <algorithm>
#include <limits>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tgrpc::service::text::internal {
namespace {

bool IsContinuation(absl::string_view s, size_t pos, unsigned char low = 0x80,
                    unsigned char high = 0xBF) {
  if (pos >= s.size()) return false;
  const auto byte = static_cast<unsigned char>(s[pos]);
  return byte >= low && byte <= high;
}

NestingKind KindOf(absl::string_view type) {
  if (type == "code" || type == "pre") return NestingKind::kVerbatim;
  if (type == "blockquote") return NestingKind::kBlockquote;
  if (type == "text_url" || type == "mention_name" || type == "custom_emoji") {
    return NestingKind::kContinuous;
  }
  return NestingKind::kStyle;
}

// Why Telegram refuses an entity of `child` kind inside one of `parent` kind, or nullptr.
const char* NestingRefusal(NestingKind child, NestingKind parent) {
  if (parent == NestingKind::kVerbatim) return "code and pre hold only plain text";
  if (child == NestingKind::kVerbatim && parent != NestingKind::kBlockquote) {
    return "Telegram puts code and pre only inside a blockquote";
  }
  if (child == NestingKind::kContinuous && parent == NestingKind::kContinuous) {
    return "links and custom emoji don't nest";
  }
  if (child == NestingKind::kBlockquote && parent == NestingKind::kContinuous) {
    return "a blockquote can't be inside a link";
  }
  if (child == NestingKind::kBlockquote && parent == NestingKind::kBlockquote) {
    return "blockquotes don't nest";
  }
  return nullptr;
}

}  // namespace

int Utf8SequenceLength(absl::string_view s, size_t pos) {
  const auto lead = static_cast<unsigned char>(s[pos]);
  if (lead < 0x80) return 1;
  if (lead < 0xC2) return 0;  // a continuation byte, or an overlong two-byte form
  if (lead < 0xE0) return IsContinuation(s, pos + 1) ? 2 : 0;
  if (lead < 0xF0) {
    // E0 would be overlong below A0; ED A0..BF encodes the UTF-16 surrogates.
    const unsigned char low = lead == 0xE0 ? 0xA0 : 0x80;
    const unsigned char high = lead == 0xED ? 0x9F : 0xBF;
    return IsContinuation(s, pos + 1, low, high) && IsContinuation(s, pos + 2) ? 3 : 0;
  }
  if (lead < 0xF5) {
    // F0 would be overlong below 90; F4 90 and up is past U+10FFFF.
    const unsigned char low = lead == 0xF0 ? 0x90 : 0x80;
    const unsigned char high = lead == 0xF4 ? 0x8F : 0xBF;
    return IsContinuation(s, pos + 1, low, high) && IsContinuation(s, pos + 2) &&
                   IsContinuation(s, pos + 3)
               ? 4
               : 0;
  }
  return 0;
}

size_t FindInvalidUtf8(absl::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    const int length = Utf8SequenceLength(s, pos);
    if (length == 0) return pos;
    pos += length;
  }
  return s.size();
}

void AppendUtf8(uint32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

bool ParsePositiveId(absl::string_view digits, int64_t* id) {
  if (digits.empty()) return false;
  int64_t value = 0;
  for (const char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    const int digit = c - '0';
    if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) return false;
    value = value * 10 + digit;
  }
  if (value == 0) return false;
  *id = value;
  return true;
}

absl::Status SetLinkTarget(absl::string_view url, Entity* entity) {
  if (url.empty()) return absl::InvalidArgumentError("empty url");
  for (const char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7F) {
      return absl::InvalidArgumentError("whitespace or a control character in the url");
    }
  }
  // Telegram matches these schemes case-insensitively, as URLs are.
  constexpr absl::string_view kUserLink = "tg://user?id=";
  constexpr absl::string_view kEmojiLink = "tg://emoji?id=";
  if (absl::StartsWithIgnoreCase(url, kUserLink)) {
    if (!ParsePositiveId(url.substr(kUserLink.size()), &entity->user_id)) {
      return absl::InvalidArgumentError("tg://user link without a valid id");
    }
    entity->type = "mention_name";
  } else if (absl::StartsWithIgnoreCase(url, kEmojiLink)) {
    if (!ParsePositiveId(url.substr(kEmojiLink.size()), &entity->custom_emoji_id)) {
      return absl::InvalidArgumentError("tg://emoji link without a valid id");
    }
    entity->type = "custom_emoji";
  } else {
    entity->type = "text_url";
    entity->url = std::string(url);
  }
  return absl::OkStatus();
}

void EntityBuilder::Append(char byte) {
  text_.push_back(byte);
  // Counting per byte works on validated UTF-8: every sequence has one lead byte, and only the
  // four-byte leads (F0..F4) stand for a surrogate pair.
  const auto b = static_cast<unsigned char>(byte);
  if ((b & 0xC0) != 0x80) ++utf16_length_;
  if (b >= 0xF0) ++utf16_length_;
}

void EntityBuilder::Append(absl::string_view utf8) {
  for (const char c : utf8) Append(c);
}

absl::Status EntityBuilder::Open(Entity entity, std::string token, std::string label,
                                 size_t source_offset) {
  const NestingKind kind = KindOf(entity.type);
  // The innermost open entity that Telegram refuses this one inside, if any.
  int refusing = -1;
  const char* refusal = nullptr;
  for (int parent_kind = 0; parent_kind < kNestingKindCount; ++parent_kind) {
    const int parent = innermost_of_kind_[parent_kind];
    if (parent <= refusing) continue;
    if (const char* why = NestingRefusal(kind, static_cast<NestingKind>(parent_kind))) {
      refusing = parent;
      refusal = why;
    }
  }
  if (refusal != nullptr) {
    const OpenEntity& parent = open_[refusing];
    return Error(absl::StrCat(label, " at byte offset ", source_offset, " can't be inside ",
                              parent.label, " opened at byte offset ", parent.source_offset, ": ",
                              refusal));
  }
  const bool emit = kind != NestingKind::kStyle || open_styles_[entity.type] == 0;
  Push(std::move(entity), kind, std::move(token), std::move(label), source_offset, emit);
  return absl::OkStatus();
}

void EntityBuilder::OpenMerged(absl::string_view type, std::string token, std::string label,
                               size_t source_offset) {
  Entity entity;
  entity.type = std::string(type);
  const NestingKind kind = KindOf(type);
  Push(std::move(entity), kind, std::move(token), std::move(label), source_offset,
       /*emit=*/false);
}

void EntityBuilder::Push(Entity entity, NestingKind kind, std::string token, std::string label,
                         size_t source_offset, bool emit) {
  entity.offset = utf16_length_;
  if (kind == NestingKind::kStyle) ++open_styles_[entity.type];
  int& innermost = innermost_of_kind_[static_cast<int>(kind)];
  open_.push_back(OpenEntity{std::move(entity), std::move(token), std::move(label), source_offset,
                             emit, next_sequence_++, kind, innermost});
  innermost = static_cast<int>(open_.size()) - 1;
}

void EntityBuilder::Close() {
  OpenEntity closed = std::move(open_.back());
  open_.pop_back();
  innermost_of_kind_[static_cast<int>(closed.kind)] = closed.enclosing_of_kind;
  // Styles keep their type while open; only links learn theirs late, and they are not styles.
  if (closed.kind == NestingKind::kStyle) --open_styles_[closed.entity.type];
  closed.entity.length = utf16_length_ - closed.entity.offset;
  if (closed.emit && closed.entity.length > 0) {
    done_.push_back(Done{std::move(closed.entity), closed.sequence});
  }
}

const EntityBuilder::OpenEntity* EntityBuilder::FindOpen(absl::string_view token) const {
  for (auto it = open_.rbegin(); it != open_.rend(); ++it) {
    if (it->token == token) return &*it;
  }
  return nullptr;
}

absl::Status EntityBuilder::Error(absl::string_view message) const {
  return absl::InvalidArgumentError(absl::StrCat(error_prefix_, message));
}

absl::Status EntityBuilder::CheckSource(absl::string_view source) const {
  // Markup only ever shrinks into text, so a source within int32 keeps every offset within it.
  if (source.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return Error("the text is longer than 2^31-1 bytes");
  }
  if (const size_t invalid = FindInvalidUtf8(source); invalid != source.size()) {
    return Error(absl::StrCat("invalid UTF-8 at byte offset ", invalid));
  }
  return absl::OkStatus();
}

FormattedText EntityBuilder::Finish() {
  // Entities finish innermost first; Telegram wants them by offset, and for one offset the longer
  // (enclosing) one first, ties going to the one opened first.
  std::sort(done_.begin(), done_.end(), [](const Done& a, const Done& b) {
    return std::make_tuple(a.entity.offset, -a.entity.length, a.sequence) <
           std::make_tuple(b.entity.offset, -b.entity.length, b.sequence);
  });
  FormattedText result;
  result.text = std::move(text_);
  result.entities.reserve(done_.size());
  for (Done& done : done_) result.entities.push_back(std::move(done.entity));
  done_.clear();
  return result;
}

}  // namespace tgrpc::service::text::internal
