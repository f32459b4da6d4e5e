#include "tl/dynamic/value.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "tl/dynamic/json.h"
#include "tl/dynamic/sample.h"

namespace tgrpc::tl {
namespace {

Schema Example() {
  absl::StatusOr<Schema> s = LoadSchemaFiles({"tl/testdata/example.tl"});
  EXPECT_TRUE(s.ok()) << s.status();
  return *std::move(s);
}

TEST(DynamicCodecTest, EncodesLikeTheWireFormat) {
  Schema s = Example();
  DynamicCodec codec(&s);
  absl::StatusOr<Value> v = FromJson(
      s, R"({"_":"ex.poly","closed":true,"points":[{"_":"ex.point","x":1,"y":-1}],"big":"5"})",
      "ex.Shape");
  ASSERT_TRUE(v.ok()) << v.status();
  absl::StatusOr<std::string> bytes = codec.EncodeBoxed(*v);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(absl::BytesToHexString(*bytes),
            "8877665501000000"
            "15c4b51c01000000d4c3b2a101000000ffffffff"
            "08000000"
            "0500000000000000");
  absl::StatusOr<Value> back = codec.Decode(*bytes, "ex.Shape");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, *v);
  EXPECT_EQ(ObjectToJson(*back),
            R"({"_":"ex.poly","big":"5","closed":true,"points":[{"_":"ex.point","x":1,"y":-1}]})");
}

TEST(DynamicCodecTest, AnEmptyOptionalVectorInJsonIsAbsent) {
  Schema s = Example();
  DynamicCodec codec(&s);
  // tags (flags.1?Vector<string>) empty and alone on its bit: the bit stays clear.
  absl::StatusOr<Value> v = FromJson(s, R"({"_":"ex.poly","points":[],"tags":[]})", "ex.Shape");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->Field("tags"), nullptr);
  absl::StatusOr<std::string> bytes = codec.EncodeBoxed(*v);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(absl::BytesToHexString(*bytes), "887766550000000015c4b51c0000000000000000");
  // With name on the same bit, the bit is set and the empty vector is written.
  v = FromJson(s, R"({"_":"ex.poly","name":"a","points":[],"tags":[]})", "ex.Shape");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_NE(v->Field("tags"), nullptr);
  EXPECT_TRUE(codec.EncodeBoxed(*v).ok());
}

TEST(DynamicCodecTest, JsonErrorsAreClear) {
  Schema s = Example();
  auto err = [&](const char* json, const char* type) {
    absl::StatusOr<Value> v = FromJson(s, json, type);
    EXPECT_FALSE(v.ok()) << json;
    return std::string(v.status().message());
  };
  EXPECT_NE(err(R"({"_":"ex.point","x":1})", "ex.Point").find("missing field y"),
            std::string::npos);
  EXPECT_NE(err(R"({"_":"ex.point","x":1,"y":2,"z":3})", "ex.Point").find("no field z"),
            std::string::npos);
  EXPECT_NE(err(R"({"_":"ex.empty"})", "ex.Point").find("not of type"), std::string::npos);
  EXPECT_NE(err(R"({"_":"ex.point","x":"1","y":2})", "ex.Point").find("x: expected an integer"),
            std::string::npos);
  EXPECT_NE(err(R"({"_":"nope"})", "ex.Point").find("unknown"), std::string::npos);
  EXPECT_NE(err("{", "ex.Point").find("invalid JSON"), std::string::npos);
}

TEST(DynamicCodecTest, EverySampleRoundTripsThroughBinaryAndJson) {
  Schema s = Example();
  DynamicCodec codec(&s);
  int cases = 0;
  for (bool all : {true, false}) {
    for (const auto* list : {&s.constructors, &s.functions}) {
      for (const Combinator& c : *list) {
        Sampler sampler(&s, {all, 7, 3});
        Value v = sampler.Object(c);
        absl::StatusOr<std::string> bytes = codec.EncodeBoxed(v);
        ASSERT_TRUE(bytes.ok()) << c.name << ": " << bytes.status();
        absl::StatusOr<Value> back = codec.Decode(*bytes, c.name);
        ASSERT_TRUE(back.ok()) << c.name << ": " << back.status();
        EXPECT_EQ(*back, v) << c.name;
        absl::StatusOr<Value> from_json = FromJson(s, ObjectToJson(v), c.name);
        ASSERT_TRUE(from_json.ok()) << c.name << ": " << from_json.status();
        EXPECT_EQ(*from_json, v) << c.name;
        // Truncations never crash and always fail.
        for (size_t cut = 0; cut < bytes->size(); cut += 3) {
          EXPECT_FALSE(codec.Decode(bytes->substr(0, cut), c.name).ok()) << c.name << " " << cut;
        }
        ++cases;
      }
    }
  }
  EXPECT_EQ(cases, 2 * (8 + 4));
}

TEST(DynamicCodecTest, TypeMismatchesFailToEncode) {
  Schema s = Example();
  DynamicCodec codec(&s);
  Value p = Value::Object(s.ByName("ex.point"));
  p.Set("x", Value::Long(1));  // int expected
  p.Set("y", Value::Int(1));
  EXPECT_FALSE(codec.EncodeBoxed(p).ok());
  Value q = Value::Object(s.ByName("ex.point"));
  q.Set("x", Value::Int(1));
  EXPECT_FALSE(codec.EncodeBoxed(q).ok());  // y missing
}

}  // namespace
}  // namespace tgrpc::tl
