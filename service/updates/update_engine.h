// One account's updates, from Telegram to its durable log: every Updates object the invoker sees
// (pushed, or a call's result) goes through the UpdateSequencer, and what it accepts is appended
// to the log together with the new pts/qts/seq/date state in one transaction, before any reader
// is told. Gaps, updatesTooLong and the engine's own catch-ups (start, reconnect,
// new_session_created, silence) become updates.getDifference / getChannelDifference calls, one
// per box at a time. Readers read by position (a recent tail is kept in memory) and are told
// when the head moves.
//
// Thread-safe. Calls and timers run on the io_context given; watchers are called on its threads,
// under none of the engine's locks.
#ifndef TGRPC_SERVICE_UPDATES_UPDATE_ENGINE_H_
#define TGRPC_SERVICE_UPDATES_UPDATE_ENGINE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "asio.hpp"
#include "base/clock.h"
#include "service/storage/storage.h"
#include "service/updates/update_sequencer.h"
#include "tl/generated/api.h"

namespace tgrpc::service::updates {

struct UpdateEngineOptions {
  Storage* storage = nullptr;
  AccountKey account;
  int64_t self_user_id = 0;
  // Sends one boxed TL function (the account's invoker); `done` gets the boxed answer.
  std::function<void(std::string body, std::string method,
                     std::function<void(absl::StatusOr<std::string>)> done)>
      invoke;
  // inputChannel for a channel's difference (the peer cache); NotFound when never seen.
  std::function<absl::StatusOr<tl::Ptr<tl::api::InputChannel>>(int64_t channel_id)> input_channel;
  // For logs (never with message contents).
  std::function<void(absl::string_view message)> log;
  // For metrics: "logged" (entries appended), "difference", "channel_difference",
  // "channel_state" (calls asked), "gap" (ranges Telegram dropped), with how many.
  std::function<void(absl::string_view event, int64_t count)> on_event;
  base::Clock clock = base::SystemClock();
  // The log keeps at most this many events, none older than retention_age.
  int64_t retention_events = 100'000;
  absl::Duration retention_age = absl::Hours(24 * 7);
  // The most recent events kept in memory for readers.
  size_t cache_events = 4096;
  // Without any update for this long, a getDifference checks that nothing was missed (a stream
  // that went quiet is probed, not trusted).
  absl::Duration silence_probe = absl::Minutes(15);
  // A failed difference is asked again after this.
  absl::Duration retry_delay = absl::Seconds(2);
  // Set: log writes (and their fsync) run through it, off the caller's thread, and what arrives
  // while one runs goes into the next, in one transaction (group commit). Unset: each sequenced
  // batch is written at once, under the engine's lock (tests). It must run jobs one after
  // another or in parallel; the engine runs one write at a time.
  std::function<void(std::function<void()> job)> run_log_write;
  // getChannelDifference's limit (Telegram allows users 100).
  int32_t channel_difference_limit = 100;
};

class UpdateEngine : public std::enable_shared_from_this<UpdateEngine> {
 public:
  // Reads the stored state and head. Start() then catches up.
  static absl::StatusOr<std::shared_ptr<UpdateEngine>> Create(asio::io_context& io,
                                                              UpdateEngineOptions options);
  ~UpdateEngine();

  // Catches up: with no stored state, updates.getState first (a new account logs nothing from
  // before it), then getDifference in both cases (Telegram's getState may lag behind; the
  // difference is what counts).
  void Start();
  // An Updates object, boxed (pushed, or a call's result). Ignored until Start.
  void OnUpdates(const std::string& body);
  // Asks for the difference: after a reconnect or new_session_created.
  void CatchUp(absl::string_view reason);
  void Stop();

