#include "service/updates/update_sequencer.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

#include "service/updates/update_sequencer_items.h"

namespace tgrpc::service::updates {
namespace {

namespace api = tl::api;
using internal::Batch;
using internal::Item;
using internal::ItemKind;

enum class Check { kApply, kDuplicate, kGap };

// local + pts_count == pts applies; more means it was applied already; less leaves a gap. A
// negative pts_count (never sent by Telegram) counts as 0, so it cannot move pts backwards.
// 64-bit, so no input overflows.
int64_t PtsBefore(const Item& item) {
  return int64_t{item.pts} - std::max<int64_t>(item.pts_count, 0);
}

Check CheckPts(int32_t local, const Item& item) {
  const int64_t before = PtsBefore(item);
  if (before == local) return Check::kApply;
  if (before < local) return Check::kDuplicate;
  return Check::kGap;
}

struct Held {
  Item item;
  absl::Time deadline;
};

struct HeldBatch {
  Batch batch;
  absl::Time deadline;
};

// The difference call of one box: at most one in flight; `again` asks one more after it (its
// answer may predate what made us want it); a failed call is retried at retry_at.
struct Request {
  bool in_flight = false;
  bool again = false;
  absl::Time retry_at = absl::InfiniteFuture();
};

struct ChannelBox {
  Request request;
  std::vector<Held> held;      // waiting for a gap to fill
  std::vector<Item> deferred;  // arrived while the channel's difference (or its pts) was asked
  // Its pts is unknown and was asked for (need_channel_state): updates wait for it.
  bool state_pending = false;
};

// updateChannel#635b4c09 channel_id:long: the account joined (or sees a change of) a channel.
constexpr uint32_t kUpdateChannel = 0x635b4c09;

// The channel id of a boxed updateChannel, or 0.
int64_t UpdateChannelId(const std::string& boxed) {
  if (boxed.size() < 12) return 0;
  uint32_t id = 0;
  std::memcpy(&id, boxed.data(), 4);
  if (id != kUpdateChannel) return 0;
  int64_t channel = 0;
  std::memcpy(&channel, boxed.data() + 4, 8);
  return channel;
}

Batch Single(Item&& item) {
  Batch batch;
  batch.items.push_back(std::move(item));
  return batch;
}

// A failed call's retry time holds back new requests until then (it covers them).
bool WaitingForRetry(const Request& request, absl::Time now) {
  return request.retry_at != absl::InfiniteFuture() && request.retry_at > now;
}

absl::Time EarliestDeadline(const std::vector<Held>& held) {
  absl::Time t = absl::InfiniteFuture();
  for (const Held& h : held) t = std::min(t, h.deadline);
  return t;
}

// A failed call waits for its retry time; otherwise the earliest gap decides.
absl::Time BoxDeadline(const Request& request, absl::Time held_deadline) {
  if (request.in_flight) return absl::InfiniteFuture();
  if (request.retry_at != absl::InfiniteFuture()) return request.retry_at;
  return held_deadline;
}

}  // namespace

struct UpdateSequencer::Impl {
  UpdateState state;
  int64_t self_user_id = 0;
  absl::Duration hold;
  size_t max_held = 0;

  // The account's box: pts, qts and seq share one getDifference.
  Request common;
  std::vector<Held> held_pts, held_qts;
  std::vector<HeldBatch> held_seq;
  std::vector<Batch> deferred;  // arrived while getDifference ran
  std::map<int64_t, ChannelBox> channels;

  // The call being served.
  SequencerOutput out;
  absl::Time now;

  void Begin(absl::Time t) {
    out = SequencerOutput();
    now = t;
  }

  SequencerOutput End() {
    Expire();
    return std::exchange(out, SequencerOutput());
  }

  void Accept(Item& item) {
    // A channel the account has just joined: learn its pts now, before its first post, so a
    // first post that is lost is seen as a gap instead of taken as where the channel starts.
    if (const int64_t channel = UpdateChannelId(item.update.update); channel > 0) {
      LearnChannel(channel);
    }
    if (item.peers != nullptr && !item.peers->given) {
      item.peers->given = true;
      for (std::string& u : item.peers->users) out.users.push_back(std::move(u));
      for (std::string& c : item.peers->chats) out.chats.push_back(std::move(c));
    }
    out.accepted.push_back(std::move(item.update));
  }

