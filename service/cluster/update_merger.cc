#include "service/cluster/update_merger.h"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "grpc/support/time.h"
#include "grpcpp/alarm.h"
#include "grpcpp/client_context.h"
#include "service/api/common.h"
#include "service/api/errors.h"
#include "service/api/services.h"
#include "service/cluster/forwarder.h"

namespace tgrpc::service::cluster {
namespace {

// The caller's metadata (its authorization among it) for a call made on its behalf.
void CopyCallerMetadata(const grpc::CallbackServerContext& from, grpc::ClientContext* to) {
  for (const auto& [key, value] : from.client_metadata()) {
    if (!IsTransportHeader(absl::string_view(key.data(), key.size()))) {
      to->AddMetadata(std::string(key.data(), key.size()), std::string(value.data(), value.size()));
    }
  }
}

}  // namespace

// One owner's sub-stream. Its state lives in the Stream, under the Stream's mutex; the Stream
// owns it until the Stream ends, so that its context outlives its reactions.
class UpdateMerger::Part final : public grpc::ClientReadReactor<v1::UpdateEvent> {
 public:
  Part(Stream* stream, int attempt, StreamRoute route) : stream_(stream), attempt_(attempt) {
    replica_ = std::move(route.replica);
    channel_ = std::move(route.channel);
  }

  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

  Stream* const stream_;
  const int attempt_;
  std::string replica_;
  std::shared_ptr<grpc::Channel> channel_;
  std::vector<std::string> ids_;  // its accounts' bare ids
  std::unique_ptr<grpc::ClientContext> context_;
  v1::StreamUpdatesRequest request_;
  v1::UpdateEvent in_;  // filled by gRPC while reading_; then the event waiting to be written

  // Under the Stream's mutex.
  bool launched_ = false;  // its call started and its hold taken
  bool started_ = false;   // its initial checkpoint came
  bool reading_ = false;
  bool read_closed_ = false;
  bool has_event_ = false;
  bool hold_ = false;
  bool cancelled_ = false;
  bool done_ = false;
};

// The caller's stream across its attempts. Every reaction changes the state under mu_ and calls
// StepLocked, which decides what to start; the operations run after mu_ is released (Run), since
// gRPC may run a reaction inline from an operation. A reference count keeps the Stream until the
// caller's call, every part and every alarm are done, plus one for each Run in progress.
class UpdateMerger::Stream final : public grpc::ServerWriteReactor<v1::UpdateEvent> {
 public:
  Stream(UpdateMerger* merger, grpc::CallbackServerContext* context,
         const v1::StreamUpdatesRequest& request)
      : merger_(merger), context_(context), request_(request) {}

  void Begin() { Route(false); }

  void OnWriteDone(bool ok) override;
  void OnSendInitialMetadataDone(bool ok) override { OnWriteDone(ok); }
  void OnCancel() override;
  void OnDone() override { Unref(); }

  void OnPartRead(Part* part, bool ok);
  void OnPartDone(Part* part, const grpc::Status& status);

 private:
  enum class Phase { kStarting, kStreaming, kBackoff, kFinishing };

  struct Actions {
    std::vector<Part*> cancel;
    std::vector<Part*> read;
    std::vector<Part*> release;
    bool send_metadata = false;
    bool write = false;
    bool finish = false;
    grpc::Status finish_status;
    grpc::Alarm* cancel_alarm = nullptr;
    grpc::Alarm* backoff_alarm = nullptr;
    absl::Duration backoff;
  };

  // Asks the router, makes the parts' requests and starts them (without mu_).
  void Route(bool refresh);
  absl::StatusOr<std::vector<std::unique_ptr<Part>>> MakeParts(std::vector<StreamRoute> routes,
                                                               int attempt);
  void OnBackoffDone(bool ok);

  Actions StepLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run(const Actions& actions);
  void Unref();
  void FailLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves a part's waiting event to out_ with a token of every account.
  void TakeEventLocked(Part* part) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Current(const Part* part) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return part->attempt_ == attempt_;
  }

  UpdateMerger* const merger_;
  grpc::CallbackServerContext* const context_;
  const v1::StreamUpdatesRequest request_;

