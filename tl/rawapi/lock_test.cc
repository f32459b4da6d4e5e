// The lock file keeps every published number: a layer that adds, removes and renames fields and
// constructors appends to it and reserves what went away; and the committed lock covers the
// pinned layer, so the build's .proto files are exactly what the lock says.
#include "tl/rawapi/lock.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tl/rawapi/model.h"
#include "tl/rawapi/proto_emitter.h"

namespace tgrpc::tl::raw {
namespace {

using ::testing::HasSubstr;

Schema Parse(absl::string_view text) {
  absl::StatusOr<Schema> schema = ParseSchema(text);
  EXPECT_TRUE(schema.ok()) << schema.status();
  return *std::move(schema);
}

constexpr absl::string_view kLayer1 = R"(
boolFalse#bc799737 = Bool;
boolTrue#997275b5 = Bool;
inputPeerEmpty#7f3b18ea = InputPeer;
inputPeerUser#dde8a54c user_id:long access_hash:long = InputPeer;
inputPeerChat#35a95cb9 chat_id:long = InputPeer;
photo#11111111 flags:# id:long old_size:int caption:flags.0?string = Photo;
---functions---
messages.getPhoto#22222222 peer:InputPeer id:long = Photo;
)";

// Layer 2: photo gains `big` and loses `old_size` (new id, as Telegram does when fields change);
// inputPeerChat is renamed inputPeerGroup under the same id; inputPeerEmpty is dropped;
// messages.getPhoto gains a flag.
constexpr absl::string_view kLayer2 = R"(
boolFalse#bc799737 = Bool;
boolTrue#997275b5 = Bool;
inputPeerUser#dde8a54c user_id:long access_hash:long = InputPeer;
inputPeerGroup#35a95cb9 chat_id:long = InputPeer;
inputPeerChannel#27bcbbfc channel_id:long access_hash:long = InputPeer;
photo#33333333 flags:# id:long caption:flags.0?string big:flags.1?true = Photo;
---functions---
messages.getPhoto#44444444 flags:# peer:InputPeer id:long thumb:flags.0?true = Photo;
)";

TEST(LockTest, ALayerBumpKeepsEveryPublishedNumber) {
  Schema one = Parse(kLayer1);
  std::vector<std::string> changes;
  Lock lock1 = UpdateLock(Lock{}, one, &changes);
  EXPECT_EQ(lock1.fields.at("photo").at("id"), 1);
  EXPECT_EQ(lock1.fields.at("photo").at("old_size"), 2);
  EXPECT_EQ(lock1.fields.at("photo").at("caption"), 3);
  EXPECT_EQ(lock1.fields.at("messages.getPhoto").at("peer"), kFirstRequestField);
  EXPECT_EQ(lock1.cases.at("InputPeer").at("inputPeerChat"), 3);
  EXPECT_FALSE(lock1.cases.contains("Bool"));  // Bool is a proto bool, not a wrapper

  Schema two = Parse(kLayer2);
  changes.clear();
  Lock lock2 = UpdateLock(lock1, two, &changes);
  // Old numbers kept; new ones above every number the message ever had.
  EXPECT_EQ(lock2.fields.at("photo").at("id"), 1);
  EXPECT_EQ(lock2.fields.at("photo").at("caption"), 3);
  EXPECT_EQ(lock2.fields.at("photo").at("old_size"), 2);  // kept, to be reserved
  EXPECT_EQ(lock2.fields.at("photo").at("big"), 4);
  EXPECT_EQ(lock2.fields.at("messages.getPhoto").at("peer"), 2);
  EXPECT_EQ(lock2.fields.at("messages.getPhoto").at("thumb"), 4);
  // The rename takes the old name's numbers and oneof case.
  EXPECT_EQ(lock2.cases.at("InputPeer").at("inputPeerGroup"), 3);
  EXPECT_EQ(lock2.fields.at("inputPeerGroup").at("chat_id"), 1);
  EXPECT_EQ(lock2.cases.at("InputPeer").at("inputPeerChannel"), 4);
  EXPECT_EQ(lock2.ids.at("photo"), 0x33333333u);
  EXPECT_THAT(changes, testing::Contains(HasSubstr("renamed inputPeerChat -> inputPeerGroup")));

  // Nothing in lock1 changed its number in lock2.
  for (const auto& [owner, numbers] : lock1.fields) {
    for (const auto& [name, number] : numbers) {
      EXPECT_EQ(lock2.fields.at(owner).at(name), number) << owner << " " << name;
    }
  }
  for (const auto& [owner, numbers] : lock1.cases) {
    for (const auto& [name, number] : numbers) {
      const std::string now = name == "inputPeerChat" ? "inputPeerGroup" : name;  // renamed
      EXPECT_EQ(lock2.cases.at(owner).at(now), number) << owner << " " << name;
    }
  }

  // The text form round-trips, and the .proto reserves what layer 2 dropped.
  absl::StatusOr<Lock> reparsed = ParseLock(PrintLock(lock2));
  ASSERT_TRUE(reparsed.ok()) << reparsed.status();
  EXPECT_EQ(*reparsed, lock2);
  auto model = RawModel::Build(&two, lock2);
  ASSERT_TRUE(model.ok()) << model.status();
  const std::string types = EmitProtoFiles(**model).at("tgrpc/raw/v1/types.proto");
  EXPECT_THAT(types, HasSubstr("  reserved 2;\n  reserved \"old_size\";"));
  EXPECT_THAT(types, HasSubstr("  reserved 1;\n  reserved \"input_peer_empty\";"));
  EXPECT_THAT(types, HasSubstr("InputPeerGroup input_peer_group = 3;"));
  EXPECT_THAT(types, HasSubstr("bool big = 4;"));
  EXPECT_THAT(types, HasSubstr("sfixed64 access_hash = 2;"));
  EXPECT_THAT(types, HasSubstr("optional string caption = 3;"));
  EXPECT_THAT(types, HasSubstr("string ref = 1000;"));
  const std::string messages = EmitProtoFiles(**model).at("tgrpc/raw/v1/messages.proto");
  EXPECT_THAT(messages, HasSubstr("rpc GetPhoto(MessagesGetPhotoRequest) returns (TypePhoto);"));
  EXPECT_THAT(messages, HasSubstr("string account = 1;"));
}