  // ---- requests ----

  void RequestCommon() {
    if (common.in_flight) {
      common.again = true;
      return;
    }
    if (WaitingForRetry(common, now)) return;
    common = Request{.in_flight = true};
    out.need_difference = true;
  }

  void RequestChannel(int64_t channel_id) {
    ChannelBox& box = channels[channel_id];
    if (box.request.in_flight) {
      box.request.again = true;
      return;
    }
    if (WaitingForRetry(box.request, now)) return;
    box.request = Request{.in_flight = true};
    AskChannel(channel_id);
  }

  void AskChannel(int64_t channel_id) {
    std::vector<int64_t>& ids = out.need_channel_difference;
    if (std::find(ids.begin(), ids.end(), channel_id) == ids.end()) ids.push_back(channel_id);
  }

  void Expire() {
    absl::Time held = std::min(EarliestDeadline(held_pts), EarliestDeadline(held_qts));
    for (const HeldBatch& h : held_seq) held = std::min(held, h.deadline);
    if (BoxDeadline(common, held) <= now) RequestCommon();
    for (auto& [id, box] : channels) {
      if (BoxDeadline(box.request, EarliestDeadline(box.held)) <= now) RequestChannel(id);
    }
  }

  // ---- the common box ----

  size_t CommonHeld() const {
    return held_pts.size() + held_qts.size() + held_seq.size() + deferred.size();
  }

  // Past the bound, what waits is dropped and refetched: a difference from the current state
  // returns every pts / qts / seq event not applied yet.
  void LimitCommon() {
    if (CommonHeld() <= max_held) return;
    held_pts.clear();
    held_qts.clear();
    held_seq.clear();
    deferred.clear();
    RequestCommon();
  }

  void SubmitBatch(Batch batch) {
    // A channel's pts alone orders its updates, whatever the container's seq, so they go to
    // their box at once instead of waiting behind a seq gap or the account's difference.
    auto channel_end =
        std::stable_partition(batch.items.begin(), batch.items.end(),
                              [](const Item& item) { return item.kind == ItemKind::kChannelPts; });
    for (auto it = batch.items.begin(); it != channel_end; ++it) ArriveChannel(*it);
    batch.items.erase(batch.items.begin(), channel_end);
    if (batch.items.empty() && batch.seq == 0) return;
    if (common.in_flight) {
      deferred.push_back(std::move(batch));
      LimitCommon();
      return;
    }
    ProcessBatch(std::move(batch), /*drain=*/true);
  }

  void ProcessBatch(Batch batch, bool drain) {
    if (batch.seq == 0) {
      ApplyItems(batch.items, /*ordered_only=*/false);
      return;
    }
    const int64_t next = int64_t{state.seq} + 1;
    if (batch.seq_start > next) {
      held_seq.push_back(HeldBatch{std::move(batch), now + hold});
      LimitCommon();
      return;
    }
    if (batch.seq_start < next) {
      // Applied already; its pts / qts updates are still checked by their own counters.
      ApplyItems(batch.items, /*ordered_only=*/true);
      return;
    }
    ApplyItems(batch.items, /*ordered_only=*/false);
    state.seq = batch.seq;
    state.date = std::max(state.date, batch.date);
    if (drain) DrainSeq();
  }

  void DrainSeq() {
    while (!common.in_flight && !held_seq.empty()) {
      auto first = std::min_element(held_seq.begin(), held_seq.end(),
                                    [](const HeldBatch& a, const HeldBatch& b) {
                                      return a.batch.seq_start < b.batch.seq_start;
                                    });
      if (first->batch.seq_start > int64_t{state.seq} + 1) return;
      Batch batch = std::move(first->batch);
      held_seq.erase(first);
      ProcessBatch(std::move(batch), /*drain=*/false);
    }
  }

  void ApplyItems(std::vector<Item>& items, bool ordered_only) {
    for (Item& item : items) ApplyItem(item, ordered_only);
  }

  static bool Ordered(ItemKind kind) {
    return kind == ItemKind::kCommonPts || kind == ItemKind::kQts ||
           kind == ItemKind::kChannelPts || kind == ItemKind::kSentMessage;
  }

