// Session strings of other Telegram libraries, so an account signed in elsewhere moves into
// tgrpcd (and back) without a new sign-in: Telethon's and GramJS's StringSession and Pyrogram's
// session string, in their published layouts:
//   Telethon: "1" + urlsafe base64 of  dc:u8 | ip:4 or 16 bytes | port:u16 BE | auth_key:256
//   GramJS:   "1" + base64 of          dc:u8 | len:u16 BE | address:len | port:u16 BE | key:256
//   Pyrogram: urlsafe base64 (no padding) of dc:u8 | api_id:u32 BE | test_mode:u8 |
//             auth_key:256 | user_id:u64 BE | is_bot:u8 (older strings: without api_id, with a
//             32- or 64-bit user id)
#ifndef TGRPC_SERVICE_TELEGRAM_SESSION_STRINGS_H_
#define TGRPC_SERVICE_TELEGRAM_SESSION_STRINGS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tgrpc::service {

enum class SessionFormat { kTelethon, kGramJs, kPyrogram };

struct PortableSession {
  int dc_id = 0;
  // Telethon and GramJS carry the DC's address; tgrpcd uses its own DC table and keeps these
  // for information only.
  std::string host;
  uint16_t port = 0;
  std::string auth_key;  // 256 bytes
  // Pyrogram only.
  int32_t api_id = 0;
  bool test_mode = false;
  int64_t user_id = 0;
  bool bot = false;
};

absl::StatusOr<PortableSession> ParseSessionString(absl::string_view text, SessionFormat format);
// Tries every format (Pyrogram first: its strings never start with "1" and a version char).
absl::StatusOr<std::pair<SessionFormat, PortableSession>> DetectSessionString(
    absl::string_view text);
absl::StatusOr<std::string> FormatSessionString(const PortableSession& session,
                                                SessionFormat format);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_TELEGRAM_SESSION_STRINGS_H_
