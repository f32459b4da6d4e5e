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

FormattedText ParseOk(absl::string_view html) {
  absl::StatusOr<FormattedText> parsed = ParseHtml(html);
  EXPECT_TRUE(parsed.ok()) << html << ": " << parsed.status();
  return parsed.ok() ? *std::move(parsed) : FormattedText{};
}

// The error message, which must be InvalidArgument.
std::string ParseError(absl::string_view html) {
  absl::StatusOr<FormattedText> parsed = ParseHtml(html);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << html;
  return std::string(parsed.status().message());
}

TEST(ParseHtmlTest, PlainTextPassesThrough) {
  const FormattedText parsed = ParseOk("hello > world");
  EXPECT_EQ(parsed.text, "hello > world");
  EXPECT_THAT(parsed.entities, IsEmpty());
}

TEST(ParseHtmlTest, EachStyleTag) {
  struct Case {
    const char* open;
    const char* close;
    const char* type;
  };
  const std::vector<Case> cases = {
      {"<b>", "</b>", "bold"},
      {"<strong>", "</strong>", "bold"},
      {"<i>", "</i>", "italic"},
      {"<em>", "</em>", "italic"},
      {"<u>", "</u>", "underline"},
      {"<ins>", "</ins>", "underline"},
      {"<s>", "</s>", "strike"},
      {"<strike>", "</strike>", "strike"},
      {"<del>", "</del>", "strike"},
      {"<tg-spoiler>", "</tg-spoiler>", "spoiler"},
      {"<span class=\"tg-spoiler\">", "</span>", "spoiler"},
      {"<code>", "</code>", "code"},
      {"<pre>", "</pre>", "pre"},
      {"<blockquote>", "</blockquote>", "blockquote"},
      {"<B>", "</b>", "bold"},
      {"<Tg-Spoiler>", "</TG-SPOILER>", "spoiler"},
  };
  for (const Case& c : cases) {
    const std::string html = std::string("x ") + c.open + "yz" + c.close + " w";
    const FormattedText parsed = ParseOk(html);
    EXPECT_EQ(parsed.text, "x yz w") << html;
    EXPECT_THAT(parsed.entities, ElementsAre(MakeEntity(c.type, 2, 2))) << html;
  }
}

TEST(ParseHtmlTest, PreCodeWithLanguageIsOnePreEntity) {
  const FormattedText parsed = ParseOk("<pre><code class=\"language-cpp\">int x = 1;</code></pre>");
  EXPECT_EQ(parsed.text, "int x = 1;");
  EXPECT_THAT(parsed.entities, ElementsAre(Pre(0, 10, "cpp")));
  EXPECT_THAT(ParseOk("<pre><code>x</code></pre>").entities, ElementsAre(Pre(0, 1, "")));
  // Outside <pre> the class means nothing.
  EXPECT_THAT(ParseOk("<code class=\"language-cpp\">x</code>").entities,
              ElementsAre(MakeEntity("code", 0, 1)));
}

TEST(ParseHtmlTest, Links) {
  const FormattedText parsed = ParseOk("see <a href=\"https://x.com/?a=1&amp;b=2\">this</a>");
  EXPECT_EQ(parsed.text, "see this");
  EXPECT_THAT(parsed.entities, ElementsAre(TextUrl(4, 4, "https://x.com/?a=1&b=2")));
  EXPECT_THAT(ParseOk("<a href='http://y'>q</a>").entities, ElementsAre(TextUrl(0, 1, "http://y")));
  EXPECT_THAT(ParseOk("<a HREF=http://z/>q</a>").entities, ElementsAre(TextUrl(0, 1, "http://z/")));
}

TEST(ParseHtmlTest, MentionNameAndCustomEmoji) {
  EXPECT_THAT(ParseOk("<a href=\"tg://user?id=42\">Bob</a>").entities,
              ElementsAre(MentionName(0, 3, 42)));
  EXPECT_THAT(ParseOk("<a href='tg://emoji?id=7'>⭐</a>").entities,
              ElementsAre(CustomEmoji(0, 1, 7)));
  const FormattedText emoji =
      ParseOk("like <tg-emoji emoji-id=\"5368324170671202286\">👍</tg-emoji>");
  EXPECT_EQ(emoji.text, "like 👍");
  EXPECT_THAT(emoji.entities, ElementsAre(CustomEmoji(5, 2, 5368324170671202286)));
}

TEST(ParseHtmlTest, CharacterReferences) {
  const FormattedText parsed = ParseOk("&lt;b&gt; &amp; &quot;q&quot; &#65;&#x42;&#X43;&#128512;");
  EXPECT_EQ(parsed.text, "<b> & \"q\" ABC😀");
  EXPECT_THAT(parsed.entities, IsEmpty());
}