  void ApplyItem(Item& item, bool ordered_only) {
    if (ordered_only && !Ordered(item.kind)) return;
    const bool channel =
        item.kind == ItemKind::kChannelPts || item.kind == ItemKind::kChannelTooLong;
    if (!channel && common.in_flight) {
      // A difference started in the middle of a container (the held bound was passed).
      deferred.push_back(Single(std::move(item)));
      LimitCommon();
      return;
    }
    switch (item.kind) {
      case ItemKind::kPlain:
        Accept(item);
        break;
      case ItemKind::kCommonPts:
        if (ArrivePts(held_pts, state.pts, item)) LimitCommon();
        break;
      case ItemKind::kQts:
        if (ArrivePts(held_qts, state.qts, item)) LimitCommon();
        break;
      case ItemKind::kChannelPts:
        ArriveChannel(item);
        break;
      case ItemKind::kChannelTooLong:
        ChannelTooLong(item);
        break;
      case ItemKind::kSentMessage:
        // Not applied: its pts stays behind so the difference returns the whole message.
        if (CheckPts(state.pts, item) != Check::kDuplicate) RequestCommon();
        break;
      case ItemKind::kTooLong:
        RequestCommon();
        break;
    }
  }

  // One pts-like counter (common pts, qts, a channel's pts). True if the item was held.
  bool ArrivePts(std::vector<Held>& held, int32_t& local, Item& item) {
    switch (CheckPts(local, item)) {
      case Check::kApply:
        local = item.pts;
        Accept(item);
        DrainPts(held, local);
        return false;
      case Check::kDuplicate:
        return false;
      case Check::kGap:
        held.push_back(Held{std::move(item), now + hold});
        return true;
    }
    return false;
  }

  // Applies what the last update made contiguous, in pts order; drops what it covered.
  void DrainPts(std::vector<Held>& held, int32_t& local) {
    if (held.empty()) return;
    std::stable_sort(held.begin(), held.end(), [](const Held& a, const Held& b) {
      return PtsBefore(a.item) < PtsBefore(b.item);
    });
    size_t done = 0;
    for (; done < held.size(); ++done) {
      Item& item = held[done].item;
      const Check check = CheckPts(local, item);
      if (check == Check::kGap) break;
      if (check == Check::kApply) {
        local = item.pts;
        Accept(item);
      }
    }
    held.erase(held.begin(), held.begin() + static_cast<std::ptrdiff_t>(done));
  }

  // ---- channel boxes ----

  void LearnChannel(int64_t channel_id) {
    if (state.channel_pts.count(channel_id) != 0) return;
    ChannelBox& box = channels[channel_id];
    if (box.state_pending) return;
    box.state_pending = true;
    out.need_channel_state.push_back(channel_id);
  }

  // The channel's pts arrived (`pts` > 0) or could not be had (0): what waited goes through.
  void FinishChannelState(int64_t channel_id, int32_t pts) {
    ChannelBox& box = channels[channel_id];
    if (!box.state_pending) return;
    box.state_pending = false;
    if (pts > 0 && state.channel_pts.count(channel_id) == 0) {
      // Updates that waited for it may be in the pts Telegram gave (it was read after they were
      // sent): start before the earliest of them, so they apply instead of counting as seen.
      int64_t start = pts;
      for (const Item& item : box.deferred) start = std::min(start, PtsBefore(item));
      state.channel_pts[channel_id] = static_cast<int32_t>(std::max<int64_t>(start, 0));
    }
    if (box.request.in_flight) return;  // a difference runs: it refeeds them when done
    std::vector<Item> refeed = std::move(box.deferred);
    box.deferred.clear();
    std::stable_sort(refeed.begin(), refeed.end(),
                     [](const Item& a, const Item& b) { return PtsBefore(a) < PtsBefore(b); });
    for (Item& item : refeed) ArriveChannel(item);
  }

  void LimitChannel(int64_t channel_id, ChannelBox& box) {
    if (box.held.size() + box.deferred.size() <= max_held) return;
    box.held.clear();
    box.deferred.clear();
    RequestChannel(channel_id);
  }

