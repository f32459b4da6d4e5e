// Per-account ordering of Telegram updates (core.telegram.org/api/updates): the pts, qts and seq
// boxes of the account and one pts box per channel. Pure and I/O-free: updates, difference answers
// and the time go in; the updates to log, in order and each once, and the differences to ask for
// come out. The caller owns the network calls, the timer and the persistence of state().
#ifndef TGRPC_SERVICE_UPDATES_UPDATE_SEQUENCER_H_
#define TGRPC_SERVICE_UPDATES_UPDATE_SEQUENCER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tl/generated/api.h"

namespace tgrpc::service::updates {

// What getDifference / getChannelDifference need; persisted by the caller with the log.
struct UpdateState {
  int32_t pts = 0, qts = 0, seq = 0, date = 0;
  std::map<int64_t, int32_t> channel_pts;  // channel id (bare, positive) -> pts

  friend bool operator==(const UpdateState&, const UpdateState&) = default;
};

struct SequencedUpdate {
  // One boxed api::Update, ready to log. updateShortMessage / updateShortChatMessage arrive
  // expanded into updateNewMessage; a difference's new_messages arrive as updateNewMessage /
  // updateNewChannelMessage (and new_encrypted_messages as updateNewEncryptedMessage) with pts,
  // pts_count (qts) 0, since a difference gives no per-message pts.
  std::string update;
  int64_t channel_id = 0;  // the channel whose pts box ordered it, or 0
  int32_t date = 0;        // the container's date (or the message's), 0 if unknown
};

// A range of events Telegram will not give (differenceTooLong, channelDifferenceTooLong): the
// state jumped over (from, to], nothing was emitted for it. The caller reports it to consumers.
struct PtsJump {
  int64_t channel_id = 0;  // 0: the account's common pts
  int32_t from = 0, to = 0;

  friend bool operator==(const PtsJump&, const PtsJump&) = default;
};

struct SequencerOutput {
  std::vector<SequencedUpdate> accepted;  // in Telegram's order, each exactly once
  // Boxed api::User / api::Chat that came with the accepted updates (with their container or
  // difference), for the peer cache.
  std::vector<std::string> users, chats;
  bool need_difference = false;                  // call updates.getDifference(state()) now
  std::vector<int64_t> need_channel_difference;  // call getChannelDifference for these now
  // Channels the account joined (updateChannel) whose pts is unknown: ask it (its full info's
  // pts) and hand it to OnChannelState; their updates wait for it.
  std::vector<int64_t> need_channel_state;
  std::vector<PtsJump> jumps;
};

// Not thread-safe: one account's updates are sequenced on one strand.
//
// Requests: a need_difference (or a channel in need_channel_difference) is emitted once; the
// box then counts as "in flight" until the caller hands back the answer (OnDifference /
// OnChannelDifference) or reports the call's failure (On*DifferenceFailed). While a box is in
// flight nothing is applied to it: what arrives is kept and re-checked after the answer, so a
// caller never runs two differences for one box and never logs an event twice.
class UpdateSequencer {
 public:
  // `state` comes from storage or, for a new account, from updates.getState. `hold` is how long
  // a gap may wait to fill by itself before a difference is asked (Telegram suggests 0.5 s).
  // Past `max_held` updates waiting in one box (a gap, or a long difference), they are dropped
  // and refetched with a difference, so memory stays bounded.
  UpdateSequencer(UpdateState state, int64_t self_user_id,
                  absl::Duration hold = absl::Milliseconds(500), size_t max_held = 10000);
  ~UpdateSequencer();
  UpdateSequencer(const UpdateSequencer&) = delete;
  UpdateSequencer& operator=(const UpdateSequencer&) = delete;

  // Pushed updates or the Updates result of a call.
  SequencerOutput OnUpdates(const tl::api::Updates& updates, absl::Time now);
  SequencerOutput OnDifference(const tl::api::updates_Difference& d, absl::Time now);
  SequencerOutput OnChannelDifference(int64_t channel_id,
                                      const tl::api::updates_ChannelDifference& d, absl::Time now);
  // The call failed: the box is no longer in flight; it is asked again at `now + retry_after`
  // (see NextDeadline). Kept updates are re-checked now.
  SequencerOutput OnDifferenceFailed(absl::Time now, absl::Duration retry_after);
  SequencerOutput OnChannelDifferenceFailed(int64_t channel_id, absl::Time now,
                                            absl::Duration retry_after);
  // The pts of a channel in need_channel_state, or that it could not be had (its updates then
  // go through as the channel's first sight).
  SequencerOutput OnChannelState(int64_t channel_id, int32_t pts, absl::Time now);
  SequencerOutput OnChannelStateFailed(int64_t channel_id, absl::Time now);
  // The caller's own reasons to catch up (start, reconnect, new_session_created, silence).
  // Asked at once, or once more after the one in flight.
  SequencerOutput RequestDifference(absl::Time now);
  SequencerOutput RequestChannelDifference(int64_t channel_id, absl::Time now);
  // Holds that expired become need_difference / need_channel_difference. Every On* call also
  // does this, so the caller only has to call it at NextDeadline().
  SequencerOutput OnTick(absl::Time now);

  // InfiniteFuture if nothing is waiting (boxes in flight wait for their answer, not a time).
  absl::Time NextDeadline() const;
  // After everything accepted so far: what to persist with the accepted updates, and what
  // getDifference / getChannelDifference take. A channel without an entry is one whose pts is
  // not known yet: its difference starts from the channel's pts in its dialog (or pts 1, which
  // Telegram answers with channelDifferenceTooLong carrying the dialog).
  const UpdateState& state() const;
  bool difference_in_progress() const;
  bool channel_difference_in_progress(int64_t channel_id) const;
  // Updates kept for gaps or while a difference runs, over all boxes.
  size_t held_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// How an Update constructor is ordered (derived from the schema: constructors with pts and
// pts_count, channel ones with a channel_id or a channel message; qts ones). Exposed for tests
// and metrics.
enum class UpdateOrdering {
  kNone,            // applied as it comes (also unknown constructors)
  kCommonPts,       // the account's pts box
  kChannelPts,      // the pts box of its channel
  kQts,             // the account's qts box (moves qts by 1)
  kChannelTooLong,  // a signal to call getChannelDifference
};
UpdateOrdering OrderingOf(uint32_t update_constructor_id);

}  // namespace tgrpc::service::updates

#endif  // TGRPC_SERVICE_UPDATES_UPDATE_SEQUENCER_H_
