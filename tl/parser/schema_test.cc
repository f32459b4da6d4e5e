#include "tl/parser/schema.h"

#include <iostream>
#include <set>
#include <string>

#include "gtest/gtest.h"

namespace tgrpc::tl {
namespace {

std::string ReadFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadTextFile(path);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : "";
}

TEST(SchemaParserTest, ExampleMatchesGolden) {
  absl::StatusOr<Schema> s = ParseSchema(ReadFile("tl/testdata/example.tl"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(PrintSchema(*s), ReadFile("tl/testdata/example.golden"));
}

TEST(SchemaParserTest, ExampleFeatures) {
  absl::StatusOr<Schema> s = ParseSchema(ReadFile("tl/testdata/example.tl"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->layer, 7);
  const Combinator* poly = s->ByName("ex.poly");
  ASSERT_NE(poly, nullptr);
  EXPECT_EQ(poly->id, 0x55667788u);
  ASSERT_EQ(poly->params.size(), 8u);
  EXPECT_EQ(poly->params[0].type.name, "#");
  EXPECT_EQ(poly->params[1].cond_field, "flags");
  EXPECT_EQ(poly->params[1].cond_bit, 0);
  EXPECT_EQ(poly->params[1].type.name, "true");
  EXPECT_TRUE(poly->params[3].type.IsVector());
  EXPECT_FALSE(poly->params[3].type.bare);
  EXPECT_EQ(poly->params[3].type.args[0].name, "ex.Point");
  EXPECT_EQ(poly->params[6].cond_field, "flags2");
  EXPECT_EQ(poly->params[6].cond_bit, 3);
  const Combinator* raw = s->ByName("ex.raw");
  ASSERT_NE(raw, nullptr);
  ASSERT_EQ(raw->params.size(), 6u);
  EXPECT_TRUE(raw->params[4].type.bare);          // vector<long>
  EXPECT_TRUE(raw->params[5].type.args[0].bare);  // %ex.Point
  const Combinator* wrap = s->ByName("ex.wrap");
  ASSERT_NE(wrap, nullptr);
  EXPECT_TRUE(wrap->is_function);
  ASSERT_EQ(wrap->generics.size(), 1u);
  EXPECT_TRUE(wrap->params[1].type.bang);
  EXPECT_EQ(wrap->result.name, "X");
  EXPECT_EQ(s->ConstructorsOf("ex.Shape").size(), 3u);
  EXPECT_EQ(s->ConstructorById(0x11223344u), s->ByName("ex.circle"));
  EXPECT_EQ(s->FunctionById(0x0a0b0c0du), s->ByName("ex.getShape"));
  EXPECT_EQ(s->ConstructorById(0x0a0b0c0du), nullptr);
}

TEST(SchemaParserTest, ErrorsNameTheLine) {
  absl::StatusOr<Schema> s = ParseSchema("a#01 x:int = A;\nb#zz y:int = B;\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("line 2"), std::string::npos) << s.status();
  EXPECT_FALSE(ParseSchema("a#01 x = A;").ok());
  EXPECT_FALSE(ParseSchema("a#01 x:flags.40?int = A;").ok());
  EXPECT_FALSE(ParseSchema("a x:int = A;").ok());
  EXPECT_FALSE(ParseSchema("a#01 x:int = A").ok());  // unterminated
}

class PinnedSchemaTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PinnedSchemaTest, ParsePrintParseRoundTrip) {
  absl::StatusOr<Schema> first = ParseSchema(ReadFile(GetParam()));
  ASSERT_TRUE(first.ok()) << first.status();
  std::string printed = PrintSchema(*first);
  absl::StatusOr<Schema> second = ParseSchema(printed);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->constructors, second->constructors);
  EXPECT_EQ(first->functions, second->functions);
  EXPECT_EQ(PrintSchema(*second), printed);
}

TEST_P(PinnedSchemaTest, IdsAreUniqueAndMostlyMatchTheComputedCrc) {
  absl::StatusOr<Schema> s = ParseSchema(ReadFile(GetParam()));
  ASSERT_TRUE(s.ok()) << s.status();
  std::set<uint32_t> ids;
  int matching = 0, total = 0;
  for (const auto* list : {&s->constructors, &s->functions}) {
    for (const Combinator& c : *list) {
      EXPECT_TRUE(ids.insert(c.id).second) << "duplicate id " << c.name;
      matching += c.ComputedId() == c.id;
      ++total;
    }
  }
  // The published ids are CRC32s of the normalized declarations, save a few historical ones.
  EXPECT_GT(matching * 100, total * 90) << matching << " of " << total;
  std::cout << GetParam() << ": " << s->constructors.size() << " constructors, "
            << s->functions.size() << " functions, " << matching << "/" << total
            << " ids equal the computed CRC32\n";
}

INSTANTIATE_TEST_SUITE_P(Pinned, PinnedSchemaTest,
                         ::testing::Values("tl/schema/api.tl", "tl/schema/mtproto.tl"));

TEST(SchemaParserTest, PinnedLayerCounts) {
  absl::StatusOr<Schema> api = ParseSchema(ReadFile("tl/schema/api.tl"));
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->layer, 228);
  EXPECT_EQ(api->functions.size(), 808u);
  EXPECT_EQ(api->constructors.size(), 1644u + 4u);  // + boolFalse, boolTrue, true, null
  const Combinator* send = api->ByName("messages.sendMessage");
  ASSERT_NE(send, nullptr);
  EXPECT_EQ(send->result.name, "Updates");
  const Combinator* user = api->ByName("user");
  ASSERT_NE(user, nullptr);
  bool has_flags2 = false;
  for (const Param& p : user->params) has_flags2 |= p.cond_field == "flags2";
  EXPECT_TRUE(has_flags2);
  absl::StatusOr<Schema> mtp = ParseSchema(ReadFile("tl/schema/mtproto.tl"));
  ASSERT_TRUE(mtp.ok()) << mtp.status();
  for (const char* name : {"message", "msg_container", "rpc_result", "gzip_packed", "msg_copy",
                           "p_q_inner_data", "p_q_inner_data_dc", "p_q_inner_data_temp_dc",
                           "bind_auth_key_inner", "req_pq_multi", "ping_delay_disconnect"}) {
    EXPECT_NE(mtp->ByName(name), nullptr) << name;
  }
}

}  // namespace
}  // namespace tgrpc::tl
