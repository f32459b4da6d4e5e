// The cluster's call forwarder: in cluster mode every replica accepts every call behind one
// Kubernetes Service, but only the replica that holds an account's lease may talk to Telegram as
// that account. Registered as the server's generic service, the Forwarder takes each call no
// registered service handles, asks a Router where it goes (from the method and the first request
// message, see account_of_request.h) and relays it there over gRPC: unary and streaming calls
// alike, as bytes, without knowing their types.
//
// Relaying. The generic API does not say how a method streams, so every call is treated as
// bidirectional: the caller's messages go to the target as they come and the target's to the
// caller, then the target's status (code, message, google.rpc.Status details) and trailing
// metadata. The caller's metadata goes to the target (authorization included; transport and
// gRPC-reserved headers are left to gRPC), the target call is a child of the caller's, so it
// inherits the deadline and is cancelled with it; when the target fails, the caller gets its
// status.
//
// Flow control. Each direction holds at most two messages: one being written and one read ahead.
// The next read starts only when the read-ahead slot is free, so a slow reader on either side
// stops the other side's reads and gRPC's own flow control pushes back on the sender: a 2000 MiB
// upload passes through in its chunks. No thread per call, nothing blocks in a reaction; the
// Router is called on gRPC's threads and must be quick (an in-memory table).
//
// Misroutes. A replica that is asked about an account it does not own answers UNAVAILABLE with
// trailing metadata kNotOwnerMetadataKey. When that answer comes before any response message
// and the caller has sent no more than its first message (a unary or server-streaming call, or
// a stream whose caller waits for an answer to its first message), the call is replayed: after
// a short backoff the Router is asked again with refresh = true, the first message goes to its
// new target, and the caller's later messages (at most one is read meanwhile) follow it there.
// Up to ForwarderOptions::max_attempts attempts; the last answer is relayed as it is
// (UNAVAILABLE is retryable for callers). Nothing else is retried: the forwarder keeps only the
// first message, and a call that has given the caller a response cannot start over.
//
// The route depends on the first message, so a method whose server speaks first would wait for
// the caller's first message forever (or until its deadline); tgrpc has none.
#ifndef TGRPC_SERVICE_CLUSTER_FORWARDER_H_
#define TGRPC_SERVICE_CLUSTER_FORWARDER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/status.h"

namespace tgrpc::service::cluster {

// Trailing metadata of a replica's UNAVAILABLE answer for an account it does not own (any value).
inline constexpr char kNotOwnerMetadataKey[] = "tgrpc-not-owner";

// Headers that HTTP/2 or gRPC itself puts on every call (pseudo-headers, te, content-type,
// user-agent, host, grpc-timeout, grpc-encoding, grpc-status, grpc-status-details-bin, ...):
// copying them from one call to another would duplicate or contradict what the new call carries
// (the deadline and the status are relayed their own way). Tracing context is not one of them:
// gRPC adds it only when its census is on, so a caller's would otherwise be lost.
bool IsTransportHeader(absl::string_view key);

// Whether a finished call's answer is a replica's "I do not own that account" (UNAVAILABLE with
// kNotOwnerMetadataKey in its trailers), which a new routing may fix.
bool IsNotOwnerAnswer(const grpc::Status& status, const grpc::ClientContext& context);

// Where a call goes: the owner replica's channel, and its name for on_forward.
struct RouteTarget {
  std::shared_ptr<grpc::Channel> channel;
  std::string replica;
};

// method: "/pkg.Service/Method"; first: the first request message (empty if the caller
// half-closed without one); refresh: the previous target answered that it does not own the
// account, so re-read ownership rather than trust a cache. An error finishes the call with it
// (as service/api's ToGrpcStatus maps it: a reason or field payload becomes error details).
using Router = std::function<absl::StatusOr<RouteTarget>(
    const std::string& method, grpc::GenericCallbackServerContext* context,
    const grpc::ByteBuffer& first, bool refresh)>;

struct ForwarderOptions {
  // Attempts per call, the first included, while targets answer "not the owner".
  int max_attempts = 3;
  // The wait before the 2nd, 3rd, ... attempt; the last one repeats if there are more attempts.
  std::vector<absl::Duration> retry_backoff = {absl::Milliseconds(50), absl::Milliseconds(150),
                                               absl::Milliseconds(400)};
  // Called once per call as it finishes, with the replica of its last attempt ("" when none was
  // routed) and the code the caller gets; for counters. Runs on a gRPC thread: keep it quick.
  std::function<void(const std::string& replica, grpc::StatusCode code)> on_forward;
};

class Forwarder final : public grpc::CallbackGenericService {
 public:
  explicit Forwarder(Router router, ForwarderOptions options = {});

  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Called by gRPC for each call; the reactor deletes itself when the call is done. The
  // Forwarder must outlive the server (as any service does).
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override;

  // The most messages any call has held at once in one direction (being written plus read
  // ahead): 2 at most, whatever the sizes of the streams. For tests.
  int max_buffered_messages() const { return max_buffered_.load(std::memory_order_relaxed); }

 private:
  class Call;
  class Attempt;

  void NoteBuffered(int messages);

  const Router router_;
  const ForwarderOptions options_;
  std::atomic<int> max_buffered_{0};
};

}  // namespace tgrpc::service::cluster

#endif  // TGRPC_SERVICE_CLUSTER_FORWARDER_H_
