#include "service/cluster/forwarder.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "grpc/support/time.h"
#include "grpcpp/alarm.h"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/client_callback.h"
#include "grpcpp/support/string_ref.h"
#include "service/api/errors.h"

namespace tgrpc::service::cluster {
namespace {

using Metadata = std::multimap<grpc::string_ref, grpc::string_ref>;

std::string ToString(grpc::string_ref s) { return std::string(s.data(), s.size()); }

bool HasKey(const Metadata& metadata, absl::string_view key) {
  return metadata.find(grpc::string_ref(key.data(), key.size())) != metadata.end();
}

}  // namespace

bool IsTransportHeader(absl::string_view key) {
  if (key.empty() || key.front() == ':') return true;
  if (key == "te" || key == "content-type" || key == "user-agent" || key == "host") return true;
  if (absl::StartsWith(key, "grpc-")) return key != "grpc-trace-bin" && key != "grpc-tags-bin";
  return false;
}

bool IsNotOwnerAnswer(const grpc::Status& status, const grpc::ClientContext& context) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE &&
         HasKey(context.GetServerTrailingMetadata(), kNotOwnerMetadataKey);
}

// One call to a target. Its reactions go to the Call, which keeps all the state under its
// mutex. The Call owns it until the Call ends (there are at most max_attempts), so that the
// ClientContext, and the metadata the target sent into it, outlive the reactions.
class Forwarder::Attempt final
    : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  Attempt(Call* call, std::string replica, std::unique_ptr<grpc::ClientContext> context)
      : call_(call), replica_(std::move(replica)), context_(std::move(context)) {}

  grpc::ClientContext* context() const { return context_.get(); }
  const std::string& replica() const { return replica_; }

  void OnReadInitialMetadataDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnWritesDoneDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  Call* const call_;
  const std::string replica_;
  const std::unique_ptr<grpc::ClientContext> context_;
};

// One caller's call, from its first message to its status, across its attempts.
//
// Every reaction (the caller's, the target's, the backoff alarm's) changes the state under mu_
// and calls StepLocked, which decides from the state alone what to start next and marks it
// started; the operations themselves run after mu_ is released (Run), because gRPC may run a
// reaction inline from an operation. A reference count keeps the Call until the caller's call,
// every attempt and every alarm are done, plus one reference for each Run in progress.
class Forwarder::Call final : public grpc::ServerGenericBidiReactor {
 public:
  Call(Forwarder* forwarder, grpc::GenericCallbackServerContext* context)
      : forwarder_(forwarder), context_(context) {
    // The route depends on the first message.
    StartRead(&up_in_);
  }

  // The caller's side.
  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override { OnCallerWriteDone(ok); }
  void OnSendInitialMetadataDone(bool ok) override { OnCallerWriteDone(ok); }
  void OnCancel() override;
  void OnDone() override { Unref(); }

  // The target's side (from Attempt).
  void OnTargetMetadata();
  void OnTargetReadDone(bool ok);
  void OnTargetWriteDone(bool ok);
  void OnTargetDone(const grpc::Status& status);

 private:
  enum class Phase {
    kFirstRead,   // waiting for the caller's first message
    kRouting,     // the router is being asked
    kForwarding,  // an attempt is under way (or has just ended)
    kBackoff,     // waiting to ask the router again after a misroute
    kFinishing,   // the caller's status is decided
  };

  // What StepLocked decided to start.
  struct Actions {
    Attempt* attempt = nullptr;
    bool cancel_target = false;
    bool write_target = false;
    bool target_writes_done = false;
    bool read_target = false;
    int target_holds_released = 0;
    bool read_caller = false;
    bool send_caller_metadata = false;
    bool write_caller = false;
    bool finish = false;
    grpc::Status finish_status;
    std::string finish_replica;
    grpc::Alarm* backoff_alarm = nullptr;
    absl::Duration backoff;
    grpc::Alarm* cancel_alarm = nullptr;
    bool route = false;
    bool refresh = false;
  };

  void OnCallerWriteDone(bool ok);
  void OnBackoffDone(bool ok);
  // Asks the router (without mu_: it is the owner's code) and starts an attempt to its answer.
  void Route(bool refresh);
  void StartAttempt(RouteTarget target);

  Actions StepLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Starts what StepLocked decided, then drops the reference StepLocked took for it.
  void Run(const Actions& actions);
  void Unref();

