#include "service/telegram/session_strings.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace tgrpc::service {
namespace {

std::string Key() {
  std::string key;
  for (int i = 0; i < 256; ++i) key.push_back(static_cast<char>(i * 7 + 3));
  return key;
}

TEST(SessionStringsTest, TelethonLayoutByHand) {
  // dc 2, 127.0.0.1, port 443, the key: built byte by byte as Telethon's struct '>B4sH256s'.
  std::string bytes("\x02\x7f\x00\x00\x01\x01\xbb", 7);
  bytes += Key();
  std::string text = absl::WebSafeBase64Escape(bytes);
  while (text.size() % 4) text.push_back('=');
  text = "1" + text;
  ASSERT_EQ(text.size(), 353u);  // Telethon's own check: 352 characters after the version
  absl::StatusOr<PortableSession> parsed = ParseSessionString(text, SessionFormat::kTelethon);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->dc_id, 2);
  EXPECT_EQ(parsed->host, "127.0.0.1");
  EXPECT_EQ(parsed->port, 443);
  EXPECT_EQ(parsed->auth_key, Key());
  absl::StatusOr<std::string> again = FormatSessionString(*parsed, SessionFormat::kTelethon);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, text);
}

TEST(SessionStringsTest, GramJsLayoutByHand) {
  std::string bytes(
      "\x04\x00\x09"
      "127.0.0.1"
      "\x7f\xff",
      14);
  bytes += Key();
  const std::string text = "1" + absl::Base64Escape(bytes);
  absl::StatusOr<PortableSession> parsed = ParseSessionString(text, SessionFormat::kGramJs);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->dc_id, 4);
  EXPECT_EQ(parsed->host, "127.0.0.1");
  EXPECT_EQ(parsed->port, 32767);
  absl::StatusOr<std::string> again = FormatSessionString(*parsed, SessionFormat::kGramJs);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, text);
}

TEST(SessionStringsTest, PyrogramCurrentAndOldLayouts) {
  // '>BI?256sQ?': dc 5, api_id 12345, test mode off, key, user 777000, not a bot.
  std::string bytes("\x05\x00\x00\x30\x39\x00", 6);
  bytes += Key();
  bytes += std::string("\x00\x00\x00\x00\x00\x0b\xdb\x28\x00", 9);
  absl::StatusOr<PortableSession> parsed =
      ParseSessionString(absl::WebSafeBase64Escape(bytes), SessionFormat::kPyrogram);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->dc_id, 5);
  EXPECT_EQ(parsed->api_id, 12345);
  EXPECT_EQ(parsed->user_id, 777000);
  EXPECT_FALSE(parsed->bot);
  EXPECT_EQ(FormatSessionString(*parsed, SessionFormat::kPyrogram).value(),
            absl::WebSafeBase64Escape(bytes));
  // '>B?256sI?': the oldest layout, a bot.
  std::string old("\x01\x01", 2);
  old += Key();
  old += std::string("\x00\x00\x00\x2a\x01", 5);
  parsed = ParseSessionString(absl::WebSafeBase64Escape(old), SessionFormat::kPyrogram);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->test_mode);
  EXPECT_EQ(parsed->user_id, 42);
  EXPECT_TRUE(parsed->bot);
}

TEST(SessionStringsTest, DetectsAndRefusesGarbage) {
  std::string bytes("\x02\x7f\x00\x00\x01\x01\xbb", 7);
  bytes += Key();
  std::string telethon = absl::WebSafeBase64Escape(bytes);
  while (telethon.size() % 4) telethon.push_back('=');
  auto detected = DetectSessionString("1" + telethon);
  ASSERT_TRUE(detected.ok());
  EXPECT_EQ(detected->first, SessionFormat::kTelethon);
  for (const std::string& bad :
       std::vector<std::string>{"", "1", "1!!!!", "2" + telethon, std::string(5000, 'A'),
                                "1" + telethon.substr(0, 100), std::string("\0\0\0", 3)}) {
    EXPECT_FALSE(DetectSessionString(bad).ok()) << bad.substr(0, 20);
  }
}

}  // namespace
}  // namespace tgrpc::service
