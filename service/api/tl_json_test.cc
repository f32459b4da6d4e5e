#include "service/api/tl_json.h"

#include "gtest/gtest.h"
#include "tl/generated/api.h"

namespace tgrpc::service {
namespace {

namespace api = tl::api;

TEST(TlJsonTest, AnInlineKeyboardBothWays) {
  const std::string json =
      R"({"_":"replyInlineMarkup","rows":[{"_":"keyboardButtonRow","buttons":[)"
      R"({"_":"keyboardButtonCallback","text":"Yes","data":"eWVz"},)"
      R"({"_":"keyboardButtonUrl","text":"Site","url":"https://example.com"}]}]})";
  absl::StatusOr<std::string> bytes = TlFromJson(json, "ReplyMarkup", "reply_markup_json");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  // The generated classes read what the schema-driven codec wrote.
  absl::StatusOr<tl::Ptr<api::ReplyMarkup>> markup = tl::Decode<api::ReplyMarkup>(*bytes);
  ASSERT_TRUE(markup.ok()) << markup.status();
  const auto* inline_markup = dynamic_cast<const api::replyInlineMarkup*>(markup->get());
  ASSERT_NE(inline_markup, nullptr);
  ASSERT_EQ(inline_markup->rows.size(), 1u);
  const auto* row = dynamic_cast<const api::keyboardButtonRow*>(inline_markup->rows[0].get());
  ASSERT_NE(row, nullptr);
  ASSERT_EQ(row->buttons.size(), 2u);
  const auto* callback = dynamic_cast<const api::keyboardButtonCallback*>(row->buttons[0].get());
  ASSERT_NE(callback, nullptr);
  EXPECT_EQ(callback->data, "yes");
  // And back to JSON that says the same (keys in the codec's order).
  absl::StatusOr<std::string> again = TlToJson(*bytes, "ReplyMarkup");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_NE(again->find(R"("url":"https://example.com")"), std::string::npos) << *again;
  absl::StatusOr<std::string> bytes_again = TlFromJson(*again, "ReplyMarkup", "reply_markup_json");
  ASSERT_TRUE(bytes_again.ok()) << bytes_again.status();
  EXPECT_EQ(*bytes_again, *bytes);
}

TEST(TlJsonTest, BadJsonNamesTheField) {
  for (const char* bad : {"", "{", R"({"_":"userEmpty","id":"1"})", R"({"_":"nope"})", "[1]",
                          R"({"_":"replyInlineMarkup","rows":7})"}) {
    absl::StatusOr<std::string> bytes = TlFromJson(bad, "ReplyMarkup", "reply_markup_json");
    ASSERT_FALSE(bytes.ok()) << bad;
    EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(bytes.status().message().find("reply_markup_json"), std::string::npos) << bad;
  }
  EXPECT_EQ(TlToJson("\x01\x02", "ReplyMarkup").status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace tgrpc::service
