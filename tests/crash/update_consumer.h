// A named consumer of the update logs of one or more accounts (one StreamUpdates over all of them)
// in a tgrpcd that is killed and restarted: it reads new_message events (consumer set),
// acknowledges each batch with AckUpdates, and after every broken stream opens a new one wherever
// tgrpcd listens now, from the positions the consumer committed (asked with GetUpdateState first,
// so the audits know where the stream starts; while some account has no commit, every account
// from its oldest event). What it reads of each account goes to that account's DeliveryAudit.
#ifndef TGRPC_TESTS_CRASH_UPDATE_CONSUMER_H_
#define TGRPC_TESTS_CRASH_UPDATE_CONSUMER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "tests/crash/delivery_audit.h"
#include "tgrpc/v1/update.grpc.pb.h"

namespace tgrpc::crash {

// Where tgrpcd listens now: 0 while it is down. Set by whoever restarts it.
class PortBoard {
 public:
  void Set(int port) {
    absl::MutexLock lock(&mutex_);
    port_ = port;
  }
  int port() const {
    absl::MutexLock lock(&mutex_);
    return port_;
  }

 private:
  mutable absl::Mutex mutex_;
  int port_ ABSL_GUARDED_BY(mutex_) = 0;
};

struct UpdateConsumerOptions {
  std::vector<std::string> accounts;  // accounts/{id}, one or more
  std::string consumer;
  std::string bearer_token;
  // Only messages whose text starts with this are audited (keyed by their text).
  std::string text_prefix;
  // Batch sizes (acknowledged after each) are drawn from 1..max_batch.
  int max_batch = 32;
  uint64_t seed = 1;
  absl::Duration checkpoint_interval = absl::Milliseconds(300);
};

class UpdateConsumer {
 public:
  struct Figures {
    int streams = 0;
    int stream_errors = 0;   // streams that ended other than by Stop
    int state_failures = 0;  // GetUpdateState calls that failed (tgrpcd down or starting)
    int64_t acks = 0;
    int64_t ack_failures = 0;  // lost to kills
    int64_t checkpoints = 0;
    int64_t ignored = 0;  // events of other messages (setup, service messages)
    // AckUpdates answered a position other than the acknowledged event's.
    int64_t ack_mismatches = 0;
  };

  // audits[i] gets what options.accounts[i] receives.
  UpdateConsumer(UpdateConsumerOptions options, const PortBoard* board,
                 std::vector<DeliveryAudit*> audits);
  ~UpdateConsumer();  // stops

  void Start();
  void Stop();
  Figures figures() const;

 private:
  void Run();
  // One stream from open to end.
  void Stream(int port, std::mt19937_64& rng);
  // position >= 0: the acknowledged event's, of `account`; the answer must commit it.
  void Ack(v1::UpdateService::Stub& stub, const std::string& token, const std::string& account,
           int64_t position);
  std::unique_ptr<grpc::ClientContext> Context(absl::Duration deadline) const;

  const UpdateConsumerOptions options_;
  const PortBoard* const board_;
  const std::vector<DeliveryAudit*> audits_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable absl::Mutex mutex_;
  grpc::ClientContext* stream_context_ ABSL_GUARDED_BY(mutex_) = nullptr;
  Figures figures_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace tgrpc::crash

#endif  // TGRPC_TESTS_CRASH_UPDATE_CONSUMER_H_