TEST(ParseHtmlTest, UnknownOrInvalidReferencesStayLiteral) {
  const char* kLiteral = "&nbsp; & a&b &#0; &#xD800; &#x110000; &#; &#12a; &#99999999999; &lt";
  EXPECT_EQ(ParseOk(kLiteral).text, kLiteral);
}

TEST(ParseHtmlTest, OffsetsCountDecodedText) {
  EXPECT_THAT(ParseOk("&lt;<b>x</b>").entities, ElementsAre(MakeEntity("bold", 1, 1)));
  EXPECT_THAT(ParseOk("&#128512;<b>x</b>").entities, ElementsAre(MakeEntity("bold", 2, 1)));
}

TEST(ParseHtmlTest, Nesting) {
  const FormattedText parsed = ParseOk("<b>bold <i>both <u>all</u></i></b>");
  EXPECT_EQ(parsed.text, "bold both all");
  EXPECT_THAT(parsed.entities, ElementsAre(MakeEntity("bold", 0, 13), MakeEntity("italic", 5, 8),
                                           MakeEntity("underline", 10, 3)));
  EXPECT_THAT(ParseOk("<a href='http://x'><b>a</b>b</a>").entities,
              ElementsAre(TextUrl(0, 2, "http://x"), MakeEntity("bold", 0, 1)));
  EXPECT_THAT(ParseOk("<s>a<a href='http://x'>b</a></s>").entities,
              ElementsAre(MakeEntity("strike", 0, 2), TextUrl(1, 1, "http://x")));
  EXPECT_THAT(ParseOk("<blockquote><pre>x</pre><code>y</code><b>z</b></blockquote>").entities,
              ElementsAre(MakeEntity("blockquote", 0, 3), Pre(0, 1, ""), MakeEntity("code", 1, 1),
                          MakeEntity("bold", 2, 1)));
  EXPECT_THAT(ParseOk("<i><tg-emoji emoji-id=\"1\">😀</tg-emoji></i>").entities,
              ElementsAre(MakeEntity("italic", 0, 2), CustomEmoji(0, 2, 1)));
}

TEST(ParseHtmlTest, SameRangePutsTheOuterEntityFirst) {
  EXPECT_THAT(ParseOk("<i><b>x</b></i>").entities,
              ElementsAre(MakeEntity("italic", 0, 1), MakeEntity("bold", 0, 1)));
}

TEST(ParseHtmlTest, RepeatedStyleMergesIntoTheOuterOne) {
  EXPECT_THAT(ParseOk("<b>a<strong>b</strong>c</b>").entities,
              ElementsAre(MakeEntity("bold", 0, 3)));
}

TEST(ParseHtmlTest, WhitespaceAndNewlinesAreKept) {
  const FormattedText parsed = ParseOk("a\n  <b>b\n</b>\t");
  EXPECT_EQ(parsed.text, "a\n  b\n\t");
  EXPECT_THAT(parsed.entities, ElementsAre(MakeEntity("bold", 4, 2)));
}

TEST(ParseHtmlTest, UnknownAttributesAreIgnored) {
  EXPECT_THAT(ParseOk("<b class=\"x\" data-y>z</b >").entities,
              ElementsAre(MakeEntity("bold", 0, 1)));
  EXPECT_THAT(ParseOk("<blockquote expandable>q</blockquote>").entities,
              ElementsAre(MakeEntity("blockquote", 0, 1)));
}

TEST(ParseHtmlTest, EmptyTagsAreDropped) {
  const FormattedText parsed = ParseOk("<b></b>x<a href='http://y'></a>");
  EXPECT_EQ(parsed.text, "x");
  EXPECT_THAT(parsed.entities, IsEmpty());
}

TEST(ParseHtmlTest, CyrillicAndEmoji) {
  const FormattedText parsed = ParseOk("<b>Привет</b>, 😀 <i>мир</i>");
  EXPECT_EQ(parsed.text, "Привет, 😀 мир");
  EXPECT_THAT(parsed.entities, ElementsAre(MakeEntity("bold", 0, 6), MakeEntity("italic", 11, 3)));
}

TEST(ParseHtmlTest, UnknownTagsAreRejected) {
  EXPECT_EQ(ParseError("a <foo>x</foo>"),
            "can't parse HTML: unsupported tag <foo> at byte offset 2");
  EXPECT_THAT(ParseError("<br>"), HasSubstr("unsupported tag <br> at byte offset 0"));
  EXPECT_THAT(ParseError("Привет <x>"), HasSubstr("unsupported tag <x> at byte offset 13"));
  EXPECT_THAT(ParseError("<span>x</span>"),
              HasSubstr("<span> at byte offset 0 needs class=\"tg-spoiler\""));
  EXPECT_THAT(ParseError("<span class=\"red\">x</span>"), HasSubstr("tg-spoiler"));
}

