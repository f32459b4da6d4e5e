#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/text/formatting.h"
#include "service/text/formatting_testing.h"

namespace tgrpc::service::text {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

FormattedText ParseOk(absl::string_view markdown) {
  absl::StatusOr<FormattedText> parsed = ParseMarkdown(markdown);
  EXPECT_TRUE(parsed.ok()) << markdown << ": " << parsed.status();
  return parsed.ok() ? *std::move(parsed) : FormattedText{};
}

// The error message, which must be InvalidArgument.
std::string ParseError(absl::string_view markdown) {
  absl::StatusOr<FormattedText> parsed = ParseMarkdown(markdown);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << markdown;
  return std::string(parsed.status().message());
}

TEST(ParseMarkdownTest, PlainTextPassesThrough) {
  const FormattedText parsed = ParseOk("hello, world");
  EXPECT_EQ(parsed.text, "hello, world");
  EXPECT_THAT(parsed.entities, IsEmpty());
  EXPECT_EQ(ParseOk("").text, "");
}

TEST(ParseMarkdownTest, EachStyleMarker) {
  struct Case {
    const char* markdown;
    const char* type;
  };
  for (const Case& c : std::vector<Case>{{"a **b** c", "bold"},
                                         {"a __b__ c", "italic"},
                                         {"a ~~b~~ c", "strike"},
                                         {"a ||b|| c", "spoiler"}}) {
    const FormattedText parsed = ParseOk(c.markdown);
    EXPECT_EQ(parsed.text, "a b c") << c.markdown;
    EXPECT_THAT(parsed.entities, ElementsAre(MakeEntity(c.type, 2, 1))) << c.markdown;
  }
}

TEST(ParseMarkdownTest, SingleMarkerCharactersArePlainText) {
  const FormattedText parsed = ParseOk("snake_case 2*3 a|b ~x a] b (c)");
  EXPECT_EQ(parsed.text, "snake_case 2*3 a|b ~x a] b (c)");
  EXPECT_THAT(parsed.entities, IsEmpty());
}

TEST(ParseMarkdownTest, InlineCodeIsVerbatim) {
  const FormattedText parsed = ParseOk("run `make **all** [x](y)` now");
  EXPECT_EQ(parsed.text, "run make **all** [x](y) now");
  EXPECT_THAT(parsed.entities, ElementsAre(MakeEntity("code", 4, 19)));
}

TEST(ParseMarkdownTest, PreWithLanguage) {
  const FormattedText parsed = ParseOk("see:\n```python\nprint(1)\n```\ndone");
  EXPECT_EQ(parsed.text, "see:\nprint(1)\ndone");
  EXPECT_THAT(parsed.entities, ElementsAre(Pre(5, 8, "python")));
}

TEST(ParseMarkdownTest, PreWithoutLanguage) {
  EXPECT_THAT(ParseOk("```code```").entities, ElementsAre(Pre(0, 4, "")));
  const FormattedText fenced = ParseOk("```\nline 1\nline 2\n```");
  EXPECT_EQ(fenced.text, "line 1\nline 2");
  EXPECT_THAT(fenced.entities, ElementsAre(Pre(0, 13, "")));
  // A first line with a space is content, not a language.
  const FormattedText spaced = ParseOk("```a b\nc```");
  EXPECT_EQ(spaced.text, "a b\nc");
  EXPECT_THAT(spaced.entities, ElementsAre(Pre(0, 5, "")));
}

TEST(ParseMarkdownTest, PreWithWindowsNewlines) {
  const FormattedText parsed = ParseOk("```go\r\nx := 1\r\n```");
  EXPECT_EQ(parsed.text, "x := 1");
  EXPECT_THAT(parsed.entities, ElementsAre(Pre(0, 6, "go")));
}

TEST(ParseMarkdownTest, PreKeepsMarkupAndSingleBackticks) {
  const FormattedText parsed = ParseOk("```sh\necho `date` **x**\n```");
  EXPECT_EQ(parsed.text, "echo `date` **x**");
  EXPECT_THAT(parsed.entities, ElementsAre(Pre(0, 17, "sh")));
}

TEST(ParseMarkdownTest, TextUrl) {
  const FormattedText parsed = ParseOk("see [the docs](https://example.com/a?b=c) now");
  EXPECT_EQ(parsed.text, "see the docs now");
  EXPECT_THAT(parsed.entities, ElementsAre(TextUrl(4, 8, "https://example.com/a?b=c")));
}

TEST(ParseMarkdownTest, UrlKeepsBalancedParenthesesAndEscapes) {
  EXPECT_THAT(ParseOk("[w](https://en.wikipedia.org/wiki/C_(language))").entities,
              ElementsAre(TextUrl(0, 1, "https://en.wikipedia.org/wiki/C_(language)")));
  EXPECT_THAT(ParseOk("[w](http://x/\\)\\\\)").entities,
              ElementsAre(TextUrl(0, 1, "http://x/)\\")));
}

TEST(ParseMarkdownTest, MentionNameAndCustomEmojiLinks) {
  const FormattedText mention = ParseOk("hi [Bob](tg://user?id=123456789)!");
  EXPECT_EQ(mention.text, "hi Bob!");
  EXPECT_THAT(mention.entities, ElementsAre(MentionName(3, 3, 123456789)));

  const FormattedText emoji = ParseOk("[👍](tg://emoji?id=5368324170671202286)");
  EXPECT_EQ(emoji.text, "👍");
  EXPECT_THAT(emoji.entities, ElementsAre(CustomEmoji(0, 2, 5368324170671202286)));

  EXPECT_THAT(ParseOk("[Bob](TG://User?ID=7)").entities, ElementsAre(MentionName(0, 3, 7)));
}

TEST(ParseMarkdownTest, NestedStyles) {
  const FormattedText parsed = ParseOk("**bold __both__ ~~all ||three||~~**");
  EXPECT_EQ(parsed.text, "bold both all three");
  EXPECT_THAT(parsed.entities,
              ElementsAre(MakeEntity("bold", 0, 19), MakeEntity("italic", 5, 4),
                          MakeEntity("strike", 10, 9), MakeEntity("spoiler", 14, 5)));
}

TEST(ParseMarkdownTest, SameRangePutsTheOuterEntityFirst) {
  EXPECT_THAT(ParseOk("**__x__**").entities,
              ElementsAre(MakeEntity("bold", 0, 1), MakeEntity("italic", 0, 1)));
  EXPECT_THAT(ParseOk("__**x**__").entities,
              ElementsAre(MakeEntity("italic", 0, 1), MakeEntity("bold", 0, 1)));
}

TEST(ParseMarkdownTest, StylesAndLinksNestBothWays) {
  EXPECT_THAT(ParseOk("[**a** b](http://x)").entities,
              ElementsAre(TextUrl(0, 3, "http://x"), MakeEntity("bold", 0, 1)));
  EXPECT_THAT(ParseOk("**a [b](http://x)**").entities,
              ElementsAre(MakeEntity("bold", 0, 3), TextUrl(2, 1, "http://x")));
  EXPECT_THAT(ParseOk("||[👍](tg://emoji?id=1)||").entities,
              ElementsAre(MakeEntity("spoiler", 0, 2), CustomEmoji(0, 2, 1)));
}

TEST(ParseMarkdownTest, StylesSpanLines) {
  EXPECT_THAT(ParseOk("**a\nb**").entities, ElementsAre(MakeEntity("bold", 0, 3)));
}

TEST(ParseMarkdownTest, OffsetsAfterEmojiCountSurrogatePairs) {
  const FormattedText parsed = ParseOk("😀 **x** 👍🏽 `y`");
  EXPECT_EQ(parsed.text, "😀 x 👍🏽 y");
  // 😀 is 2 units; 👍🏽 is two 4-byte sequences, 4 units.
  EXPECT_THAT(parsed.entities, ElementsAre(MakeEntity("bold", 3, 1), MakeEntity("code", 10, 1)));
  EXPECT_THAT(ParseOk("**😀**").entities, ElementsAre(MakeEntity("bold", 0, 2)));
}

TEST(ParseMarkdownTest, Cyrillic) {
  const FormattedText parsed = ParseOk("Привет, **мир**! [ссылка](https://пример.рф)");
  EXPECT_EQ(parsed.text, "Привет, мир! ссылка");
  EXPECT_THAT(parsed.entities,
              ElementsAre(MakeEntity("bold", 8, 3), TextUrl(13, 6, "https://пример.рф")));
}

TEST(ParseMarkdownTest, BackslashEscapesPunctuation) {
  const FormattedText parsed = ParseOk("\\*\\*not bold\\*\\* \\_\\_ \\[x\\](y) \\` \\\\");
  EXPECT_EQ(parsed.text, "**not bold** __ [x](y) ` \\");
  EXPECT_THAT(parsed.entities, IsEmpty());
}

TEST(ParseMarkdownTest, BackslashBeforeOtherCharactersIsKept) {
  EXPECT_EQ(ParseOk("C:\\new\\dir \\d+ a\\").text, "C:\\new\\dir \\d+ a\\");
  EXPECT_EQ(ParseOk("\\Я").text, "\\Я");
}

TEST(ParseMarkdownTest, EscapesInsideCode) {
  EXPECT_EQ(ParseOk("`a\\`b`").text, "a`b");
  EXPECT_EQ(ParseOk("`C:\\dir \\* \\\\`").text, "C:\\dir \\* \\");
  EXPECT_EQ(ParseOk("```\n\\`\\`\\`\n```").text, "```");
}

TEST(ParseMarkdownTest, EscapedMarkerInsideStyle) {
  const FormattedText parsed = ParseOk("**a \\*\\* b**");
  EXPECT_EQ(parsed.text, "a ** b");
  EXPECT_THAT(parsed.entities, ElementsAre(MakeEntity("bold", 0, 6)));
}

TEST(ParseMarkdownTest, EmptyEntitiesAreDropped) {
  const FormattedText parsed = ParseOk("a****b``c[](http://x)");
  EXPECT_EQ(parsed.text, "abc");
  EXPECT_THAT(parsed.entities, IsEmpty());
}

TEST(ParseMarkdownTest, UnclosedMarkersNameTheirByteOffset) {
  EXPECT_EQ(ParseError("**bold"), "can't parse Markdown: unclosed '**' (bold) at byte offset 0");
  EXPECT_THAT(ParseError("ok __it"), HasSubstr("unclosed '__' (italic) at byte offset 3"));
  EXPECT_THAT(ParseError("~~"), HasSubstr("unclosed '~~' (strike) at byte offset 0"));
  EXPECT_THAT(ParseError("a ||b"), HasSubstr("unclosed '||' (spoiler) at byte offset 2"));
  EXPECT_THAT(ParseError("x `code"), HasSubstr("unclosed '`' (code) at byte offset 2"));
  EXPECT_THAT(ParseError("x ```py\ncode"), HasSubstr("unclosed '```' (pre) at byte offset 2"));
  EXPECT_THAT(ParseError("see [link"), HasSubstr("unclosed '[' (link) at byte offset 4"));
  // The innermost unclosed marker is named.
  EXPECT_THAT(ParseError("**a __b"), HasSubstr("unclosed '__' (italic) at byte offset 4"));
}

TEST(ParseMarkdownTest, ErrorOffsetsAreBytesAfterEmojiAndCyrillic) {
  EXPECT_THAT(ParseError("😀 **x"), HasSubstr("at byte offset 5"));
  EXPECT_THAT(ParseError("Привет **x"), HasSubstr("at byte offset 13"));
}

TEST(ParseMarkdownTest, CrossedMarkersAreRejected) {
  EXPECT_EQ(ParseError("**a __b** c__"),
            "can't parse Markdown: '**' at byte offset 7 closes '**' (bold) opened at byte offset "
            "0, but '__' (italic) opened at byte offset 4 is still open");
  EXPECT_THAT(ParseError("[a **b](http://x)**"),
              HasSubstr("']' at byte offset 6 closes '[' (link) opened at byte offset 0, but '**' "
                        "(bold) opened at byte offset 3 is still open"));
}

TEST(ParseMarkdownTest, NestingTelegramRefusesIsRejected) {
  EXPECT_THAT(ParseError("[a [b](http://b)](http://a)"),
              HasSubstr("'[' (link) at byte offset 3 can't be inside '[' (link) opened at byte "
                        "offset 0: links and custom emoji don't nest"));
  EXPECT_THAT(ParseError("**a `b`**"),
              HasSubstr("'`' (code) at byte offset 4 can't be inside '**' (bold) opened at byte "
                        "offset 0"));
  EXPECT_THAT(ParseError("__```\nx```__"), HasSubstr("'```' (pre) at byte offset 2"));
  EXPECT_THAT(ParseError("[a `b`](http://x)"), HasSubstr("can't be inside '[' (link)"));
}

TEST(ParseMarkdownTest, BadLinksAreRejected) {
  EXPECT_THAT(ParseError("[link] x"),
              HasSubstr("the link opened at byte offset 0 needs (url) right after its ']' at byte "
                        "offset 5"));
  EXPECT_THAT(ParseError("[a](http://x"), HasSubstr("unclosed '(' at byte offset 3"));
  EXPECT_THAT(ParseError("[a]()"), HasSubstr("empty url in the link url at byte offset 4"));
  EXPECT_THAT(ParseError("[a](http://x y)"), HasSubstr("whitespace"));
  EXPECT_THAT(ParseError("[a](tg://user?id=abc)"),
              HasSubstr("tg://user link without a valid id in the link url at byte offset 4"));
  EXPECT_THAT(ParseError("[a](tg://user?id=0)"), HasSubstr("tg://user link without a valid id"));
  EXPECT_THAT(ParseError("[a](tg://emoji?id=99999999999999999999)"),
              HasSubstr("tg://emoji link without a valid id"));
}

TEST(ParseMarkdownTest, InvalidUtf8IsRejectedWithItsOffset) {
  EXPECT_EQ(ParseError("ab\xff"), "can't parse Markdown: invalid UTF-8 at byte offset 2");
  EXPECT_THAT(ParseError("**\xc3**"), HasSubstr("invalid UTF-8 at byte offset 2"));
  EXPECT_THAT(ParseError("a\xc0\xaf"), HasSubstr("byte offset 1"));          // overlong '/'
  EXPECT_THAT(ParseError("\xed\xa0\x80"), HasSubstr("byte offset 0"));       // a surrogate
  EXPECT_THAT(ParseError("😀\xf4\x90\x80\x80"), HasSubstr("byte offset 4"));  // past U+10FFFF
}

}  // namespace
}  // namespace tgrpc::service::text