  void ArriveChannel(Item& item) {
    const int64_t id = item.channel_id;
    ChannelBox& box = channels[id];
    if (box.request.in_flight) {
      box.deferred.push_back(std::move(item));
      LimitChannel(id, box);
      return;
    }
    auto local = state.channel_pts.find(id);
    if (local == state.channel_pts.end() && box.state_pending) {
      box.deferred.push_back(std::move(item));
      LimitChannel(id, box);
      return;
    }
    if (local == state.channel_pts.end()) {
      // First sight of a channel whose pts was never learned (it was joined while tgrpcd did not
      // watch, or its pts could not be had): nothing known to be missing, its pts starts here.
      state.channel_pts[id] = item.pts;
      Accept(item);
      return;
    }
    if (ArrivePts(box.held, local->second, item)) LimitChannel(id, box);
  }

  void ChannelTooLong(const Item& item) {
    auto local = state.channel_pts.find(item.channel_id);
    // With a pts we already reached, nothing is missing.
    if (item.has_pts && local != state.channel_pts.end() && local->second >= item.pts) return;
    RequestChannel(item.channel_id);
  }

  // ---- difference answers ----

  void ApplyCommonDifference(const std::vector<tl::Ptr<api::Message>>& messages,
                             const std::vector<tl::Ptr<api::EncryptedMessage>>& encrypted,
                             const std::vector<tl::Ptr<api::Update>>& other,
                             const std::vector<tl::Ptr<api::User>>& users,
                             const std::vector<tl::Ptr<api::Chat>>& chats,
                             const api::updates_State* new_state) {
    std::shared_ptr<internal::Peers> peers = internal::MakePeers(users, chats);
    const int32_t old_pts = state.pts, old_qts = state.qts;
    // Telegram's order: the new messages, then the other updates (which may refer to them).
    for (const tl::Ptr<api::Message>& m : messages) {
      if (m == nullptr) continue;
      if (std::optional<Item> item = internal::WrapNewMessage(*m, 0, peers)) Accept(*item);
    }
    for (const tl::Ptr<api::EncryptedMessage>& m : encrypted) {
      if (m == nullptr) continue;
      if (std::optional<Item> item = internal::WrapEncryptedMessage(*m, peers)) Accept(*item);
    }
    for (const tl::Ptr<api::Update>& u : other) {
      if (u == nullptr) continue;
      std::optional<Item> item = internal::MakeItem(*u, 0, peers);
      if (!item.has_value()) continue;
      // The difference covers (old, new] of the common counters as a whole (its new messages
      // carry no pts), so its pts / qts updates are only checked against what was applied.
      switch (item->kind) {
        case ItemKind::kCommonPts:
          if (item->pts > old_pts) Accept(*item);
          break;
        case ItemKind::kQts:
          if (item->pts > old_qts) Accept(*item);
          break;
        case ItemKind::kChannelPts:
          ArriveChannel(*item);
          break;
        case ItemKind::kChannelTooLong:
          ChannelTooLong(*item);
          break;
        default:
          Accept(*item);
          break;
      }
    }
    if (const auto* s = dynamic_cast<const api::updates_state*>(new_state)) {
      state.pts = s->pts;
      state.qts = s->qts;
      state.seq = s->seq;
      state.date = s->date;
    }
  }

  // The difference is complete (or failed, to be retried at retry_at): what waited is checked
  // again (what it covered drops out as a duplicate), in the order it came.
  void FinishCommon(absl::Time retry_at = absl::InfiniteFuture()) {
    const bool again = common.again;
    common = Request{.retry_at = retry_at};
    std::vector<Batch> refeed;
    for (Held& h : held_pts) refeed.push_back(Single(std::move(h.item)));
    for (Held& h : held_qts) refeed.push_back(Single(std::move(h.item)));
    std::stable_sort(held_seq.begin(), held_seq.end(), [](const HeldBatch& a, const HeldBatch& b) {
      return a.batch.seq_start < b.batch.seq_start;
    });
    for (HeldBatch& h : held_seq) refeed.push_back(std::move(h.batch));
    for (Batch& b : deferred) refeed.push_back(std::move(b));
    held_pts.clear();
    held_qts.clear();
    held_seq.clear();
    deferred.clear();
    for (Batch& b : refeed) SubmitBatch(std::move(b));
    // A request made by the refeed starts from the newest state and covers this one too.
    if (again && !common.in_flight) RequestCommon();
  }

  void SetChannelPts(int64_t channel_id, int32_t pts) {
    if (pts > 0) state.channel_pts[channel_id] = pts;
  }

