// Message entities in fakedc: kept as sent (checked, mentions resolved) by messages.sendMessage,
// sendMedia and editMessage, and returned with every copy of the message: the send's answer, the
// pushes, getHistory, getMessages, search, getDialogs and getDifference. Through a Dispatcher
// over a seeded World.
#include "tests/fakedc/entities.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakedc/dispatcher_test_util.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/rpc.h"
#include "tests/fakedc/seed.h"
#include "tests/fakedc/test_requests.h"
#include "tests/fakedc/world.h"
#include "tl/generated/api.h"
#include "tl/runtime/object.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;
using testing::ErrorOf;

// An entity as "name offset length" (plus the user of a mention), to compare lists.
std::string Describe(const api::MessageEntity& entity) {
  if (const auto* bold = dynamic_cast<const api::messageEntityBold*>(&entity)) {
    return absl::StrCat("bold ", bold->offset, " ", bold->length);
  }
  if (const auto* italic = dynamic_cast<const api::messageEntityItalic*>(&entity)) {
    return absl::StrCat("italic ", italic->offset, " ", italic->length);
  }
  if (const auto* url = dynamic_cast<const api::messageEntityTextUrl*>(&entity)) {
    return absl::StrCat("text_url ", url->offset, " ", url->length, " ", url->url);
  }
  if (const auto* mention = dynamic_cast<const api::messageEntityMentionName*>(&entity)) {
    return absl::StrCat("mention_name ", mention->offset, " ", mention->length, " ",
                        mention->user_id);
  }
  return entity.tl_name();
}

// The entities of a message as Describe lists them; "no message" for anything but a message.
std::vector<std::string> EntitiesOf(const api::Message* message) {
  const auto* m = dynamic_cast<const api::message*>(message);
  if (m == nullptr) return {"no message"};
  std::vector<std::string> out;
  if (m->entities.has_value()) {
    for (const auto& entity : *m->entities) out.push_back(Describe(*entity));
  }
  return out;
}

// The message of the first updateNewMessage / updateEditMessage in `updates`, or nullptr.
const api::Message* MessageIn(const api::Updates& updates) {
  const auto* list = dynamic_cast<const api::updates*>(&updates);
  if (list == nullptr) return nullptr;
  for (const auto& update : list->updates_) {
    if (const auto* added = dynamic_cast<const api::updateNewMessage*>(update.get())) {
      return added->message.get();
    }
    if (const auto* edited = dynamic_cast<const api::updateEditMessage*>(update.get())) {
      return edited->message.get();
    }
  }
  return nullptr;
}

tl::Ptr<api::MessageEntity> Bold(int32_t offset, int32_t length) {
  auto out = std::make_unique<api::messageEntityBold>();
  out->offset = offset;
  out->length = length;
  return out;
}

tl::Ptr<api::MessageEntity> Italic(int32_t offset, int32_t length) {
  auto out = std::make_unique<api::messageEntityItalic>();
  out->offset = offset;
  out->length = length;
  return out;
}

class EntitiesTest : public testing::DispatcherTest {
 protected:
  EntitiesTest() {
    SeedWorld(world_, /*big_channel_members=*/0);
    const char* tmp = std::getenv("TEST_TMPDIR");
    env_.files_dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/entities_test_files");
    std::filesystem::create_directories(env_.files_dir);
    RecordPushes();
    RegisterMessageMethods(dispatcher_, env_);
    RegisterUpdateMethods(dispatcher_, env_);
    RegisterUploadMethods(dispatcher_, env_);
    alice_ = world_.FindUserByPhone(kSeedAlicePhone);
    bob_ = world_.FindUserByPhone(kSeedBobPhone);
    world_.SignIn(1, alice_->id);
    world_.SignIn(2, bob_->id);
    alice_context_ = testing::ContextOf(1, alice_->id);
    bob_context_ = testing::ContextOf(2, bob_->id);
  }

  tl::Ptr<api::InputPeer> PeerOf(const UserRecord& user) const {
    auto peer = std::make_unique<api::inputPeerUser>();
    peer->user_id = user.id;
    peer->access_hash = user.access_hash;
    return peer;
  }

  // What Telethon sends for the markdown "hello **bold**".
  api::messages_sendMessage HelloBold() const {
    api::messages_sendMessage send;
    send.peer = PeerOf(*bob_);
    send.message = "hello bold";
    send.random_id = 1;
    send.entities.emplace();
    send.entities->push_back(Bold(6, 4));
    return send;
  }

  // The newest message of `context`'s chat with `peer`, as getHistory returns it.
  tl::Ptr<api::Message> Newest(const UserRecord& peer, CallContext& context) {
    api::messages_getHistory get;
    get.peer = PeerOf(peer);
    get.limit = 1;
    absl::StatusOr<tl::Ptr<api::messages_Messages>> history = Call(get, context);
    EXPECT_TRUE(history.ok()) << history.status();
    if (!history.ok()) return nullptr;
    auto& messages = static_cast<api::messages_messagesSlice&>(**history).messages;
    return messages.empty() ? nullptr : std::move(messages.front());
  }