  // Whether a "not the owner" answer of the current attempt could still be retried.
  bool RetryPossibleLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RelayLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void BackoffLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Puts the target's initial metadata into the caller's answer, once.
  void AddTargetHeadersLocked(const Attempt& from) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Forwarder* const forwarder_;
  grpc::GenericCallbackServerContext* const context_;

  // The first message, kept for the router and for a retry. Written in kFirstRead and cleared
  // in kForwarding once no retry is possible; Route reads it without mu_ in kRouting, when
  // neither happens.
  grpc::ByteBuffer first_;
  bool has_first_ ABSL_GUARDED_BY(mu_) = false;
  // The current attempt has yet to be sent first_ (before anything in up_pending_).
  bool replay_first_ ABSL_GUARDED_BY(mu_) = false;

  // Message buffers. gRPC fills the *_in_ ones and reads the *_out_ ones outside mu_, while the
  // operation that owns them is outstanding; the state below says which are in use.
  grpc::ByteBuffer up_in_, up_pending_, up_out_;        // caller -> target
  grpc::ByteBuffer down_in_, down_pending_, down_out_;  // target -> caller

  absl::Mutex mu_;
  int refs_ ABSL_GUARDED_BY(mu_) = 1;  // the caller's call's, dropped in OnDone
  Phase phase_ ABSL_GUARDED_BY(mu_) = Phase::kFirstRead;

  // The caller's side.
  bool caller_reading_ ABSL_GUARDED_BY(mu_) = true;
  bool caller_half_closed_ ABSL_GUARDED_BY(mu_) = false;
  int caller_messages_ ABSL_GUARDED_BY(mu_) = 0;
  bool up_has_pending_ ABSL_GUARDED_BY(mu_) = false;
  // A write, or the initial metadata, is outstanding (never both: the two race in gRPC).
  bool caller_writing_ ABSL_GUARDED_BY(mu_) = false;
  bool caller_write_is_message_ ABSL_GUARDED_BY(mu_) = false;
  bool down_has_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool caller_gone_ ABSL_GUARDED_BY(mu_) = false;  // cancelled, or a write to it failed
  bool headers_sent_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> final_status_ ABSL_GUARDED_BY(mu_);
  const Attempt* trailers_from_ ABSL_GUARDED_BY(mu_) = nullptr;

  // The current attempt (the last one once it is done) and the state of its reactions.
  Attempt* attempt_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool target_metadata_ ABSL_GUARDED_BY(mu_) = false;
  bool target_reading_ ABSL_GUARDED_BY(mu_) = false;
  bool target_read_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool target_writing_ ABSL_GUARDED_BY(mu_) = false;
  bool target_write_is_message_ ABSL_GUARDED_BY(mu_) = false;
  bool target_writes_done_ ABSL_GUARDED_BY(mu_) = false;
  bool target_write_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool target_cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool target_done_ ABSL_GUARDED_BY(mu_) = false;
  // Reads and writes on the target's call also start from the caller's reactions, outside the
  // target's own, so each flow holds the call open until it has nothing more to start.
  bool read_hold_ ABSL_GUARDED_BY(mu_) = false;
  bool write_hold_ ABSL_GUARDED_BY(mu_) = false;
  int responses_ ABSL_GUARDED_BY(mu_) = 0;

  std::vector<std::unique_ptr<Attempt>> attempts_ ABSL_GUARDED_BY(mu_);
  // Kept until the Call ends, so that OnCancel may cancel one that has just fired.
  std::vector<std::unique_ptr<grpc::Alarm>> alarms_ ABSL_GUARDED_BY(mu_);
  bool backoff_unset_ ABSL_GUARDED_BY(mu_) = false;  // the last alarm is for Run to set
};

void Forwarder::Attempt::OnReadInitialMetadataDone(bool /*ok*/) { call_->OnTargetMetadata(); }
void Forwarder::Attempt::OnReadDone(bool ok) { call_->OnTargetReadDone(ok); }
void Forwarder::Attempt::OnWriteDone(bool ok) { call_->OnTargetWriteDone(ok); }
void Forwarder::Attempt::OnWritesDoneDone(bool ok) { call_->OnTargetWriteDone(ok); }
// The Call may delete this attempt before returning; nothing may follow.
void Forwarder::Attempt::OnDone(const grpc::Status& status) { call_->OnTargetDone(status); }