  void ApplyChannelDifference(int64_t channel_id, const api::updates_channelDifference& d) {
    std::shared_ptr<internal::Peers> peers = internal::MakePeers(d.users, d.chats);
    auto known = state.channel_pts.find(channel_id);
    const std::optional<int32_t> old_pts =
        known == state.channel_pts.end() ? std::nullopt : std::optional<int32_t>(known->second);
    for (const tl::Ptr<api::Message>& m : d.new_messages) {
      if (m == nullptr) continue;
      if (std::optional<Item> item = internal::WrapNewMessage(*m, channel_id, peers)) {
        Accept(*item);
      }
    }
    for (const tl::Ptr<api::Update>& u : d.other_updates) {
      if (u == nullptr) continue;
      std::optional<Item> item = internal::MakeItem(*u, 0, peers);
      if (!item.has_value()) continue;
      const bool ours = item->channel_id == channel_id;
      if (item->kind == ItemKind::kPlain) {
        Accept(*item);
      } else if (ours && item->kind == ItemKind::kChannelPts) {
        if (!old_pts.has_value() || item->pts > *old_pts) Accept(*item);
      } else if (!ours) {
        ApplyItem(*item, /*ordered_only=*/false);  // another box: its own rules
      }
    }
    SetChannelPts(channel_id, d.pts);
  }