  int32_t IdIn(const api::Updates& updates) {
    const auto* m = dynamic_cast<const api::message*>(MessageIn(updates));
    return m != nullptr ? m->id : 0;
  }

  UserRecord* alice_ = nullptr;
  UserRecord* bob_ = nullptr;
  CallContext alice_context_, bob_context_;
};

TEST(Utf16LengthTest, CountsSurrogatePairsTwice) {
  EXPECT_EQ(Utf16Length(""), 0);
  EXPECT_EQ(Utf16Length("hello"), 5);
  EXPECT_EQ(Utf16Length("h\xc3\xa9"), 2);          // é: 2 bytes, 1 unit
  EXPECT_EQ(Utf16Length("\xe2\x82\xac"), 1);       // €: 3 bytes, 1 unit
  EXPECT_EQ(Utf16Length("\xf0\x9f\x98\x80!"), 3);  // 😀 (U+1F600) is a surrogate pair
}

TEST_F(EntitiesTest, SentEntitiesComeBackEverywhere) {
  absl::StatusOr<tl::Ptr<api::Updates>> sent = Call(HelloBold(), alice_context_);
  ASSERT_TRUE(sent.ok()) << sent.status();
  const std::vector<std::string> bold = {"bold 6 4"};
  EXPECT_EQ(EntitiesOf(MessageIn(**sent)), bold);
  const int32_t id = IdIn(**sent);

  // Pushed to bob (his copy) and to alice's other sessions.
  const api::Updates* to_bob = LastPushTo(bob_->id);
  ASSERT_NE(to_bob, nullptr);
  EXPECT_EQ(EntitiesOf(MessageIn(*to_bob)), bold);
  const api::Updates* to_alice = LastPushTo(alice_->id);
  ASSERT_NE(to_alice, nullptr);
  EXPECT_EQ(EntitiesOf(MessageIn(*to_alice)), bold);

  // Both sides' history.
  EXPECT_EQ(EntitiesOf(Newest(*bob_, alice_context_).get()), bold);
  EXPECT_EQ(EntitiesOf(Newest(*alice_, bob_context_).get()), bold);

  // getMessages.
  api::messages_getMessages get;
  auto input = std::make_unique<api::inputMessageID>();
  input->id = id;
  get.id.push_back(std::move(input));
  absl::StatusOr<tl::Ptr<api::messages_Messages>> got = Call(get, alice_context_);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(EntitiesOf(static_cast<const api::messages_messages&>(**got).messages.at(0).get()),
            bold);

  // search.
  api::messages_search search;
  search.peer = PeerOf(*alice_);
  search.q = "bold";
  search.filter = std::make_unique<api::inputMessagesFilterEmpty>();
  search.limit = 10;
  absl::StatusOr<tl::Ptr<api::messages_Messages>> found = Call(search, bob_context_);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(
      EntitiesOf(static_cast<const api::messages_messagesSlice&>(**found).messages.at(0).get()),
      bold);

  // getDialogs' top message.
  api::messages_getDialogs dialogs;
  dialogs.offset_peer = std::make_unique<api::inputPeerEmpty>();
  dialogs.limit = 10;
  absl::StatusOr<tl::Ptr<api::messages_Dialogs>> listed = Call(dialogs, bob_context_);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(
      EntitiesOf(static_cast<const api::messages_dialogsSlice&>(**listed).messages.at(0).get()),
      bold);

  // getDifference from before the message.
  api::updates_getDifference difference;
  difference.pts = world_.BoxOf(bob_->id).pts - 1;
  absl::StatusOr<tl::Ptr<api::updates_Difference>> missed = Call(difference, bob_context_);
  ASSERT_TRUE(missed.ok()) << missed.status();
  EXPECT_EQ(
      EntitiesOf(static_cast<const api::updates_difference&>(**missed).new_messages.at(0).get()),
      bold);
}

TEST_F(EntitiesTest, MentionsByInputUserAreKeptByUserId) {
  api::messages_sendMessage send = HelloBold();
  auto user = std::make_unique<api::inputUser>();
  user->user_id = bob_->id;
  user->access_hash = bob_->access_hash;
  auto mention = std::make_unique<api::inputMessageEntityMentionName>();
  mention->offset = 0;
  mention->length = 5;
  mention->user_id = std::move(user);
  send.entities->push_back(std::move(mention));
  absl::StatusOr<tl::Ptr<api::Updates>> sent = Call(send, alice_context_);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(EntitiesOf(MessageIn(**sent)),
            (std::vector<std::string>{"bold 6 4", absl::StrCat("mention_name 0 5 ", bob_->id)}));

  // An unknown user.
  static_cast<api::inputUser&>(
      *static_cast<api::inputMessageEntityMentionName&>(*send.entities->back()).user_id)
      .access_hash ^= 1;
  EXPECT_EQ(ErrorOf(Call(send, alice_context_)), "400 ENTITY_MENTION_USER_INVALID");
}