void Forwarder::Call::OnReadDone(bool ok) {
  Actions actions;
  bool route = false;
  {
    absl::MutexLock lock(&mu_);
    caller_reading_ = false;
    if (ok) {
      ++caller_messages_;
    } else {
      caller_half_closed_ = true;
    }
    if (phase_ == Phase::kFirstRead) {
      if (ok) {
        first_.Swap(&up_in_);
        has_first_ = true;
      }
      if (caller_gone_) {
        FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the caller cancelled"));
      } else {
        phase_ = Phase::kRouting;
        route = true;
      }
    } else if (ok) {
      // Kept for the next attempt while a misroute is retried; dropped once the target has
      // stopped taking messages, as the call then ends with its status.
      const bool retrying = phase_ == Phase::kBackoff || phase_ == Phase::kRouting;
      if (retrying || (phase_ == Phase::kForwarding && !target_done_ && !target_write_closed_)) {
        up_pending_.Swap(&up_in_);
        up_has_pending_ = true;
      }
    }
    actions = StepLocked();
  }
  actions.route = route;
  Run(actions);
}

void Forwarder::Call::OnCallerWriteDone(bool ok) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    caller_writing_ = false;
    down_out_.Clear();
    if (!ok) caller_gone_ = true;
    actions = StepLocked();
  }
  Run(actions);
}

void Forwarder::Call::OnCancel() {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    caller_gone_ = true;
    actions = StepLocked();
    // A backoff ends now: OnBackoffDone finishes the call (if the alarm is not set yet, the
    // cancel does nothing and it does so when the alarm fires).
    if (phase_ == Phase::kBackoff) actions.cancel_alarm = alarms_.back().get();
  }
  Run(actions);
}

void Forwarder::Call::OnTargetMetadata() {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    target_metadata_ = true;
    actions = StepLocked();
  }
  Run(actions);
}

void Forwarder::Call::OnTargetReadDone(bool ok) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    target_reading_ = false;
    if (ok) {
      ++responses_;
      if (!caller_gone_) {
        down_pending_.Swap(&down_in_);
        down_has_pending_ = true;
      }
    } else {
      target_read_closed_ = true;
    }
    actions = StepLocked();
  }
  Run(actions);
}

void Forwarder::Call::OnTargetWriteDone(bool ok) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    target_writing_ = false;
    up_out_.Clear();
    if (!ok) target_write_closed_ = true;
    actions = StepLocked();
  }
  Run(actions);
}

void Forwarder::Call::OnTargetDone(const grpc::Status& status) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    --refs_;  // the attempt's (Run's own is taken by StepLocked below)
    target_done_ = true;
    target_reading_ = false;
    target_writing_ = false;
    if (IsNotOwnerAnswer(status, *attempt_->context()) && RetryPossibleLocked()) {
      BackoffLocked();
    } else {
      RelayLocked(status);
    }
    actions = StepLocked();
  }
  Run(actions);
}

void Forwarder::Call::OnBackoffDone(bool ok) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    --refs_;  // the alarm's (Run's own is taken by StepLocked below)
    if (!ok || caller_gone_) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the caller cancelled"));
    } else {
      phase_ = Phase::kRouting;
    }
    actions = StepLocked();
    actions.route = phase_ == Phase::kRouting;
    actions.refresh = true;
  }
  Run(actions);
}

void Forwarder::Call::Route(bool refresh) {
  absl::StatusOr<RouteTarget> target =
      forwarder_->router_(context_->method(), context_, first_, refresh);
  if (target.ok() && target->channel == nullptr) {
    target = absl::InternalError("the router named no channel");
  }
  if (target.ok()) {
    StartAttempt(*std::move(target));
    return;
  }
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    FinishLocked(ToGrpcStatus(target.status()));
    actions = StepLocked();
  }
  Run(actions);
}

void Forwarder::Call::StartAttempt(RouteTarget target) {
  // A child of the caller's call: gRPC gives it the caller's deadline and cancels it with it.
  std::unique_ptr<grpc::ClientContext> client =
      grpc::ClientContext::FromCallbackServerContext(*context_);
  for (const auto& [key, value] : context_->client_metadata()) {
    if (!IsTransportHeader(absl::string_view(key.data(), key.size()))) {
      client->AddMetadata(ToString(key), ToString(value));
    }
  }
  auto owned = std::make_unique<Attempt>(this, std::move(target.replica), std::move(client));
  Attempt* attempt = owned.get();
  grpc::GenericStub(target.channel)
      .PrepareBidiStreamingCall(attempt->context(), context_->method(), grpc::StubOptions(),
                                attempt);
  attempt->AddMultipleHolds(2);  // the read flow's and the write flow's
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    attempts_.push_back(std::move(owned));
    attempt_ = attempt;
    ++refs_;  // dropped by OnTargetDone
    target_metadata_ = target_reading_ = target_read_closed_ = false;
    target_writing_ = target_write_is_message_ = target_writes_done_ = false;
    target_write_closed_ = target_cancelled_ = target_done_ = false;
    read_hold_ = write_hold_ = true;
    replay_first_ = has_first_;
    phase_ = Phase::kForwarding;
    actions = StepLocked();
  }
  attempt->StartCall();
  Run(actions);
}

