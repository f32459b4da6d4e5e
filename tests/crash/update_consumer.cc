#include "tests/crash/update_consumer.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tgrpc::crash {

UpdateConsumer::UpdateConsumer(UpdateConsumerOptions options, const PortBoard* board,
                               std::vector<DeliveryAudit*> audits)
    : options_(std::move(options)), board_(board), audits_(std::move(audits)) {}

UpdateConsumer::~UpdateConsumer() { Stop(); }

void UpdateConsumer::Start() {
  stop_.store(false);
  thread_ = std::thread([this] { Run(); });
}

void UpdateConsumer::Stop() {
  stop_.store(true);
  {
    absl::MutexLock lock(&mutex_);
    if (stream_context_ != nullptr) stream_context_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

UpdateConsumer::Figures UpdateConsumer::figures() const {
  absl::MutexLock lock(&mutex_);
  return figures_;
}

std::unique_ptr<grpc::ClientContext> UpdateConsumer::Context(absl::Duration deadline) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", absl::StrCat("Bearer ", options_.bearer_token));
  if (deadline != absl::InfiniteDuration()) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  }
  return context;
}

void UpdateConsumer::Run() {
  std::mt19937_64 rng(options_.seed);
  while (!stop_.load()) {
    const int port = board_->port();
    if (port == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    Stream(port, rng);
  }
}

void UpdateConsumer::Stream(int port, std::mt19937_64& rng) {
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  std::unique_ptr<v1::UpdateService::Stub> stub = v1::UpdateService::NewStub(channel);

  // Where the stream will start: the committed positions, as tgrpcd has them (an
  // acknowledgment whose answer a kill cut off may have been committed or not).
  std::vector<int64_t> committed(options_.accounts.size(), -1);
  std::vector<int64_t> oldest(options_.accounts.size(), 0);
  for (size_t i = 0; i < options_.accounts.size(); ++i) {
    v1::GetUpdateStateRequest get;
    get.set_account(options_.accounts[i]);
    v1::UpdateLogState state;
    grpc::Status status = stub->GetUpdateState(Context(absl::Seconds(3)).get(), get, &state);
    if (!status.ok()) {
      {
        absl::MutexLock lock(&mutex_);
        ++figures_.state_failures;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      return;
    }
    for (const v1::ConsumerPosition& c : state.consumers()) {
      if (c.consumer() == options_.consumer) committed[i] = c.position();
    }
    oldest[i] = state.oldest_position();
  }
  v1::StreamUpdatesRequest request;
  for (const std::string& account : options_.accounts) request.add_accounts(account);
  request.set_consumer(options_.consumer);
  request.mutable_filter()->add_kinds("new_message");
  const int64_t interval_ns = absl::ToInt64Nanoseconds(options_.checkpoint_interval);
  request.mutable_checkpoint_interval()->set_seconds(interval_ns / 1'000'000'000);
  request.mutable_checkpoint_interval()->set_nanos(
      static_cast<int32_t>(interval_ns % 1'000'000'000));
  // An account without a commit would start now: everything from the beginning instead (what
  // the others had committed comes again, which the audits count as redelivered).
  const bool all_committed =
      std::all_of(committed.begin(), committed.end(), [](int64_t p) { return p >= 0; });
  if (!all_committed) request.set_oldest(true);

  std::unique_ptr<grpc::ClientContext> context = Context(absl::InfiniteDuration());
  {
    absl::MutexLock lock(&mutex_);
    if (stop_.load()) return;
    stream_context_ = context.get();
    ++figures_.streams;
  }
  std::vector<int> streams;
  for (size_t i = 0; i < audits_.size(); ++i) {
    streams.push_back(audits_[i]->BeginStream(all_committed ? committed[i] : oldest[i] - 1));
  }
  std::unique_ptr<grpc::ClientReader<v1::UpdateEvent>> reader =
      stub->StreamUpdates(context.get(), request);
  const auto draw_batch = [&] { return 1 + static_cast<int>(rng() % options_.max_batch); };
  int batch = 0;
  int batch_size = draw_batch();
  std::string token;
  std::string token_account;
  int64_t token_position = 0;
  std::string last_acked;
  v1::UpdateEvent event;
  while (reader->Read(&event)) {
    if (event.has_checkpoint()) {
      {
        absl::MutexLock lock(&mutex_);
        ++figures_.checkpoints;
      }
      // Idle: the batch so far, or the checkpoint's token (past the entries the filter dropped).
      if (batch > 0) {
        Ack(*stub, token, token_account, token_position);
        batch = 0;
        last_acked = token;
      } else if (event.resume_token() != last_acked) {
        Ack(*stub, event.resume_token(), "", -1);
        last_acked = event.resume_token();
      }
      continue;
    }
    if (!event.has_new_message() ||
        !absl::StartsWith(event.new_message().text(), options_.text_prefix)) {
      absl::MutexLock lock(&mutex_);
      ++figures_.ignored;
    } else {
      const v1::Message& m = event.new_message();
      const size_t i =
          std::find(options_.accounts.begin(), options_.accounts.end(), event.account()) -
          options_.accounts.begin();
      if (i < audits_.size()) {
        audits_[i]->OnMessage(streams[i], event.position(), m.text(), m.chat_id(), m.id());
      }
    }
    token = event.resume_token();
    token_account = event.account();
    token_position = event.position();
    if (++batch >= batch_size) {
      Ack(*stub, token, token_account, token_position);
      last_acked = token;
      batch = 0;
      batch_size = draw_batch();
    }
  }
  reader->Finish();
  absl::MutexLock lock(&mutex_);
  stream_context_ = nullptr;
  if (!stop_.load()) ++figures_.stream_errors;
}

void UpdateConsumer::Ack(v1::UpdateService::Stub& stub, const std::string& token,
                         const std::string& account, int64_t position) {
  v1::AckUpdatesRequest ack;
  ack.set_consumer(options_.consumer);
  ack.set_resume_token(token);
  v1::AckUpdatesResponse answer;
  grpc::Status status = stub.AckUpdates(Context(absl::Seconds(3)).get(), ack, &answer);
  absl::MutexLock lock(&mutex_);
  if (!status.ok()) {
    ++figures_.ack_failures;
    return;
  }
  ++figures_.acks;
  if (answer.positions_size() != static_cast<int>(options_.accounts.size())) {
    ++figures_.ack_mismatches;
    return;
  }
  for (const v1::ConsumerPosition& p : answer.positions()) {
    if (position >= 0 && p.account() == account && p.position() != position) {
      ++figures_.ack_mismatches;
    }
  }
}

}  // namespace tgrpc::crash