  absl::Mutex mu_;
  int refs_ ABSL_GUARDED_BY(mu_) = 1;  // the caller's call's, dropped in OnDone
  Phase phase_ ABSL_GUARDED_BY(mu_) = Phase::kStarting;
  // The parts of other attempts than attempt_ are stale; routed_ counts the attempts routed.
  int attempt_ ABSL_GUARDED_BY(mu_) = 0;
  int routed_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::unique_ptr<Part>> parts_ ABSL_GUARDED_BY(mu_);  // of every attempt
  std::vector<Part*> current_ ABSL_GUARDED_BY(mu_);
  size_t started_ ABSL_GUARDED_BY(mu_) = 0;
  // Whether tokens are rewritten: with one part they already cover every account.
  bool merging_ ABSL_GUARDED_BY(mu_) = false;
  // Account id -> the position delivered last, over every part.
  std::map<std::string, int64_t> positions_ ABSL_GUARDED_BY(mu_);
  std::deque<Part*> ready_ ABSL_GUARDED_BY(mu_);  // parts with an event to write, by arrival
  v1::UpdateEvent out_;                           // being written while writing_
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool metadata_sent_ ABSL_GUARDED_BY(mu_) = false;
  bool caller_gone_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> final_status_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<grpc::Alarm>> alarms_ ABSL_GUARDED_BY(mu_);
  bool backoff_unset_ ABSL_GUARDED_BY(mu_) = false;
};

void UpdateMerger::Part::OnReadDone(bool ok) { stream_->OnPartRead(this, ok); }
// The Stream may be deleted before this returns; nothing may follow.
void UpdateMerger::Part::OnDone(const grpc::Status& status) { stream_->OnPartDone(this, status); }

void UpdateMerger::Stream::Route(bool refresh) {
  absl::StatusOr<std::vector<StreamRoute>> routes = merger_->router_(context_, request_, refresh);
  int attempt = 0;
  {
    absl::MutexLock lock(&mu_);
    ++routed_;
    attempt = ++attempt_;
  }
  absl::StatusOr<std::vector<std::unique_ptr<Part>>> parts =
      routes.ok() ? MakeParts(*std::move(routes), attempt)
                  : absl::StatusOr<std::vector<std::unique_ptr<Part>>>(routes.status());
  Actions actions;
  std::vector<Part*> launch;
  {
    absl::MutexLock lock(&mu_);
    if (!parts.ok()) {
      FailLocked(ToGrpcStatus(parts.status()));
    } else if (final_status_.has_value()) {
      // The caller left while the router was asked: start nothing.
    } else {
      merging_ = parts->size() > 1;
      current_.clear();
      started_ = 0;
      phase_ = Phase::kStarting;
      for (std::unique_ptr<Part>& part : *parts) {
        current_.push_back(part.get());
        launch.push_back(part.get());
        parts_.push_back(std::move(part));
        ++refs_;  // dropped by the part's OnDone
      }
    }
    if (launch.empty()) actions = StepLocked();
  }
  if (launch.empty()) return Run(actions);
  // Outside mu_: a part's hold is taken before anything may release it (launched_ below).
  for (Part* part : launch) {
    v1::UpdateService::NewStub(part->channel_)
        ->async()
        ->StreamUpdates(part->context_.get(), &part->request_, part);
    part->AddHold();
    part->StartCall();
  }
  {
    absl::MutexLock lock(&mu_);
    for (Part* part : launch) part->launched_ = part->hold_ = true;
    actions = StepLocked();
  }
  Run(actions);
}

absl::StatusOr<std::vector<std::unique_ptr<UpdateMerger::Part>>> UpdateMerger::Stream::MakeParts(
    std::vector<StreamRoute> routes, int attempt) {
  if (routes.empty()) return absl::InternalError("the stream router named no replica");
  std::map<std::string, int64_t> token;
  if (routes.size() > 1 && request_.start_case() == v1::StreamUpdatesRequest::kResumeToken) {
    absl::StatusOr<std::map<std::string, int64_t>> parsed =
        ParseResumeToken(request_.resume_token(), "resume_token");
    if (!parsed.ok()) return parsed.status();
    token = *std::move(parsed);
  }
  std::vector<std::unique_ptr<Part>> parts;
  for (StreamRoute& route : routes) {
    if (route.channel == nullptr) return absl::InternalError("the stream router named no channel");
    std::vector<std::string> accounts = std::move(route.accounts);
    auto part = std::make_unique<Part>(this, attempt, std::move(route));
    part->request_ = request_;
    if (routes.size() > 1) {
      part->request_.clear_accounts();
      std::map<std::string, int64_t> own;
      for (const std::string& name : accounts) {
        absl::StatusOr<std::string> id = ParseAccountName(name, "accounts");
        if (!id.ok()) return id.status();
        part->ids_.push_back(*id);
        part->request_.add_accounts(name);
        if (request_.start_case() == v1::StreamUpdatesRequest::kResumeToken) {
          auto it = token.find(*id);
          if (it == token.end()) {
            return InvalidField("resume_token", absl::StrCat("has no position for ", name));
          }
          own[*id] = it->second;
        }
      }
      if (!own.empty()) part->request_.set_resume_token(MakeResumeToken(own));
    }
    part->context_ = grpc::ClientContext::FromCallbackServerContext(*context_);
    CopyCallerMetadata(*context_, part->context_.get());
    part->context_->AddMetadata(kInitialCheckpointMetadataKey, "1");
    parts.push_back(std::move(part));
  }
  return parts;
}

