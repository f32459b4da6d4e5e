#include "service/text/formatting.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/text/formatting_testing.h"

namespace tgrpc::service::text {
namespace {

using ::testing::HasSubstr;

TEST(Utf16LengthTest, CountsUtf16CodeUnits) {
  EXPECT_EQ(Utf16Length(""), 0);
  EXPECT_EQ(Utf16Length("abc"), 3);
  EXPECT_EQ(Utf16Length("Привет"), 6);
  EXPECT_EQ(Utf16Length("€"), 1);
  EXPECT_EQ(Utf16Length("😀"), 2);
  EXPECT_EQ(Utf16Length("a😀b"), 4);
  EXPECT_EQ(Utf16Length("👍🏽"), 4);
}

TEST(Utf16LengthTest, CountsEachInvalidByteAsOneUnit) {
  EXPECT_EQ(Utf16Length("\xff"), 1);
  EXPECT_EQ(Utf16Length("a\xc3"), 2);
  EXPECT_EQ(Utf16Length("\xf0\x9f"), 2);      // a four-byte sequence cut short
  EXPECT_EQ(Utf16Length("\xed\xa0\x80"), 3);  // an encoded surrogate
  EXPECT_EQ(Utf16Length("\xc0\xaf"), 2);      // overlong
  EXPECT_EQ(Utf16Length("\x80😀"), 3);
}

TEST(ValidateEntitiesTest, AcceptsEntitiesInsideTheText) {
  const std::vector<Entity> entities = {
      MakeEntity("bold", 0, 2),      MakeEntity("hashtag", 3, 4), TextUrl(0, 7, "https://x"),
      MentionName(3, 1, 5),          CustomEmoji(0, 2, 9),        Pre(3, 4, "go"),
      MakeEntity("bank_card", 6, 1),
  };
  EXPECT_TRUE(ValidateEntities("😀 #tag", entities).ok());
  EXPECT_TRUE(ValidateEntities("", {}).ok());
}

std::string ValidationError(absl::string_view text, const std::vector<Entity>& entities) {
  const absl::Status status = ValidateEntities(text, entities);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  return std::string(status.message());
}

TEST(ValidateEntitiesTest, NamesTheBadEntity) {
  const std::string text = "hello";
  EXPECT_EQ(ValidationError(text, {MakeEntity("bold", 0, 1), MakeEntity("blink", 0, 1)}),
            "entity 1 (blink) has an unknown type");
  EXPECT_THAT(ValidationError(text, {MakeEntity("bold", -1, 2)}),
              HasSubstr("entity 0 (bold) has a negative offset -1"));
  EXPECT_THAT(ValidationError(text, {MakeEntity("bold", 1, 0)}), HasSubstr("has length 0"));
  EXPECT_THAT(ValidationError(text, {MakeEntity("bold", 1, -3)}), HasSubstr("has length -3"));
  EXPECT_THAT(ValidationError(text, {MakeEntity("italic", 3, 3)}),
              HasSubstr("entity 0 (italic) ends at 6, past the text's 5 UTF-16 code units"));
  EXPECT_THAT(ValidationError(text, {MakeEntity("bold", std::numeric_limits<int32_t>::max(),
                                                std::numeric_limits<int32_t>::max())}),
              HasSubstr("past the text"));
  EXPECT_THAT(ValidationError(text, {MakeEntity("text_url", 0, 1)}),
              HasSubstr("entity 0 (text_url) has no url"));
  EXPECT_THAT(ValidationError(text, {MakeEntity("mention_name", 0, 1)}), HasSubstr("no user_id"));
  EXPECT_THAT(ValidationError(text, {MakeEntity("custom_emoji", 0, 1)}),
              HasSubstr("no custom_emoji_id"));
}

TEST(ValidateEntitiesTest, RejectsEdgesInsideASurrogatePair) {
  // "a😀b": the emoji takes units 1 and 2.
  EXPECT_TRUE(ValidateEntities("a😀b", {MakeEntity("bold", 1, 2)}).ok());
  EXPECT_THAT(ValidationError("a😀b", {MakeEntity("bold", 2, 2)}),
              HasSubstr("entity 0 (bold) starts inside a surrogate pair"));
  EXPECT_THAT(ValidationError("a😀b", {MakeEntity("bold", 0, 2)}),
              HasSubstr("ends inside a surrogate pair"));
  // Cyrillic is one unit per letter: every edge is fine.
  EXPECT_TRUE(ValidateEntities("мир", {MakeEntity("bold", 1, 1)}).ok());
  EXPECT_THAT(ValidationError("мир", {MakeEntity("bold", 1, 3)}), HasSubstr("ends at 4"));
}

TEST(ValidateEntitiesTest, RejectsInvalidUtf8Text) {
  EXPECT_EQ(ValidationError("ab\xfe", {}), "the text is not valid UTF-8 at byte offset 2");
}

TEST(ValidateEntitiesTest, AcceptsWhatTheParsersProduce) {
  for (absl::string_view markdown :
       {"**a** __b__ ~~c~~ ||d|| `e` [f](http://x) [g](tg://user?id=1) 😀 [h](tg://emoji?id=2)",
        "```py\nprint(1)\n```", "Привет **мир** 👍🏽 __x__"}) {
    const absl::StatusOr<FormattedText> parsed = ParseMarkdown(markdown);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_TRUE(ValidateEntities(parsed->text, parsed->entities).ok()) << markdown;
  }
  const absl::StatusOr<FormattedText> parsed = ParseHtml(
      "<b>a</b><i>b</i><u>c</u><s>d</s><tg-spoiler>e</tg-spoiler><code>f</code>"
      "<pre><code class=\"language-c\">g</code></pre><a href=\"http://x\">h</a>"
      "<blockquote>😀</blockquote><tg-emoji emoji-id=\"3\">👍</tg-emoji>");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->entities.size(), 10u);
  EXPECT_TRUE(ValidateEntities(parsed->text, parsed->entities).ok());
}

// Random input made mostly of markup pieces, so that some of it parses and the rest fails in many
// different places, with raw bytes mixed in for invalid UTF-8.
std::string RandomSource(std::mt19937& random, const std::vector<std::string>& pieces) {
  std::string source;
  const int count = std::uniform_int_distribution<int>(0, 24)(random);
  for (int i = 0; i < count; ++i) {
    if (std::uniform_int_distribution<int>(0, 9)(random) == 0) {
      source.push_back(static_cast<char>(std::uniform_int_distribution<int>(0, 255)(random)));
    } else {
      source += pieces[std::uniform_int_distribution<size_t>(0, pieces.size() - 1)(random)];
    }
  }
  return source;
}

// What every successful parse must give: entities inside the text, non-empty, sorted (enclosing
// first) and properly nested, and passing ValidateEntities.
void CheckParsed(const std::string& source, const FormattedText& parsed) {
  const int32_t length = Utf16Length(parsed.text);
  const std::vector<Entity>& entities = parsed.entities;
  for (size_t i = 0; i < entities.size(); ++i) {
    const Entity& e = entities[i];
    ASSERT_GE(e.offset, 0) << source;
    ASSERT_GT(e.length, 0) << source;
    ASSERT_LE(int64_t{e.offset} + e.length, length) << source;
    if (i > 0) {
      const Entity& previous = entities[i - 1];
      ASSERT_TRUE(previous.offset < e.offset ||
                  (previous.offset == e.offset && previous.length >= e.length))
          << source;
    }
    for (size_t j = 0; j < i; ++j) {
      const Entity& outer = entities[j];
      const bool disjoint = outer.offset + outer.length <= e.offset;
      const bool nested = e.offset + e.length <= outer.offset + outer.length;
      ASSERT_TRUE(disjoint || nested) << source;
    }
  }
  ASSERT_TRUE(ValidateEntities(parsed.text, entities).ok()) << source;
}

TEST(FormattingFuzzTest, RandomInputNeverCrashesAndEntitiesStayInsideTheText) {
  const std::vector<std::string> markdown_pieces = {"*",
                                                    "**",
                                                    "_",
                                                    "__",
                                                    "~~",
                                                    "||",
                                                    "`",
                                                    "```",
                                                    "```py\n",
                                                    "[",
                                                    "]",
                                                    "](",
                                                    "(",
                                                    ")",
                                                    "\\",
                                                    "\n",
                                                    " ",
                                                    "a",
                                                    "Я",
                                                    "😀",
                                                    "👍🏽",
                                                    "http://x",
                                                    "tg://user?id=5",
                                                    "tg://emoji?id=7",
                                                    "tg://user?id=x",
                                                    "\r\n",
                                                    "\xff",
                                                    "\xc3"};
  const std::vector<std::string> html_pieces = {"<b>",
                                                "</b>",
                                                "<i>",
                                                "</i>",
                                                "<u>",
                                                "</u>",
                                                "<s>",
                                                "</s>",
                                                "<code>",
                                                "</code>",
                                                "<pre>",
                                                "</pre>",
                                                "<a href=\"http://x\">",
                                                "<a href='tg://user?id=5'>",
                                                "</a>",
                                                "<blockquote>",
                                                "</blockquote>",
                                                "<tg-spoiler>",
                                                "</tg-spoiler>",
                                                "<span class=\"tg-spoiler\">",
                                                "</span>",
                                                "<tg-emoji emoji-id=\"9\">",
                                                "</tg-emoji>",
                                                "<code class=\"language-go\">",
                                                "<",
                                                ">",
                                                "&",
                                                "&lt;",
                                                "&#128512;",
                                                "&#x;",
                                                "\"",
                                                "=",
                                                " ",
                                                "\n",
                                                "a",
                                                "Я",
                                                "😀",
                                                "<b",
                                                "</",
                                                "<foo>",
                                                "\xed\xa0\x80",
                                                "\xf0\x9f"};

  std::mt19937 random(20240611);
  int markdown_ok = 0;
  int html_ok = 0;
  constexpr int kRounds = 20000;
  for (int round = 0; round < kRounds; ++round) {
    const std::string markdown = RandomSource(random, markdown_pieces);
    const absl::StatusOr<FormattedText> from_markdown = ParseMarkdown(markdown);
    if (from_markdown.ok()) {
      ++markdown_ok;
      ASSERT_NO_FATAL_FAILURE(CheckParsed(markdown, *from_markdown));
    } else {
      ASSERT_EQ(from_markdown.status().code(), absl::StatusCode::kInvalidArgument) << markdown;
      ASSERT_THAT(std::string(from_markdown.status().message()), HasSubstr("byte offset"));
    }

    const std::string html = RandomSource(random, html_pieces);
    const absl::StatusOr<FormattedText> from_html = ParseHtml(html);
    if (from_html.ok()) {
      ++html_ok;
      ASSERT_NO_FATAL_FAILURE(CheckParsed(html, *from_html));
    } else {
      ASSERT_EQ(from_html.status().code(), absl::StatusCode::kInvalidArgument) << html;
      ASSERT_THAT(std::string(from_html.status().message()), HasSubstr("byte offset"));
    }

    // Raw bytes: the parsers and the validator take anything.
    std::string bytes(std::uniform_int_distribution<int>(0, 32)(random), '\0');
    for (char& c : bytes) c = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(random));
    if (const auto parsed = ParseMarkdown(bytes); parsed.ok()) CheckParsed(bytes, *parsed);
    if (const auto parsed = ParseHtml(bytes); parsed.ok()) CheckParsed(bytes, *parsed);
    EXPECT_GE(Utf16Length(bytes), 0);
    (void)ValidateEntities(bytes, {MakeEntity("bold", 0, Utf16Length(bytes))});
  }
  // Both outcomes must be common, or the loop tests little.
  EXPECT_GT(markdown_ok, kRounds / 20);
  EXPECT_LT(markdown_ok, kRounds - kRounds / 20);
  EXPECT_GT(html_ok, kRounds / 50);
  EXPECT_LT(html_ok, kRounds - kRounds / 20);
}

}  // namespace
}  // namespace tgrpc::service::text
