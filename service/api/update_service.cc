// tgrpc.v1.UpdateService: streams read each account's update log (UpdateEngine) from a position,
// convert and filter its entries, and write one event at a time. A stream holds at most one read
// batch in memory: a consumer slower than Telegram is fed from the log as it catches up (the
// log's retention is the limit: a stream that falls behind it ends with OUT_OF_RANGE). Besides the
// logs, a stream watches its accounts' login and status and tells their changes (account_state
// events, live only); after a logout and a new sign-in it reads the new sign-in's engine.
#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "asio.hpp"
#include "google/protobuf/util/time_util.h"
#include "google/rpc/error_details.pb.h"
#include "service/api/common.h"
#include "service/api/errors.h"
#include "service/api/services.h"
#include "service/api/unparsed_request.h"
#include "service/api/update_events.h"
#include "service/updates/update_engine.h"

namespace tgrpc::service {
namespace {

using updates::UpdateEngine;

constexpr size_t kMaxAccounts = 16;
constexpr size_t kReadBatch = 64;
// A stream's read batch stops growing past this many bytes of events (one event may pass it).
constexpr size_t kMaxPendingBytes = 1 << 20;
constexpr absl::Duration kDefaultCheckpoint = absl::Seconds(10);

bool ValidConsumer(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

absl::Status Expired(absl::string_view account, int64_t position, int64_t oldest) {
  return ServiceError(absl::StatusCode::kOutOfRange, "RESUME_TOKEN_EXPIRED",
                      absl::StrCat("accounts/", account, ": position ", position,
                                   " is older than the oldest retained event (", oldest,
                                   "); start from `oldest` or `now`"));
}

// An event and its wire bytes, serialized once: streams filter on the event and write the bytes
// (a write refers to their slices, it does not copy them). Never changed once made.
struct SerializedEvent {
  v1::UpdateEvent event;
  grpc::ByteBuffer bytes;
  size_t size = 0;
};

std::shared_ptr<const SerializedEvent> Serialize(v1::UpdateEvent event) {
  auto out = std::make_shared<SerializedEvent>();
  out->event = std::move(event);
  bool own = false;
  // Only a message over 2 GiB fails to serialize; an event is far smaller.
  if (!grpc::SerializationTraits<v1::UpdateEvent>::Serialize(out->event, &out->bytes, &own).ok()) {
    out->bytes.Clear();
  }
  out->size = out->bytes.Length();
  return out;
}

// Converted (and serialized) events shared by the streams of one account: each log entry is
// converted and serialized once, not once per consumer. Keyed by engine and position (an engine's
// positions never change content); an entry also holds its engine weakly, so an engine made later
// at the same address misses.
class ConvertedEvents {
 public:
  static ConvertedEvents& Get() {
    static ConvertedEvents* const cache = new ConvertedEvents;
    return *cache;
  }
  std::shared_ptr<const SerializedEvent> Find(const std::shared_ptr<UpdateEngine>& engine,
                                              int64_t position) {
    absl::MutexLock lock(&mutex_);
    auto it = events_.find({engine.get(), position});
    if (it == events_.end() || it->second.engine.lock() != engine) return nullptr;
    return it->second.event;
  }
  void Put(const std::shared_ptr<UpdateEngine>& engine, int64_t position,
           std::shared_ptr<const SerializedEvent> event) {
    absl::MutexLock lock(&mutex_);
    const Key key{engine.get(), position};
    if (!events_.emplace(key, Entry{engine, std::move(event)}).second) return;
    order_.push_back(key);
    // Bounded: the oldest conversions go first (a stream far behind converts again).
    while (order_.size() > kMaxEvents) {
      events_.erase(order_.front());
      order_.pop_front();
    }
  }

 private:
  static constexpr size_t kMaxEvents = 4096;
  using Key = std::pair<const UpdateEngine*, int64_t>;
  struct Entry {
    std::weak_ptr<UpdateEngine> engine;
    std::shared_ptr<const SerializedEvent> event;
  };
  absl::Mutex mutex_;
  std::map<Key, Entry> events_ ABSL_GUARDED_BY(mutex_);
  std::deque<Key> order_ ABSL_GUARDED_BY(mutex_);
};

// At most this many account_state events wait for a slow stream (the oldest go first): they are
// rare, and the account's state now is what matters.
constexpr size_t kMaxLiveEvents = 64;

struct Source {
  std::shared_ptr<Account> account;
  std::shared_ptr<UpdateEngine> engine;
  uint64_t watch_id = 0;
  int login_watch_id = 0;
  int status_watch_id = 0;
  AccountView seen;
};

v1::Account::State StateOf(AccountState state) {
  switch (state) {
    case AccountState::kLoggedOut:
      return v1::Account::LOGGED_OUT;
    case AccountState::kLoginInProgress:
      return v1::Account::LOGIN_IN_PROGRESS;
    case AccountState::kSignedIn:
      return v1::Account::SIGNED_IN;
    case AccountState::kRevoked:
      return v1::Account::REVOKED;
  }
  return v1::Account::STATE_UNSPECIFIED;
}

class UpdateStreamer final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  UpdateStreamer(asio::io_context* io, std::vector<Source> sources,
                 std::map<std::string, int64_t> positions, v1::UpdateFilter filter,
                 std::vector<int64_t> chats, absl::Duration checkpoint, absl::Status error,
                 bool initial_checkpoint = false)
      : sources_(std::move(sources)),
        positions_(std::move(positions)),
        filter_(std::move(filter)),
        chats_(std::move(chats)),
        checkpoint_(checkpoint) {
    if (!error.ok()) {
      sources_.clear();
      Finish(ToGrpcStatus(error));
      return;
    }
    timer_ = std::make_unique<asio::steady_timer>(*io);
    absl::MutexLock lock(&mutex_);
    for (size_t i = 0; i < sources_.size(); ++i) {
      Source& source = sources_[i];
      WatchEngine(source);
      const AccountRecord record = source.account->record();
      source.seen = {StateOf(record.state), source.account->login_state().step(), record.home_dc};
      // Login watchers may be called on a stack holding the invoker's lock: go through the io
      // context. Status watchers are called there already.
      source.login_watch_id = source.account->Watch([link = link_, io, i](const v1::LoginState& s) {
        asio::post(*io, [link, i, s] {
          absl::MutexLock lock(&link->mutex);
          if (link->streamer == nullptr) return;
          absl::MutexLock inner(&link->streamer->mutex_);
          link->streamer->OnAccountChange(i, &s);
        });
      });
      source.status_watch_id = source.account->WatchStatus([link = link_, i] {
        absl::MutexLock lock(&link->mutex);
        if (link->streamer == nullptr) return;
        absl::MutexLock inner(&link->streamer->mutex_);
        link->streamer->OnAccountChange(i, nullptr);
      });
    }
    if (initial_checkpoint) {
      // Written first by Pump (as live events are), with the starting positions as its token.
      auto checkpoint = std::make_shared<v1::UpdateEvent>();
      checkpoint->mutable_checkpoint();
      *checkpoint->mutable_time() =
          google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(absl::Now()));
      live_.push_back(std::move(checkpoint));
    }
    last_write_ = absl::Now();
    ArmCheckpoint();
    Pump();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mutex_);
    writing_ = false;
    if (!ok || cancelled_) return Close(grpc::Status::CANCELLED);
    Pump();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mutex_);
    cancelled_ = true;
    if (!writing_) Close(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    // First: no watcher reaches this streamer (and changes sources_) any more.
    {
      absl::MutexLock lock(&link_->mutex);
      link_->streamer = nullptr;
    }
    for (Source& source : sources_) {
      if (source.watch_id != 0) source.engine->Unwatch(source.watch_id);
      if (source.login_watch_id != 0) source.account->Unwatch(source.login_watch_id);
      if (source.status_watch_id != 0) source.account->UnwatchStatus(source.status_watch_id);
    }
    {
      absl::MutexLock lock(&mutex_);
      if (timer_) timer_->cancel();
    }
    delete this;
  }

