// fakedc's updates.getState / getDifference / getChannelDifference over the boxes' event logs,
// and the pushes of edits, deletions and channel messages, through a Dispatcher over a seeded
// World.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakedc/dispatcher_test_util.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/rpc.h"
#include "tests/fakedc/seed.h"
#include "tests/fakedc/world.h"
#include "tl/generated/api.h"
#include "tl/runtime/object.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;
using testing::ErrorOf;

// A pushed Updates: to whom, which session was left out, and its updates' constructor names.
struct Pushed {
  int64_t user_id = 0;
  uint64_t except_session = 0;
  std::vector<std::string> updates;
  bool operator==(const Pushed&) const = default;
};

std::vector<std::string> NamesOf(const std::vector<tl::Ptr<api::Update>>& updates) {
  std::vector<std::string> out;
  for (const auto& u : updates) out.push_back(u->tl_name());
  return out;
}

int32_t IdOf(const api::Message& message) { return static_cast<const api::message&>(message).id; }
std::string TextOf(const api::Message& message) {
  return static_cast<const api::message&>(message).message_;
}

class UpdatesTest : public testing::DispatcherTest {
 protected:
  UpdatesTest() {
    SeedWorld(world_, /*big_channel_members=*/10);
    env_.push = [this](int64_t user_id, const api::Updates& updates, uint64_t except_session) {
      Pushed pushed{user_id, except_session, {}};
      if (const auto* list = dynamic_cast<const api::updates*>(&updates)) {
        pushed.updates = NamesOf(list->updates_);
      }
      pushed_.push_back(std::move(pushed));
    };
    RegisterMessageMethods(dispatcher_, env_);
    RegisterChannelMethods(dispatcher_, env_);
    RegisterUpdateMethods(dispatcher_, env_);
    alice_ = world_.FindUserByPhone(kSeedAlicePhone);
    bob_ = world_.FindUserByPhone(kSeedBobPhone);
    bot_ = world_.FindUserByUsername(kSeedBotUsername);
    carol_ = world_.FindUserByPhone(kSeedCarolPhone);
    big_ = world_.FindChannelByUsername(kSeedBigChannel);
    int key = 0;
    for (auto [context, user] :
         {std::pair{&alice_context_, alice_}, std::pair{&bob_context_, bob_},
          std::pair{&bot_context_, bot_}, std::pair{&carol_context_, carol_}}) {
      ++key;
      world_.SignIn(key, user->id);
      context->dc_id = 2;
      context->auth_key_id = key;
      context->session_id = 100 + key;
      context->user_id = user->id;
    }
  }

  tl::Ptr<api::InputPeer> PeerOf(const UserRecord& user) const {
    auto peer = std::make_unique<api::inputPeerUser>();
    peer->user_id = user.id;
    peer->access_hash = user.access_hash;
    return peer;
  }
  static tl::Ptr<api::InputPeer> Self() { return std::make_unique<api::inputPeerSelf>(); }
  tl::Ptr<api::InputPeer> BigPeer() const {
    auto peer = std::make_unique<api::inputPeerChannel>();
    peer->channel_id = big_->id;
    peer->access_hash = big_->access_hash;
    return peer;
  }
  tl::Ptr<api::InputChannel> BigChannel() const {
    auto channel = std::make_unique<api::inputChannel>();
    channel->channel_id = big_->id;
    channel->access_hash = big_->access_hash;
    return channel;
  }

  int32_t Send(tl::Ptr<api::InputPeer> peer, const std::string& text, CallContext& context) {
    return SendText(std::move(peer), text, context);
  }

  void Edit(tl::Ptr<api::InputPeer> peer, int32_t id, const std::string& text,
            CallContext& context) {
    api::messages_editMessage edit;
    edit.peer = std::move(peer);
    edit.id = id;
    edit.message = text;
    absl::StatusOr<tl::Ptr<api::Updates>> edited = Call(edit, context);
    EXPECT_TRUE(edited.ok()) << edited.status();
  }

  absl::StatusOr<tl::Ptr<api::updates_Difference>> Difference(
      int32_t pts, CallContext& context, std::optional<int32_t> pts_total_limit = std::nullopt) {
    api::updates_getDifference get;
    get.pts = pts;
    get.pts_total_limit = pts_total_limit;
    get.date = world_.Now();
    return Call(get, context);
  }