  void FinishChannel(int64_t channel_id, absl::Time retry_at = absl::InfiniteFuture()) {
    ChannelBox& box = channels[channel_id];
    const bool again = box.request.again;
    box.request = Request{.retry_at = retry_at};
    std::vector<Item> refeed;
    for (Held& h : box.held) refeed.push_back(std::move(h.item));
    for (Item& item : box.deferred) refeed.push_back(std::move(item));
    box.held.clear();
    box.deferred.clear();
    for (Item& item : refeed) ArriveChannel(item);
    if (again && !channels[channel_id].request.in_flight) RequestChannel(channel_id);
  }
};

UpdateSequencer::UpdateSequencer(UpdateState state, int64_t self_user_id, absl::Duration hold,
                                 size_t max_held)
    : impl_(std::make_unique<Impl>()) {
  impl_->state = std::move(state);
  impl_->self_user_id = self_user_id;
  impl_->hold = hold;
  impl_->max_held = std::max<size_t>(max_held, 1);
}

UpdateSequencer::~UpdateSequencer() = default;

SequencerOutput UpdateSequencer::OnUpdates(const api::Updates& updates, absl::Time now) {
  impl_->Begin(now);
  impl_->SubmitBatch(internal::MakeBatch(updates, impl_->self_user_id));
  return impl_->End();
}

SequencerOutput UpdateSequencer::OnDifference(const api::updates_Difference& d, absl::Time now) {
  Impl& s = *impl_;
  s.Begin(now);
  s.common.in_flight = true;  // also an answer the caller asked for on its own
  if (const auto* v = dynamic_cast<const api::updates_differenceEmpty*>(&d)) {
    s.state.date = v->date;
    s.state.seq = v->seq;
    s.FinishCommon();
  } else if (const auto* v = dynamic_cast<const api::updates_difference*>(&d)) {
    s.ApplyCommonDifference(v->new_messages, v->new_encrypted_messages, v->other_updates, v->users,
                            v->chats, v->state.get());
    s.FinishCommon();
  } else if (const auto* v = dynamic_cast<const api::updates_differenceSlice*>(&d)) {
    s.ApplyCommonDifference(v->new_messages, v->new_encrypted_messages, v->other_updates, v->users,
                            v->chats, v->intermediate_state.get());
    s.out.need_difference = true;  // the rest, from the intermediate state; still in flight
  } else if (const auto* v = dynamic_cast<const api::updates_differenceTooLong*>(&d)) {
    // Telegram will not give the events up to its pts: jump there, report the loss, and ask
    // again from the new pts for qts, seq, date and what came after.
    if (v->pts > s.state.pts) {
      s.out.jumps.push_back(PtsJump{.channel_id = 0, .from = s.state.pts, .to = v->pts});
      s.state.pts = v->pts;
    }
    s.out.need_difference = true;
  } else {
    s.FinishCommon();
  }
  return s.End();
}

SequencerOutput UpdateSequencer::OnChannelDifference(int64_t channel_id,
                                                     const api::updates_ChannelDifference& d,
                                                     absl::Time now) {
  Impl& s = *impl_;
  s.Begin(now);
  s.channels[channel_id].request.in_flight = true;
  bool final = true;
  if (const auto* v = dynamic_cast<const api::updates_channelDifferenceEmpty*>(&d)) {
    s.SetChannelPts(channel_id, v->pts);
    final = v->final;
  } else if (const auto* v = dynamic_cast<const api::updates_channelDifference*>(&d)) {
    s.ApplyChannelDifference(channel_id, *v);
    final = v->final;
  } else if (const auto* v = dynamic_cast<const api::updates_channelDifferenceTooLong*>(&d)) {
    const auto* dialog = dynamic_cast<const api::dialog*>(v->dialog.get());
    if (dialog != nullptr && dialog->pts.has_value() && *dialog->pts > 0) {
      auto known = s.state.channel_pts.find(channel_id);
      const int32_t from = known == s.state.channel_pts.end() ? 0 : known->second;
      if (*dialog->pts != from) {
        s.out.jumps.push_back(PtsJump{.channel_id = channel_id, .from = from, .to = *dialog->pts});
      }
      s.SetChannelPts(channel_id, *dialog->pts);
    }
    final = v->final;
  }
  if (final) {
    s.FinishChannel(channel_id);
  } else {
    s.AskChannel(channel_id);  // the rest; still in flight
  }
  return s.End();
}

SequencerOutput UpdateSequencer::OnDifferenceFailed(absl::Time now, absl::Duration retry_after) {
  Impl& s = *impl_;
  s.Begin(now);
  if (s.common.in_flight) s.FinishCommon(now + retry_after);
  return s.End();
}

SequencerOutput UpdateSequencer::OnChannelDifferenceFailed(int64_t channel_id, absl::Time now,
                                                           absl::Duration retry_after) {
  Impl& s = *impl_;
  s.Begin(now);
  auto box = s.channels.find(channel_id);
  if (box != s.channels.end() && box->second.request.in_flight) {
    s.FinishChannel(channel_id, now + retry_after);
  }
  return s.End();
}

SequencerOutput UpdateSequencer::RequestDifference(absl::Time now) {
  impl_->Begin(now);
  impl_->common.retry_at = absl::InfiniteFuture();  // the caller's call: no waiting
  impl_->RequestCommon();
  return impl_->End();
}

SequencerOutput UpdateSequencer::RequestChannelDifference(int64_t channel_id, absl::Time now) {
  impl_->Begin(now);
  impl_->channels[channel_id].request.retry_at = absl::InfiniteFuture();
  impl_->RequestChannel(channel_id);
  return impl_->End();
}

SequencerOutput UpdateSequencer::OnChannelState(int64_t channel_id, int32_t pts, absl::Time now) {
  impl_->Begin(now);
  impl_->FinishChannelState(channel_id, std::max(pts, 1));
  return impl_->End();
}

SequencerOutput UpdateSequencer::OnChannelStateFailed(int64_t channel_id, absl::Time now) {
  impl_->Begin(now);
  impl_->FinishChannelState(channel_id, 0);
  return impl_->End();
}

SequencerOutput UpdateSequencer::OnTick(absl::Time now) {
  impl_->Begin(now);
  return impl_->End();
}

absl::Time UpdateSequencer::NextDeadline() const {
  const Impl& s = *impl_;
  absl::Time held = std::min(EarliestDeadline(s.held_pts), EarliestDeadline(s.held_qts));
  for (const HeldBatch& h : s.held_seq) held = std::min(held, h.deadline);
  absl::Time t = BoxDeadline(s.common, held);
  for (const auto& [id, box] : s.channels) {
    t = std::min(t, BoxDeadline(box.request, EarliestDeadline(box.held)));
  }
  return t;
}

const UpdateState& UpdateSequencer::state() const { return impl_->state; }

bool UpdateSequencer::difference_in_progress() const { return impl_->common.in_flight; }

bool UpdateSequencer::channel_difference_in_progress(int64_t channel_id) const {
  auto box = impl_->channels.find(channel_id);
  return box != impl_->channels.end() && box->second.request.in_flight;
}

size_t UpdateSequencer::held_count() const {
  size_t n = impl_->CommonHeld();
  for (const auto& [id, box] : impl_->channels) n += box.held.size() + box.deferred.size();
  return n;
}

}  // namespace tgrpc::service::updates
