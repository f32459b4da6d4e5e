// The server side of one MTProto 2.0 session (one auth key, one session_id), as Telegram behaves,
// so client bugs fail tests: it checks every message against the protocol's rules and answers
// violations with bad_msg_notification / bad_server_salt, answers service queries itself, and
// hands RPC queries to its owner. No I/O; SessionServer finds the key and the session and
// decrypts. Not thread-safe.
//
// Rules enforced (core.telegram.org/mtproto/service_messages_about_messages):
//   16/17  msg_id more than max_msg_id_age in the past / max_msg_id_lead in the future
//   18     client msg_id not divisible by 4
//   19     a container reusing a received msg_id;   20  msg_id below the remembered window
//   32/33  seq_no lower / higher than the neighbouring received messages allow
//   34/35  odd seq_no on a container / even seq_no on an RPC query (msgs_ack and the other
//          service messages are taken with either parity, as Telegram does)
//   48     salt not valid now (bad_server_salt with the current one; the previous salt is
//          accepted for ServerSessionOptions::salt_grace after it is replaced)
//   64     malformed container, nested container, inner msg_id not below the container's
// A duplicate msg_id of a plain message is not an error: it is ignored, and an answered query
// gets its answer again (or msg_detailed_info when the answer is large).
#ifndef TGRPC_MTPROTO_SESSION_SERVER_SESSION_H_
#define TGRPC_MTPROTO_SESSION_SERVER_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "mtproto/crypto/packet_cipher.h"
#include "mtproto/crypto/random_source.h"
#include "mtproto/session/msg_id.h"
#include "mtproto/session/received_messages.h"
#include "mtproto/session/salts.h"
#include "mtproto/session/server_events.h"

namespace tgrpc::mtproto::session {

struct ServerSessionOptions {
  base::Clock clock = base::SystemClock();
  crypto::RandomSource random = crypto::SecureRandom();

  absl::Duration max_msg_id_age = absl::Seconds(300);
  absl::Duration max_msg_id_lead = absl::Seconds(30);
  size_t max_container_messages = 1024;
  size_t max_packet_body_size = size_t{1} << 20;
  // RPC results at least this large are sent gzip_packed when that makes them smaller (0: never).
  size_t compress_min_size = 0;
  size_t max_inflated_size = size_t{32} << 20;
  // Received msg_ids remembered per session (duplicates, seq_no order, msgs_state_req).
  size_t received_window = 4096;
  // Content-related messages kept until the client acknowledges them (for msg_resend_req and
  // ResendUnacked).
  size_t max_unacked = 4096;
  // A duplicate query whose answer is at most this large gets the answer again; a larger one
  // gets msg_detailed_info.
  size_t resend_answer_max_size = 16 * 1024;

  // Salt rotation (per auth key) and how long the key exchange's first salt stays valid.
  absl::Duration salt_period = absl::Hours(1);
  absl::Duration salt_grace = absl::Minutes(30);
  absl::Duration first_salt_lifetime = absl::Minutes(30);
  // SessionServer refuses to create more sessions than this per auth key.
  size_t max_sessions_per_key = 1000;
};

class ServerSession {
 public:
  // What a session borrows from its auth key (owned by SessionServer, which outlives it).
  struct KeyContext {
    const crypto::PacketCipher* cipher = nullptr;
    ServerSalts* salts = nullptr;
    // Forgets another session of the same key; false if there is none (or it is this one).
    std::function<bool(uint64_t session_id)> destroy_session;
  };

  ServerSession(uint64_t session_id, KeyContext key, const ServerSessionOptions* options);

  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  // Handles one decrypted client message (the salt and msg_id in `header` are checked here).
  std::vector<ServerEvent> OnMessage(const crypto::MessageHeader& header, absl::string_view body);

  // Answers a query handed out in ServerRpcCallEvent. `result` is the boxed result object.
  void SendRpcResult(int64_t req_msg_id, std::string result);
  void SendRpcError(int64_t req_msg_id, int32_t code, absl::string_view message);
  // Sends a content-related message that answers nothing (updates).
  void PushUpdate(std::string body);
  // Queues again every content-related message the client has not acknowledged, with its
  // original msg_id (e.g. when the client shows up on a new connection).
  void ResendUnacked();

  bool HasPendingOutput() const { return !queue_.empty() || !pending_acks_.empty(); }
  // The next encrypted packet for this session, or nullopt. Call until nullopt.
  absl::StatusOr<std::optional<std::string>> BuildPacket();

  uint64_t session_id() const { return session_id_; }
  size_t unacked_count() const { return unacked_.size(); }

 private:
  struct Pending {
    std::string body;
    bool content_related = false;
    MsgIdKind kind = MsgIdKind::kServerOther;
    // Preset for resends of an earlier message.
    int64_t msg_id = 0;
    int32_t seqno = 0;
    // The query this answers (rpc_result), or 0.
    int64_t answers = 0;
  };
  struct Sent {
    std::string body;
    int32_t seqno = 0;
  };
  struct Rpc {
    bool answered = false;
    bool dropped = false;
    int64_t answer_msg_id = 0;
    int32_t answer_seqno = 0;
    size_t answer_size = 0;
  };

  int CheckMsgId(int64_t msg_id, absl::Time now) const;
  void Reject(int64_t msg_id, int32_t seqno, int code, std::string reason,
              std::vector<ServerEvent>& events);
  void NoteAccepted(int64_t first_msg_id, std::vector<ServerEvent>& events);
  void ProcessMessage(int64_t msg_id, int32_t seqno, absl::string_view body, bool in_container,
                      std::vector<ServerEvent>& events);
  void HandleDuplicate(int64_t msg_id, int32_t seqno, std::vector<ServerEvent>& events);
  void Dispatch(int64_t msg_id, absl::string_view body, std::vector<ServerEvent>& events);
  void AnswerStateRequest(int64_t msg_id, const std::vector<int64_t>& msg_ids);
  void AnswerResendRequest(int64_t msg_id, const std::vector<int64_t>& msg_ids);
  void AnswerDropAnswer(int64_t msg_id, int64_t req_msg_id);
  void Queue(std::string body, bool content_related, MsgIdKind kind, int64_t answers = 0);
  void QueueResend(int64_t msg_id);
  std::vector<Pending> TakeBatch();

  uint64_t session_id_;
  KeyContext key_;
  const ServerSessionOptions* options_;
  MsgIdGenerator msg_ids_;
  SeqNoCounter seqnos_;
  ReceivedMessages received_;

  bool created_ = false;
  int64_t first_msg_id_ = 0;
  uint64_t unique_id_ = 0;

  std::deque<Pending> queue_;
  std::set<int64_t> queued_resends_;
  std::vector<int64_t> pending_acks_;
  std::map<int64_t, Sent> unacked_;
  std::map<int64_t, Rpc> rpcs_;
};

}  // namespace tgrpc::mtproto::session

#endif  // TGRPC_MTPROTO_SESSION_SERVER_SESSION_H_