  absl::StatusOr<tl::Ptr<api::updates_ChannelDifference>> ChannelDifference(int32_t pts,
                                                                            int32_t limit,
                                                                            CallContext& context) {
    api::updates_getChannelDifference get;
    get.channel = BigChannel();
    get.filter = std::make_unique<api::channelMessagesFilterEmpty>();
    get.pts = pts;
    get.limit = limit;
    return Call(get, context);
  }

  // Logs `count` messages from alice to herself straight into her box (fast, for big logs).
  void FillAlicesBox(int count) {
    for (int i = 0; i < count; ++i) {
      MessageRecord record;
      record.from_id = alice_->id;
      record.peer = {PeerKind::kUser, alice_->id};
      record.text = absl::StrCat("filler ", i);
      record.out = true;
      world_.AddMessage(world_.BoxOf(alice_->id), record);
    }
  }

  UserRecord* alice_ = nullptr;
  UserRecord* bob_ = nullptr;
  UserRecord* bot_ = nullptr;
  UserRecord* carol_ = nullptr;
  ChannelRecord* big_ = nullptr;
  CallContext alice_context_, bob_context_, bot_context_, carol_context_;
  std::vector<Pushed> pushed_;
};

TEST_F(UpdatesTest, AFreshAccountsStateStartsAtPtsOneAsTelegrams) {
  // An account made now (as auth.signUp does), signed in on a key of its own.
  UserRecord& fresh = world_.AddUser("15559990001", "Fresh");
  world_.SignIn(99, fresh.id);
  CallContext context;
  context.dc_id = 2;
  context.auth_key_id = 99;
  context.session_id = 199;
  context.user_id = fresh.id;
  absl::StatusOr<tl::Ptr<api::updates_State>> state = Call(api::updates_getState(), context);
  ASSERT_TRUE(state.ok()) << state.status();
  const auto& s = static_cast<const api::updates_state&>(**state);
  // Never 0, which clients take as "no state yet" (and then miss a gap before the first push).
  EXPECT_GT(s.pts, 0);
  EXPECT_EQ(s.pts, kFirstPts);
  EXPECT_EQ(s.qts, 0);
  EXPECT_EQ(s.seq, 0);
  EXPECT_EQ(s.date, world_.Now());
  EXPECT_EQ(s.unread_count, 0);
  // Nothing missed from there; the first message moves pts from it by one.
  absl::StatusOr<tl::Ptr<api::updates_Difference>> none = Difference(s.pts, context);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_NE(dynamic_cast<const api::updates_differenceEmpty*>(none->get()), nullptr);
  Send(PeerOf(fresh), "welcome", bob_context_);
  absl::StatusOr<tl::Ptr<api::updates_Difference>> first = Difference(s.pts, context);
  ASSERT_TRUE(first.ok()) << first.status();
  const auto& diff = dynamic_cast<const api::updates_difference&>(**first);
  ASSERT_EQ(diff.new_messages.size(), 1u);
  EXPECT_EQ(TextOf(*diff.new_messages[0]), "welcome");
  EXPECT_EQ(static_cast<const api::updates_state&>(*diff.state).pts, kFirstPts + 1);
}

TEST_F(UpdatesTest, StateCountsPtsAndUnreadMessages) {
  const int32_t start = world_.BoxOf(alice_->id).pts;
  Send(PeerOf(*alice_), "one", bob_context_);
  Send(PeerOf(*alice_), "two", bob_context_);
  Send(Self(), "note", alice_context_);
  absl::StatusOr<tl::Ptr<api::updates_State>> state = Call(api::updates_getState(), alice_context_);
  ASSERT_TRUE(state.ok()) << state.status();
  const auto& s = static_cast<const api::updates_state&>(**state);
  EXPECT_EQ(s.pts, start + 3);
  EXPECT_EQ(s.qts, 0);
  EXPECT_EQ(s.seq, 0);
  EXPECT_EQ(s.unread_count, 2);  // bob's two; her own note is not unread
}

