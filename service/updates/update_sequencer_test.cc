// Pushed updates: the pts, qts and seq rules, short forms, and odd input. Differences and
// channels: update_sequencer_difference_test.cc.
#include "service/updates/update_sequencer.h"

#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "service/updates/update_sequencer_test_util.h"

namespace tgrpc::service::updates {
namespace {

using namespace ::tgrpc::service::updates::testing;  // NOLINT: test builders

// ---- the constructor lists, against the schema ----

// Every `= Update;` constructor of the pinned schema is classified by the rule the lists were
// derived from: pts + pts_count -> pts (a channel's if it names a channel_id or a channel
// message), qts -> qts, updateChannelTooLong -> its signal, everything else unordered.
TEST(UpdateOrderingTest, MatchesTheSchema) {
  std::ifstream file("tl/schema/api.tl");
  ASSERT_TRUE(file.good());
  std::map<UpdateOrdering, int> counts;
  std::string line;
  int updates = 0;
  while (std::getline(file, line)) {
    if (line.find("= Update;") == std::string::npos || line.rfind("//", 0) == 0) continue;
    const std::string name = line.substr(0, line.find('#'));
    const std::string id_hex = line.substr(line.find('#') + 1, line.find(' ') - line.find('#') - 1);
    uint32_t id = 0;
    ASSERT_TRUE(absl::SimpleHexAtoi(id_hex, &id)) << line;
    ++updates;
    UpdateOrdering want = UpdateOrdering::kNone;
    if (line.find(" pts:int pts_count:int") != std::string::npos) {
      const bool channel = line.find(" channel_id:long") != std::string::npos ||
                           name.find("Channel") != std::string::npos;
      want = channel ? UpdateOrdering::kChannelPts : UpdateOrdering::kCommonPts;
    } else if (line.find(" qts:int") != std::string::npos) {
      want = UpdateOrdering::kQts;
    } else if (name == "updateChannelTooLong") {
      want = UpdateOrdering::kChannelTooLong;
    }
    EXPECT_EQ(OrderingOf(id), want) << name;
    ++counts[want];
  }
  EXPECT_GT(updates, 150);
  EXPECT_EQ(counts[UpdateOrdering::kCommonPts], 9);
  EXPECT_EQ(counts[UpdateOrdering::kChannelPts], 6);
  EXPECT_EQ(counts[UpdateOrdering::kQts], 17);
  EXPECT_EQ(counts[UpdateOrdering::kChannelTooLong], 1);
  EXPECT_EQ(OrderingOf(api::updateReadChannelInbox::kId), UpdateOrdering::kNone);
  EXPECT_EQ(OrderingOf(0xdeadbeef), UpdateOrdering::kNone);
}

// ---- pts ----

TEST(UpdateSequencerTest, AppliesContiguousPtsAndAdvances) {
  UpdateSequencer s(StartState(), kSelf);
  EXPECT_EQ(Labels(s.OnUpdates(*Short(NewMessage(11)), At(0))), Strings{"m11"});
  EXPECT_EQ(Labels(s.OnUpdates(*Short(DeleteMessages(14, 3)), At(1))), Strings{"del14"});
  EXPECT_EQ(s.state().pts, 14);
  EXPECT_EQ(s.NextDeadline(), absl::InfiniteFuture());
  EXPECT_FALSE(s.difference_in_progress());
}

TEST(UpdateSequencerTest, DropsDuplicates) {
  UpdateSequencer s(StartState(), kSelf);
  EXPECT_EQ(Labels(s.OnUpdates(*Short(NewMessage(11)), At(0))), Strings{"m11"});
  SequencerOutput again = s.OnUpdates(*Short(NewMessage(11)), At(1));
  EXPECT_TRUE(again.accepted.empty());
  EXPECT_TRUE(s.OnUpdates(*Short(NewMessage(8)), At(2)).accepted.empty());
  // Overlapping the applied range: local + count > pts.
  EXPECT_TRUE(s.OnUpdates(*Short(DeleteMessages(11, 2)), At(3)).accepted.empty());
  EXPECT_EQ(s.state().pts, 11);
  EXPECT_FALSE(again.need_difference);
  EXPECT_EQ(s.held_count(), 0u);
}

TEST(UpdateSequencerTest, GapFilledWithinHoldAppliesInOrder) {
  UpdateSequencer s(StartState(), kSelf);
  SequencerOutput held = s.OnUpdates(*Short(NewMessage(13)), At(0));
  EXPECT_TRUE(held.accepted.empty());
  EXPECT_FALSE(held.need_difference);
  EXPECT_TRUE(s.OnUpdates(*Short(NewMessage(12)), At(50)).accepted.empty());
  EXPECT_EQ(s.NextDeadline(), At(500));
  EXPECT_EQ(s.held_count(), 2u);
  SequencerOutput filled = s.OnUpdates(*Short(NewMessage(11)), At(100));
  EXPECT_EQ(Labels(filled), (Strings{"m11", "m12", "m13"}));
  EXPECT_EQ(s.state().pts, 13);
  EXPECT_EQ(s.NextDeadline(), absl::InfiniteFuture());
  EXPECT_FALSE(s.OnTick(At(1000)).need_difference);
}

TEST(UpdateSequencerTest, HoldExpiryAsksDifferenceOnce) {
  UpdateSequencer s(StartState(), kSelf);
  s.OnUpdates(*Short(NewMessage(12)), At(0));
  EXPECT_FALSE(s.OnTick(At(499)).need_difference);
  SequencerOutput expired = s.OnTick(At(500));
  EXPECT_TRUE(expired.need_difference);
  EXPECT_TRUE(expired.accepted.empty());
  EXPECT_TRUE(s.difference_in_progress());
  EXPECT_EQ(s.NextDeadline(), absl::InfiniteFuture());  // waits for the answer, not a time
  EXPECT_FALSE(s.OnTick(At(2000)).need_difference);
  EXPECT_FALSE(s.OnUpdates(*Short(NewMessage(14)), At(2100)).need_difference);
  EXPECT_EQ(s.state().pts, 10);
}

TEST(UpdateSequencerTest, AnyCallNoticesAnExpiredHold) {
  UpdateSequencer s(StartState(), kSelf);
  s.OnUpdates(*Short(NewMessage(12)), At(0));
  SequencerOutput out = s.OnUpdates(*Short(Plain(42)), At(700));
  EXPECT_EQ(Labels(out), Strings{"u42"});
  EXPECT_TRUE(out.need_difference);
}

TEST(UpdateSequencerTest, OutOfOrderInsideOneContainer) {
  UpdateSequencer s(StartState(), kSelf);
  SequencerOutput out =
      s.OnUpdates(*Container(0, List(NewMessage(12), Plain(1), NewMessage(11))), At(0));
  EXPECT_EQ(Labels(out), (Strings{"u1", "m11", "m12"}));
  EXPECT_EQ(s.state().pts, 12);
  EXPECT_EQ(s.state().seq, 3);  // seq 0: no seq ordering
}

TEST(UpdateSequencerTest, EachHoleHasItsOwnHold) {
  UpdateSequencer s(StartState(), kSelf);
  s.OnUpdates(*Short(NewMessage(12)), At(0));
  s.OnUpdates(*Short(NewMessage(11)), At(100));  // fills the first hole
  s.OnUpdates(*Short(NewMessage(14)), At(400));  // a new one
  EXPECT_EQ(s.NextDeadline(), At(900));
  EXPECT_FALSE(s.OnTick(At(600)).need_difference);
  EXPECT_TRUE(s.OnTick(At(900)).need_difference);
}

TEST(UpdateSequencerTest, OddPtsNeverMoveBackwardsOrCrash) {
  UpdateSequencer s(StartState(), kSelf);
  // A negative pts_count counts as 0: at the current pts it applies without moving it.
  EXPECT_EQ(Labels(s.OnUpdates(*Short(NewMessage(10, -5)), At(0))), Strings{"m10"});
  EXPECT_TRUE(s.OnUpdates(*Short(NewMessage(9, -1)), At(1)).accepted.empty());
  EXPECT_EQ(s.state().pts, 10);
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  EXPECT_TRUE(s.OnUpdates(*Short(NewMessage(kMin, kMax)), At(2)).accepted.empty());
  EXPECT_TRUE(s.OnUpdates(*Short(NewMessage(kMax, kMin)), At(3)).accepted.empty());  // a gap
  EXPECT_EQ(Labels(s.OnUpdates(*Short(NewMessage(11)), At(4))), Strings{"m11"});
  EXPECT_EQ(s.state().pts, 11);

  UpdateSequencer top(StartState(kMax), kSelf);
  EXPECT_TRUE(top.OnUpdates(*Short(NewMessage(kMin, 1)), At(0)).accepted.empty());
  EXPECT_TRUE(top.OnUpdates(*Container(kMax, List(Plain(1))), At(0)).accepted.empty());
  EXPECT_EQ(top.state().pts, kMax);
}

TEST(UpdateSequencerTest, UndecodablePiecesAreSkippedNotFatal) {
  UpdateSequencer s(StartState(), kSelf);
  auto no_message = std::make_unique<api::updateNewMessage>();  // a required field left null
  no_message->pts = 11;
  no_message->pts_count = 1;
  EXPECT_TRUE(s.OnUpdates(*Short(std::move(no_message)), At(0)).accepted.empty());
  EXPECT_TRUE(s.OnUpdates(*Short(nullptr), At(0)).accepted.empty());
  std::vector<Ptr<api::Update>> with_null;
  with_null.push_back(nullptr);
  with_null.push_back(NewMessage(11));
  EXPECT_EQ(Labels(s.OnUpdates(*Container(0, std::move(with_null)), At(0))), Strings{"m11"});
}

TEST(UpdateSequencerTest, UnorderedUpdatesApplyAsTheyCome) {
  UpdateSequencer s(StartState(), kSelf);
  auto read = std::make_unique<api::updateReadChannelInbox>();  // pts, but no pts_count
  read->channel_id = 5;
  read->pts = 77;
  SequencerOutput out = s.OnUpdates(*Container(0, List(Plain(1), std::move(read))), At(0));
  EXPECT_EQ(Labels(out), (Strings{"u1", "updateReadChannelInbox"}));
  EXPECT_EQ(out.accepted[1].channel_id, 0);
  EXPECT_TRUE(s.state().channel_pts.empty());
  auto config = std::make_unique<api::updateConfig>();
  EXPECT_EQ(Labels(s.OnUpdates(*Short(std::move(config)), At(1))), Strings{"updateConfig"});
}

TEST(UpdateSequencerTest, BoundedHoldAsksDifferenceInstead) {
  UpdateSequencer s(StartState(), kSelf, absl::Milliseconds(500), /*max_held=*/3);
  for (int pts : {12, 13, 14}) s.OnUpdates(*Short(NewMessage(pts)), At(0));
  EXPECT_EQ(s.held_count(), 3u);
  SequencerOutput out = s.OnUpdates(*Short(NewMessage(15)), At(1));
  EXPECT_TRUE(out.need_difference);
  EXPECT_EQ(s.held_count(), 0u);
}

// ---- qts ----

TEST(UpdateSequencerTest, QtsMovesByOne) {
  UpdateSequencer s(StartState(), kSelf);
  EXPECT_EQ(Labels(s.OnUpdates(*Short(Qts(6)), At(0))), Strings{"q6"});
  EXPECT_TRUE(s.OnUpdates(*Short(Qts(6)), At(1)).accepted.empty());
  EXPECT_TRUE(s.OnUpdates(*Short(Qts(8)), At(2)).accepted.empty());
  EXPECT_EQ(Labels(s.OnUpdates(*Short(Qts(7)), At(3))), (Strings{"q7", "q8"}));
  EXPECT_EQ(s.state().qts, 8);
  EXPECT_EQ(s.state().pts, 10);
  s.OnUpdates(*Short(Qts(10)), At(4));
  EXPECT_TRUE(s.OnTick(At(504)).need_difference);
}

TEST(UpdateSequencerTest, QtsZeroIsUnordered) {
  UpdateSequencer s(StartState(), kSelf);
  EXPECT_EQ(Labels(s.OnUpdates(*Short(Qts(0)), At(0))), Strings{"q0"});
  EXPECT_EQ(s.state().qts, 5);
}

// ---- seq ----

TEST(UpdateSequencerTest, SeqInOrderAppliesAndSetsSeqAndDate) {
  UpdateSequencer s(StartState(), kSelf);
  SequencerOutput out =
      s.OnUpdates(*Container(4, List(Plain(1), NewMessage(11)), 1700000100), At(0));
  EXPECT_EQ(Labels(out), (Strings{"u1", "m11"}));
  EXPECT_EQ(out.accepted[0].date, 1700000100);
  EXPECT_EQ(s.state().seq, 4);
  EXPECT_EQ(s.state().date, 1700000100);
  EXPECT_EQ(s.state().pts, 11);
}

TEST(UpdateSequencerTest, SeqAlreadyAppliedKeepsOnlyNewPtsUpdates) {
  UpdateSequencer s(StartState(), kSelf);
  SequencerOutput out = s.OnUpdates(*Container(3, List(Plain(1), NewMessage(11))), At(0));
  EXPECT_EQ(Labels(out), Strings{"m11"});
  EXPECT_TRUE(s.OnUpdates(*Container(2, List(Plain(2), NewMessage(11))), At(1)).accepted.empty());
  EXPECT_EQ(s.state().seq, 3);
}

TEST(UpdateSequencerTest, SeqHoleFilledAppliesBothInOrder) {
  UpdateSequencer s(StartState(), kSelf);
  EXPECT_TRUE(s.OnUpdates(*Container(5, List(Plain(5))), At(0)).accepted.empty());
  EXPECT_EQ(s.state().seq, 3);
  EXPECT_EQ(Labels(s.OnUpdates(*Container(4, List(Plain(4))), At(100))), (Strings{"u4", "u5"}));
  EXPECT_EQ(s.state().seq, 5);
  EXPECT_FALSE(s.OnTick(At(600)).need_difference);
}

TEST(UpdateSequencerTest, SeqHoleExpiresToDifference) {
  UpdateSequencer s(StartState(), kSelf);
  s.OnUpdates(*Container(6, List(Plain(6))), At(0));
  EXPECT_EQ(s.NextDeadline(), At(500));
  EXPECT_TRUE(s.OnTick(At(500)).need_difference);
}

TEST(UpdateSequencerTest, CombinedUsesSeqStart) {
  UpdateSequencer s(StartState(), kSelf);
  EXPECT_EQ(Labels(s.OnUpdates(*Combined(4, 6, List(Plain(1), Plain(2))), At(0))),
            (Strings{"u1", "u2"}));
  EXPECT_EQ(s.state().seq, 6);
  // Ahead of seq 6 + 1: held.
  EXPECT_TRUE(s.OnUpdates(*Combined(8, 9, List(Plain(3))), At(1)).accepted.empty());
  EXPECT_EQ(Labels(s.OnUpdates(*Combined(7, 7, List(Plain(4))), At(2))), (Strings{"u4", "u3"}));
  EXPECT_EQ(s.state().seq, 9);
}

TEST(UpdateSequencerTest, PeersComeWithTheFirstAcceptedUpdateOnly) {
  UpdateSequencer s(StartState(), kSelf);
  auto c = Container(5, List(Plain(5)));
  static_cast<api::updates&>(*c).users.push_back(EmptyUser(77));
  SequencerOutput held = s.OnUpdates(*c, At(0));
  EXPECT_TRUE(held.users.empty());
  SequencerOutput out = s.OnUpdates(*Container(4, List(Plain(4))), At(1));
  ASSERT_EQ(out.users.size(), 1u);
  Ptr<api::User> user = *tl::Decode<api::User>(out.users[0]);
  EXPECT_EQ(static_cast<const api::userEmpty&>(*user).id, 77);
  // The same container again is seen as applied: its peers are not given twice.
  EXPECT_TRUE(s.OnUpdates(*c, At(2)).users.empty());
}

// ---- short forms ----

const api::message& ExpandedMessage(const SequencerOutput& out, Ptr<api::Update>& holder) {
  holder = DecodeUpdate(out.accepted.at(0).update);
  const auto& u = dynamic_cast<const api::updateNewMessage&>(*holder);
  return dynamic_cast<const api::message&>(*u.message);
}

int64_t UserOf(const Ptr<api::Peer>& p) { return dynamic_cast<const api::peerUser&>(*p).user_id; }

TEST(UpdateSequencerTest, ShortMessageIncomingExpands) {
  UpdateSequencer s(StartState(), kSelf);
  api::updateShortMessage m;
  m.user_id = 42;
  m.id = 77;
  m.message = "hi";
  m.pts = 11;
  m.pts_count = 1;
  m.date = 1700000500;
  m.silent = true;
  SequencerOutput out = s.OnUpdates(m, At(0));
  ASSERT_EQ(out.accepted.size(), 1u);
  Ptr<api::Update> holder;
  const api::message& msg = ExpandedMessage(out, holder);
  EXPECT_EQ(static_cast<const api::updateNewMessage&>(*holder).pts, 11);
  EXPECT_EQ(static_cast<const api::updateNewMessage&>(*holder).pts_count, 1);
  EXPECT_FALSE(msg.out);
  EXPECT_TRUE(msg.silent);
  EXPECT_EQ(msg.id, 77);
  EXPECT_EQ(UserOf(msg.peer_id), 42);
  EXPECT_EQ(UserOf(msg.from_id), 42);
  EXPECT_EQ(msg.message_, "hi");
  EXPECT_EQ(msg.date, 1700000500);
  EXPECT_EQ(out.accepted[0].date, 1700000500);
  EXPECT_EQ(s.state().pts, 11);
}

TEST(UpdateSequencerTest, ShortMessageOutgoingIsFromSelf) {
  UpdateSequencer s(StartState(), kSelf);
  api::updateShortMessage m;
  m.out = true;
  m.user_id = 42;
  m.id = 78;
  m.pts = 11;
  m.pts_count = 1;
  m.entities.emplace();
  auto bold = std::make_unique<api::messageEntityBold>();
  bold->length = 2;
  m.entities->push_back(std::move(bold));
  auto reply = std::make_unique<api::messageReplyHeader>();
  reply->reply_to_msg_id = 70;
  m.reply_to = std::move(reply);
  Ptr<api::Update> holder;
  const api::message& msg = ExpandedMessage(s.OnUpdates(m, At(0)), holder);
  EXPECT_TRUE(msg.out);
  EXPECT_EQ(UserOf(msg.peer_id), 42);
  EXPECT_EQ(UserOf(msg.from_id), kSelf);
  ASSERT_TRUE(msg.entities.has_value());
  ASSERT_EQ(msg.entities->size(), 1u);
  EXPECT_EQ(dynamic_cast<const api::messageEntityBold&>(*msg.entities->at(0)).length, 2);
  EXPECT_EQ(dynamic_cast<const api::messageReplyHeader&>(*msg.reply_to).reply_to_msg_id, 70);
  // The original is untouched (copied, not moved from).
  EXPECT_NE(m.reply_to, nullptr);
}

TEST(UpdateSequencerTest, ShortChatMessageExpandsToTheChat) {
  UpdateSequencer s(StartState(), kSelf);
  api::updateShortChatMessage m;
  m.from_id = 42;
  m.chat_id = 55;
  m.id = 79;
  m.message = "hello";
  m.pts = 11;
  m.pts_count = 1;
  Ptr<api::Update> holder;
  const api::message& msg = ExpandedMessage(s.OnUpdates(m, At(0)), holder);
  EXPECT_EQ(dynamic_cast<const api::peerChat&>(*msg.peer_id).chat_id, 55);
  EXPECT_EQ(UserOf(msg.from_id), 42);
  EXPECT_FALSE(msg.out);
  EXPECT_EQ(msg.message_, "hello");

  api::updateShortChatMessage mine;
  mine.out = true;
  mine.chat_id = 55;
  mine.id = 80;
  mine.pts = 12;
  mine.pts_count = 1;
  const api::message& own = ExpandedMessage(s.OnUpdates(mine, At(1)), holder);
  EXPECT_EQ(UserOf(own.from_id), kSelf);
  EXPECT_TRUE(own.out);
}

TEST(UpdateSequencerTest, ShortMessageIsCheckedByPts) {
  UpdateSequencer s(StartState(), kSelf);
  api::updateShortMessage m;
  m.user_id = 42;
  m.id = 81;
  m.pts = 12;
  m.pts_count = 1;
  EXPECT_TRUE(s.OnUpdates(m, At(0)).accepted.empty());
  EXPECT_EQ(s.held_count(), 1u);
  EXPECT_EQ(Labels(s.OnUpdates(*Short(NewMessage(11)), At(10))), (Strings{"m11", "m81"}));
}

// updateShortSentMessage lacks the peer and text of the message it confirms: applying its pts
// would leave a message out of the log forever, so pts stays and a difference fetches it.
TEST(UpdateSequencerTest, ShortSentMessageAsksDifferenceWithoutAdvancing) {
  UpdateSequencer s(StartState(), kSelf);
  api::updateShortSentMessage sent;
  sent.out = true;
  sent.id = 90;
  sent.pts = 11;
  sent.pts_count = 1;
  SequencerOutput out = s.OnUpdates(sent, At(0));
  EXPECT_TRUE(out.accepted.empty());
  EXPECT_TRUE(out.need_difference);
  EXPECT_EQ(s.state().pts, 10);

  UpdateSequencer done(StartState(11), kSelf);  // its pts already applied: nothing to fetch
  SequencerOutput none = done.OnUpdates(sent, At(0));
  EXPECT_FALSE(none.need_difference);
  EXPECT_EQ(done.state().pts, 11);
}

TEST(UpdateSequencerTest, UpdatesTooLongAsksDifferenceAtOnce) {
  UpdateSequencer s(StartState(), kSelf);
  SequencerOutput out = s.OnUpdates(api::updatesTooLong(), At(0));
  EXPECT_TRUE(out.need_difference);
  EXPECT_TRUE(s.difference_in_progress());
  EXPECT_FALSE(s.OnUpdates(api::updatesTooLong(), At(1)).need_difference);
}

}  // namespace
}  // namespace tgrpc::service::updates
