// The client side of an MTProto 2.0 session (core.telegram.org/mtproto/description and
// /service_messages): msg_id and seq_no, salts, acks, containers, gzip, rpc_result routing,
// bad_msg_notification recovery, keepalive and resends after a reconnect. No I/O: the owner
// feeds it decrypted-or-not packets and timer ticks and writes out the packets it builds.
//
// Driving it (one thread or strand; the class is not thread-safe):
//   Send(...)                        queue a call; remember its CallId
//   while (auto p = BuildPacket())   encrypt pending messages; frame and write each packet
//   OnPacket(bytes)                  for each received payload; handle the returned events
//   OnTick() at NextTickTime()       keepalive, batched acks, future salts; then BuildPacket
//   OnReconnect()                    after a new connection; then BuildPacket
#ifndef TGRPC_MTPROTO_SESSION_CLIENT_SESSION_H_
#define TGRPC_MTPROTO_SESSION_CLIENT_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "base/clock.h"
#include "base/shared_bytes.h"
#include "mtproto/crypto/auth_key.h"
#include "mtproto/crypto/packet_cipher.h"
#include "mtproto/crypto/random_source.h"
#include "mtproto/session/client_events.h"
#include "mtproto/session/msg_id.h"
#include "mtproto/session/received_messages.h"
#include "mtproto/session/salts.h"

namespace tgrpc::mtproto::session {

struct ClientSessionOptions {
  base::Clock clock = base::SystemClock();
  crypto::RandomSource random = crypto::SecureRandom();
  // 0 picks a random session id.
  uint64_t session_id = 0;
  // The key exchange's first salt (new_nonce[0:8] XOR server_nonce[0:8]), or a stored one.
  uint64_t salt = 0;
  // Future salts kept from an earlier session of the same auth key.
  std::vector<FutureSalt> future_salts;
  // Server time minus local time, if known (e.g. from server_DH_inner_data.server_time).
  absl::Duration time_offset = absl::ZeroDuration();

  // At most this many messages in one msg_container (mtcute stops at 1020 as well), and at most
  // this many bytes in one packet body (a single larger message is refused by Send).
  size_t max_container_messages = 1020;
  size_t max_packet_body_size = size_t{1} << 20;
  // Bodies of calls at least this large are sent gzip_packed when that makes them smaller
  // (0: never).
  size_t compress_min_size = 0;
  // Larger gzip_packed contents are refused.
  size_t max_inflated_size = size_t{32} << 20;

  // Acknowledgments wait for an outgoing packet to ride on, but at most this long, and go at
  // once when this many are pending.
  absl::Duration ack_delay = absl::Milliseconds(500);
  size_t ack_batch = 64;

  // Keepalive: ping_delay_disconnect every ping_interval (zero: never), asking the server to
  // close the connection after ping_disconnect_delay seconds of silence.
  absl::Duration ping_interval = absl::Seconds(60);
  int32_t ping_disconnect_delay = 75;
  absl::Duration pong_timeout = absl::Seconds(20);

  // get_future_salts(num) whenever the stored salts end within salt_refresh_before (0: never).
  int32_t future_salts_count = 32;
  absl::Duration salt_refresh_before = absl::Minutes(30);
  // A stored salt is used from margin after its start to margin before its end (clock skew).
  absl::Duration salt_margin = absl::Minutes(1);

  // A call resent more often than this (bad_msg_notification loops) fails.
  int max_resends = 5;
  // How many received msg_ids are remembered for duplicate detection and msgs_state_req.
  size_t received_window = 2048;
  // Non-call messages (acks, service and fire-and-forget messages) and containers are remembered
  // for five minutes after sending, so that a late bad_msg_notification about them can still be
  // acted on, but at most this many of each: past that the oldest are forgotten first. Without a
  // cap a busy session holds minutes of acknowledgments and containers (hundreds of MiB at
  // 10,000 packets a second); a notification comes within seconds in practice.
  size_t max_remembered_sends = 16384;
};

struct SendOptions {
  // Content-related messages are RPC queries: acknowledged, resent until answered, and
  // answered with an event. A message that is not content-related is sent once, fire and
  // forget, and its CallId never appears in an event.
  bool content_related = true;
  // Overrides ClientSessionOptions::compress_min_size for this message.
  std::optional<bool> compress;
  // Set: Send's `body` is ignored and the body is built by this, on the session's thread, each
  // time the message gets a msg_id (BuildPacket): once, and again for every resend under a new
  // msg_id; a resend that keeps the msg_id keeps the body. For bodies that embed their own
  // msg_id (auth.bindTempAuthKey). Such a message never shares a container with others and is
  // not compressed. A failed build, or a body Send would refuse, fails the call with
  // CallFailedEvent from the next OnTick (NextTickTime is then due at once).
  std::function<absl::StatusOr<std::string>(int64_t msg_id)> body_for_msg_id;
};

struct ClientSessionStats {
  uint64_t packets_sent = 0;
  uint64_t packets_received = 0;
  uint64_t messages_resent = 0;
  uint64_t duplicates_ignored = 0;
  // Messages that did not parse (or had an even msg_id / foreign session id) and were dropped.
  uint64_t malformed_ignored = 0;
  // Sends remembered for bad_msg_notification recovery (service and fire-and-forget messages,
  // containers) that housekeeping looked at: each once, when its recent window ends, so this
  // grows with what was sent and not with packets times history.
  uint64_t expiry_checks = 0;
};

class ClientSession {
 public:
  ClientSession(const crypto::AuthKey& auth_key, ClientSessionOptions options);

  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  // Queues `body`, one boxed TL object (an API method, often wrapped in invokeWithLayer, or a
  // service function such as ping). InvalidArgument if it is not a whole number of 4-byte words
  // or does not fit max_packet_body_size.
  // `body` is shared, not copied: the caller may keep its own reference for a retry.
  absl::StatusOr<CallId> Send(base::SharedBytes body, const SendOptions& options = {});