TEST(ParseHtmlTest, UnbalancedTagsAreRejected) {
  EXPECT_EQ(ParseError("x <b>y"), "can't parse HTML: unclosed tag <b> at byte offset 2");
  EXPECT_THAT(ParseError("x</b>"), HasSubstr("end tag </b> at byte offset 1 closes nothing"));
  EXPECT_THAT(ParseError("<b><i>x</b></i>"),
              HasSubstr("end tag </b> at byte offset 7 doesn't match <i> opened at byte offset 3"));
  EXPECT_THAT(ParseError("<b>x</strong>"), HasSubstr("end tag </strong> at byte offset 4"));
  EXPECT_THAT(ParseError("😀<b>x</i>"), HasSubstr("end tag </i> at byte offset 8"));
}

TEST(ParseHtmlTest, MalformedMarkupIsRejected) {
  EXPECT_THAT(ParseError("a < b"), HasSubstr("unescaped '<' at byte offset 2"));
  EXPECT_THAT(ParseError("a <"), HasSubstr("unescaped '<' at byte offset 2"));
  EXPECT_THAT(ParseError("x <b"), HasSubstr("tag <b> at byte offset 2 has no closing '>'"));
  EXPECT_THAT(ParseError("<b/>"), HasSubstr("unexpected '/' at byte offset 2 in tag <b>"));
  EXPECT_THAT(ParseError("<b title=\"x>y</b>"),
              HasSubstr("unclosed value of attribute title at byte offset 9 in tag <b>"));
  EXPECT_THAT(ParseError("x</>"), HasSubstr("malformed end tag at byte offset 1"));
  EXPECT_THAT(ParseError("<b>x</b"), HasSubstr("malformed end tag at byte offset 4"));
}

TEST(ParseHtmlTest, MissingArgumentsAreRejected) {
  EXPECT_THAT(ParseError("<a>x</a>"), HasSubstr("<a> at byte offset 0 has no href"));
  EXPECT_THAT(ParseError("<a href=\"\">x</a>"),
              HasSubstr("empty url in <a href> at byte offset 0"));
  EXPECT_THAT(ParseError("<a href=\"tg://user?id=-1\">x</a>"),
              HasSubstr("tg://user link without a valid id"));
  EXPECT_THAT(ParseError("<tg-emoji>x</tg-emoji>"),
              HasSubstr("<tg-emoji> at byte offset 0 needs a positive numeric emoji-id"));
  EXPECT_THAT(ParseError("<tg-emoji emoji-id=\"abc\">x</tg-emoji>"), HasSubstr("emoji-id"));
}

TEST(ParseHtmlTest, NestingTelegramRefusesIsRejected) {
  EXPECT_EQ(
      ParseError("<code><b>x</b></code>"),
      "can't parse HTML: <b> at byte offset 6 can't be inside <code> opened at byte offset 0: "
      "code and pre hold only plain text");
  EXPECT_THAT(ParseError("<pre><code>a<i>x</i></code></pre>"), HasSubstr("<i> at byte offset 12"));
  EXPECT_THAT(ParseError("<b><code>x</code></b>"),
              HasSubstr("Telegram puts code and pre only inside a blockquote"));
  EXPECT_THAT(ParseError("<a href='http://a'><a href='http://b'>x</a></a>"),
              HasSubstr("links and custom emoji don't nest"));
  EXPECT_THAT(ParseError("<a href='http://a'><tg-emoji emoji-id='1'>x</tg-emoji></a>"),
              HasSubstr("links and custom emoji don't nest"));
  EXPECT_THAT(ParseError("<blockquote><blockquote>x</blockquote></blockquote>"),
              HasSubstr("blockquotes don't nest"));
  EXPECT_THAT(ParseError("<a href='http://a'><blockquote>x</blockquote></a>"),
              HasSubstr("a blockquote can't be inside a link"));
  EXPECT_THAT(ParseError("<a href='http://a'><code>x</code></a>"), HasSubstr("<code>"));
}

// Inputs come from API callers, so the parser must stay linear on hostile ones.
TEST(ParseHtmlTest, DeepNestingAndLongTextStayLinear) {
  constexpr int kDepth = 100000;
  std::string html;
  for (int i = 0; i < kDepth; ++i) html += i % 2 == 0 ? "<b>" : "<strong>";
  html += "x";
  for (int i = kDepth - 1; i >= 0; --i) html += i % 2 == 0 ? "</b>" : "</strong>";
  EXPECT_THAT(ParseOk(html).entities, ElementsAre(MakeEntity("bold", 0, 1)));

  const std::string ampersands(1 << 20, '&');
  EXPECT_EQ(ParseOk(ampersands).text, ampersands);
}

TEST(ParseHtmlTest, InvalidUtf8IsRejectedWithItsOffset) {
  EXPECT_EQ(ParseError("<b>\xe2\x82</b>"), "can't parse HTML: invalid UTF-8 at byte offset 3");
  EXPECT_THAT(ParseError("<a href=\"\x80\">x</a>"), HasSubstr("invalid UTF-8 at byte offset 9"));
}

}  // namespace
}  // namespace tgrpc::service::text
