#include "tl/dynamic/translate.h"

#include <string>

#include "gtest/gtest.h"
#include "tl/dynamic/value.h"
#include "tl/parser/schema.h"

namespace tgrpc::tl {
namespace {

// A "new" layer and an "old" one that differ the ways real layers do: fields added and removed,
// a constructor only the new layer has, a changed id, a field that widened from int to long.
constexpr char kNew[] = R"(// LAYER 20
emojiStatus#10 document_id:long = EmojiStatus;
photoEmpty#11 id:long = Photo;
photo#12 id:long sizes:Vector<int> = Photo;
user#13 flags:# self:flags.0?true id:long first_name:flags.1?string status:flags.2?EmojiStatus photo:Photo date:long = User;
updateUserName#14 user_id:long first_name:string = Update;
updateStory#15 id:int = Update;
updates#16 updates:Vector<Update> date:int = Updates;
wrapper#17 flags:# a:flags.0?int b:flags.0?int = Wrapper;
---functions---
users.getUser#20 id:long = User;
invokeWithLayer#da9b0d0d {X:Type} layer:int query:!X = X;
)";

constexpr char kOld[] = R"(// LAYER 10
photoEmpty#31 id:long = Photo;
photo#32 id:long access_hash:long sizes:Vector<int> = Photo;
user#33 flags:# self:flags.0?true id:long first_name:flags.1?string access_hash:long photo:Photo date:int = User;
updateUserName#34 user_id:long first_name:string = Update;
updates#36 updates:Vector<Update> date:int = Updates;
wrapper#37 flags:# a:flags.0?int b:flags.0?int c:int = Wrapper;
---functions---
users.getUser#40 id:long = User;
invokeWithLayer#da9b0d0d {X:Type} layer:int query:!X = X;
)";

Schema Parse(const char* text) {
  absl::StatusOr<Schema> schema = ParseSchema(text);
  EXPECT_TRUE(schema.ok()) << schema.status();
  return schema.ok() ? *std::move(schema) : Schema();
}

class TranslateTest : public ::testing::Test {
 protected:
  Value Obj(const Schema& s, const char* name) { return Value::Object(s.ByName(name)); }

  Value NewUser() {
    Value photo = Obj(new_, "photo");
    photo.Set("id", Value::Long(7));
    photo.Set("sizes", Value::Vector({Value::Int(1), Value::Int(2)}));
    Value status = Obj(new_, "emojiStatus");
    status.Set("document_id", Value::Long(99));
    Value user = Obj(new_, "user");
    user.Set("self", Value::Bool(true));
    user.Set("id", Value::Long(42));
    user.Set("first_name", Value::Bytes("Ann"));
    user.Set("status", status);
    user.Set("photo", photo);
    user.Set("date", Value::Long(1700000000));
    return user;
  }

  Schema new_ = Parse(kNew);
  Schema old_ = Parse(kOld);
};

TEST_F(TranslateTest, RenamesIdsDropsAndDefaultsFieldsByName) {
  LayerTranslator down(&new_, &old_);
  absl::StatusOr<Value> user = down.Translate(NewUser());
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->ctor->id, 0x33u);
  ASSERT_NE(user->Field("self"), nullptr);
  EXPECT_EQ(user->Field("id")->i, 42);
  EXPECT_EQ(user->Field("first_name")->s, "Ann");
  EXPECT_EQ(user->Field("status"), nullptr);                        // the old layer has no status
  EXPECT_EQ(user->Field("access_hash")->kind, Value::Kind::kLong);  // defaulted
  EXPECT_EQ(user->Field("access_hash")->i, 0);
  EXPECT_EQ(user->Field("date")->kind, Value::Kind::kInt);  // long -> int where it fits
  EXPECT_EQ(user->Field("photo")->ctor->id, 0x32u);
  EXPECT_EQ(user->Field("photo")->Field("access_hash")->i, 0);

  // The result encodes in the old layer and decodes back to the same value.
  DynamicCodec codec(&old_);
  absl::StatusOr<std::string> bytes = codec.EncodeBoxed(*user);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<Value> decoded = codec.Decode(*bytes, "User");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, *user);
}

TEST_F(TranslateTest, FieldsOrderFollowsTheTargetSchema) {
  LayerTranslator down(&new_, &old_);
  absl::StatusOr<Value> user = down.Translate(NewUser());
  ASSERT_TRUE(user.ok()) << user.status();
  std::string order;
  for (const auto& [name, value] : user->fields) order += name + " ";
  EXPECT_EQ(order, "self id first_name access_hash photo date ");
}