  // Forgets a call. If it was already sent, the server is asked to drop the answer
  // (rpc_drop_answer). No event is reported for it afterwards.
  void Cancel(CallId call);

  // Whether BuildPacket has something to send (queued messages, or acknowledgments that are due).
  bool HasPendingOutput() const;

  // The next encrypted packet (auth_key_id + msg_key + ciphertext) ready for a framing, or
  // nullopt when nothing is due. Several queued messages go into one msg_container; acks ride
  // along. Call until nullopt.
  absl::StatusOr<std::optional<std::string>> BuildPacket();
  // BuildPacket's packets, as many as are due until they add up to `budget` bytes (at least one
  // if any is due; none is an empty vector), encrypted together: each packet's msg_key hash runs
  // alongside the encryption of the one before (PacketCipher::EncryptPrepared).
  absl::StatusOr<std::vector<std::string>> BuildPackets(size_t budget);

  // Decrypts a packet from the server in place and handles it. An error means the packet failed
  // the msg_key / length / padding checks (drop the connection); messages for another session,
  // duplicates and malformed messages are ignored and counted in stats().
  absl::StatusOr<std::vector<Event>> OnPacket(absl::Span<uint8_t> packet);

  // Handles an already decrypted message (OnPacket's second half; also the fuzz entry point).
  std::vector<Event> OnMessage(const crypto::MessageHeader& header, absl::string_view body);

  // Timers: keepalive pings, pong timeouts, batched acks, future salts. Call at NextTickTime()
  // (or any time), then BuildPacket.
  std::vector<Event> OnTick();
  absl::Time NextTickTime() const;

  // Makes pending acknowledgments due now.
  void FlushAcks();

  // The connection was replaced. Calls the server has not acknowledged are queued again (with
  // their old msg_id while the server can still recognise a duplicate, else a new one);
  // acknowledged calls wait for the server to resend the answer. Keepalive starts over.
  void OnReconnect();

  uint64_t session_id() const { return session_id_; }
  uint64_t salt() const { return salts_.current(); }
  const ClientSalts& salts() const { return salts_; }
  // Server time minus local time, as learned from the server.
  absl::Duration time_offset() const { return msg_ids_.time_offset(); }
  // Calls waiting for an answer.
  size_t pending_calls() const;
  const ClientSessionStats& stats() const { return stats_; }

 private:
  enum class Kind : uint8_t {
    kCall,           // a content-related message from Send: answered by an event
    kFireAndForget,  // Send with content_related = false
    kKeepalive,      // ping_delay_disconnect from OnTick
    kFutureSalts,    // get_future_salts from OnTick
    kAck,            // msgs_ack
    kService,        // msgs_state_info, msg_resend_req, rpc_drop_answer
  };
  struct Outgoing {
    Kind kind = Kind::kCall;
    base::SharedBytes body;
    // Rebuilds `body` for every new msg_id (SendOptions::body_for_msg_id).
    std::function<absl::StatusOr<std::string>(int64_t msg_id)> body_for_msg_id;
    bool content_related = true;
    // The msg_id and seq_no it was last sent with (0: never sent), and earlier msg_ids.
    int64_t msg_id = 0;
    int32_t seqno = 0;
    std::vector<int64_t> old_msg_ids;
    bool queued = false;
    bool reuse_msg_id = false;  // resend with msg_id and seq_no unchanged
    bool alone = false;         // never in a container (after error 64)
    bool acked = false;
    absl::Time sent_at;
    int resends = 0;
    int64_t ping_id = 0;
    std::optional<uint64_t> destroys_session;  // destroy_session's argument
  };
  struct SentContainer {
    std::vector<int64_t> msg_ids;
    absl::Time sent_at;
  };
  // A send Housekeeping may forget once kRecentWindow has passed: an Outgoing id or a container
  // msg_id, and the time it was sent.
  template <class Key>
  struct Expiry {
    absl::Time sent_at;
    Key key;
    // std::push_heap and std::pop_heap with this keep the oldest in front.
    bool operator<(const Expiry& other) const { return sent_at > other.sent_at; }
  };

