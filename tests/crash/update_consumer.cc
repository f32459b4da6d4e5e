#include "tests/crash/update_consumer.h"

#include <chrono>
#include <random>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tgrpc::crash {

UpdateConsumer::UpdateConsumer(UpdateConsumerOptions options, const PortBoard* board,
                               DeliveryAudit* audit)
    : options_(std::move(options)), board_(board), audit_(audit) {}

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

  // Where the stream will start: the committed position, as tgrpcd has it (an acknowledgment
  // whose answer a kill cut off may have been committed or not).
  v1::GetUpdateStateRequest get;
  get.set_account(options_.account);
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
  int64_t committed = -1;
  for (const v1::ConsumerPosition& c : state.consumers()) {
    if (c.consumer() == options_.consumer) committed = c.position();
  }
  v1::StreamUpdatesRequest request;
  request.add_accounts(options_.account);
  request.set_consumer(options_.consumer);
  request.mutable_filter()->add_kinds("new_message");
  const int64_t interval_ns = absl::ToInt64Nanoseconds(options_.checkpoint_interval);
  request.mutable_checkpoint_interval()->set_seconds(interval_ns / 1'000'000'000);
  request.mutable_checkpoint_interval()->set_nanos(
      static_cast<int32_t>(interval_ns % 1'000'000'000));
  int64_t start = committed;
  if (committed < 0) {
    request.set_oldest(true);  // nothing committed yet: from the beginning
    start = state.oldest_position() - 1;
  }

  std::unique_ptr<grpc::ClientContext> context = Context(absl::InfiniteDuration());
  {
    absl::MutexLock lock(&mutex_);
    if (stop_.load()) return;
    stream_context_ = context.get();
    ++figures_.streams;
  }
  const int stream = audit_->BeginStream(start);
  std::unique_ptr<grpc::ClientReader<v1::UpdateEvent>> reader =
      stub->StreamUpdates(context.get(), request);
  const auto draw_batch = [&] { return 1 + static_cast<int>(rng() % options_.max_batch); };
  int batch = 0;
  int batch_size = draw_batch();
  std::string token;
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
        Ack(*stub, token, token_position);
        batch = 0;
        last_acked = token;
      } else if (event.resume_token() != last_acked) {
        Ack(*stub, event.resume_token(), -1);
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
      audit_->OnMessage(stream, event.position(), m.text(), m.chat_id(), m.id());
    }
    token = event.resume_token();
    token_position = event.position();
    if (++batch >= batch_size) {
      Ack(*stub, token, token_position);
      last_acked = token;
      batch = 0;
      batch_size = draw_batch();
    }
  }
  status = reader->Finish();
  absl::MutexLock lock(&mutex_);
  stream_context_ = nullptr;
  if (!stop_.load()) ++figures_.stream_errors;
}

void UpdateConsumer::Ack(v1::UpdateService::Stub& stub, const std::string& token,
                         int64_t position) {
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
  if (position >= 0 &&
      (answer.positions_size() != 1 || answer.positions(0).position() != position)) {
    ++figures_.ack_mismatches;
  }
}

}  // namespace tgrpc::crash