TEST_F(TranslateTest, UnknownConstructorsLeaveVectorsAndFailAtTheTop) {
  Value rename = Obj(new_, "updateUserName");
  rename.Set("user_id", Value::Long(1));
  rename.Set("first_name", Value::Bytes("Bob"));
  Value story = Obj(new_, "updateStory");
  story.Set("id", Value::Int(5));
  Value updates = Obj(new_, "updates");
  updates.Set("updates", Value::Vector({story, rename, story}));
  updates.Set("date", Value::Int(3));

  LayerTranslator down(&new_, &old_);
  absl::StatusOr<Value> old_updates = down.Translate(updates);
  ASSERT_TRUE(old_updates.ok()) << old_updates.status();
  const Value& items = *old_updates->Field("updates");
  ASSERT_EQ(items.items.size(), 1u);
  EXPECT_EQ(items.items[0].ctor->id, 0x34u);
  EXPECT_EQ(items.items[0].Field("first_name")->s, "Bob");

  absl::StatusOr<Value> alone = down.Translate(story);
  EXPECT_TRUE(absl::IsNotFound(alone.status())) << alone.status();
}

TEST_F(TranslateTest, UnknownConstructorInARequiredFieldBecomesTheSimplestOne) {
  // Old -> new: the old photo is fine, but pretend the new layer lost `photo` by translating a
  // user whose photo is a constructor of the wrong type.
  Value user = Obj(old_, "user");
  user.Set("id", Value::Long(1));
  user.Set("access_hash", Value::Long(2));
  Value not_a_photo = Obj(old_, "updateUserName");
  not_a_photo.Set("user_id", Value::Long(1));
  not_a_photo.Set("first_name", Value::Bytes("x"));
  user.Set("photo", not_a_photo);
  user.Set("date", Value::Int(5));
  LayerTranslator up(&old_, &new_);
  absl::StatusOr<Value> out = up.Translate(user);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->Field("photo")->ctor->name, "photoEmpty");
  EXPECT_EQ(out->Field("date")->kind, Value::Kind::kLong);
}

TEST_F(TranslateTest, FlagSiblingsAreFilledWhenTheBitIsSet) {
  Value w = Obj(new_, "wrapper");
  w.Set("a", Value::Int(1));
  w.Set("b", Value::Int(2));
  LayerTranslator down(&new_, &old_);
  absl::StatusOr<Value> out = down.Translate(w);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->Field("c")->i, 0);

  // A value that has only one of two fields sharing a bit gets the other defaulted.
  Value half = Obj(old_, "wrapper");
  half.Set("a", Value::Int(1));
  half.Set("c", Value::Int(3));
  LayerTranslator up(&old_, &new_);
  absl::StatusOr<Value> fixed = up.Translate(half);
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  ASSERT_NE(fixed->Field("b"), nullptr);
  DynamicCodec codec(&new_);
  EXPECT_TRUE(codec.EncodeBoxed(*fixed).ok());
}

TEST_F(TranslateTest, FunctionsAndGenericQueriesTranslate) {
  Value get = Obj(old_, "users.getUser");
  get.Set("id", Value::Long(9));
  Value wrapped = Obj(old_, "invokeWithLayer");
  wrapped.Set("layer", Value::Int(10));
  wrapped.Set("query", get);
  LayerTranslator up(&old_, &new_);
  absl::StatusOr<Value> out = up.Translate(wrapped);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->Field("query")->ctor->id, 0x20u);
  EXPECT_TRUE(out->Field("query")->ctor->is_function);
}

TEST_F(TranslateTest, DefaultsAndResultTypes) {
  LayerTranslator down(&new_, &old_);
  absl::StatusOr<TypeRef> type = ParseTypeRef("User");
  ASSERT_TRUE(type.ok());
  absl::StatusOr<Value> user = down.DefaultFor(*type);
  ASSERT_TRUE(user.ok()) << user.status();
  DynamicCodec codec(&old_);
  EXPECT_TRUE(codec.EncodeBoxed(*user).ok());

  absl::StatusOr<TypeRef> vec = ParseTypeRef("Vector<User>");
  ASSERT_TRUE(vec.ok());
  absl::StatusOr<Value> users = down.TranslateAs(Value::Vector({NewUser(), NewUser()}), *vec);
  ASSERT_TRUE(users.ok()) << users.status();
  EXPECT_EQ(users->items.size(), 2u);

  absl::StatusOr<Value> wrong = down.TranslateAs(Value::Int(1), *type);
  EXPECT_FALSE(wrong.ok());
}

}  // namespace
}  // namespace tgrpc::tl