 private:
  struct Link {
    absl::Mutex mutex;
    UpdateStreamer* streamer ABSL_GUARDED_BY(mutex) = nullptr;
  };
  static std::shared_ptr<Link> MakeLink(UpdateStreamer* streamer) {
    auto link = std::make_shared<Link>();
    absl::MutexLock lock(&link->mutex);
    link->streamer = streamer;
    return link;
  }

  void Close(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (closed_) return;
    closed_ = true;
    if (timer_) timer_->cancel();
    Finish(status);
  }

  void WatchEngine(Source& source) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    source.watch_id = source.engine->Watch([link = link_] {
      absl::MutexLock lock(&link->mutex);
      if (link->streamer == nullptr) return;
      absl::MutexLock inner(&link->streamer->mutex_);
      link->streamer->Pump();
    });
  }

  // An account's login state (`login`, as its watchers were told) or status changed: its changes
  // become account_state events, and a new sign-in's engine replaces the old one.
  void OnAccountChange(size_t i, const v1::LoginState* login)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (closed_ || cancelled_) return;
    Source& source = sources_[i];
    const AccountRecord record = source.account->record();
    const AccountView now{StateOf(record.state), login ? login->step() : source.seen.login_step,
                          record.home_dc};
    const std::string reason =
        now.state == v1::Account::REVOKED ? RevokeReason(source.account->login_state()) : "";
    for (v1::AccountStateChange& change : AccountStateChanges(source.seen, now, reason)) {
      auto event = std::make_shared<v1::UpdateEvent>();
      *event->mutable_account_state() = std::move(change);
      if (!FilterPasses(filter_, chats_, *event)) continue;
      event->set_account(source.account->name());
      *event->mutable_time() =
          google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(absl::Now()));
      if (live_.size() == kMaxLiveEvents) live_.pop_front();
      live_.push_back(std::move(event));
    }
    if (now.state == v1::Account::SIGNED_IN) {
      // Signed in again after a logout: the engine the account started for it (the log and its
      // positions are the same).
      std::shared_ptr<UpdateEngine> engine = source.account->update_engine();
      if (engine != nullptr && engine != source.engine) {
        source.engine->Unwatch(source.watch_id);
        source.engine = std::move(engine);
        WatchEngine(source);
      }
    }
    Pump();
  }

  // Writes the next event, reading more from the logs when none is waiting.
  void Pump() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (writing_ || closed_ || cancelled_) return;
    for (const Source& source : sources_) {
      // Handed over to another replica: the caller resumes there from its last token.
      if (source.account->stopped()) return Close(ToGrpcStatus(NoLongerServed(*source.account)));
    }
    if (next_pending_ == pending_.size() && !live_.empty()) {
      // Between read batches, so that its token (the positions read so far) covers only what
      // was written.
      std::shared_ptr<v1::UpdateEvent> event = std::move(live_.front());
      live_.pop_front();
      event->set_resume_token(MakeResumeToken(positions_));
      return Write(Serialize(std::move(*event)));
    }
    if (next_pending_ == pending_.size()) {
      pending_.clear();
      next_pending_ = 0;
      pending_bytes_ = 0;
      Fill();
    }
    if (closed_ || next_pending_ == pending_.size()) return;
    Write(std::move(pending_[next_pending_++]));
  }

  // gRPC's buffer hint (hold a write to send it with the next) is not used: a hinted write may
  // not complete until a later one, which here waits for it.
  void Write(std::shared_ptr<const SerializedEvent> event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    writing_ = true;
    last_write_ = absl::Now();
    writing_event_ = std::move(event);
    // gRPC copies the buffer, which only refers to the shared slices.
    StartWrite(&writing_event_->bytes);
  }

  // Reads one batch from the first source (round robin) that has events after its position:
  // at most kReadBatch events and about kMaxPendingBytes. Events another stream of the account
  // converted already come from the conversion cache, without reading (copying) the log.
  void Fill() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    for (size_t tried = 0; tried < sources_.size() && pending_.empty(); ++tried) {
      Source& source = sources_[next_source_];
      next_source_ = (next_source_ + 1) % sources_.size();
      const std::string& id = source.account->id();
      int64_t& position = positions_[id];
      // The log keeps moving while slow streams read: one that fell behind its retention ends.
      const int64_t oldest = source.engine->oldest();
      if (position + 1 < oldest) {
        return Close(ToGrpcStatus(Expired(id, position, oldest)));
      }
      const int64_t head = source.engine->head();
      if (position >= head) continue;
      size_t examined = 0;
      for (; examined < kReadBatch && position < head && pending_bytes_ < kMaxPendingBytes;
           ++examined) {
        std::shared_ptr<const SerializedEvent> cached =
            ConvertedEvents::Get().Find(source.engine, position + 1);
        if (cached == nullptr) break;
        position += 1;
        Take(std::move(cached));
      }
      if (examined == kReadBatch || position >= head || pending_bytes_ >= kMaxPendingBytes) {
        continue;
      }
      absl::StatusOr<std::vector<UpdateLogEntry>> entries =
          source.engine->Read(position, kReadBatch - examined);
      if (!entries.ok()) return Close(ToGrpcStatus(entries.status()));
      for (const UpdateLogEntry& entry : *entries) {
        if (pending_bytes_ >= kMaxPendingBytes) break;
        position = entry.position;
        std::shared_ptr<const SerializedEvent> converted =
            ConvertedEvents::Get().Find(source.engine, entry.position);
        if (converted == nullptr) {
          v1::UpdateEvent made;
          if (!ToEvent(source, entry, &made)) continue;
          // What every stream of this account sends: with one account its resume token is
          // the same for all of them too.
          made.set_account(source.account->name());
          made.set_position(entry.position);
          made.set_resume_token(MakeResumeToken({{id, entry.position}}));
          converted = Serialize(std::move(made));
          ConvertedEvents::Get().Put(source.engine, entry.position, converted);
        }
        Take(std::move(converted));
      }
    }
  }

  // Queues a log event that passes the filter (positions_ already past it).
  void Take(std::shared_ptr<const SerializedEvent> converted)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (!FilterPasses(filter_, chats_, converted->event)) return;
    pending_bytes_ += converted->size;
    if (sources_.size() == 1) {
      pending_.push_back(std::move(converted));
      return;
    }
    // Several accounts: the token names every account's position, this stream's own.
    v1::UpdateEvent event = converted->event;
    event.set_resume_token(MakeResumeToken(positions_));
    pending_.push_back(Serialize(std::move(event)));
  }

  bool ToEvent(const Source& source, const UpdateLogEntry& entry, v1::UpdateEvent* event) {
    const std::string& account = source.account->id();
    if (entry.update.empty()) {
      v1::HistoryGap* gap = event->mutable_history_gap();
      if (entry.channel_id != 0) {
        gap->set_chat(absl::StrCat("accounts/", account, "/chats/",
                                   -(int64_t{1000000000000} + entry.channel_id)));
      }
      gap->set_pts_from(entry.gap_from);
      gap->set_pts_to(entry.gap_to);
      *event->mutable_time() =
          google::protobuf::util::TimeUtil::SecondsToTimestamp(entry.logged_at_unix);
      return true;
    }
    absl::Status converted =
        UpdateToEvent(entry.update, entry.users, entry.chats,
                      entry.date != 0 ? entry.date : entry.logged_at_unix, account, event);
    // A logged entry that no longer decodes is skipped, not fatal for the stream.
    return converted.ok();
  }

  void ArmCheckpoint() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (closed_ || !timer_) return;
    timer_->expires_after(absl::ToChronoNanoseconds(checkpoint_));
    timer_->async_wait([link = link_](const asio::error_code& error) {
      if (error) return;
      absl::MutexLock lock(&link->mutex);
      if (link->streamer == nullptr) return;
      absl::MutexLock inner(&link->streamer->mutex_);
      link->streamer->OnCheckpointTimer();
    });
  }

  void OnCheckpointTimer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (closed_ || cancelled_) return;
    if (!writing_ && next_pending_ == pending_.size() &&
        absl::Now() - last_write_ >= checkpoint_ * 0.9) {
      auto checkpoint = std::make_shared<v1::UpdateEvent>();
      checkpoint->mutable_checkpoint();
      checkpoint->set_resume_token(MakeResumeToken(positions_));
      *checkpoint->mutable_time() =
          google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(absl::Now()));
      Write(Serialize(std::move(*checkpoint)));
    }
    ArmCheckpoint();
  }

  // Fixed in size once made; each Source's engine, watch ids and view change under mutex_.
  std::vector<Source> sources_;
  // Account id -> the position delivered (or filtered out) last.
  std::map<std::string, int64_t> positions_ ABSL_GUARDED_BY(mutex_);
  const v1::UpdateFilter filter_;
  const std::vector<int64_t> chats_;
  const absl::Duration checkpoint_;
  std::shared_ptr<Link> link_ = MakeLink(this);
  absl::Mutex mutex_;
  std::unique_ptr<asio::steady_timer> timer_ ABSL_GUARDED_BY(mutex_);
  size_t next_source_ ABSL_GUARDED_BY(mutex_) = 0;
  // Read and converted, not yet written: pending_[next_pending_...]. Events are shared with the
  // conversion cache and the account's other streams (never changed once made).
  std::vector<std::shared_ptr<const SerializedEvent>> pending_ ABSL_GUARDED_BY(mutex_);
  size_t next_pending_ ABSL_GUARDED_BY(mutex_) = 0;
  size_t pending_bytes_ ABSL_GUARDED_BY(mutex_) = 0;
  // account_state events waiting to be written (this stream's own: their tokens differ).
  std::deque<std::shared_ptr<v1::UpdateEvent>> live_ ABSL_GUARDED_BY(mutex_);
  // The event gRPC is writing (kept alive until OnWriteDone).
  std::shared_ptr<const SerializedEvent> writing_event_ ABSL_GUARDED_BY(mutex_);
  absl::Time last_write_ ABSL_GUARDED_BY(mutex_);
  bool writing_ ABSL_GUARDED_BY(mutex_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mutex_) = false;
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;
};