TEST_F(EntitiesTest, RangesMustLieInTheTextInUtf16Units) {
  api::messages_sendMessage send = HelloBold();
  send.message = "\xf0\x9f\x98\x80 hi";  // 😀 takes two units: 5 in all
  send.entities->clear();
  send.entities->push_back(Bold(3, 2));
  send.entities->push_back(Italic(0, 0));  // empty: dropped
  absl::StatusOr<tl::Ptr<api::Updates>> sent = Call(send, alice_context_);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(EntitiesOf(MessageIn(**sent)), std::vector<std::string>{"bold 3 2"});
  send.entities->clear();
  send.entities->push_back(Bold(3, 3));
  EXPECT_EQ(ErrorOf(Call(send, alice_context_)), "400 ENTITY_BOUNDS_INVALID");
  send.entities->clear();
  send.entities->push_back(Bold(-1, 2));
  EXPECT_EQ(ErrorOf(Call(send, alice_context_)), "400 ENTITY_BOUNDS_INVALID");
}

TEST_F(EntitiesTest, EditsRestyleOrClearTheEntities) {
  absl::StatusOr<tl::Ptr<api::Updates>> sent = Call(HelloBold(), alice_context_);
  ASSERT_TRUE(sent.ok()) << sent.status();
  api::messages_editMessage edit;
  edit.peer = PeerOf(*bob_);
  edit.id = IdIn(**sent);

  // The same text and entities change nothing.
  edit.message = "hello bold";
  edit.entities.emplace();
  edit.entities->push_back(Bold(6, 4));
  EXPECT_EQ(ErrorOf(Call(edit, alice_context_)), "400 MESSAGE_NOT_MODIFIED");

  // Entities alone restyle the text.
  edit.message.reset();
  edit.entities->clear();
  edit.entities->push_back(Italic(0, 5));
  absl::StatusOr<tl::Ptr<api::Updates>> restyled = Call(edit, alice_context_);
  ASSERT_TRUE(restyled.ok()) << restyled.status();
  EXPECT_EQ(EntitiesOf(MessageIn(**restyled)), std::vector<std::string>{"italic 0 5"});
  EXPECT_EQ(EntitiesOf(Newest(*bob_, alice_context_).get()),
            std::vector<std::string>{"italic 0 5"});
  edit.entities->clear();
  edit.entities->push_back(Bold(6, 5));  // past the text
  EXPECT_EQ(ErrorOf(Call(edit, alice_context_)), "400 ENTITY_BOUNDS_INVALID");

  // New text without entities is plain.
  edit.message = "plain now";
  edit.entities.reset();
  absl::StatusOr<tl::Ptr<api::Updates>> plain = Call(edit, alice_context_);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(EntitiesOf(MessageIn(**plain)), std::vector<std::string>{});
  EXPECT_EQ(EntitiesOf(Newest(*bob_, alice_context_).get()), std::vector<std::string>{});

  // The edit is logged with its entities: getDifference replays it.
  edit.entities.emplace();
  edit.entities->push_back(Bold(0, 5));
  ASSERT_TRUE(Call(edit, alice_context_).ok());
  api::updates_getDifference difference;
  difference.pts = world_.BoxOf(alice_->id).pts - 1;
  absl::StatusOr<tl::Ptr<api::updates_Difference>> missed = Call(difference, alice_context_);
  ASSERT_TRUE(missed.ok()) << missed.status();
  const auto& other = static_cast<const api::updates_difference&>(**missed).other_updates;
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(EntitiesOf(static_cast<const api::updateEditMessage&>(*other[0]).message.get()),
            std::vector<std::string>{"bold 0 5"});
}

TEST_F(EntitiesTest, CaptionsAndForwardsKeepTheirEntities) {
  ASSERT_TRUE(Call(testing::FirstFilePart(55, "contents"), alice_context_).ok());
  api::messages_sendMedia send = testing::SendUploadedDocument(55, "a.txt", 3);
  send.message = "a caption";
  send.entities.emplace();
  send.entities->push_back(Bold(2, 7));
  absl::StatusOr<tl::Ptr<api::Updates>> sent = Call(send, alice_context_);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(EntitiesOf(MessageIn(**sent)), std::vector<std::string>{"bold 2 7"});

  api::messages_forwardMessages forward;
  forward.from_peer = std::make_unique<api::inputPeerSelf>();
  forward.to_peer = PeerOf(*bob_);
  forward.id = {IdIn(**sent)};
  forward.random_id = {4};
  absl::StatusOr<tl::Ptr<api::Updates>> forwarded = Call(forward, alice_context_);
  ASSERT_TRUE(forwarded.ok()) << forwarded.status();
  EXPECT_EQ(EntitiesOf(MessageIn(**forwarded)), std::vector<std::string>{"bold 2 7"});
  EXPECT_EQ(EntitiesOf(Newest(*alice_, bob_context_).get()), std::vector<std::string>{"bold 2 7"});
}

}  // namespace
}  // namespace tgrpc::fakedc