TEST_F(UpdatesTest, DifferenceListsExactlyWhatWasMissed) {
  const int32_t start = world_.BoxOf(alice_->id).pts;
  const int32_t a = Send(Self(), "a", alice_context_);  // start + 1
  const int32_t b = Send(Self(), "b", alice_context_);  // start + 2
  const int32_t c = Send(Self(), "c", alice_context_);  // start + 3
  Edit(Self(), b, "B", alice_context_);                 // start + 4
  api::messages_deleteMessages del;
  del.id = {a};
  ASSERT_TRUE(Call(del, alice_context_).ok());                // start + 5
  Send(PeerOf(*alice_), "hi", bob_context_);                  // start + 6
  const int32_t from_bob = world_.BoxOf(alice_->id).last_id;  // alice's copy has her box's id

  absl::StatusOr<tl::Ptr<api::updates_Difference>> all = Difference(start, alice_context_);
  ASSERT_TRUE(all.ok()) << all.status();
  const auto& diff = dynamic_cast<const api::updates_difference&>(**all);
  // The deleted message is not new any more: only its deletion is listed.
  ASSERT_EQ(diff.new_messages.size(), 3u);
  EXPECT_EQ(IdOf(*diff.new_messages[0]), b);
  EXPECT_EQ(TextOf(*diff.new_messages[0]), "B");
  EXPECT_EQ(IdOf(*diff.new_messages[1]), c);
  EXPECT_EQ(IdOf(*diff.new_messages[2]), from_bob);
  EXPECT_EQ(NamesOf(diff.other_updates),
            (std::vector<std::string>{"updateEditMessage", "updateDeleteMessages"}));
  const auto& edit = static_cast<const api::updateEditMessage&>(*diff.other_updates[0]);
  EXPECT_EQ(edit.pts, start + 4);
  EXPECT_EQ(TextOf(*edit.message), "B");
  const auto& deleted = static_cast<const api::updateDeleteMessages&>(*diff.other_updates[1]);
  EXPECT_EQ(deleted.messages, std::vector<int32_t>{a});
  EXPECT_EQ(deleted.pts, start + 5);
  EXPECT_EQ(deleted.pts_count, 1);
  EXPECT_EQ(static_cast<const api::updates_state&>(*diff.state).pts, start + 6);
  std::set<int64_t> users;
  for (const auto& u : diff.users) users.insert(static_cast<const api::user&>(*u).id);
  EXPECT_EQ(users, (std::set<int64_t>{alice_->id, bob_->id}));

  // From the middle: only what came after c.
  absl::StatusOr<tl::Ptr<api::updates_Difference>> rest = Difference(start + 3, alice_context_);
  ASSERT_TRUE(rest.ok()) << rest.status();
  const auto& tail = dynamic_cast<const api::updates_difference&>(**rest);
  ASSERT_EQ(tail.new_messages.size(), 1u);
  EXPECT_EQ(IdOf(*tail.new_messages[0]), from_bob);
  EXPECT_EQ(tail.other_updates.size(), 2u);

  // Up to date; a pts the box never had.
  absl::StatusOr<tl::Ptr<api::updates_Difference>> none = Difference(start + 6, alice_context_);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_NE(dynamic_cast<const api::updates_differenceEmpty*>(none->get()), nullptr);
  EXPECT_EQ(ErrorOf(Difference(start + 7, alice_context_)), "400 PERSISTENT_TIMESTAMP_INVALID");
  EXPECT_EQ(ErrorOf(Difference(-1, alice_context_)), "400 PERSISTENT_TIMESTAMP_INVALID");
}

TEST_F(UpdatesTest, EditsAndDeletionsArePushedToTheOwnersOtherSessions) {
  const int32_t id = Send(Self(), "draft", alice_context_);
  pushed_.clear();
  Edit(Self(), id, "final", alice_context_);
  api::messages_deleteMessages del;
  del.id = {id};
  ASSERT_TRUE(Call(del, alice_context_).ok());
  const uint64_t session = alice_context_.session_id;
  EXPECT_EQ(pushed_, (std::vector<Pushed>{{alice_->id, session, {"updateEditMessage"}},
                                          {alice_->id, session, {"updateDeleteMessages"}}}));
}