  uint64_t Enqueue(Kind kind, base::SharedBytes body, bool content_related);
  void Requeue(const std::vector<uint64_t>& ids, bool reuse_msg_id);
  void Remove(uint64_t id);
  void Fail(uint64_t id, absl::Status status, std::vector<Event>& events);
  Outgoing* FindBySentMsgId(int64_t msg_id, uint64_t* id = nullptr);
  void MarkConfirmed(int64_t msg_id);
  bool AcksDue(absl::Time now) const;
  void QueueAcks();
  void AddAck(int64_t msg_id, absl::Time now);
  void MaybeRequestSalts(absl::Time now);
  // Messages that are never answered: once sent they are kept only for a while, in case a
  // bad_msg_notification names them.
  static bool Forgettable(Kind kind);
  void Housekeeping(absl::Time now);
  std::vector<uint64_t> TakeBatch();
  // BuildPacket's packet with its plaintext prepared (PacketCipher::PrepareInPlace), not yet
  // encrypted.
  absl::StatusOr<std::optional<std::string>> BuildPreparedPacket();
  // Checks a body Send or body_for_msg_id produced.
  absl::Status CheckBody(absl::string_view body) const;

  // Incoming (client_session_incoming.cc).
  void HandleMessage(int64_t msg_id, int32_t seqno, absl::string_view body, bool top_level,
                     std::vector<Event>& events);
  void Dispatch(int64_t msg_id, absl::string_view body, std::vector<Event>& events);
  void HandleRpcResult(absl::string_view body, std::vector<Event>& events);
  void CompleteCall(uint64_t id, absl::string_view result, std::vector<Event>& events);
  void HandleAcks(const std::vector<int64_t>& msg_ids);
  void HandleBadMsg(int64_t notification_msg_id, int64_t bad_msg_id, int32_t code,
                    std::vector<Event>& events);
  void HandleNewSession(absl::string_view body, std::vector<Event>& events);
  void HandleFutureSalts(absl::string_view body, std::vector<Event>& events);
  void HandlePong(absl::string_view body, std::vector<Event>& events);
  void HandleStateRequest(int64_t msg_id, absl::string_view body);
  void HandleAllInfo(absl::string_view body);
  void HandleResendRequest(const std::vector<int64_t>& msg_ids);
  void HandleDetailedInfo(std::optional<int64_t> msg_id, int64_t answer_msg_id);
  void HandleDestroySessionResult(absl::string_view body, uint64_t session_id,
                                  std::vector<Event>& events);

  ClientSessionOptions options_;
  crypto::PacketCipher cipher_;
  uint64_t session_id_;
  MsgIdGenerator msg_ids_;
  SeqNoCounter seqnos_;
  ClientSalts salts_;
  ReceivedMessages received_;
  ClientSessionStats stats_;

  uint64_t next_id_ = 1;
  absl::flat_hash_map<uint64_t, Outgoing> outgoing_;
  std::deque<uint64_t> queue_;
  // Every msg_id a live Outgoing was sent with, current or earlier.
  absl::flat_hash_map<int64_t, uint64_t> by_msg_id_;
  absl::flat_hash_map<int64_t, SentContainer> containers_;
  // Forgettable sends (service, ack and fire-and-forget messages; containers) in heaps by send
  // time, so Housekeeping looks only at what has expired instead of walking the whole recent
  // window on every packet. An entry may be stale (its message removed or sent again since: a
  // newer entry stands for that send); Housekeeping checks it against what it names.
  std::vector<Expiry<uint64_t>> message_expiry_;
  std::vector<Expiry<int64_t>> container_expiry_;
  // Largest msg_id the server is known to have accepted, and largest sent.
  int64_t max_confirmed_msg_id_ = 0;
  int64_t max_sent_msg_id_ = 0;

  std::vector<int64_t> pending_acks_;
  absl::Time first_pending_ack_ = absl::InfiniteFuture();
  bool flush_acks_ = false;

  absl::Time last_ping_;
  std::optional<uint64_t> keepalive_;
  bool keepalive_timeout_reported_ = false;
  std::optional<uint64_t> salts_request_;
  // CallFailedEvents of body_for_msg_id calls whose body could not be built, for OnTick.
  std::vector<Event> deferred_events_;
};

}  // namespace tgrpc::mtproto::session

#endif  // TGRPC_MTPROTO_SESSION_CLIENT_SESSION_H_