bool Forwarder::Call::RetryPossibleLocked() const {
  return static_cast<int>(attempts_.size()) < forwarder_->options_.max_attempts &&
         responses_ == 0 && caller_messages_ <= 1 && !caller_gone_ && !headers_sent_ && !finished_;
}

void Forwarder::Call::RelayLocked(const grpc::Status& status) {
  final_status_ = status;
  trailers_from_ = attempt_;
  phase_ = Phase::kFinishing;
}

void Forwarder::Call::BackoffLocked() {
  phase_ = Phase::kBackoff;
  alarms_.push_back(std::make_unique<grpc::Alarm>());
  backoff_unset_ = true;
  ++refs_;  // dropped by OnBackoffDone
}

void Forwarder::Call::FinishLocked(grpc::Status status) {
  final_status_ = std::move(status);
  trailers_from_ = nullptr;
  phase_ = Phase::kFinishing;
}

void Forwarder::Call::AddTargetHeadersLocked(const Attempt& from) {
  if (headers_sent_) return;
  headers_sent_ = true;
  for (const auto& [key, value] : from.context()->GetServerInitialMetadata()) {
    if (!IsTransportHeader(absl::string_view(key.data(), key.size()))) {
      context_->AddInitialMetadata(ToString(key), ToString(value));
    }
  }
}

Forwarder::Call::Actions Forwarder::Call::StepLocked() {
  Actions a;
  ++refs_;  // Run's
  a.attempt = attempt_;
  const bool target_live = attempt_ != nullptr && !target_done_;
  if (target_live) {
    if (caller_gone_ && !target_cancelled_) {
      target_cancelled_ = true;
      a.cancel_target = true;
    }
    // Once the target has answered (its stream ended) or the caller is gone, nothing more goes
    // to the target.
    if (target_read_closed_ || caller_gone_) target_write_closed_ = true;
  }
  const bool retrying = phase_ == Phase::kBackoff || phase_ == Phase::kRouting;
  if (up_has_pending_ && (finished_ || (target_write_closed_ && !retrying))) {
    up_pending_.Clear();
    up_has_pending_ = false;
  }
  if (caller_gone_ && down_has_pending_) {
    down_pending_.Clear();
    down_has_pending_ = false;
  }

  // Caller -> target: write what was read ahead, or half-close after the caller did; read the
  // next message only when the read-ahead slot is free.
  if (phase_ == Phase::kForwarding && target_live && !target_writing_ && !target_write_closed_) {
    if (replay_first_) {
      up_out_ = first_;  // shares the slices
      replay_first_ = false;
      target_writing_ = target_write_is_message_ = true;
      a.write_target = true;
    } else if (up_has_pending_) {
      up_out_.Swap(&up_pending_);
      up_pending_.Clear();
      up_has_pending_ = false;
      target_writing_ = target_write_is_message_ = true;
      a.write_target = true;
    } else if (caller_half_closed_ && !target_writes_done_) {
      target_writes_done_ = target_writing_ = true;
      target_write_is_message_ = false;
      a.target_writes_done = true;
    }
  }
  if (phase_ == Phase::kForwarding && target_live && !target_write_closed_ && !caller_reading_ &&
      !caller_half_closed_ && !caller_gone_ && !up_has_pending_) {
    caller_reading_ = true;
    a.read_caller = true;
  }

  // Target -> caller, the same way. Reads wait for the target's initial metadata, so that it is
  // in hand when the first message goes to the caller.
  if (target_live && target_metadata_ && !target_reading_ && !target_read_closed_ &&
      !down_has_pending_ && !caller_gone_) {
    target_reading_ = true;
    a.read_target = true;
  }
  if (attempt_ != nullptr && write_hold_ && !target_writing_ &&
      (target_writes_done_ || target_write_closed_)) {
    write_hold_ = false;
    ++a.target_holds_released;
  }
  if (attempt_ != nullptr && read_hold_ && !target_reading_ &&
      (target_read_closed_ || caller_gone_)) {
    read_hold_ = false;
    ++a.target_holds_released;
  }
  if (!caller_writing_ && !finished_ && !caller_gone_) {
    if (down_has_pending_) {
      AddTargetHeadersLocked(*attempt_);
      down_out_.Swap(&down_pending_);
      down_pending_.Clear();
      down_has_pending_ = false;
      caller_writing_ = caller_write_is_message_ = true;
      a.write_caller = true;
    } else if (target_live && target_metadata_ && !headers_sent_ && !RetryPossibleLocked()) {
      // The target's headers are held back while a retry could still replace them; after
      // that, a caller waiting for them (a quiet server stream) need not wait for a message.
      AddTargetHeadersLocked(*attempt_);
      caller_writing_ = true;
      caller_write_is_message_ = false;
      a.send_caller_metadata = true;
    }
  }

  // The status, once everything before it has reached the caller.
  if (final_status_.has_value() && !finished_ && !caller_writing_ && !down_has_pending_) {
    if (trailers_from_ != nullptr) {
      AddTargetHeadersLocked(*trailers_from_);
      for (const auto& [key, value] : trailers_from_->context()->GetServerTrailingMetadata()) {
        if (!IsTransportHeader(absl::string_view(key.data(), key.size()))) {
          context_->AddTrailingMetadata(ToString(key), ToString(value));
        }
      }
    }
    finished_ = true;
    a.finish = true;
    a.finish_status = *final_status_;
    if (attempt_ != nullptr) a.finish_replica = attempt_->replica();
  }
  if (backoff_unset_) {
    backoff_unset_ = false;
    a.backoff_alarm = alarms_.back().get();
    const std::vector<absl::Duration>& backoff = forwarder_->options_.retry_backoff;
    if (!backoff.empty()) a.backoff = backoff[std::min(attempts_.size(), backoff.size()) - 1];
  }
  if (has_first_ && !replay_first_ && phase_ == Phase::kForwarding &&
      (caller_messages_ > 1 || responses_ > 0)) {
    first_.Clear();
    has_first_ = false;
  }

  const int up = (target_writing_ && target_write_is_message_ ? 1 : 0) + (up_has_pending_ ? 1 : 0);
  const int down =
      (caller_writing_ && caller_write_is_message_ ? 1 : 0) + (down_has_pending_ ? 1 : 0);
  forwarder_->NoteBuffered(std::max(up, down));
  return a;
}

