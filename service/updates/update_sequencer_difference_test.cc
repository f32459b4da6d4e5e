// Difference answers, channel boxes, and pushes interleaved with differences.
#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "service/updates/update_sequencer.h"
#include "service/updates/update_sequencer_test_util.h"

namespace tgrpc::service::updates {
namespace {

using namespace ::tgrpc::service::updates::testing;  // NOLINT: test builders

template <class D>
Ptr<D> Diff(std::vector<int32_t> message_ids, std::vector<Ptr<api::Update>> other = {}) {
  auto d = std::make_unique<D>();
  for (int32_t id : message_ids) d->new_messages.push_back(Msg(id, UserPeer(7)));
  d->other_updates = std::move(other);
  return d;
}

Ptr<api::updates_difference> Difference(std::vector<int32_t> message_ids, int32_t pts,
                                        std::vector<Ptr<api::Update>> other = {}) {
  auto d = Diff<api::updates_difference>(std::move(message_ids), std::move(other));
  d->state = State(pts, 5, 3, 1700000900);
  return d;
}

Ptr<api::updates_differenceSlice> Slice(std::vector<int32_t> message_ids, int32_t pts) {
  auto d = Diff<api::updates_differenceSlice>(std::move(message_ids));
  d->intermediate_state = State(pts, 5, 3, 1700000800);
  return d;
}

Ptr<api::updates_channelDifference> ChannelDiff(int64_t channel, std::vector<int32_t> ids,
                                                int32_t pts, bool final = true,
                                                std::vector<Ptr<api::Update>> other = {}) {
  auto d = std::make_unique<api::updates_channelDifference>();
  for (int32_t id : ids) d->new_messages.push_back(Msg(id, ChannelPeer(channel)));
  d->other_updates = std::move(other);
  d->pts = pts;
  d->final = final;
  return d;
}

// A sequencer with a gap that has expired into a getDifference in flight.
void StartDifference(UpdateSequencer& s, int32_t gap_pts) {
  s.OnUpdates(*Short(NewMessage(gap_pts)), At(0));
  ASSERT_TRUE(s.OnTick(At(500)).need_difference);
}

// ---- common differences ----

TEST(UpdateSequencerDifferenceTest, EmptySetsDateAndSeqAndEnds) {
  UpdateSequencer s(StartState(), kSelf);
  ASSERT_TRUE(s.RequestDifference(At(0)).need_difference);
  api::updates_differenceEmpty empty;
  empty.date = 1700001000;
  empty.seq = 9;
  SequencerOutput out = s.OnDifference(empty, At(10));
  EXPECT_FALSE(out.need_difference);
  EXPECT_FALSE(s.difference_in_progress());
  EXPECT_EQ(s.state().seq, 9);
  EXPECT_EQ(s.state().date, 1700001000);
  EXPECT_EQ(s.state().pts, 10);
}

TEST(UpdateSequencerDifferenceTest, DifferenceCoversTheHeldGapExactlyOnce) {
  UpdateSequencer s(StartState(), kSelf);
  StartDifference(s, 13);
  auto d = Difference({11, 12, 13}, 13, List(DeleteMessages(14, 1)));
  d->users.push_back(EmptyUser(7));
  d->state = State(14, 6, 8, 1700000900);
  SequencerOutput out = s.OnDifference(*d, At(600));
  EXPECT_EQ(Labels(out), (Strings{"m11", "m12", "m13", "del14"}));
  EXPECT_EQ(out.users.size(), 1u);
  EXPECT_EQ(out.accepted[0].date, 1700000000);  // the message's date
  EXPECT_FALSE(out.need_difference);
  EXPECT_FALSE(s.difference_in_progress());
  EXPECT_EQ(s.held_count(), 0u);  // the held m13 was covered
  EXPECT_EQ(s.state().pts, 14);
  EXPECT_EQ(s.state().qts, 6);
  EXPECT_EQ(s.state().seq, 8);
  EXPECT_EQ(s.state().date, 1700000900);
  // Decoded as the updateNewMessage Telegram would have pushed, pts unknown.
  Ptr<api::Update> u = DecodeUpdate(out.accepted[0].update);
  EXPECT_EQ(dynamic_cast<const api::updateNewMessage&>(*u).pts, 0);
}

TEST(UpdateSequencerDifferenceTest, OtherUpdatesAreDeduplicatedByPtsAndQts) {
  UpdateSequencer s(StartState(), kSelf);
  ASSERT_TRUE(s.RequestDifference(At(0)).need_difference);
  auto d = Difference({}, 12,
                      List(DeleteMessages(9, 1), DeleteMessages(12, 2), Qts(5), Qts(6), Plain(3)));
  EXPECT_EQ(Labels(s.OnDifference(*d, At(1))), (Strings{"del12", "q6", "u3"}));
}

TEST(UpdateSequencerDifferenceTest, SliceChainAsksForTheRest) {
  UpdateSequencer s(StartState(), kSelf);
  StartDifference(s, 20);
  SequencerOutput first = s.OnDifference(*Slice({11, 12}, 12), At(600));
  EXPECT_EQ(Labels(first), (Strings{"m11", "m12"}));
  EXPECT_TRUE(first.need_difference);
  EXPECT_TRUE(s.difference_in_progress());
  EXPECT_EQ(s.state().pts, 12);
  EXPECT_EQ(s.held_count(), 1u);  // m20 waits for the end of the chain
  SequencerOutput second = s.OnDifference(*Slice({13, 14, 15}, 15), At(700));
  EXPECT_EQ(Labels(second), (Strings{"m13", "m14", "m15"}));
  EXPECT_TRUE(second.need_difference);
  SequencerOutput last = s.OnDifference(*Difference({16, 17, 18, 19, 20}, 20), At(800));
  EXPECT_EQ(Labels(last), (Strings{"m16", "m17", "m18", "m19", "m20"}));
  EXPECT_FALSE(last.need_difference);
  EXPECT_FALSE(s.difference_in_progress());
  EXPECT_EQ(s.state().pts, 20);
  EXPECT_EQ(s.held_count(), 0u);
}

TEST(UpdateSequencerDifferenceTest, TooLongJumpsReportsAndAsksAgain) {
  UpdateSequencer s(StartState(), kSelf);
  StartDifference(s, 400);
  api::updates_differenceTooLong too_long;
  too_long.pts = 500;
  SequencerOutput out = s.OnDifference(too_long, At(600));
  EXPECT_TRUE(out.accepted.empty());
  ASSERT_EQ(out.jumps.size(), 1u);
  EXPECT_EQ(out.jumps[0], (PtsJump{.channel_id = 0, .from = 10, .to = 500}));
  EXPECT_EQ(s.state().pts, 500);
  EXPECT_TRUE(out.need_difference);
  EXPECT_TRUE(s.difference_in_progress());
  SequencerOutput next = s.OnDifference(*Difference({501}, 501), At(700));
  EXPECT_EQ(Labels(next), Strings{"m501"});  // the held m400 was in the lost range
  EXPECT_EQ(s.held_count(), 0u);
}

TEST(UpdateSequencerDifferenceTest, PushesDuringDifferenceWaitAndAreRechecked) {
  UpdateSequencer s(StartState(), kSelf);
  StartDifference(s, 12);
  // m11 is also in the difference; m15 comes after it; u1 is unordered.
  EXPECT_TRUE(s.OnUpdates(*Short(NewMessage(11)), At(510)).accepted.empty());
  EXPECT_TRUE(s.OnUpdates(*Short(Plain(1)), At(520)).accepted.empty());
  EXPECT_TRUE(s.OnUpdates(*Short(NewMessage(15)), At(530)).accepted.empty());
  EXPECT_TRUE(s.OnUpdates(*Container(4, List(Plain(2))), At(540)).accepted.empty());
  EXPECT_EQ(s.state().pts, 10);
  SequencerOutput out = s.OnDifference(*Difference({11, 12, 13, 14}, 14), At(600));
  EXPECT_EQ(Labels(out), (Strings{"m11", "m12", "m13", "m14", "u1", "m15", "u2"}));
  EXPECT_EQ(s.state().pts, 15);
  EXPECT_EQ(s.state().seq, 4);
  EXPECT_FALSE(out.need_difference);
  EXPECT_EQ(s.held_count(), 0u);
}

TEST(UpdateSequencerDifferenceTest, AGapLeftAfterTheDifferenceGetsAFreshHold) {
  UpdateSequencer s(StartState(), kSelf);
  StartDifference(s, 12);
  s.OnUpdates(*Short(NewMessage(20)), At(510));
  SequencerOutput out = s.OnDifference(*Difference({11, 12}, 12), At(2000));
  EXPECT_EQ(Labels(out), (Strings{"m11", "m12"}));
  EXPECT_FALSE(out.need_difference);
  EXPECT_EQ(s.NextDeadline(), At(2500));
  EXPECT_TRUE(s.OnTick(At(2500)).need_difference);
}

TEST(UpdateSequencerDifferenceTest, HeldSeqContainerCoveredByTheDifferenceIsDropped) {
  UpdateSequencer s(StartState(), kSelf);
  s.OnUpdates(*Container(5, List(Plain(5), NewMessage(12))), At(0));
  ASSERT_TRUE(s.OnTick(At(500)).need_difference);
  auto d = Difference({11, 12}, 12, List(Plain(5)));
  d->state = State(12, 5, 5, 1700000900);
  EXPECT_EQ(Labels(s.OnDifference(*d, At(600))), (Strings{"m11", "m12", "u5"}));
  EXPECT_EQ(s.held_count(), 0u);
}

TEST(UpdateSequencerDifferenceTest, RequestsInFlightAreNotDuplicatedButRepeatedAfter) {
  UpdateSequencer s(StartState(), kSelf);
  EXPECT_TRUE(s.RequestDifference(At(0)).need_difference);
  EXPECT_FALSE(s.RequestDifference(At(1)).need_difference);  // e.g. a reconnect meanwhile
  api::updates_differenceEmpty empty;
  SequencerOutput out = s.OnDifference(empty, At(2));
  EXPECT_TRUE(out.need_difference);  // the second reason gets its own call
  EXPECT_TRUE(s.difference_in_progress());
  EXPECT_FALSE(s.OnDifference(empty, At(3)).need_difference);
  EXPECT_FALSE(s.difference_in_progress());
}

TEST(UpdateSequencerDifferenceTest, FailedDifferenceIsRetriedLater) {
  UpdateSequencer s(StartState(), kSelf);
  StartDifference(s, 12);
  s.OnUpdates(*Short(NewMessage(11)), At(510));  // fits, but waited for the answer
  SequencerOutput failed = s.OnDifferenceFailed(At(600), absl::Seconds(5));
  EXPECT_EQ(Labels(failed), (Strings{"m11", "m12"}));  // the kept updates re-checked
  EXPECT_FALSE(failed.need_difference);
  EXPECT_FALSE(s.difference_in_progress());

  s.OnUpdates(*Short(NewMessage(14)), At(700));  // a new gap waits for the retry time
  EXPECT_EQ(s.NextDeadline(), At(5600));
  EXPECT_FALSE(s.OnTick(At(1300)).need_difference);
  EXPECT_TRUE(s.OnTick(At(5600)).need_difference);
}

// ---- channels ----

TEST(UpdateSequencerChannelTest, FirstSightSetsThePts) {
  UpdateSequencer s(StartState(), kSelf);
  SequencerOutput out = s.OnUpdates(*Short(ChannelMessage(5, 100)), At(0));
  EXPECT_EQ(Labels(out), Strings{"c5/m100"});
  EXPECT_EQ(out.accepted[0].channel_id, 5);
  EXPECT_EQ(s.state().channel_pts.at(5), 100);
  EXPECT_EQ(s.state().pts, 10);
  EXPECT_EQ(Labels(s.OnUpdates(*Short(ChannelDelete(5, 103, 3)), At(1))), Strings{"c5/del103"});
  EXPECT_TRUE(s.OnUpdates(*Short(ChannelMessage(5, 101)), At(2)).accepted.empty());  // old
  EXPECT_EQ(s.state().channel_pts.at(5), 103);
}

TEST(UpdateSequencerChannelTest, GapFillsOrAsksForTheChannelOnly) {
  UpdateSequencer s(StartState(), kSelf);
  s.OnUpdates(*Short(ChannelMessage(5, 100)), At(0));
  s.OnUpdates(*Short(ChannelMessage(6, 50)), At(0));
  EXPECT_TRUE(s.OnUpdates(*Short(ChannelMessage(5, 102)), At(10)).accepted.empty());
  // Other boxes go on meanwhile.
  EXPECT_EQ(Labels(s.OnUpdates(*Short(ChannelMessage(6, 51)), At(20))), Strings{"c6/m51"});
  EXPECT_EQ(Labels(s.OnUpdates(*Short(NewMessage(11)), At(30))), Strings{"m11"});
  EXPECT_EQ(Labels(s.OnUpdates(*Short(ChannelMessage(5, 101)), At(40))),
            (Strings{"c5/m101", "c5/m102"}));

  s.OnUpdates(*Short(ChannelMessage(5, 105)), At(100));
  EXPECT_EQ(s.NextDeadline(), At(600));
  SequencerOutput out = s.OnTick(At(600));
  EXPECT_FALSE(out.need_difference);
  EXPECT_EQ(out.need_channel_difference, Ids{5});
  EXPECT_TRUE(s.channel_difference_in_progress(5));
  EXPECT_FALSE(s.channel_difference_in_progress(6));
  EXPECT_TRUE(s.OnTick(At(5000)).need_channel_difference.empty());
}

TEST(UpdateSequencerChannelTest, TooLongAsksUnlessAlreadyThere) {
  UpdateSequencer s(StartState(), kSelf);
  s.OnUpdates(*Short(ChannelMessage(5, 100)), At(0));
  SequencerOutput reached = s.OnUpdates(*Short(ChannelTooLong(5, 100)), At(1));
  EXPECT_TRUE(reached.need_channel_difference.empty());
  EXPECT_TRUE(reached.accepted.empty());
  EXPECT_EQ(s.OnUpdates(*Short(ChannelTooLong(5, 120)), At(2)).need_channel_difference, Ids{5});
  EXPECT_EQ(s.OnUpdates(*Short(ChannelTooLong(8)), At(3)).need_channel_difference, Ids{8});
  EXPECT_TRUE(s.OnUpdates(*Short(ChannelTooLong(8)), At(4)).need_channel_difference.empty());
}

TEST(UpdateSequencerChannelTest, DifferenceCoversHeldAndPushesWaitForIt) {
  UpdateSequencer s(StartState(), kSelf);
  s.OnUpdates(*Short(ChannelMessage(5, 100)), At(0));
  s.OnUpdates(*Short(ChannelMessage(5, 103)), At(10));
  ASSERT_EQ(s.OnTick(At(510)).need_channel_difference, Ids{5});
  // While it runs: one it covers, one after it.
  EXPECT_TRUE(s.OnUpdates(*Short(ChannelMessage(5, 101)), At(520)).accepted.empty());
  EXPECT_TRUE(s.OnUpdates(*Short(ChannelMessage(5, 104)), At(530)).accepted.empty());
  auto d = ChannelDiff(5, {101, 102, 103}, 103, true, List(ChannelDelete(5, 100, 1), Plain(3)));
  SequencerOutput out = s.OnChannelDifference(5, *d, At(600));
  EXPECT_EQ(Labels(out), (Strings{"c5/m101", "c5/m102", "c5/m103", "u3", "c5/m104"}));
  EXPECT_EQ(out.accepted[0].channel_id, 5);
  EXPECT_FALSE(s.channel_difference_in_progress(5));
  EXPECT_EQ(s.state().channel_pts.at(5), 104);
  EXPECT_EQ(s.held_count(), 0u);
}

TEST(UpdateSequencerChannelTest, NotFinalAsksAgain) {
  UpdateSequencer s(StartState(), kSelf);
  s.OnUpdates(*Short(ChannelMessage(5, 100)), At(0));
  ASSERT_EQ(s.RequestChannelDifference(5, At(1)).need_channel_difference, Ids{5});
  SequencerOutput part = s.OnChannelDifference(5, *ChannelDiff(5, {101}, 101, false), At(2));
  EXPECT_EQ(Labels(part), Strings{"c5/m101"});
  EXPECT_EQ(part.need_channel_difference, Ids{5});
  EXPECT_TRUE(s.channel_difference_in_progress(5));
  api::updates_channelDifferenceEmpty empty;
  empty.final = true;
  empty.pts = 101;
  SequencerOutput end = s.OnChannelDifference(5, empty, At(3));
  EXPECT_TRUE(end.need_channel_difference.empty());
  EXPECT_FALSE(s.channel_difference_in_progress(5));
  EXPECT_EQ(s.state().channel_pts.at(5), 101);
}

TEST(UpdateSequencerChannelTest, TooLongTakesTheDialogPtsAndReportsTheJump) {
  UpdateSequencer s(StartState(), kSelf);
  s.OnUpdates(*Short(ChannelMessage(5, 100)), At(0));
  s.OnUpdates(*Short(ChannelMessage(5, 150)), At(1));
  ASSERT_EQ(s.OnTick(At(501)).need_channel_difference, Ids{5});
  api::updates_channelDifferenceTooLong too_long;
  too_long.final = true;
  auto dialog = std::make_unique<api::dialog>();
  dialog->peer = ChannelPeer(5);
  dialog->pts = 900;
  too_long.dialog = std::move(dialog);
  too_long.messages.push_back(Msg(899, ChannelPeer(5)));
  SequencerOutput out = s.OnChannelDifference(5, too_long, At(600));
  EXPECT_TRUE(out.accepted.empty());
  ASSERT_EQ(out.jumps.size(), 1u);
  EXPECT_EQ(out.jumps[0], (PtsJump{.channel_id = 5, .from = 100, .to = 900}));
  EXPECT_EQ(s.state().channel_pts.at(5), 900);
  EXPECT_EQ(s.held_count(), 0u);  // the held 150 was in the lost range
  EXPECT_EQ(Labels(s.OnUpdates(*Short(ChannelMessage(5, 901)), At(700))), Strings{"c5/m901"});
}

TEST(UpdateSequencerChannelTest, UnknownChannelLearnsItsPtsFromTheDifference) {
  UpdateSequencer s(StartState(), kSelf);
  ASSERT_EQ(s.OnUpdates(*Short(ChannelTooLong(8)), At(0)).need_channel_difference, Ids{8});
  s.OnUpdates(*Short(ChannelMessage(8, 41)), At(1));  // waits for the answer
  SequencerOutput out = s.OnChannelDifference(8, *ChannelDiff(8, {40}, 40), At(2));
  EXPECT_EQ(Labels(out), (Strings{"c8/m40", "c8/m41"}));
  EXPECT_EQ(s.state().channel_pts.at(8), 41);
}

TEST(UpdateSequencerChannelTest, CommonDifferenceRoutesChannelUpdatesToTheirBoxes) {
  UpdateSequencer s(StartState(), kSelf);
  s.OnUpdates(*Short(ChannelMessage(5, 100)), At(0));
  ASSERT_TRUE(s.RequestDifference(At(1)).need_difference);
  auto d = Difference({11}, 11,
                      List(ChannelMessage(6, 30), ChannelMessage(5, 100), ChannelMessage(5, 101),
                           ChannelTooLong(7)));
  SequencerOutput out = s.OnDifference(*d, At(2));
  EXPECT_EQ(Labels(out), (Strings{"m11", "c6/m30", "c5/m101"}));
  EXPECT_EQ(out.need_channel_difference, Ids{7});
  EXPECT_EQ(s.state().channel_pts.at(6), 30);
  EXPECT_EQ(s.state().channel_pts.at(5), 101);
}

TEST(UpdateSequencerChannelTest, FailedChannelDifferenceIsRetried) {
  UpdateSequencer s(StartState(), kSelf);
  ASSERT_EQ(s.OnUpdates(*Short(ChannelTooLong(8)), At(0)).need_channel_difference, Ids{8});
  EXPECT_TRUE(
      s.OnChannelDifferenceFailed(8, At(10), absl::Seconds(2)).need_channel_difference.empty());
  EXPECT_FALSE(s.channel_difference_in_progress(8));
  EXPECT_EQ(s.NextDeadline(), At(2010));
  EXPECT_EQ(s.OnTick(At(2010)).need_channel_difference, Ids{8});
}

// ---- a longer interleaving ----

TEST(UpdateSequencerDifferenceTest, InterleavedPushesAndDifferencesKeepOrderAndOnce) {
  UpdateSequencer s(StartState(), kSelf);
  Strings all;
  auto take = [&all](const SequencerOutput& out) {
    for (const std::string& l : Labels(out)) all.push_back(l);
    return out;
  };
  take(s.OnUpdates(*Short(NewMessage(11)), At(0)));
  take(s.OnUpdates(*Container(4, List(Plain(1), NewMessage(12))), At(10)));
  take(s.OnUpdates(*Short(NewMessage(15)), At(20)));  // gap 13..14
  take(s.OnUpdates(*Short(ChannelMessage(5, 100)), At(30)));
  EXPECT_TRUE(take(s.OnTick(At(520))).need_difference);
  take(s.OnUpdates(*Short(NewMessage(13)), At(530)));         // late, inside the difference
  take(s.OnUpdates(*Container(6, List(Plain(2))), At(540)));  // seq after the difference
  // The channel's box does not wait for the account's difference.
  EXPECT_EQ(Labels(take(s.OnUpdates(*Short(ChannelMessage(5, 101)), At(550)))), Strings{"c5/m101"});
  auto slice = Slice({13}, 13);
  slice->intermediate_state = State(13, 5, 4, 1700000800);
  EXPECT_TRUE(take(s.OnDifference(*slice, At(600))).need_difference);
  take(s.OnUpdates(*Short(NewMessage(16)), At(610)));
  auto d = Difference({14, 15}, 15);
  d->state = State(15, 5, 5, 1700000900);
  SequencerOutput end = take(s.OnDifference(*d, At(700)));
  EXPECT_FALSE(end.need_difference);
  EXPECT_EQ(all,
            (Strings{"m11", "u1", "m12", "c5/m100", "c5/m101", "m13", "m14", "m15", "u2", "m16"}));
  EXPECT_EQ(s.state().pts, 16);
  EXPECT_EQ(s.state().seq, 6);
  EXPECT_EQ(s.held_count(), 0u);
  EXPECT_EQ(s.NextDeadline(), absl::InfiniteFuture());
}

}  // namespace
}  // namespace tgrpc::service::updates