TEST(LockTest, AStaleLockFailsTheBuildNamingWhatIsMissing) {
  Schema two = Parse(kLayer2);
  Lock lock1 = UpdateLock(Lock{}, Parse(kLayer1), nullptr);
  auto model = RawModel::Build(&two, lock1);
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(), HasSubstr("field photo big"));
  EXPECT_THAT(model.status().message(), HasSubstr("update_lock"));
}

TEST(LockTest, BadLockLinesAreRejectedWithTheirLineNumber) {
  EXPECT_THAT(ParseLock("field a b 1\nfield a c 1\n").status().message(), HasSubstr("line 2"));
  EXPECT_THAT(ParseLock("field a b x\n").status().message(), HasSubstr("line 1"));
  EXPECT_THAT(ParseLock("\nnonsense\n").status().message(), HasSubstr("line 2"));
  EXPECT_THAT(ParseLock("id a zz\n").status().message(), HasSubstr("bad id"));
}

TEST(LockTest, TheCommittedLockCoversThePinnedLayer) {
  absl::StatusOr<Schema> schema = LoadSchemaFiles({"tl/schema/api.tl"});
  ASSERT_TRUE(schema.ok()) << schema.status();
  absl::StatusOr<std::string> text = ReadTextFile("tl/schema/raw_api.lock");
  ASSERT_TRUE(text.ok()) << text.status();
  absl::StatusOr<Lock> lock = ParseLock(*text);
  ASSERT_TRUE(lock.ok()) << lock.status();
  std::vector<std::string> changes;
  UpdateLock(*lock, *schema, &changes);
  EXPECT_THAT(changes, testing::IsEmpty()) << "run tl/rawapi/update_lock.sh";
  auto model = RawModel::Build(&*schema, *lock);
  ASSERT_TRUE(model.ok()) << model.status();
  int rpcs = static_cast<int>((*model)->rpcs().size());
  EXPECT_EQ(rpcs + static_cast<int>((*model)->skipped_functions().size()),
            static_cast<int>(schema->functions.size()));
  EXPECT_NE((*model)->RpcByPath("/tgrpc.raw.v1.MessagesService/GetHistory"), nullptr);
  const Message* peer = (*model)->WrapperOf("InputPeer");
  ASSERT_NE(peer, nullptr);
  EXPECT_NE(peer->ByNumber(kRefField), nullptr);
}

}  // namespace
}  // namespace tgrpc::tl::raw