void Forwarder::Call::Run(const Actions& a) {
  if (a.cancel_target) a.attempt->context()->TryCancel();
  if (a.cancel_alarm != nullptr) a.cancel_alarm->Cancel();
  if (a.write_target) a.attempt->StartWrite(&up_out_);
  if (a.target_writes_done) a.attempt->StartWritesDone();
  if (a.read_target) a.attempt->StartRead(&down_in_);
  for (int i = 0; i < a.target_holds_released; ++i) a.attempt->RemoveHold();
  if (a.read_caller) StartRead(&up_in_);
  if (a.send_caller_metadata) StartSendInitialMetadata();
  if (a.write_caller) StartWrite(&down_out_);
  if (a.finish) {
    if (forwarder_->options_.on_forward) {
      forwarder_->options_.on_forward(a.finish_replica, a.finish_status.error_code());
    }
    Finish(a.finish_status);
  }
  if (a.backoff_alarm != nullptr) {
    a.backoff_alarm->Set(
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                     gpr_time_from_micros(absl::ToInt64Microseconds(a.backoff), GPR_TIMESPAN)),
        [this](bool ok) { OnBackoffDone(ok); });
  }
  if (a.route) Route(a.refresh);
  Unref();
}

void Forwarder::Call::Unref() {
  bool last = false;
  {
    absl::MutexLock lock(&mu_);
    last = --refs_ == 0;
  }
  if (last) delete this;
}

Forwarder::Forwarder(Router router, ForwarderOptions options)
    : router_(std::move(router)), options_(std::move(options)) {}

grpc::ServerGenericBidiReactor* Forwarder::CreateReactor(
    grpc::GenericCallbackServerContext* context) {
  return new Call(this, context);
}

void Forwarder::NoteBuffered(int messages) {
  int seen = max_buffered_.load(std::memory_order_relaxed);
  while (messages > seen &&
         !max_buffered_.compare_exchange_weak(seen, messages, std::memory_order_relaxed)) {
  }
}

}  // namespace tgrpc::service::cluster