void UpdateMerger::Stream::OnPartRead(Part* part, bool ok) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    part->reading_ = false;
    if (!ok) {
      part->read_closed_ = true;
    } else if (Current(part) && !final_status_.has_value()) {
      if (!part->started_) {
        part->started_ = true;
        if (merging_) {
          absl::StatusOr<std::map<std::string, int64_t>> start =
              ParseResumeToken(part->in_.resume_token(), "resume_token");
          if (start.ok()) {
            for (const auto& [id, position] : *start) positions_[id] = position;
          } else {
            FailLocked(grpc::Status(grpc::StatusCode::INTERNAL,
                                    absl::StrCat("replica ", part->replica_,
                                                 " started a stream without a resume token")));
          }
        }
        // Its own checkpoint is not the caller's; anything else is an event to pass on.
        part->has_event_ = !part->in_.has_checkpoint();
        if (part->has_event_) ready_.push_back(part);
        if (++started_ == current_.size() && phase_ == Phase::kStarting) {
          phase_ = Phase::kStreaming;
        }
      } else {
        part->has_event_ = true;
        ready_.push_back(part);
      }
    }
    actions = StepLocked();
  }
  Run(actions);
}

void UpdateMerger::Stream::OnPartDone(Part* part, const grpc::Status& status) {
  if (merger_->options_.on_part_done)
    merger_->options_.on_part_done(part->replica_, status.error_code());
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    --refs_;  // the part's (Run's own is taken by StepLocked below)
    part->done_ = true;
    part->reading_ = false;
    part->read_closed_ = true;
    if (Current(part) && !final_status_.has_value()) {
      if (IsNotOwnerAnswer(status, *part->context_) && phase_ == Phase::kStarting &&
          routed_ < merger_->options_.max_attempts && !caller_gone_) {
        // A lease moved: the whole attempt starts again, routed afresh, after a backoff.
        phase_ = Phase::kBackoff;
        for (Part* other : current_) other->has_event_ = false;
        ready_.clear();
        current_.clear();
        alarms_.push_back(std::make_unique<grpc::Alarm>());
        backoff_unset_ = true;
        ++refs_;     // dropped by OnBackoffDone
        ++attempt_;  // this attempt's parts are stale now: StepLocked cancels them
      } else {
        FailLocked(status);
      }
    }
    actions = StepLocked();
  }
  Run(actions);
}

void UpdateMerger::Stream::OnBackoffDone(bool ok) {
  bool route = false;
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    --refs_;  // the alarm's
    if (!ok || caller_gone_) {
      FailLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the caller cancelled"));
    } else if (!final_status_.has_value()) {
      route = true;
      ++refs_;  // held while routing
    }
    actions = StepLocked();
  }
  Run(actions);
  if (route) {
    Route(true);
    Unref();
  }
}

void UpdateMerger::Stream::OnWriteDone(bool ok) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    out_.Clear();
    if (!ok) {
      caller_gone_ = true;
      FailLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the caller is gone"));
    }
    actions = StepLocked();
  }
  Run(actions);
}

void UpdateMerger::Stream::OnCancel() {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    caller_gone_ = true;
    // A backoff ends now: OnBackoffDone finishes the stream (if the alarm is not set yet, the
    // cancel does nothing and it does so when the alarm fires).
    const bool backoff = phase_ == Phase::kBackoff && !alarms_.empty();
    FailLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the caller cancelled"));
    actions = StepLocked();
    if (backoff) actions.cancel_alarm = alarms_.back().get();
  }
  Run(actions);
}

void UpdateMerger::Stream::FailLocked(grpc::Status status) {
  if (final_status_.has_value()) return;
  final_status_ = std::move(status);
  phase_ = Phase::kFinishing;
  for (Part* part : current_) part->has_event_ = false;
  ready_.clear();
}

void UpdateMerger::Stream::TakeEventLocked(Part* part) {
  out_.Swap(&part->in_);
  part->in_.Clear();
  part->has_event_ = false;
  if (!merging_) return;
  absl::StatusOr<std::map<std::string, int64_t>> positions =
      ParseResumeToken(out_.resume_token(), "resume_token");
  if (positions.ok()) {
    for (const auto& [id, position] : *positions) positions_[id] = position;
  }
  out_.set_resume_token(MakeResumeToken(positions_));
}

