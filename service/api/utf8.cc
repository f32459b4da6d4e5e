#include "service/api/utf8.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace tgrpc::service {
namespace {

constexpr absl::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the well-formed sequence at the start of `text` (1-4), or, when there is none,
// minus the length of its maximal ill-formed subpart: the longest start of a well-formed
// sequence that it has (at least 1 byte).
int SequenceAt(absl::string_view text) {
  const uint8_t lead = static_cast<uint8_t>(text[0]);
  if (lead < 0x80) return 1;
  // The bytes a lead byte needs after it, and the range of the first of them, which rules out
  // overlong forms (E0, F0), surrogates (ED) and code points above U+10FFFF (F4).
  int length = 0;
  uint8_t low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return -1;  // a continuation byte, C0, C1 or F5-FF: never part of a well-formed sequence
  }
  for (int i = 1; i < length; ++i) {
    if (static_cast<size_t>(i) >= text.size()) return -i;
    const uint8_t byte = static_cast<uint8_t>(text[i]);
    if (byte < low || byte > high) return -i;
    low = 0x80, high = 0xBF;
  }
  return length;
}

}  // namespace

bool IsValidUtf8(absl::string_view text) {
  while (!text.empty()) {
    const int length = SequenceAt(text);
    if (length < 0) return false;
    text.remove_prefix(length);
  }
  return true;
}

std::string ValidUtf8(absl::string_view text) {
  if (IsValidUtf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 16);
  while (!text.empty()) {
    const int length = SequenceAt(text);
    if (length > 0) {
      out.append(text.data(), length);
      text.remove_prefix(length);
    } else {
      out.append(kReplacement.data(), kReplacement.size());
      text.remove_prefix(-length);
    }
  }
  return out;
}

size_t CodePoints(absl::string_view text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

}  // namespace tgrpc::service
