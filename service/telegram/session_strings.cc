#include "service/telegram/session_strings.h"

#include <arpa/inet.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace tgrpc::service {
namespace {

constexpr size_t kKeySize = 256;

uint64_t ReadBigEndian(absl::string_view bytes) {
  uint64_t value = 0;
  for (unsigned char c : bytes) value = (value << 8) | c;
  return value;
}

void AppendBigEndian(std::string& out, uint64_t value, int size) {
  for (int i = size - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

absl::Status Bad(absl::string_view format, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("not a ", format, " session string: ", why));
}

absl::StatusOr<std::string> Decode(absl::string_view text, bool url_safe,
                                   absl::string_view format) {
  std::string bytes;
  std::string padded(text);
  // Accept the string with or without its '=' padding.
  while (padded.size() % 4 != 0) padded.push_back('=');
  const bool ok =
      url_safe ? absl::WebSafeBase64Unescape(padded, &bytes) : absl::Base64Unescape(padded, &bytes);
  if (!ok) return Bad(format, "not base64");
  return bytes;
}

absl::StatusOr<PortableSession> ParseTelethon(absl::string_view text) {
  if (text.empty() || text[0] != '1') return Bad("Telethon", "no version 1 prefix");
  absl::StatusOr<std::string> bytes = Decode(text.substr(1), true, "Telethon");
  if (!bytes.ok()) return bytes.status();
  const size_t ip = bytes->size() - 1 - 2 - kKeySize;
  if (bytes->size() < 1 + 2 + kKeySize || (ip != 4 && ip != 16)) {
    return Bad("Telethon", absl::StrCat(bytes->size(), " bytes"));
  }
  PortableSession out;
  out.dc_id = static_cast<unsigned char>((*bytes)[0]);
  char address[INET6_ADDRSTRLEN] = {};
  inet_ntop(ip == 4 ? AF_INET : AF_INET6, bytes->data() + 1, address, sizeof(address));
  out.host = address;
  out.port = static_cast<uint16_t>(ReadBigEndian(absl::string_view(*bytes).substr(1 + ip, 2)));
  out.auth_key = bytes->substr(1 + ip + 2, kKeySize);
  return out;
}

absl::StatusOr<PortableSession> ParseGramJs(absl::string_view text) {
  if (text.empty() || text[0] != '1') return Bad("GramJS", "no version 1 prefix");
  absl::StatusOr<std::string> bytes = Decode(text.substr(1), false, "GramJS");
  if (!bytes.ok()) return bytes.status();
  absl::string_view b = *bytes;
  if (b.size() < 1 + 2 + 2 + kKeySize) return Bad("GramJS", "too short");
  const size_t length = ReadBigEndian(b.substr(1, 2));
  if (b.size() != 1 + 2 + length + 2 + kKeySize) return Bad("GramJS", "wrong length");
  PortableSession out;
  out.dc_id = static_cast<unsigned char>(b[0]);
  out.host = std::string(b.substr(3, length));
  out.port = static_cast<uint16_t>(ReadBigEndian(b.substr(3 + length, 2)));
  out.auth_key = std::string(b.substr(3 + length + 2, kKeySize));
  return out;
}

absl::StatusOr<PortableSession> ParsePyrogram(absl::string_view text) {
  absl::StatusOr<std::string> bytes = Decode(text, true, "Pyrogram");
  if (!bytes.ok()) return bytes.status();
  absl::string_view b = *bytes;
  PortableSession out;
  size_t at = 0;
  out.dc_id = static_cast<unsigned char>(b.empty() ? 0 : b[0]);
  at = 1;
  int user_id_size = 0;
  if (b.size() == 1 + 4 + 1 + kKeySize + 8 + 1) {  // current: with api_id
    out.api_id = static_cast<int32_t>(ReadBigEndian(b.substr(1, 4)));
    at = 5;
    user_id_size = 8;
  } else if (b.size() == 1 + 1 + kKeySize + 8 + 1) {
    user_id_size = 8;
  } else if (b.size() == 1 + 1 + kKeySize + 4 + 1) {
    user_id_size = 4;
  } else {
    return Bad("Pyrogram", absl::StrCat(b.size(), " bytes"));
  }
  out.test_mode = b[at] != 0;
  out.auth_key = std::string(b.substr(at + 1, kKeySize));
  uint64_t user = ReadBigEndian(b.substr(at + 1 + kKeySize, user_id_size));
  out.user_id = user_id_size == 4 ? static_cast<int32_t>(user) : static_cast<int64_t>(user);
  out.bot = b[at + 1 + kKeySize + user_id_size] != 0;
  return out;
}

}  // namespace

absl::StatusOr<PortableSession> ParseSessionString(absl::string_view text, SessionFormat format) {
  if (text.size() > 4096) return absl::InvalidArgumentError("session string too long");
  absl::StatusOr<PortableSession> out;
  switch (format) {
    case SessionFormat::kTelethon:
      out = ParseTelethon(text);
      break;
    case SessionFormat::kGramJs:
      out = ParseGramJs(text);
      break;
    case SessionFormat::kPyrogram:
      out = ParsePyrogram(text);
      break;
  }
  if (out.ok() && (out->dc_id < 1 || out->dc_id > 255)) {
    return absl::InvalidArgumentError("the session string names no DC");
  }
  return out;
}

absl::StatusOr<std::pair<SessionFormat, PortableSession>> DetectSessionString(
    absl::string_view text) {
  for (SessionFormat format :
       {SessionFormat::kPyrogram, SessionFormat::kTelethon, SessionFormat::kGramJs}) {
    absl::StatusOr<PortableSession> session = ParseSessionString(text, format);
    if (session.ok()) return std::make_pair(format, *std::move(session));
  }
  return absl::InvalidArgumentError(
      "not a Telethon, GramJS or Pyrogram session string (say which with `format`)");
}

absl::StatusOr<std::string> FormatSessionString(const PortableSession& session,
                                                SessionFormat format) {
  if (session.auth_key.size() != kKeySize) return absl::InvalidArgumentError("no 256-byte key");
  std::string bytes;
  bytes.push_back(static_cast<char>(session.dc_id));
  switch (format) {
    case SessionFormat::kTelethon: {
      unsigned char ip[16];
      if (inet_pton(AF_INET, session.host.c_str(), ip) == 1) {
        bytes.append(reinterpret_cast<const char*>(ip), 4);
      } else if (inet_pton(AF_INET6, session.host.c_str(), ip) == 1) {
        bytes.append(reinterpret_cast<const char*>(ip), 16);
      } else {
        return absl::InvalidArgumentError("Telethon sessions need an IP address for the DC");
      }
      AppendBigEndian(bytes, session.port, 2);
      bytes += session.auth_key;
      // Python's urlsafe_b64encode pads with '=', and Telethon checks the padded length.
      std::string text = absl::WebSafeBase64Escape(bytes);
      while (text.size() % 4 != 0) text.push_back('=');
      return absl::StrCat("1", text);
    }
    case SessionFormat::kGramJs:
      AppendBigEndian(bytes, session.host.size(), 2);
      bytes += session.host;
      AppendBigEndian(bytes, session.port, 2);
      bytes += session.auth_key;
      return absl::StrCat("1", absl::Base64Escape(bytes));
    case SessionFormat::kPyrogram:
      AppendBigEndian(bytes, static_cast<uint32_t>(session.api_id), 4);
      bytes.push_back(session.test_mode ? 1 : 0);
      bytes += session.auth_key;
      AppendBigEndian(bytes, static_cast<uint64_t>(session.user_id), 8);
      bytes.push_back(session.bot ? 1 : 0);
      return absl::WebSafeBase64Escape(bytes);
  }
  return absl::InvalidArgumentError("unknown format");
}

}  // namespace tgrpc::service
