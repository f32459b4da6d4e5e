#include "service/api/utf8.h"

#include <random>
#include <string>

#include "google/protobuf/stubs/logging.h"
#include "gtest/gtest.h"
#include "tgrpc/v1/user.pb.h"

namespace tgrpc::service {
namespace {

// U+FFFD, to write expectations readably.
const std::string R = "\xEF\xBF\xBD";

TEST(Utf8Test, ValidTextIsKept) {
  for (const std::string& text : {
           std::string(""), std::string("plain ASCII"), std::string("with\0nul", 8),
           std::string("\x7F"),
           std::string("Zo\xC3\xAB"),                          // U+00EB, 2 bytes
           std::string("\xDF\xBF"),                            // U+07FF, the last 2-byte one
           std::string("\xE0\xA0\x80"),                        // U+0800, the first 3-byte one
           std::string("\xED\x9F\xBF"),                        // U+D7FF, just below surrogates
           std::string("\xEE\x80\x80"),                        // U+E000, just above them
           std::string("\xEF\xBF\xBF"),                        // U+FFFF
           std::string("\xF0\x90\x80\x80"),                    // U+10000
           std::string("\xF0\x9F\xA4\x96 robot"),              // U+1F916
           std::string("\xF4\x8F\xBF\xBF"),                    // U+10FFFF, the last code point
           std::string("\xEF\xBF\xBD already a replacement"),  // U+FFFD itself
       }) {
    EXPECT_TRUE(IsValidUtf8(text)) << text;
    EXPECT_EQ(ValidUtf8(text), text);
  }
}

TEST(Utf8Test, EachMaximalIllFormedSubpartBecomesOneReplacement) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      // The Unicode Standard's own example (section 3.9, table 3-8).
      {"\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64",
       "a" + R + R + R + "b" + R + "c" + R + R + "d"},
      // Lone continuation bytes and bytes that never appear.
      {"\x80", R},
      {"\xBF\xBF", R + R},
      {"\xC0\xC1\xF5\xFF", R + R + R + R},
      // Overlong forms: the lead byte cannot start them, so each byte stands alone.
      {"\xC0\xAF", R + R},
      {"\xE0\x80\xAF", R + R + R},
      {"\xF0\x80\x80\xAF", R + R + R + R},
      // Surrogates (U+D800, U+DFFF) and what lies above U+10FFFF.
      {"\xED\xA0\x80", R + R + R},
      {"\xED\xBF\xBF", R + R + R},
      {"\xF4\x90\x80\x80", R + R + R + R},
      // Cut short, in the middle and at the end: the start counts once.
      {"\xC3", R},
      {"\xE2\x82", R},
      {"\xF0\x9F\xA4", R},
      {"x\xE2\x82y", "x" + R + "y"},
      {"\xF0\x9F\xA4\xF0\x9F\xA4\x96", R + "\xF0\x9F\xA4\x96"},
      // A broken sequence does not eat the valid one after it.
      {"\xE2\xC3\xAB", R + "\xC3\xAB"},
      {"\xC3\x41", R + "A"},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(IsValidUtf8(c.in)) << testing::PrintToString(c.in);
    const std::string out = ValidUtf8(c.in);
    EXPECT_EQ(out, c.out) << testing::PrintToString(c.in) << " -> " << testing::PrintToString(out);
    EXPECT_TRUE(IsValidUtf8(out));
  }
}

// What counts in the end: whatever Telegram sends, the message carrying it parses on the caller's
// side, which is where protobuf checks proto3 strings. Random bytes, weighted toward the bytes
// that make and break multi-byte sequences.
TEST(Utf8Test, AnyBytesBecomeAStringProtobufParses) {
  std::mt19937 random(20240611);
  const unsigned char interesting[] = {0x00, 0x41, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2,
                                       0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
  for (int round = 0; round < 20000; ++round) {
    std::string bytes(random() % 12, '\0');
    for (char& c : bytes) {
      c = static_cast<char>(random() % 2 == 0 ? interesting[random() % sizeof(interesting)]
                                              : random() % 256);
    }
    const std::string text = ValidUtf8(bytes);
    ASSERT_TRUE(IsValidUtf8(text)) << testing::PrintToString(bytes);
    if (IsValidUtf8(bytes)) {
      ASSERT_EQ(text, bytes);
    }

    v1::User user;
    user.set_first_name(text);
    v1::User parsed;
    ASSERT_TRUE(parsed.ParseFromString(user.SerializeAsString()))
        << testing::PrintToString(bytes) << " -> " << testing::PrintToString(text);
    ASSERT_EQ(parsed.first_name(), text);
  }
}

// The check itself agrees with protobuf's: a string this calls valid parses, one it calls
// invalid does not (so nothing valid is ever replaced).
TEST(Utf8Test, AgreesWithProtobufOnWhatIsValid) {
  std::mt19937 random(7);
  for (int round = 0; round < 20000; ++round) {
    std::string bytes(random() % 6, '\0');
    for (char& c : bytes) c = static_cast<char>(0x80 + random() % 0x80);
    if (round % 3 == 0 && !bytes.empty()) bytes[0] = static_cast<char>(0xC0 + random() % 0x40);
    v1::User user;
    user.set_first_name(bytes);
    v1::User parsed;
    // Serializing invalid UTF-8 only logs (silenced here); the parse is the check.
    google::protobuf::LogSilencer quiet;
    const bool parses = parsed.ParseFromString(user.SerializeAsString());
    ASSERT_EQ(IsValidUtf8(bytes), parses) << testing::PrintToString(bytes);
  }
}

}  // namespace
}  // namespace tgrpc::service