TEST_F(UpdatesTest, DeletingNothingDoesNotMovePts) {
  Send(Self(), "kept", alice_context_);
  const MessageBox& box = world_.BoxOf(alice_->id);
  const int32_t pts = box.pts;
  const int32_t channel_pts = big_->box.pts;
  const size_t events = box.events.size();
  pushed_.clear();
  api::messages_deleteMessages del;
  del.id = {12345};
  absl::StatusOr<tl::Ptr<api::messages_AffectedMessages>> affected = Call(del, alice_context_);
  ASSERT_TRUE(affected.ok()) << affected.status();
  const auto& out = static_cast<const api::messages_affectedMessages&>(**affected);
  EXPECT_EQ(out.pts, pts);
  EXPECT_EQ(out.pts_count, 0);
  EXPECT_EQ(box.pts, pts);
  EXPECT_EQ(box.events.size(), events);
  EXPECT_TRUE(pushed_.empty());
  // Channels alike.
  api::channels_deleteMessages channel_del;
  channel_del.channel = BigChannel();
  channel_del.id = {12345};
  absl::StatusOr<tl::Ptr<api::messages_AffectedMessages>> channel_affected =
      Call(channel_del, alice_context_);
  ASSERT_TRUE(channel_affected.ok()) << channel_affected.status();
  EXPECT_EQ(static_cast<const api::messages_affectedMessages&>(**channel_affected).pts_count, 0);
  EXPECT_EQ(big_->box.pts, channel_pts);
  EXPECT_TRUE(big_->box.events.empty());
}

TEST_F(UpdatesTest, SlicesFollowedToTheEndLoseAndRepeatNothing) {
  constexpr int kMessages = 250;
  const int32_t start = world_.BoxOf(alice_->id).pts;
  std::vector<int32_t> sent;
  for (int i = 0; i < kMessages; ++i) {
    sent.push_back(Send(Self(), absl::StrCat("m", i), alice_context_));
  }
  // Two edits, in the first and the last slice.
  Edit(Self(), sent[10], "edited 10", alice_context_);
  Edit(Self(), sent[240], "edited 240", alice_context_);
  const int32_t final_pts = world_.BoxOf(alice_->id).pts;
  ASSERT_EQ(final_pts, start + kMessages + 2);

  std::vector<int32_t> received;
  std::vector<int32_t> edit_pts;
  std::vector<int32_t> slice_ends;
  int32_t pts = start;
  for (int round = 0; round < 10; ++round) {
    absl::StatusOr<tl::Ptr<api::updates_Difference>> got = Difference(pts, alice_context_);
    ASSERT_TRUE(got.ok()) << got.status();
    auto take = [&](const auto& part) {
      for (const auto& m : part.new_messages) received.push_back(IdOf(*m));
      for (const auto& u : part.other_updates) {
        edit_pts.push_back(static_cast<const api::updateEditMessage&>(*u).pts);
      }
    };
    if (const auto* slice = dynamic_cast<const api::updates_differenceSlice*>(got->get())) {
      take(*slice);
      pts = static_cast<const api::updates_state&>(*slice->intermediate_state).pts;
      slice_ends.push_back(pts);
      continue;
    }
    const auto& last = dynamic_cast<const api::updates_difference&>(**got);
    take(last);
    pts = static_cast<const api::updates_state&>(*last.state).pts;
    break;
  }
  EXPECT_EQ(slice_ends, (std::vector<int32_t>{start + 100, start + 200}));
  EXPECT_EQ(pts, final_pts);
  EXPECT_EQ(received, sent);  // each once, in order
  EXPECT_EQ(edit_pts, (std::vector<int32_t>{start + kMessages + 1, start + kMessages + 2}));
  absl::StatusOr<tl::Ptr<api::updates_Difference>> after = Difference(pts, alice_context_);
  ASSERT_TRUE(after.ok());
  EXPECT_NE(dynamic_cast<const api::updates_differenceEmpty*>(after->get()), nullptr);
}

TEST_F(UpdatesTest, PtsTotalLimitAsksForTooLong) {
  const int32_t start = world_.BoxOf(alice_->id).pts;
  FillAlicesBox(50);
  absl::StatusOr<tl::Ptr<api::updates_Difference>> limited =
      Difference(start, alice_context_, /*pts_total_limit=*/20);
  ASSERT_TRUE(limited.ok()) << limited.status();
  const auto* too_long = dynamic_cast<const api::updates_differenceTooLong*>(limited->get());
  ASSERT_NE(too_long, nullptr);
  EXPECT_EQ(too_long->pts, start + 50);
  // Within the limit: the difference itself.
  absl::StatusOr<tl::Ptr<api::updates_Difference>> within =
      Difference(start + 30, alice_context_, /*pts_total_limit=*/20);
  ASSERT_TRUE(within.ok()) << within.status();
  EXPECT_EQ(dynamic_cast<const api::updates_difference&>(**within).new_messages.size(), 20u);
}