  // The newest position (0: none yet) and the oldest retained (head + 1 when empty).
  int64_t head() const;
  int64_t oldest() const;
  // Up to `limit` events after `after`, oldest first.
  absl::StatusOr<std::vector<UpdateLogEntry>> Read(int64_t after, size_t limit);
  // `changed` runs whenever the head moves. Returns an id for Unwatch.
  uint64_t Watch(std::function<void()> changed);
  void Unwatch(uint64_t id);
  UpdateState state() const;
  const UpdateEngineOptions& options() const { return options_; }
  // Updates logged, differences asked, gaps (pts jumps) Telegram reported: for metrics and tests.
  struct Stats {
    uint64_t logged = 0;
    uint64_t differences = 0;
    uint64_t channel_differences = 0;
    uint64_t jumps = 0;
    // Transactions that appended to the log (several batches each under load).
    uint64_t writes = 0;
  };
  Stats stats() const;

 private:
  UpdateEngine(asio::io_context& io, UpdateEngineOptions options);

  // Logs what `out` accepted and starts what it asks for. Under mutex_.
  void Apply(SequencerOutput out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Sequenced entries and the state after them, waiting for the log write.
  struct Batch {
    std::vector<UpdateLogEntry> entries;
    UpdateState state;
    int64_t jumps = 0;
  };
  // The queued batches as one (the last state).
  Batch TakeQueue() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Writes the queue now (no run_log_write).
  void WriteQueued() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Writes the queue until it is empty (on run_log_write).
  void DrainQueue();
  // After a write: positions, the tail cache, the head; or, if it failed, back to the stored
  // state.
  void Committed(Batch& batch, absl::StatusOr<int64_t> head) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void AskDifference() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Sends through options_.invoke from the io_context; `then` runs if the engine still lives.
  void Call(std::string body, std::string method,
            std::function<void(UpdateEngine&, absl::StatusOr<std::string>)> then);
  void AskChannelDifference(int64_t channel_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void OnDifference(absl::StatusOr<std::string> answer);
  void OnChannelDifference(int64_t channel_id, absl::StatusOr<std::string> answer);
  // A joined channel's pts, from channels.getFullChannel (need_channel_state).
  void AskChannelState(int64_t channel_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void OnChannelState(int64_t channel_id, absl::StatusOr<std::string> answer);
  void OnState(absl::StatusOr<std::string> answer);
  void ArmTimer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void OnTimer();
  void Trim() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Notify();
  void Log(absl::string_view message) const;
  void Count(absl::string_view event, int64_t count) const;

  asio::io_context& io_;
  const UpdateEngineOptions options_;

  mutable absl::Mutex mutex_;
  bool started_ ABSL_GUARDED_BY(mutex_) = false;
  bool stopped_ ABSL_GUARDED_BY(mutex_) = false;
  // Set once the state is known (stored, or from getState).
  std::unique_ptr<UpdateSequencer> sequencer_ ABSL_GUARDED_BY(mutex_);
  std::optional<UpdateState> stored_state_ ABSL_GUARDED_BY(mutex_);
  // The state after the last queued batch (stored_state_ when none waits).
  std::optional<UpdateState> queued_state_ ABSL_GUARDED_BY(mutex_);
  std::vector<Batch> queue_ ABSL_GUARDED_BY(mutex_);
  bool writing_ ABSL_GUARDED_BY(mutex_) = false;
  int64_t head_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t oldest_ ABSL_GUARDED_BY(mutex_) = 1;
  std::deque<UpdateLogEntry> cache_ ABSL_GUARDED_BY(mutex_);
  absl::Time last_update_ ABSL_GUARDED_BY(mutex_);
  absl::Time last_trim_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  std::unique_ptr<asio::steady_timer> timer_ ABSL_GUARDED_BY(mutex_);
  Stats stats_ ABSL_GUARDED_BY(mutex_);

  mutable absl::Mutex watch_mutex_;
  uint64_t next_watch_ ABSL_GUARDED_BY(watch_mutex_) = 1;
  std::map<uint64_t, std::shared_ptr<std::function<void()>>> watchers_
      ABSL_GUARDED_BY(watch_mutex_);
};

// The marked ids of the users and chats an update names (its message's chat, sender, forward
// origin and service action users; a user update's user; a chat update's chat), to keep with it
// in the log.
std::vector<int64_t> PeersOfUpdate(const tl::api::Update& update);

}  // namespace tgrpc::service::updates

#endif  // TGRPC_SERVICE_UPDATES_UPDATE_ENGINE_H_
