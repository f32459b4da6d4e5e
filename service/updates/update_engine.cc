#include "service/updates/update_engine.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/telegram/peer_id.h"
#include "tl/runtime/object.h"

namespace tgrpc::service::updates {
namespace {

namespace api = tl::api;

UpdateStateRecord ToRecord(const UpdateState& s) {
  return UpdateStateRecord{s.pts, s.qts, s.seq, s.date, s.channel_pts};
}

UpdateState FromRecord(const UpdateStateRecord& r) {
  UpdateState s;
  s.pts = r.pts;
  s.qts = r.qts;
  s.seq = r.seq;
  s.date = r.date;
  s.channel_pts = r.channel_pts;
  return s;
}

void AddPeer(const api::Peer* peer, std::vector<int64_t>& out) {
  if (peer == nullptr) return;
  if (const auto* p = dynamic_cast<const api::peerUser*>(peer)) out.push_back(MarkUser(p->user_id));
  if (const auto* p = dynamic_cast<const api::peerChat*>(peer)) out.push_back(MarkChat(p->chat_id));
  if (const auto* p = dynamic_cast<const api::peerChannel*>(peer)) {
    out.push_back(MarkChannel(p->channel_id));
  }
}

void AddMessage(const api::Message* message, std::vector<int64_t>& out) {
  if (const auto* m = dynamic_cast<const api::message*>(message)) {
    AddPeer(m->peer_id.get(), out);
    AddPeer(m->from_id.get(), out);
    AddPeer(m->saved_peer_id.get(), out);
    if (m->via_bot_id.has_value()) out.push_back(MarkUser(*m->via_bot_id));
    if (const auto* fwd = dynamic_cast<const api::messageFwdHeader*>(m->fwd_from.get())) {
      AddPeer(fwd->from_id.get(), out);
    }
  } else if (const auto* m = dynamic_cast<const api::messageService*>(message)) {
    AddPeer(m->peer_id.get(), out);
    AddPeer(m->from_id.get(), out);
    if (const auto* a = dynamic_cast<const api::messageActionChatAddUser*>(m->action.get())) {
      for (int64_t id : a->users) out.push_back(MarkUser(id));
    } else if (const auto* a =
                   dynamic_cast<const api::messageActionChatDeleteUser*>(m->action.get())) {
      out.push_back(MarkUser(a->user_id));
    }
  }
}

// Keeps the users and chats of a batch that `update` names.
void PeersFor(const std::string& boxed, const std::map<int64_t, const std::string*>& by_id,
              UpdateLogEntry& entry) {
  absl::StatusOr<tl::Ptr<api::Update>> update = tl::Decode<api::Update>(boxed);
  if (!update.ok()) return;
  std::vector<int64_t> ids = PeersOfUpdate(**update);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (int64_t id : ids) {
    auto it = by_id.find(id);
    if (it == by_id.end()) continue;
    (id > 0 ? entry.users : entry.chats).push_back(*it->second);
  }
}

int64_t MarkedIdOfChat(const api::Chat& chat) {
  if (const auto* c = dynamic_cast<const api::chat*>(&chat)) return MarkChat(c->id);
  if (const auto* c = dynamic_cast<const api::chatForbidden*>(&chat)) return MarkChat(c->id);
  if (const auto* c = dynamic_cast<const api::chatEmpty*>(&chat)) return MarkChat(c->id);
  if (const auto* c = dynamic_cast<const api::channel*>(&chat)) return MarkChannel(c->id);
  if (const auto* c = dynamic_cast<const api::channelForbidden*>(&chat)) {
    return MarkChannel(c->id);
  }
  return 0;
}

int64_t IdOfUser(const api::User& user) {
  if (const auto* u = dynamic_cast<const api::user*>(&user)) return u->id;
  if (const auto* u = dynamic_cast<const api::userEmpty*>(&user)) return u->id;
  return 0;
}

}  // namespace

std::vector<int64_t> PeersOfUpdate(const api::Update& u) {
  std::vector<int64_t> out;
  if (const auto* x = dynamic_cast<const api::updateNewMessage*>(&u)) {
    AddMessage(x->message.get(), out);
  } else if (const auto* x = dynamic_cast<const api::updateNewChannelMessage*>(&u)) {
    AddMessage(x->message.get(), out);
  } else if (const auto* x = dynamic_cast<const api::updateEditMessage*>(&u)) {
    AddMessage(x->message.get(), out);
  } else if (const auto* x = dynamic_cast<const api::updateEditChannelMessage*>(&u)) {
    AddMessage(x->message.get(), out);
  } else if (const auto* x = dynamic_cast<const api::updateNewScheduledMessage*>(&u)) {
    AddMessage(x->message.get(), out);
  } else if (const auto* x = dynamic_cast<const api::updateUserName*>(&u)) {
    out.push_back(MarkUser(x->user_id));
  } else if (const auto* x = dynamic_cast<const api::updateUserStatus*>(&u)) {
    out.push_back(MarkUser(x->user_id));
  } else if (const auto* x = dynamic_cast<const api::updateUserPhone*>(&u)) {
    out.push_back(MarkUser(x->user_id));
  } else if (const auto* x = dynamic_cast<const api::updateUser*>(&u)) {
    out.push_back(MarkUser(x->user_id));
  } else if (const auto* x = dynamic_cast<const api::updateUserTyping*>(&u)) {
    out.push_back(MarkUser(x->user_id));
  } else if (const auto* x = dynamic_cast<const api::updateChatUserTyping*>(&u)) {
    out.push_back(MarkChat(x->chat_id));
    AddPeer(x->from_id.get(), out);
  } else if (const auto* x = dynamic_cast<const api::updateChannelUserTyping*>(&u)) {
    out.push_back(MarkChannel(x->channel_id));
    AddPeer(x->from_id.get(), out);
  } else if (const auto* x = dynamic_cast<const api::updateReadHistoryInbox*>(&u)) {
    AddPeer(x->peer.get(), out);
  } else if (const auto* x = dynamic_cast<const api::updateReadHistoryOutbox*>(&u)) {
    AddPeer(x->peer.get(), out);
  } else if (const auto* x = dynamic_cast<const api::updateReadChannelInbox*>(&u)) {
    out.push_back(MarkChannel(x->channel_id));
  } else if (const auto* x = dynamic_cast<const api::updateReadChannelOutbox*>(&u)) {
    out.push_back(MarkChannel(x->channel_id));
  } else if (const auto* x = dynamic_cast<const api::updateDeleteChannelMessages*>(&u)) {
    out.push_back(MarkChannel(x->channel_id));
  } else if (const auto* x = dynamic_cast<const api::updatePinnedMessages*>(&u)) {
    AddPeer(x->peer.get(), out);
  } else if (const auto* x = dynamic_cast<const api::updatePinnedChannelMessages*>(&u)) {
    out.push_back(MarkChannel(x->channel_id));
  } else if (const auto* x = dynamic_cast<const api::updateChannel*>(&u)) {
    out.push_back(MarkChannel(x->channel_id));
  } else if (const auto* x = dynamic_cast<const api::updateMessageReactions*>(&u)) {
    AddPeer(x->peer.get(), out);
  } else if (const auto* x = dynamic_cast<const api::updateChannelParticipant*>(&u)) {
    out.push_back(MarkChannel(x->channel_id));
    out.push_back(MarkUser(x->user_id));
    out.push_back(MarkUser(x->actor_id));
  } else if (const auto* x = dynamic_cast<const api::updateChatParticipant*>(&u)) {
    out.push_back(MarkChat(x->chat_id));
    out.push_back(MarkUser(x->user_id));
    out.push_back(MarkUser(x->actor_id));
  } else if (const auto* x = dynamic_cast<const api::updateChatParticipantAdd*>(&u)) {
    out.push_back(MarkChat(x->chat_id));
    out.push_back(MarkUser(x->user_id));
    out.push_back(MarkUser(x->inviter_id));
  } else if (const auto* x = dynamic_cast<const api::updateChatParticipantDelete*>(&u)) {
    out.push_back(MarkChat(x->chat_id));
    out.push_back(MarkUser(x->user_id));
  } else if (const auto* x = dynamic_cast<const api::updatePendingJoinRequests*>(&u)) {
    AddPeer(x->peer.get(), out);
    for (int64_t id : x->recent_requesters) out.push_back(MarkUser(id));
  } else if (const auto* x = dynamic_cast<const api::updateBotChatInviteRequester*>(&u)) {
    AddPeer(x->peer.get(), out);
    out.push_back(MarkUser(x->user_id));
  } else if (const auto* x = dynamic_cast<const api::updateChat*>(&u)) {
    out.push_back(MarkChat(x->chat_id));
  } else if (const auto* x = dynamic_cast<const api::updateBotCallbackQuery*>(&u)) {
    AddPeer(x->peer.get(), out);
    out.push_back(MarkUser(x->user_id));
  } else if (const auto* x = dynamic_cast<const api::updateInlineBotCallbackQuery*>(&u)) {
    out.push_back(MarkUser(x->user_id));
  } else if (const auto* x = dynamic_cast<const api::updateBotInlineQuery*>(&u)) {
    out.push_back(MarkUser(x->user_id));
  } else if (const auto* x = dynamic_cast<const api::updateChatParticipants*>(&u)) {
    if (const auto* p = dynamic_cast<const api::chatParticipants*>(x->participants.get())) {
      out.push_back(MarkChat(p->chat_id));
    }
  }
  return out;
}

absl::StatusOr<std::shared_ptr<UpdateEngine>> UpdateEngine::Create(asio::io_context& io,
                                                                   UpdateEngineOptions options) {
  if (options.storage == nullptr || !options.invoke) {
    return absl::InvalidArgumentError("an update engine needs storage and an invoke function");
  }
  absl::StatusOr<UpdateLogInfo> info = options.storage->GetUpdateLog(options.account);
  if (!info.ok()) return info.status();
  std::shared_ptr<UpdateEngine> engine(new UpdateEngine(io, std::move(options)));
  absl::MutexLock lock(&engine->mutex_);
  engine->head_ = info->head;
  engine->oldest_ = info->oldest;
  if (info->state.has_value()) engine->stored_state_ = FromRecord(*info->state);
  engine->queued_state_ = engine->stored_state_;
  return engine;
}

UpdateEngine::UpdateEngine(asio::io_context& io, UpdateEngineOptions options)
    : io_(io), options_(std::move(options)) {}

UpdateEngine::~UpdateEngine() = default;

void UpdateEngine::Start() {
  absl::MutexLock lock(&mutex_);
  if (started_ || stopped_) return;
  started_ = true;
  last_update_ = options_.clock();
  if (!stored_state_.has_value()) {
    Log("no update state yet: asking updates.getState");
    Call(*tl::Serialize(api::updates_getState()), "updates.getState",
         [](UpdateEngine& self, absl::StatusOr<std::string> answer) {
           self.OnState(std::move(answer));
         });
    return;
  }
  sequencer_ = std::make_unique<UpdateSequencer>(*stored_state_, options_.self_user_id);
  Apply(sequencer_->RequestDifference(options_.clock()));
}

void UpdateEngine::OnState(absl::StatusOr<std::string> answer) {
  absl::MutexLock lock(&mutex_);
  if (stopped_ || sequencer_ != nullptr) return;
  absl::StatusOr<tl::Ptr<api::updates_State>> state =
      answer.ok() ? tl::Decode<api::updates_State>(*answer)
                  : absl::StatusOr<tl::Ptr<api::updates_State>>(answer.status());
  const auto* s = state.ok() ? dynamic_cast<const api::updates_state*>(state->get()) : nullptr;
  if (s == nullptr) {
    Log(absl::StrCat("updates.getState failed (",
                     state.ok() ? "unexpected answer" : state.status().message(),
                     "): asking again"));
    started_ = false;
    auto timer = std::make_shared<asio::steady_timer>(io_);
    timer->expires_after(absl::ToChronoNanoseconds(options_.retry_delay));
    std::weak_ptr<UpdateEngine> weak = weak_from_this();
    timer->async_wait([weak, timer](const asio::error_code& error) {
      if (auto self = weak.lock(); self && !error) self->Start();
    });
    return;
  }
  UpdateState initial;
  initial.pts = s->pts;
  initial.qts = s->qts;
  initial.seq = s->seq;
  initial.date = s->date;
  absl::StatusOr<int64_t> head =
      options_.storage->AppendUpdates(options_.account, {}, ToRecord(initial));
  if (!head.ok()) Log(absl::StrCat("cannot store the update state: ", head.status().message()));
  stored_state_ = initial;
  queued_state_ = initial;
  sequencer_ = std::make_unique<UpdateSequencer>(initial, options_.self_user_id);
  Log(absl::StrCat("update state: pts ", s->pts, ", qts ", s->qts, ", seq ", s->seq));
  Apply(sequencer_->RequestDifference(options_.clock()));
}

void UpdateEngine::OnUpdates(const std::string& body) {
  absl::StatusOr<tl::Ptr<api::Updates>> updates = tl::Decode<api::Updates>(body);
  if (!updates.ok()) return;
  bool notify = false;
  {
    absl::MutexLock lock(&mutex_);
    if (sequencer_ == nullptr || stopped_) return;
    const int64_t before = head_;
    last_update_ = options_.clock();
    Apply(sequencer_->OnUpdates(**updates, options_.clock()));
    notify = head_ != before;
  }
  if (notify) Notify();
}

void UpdateEngine::CatchUp(absl::string_view reason) {
  absl::MutexLock lock(&mutex_);
  if (sequencer_ == nullptr || stopped_) return;
  Log(absl::StrCat("catching up (", reason, ")"));
  Apply(sequencer_->RequestDifference(options_.clock()));
}

void UpdateEngine::Stop() {
  absl::MutexLock lock(&mutex_);
  stopped_ = true;
  if (timer_) timer_->cancel();
}

void UpdateEngine::Apply(SequencerOutput out) {
  for (const PtsJump& jump : out.jumps) {
    ++stats_.jumps;
    Log(absl::StrCat("Telegram skipped ", jump.channel_id == 0 ? "the account's" : "a channel's",
                     " events from pts ", jump.from, " to ", jump.to, " (too long)"));
  }
  if (!out.accepted.empty() || !out.jumps.empty() || sequencer_->state() != queued_state_) {
    std::map<int64_t, const std::string*> by_id;
    std::vector<tl::Ptr<api::User>> users_decoded;
    for (const std::string& user : out.users) {
      absl::StatusOr<tl::Ptr<api::User>> u = tl::Decode<api::User>(user);
      if (u.ok()) by_id[MarkUser(IdOfUser(**u))] = &user;
    }
    for (const std::string& chat : out.chats) {
      absl::StatusOr<tl::Ptr<api::Chat>> c = tl::Decode<api::Chat>(chat);
      if (c.ok()) by_id[MarkedIdOfChat(**c)] = &chat;
    }
    const int64_t now_unix = absl::ToUnixSeconds(options_.clock());
    std::vector<UpdateLogEntry> entries;
    entries.reserve(out.accepted.size() + out.jumps.size());
    // A jump is an entry of its own (no update), so consumers learn what Telegram dropped.
    for (const PtsJump& jump : out.jumps) {
      UpdateLogEntry entry;
      entry.channel_id = jump.channel_id;
      entry.gap_from = jump.from;
      entry.gap_to = jump.to;
      entry.logged_at_unix = now_unix;
      entries.push_back(std::move(entry));
    }
    for (SequencedUpdate& accepted : out.accepted) {
      UpdateLogEntry entry;
      entry.date = accepted.date;
      entry.channel_id = accepted.channel_id;
      entry.logged_at_unix = now_unix;
      PeersFor(accepted.update, by_id, entry);
      entry.update = std::move(accepted.update);
      entries.push_back(std::move(entry));
    }
    const UpdateState state = sequencer_->state();
    queued_state_ = state;
    queue_.push_back(Batch{std::move(entries), state, static_cast<int64_t>(out.jumps.size())});
    if (!options_.run_log_write) {
      WriteQueued();
    } else if (!writing_) {
      writing_ = true;
      options_.run_log_write([weak = weak_from_this()] {
        if (auto self = weak.lock()) self->DrainQueue();
      });
    }
  }
  if (out.need_difference) AskDifference();
  for (int64_t channel : out.need_channel_difference) AskChannelDifference(channel);
  for (int64_t channel : out.need_channel_state) AskChannelState(channel);
  ArmTimer();
}

UpdateEngine::Batch UpdateEngine::TakeQueue() {
  Batch batch;
  batch.state = queue_.back().state;
  for (Batch& queued : queue_) {
    batch.jumps += queued.jumps;
    for (UpdateLogEntry& entry : queued.entries) batch.entries.push_back(std::move(entry));
  }
  queue_.clear();
  return batch;
}

void UpdateEngine::WriteQueued() {
  if (queue_.empty()) return;
  Batch batch = TakeQueue();
  Committed(batch, options_.storage->AppendUpdates(options_.account, batch.entries,
                                                   ToRecord(batch.state)));
}

void UpdateEngine::DrainQueue() {
  for (;;) {
    Batch batch;
    {
      absl::MutexLock lock(&mutex_);
      // A stopped engine still writes what it queued: the state it stores must cover it.
      if (queue_.empty()) {
        writing_ = false;
        return;
      }
      batch = TakeQueue();
    }
    // The write (and its fsync) runs under none of the engine's locks: pushes keep being
    // sequenced and queued meanwhile, and the next turn writes them all in one transaction.
    absl::StatusOr<int64_t> head =
        options_.storage->AppendUpdates(options_.account, batch.entries, ToRecord(batch.state));
    bool moved = false;
    {
      absl::MutexLock lock(&mutex_);
      const int64_t before = head_;
      Committed(batch, std::move(head));
      moved = head_ != before;
    }
    if (moved) Notify();
  }
}

void UpdateEngine::Committed(Batch& batch, absl::StatusOr<int64_t> head) {
  if (!head.ok()) {
    // Not logged: the state goes back to what storage has, what was queued after it is dropped
    // too, and the next catch-up fetches all of it again from Telegram.
    Log(absl::StrCat("cannot log ", batch.entries.size(), " updates: ", head.status().message()));
    sequencer_ = std::make_unique<UpdateSequencer>(stored_state_.value_or(UpdateState()),
                                                   options_.self_user_id);
    queue_.clear();
    queued_state_ = stored_state_;
    return;
  }
  stored_state_ = batch.state;
  int64_t position = *head - static_cast<int64_t>(batch.entries.size());
  for (UpdateLogEntry& entry : batch.entries) {
    entry.position = ++position;
    cache_.push_back(std::move(entry));
  }
  while (cache_.size() > options_.cache_events) cache_.pop_front();
  stats_.logged += batch.entries.size();
  ++stats_.writes;
  Count("logged", static_cast<int64_t>(batch.entries.size()));
  Count("gap", batch.jumps);
  if (oldest_ > head_ && !batch.entries.empty()) oldest_ = head_ + 1;
  head_ = *head;
  Trim();
}

void UpdateEngine::AskDifference() {
  const UpdateState& state = sequencer_->state();
  api::updates_getDifference request;
  request.pts = state.pts;
  request.date = state.date;
  request.qts = state.qts;
  ++stats_.differences;
  Count("difference", 1);
  Call(*tl::Serialize(request), "updates.getDifference",
       [](UpdateEngine& self, absl::StatusOr<std::string> answer) {
         self.OnDifference(std::move(answer));
       });
}

void UpdateEngine::Call(std::string body, std::string method,
                        std::function<void(UpdateEngine&, absl::StatusOr<std::string>)> then) {
  // Posted: the invoker may answer at once (on the caller's stack, under mutex_ here).
  std::weak_ptr<UpdateEngine> weak = weak_from_this();
  asio::post(io_, [weak, body = std::move(body), method = std::move(method),
                   then = std::move(then)]() mutable {
    auto self = weak.lock();
    if (!self) return;
    self->options_.invoke(std::move(body), std::move(method),
                          [weak, then = std::move(then)](absl::StatusOr<std::string> answer) {
                            if (auto self = weak.lock()) then(*self, std::move(answer));
                          });
  });
}

void UpdateEngine::OnDifference(absl::StatusOr<std::string> answer) {
  bool notify = false;
  {
    absl::MutexLock lock(&mutex_);
    if (sequencer_ == nullptr || stopped_) return;
    const int64_t before = head_;
    absl::StatusOr<tl::Ptr<api::updates_Difference>> difference =
        answer.ok() ? tl::Decode<api::updates_Difference>(*answer)
                    : absl::StatusOr<tl::Ptr<api::updates_Difference>>(answer.status());
    if (!difference.ok()) {
      Log(absl::StrCat("updates.getDifference failed: ", difference.status().message()));
      Apply(sequencer_->OnDifferenceFailed(options_.clock(), options_.retry_delay));
    } else {
      Apply(sequencer_->OnDifference(**difference, options_.clock()));
    }
    notify = head_ != before;
  }
  if (notify) Notify();
}

void UpdateEngine::AskChannelDifference(int64_t channel_id) {
  absl::StatusOr<tl::Ptr<api::InputChannel>> channel = options_.input_channel
                                                           ? options_.input_channel(channel_id)
                                                           : absl::NotFoundError("no peer cache");
  if (!channel.ok()) {
    Log(absl::StrCat("cannot ask channel ", channel_id,
                     "'s difference: ", channel.status().message()));
    Apply(sequencer_->OnChannelDifferenceFailed(channel_id, options_.clock(),
                                                options_.retry_delay * 30));
    return;
  }
  const auto& pts = sequencer_->state().channel_pts;
  auto it = pts.find(channel_id);
  api::updates_getChannelDifference request;
  request.channel = *std::move(channel);
  request.filter = std::make_unique<api::channelMessagesFilterEmpty>();
  request.pts = it == pts.end() ? 1 : it->second;
  request.limit = options_.channel_difference_limit;
  ++stats_.channel_differences;
  Count("channel_difference", 1);
  Call(*tl::Serialize(request), "updates.getChannelDifference",
       [channel_id](UpdateEngine& self, absl::StatusOr<std::string> answer) {
         self.OnChannelDifference(channel_id, std::move(answer));
       });
}

void UpdateEngine::AskChannelState(int64_t channel_id) {
  absl::StatusOr<tl::Ptr<api::InputChannel>> channel = options_.input_channel
                                                           ? options_.input_channel(channel_id)
                                                           : absl::NotFoundError("no peer cache");
  if (!channel.ok()) {
    Log(absl::StrCat("cannot ask channel ", channel_id, "'s pts: ", channel.status().message()));
    Apply(sequencer_->OnChannelStateFailed(channel_id, options_.clock()));
    return;
  }
  api::channels_getFullChannel request;
  request.channel = *std::move(channel);
  Count("channel_state", 1);
  Call(*tl::Serialize(request), "channels.getFullChannel",
       [channel_id](UpdateEngine& self, absl::StatusOr<std::string> answer) {
         self.OnChannelState(channel_id, std::move(answer));
       });
}

void UpdateEngine::OnChannelState(int64_t channel_id, absl::StatusOr<std::string> answer) {
  bool notify = false;
  {
    absl::MutexLock lock(&mutex_);
    if (sequencer_ == nullptr || stopped_) return;
    const int64_t before = head_;
    absl::StatusOr<tl::Ptr<api::messages_ChatFull>> full =
        answer.ok() ? tl::Decode<api::messages_ChatFull>(*answer)
                    : absl::StatusOr<tl::Ptr<api::messages_ChatFull>>(answer.status());
    const auto* chat_full =
        full.ok() ? dynamic_cast<const api::messages_chatFull*>(full->get()) : nullptr;
    const auto* channel_full =
        chat_full != nullptr ? dynamic_cast<const api::channelFull*>(chat_full->full_chat.get())
                             : nullptr;
    if (channel_full == nullptr) {
      Log(absl::StrCat("channel ", channel_id, ": its pts is unknown (",
                       full.ok() ? "not a channel's full info" : full.status().message(),
                       "): its next update is where it starts"));
      Apply(sequencer_->OnChannelStateFailed(channel_id, options_.clock()));
    } else {
      Apply(sequencer_->OnChannelState(channel_id, channel_full->pts, options_.clock()));
    }
    notify = head_ != before;
  }
  if (notify) Notify();
}

void UpdateEngine::OnChannelDifference(int64_t channel_id, absl::StatusOr<std::string> answer) {
  bool notify = false;
  {
    absl::MutexLock lock(&mutex_);
    if (sequencer_ == nullptr || stopped_) return;
    const int64_t before = head_;
    absl::StatusOr<tl::Ptr<api::updates_ChannelDifference>> difference =
        answer.ok() ? tl::Decode<api::updates_ChannelDifference>(*answer)
                    : absl::StatusOr<tl::Ptr<api::updates_ChannelDifference>>(answer.status());
    if (!difference.ok()) {
      Log(absl::StrCat("channel ", channel_id,
                       ": getChannelDifference failed: ", difference.status().message()));
      Apply(sequencer_->OnChannelDifferenceFailed(channel_id, options_.clock(),
                                                  options_.retry_delay));
    } else {
      Apply(sequencer_->OnChannelDifference(channel_id, **difference, options_.clock()));
    }
    notify = head_ != before;
  }
  if (notify) Notify();
}

void UpdateEngine::ArmTimer() {
  if (stopped_) return;
  const absl::Time now = options_.clock();
  absl::Time due = std::min(sequencer_->NextDeadline(), last_update_ + options_.silence_probe);
  if (!timer_) timer_ = std::make_unique<asio::steady_timer>(io_);
  timer_->expires_after(absl::ToChronoNanoseconds(std::max(due - now, absl::ZeroDuration())));
  std::weak_ptr<UpdateEngine> weak = weak_from_this();
  timer_->async_wait([weak](const asio::error_code& error) {
    if (error) return;
    if (auto self = weak.lock()) self->OnTimer();
  });
}

void UpdateEngine::OnTimer() {
  bool notify = false;
  {
    absl::MutexLock lock(&mutex_);
    if (sequencer_ == nullptr || stopped_) return;
    const int64_t before = head_;
    const absl::Time now = options_.clock();
    if (now >= last_update_ + options_.silence_probe) {
      last_update_ = now;
      Log("no update for a while: probing with getDifference");
      Apply(sequencer_->RequestDifference(now));
    } else {
      Apply(sequencer_->OnTick(now));
    }
    notify = head_ != before;
  }
  if (notify) Notify();
}

void UpdateEngine::Trim() {
  const absl::Time now = options_.clock();
  if (now - last_trim_ < absl::Minutes(1) &&
      head_ - oldest_ < options_.retention_events * 11 / 10) {
    return;
  }
  last_trim_ = now;
  const int64_t keep_from = std::max(oldest_, head_ - options_.retention_events + 1);
  const int64_t keep_after = absl::ToUnixSeconds(now - options_.retention_age);
  absl::StatusOr<int64_t> oldest =
      options_.storage->TrimUpdates(options_.account, keep_from, keep_after);
  if (!oldest.ok()) {
    Log(absl::StrCat("cannot trim the update log: ", oldest.status().message()));
    return;
  }
  oldest_ = *oldest;
  while (!cache_.empty() && cache_.front().position < oldest_) cache_.pop_front();
}

int64_t UpdateEngine::head() const {
  absl::MutexLock lock(&mutex_);
  return head_;
}

int64_t UpdateEngine::oldest() const {
  absl::MutexLock lock(&mutex_);
  return oldest_;
}

UpdateState UpdateEngine::state() const {
  absl::MutexLock lock(&mutex_);
  return sequencer_ != nullptr ? sequencer_->state() : stored_state_.value_or(UpdateState());
}

UpdateEngine::Stats UpdateEngine::stats() const {
  absl::MutexLock lock(&mutex_);
  return stats_;
}

absl::StatusOr<std::vector<UpdateLogEntry>> UpdateEngine::Read(int64_t after, size_t limit) {
  {
    absl::MutexLock lock(&mutex_);
    if (!cache_.empty() && after + 1 >= cache_.front().position) {
      std::vector<UpdateLogEntry> out;
      const size_t skip = static_cast<size_t>(after + 1 - cache_.front().position);
      for (size_t i = skip; i < cache_.size() && out.size() < limit; ++i) out.push_back(cache_[i]);
      return out;
    }
    if (after >= head_) return std::vector<UpdateLogEntry>();
  }
  return options_.storage->ReadUpdates(options_.account, after, limit);
}

uint64_t UpdateEngine::Watch(std::function<void()> changed) {
  absl::MutexLock lock(&watch_mutex_);
  const uint64_t id = next_watch_++;
  watchers_[id] = std::make_shared<std::function<void()>>(std::move(changed));
  return id;
}

void UpdateEngine::Unwatch(uint64_t id) {
  absl::MutexLock lock(&watch_mutex_);
  watchers_.erase(id);
}

void UpdateEngine::Notify() {
  std::vector<std::shared_ptr<std::function<void()>>> watchers;
  {
    absl::MutexLock lock(&watch_mutex_);
    for (const auto& [id, fn] : watchers_) watchers.push_back(fn);
  }
  for (const auto& fn : watchers) (*fn)();
}

void UpdateEngine::Log(absl::string_view message) const {
  if (options_.log) options_.log(message);
}

void UpdateEngine::Count(absl::string_view event, int64_t count) const {
  if (options_.on_event) options_.on_event(event, count);
}

}  // namespace tgrpc::service::updates
