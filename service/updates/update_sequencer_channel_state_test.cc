// Channels the account joins: their pts is learned when updateChannel comes, before their first
// post, so a lost first post is a gap (filled by getChannelDifference) instead of being taken as
// where the channel starts. (The updates fault test found that case: a broadcast channel's first
// post whose push was lost was never fetched.)
#include <cstdint>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "service/updates/update_sequencer.h"
#include "service/updates/update_sequencer_test_util.h"

namespace tgrpc::service::updates {
namespace {

using namespace ::tgrpc::service::updates::testing;  // NOLINT: test builders

Ptr<api::Update> Joined(int64_t channel) {
  auto u = std::make_unique<api::updateChannel>();
  u->channel_id = channel;
  return u;
}

TEST(UpdateSequencerChannelStateTest, AJoinedChannelsLostFirstPostIsAGap) {
  UpdateSequencer s(StartState(), kSelf);
  SequencerOutput joined = s.OnUpdates(*Short(Joined(5)), At(0));
  EXPECT_EQ(Labels(joined), Strings{"updateChannel"});
  EXPECT_EQ(joined.need_channel_state, Ids{5});
  // Asked once while it is pending.
  EXPECT_TRUE(s.OnUpdates(*Short(Joined(5)), At(1)).need_channel_state.empty());
  SequencerOutput known = s.OnChannelState(5, 100, At(10));
  EXPECT_TRUE(known.accepted.empty());
  EXPECT_EQ(s.state().channel_pts.at(5), 100);
  // Post 101 is lost; 102 arrives: a gap, held, then the channel's difference.
  EXPECT_TRUE(s.OnUpdates(*Short(ChannelMessage(5, 102)), At(20)).accepted.empty());
  EXPECT_EQ(s.OnTick(At(520)).need_channel_difference, Ids{5});
}

TEST(UpdateSequencerChannelStateTest, PostsThatCameBeforeThePtsWaitForItAndApply) {
  UpdateSequencer s(StartState(), kSelf);
  s.OnUpdates(*Short(Joined(5)), At(0));
  // The first post arrives before the pts does: it waits.
  EXPECT_TRUE(s.OnUpdates(*Short(ChannelMessage(5, 101)), At(1)).accepted.empty());
  EXPECT_EQ(s.held_count(), 1u);
  // The pts was read after the post (101): the post still applies, once.
  SequencerOutput known = s.OnChannelState(5, 101, At(10));
  EXPECT_EQ(Labels(known), Strings{"c5/m101"});
  EXPECT_EQ(s.state().channel_pts.at(5), 101);
  EXPECT_TRUE(s.OnUpdates(*Short(ChannelMessage(5, 101)), At(11)).accepted.empty());
  EXPECT_EQ(Labels(s.OnUpdates(*Short(ChannelMessage(5, 102)), At(12))), Strings{"c5/m102"});
}

TEST(UpdateSequencerChannelStateTest, WithoutItsPtsTheChannelStartsAtItsNextUpdate) {
  UpdateSequencer s(StartState(), kSelf);
  s.OnUpdates(*Short(Joined(5)), At(0));
  s.OnUpdates(*Short(ChannelMessage(5, 103)), At(1));
  s.OnUpdates(*Short(ChannelMessage(5, 102)), At(2));
  SequencerOutput failed = s.OnChannelStateFailed(5, At(10));
  EXPECT_EQ(Labels(failed), (Strings{"c5/m102", "c5/m103"}));
  EXPECT_EQ(s.state().channel_pts.at(5), 103);
  EXPECT_EQ(s.held_count(), 0u);
}

TEST(UpdateSequencerChannelStateTest, AKnownChannelIsNotAskedAgain) {
  UpdateSequencer s(StartState(), kSelf);
  s.OnUpdates(*Short(ChannelMessage(5, 100)), At(0));
  EXPECT_TRUE(s.OnUpdates(*Short(Joined(5)), At(1)).need_channel_state.empty());
  // A state that comes unasked changes nothing.
  s.OnChannelState(5, 500, At(2));
  EXPECT_EQ(s.state().channel_pts.at(5), 100);
}

}  // namespace
}  // namespace tgrpc::service::updates