TEST_F(UpdatesTest, TooLongWhenOlderThanTheLog) {
  const int32_t start = world_.BoxOf(alice_->id).pts;
  FillAlicesBox(static_cast<int>(World::kMaxPtsEvents) + 5);
  // The log keeps the newest kMaxPtsEvents events: those after the fifth.
  absl::StatusOr<tl::Ptr<api::updates_Difference>> old = Difference(start + 4, alice_context_);
  ASSERT_TRUE(old.ok()) << old.status();
  const auto* too_long = dynamic_cast<const api::updates_differenceTooLong*>(old->get());
  ASSERT_NE(too_long, nullptr);
  EXPECT_EQ(too_long->pts, start + static_cast<int32_t>(World::kMaxPtsEvents) + 5);
  absl::StatusOr<tl::Ptr<api::updates_Difference>> oldest_kept =
      Difference(start + 5, alice_context_);
  ASSERT_TRUE(oldest_kept.ok()) << oldest_kept.status();
  const auto& slice = dynamic_cast<const api::updates_differenceSlice&>(**oldest_kept);
  ASSERT_FALSE(slice.new_messages.empty());
  EXPECT_EQ(IdOf(*slice.new_messages[0]), 6);
}

TEST_F(UpdatesTest, ChannelMessagesArePushedToSignedInMembersOnly) {
  pushed_.clear();
  const int32_t id = Send(BigPeer(), "to everyone", alice_context_);
  const uint64_t session = alice_context_.session_id;
  // Alice's other sessions, bob and the bot; not carol (signed in, not a member) nor the members
  // nobody signed in as.
  std::vector<Pushed> expected = {{alice_->id, session, {"updateNewChannelMessage"}},
                                  {bob_->id, session, {"updateNewChannelMessage"}},
                                  {bot_->id, session, {"updateNewChannelMessage"}}};
  std::sort(expected.begin(), expected.end(),
            [](const Pushed& x, const Pushed& y) { return x.user_id < y.user_id; });
  EXPECT_EQ(pushed_, expected);
  pushed_.clear();
  Edit(BigPeer(), id, "to all", alice_context_);
  api::channels_deleteMessages del;
  del.channel = BigChannel();
  del.id = {id};
  ASSERT_TRUE(Call(del, alice_context_).ok());
  ASSERT_EQ(pushed_.size(), 6u);
  EXPECT_EQ(pushed_[1].updates, std::vector<std::string>{"updateEditChannelMessage"});
  EXPECT_EQ(pushed_[4].updates, std::vector<std::string>{"updateDeleteChannelMessages"});
}