// The account's update engine: FAILED_PRECONDITION until it signs in.
absl::StatusOr<std::shared_ptr<UpdateEngine>> EngineOf(const Account& account) {
  std::shared_ptr<UpdateEngine> engine = account.update_engine();
  if (engine == nullptr) {
    return ServiceError(absl::StatusCode::kFailedPrecondition, "ACCOUNT_NOT_SIGNED_IN",
                        absl::StrCat(account.name(), " has no updates until it signs in"));
  }
  return engine;
}

absl::StatusOr<int64_t> CommittedPosition(Storage& storage, const Account& account,
                                          const std::string& consumer) {
  absl::StatusOr<std::vector<ConsumerRecord>> consumers = storage.ListConsumers(account.key());
  if (!consumers.ok()) return consumers.status();
  for (const ConsumerRecord& c : *consumers) {
    if (c.consumer == consumer) return c.position;
  }
  return -1;
}

void FillConsumer(const Account& account, const ConsumerRecord& record, int64_t head,
                  v1::ConsumerPosition* out) {
  out->set_account(account.name());
  out->set_consumer(record.consumer);
  out->set_position(record.position);
  out->set_lag(std::max<int64_t>(0, head - record.position));
  *out->mutable_update_time() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(record.update_time_unix);
}

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* UpdateServiceImpl::StreamUpdates(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw_request) {
  asio::io_context* io = api_->accounts->env().io;
  auto fail = [&](absl::Status status) {
    return new UpdateStreamer(io, {}, {}, {}, {}, absl::ZeroDuration(), std::move(status));
  };
  // A raw method (services.h): the request is parsed here, from a copy (parsing consumes it).
  v1::StreamUpdatesRequest parsed;
  grpc::ByteBuffer request_bytes(*raw_request);
  if (!grpc::SerializationTraits<v1::StreamUpdatesRequest>::Deserialize(&request_bytes, &parsed)
           .ok()) {
    return fail(UnparsableRequest("/tgrpc.v1.UpdateService/StreamUpdates"));
  }
  const v1::StreamUpdatesRequest* request = &parsed;
  if (request->accounts().empty()) return fail(InvalidField("accounts", "at least one"));
  if (static_cast<size_t>(request->accounts_size()) > kMaxAccounts) {
    return fail(InvalidField("accounts", absl::StrCat("at most ", kMaxAccounts)));
  }
  if (!request->consumer().empty() && !ValidConsumer(request->consumer())) {
    return fail(InvalidField("consumer", "1-64 of [a-zA-Z0-9_.-]"));
  }
  for (const std::string& kind : request->filter().kinds()) {
    const auto& kinds = EventKinds();
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
      return fail(InvalidField("filter.kinds", absl::StrCat("no event kind \"", kind, "\"")));
    }
  }
  std::vector<int64_t> chats;
  for (const std::string& chat : request->filter().chats()) {
    const size_t slash = chat.rfind('/');
    int64_t id = 0;
    if (!absl::SimpleAtoi(slash == std::string::npos ? chat : chat.substr(slash + 1), &id) ||
        id == 0) {
      return fail(InvalidField("filter.chats", "a chat's name or marked id"));
    }
    chats.push_back(id);
  }
  absl::Duration checkpoint = kDefaultCheckpoint;
  if (request->has_checkpoint_interval()) {
    checkpoint = absl::Seconds(request->checkpoint_interval().seconds()) +
                 absl::Nanoseconds(request->checkpoint_interval().nanos());
    if (checkpoint < absl::Milliseconds(100) || checkpoint > absl::Hours(1)) {
      return fail(InvalidField("checkpoint_interval", "100 ms to 1 h"));
    }
  }
  std::map<std::string, int64_t> token;
  if (request->start_case() == v1::StreamUpdatesRequest::kResumeToken) {
    absl::StatusOr<std::map<std::string, int64_t>> parsed =
        ParseResumeToken(request->resume_token(), "resume_token");
    if (!parsed.ok()) return fail(parsed.status());
    token = *std::move(parsed);
  }

  std::vector<Source> sources;
  std::map<std::string, int64_t> positions;
  for (int i = 0; i < request->accounts_size(); ++i) {
    const std::string field = absl::StrCat("accounts[", i, "]");
    absl::StatusOr<std::shared_ptr<Account>> account =
        CallerAccount(*api_, *context, request->accounts(i), field);
    if (!account.ok()) return fail(account.status());
    if (positions.count((*account)->id()) != 0) return fail(InvalidField(field, "repeated"));
    absl::StatusOr<std::shared_ptr<UpdateEngine>> engine = EngineOf(**account);
    if (!engine.ok()) return fail(engine.status());
    const std::string& id = (*account)->id();
    const int64_t head = (*engine)->head();
    const int64_t oldest = (*engine)->oldest();
    int64_t position = head;
    switch (request->start_case()) {
      case v1::StreamUpdatesRequest::kResumeToken: {
        auto it = token.find(id);
        if (it == token.end()) {
          return fail(InvalidField("resume_token", absl::StrCat("has no position for ", field)));
        }
        position = it->second;
        if (position > head) {
          return fail(InvalidField("resume_token", "is ahead of the account's log"));
        }
        if (position + 1 < oldest) return fail(Expired(id, position, oldest));
        break;
      }
      case v1::StreamUpdatesRequest::kOldest:
        position = oldest - 1;
        break;
      case v1::StreamUpdatesRequest::kNow:
        break;
      default:
        if (!request->consumer().empty()) {
          absl::StatusOr<int64_t> committed =
              CommittedPosition(*api_->accounts->env().storage, **account, request->consumer());
          if (!committed.ok()) return fail(committed.status());
          if (*committed >= 0) {
            position = std::min(*committed, head);
            if (position + 1 < oldest) return fail(Expired(id, position, oldest));
          }
        }
        break;
    }
    positions[id] = position;
    sources.push_back(Source{*account, *engine, 0});
  }
  const bool initial_checkpoint =
      context->client_metadata().count(kInitialCheckpointMetadataKey) != 0;
  return new UpdateStreamer(io, std::move(sources), std::move(positions), request->filter(),
                            std::move(chats), checkpoint, absl::OkStatus(), initial_checkpoint);
}

