// Every constructor and method of the pinned layer and of the MTProto schema, with generated
// sample values (all optional fields set, and none): the schema-driven codec and the generated
// codec must produce identical bytes, and each must read back what it wrote.
#include <iostream>

#include "gtest/gtest.h"
#include "tl/dynamic/json.h"
#include "tl/dynamic/sample.h"
#include "tl/dynamic/value.h"
#include "tl/generated/api.h"
#include "tl/generated/mtp.h"

namespace tgrpc::tl {
namespace {

class RoundTripTest : public ::testing::Test {
 protected:
  // The two schemas stay apart: both have a `message` constructor of a type `Message`.
  static void SetUpTestSuite() {
    for (const char* path : {"tl/schema/api.tl", "tl/schema/mtproto.tl"}) {
      absl::StatusOr<Schema> s = LoadSchemaFiles({path});
      ASSERT_TRUE(s.ok()) << s.status();
      schemas_.push_back(new Schema(*std::move(s)));
    }
    schema_ = schemas_[0];
  }
  static std::vector<Schema*> schemas_;
  static Schema* schema_;  // the API schema
};
std::vector<Schema*> RoundTripTest::schemas_;
Schema* RoundTripTest::schema_ = nullptr;

TEST_F(RoundTripTest, GeneratedAndSchemaDrivenCodecsAgreeOnEveryCombinator) {
  int cases = 0, failures = 0;
  size_t bytes_total = 0, combinators = 0;
  for (Schema* schema : schemas_) {
    combinators += schema->constructors.size() + schema->functions.size();
    DynamicCodec codec(schema);
    for (bool all : {true, false}) {
      for (const auto* list : {&schema->constructors, &schema->functions}) {
        for (const Combinator& c : *list) {
          Sampler sampler(schema, {all, c.id, 3});
          Value v = sampler.Object(c);
          absl::StatusOr<std::string> bytes = codec.EncodeBoxed(v);
          ASSERT_TRUE(bytes.ok()) << c.name << ": " << bytes.status();
          bytes_total += bytes->size();

          // Schema-driven: decode, compare, and through JSON.
          absl::StatusOr<Value> back = codec.Decode(*bytes, c.name);
          ASSERT_TRUE(back.ok()) << c.name << ": " << back.status();
          EXPECT_EQ(*back, v) << c.name;
          absl::StatusOr<Value> from_json = FromJson(*schema, ObjectToJson(v), c.name);
          ASSERT_TRUE(from_json.ok()) << c.name << ": " << from_json.status();
          EXPECT_EQ(*from_json, v) << c.name;

          // Generated: decode by id, re-encode, same bytes.
          Reader r(*bytes);
          uint32_t id = r.U32();
          bool known = false;
          Ptr<Object> obj =
              schema == schema_ ? api::ReadById(id, r, &known) : mtp::ReadById(id, r, &known);
          ASSERT_TRUE(known) << c.name;
          ASSERT_TRUE(r.ok()) << c.name << ": " << r.status();
          ASSERT_EQ(r.remaining(), 0u) << c.name;
          ASSERT_NE(obj, nullptr);
          EXPECT_EQ(obj->tl_id(), c.id);
          EXPECT_EQ(obj->tl_name(), c.name);
          absl::StatusOr<std::string> again = Serialize(*obj);
          ASSERT_TRUE(again.ok()) << c.name << ": " << again.status();
          if (*again != *bytes) ++failures;
          EXPECT_EQ(*again, *bytes) << c.name << (all ? " (all optional)" : " (no optional)");
          ++cases;
        }
      }
    }
  }
  EXPECT_EQ(cases, static_cast<int>(2 * combinators));
  std::cout << "round-trip cases: " << cases << " (" << combinators
            << " combinators x {all optional, none}), " << bytes_total << " bytes, " << failures
            << " mismatches\n";
}

TEST_F(RoundTripTest, GeneratedCountsMatchTheSchema) {
  // api.tl: the generated code skips nothing but the built-in vector.
  size_t api_ctors = 0, api_funcs = 0;
  absl::StatusOr<Schema> api = LoadSchemaFiles({"tl/schema/api.tl"});
  ASSERT_TRUE(api.ok());
  api_ctors = api->constructors.size();
  api_funcs = api->functions.size();
  EXPECT_EQ(api::kConstructorCount, static_cast<int>(api_ctors));
  EXPECT_EQ(api::kFunctionCount, static_cast<int>(api_funcs));
  EXPECT_EQ(api::kLayer, 228);
  std::cout << "generated api: " << api::kConstructorCount << " constructors, "
            << api::kFunctionCount << " methods; mtp: " << mtp::kConstructorCount
            << " constructors, " << mtp::kFunctionCount << " methods\n";
}

TEST_F(RoundTripTest, TypedCallShape) {
  api::messages_sendMessage send;
  send.peer = std::make_unique<api::inputPeerSelf>();
  send.message = "hi";
  send.random_id = 42;
  send.silent = true;
  absl::StatusOr<std::string> bytes = Serialize(send);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  DynamicCodec codec(schema_);
  absl::StatusOr<Value> v = codec.Decode(*bytes, "messages.sendMessage");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->Field("message")->s, "hi");
  EXPECT_TRUE(v->Field("silent")->b);
  static_assert(std::is_same_v<api::messages_sendMessage::Result, Ptr<api::Updates>>);
  static_assert(std::is_same_v<api::users_getUsers::Result, std::vector<Ptr<api::User>>>);
  static_assert(std::is_same_v<api::auth_logOut::Result, Ptr<api::auth_LoggedOut>>);
  // A result decodes to its declared type only.
  api::updatesTooLong too_long;
  absl::StatusOr<Ptr<api::Updates>> result =
      DecodeResult<api::messages_sendMessage>(*Serialize(too_long));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ((*result)->tl_id(), api::updatesTooLong::kId);
  EXPECT_FALSE(DecodeResult<api::messages_sendMessage>(*Serialize(send)).ok());
}

}  // namespace
}  // namespace tgrpc::tl