TEST_F(UpdatesTest, DifferenceNamesMemberChannelsWithNewsSinceTheClientsDate) {
  int32_t now = 1'700'000'000;
  world_.SetClock([&now] { return now; });
  auto difference = [&](int32_t pts, int32_t date, CallContext& context) {
    api::updates_getDifference get;
    get.pts = pts;
    get.date = date;
    return Call(get, context);
  };
  const int32_t alice_pts = world_.BoxOf(alice_->id).pts;
  const int32_t carol_pts = world_.BoxOf(carol_->id).pts;
  const int32_t seen_at = now;  // the clients' state date
  absl::StatusOr<tl::Ptr<api::updates_Difference>> quiet =
      difference(alice_pts, seen_at, alice_context_);
  ASSERT_TRUE(quiet.ok()) << quiet.status();
  EXPECT_NE(dynamic_cast<const api::updates_differenceEmpty*>(quiet->get()), nullptr);

  now += 10;
  Send(BigPeer(), "while you were away", bob_context_);
  // Nothing new in Alice's own box, but in a channel of hers: named, with its pts.
  absl::StatusOr<tl::Ptr<api::updates_Difference>> news =
      difference(alice_pts, seen_at, alice_context_);
  ASSERT_TRUE(news.ok()) << news.status();
  const auto* diff = dynamic_cast<const api::updates_difference*>(news->get());
  ASSERT_NE(diff, nullptr) << (*news)->tl_name();
  EXPECT_TRUE(diff->new_messages.empty());
  ASSERT_EQ(NamesOf(diff->other_updates), std::vector<std::string>{"updateChannelTooLong"});
  const auto& too_long = static_cast<const api::updateChannelTooLong&>(*diff->other_updates[0]);
  EXPECT_EQ(too_long.channel_id, big_->id);
  EXPECT_EQ(too_long.pts, big_->box.pts);
  ASSERT_EQ(diff->chats.size(), 1u);
  EXPECT_EQ(static_cast<const api::channel&>(*diff->chats[0]).id, big_->id);
  const auto& state = static_cast<const api::updates_state&>(*diff->state);
  EXPECT_EQ(state.pts, alice_pts);
  EXPECT_EQ(state.date, now);
  // From that state's date on, nothing new; Carol is no member.
  absl::StatusOr<tl::Ptr<api::updates_Difference>> after =
      difference(alice_pts, state.date + 1, alice_context_);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_NE(dynamic_cast<const api::updates_differenceEmpty*>(after->get()), nullptr);
  absl::StatusOr<tl::Ptr<api::updates_Difference>> carol =
      difference(carol_pts, seen_at, carol_context_);
  ASSERT_TRUE(carol.ok()) << carol.status();
  EXPECT_NE(dynamic_cast<const api::updates_differenceEmpty*>(carol->get()), nullptr);

  // With news of her own box too: the channels come after its updates, in the last slice.
  Send(PeerOf(*alice_), "hi", bob_context_);
  Edit(BigPeer(), world_.FindChannel(big_->id)->box.last_id, "edited", bob_context_);
  absl::StatusOr<tl::Ptr<api::updates_Difference>> both =
      difference(alice_pts, seen_at, alice_context_);
  ASSERT_TRUE(both.ok()) << both.status();
  const auto& full = dynamic_cast<const api::updates_difference&>(**both);
  ASSERT_EQ(full.new_messages.size(), 1u);
  EXPECT_EQ(TextOf(*full.new_messages[0]), "hi");
  ASSERT_EQ(NamesOf(full.other_updates), std::vector<std::string>{"updateChannelTooLong"});
  EXPECT_EQ(static_cast<const api::updateChannelTooLong&>(*full.other_updates[0]).pts,
            big_->box.pts);
}

TEST_F(UpdatesTest, ChannelDifferencePagesByLimit) {
  std::vector<int32_t> sent;
  for (int i = 0; i < 25; ++i)
    sent.push_back(Send(BigPeer(), absl::StrCat("c", i), alice_context_));
  Edit(BigPeer(), sent[3], "c3 edited", alice_context_);
  api::channels_deleteMessages del;
  del.channel = BigChannel();
  del.id = {sent[0], sent[1]};
  ASSERT_TRUE(Call(del, alice_context_).ok());
  const int32_t channel_pts = big_->box.pts;
  ASSERT_EQ(channel_pts, kFirstPts + 25 + 1 + 2);

  std::vector<int32_t> received;
  std::vector<std::string> others;
  std::vector<bool> finals;
  int32_t pts = kFirstPts;  // a new channel's pts
  for (int round = 0; round < 10 && (finals.empty() || !finals.back()); ++round) {
    absl::StatusOr<tl::Ptr<api::updates_ChannelDifference>> got =
        ChannelDifference(pts, 10, bob_context_);
    ASSERT_TRUE(got.ok()) << got.status();
    const auto& diff = dynamic_cast<const api::updates_channelDifference&>(**got);
    for (const auto& m : diff.new_messages) {
      received.push_back(IdOf(*m));
      EXPECT_FALSE(static_cast<const api::message&>(*m).out);  // alice's, seen by bob
    }
    for (const std::string& name : NamesOf(diff.other_updates)) others.push_back(name);
    EXPECT_EQ(diff.timeout.has_value(), diff.final);
    EXPECT_EQ(diff.chats.size(), 1u);
    finals.push_back(diff.final);
    pts = diff.pts;
  }
  // 28 events: 10 + 10 + 8; the two deleted messages are listed only as deleted.
  EXPECT_EQ(finals, (std::vector<bool>{false, false, true}));
  EXPECT_EQ(pts, channel_pts);
  EXPECT_EQ(received, std::vector<int32_t>(sent.begin() + 2, sent.end()));
  EXPECT_EQ(others,
            (std::vector<std::string>{"updateEditChannelMessage", "updateDeleteChannelMessages"}));

  absl::StatusOr<tl::Ptr<api::updates_ChannelDifference>> none =
      ChannelDifference(pts, 10, bob_context_);
  ASSERT_TRUE(none.ok()) << none.status();
  const auto& empty = dynamic_cast<const api::updates_channelDifferenceEmpty&>(**none);
  EXPECT_TRUE(empty.final);
  EXPECT_EQ(empty.pts, channel_pts);
}