UpdateMerger::Stream::Actions UpdateMerger::Stream::StepLocked() {
  Actions a;
  ++refs_;  // Run's
  const bool ending = final_status_.has_value();
  for (Part* part : current_) {
    if (ending && part->launched_ && !part->done_ && !part->cancelled_) {
      part->cancelled_ = true;
      a.cancel.push_back(part);
    }
  }
  // Parts of earlier attempts go as soon as a retry begins.
  for (const std::unique_ptr<Part>& part : parts_) {
    if (!Current(part.get()) && part->launched_ && !part->done_ && !part->cancelled_) {
      part->cancelled_ = true;
      a.cancel.push_back(part.get());
    }
  }

  // The caller's side: initial metadata once streaming, then one event at a time.
  if (!writing_ && !finished_ && !caller_gone_ && !ending && phase_ == Phase::kStreaming) {
    if (!metadata_sent_) {
      metadata_sent_ = writing_ = true;
      a.send_metadata = true;
    } else if (!ready_.empty()) {
      Part* part = ready_.front();
      ready_.pop_front();
      TakeEventLocked(part);
      writing_ = true;
      a.write = true;
    }
  }
  // The parts' side: read the next event once the last one has left.
  for (Part* part : current_) {
    if (part->launched_ && !ending && !part->reading_ && !part->read_closed_ && !part->has_event_ &&
        !part->cancelled_ && phase_ != Phase::kBackoff) {
      part->reading_ = true;
      a.read.push_back(part);
    }
  }
  for (const std::unique_ptr<Part>& part : parts_) {
    if (part->hold_ && !part->reading_ &&
        (part->read_closed_ || part->cancelled_ || ending || !Current(part.get()))) {
      part->hold_ = false;
      a.release.push_back(part.get());
    }
  }

  if (final_status_.has_value() && !finished_ && !writing_) {
    finished_ = true;
    a.finish = true;
    a.finish_status = *final_status_;
  }
  if (backoff_unset_) {
    backoff_unset_ = false;
    a.backoff_alarm = alarms_.back().get();
    const std::vector<absl::Duration>& backoff = merger_->options_.retry_backoff;
    if (!backoff.empty()) {
      a.backoff = backoff[std::min<size_t>(static_cast<size_t>(routed_), backoff.size()) - 1];
    }
  }
  return a;
}

void UpdateMerger::Stream::Run(const Actions& a) {
  for (Part* part : a.cancel) part->context_->TryCancel();
  if (a.cancel_alarm != nullptr) a.cancel_alarm->Cancel();
  if (a.send_metadata) StartSendInitialMetadata();
  if (a.write) StartWrite(&out_);
  for (Part* part : a.read) part->StartRead(&part->in_);
  for (Part* part : a.release) part->RemoveHold();
  if (a.finish) Finish(a.finish_status);
  if (a.backoff_alarm != nullptr) {
    a.backoff_alarm->Set(
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                     gpr_time_from_micros(absl::ToInt64Microseconds(a.backoff), GPR_TIMESPAN)),
        [this](bool ok) { OnBackoffDone(ok); });
  }
  Unref();
}

void UpdateMerger::Stream::Unref() {
  bool last = false;
  {
    absl::MutexLock lock(&mu_);
    last = --refs_ == 0;
  }
  if (last) delete this;
}

// One AckUpdates: a call to each owner with its accounts' positions, all at once; the answer
// lists every account's committed position in the token's order. Acks only move a position
// forward, so when an owner answers "not the owner" the whole ack is sent again, routed afresh.
class UpdateMerger::Ack {
 public:
  Ack(UpdateMerger* merger, grpc::CallbackServerContext* context,
      const v1::AckUpdatesRequest& request, v1::AckUpdatesResponse* response)
      : merger_(merger), context_(context), request_(request), response_(response) {
    reactor_ = context->DefaultReactor();
  }

  grpc::ServerUnaryReactor* reactor() const { return reactor_; }

