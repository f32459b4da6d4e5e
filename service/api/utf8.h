// Text for proto3 `string` fields, which must hold valid UTF-8: a message with anything else does
// not parse on the caller's side, and the call fails there with no answer. Telegram's TL strings
// are bytes on the wire and may hold anything, so every one on its way into a tgrpc.v1 message
// passes through ValidUtf8.
#ifndef TGRPC_SERVICE_API_UTF8_H_
#define TGRPC_SERVICE_API_UTF8_H_

#include <string>

#include "absl/strings/string_view.h"

namespace tgrpc::service {

// Whether `text` is well-formed UTF-8 (the Unicode Standard, table 3-7): no overlong forms, no
// surrogates (U+D800-DFFF), nothing above U+10FFFF, no sequence cut short.
bool IsValidUtf8(absl::string_view text);

// `text` with each maximal ill-formed subpart replaced by U+FFFD, the practice the Unicode
// Standard recommends (section 3.9, "U+FFFD Substitution of Maximal Subparts") and browsers follow:
// "a\xF1\x80\x80\xE1\x80\xC2b" becomes "a\uFFFD\uFFFD\uFFFDb". Valid text comes back unchanged.
std::string ValidUtf8(absl::string_view text);

// The Unicode code points of valid UTF-8 `text` (proto3 strings are): what Telegram's length
// limits on names and texts count.
size_t CodePoints(absl::string_view text);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_UTF8_H_
