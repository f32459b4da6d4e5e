// Cluster mode's StreamUpdates on the public port: one stream over accounts that different
// replicas serve. The Forwarder relays a call to one owner; a StreamUpdates may name up to 16
// accounts, and their owners may differ, so this service (registered for StreamUpdates only; its
// other methods stay with the Forwarder) opens one sub-stream per owner with that owner's
// accounts and merges what they send into the caller's stream. AckUpdates, whose token may
// name accounts of several owners too, goes to each owner with its accounts' positions.
//
// Resume tokens. A sub-stream's tokens cover its own accounts ({account: position}); the merged
// stream keeps the position delivered last of every account and gives each event a token of all
// of them, so a token from a merged stream resumes on any replica, whoever owns what by then. A
// resume_token start, and AckUpdates' token, are split the same way: each owner gets the
// positions of its accounts.
//
// Start. Each sub-stream is asked for an initial checkpoint (kInitialCheckpointMetadataKey), its
// starting positions, which the merger keeps and does not pass on: nothing reaches the caller
// until every owner has started, so the first token already covers every account, and an owner
// that answers "not the owner" (a lease that just moved) is retried like the Forwarder does, up
// to max_attempts, routing afresh. After that, a sub-stream that ends ends the merged stream with
// its status (UNAVAILABLE ACCOUNT_NOT_HERE after a handover: the caller resumes from its last
// token), and the others are cancelled.
//
// Order and memory. Each account's events come from one sub-stream, in its order; sub-streams
// interleave as their events arrive. Each sub-stream holds at most one event read ahead, and the
// next read starts only when that one has been written to the caller: a slow caller slows every
// owner's stream through gRPC's flow control, and the merger's memory is one event per owner.
#ifndef TGRPC_SERVICE_CLUSTER_UPDATE_MERGER_H_
#define TGRPC_SERVICE_CLUSTER_UPDATE_MERGER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "tgrpc/v1/update.grpc.pb.h"

namespace tgrpc::service::cluster {

// Some of a StreamUpdates request's accounts and the replica that serves them.
struct StreamRoute {
  std::shared_ptr<grpc::Channel> channel;
  std::string replica;  // for on_part_done
  // As the request names them ("accounts/{id}"), in its order.
  std::vector<std::string> accounts;
};

// Splits the request's accounts by owner. One route with every account when they cannot be
// split (a bad name, an unauthenticated call): its replica gives the error. refresh: a previous
// route answered "not the owner", so re-read ownership rather than trust a cache.
using StreamRouter = std::function<absl::StatusOr<std::vector<StreamRoute>>(
    grpc::CallbackServerContext* context, const v1::StreamUpdatesRequest& request, bool refresh)>;

struct UpdateMergerOptions {
  // Attempts per stream, the first included, while an owner answers "not the owner" before
  // every sub-stream has started.
  int max_attempts = 3;
  // The wait before the 2nd, 3rd, ... attempt; the last one repeats if there are more attempts.
  std::vector<absl::Duration> retry_backoff = {absl::Milliseconds(50), absl::Milliseconds(150),
                                               absl::Milliseconds(400)};
  // Called as each sub-stream ends, with its replica and code; for counters. Runs on a gRPC
  // thread: keep it quick.
  std::function<void(const std::string& replica, grpc::StatusCode code)> on_part_done;
};

class UpdateMerger final : public v1::UpdateService::WithGenericMethod_GetUpdateState<
                               v1::UpdateService::CallbackService> {
 public:
  explicit UpdateMerger(StreamRouter router, UpdateMergerOptions options = {});

  UpdateMerger(const UpdateMerger&) = delete;
  UpdateMerger& operator=(const UpdateMerger&) = delete;

  grpc::ServerWriteReactor<v1::UpdateEvent>* StreamUpdates(
      grpc::CallbackServerContext* context, const v1::StreamUpdatesRequest* request) override;
  // A merged stream's token names accounts of several owners: each owner commits its own.
  grpc::ServerUnaryReactor* AckUpdates(grpc::CallbackServerContext* context,
                                       const v1::AckUpdatesRequest* request,
                                       v1::AckUpdatesResponse* response) override;

 private:
  class Stream;
  class Part;
  class Ack;

  const StreamRouter router_;
  const UpdateMergerOptions options_;
};

}  // namespace tgrpc::service::cluster

#endif  // TGRPC_SERVICE_CLUSTER_UPDATE_MERGER_H_
