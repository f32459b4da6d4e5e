// Exercises code generated from tl/testdata/example.tl: encode, decode, flags, bare types,
// generics, typed results and malformed input.
#include <string>

#include "gtest/gtest.h"
#include "tl/gen/generated/example.h"

namespace tgrpc::tl::example {
namespace {

std::string Hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

TEST(GeneratedExampleTest, IdsAndNames) {
  EXPECT_EQ(ex_point::kId, 0xa1b2c3d4u);
  EXPECT_STREQ(ex_poly::kName, "ex.poly");
  EXPECT_EQ(kLayer, 7);
  EXPECT_EQ(kConstructorCount, 8);
  EXPECT_EQ(kFunctionCount, 4);
  static_assert(std::is_same_v<ex_listShapes::Result, std::vector<Ptr<ex_Shape>>>);
  static_assert(std::is_same_v<ex_check::Result, bool>);
  static_assert(std::is_same_v<ex_wrap::Result, Ptr<Object>>);
}

TEST(GeneratedExampleTest, EncodesFieldsInOrderWithComputedFlags) {
  ex_poly p;
  p.closed = true;
  auto point = std::make_unique<ex_point>();
  point->x = 1;
  point->y = -1;
  p.points.push_back(std::move(point));
  p.big = 5;
  absl::StatusOr<std::string> bytes = Serialize(p);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(Hex(*bytes),
            "88776655"                                  // id
            "01000000"                                  // flags: closed
            "15c4b51c01000000d4c3b2a101000000ffffffff"  // Vector<ex.Point> with one point
            "08000000"                                  // flags2: bit 3 (big)
            "0500000000000000");                        // big
  absl::StatusOr<Ptr<ex_Shape>> back = Decode<ex_Shape>(*bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  auto* poly = dynamic_cast<ex_poly*>(back->get());
  ASSERT_NE(poly, nullptr);
  EXPECT_TRUE(poly->closed);
  EXPECT_FALSE(poly->name.has_value());
  EXPECT_EQ(poly->big, 5);
  EXPECT_EQ(poly->inner, nullptr);
  ASSERT_EQ(poly->points.size(), 1u);
  EXPECT_EQ(static_cast<ex_point*>(poly->points[0].get())->y, -1);
}

TEST(GeneratedExampleTest, FieldSharingABitMustBePresentToo) {
  ex_poly p;
  p.name = "n";  // flags.1 also covers tags, left empty
  absl::StatusOr<std::string> bytes = Serialize(p);
  EXPECT_FALSE(bytes.ok());
  p.tags = std::vector<std::string>{"a"};
  bytes = Serialize(p);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
}

TEST(GeneratedExampleTest, NullRequiredObjectIsAnError) {
  ex_circle c;  // center left null
  EXPECT_FALSE(Serialize(c).ok());
  c.center = std::make_unique<ex_point>();
  EXPECT_TRUE(Serialize(c).ok());
}

TEST(GeneratedExampleTest, BareTypesAndScalars) {
  ex_raw raw;
  raw.data = std::string(300, 'z');
  raw.n128[0] = 1;
  raw.n256[31] = 2;
  raw.ok = true;
  raw.ids = {7, 8};
  raw.pts.emplace_back();
  raw.pts[0].x = 3;
  absl::StatusOr<std::string> bytes = Serialize(raw);
  ASSERT_TRUE(bytes.ok());
  // bare vector<long>: no Vector id before the count
  std::string ids_part = std::string("\x02\0\0\0", 4) + std::string("\x07\0\0\0\0\0\0\0", 8);
  EXPECT_NE(bytes->find(ids_part), std::string::npos);
  absl::StatusOr<Ptr<ex_Raw>> back = Decode<ex_Raw>(*bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  auto* r = static_cast<ex_raw*>(back->get());
  EXPECT_EQ(r->data, raw.data);
  EXPECT_EQ(r->n128, raw.n128);
  EXPECT_EQ(r->n256, raw.n256);
  EXPECT_TRUE(r->ok);
  EXPECT_EQ(r->ids, raw.ids);
  ASSERT_EQ(r->pts.size(), 1u);
  EXPECT_EQ(r->pts[0].x, 3);
}

TEST(GeneratedExampleTest, FunctionsAndTypedResults) {
  ex_wrap wrap;
  wrap.layer = 7;
  auto get = std::make_unique<ex_getShape>();
  get->id = 42;
  wrap.query = std::move(get);
  absl::StatusOr<std::string> bytes = Serialize(wrap);
  ASSERT_TRUE(bytes.ok());
  Reader r(*bytes);
  Ptr<Function> f = ReadAnyFunction(r);
  ASSERT_TRUE(r.ok()) << r.status();
  auto* w = dynamic_cast<ex_wrap*>(f.get());
  ASSERT_NE(w, nullptr);
  auto* inner = dynamic_cast<ex_getShape*>(w->query.get());
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(inner->id, 42);

  std::string result;
  Writer rw(&result);
  rw.U32(kVectorId);
  rw.U32(1);
  rw.U32(ex_empty::kId);
  absl::StatusOr<ex_listShapes::Result> shapes = DecodeResult<ex_listShapes>(result);
  ASSERT_TRUE(shapes.ok()) << shapes.status();
  ASSERT_EQ(shapes->size(), 1u);
  EXPECT_EQ((*shapes)[0]->tl_id(), ex_empty::kId);
  std::string t;
  Writer tw(&t);
  tw.Bool(true);
  absl::StatusOr<bool> checked = DecodeResult<ex_check>(t);
  ASSERT_TRUE(checked.ok());
  EXPECT_TRUE(*checked);
}

TEST(GeneratedExampleTest, MalformedInputIsAnErrorNotACrash) {
  ex_poly p;
  p.name = "hello";
  p.tags = std::vector<std::string>{"a", "b"};
  p.inner = std::make_unique<ex_empty>();
  std::string bytes = *Serialize(p);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(Decode<ex_Shape>(bytes.substr(0, cut)).ok()) << cut;
  }
  EXPECT_FALSE(Decode<ex_Shape>(bytes + "xxxx").ok());  // trailing bytes
  std::string unknown = bytes;
  unknown[0] ^= 0x55;
  absl::StatusOr<Ptr<ex_Shape>> bad = Decode<ex_Shape>(unknown);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown constructor id"), std::string::npos);
  // A point is not a shape.
  ex_point pt;
  EXPECT_FALSE(Decode<ex_Shape>(*Serialize(pt)).ok());
  // Deep nesting is bounded.
  std::string deep;
  Writer dw(&deep);
  for (int i = 0; i < 1000; ++i) {
    dw.U32(ex_poly::kId);
    dw.U32(0);
    dw.U32(kVectorId);
    dw.U32(0);
    dw.U32(1u << 4);  // flags2: inner
  }
  EXPECT_FALSE(Decode<ex_Shape>(deep).ok());
}

}  // namespace
}  // namespace tgrpc::tl::example
