#include "tl/rawapi/comments.h"

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tgrpc::tl::raw {
namespace {

using ::testing::HasSubstr;
using ::testing::NotNull;

TEST(CommentsTest, ParsesTheSchemaComments) {
  // Bazel runs the test in the workspace root of its runfiles.
  std::ifstream file("tl/schema/api_comments.tsv");
  ASSERT_TRUE(file) << "tl/schema/api_comments.tsv";
  std::stringstream text;
  text << file.rdbuf();
  absl::StatusOr<Comments> comments = ParseComments(text.str());
  ASSERT_TRUE(comments.ok()) << comments.status();

  const std::string* empty = comments->Of("inputPeerEmpty");
  ASSERT_THAT(empty, NotNull());
  EXPECT_THAT(*empty, HasSubstr("empty constructor"));
  const std::string* peer = comments->Of("messages.sendMessage", "peer");
  ASSERT_THAT(peer, NotNull());
  EXPECT_FALSE(peer->empty());

  EXPECT_EQ(comments->Of("noSuchCombinator"), nullptr);
  EXPECT_EQ(comments->Of("messages.sendMessage", "no_such_argument"), nullptr);
}

TEST(CommentsTest, SkipsHeaderAndEmptyLines) {
  absl::StatusOr<Comments> comments =
      ParseComments("# header\n\nping\t\tPings.\nping\tid\tThe id\n");
  ASSERT_TRUE(comments.ok()) << comments.status();
  ASSERT_THAT(comments->Of("ping"), NotNull());
  EXPECT_EQ(*comments->Of("ping"), "Pings.");
  ASSERT_THAT(comments->Of("ping", "id"), NotNull());
  EXPECT_EQ(*comments->Of("ping", "id"), "The id");
}

TEST(CommentsTest, RejectsMalformedLineNamingIt) {
  absl::StatusOr<Comments> comments =
      ParseComments("# header\nping\t\tPings.\nping without tabs\n");
  ASSERT_FALSE(comments.ok());
  EXPECT_EQ(comments.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(comments.status().message(), HasSubstr("line 3"));
}

TEST(CommentsTest, RejectsSecondCommentForTheSameArgument) {
  absl::StatusOr<Comments> comments = ParseComments("ping\tid\tOne\nping\tid\tTwo\n");
  ASSERT_FALSE(comments.ok());
  EXPECT_THAT(comments.status().message(), HasSubstr("line 2"));
}

}  // namespace
}  // namespace tgrpc::tl::raw