TEST_F(UpdatesTest, ChannelDifferenceLimitIsCappedForUsersNotBots) {
  for (int i = 0; i < 150; ++i) Send(BigPeer(), absl::StrCat("c", i), alice_context_);
  absl::StatusOr<tl::Ptr<api::updates_ChannelDifference>> user =
      ChannelDifference(1, 1000, bob_context_);
  ASSERT_TRUE(user.ok()) << user.status();
  const auto& capped = dynamic_cast<const api::updates_channelDifference&>(**user);
  EXPECT_EQ(capped.new_messages.size(), 100u);
  EXPECT_FALSE(capped.final);
  absl::StatusOr<tl::Ptr<api::updates_ChannelDifference>> bot =
      ChannelDifference(1, 1000, bot_context_);
  ASSERT_TRUE(bot.ok()) << bot.status();
  const auto& whole = dynamic_cast<const api::updates_channelDifference&>(**bot);
  EXPECT_EQ(whole.new_messages.size(), 150u);
  EXPECT_TRUE(whole.final);
}

TEST_F(UpdatesTest, ChannelDifferenceTooLongGivesTheDialogAndNewestMessages) {
  for (int i = 0; i < static_cast<int>(World::kMaxPtsEvents) + 3; ++i) {
    MessageRecord record;
    record.from_id = alice_->id;
    record.peer = {PeerKind::kChannel, big_->id};
    record.text = absl::StrCat("c", i);
    world_.AddMessage(big_->box, record);
  }
  absl::StatusOr<tl::Ptr<api::updates_ChannelDifference>> got =
      ChannelDifference(1, 20, bob_context_);
  ASSERT_TRUE(got.ok()) << got.status();
  const auto& too_long = dynamic_cast<const api::updates_channelDifferenceTooLong&>(**got);
  const auto& dialog = static_cast<const api::dialog&>(*too_long.dialog);
  EXPECT_EQ(dialog.pts, big_->box.pts);
  EXPECT_EQ(dialog.top_message, big_->box.last_id);
  ASSERT_EQ(too_long.messages.size(), 20u);
  EXPECT_EQ(IdOf(*too_long.messages[0]), big_->box.last_id);  // newest first
  EXPECT_EQ(IdOf(*too_long.messages[19]), big_->box.last_id - 19);
  ASSERT_EQ(too_long.chats.size(), 1u);
  EXPECT_EQ(static_cast<const api::channel&>(*too_long.chats[0]).id, big_->id);
  // The oldest pts the log still covers is served.
  const int32_t log_start = big_->box.events.front().pts - 1;
  absl::StatusOr<tl::Ptr<api::updates_ChannelDifference>> kept =
      ChannelDifference(log_start, 20, bob_context_);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_NE(dynamic_cast<const api::updates_channelDifference*>(kept->get()), nullptr);
}

TEST_F(UpdatesTest, ChannelDifferenceErrors) {
  EXPECT_EQ(ErrorOf(ChannelDifference(1, 10, carol_context_)), "406 CHANNEL_PRIVATE");
  api::updates_getChannelDifference bad_hash;
  auto channel = std::make_unique<api::inputChannel>();
  channel->channel_id = big_->id;
  channel->access_hash = big_->access_hash + 1;
  bad_hash.channel = std::move(channel);
  bad_hash.filter = std::make_unique<api::channelMessagesFilterEmpty>();
  bad_hash.pts = 1;
  bad_hash.limit = 10;
  EXPECT_EQ(ErrorOf(Call(bad_hash, bob_context_)), "400 CHANNEL_INVALID");
  EXPECT_EQ(ErrorOf(ChannelDifference(0, 10, bob_context_)), "400 PERSISTENT_TIMESTAMP_EMPTY");
  EXPECT_EQ(ErrorOf(ChannelDifference(big_->box.pts + 1, 10, bob_context_)),
            "400 PERSISTENT_TIMESTAMP_INVALID");
  CallContext nobody;
  EXPECT_EQ(ErrorOf(ChannelDifference(1, 10, nobody)), "401 AUTH_KEY_UNREGISTERED");
}

}  // namespace
}  // namespace tgrpc::fakedc