  // Deletes this Ack once the reactor is finished.
  void Send(bool refresh) {
    absl::StatusOr<std::map<std::string, int64_t>> token =
        ParseResumeToken(request_.resume_token(), "resume_token");
    v1::StreamUpdatesRequest accounts;  // what the router splits
    if (token.ok()) {
      for (const auto& [id, position] : *token)
        accounts.add_accounts(absl::StrCat("accounts/", id));
    }
    absl::StatusOr<std::vector<StreamRoute>> routes = merger_->router_(context_, accounts, refresh);
    if (!routes.ok() || routes->empty()) {
      return Done(ToGrpcStatus(routes.ok() ? absl::InternalError("no replica to ack to")
                                           : routes.status()));
    }
    ++sent_;
    calls_.clear();
    for (const StreamRoute& route : *routes) {
      auto call = std::make_unique<Call>();
      call->request.set_consumer(request_.consumer());
      call->request.set_resume_token(request_.resume_token());
      if (routes->size() > 1) {
        std::map<std::string, int64_t> own;
        for (const std::string& name : route.accounts) {
          absl::StatusOr<std::string> id = ParseAccountName(name, "resume_token");
          if (id.ok()) own[*id] = (*token)[*id];
        }
        call->request.set_resume_token(MakeResumeToken(own));
      }
      call->context = grpc::ClientContext::FromCallbackServerContext(*context_);
      CopyCallerMetadata(*context_, call->context.get());
      call->channel = route.channel;
      calls_.push_back(std::move(call));
    }
    pending_ = calls_.size();
    for (const std::unique_ptr<Call>& call : calls_) {
      Call* c = call.get();
      v1::UpdateService::NewStub(c->channel)
          ->async()
          ->AckUpdates(c->context.get(), &c->request, &c->response,
                       [this, c](grpc::Status status) { OnAnswer(c, std::move(status)); });
    }
  }

 private:
  struct Call {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<grpc::ClientContext> context;
    v1::AckUpdatesRequest request;
    v1::AckUpdatesResponse response;
    grpc::Status status;
  };

  void OnAnswer(Call* call, grpc::Status status) {
    call->status = std::move(status);
    {
      absl::MutexLock lock(&mu_);
      if (--pending_ != 0) return;
    }
    // Every owner has answered (the last answer's thread goes on alone).
    bool misrouted = false;
    const grpc::Status* failed = nullptr;
    for (const std::unique_ptr<Call>& c : calls_) {
      if (c->status.ok()) continue;
      misrouted |= IsNotOwnerAnswer(c->status, *c->context);
      if (failed == nullptr) failed = &c->status;
    }
    if (misrouted && sent_ < merger_->options_.max_attempts) {
      const std::vector<absl::Duration>& backoff = merger_->options_.retry_backoff;
      const absl::Duration wait =
          backoff.empty()
              ? absl::ZeroDuration()
              : backoff[std::min<size_t>(static_cast<size_t>(sent_), backoff.size()) - 1];
      alarms_.push_back(std::make_unique<grpc::Alarm>());
      alarms_.back()->Set(
          gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                       gpr_time_from_micros(absl::ToInt64Microseconds(wait), GPR_TIMESPAN)),
          [this](bool ok) {
            if (!ok) return Done(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
            Send(true);
          });
      return;
    }
    if (failed != nullptr) return Done(*failed);
    for (const std::unique_ptr<Call>& c : calls_) {
      for (const v1::ConsumerPosition& position : c->response.positions()) {
        *response_->add_positions() = position;
      }
    }
    Done(grpc::Status::OK);
  }

  void Done(const grpc::Status& status) {
    reactor_->Finish(status);
    delete this;
  }

  UpdateMerger* const merger_;
  grpc::CallbackServerContext* const context_;
  const v1::AckUpdatesRequest request_;
  v1::AckUpdatesResponse* const response_;
  grpc::ServerUnaryReactor* reactor_;
  std::vector<std::unique_ptr<Call>> calls_;
  int sent_ = 0;
  absl::Mutex mu_;
  size_t pending_ ABSL_GUARDED_BY(mu_) = 0;
  // One per retry, kept until the Ack ends (one may be firing when the next is set).
  std::vector<std::unique_ptr<grpc::Alarm>> alarms_;
};

UpdateMerger::UpdateMerger(StreamRouter router, UpdateMergerOptions options)
    : router_(std::move(router)), options_(std::move(options)) {}

grpc::ServerWriteReactor<v1::UpdateEvent>* UpdateMerger::StreamUpdates(
    grpc::CallbackServerContext* context, const v1::StreamUpdatesRequest* request) {
  auto* stream = new Stream(this, context, *request);
  stream->Begin();
  return stream;
}

grpc::ServerUnaryReactor* UpdateMerger::AckUpdates(grpc::CallbackServerContext* context,
                                                   const v1::AckUpdatesRequest* request,
                                                   v1::AckUpdatesResponse* response) {
  auto* ack = new Ack(this, context, *request, response);
  grpc::ServerUnaryReactor* reactor = ack->reactor();
  ack->Send(false);
  return reactor;
}

}  // namespace tgrpc::service::cluster