grpc::ServerUnaryReactor* UpdateServiceImpl::AckUpdates(grpc::CallbackServerContext* context,
                                                        const v1::AckUpdatesRequest* request,
                                                        v1::AckUpdatesResponse* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
  if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
  if (!ValidConsumer(request->consumer())) {
    return Finish(reactor, InvalidField("consumer", "1-64 of [a-zA-Z0-9_.-]")), reactor;
  }
  absl::StatusOr<std::map<std::string, int64_t>> token =
      ParseResumeToken(request->resume_token(), "resume_token");
  if (!token.ok()) return Finish(reactor, token.status()), reactor;
  Storage& storage = *api_->accounts->env().storage;
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  for (const auto& [id, position] : *token) {
    absl::StatusOr<std::shared_ptr<Account>> account =
        CallerAccount(*api_, *context, absl::StrCat("accounts/", id), "resume_token");
    if (!account.ok()) return Finish(reactor, account.status()), reactor;
    std::shared_ptr<UpdateEngine> engine = (*account)->update_engine();
    const int64_t head = engine != nullptr ? engine->head() : 0;
    if (position > head) {
      return Finish(reactor, InvalidField("resume_token", "is ahead of the account's log")),
             reactor;
    }
    absl::StatusOr<ConsumerRecord> committed = storage.AdvanceConsumer(
        (*account)->key(), ConsumerRecord{request->consumer(), position, now});
    if (!committed.ok()) return Finish(reactor, committed.status()), reactor;
    FillConsumer(**account, *committed, head, response->add_positions());
  }
  Finish(reactor, absl::OkStatus());
  return reactor;
}

grpc::ServerUnaryReactor* UpdateServiceImpl::GetUpdateState(
    grpc::CallbackServerContext* context, const v1::GetUpdateStateRequest* request,
    v1::UpdateLogState* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> account =
      CallerAccount(*api_, *context, request->account(), "account");
  if (!account.ok()) return Finish(reactor, account.status()), reactor;
  absl::StatusOr<std::shared_ptr<UpdateEngine>> engine = EngineOf(**account);
  if (!engine.ok()) return Finish(reactor, engine.status()), reactor;
  const updates::UpdateEngineOptions& options = (*engine)->options();
  const int64_t head = (*engine)->head();
  response->set_account((*account)->name());
  response->set_head_position(head);
  response->set_oldest_position((*engine)->oldest());
  response->set_retention_events(options.retention_events);
  response->mutable_retention_age()->set_seconds(absl::ToInt64Seconds(options.retention_age));
  const updates::UpdateState state = (*engine)->state();
  response->set_pts(state.pts);
  response->set_qts(state.qts);
  response->set_seq(state.seq);
  *response->mutable_date() = google::protobuf::util::TimeUtil::SecondsToTimestamp(state.date);
  absl::StatusOr<std::vector<ConsumerRecord>> consumers =
      api_->accounts->env().storage->ListConsumers((*account)->key());
  if (!consumers.ok()) return Finish(reactor, consumers.status()), reactor;
  for (const ConsumerRecord& c : *consumers) {
    FillConsumer(**account, c, head, response->add_consumers());
  }
  Finish(reactor, absl::OkStatus());
  return reactor;
}

}  // namespace tgrpc::service
