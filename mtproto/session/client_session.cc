#include "mtproto/session/client_session.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/bytes.h"
#include "base/status_macros.h"
#include "mtproto/session/wire.h"
#include "tl/generated/mtp.h"

namespace tgrpc::mtproto::session {
namespace {

absl::Span<uint8_t> AsMutableBytes(std::string& bytes) {
  return absl::MakeSpan(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
}

// msgs_ack carries at most this many ids.
constexpr size_t kMaxAckIds = 8192;
// Non-call messages are remembered this long after sending, so a bad_msg_notification about
// them can still be acted on.
constexpr absl::Duration kRecentWindow = absl::Minutes(5);
// A msg_id older than this (by server time) is not reused for a resend: the server accepts
// msg_ids up to 300 s old.
constexpr absl::Duration kReuseMsgIdFor = absl::Seconds(240);
// A get_future_salts that got no answer for this long is given up and asked again.
constexpr absl::Duration kSaltsRequestTimeout = absl::Minutes(1);

uint64_t RandomU64(const crypto::RandomSource& random) {
  uint8_t bytes[8];
  random(absl::MakeSpan(bytes));
  uint64_t value;
  std::memcpy(&value, bytes, 8);
  return value;
}

// An expiry heap keeps at least this many entries' room; past that, room a burst left behind is
// given back once three quarters of it are unused.
constexpr size_t kKeptExpiryCapacity = 1024;

template <class Entry>
void PushHeap(std::vector<Entry>& heap, Entry entry) {
  heap.push_back(std::move(entry));
  std::push_heap(heap.begin(), heap.end());
}

template <class Entry>
Entry PopHeap(std::vector<Entry>& heap) {
  std::pop_heap(heap.begin(), heap.end());
  Entry entry = std::move(heap.back());
  heap.pop_back();
  return entry;
}

template <class Entry>
void ReleaseSpare(std::vector<Entry>& heap) {
  if (heap.capacity() > kKeptExpiryCapacity && heap.size() < heap.capacity() / 4) {
    heap.shrink_to_fit();
  }
}

}  // namespace

ClientSession::ClientSession(const crypto::AuthKey& auth_key, ClientSessionOptions options)
    : options_(std::move(options)),
      cipher_(auth_key, crypto::Role::kClient),
      session_id_(options_.session_id != 0 ? options_.session_id : RandomU64(options_.random)),
      salts_(options_.salt),
      received_(options_.received_window) {
  msg_ids_.set_time_offset(options_.time_offset);
  salts_.AddFuture(options_.future_salts);
  last_ping_ = options_.clock();
}

absl::StatusOr<CallId> ClientSession::Send(base::SharedBytes body,
                                           const SendOptions& send_options) {
  if (send_options.body_for_msg_id) {
    const bool content = send_options.content_related;
    const uint64_t id = Enqueue(content ? Kind::kCall : Kind::kFireAndForget, "", content);
    Outgoing& out = outgoing_[id];
    out.body_for_msg_id = send_options.body_for_msg_id;
    // Its size is unknown until it is built, so it cannot be planned into a container.
    out.alone = true;
    return id;
  }
  // The caller's body must be a TL object before compression; what is sent must fit after it.
  if (body.size() < 4 || body.size() % 4 != 0) return CheckBody(body);
  const bool compress = send_options.compress.value_or(options_.compress_min_size > 0 &&
                                                       body.size() >= options_.compress_min_size);
  if (compress && ConstructorId(body) != tl::mtp::gzip_packed::kId) {
    TGRPC_ASSIGN_OR_RETURN(std::string packed, PackGzip(body));
    if (packed.size() < body.size()) body = std::move(packed);
  }
  TGRPC_RETURN_IF_ERROR(CheckBody(body));
  std::optional<uint64_t> destroys;
  if (ConstructorId(body) == tl::mtp::destroy_session::kId) {
    absl::StatusOr<tl::mtp::destroy_session> request = ParseService<tl::mtp::destroy_session>(body);
    if (request.ok()) destroys = static_cast<uint64_t>(request->session_id);
  }
  const bool content = send_options.content_related;
  const uint64_t id =
      Enqueue(content ? Kind::kCall : Kind::kFireAndForget, std::move(body), content);
  outgoing_[id].destroys_session = destroys;
  return id;
}

absl::Status ClientSession::CheckBody(absl::string_view body) const {
  if (body.size() < 4 || body.size() % 4 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("a message body must be a boxed TL object; got ", body.size(), " bytes"));
  }
  if (body.size() > options_.max_packet_body_size) {
    return absl::InvalidArgumentError(absl::StrCat("message body of ", body.size(),
                                                   " bytes exceeds the packet limit of ",
                                                   options_.max_packet_body_size));
  }
  return absl::OkStatus();
}

void ClientSession::Cancel(CallId call) {
  auto it = outgoing_.find(call);
  if (it == outgoing_.end() || it->second.kind != Kind::kCall) return;
  const int64_t msg_id = it->second.msg_id;
  Remove(call);
  if (msg_id != 0) {
    tl::mtp::rpc_drop_answer drop;
    drop.req_msg_id = msg_id;
    Enqueue(Kind::kService, SerializeService(drop), true);
  }
}

uint64_t ClientSession::Enqueue(Kind kind, base::SharedBytes body, bool content_related) {
  const uint64_t id = next_id_++;
  Outgoing& out = outgoing_[id];
  out.kind = kind;
  out.body = std::move(body);
  out.content_related = content_related;
  out.queued = true;
  queue_.push_back(id);
  return id;
}

void ClientSession::Requeue(const std::vector<uint64_t>& ids, bool reuse_msg_id) {
  std::vector<uint64_t> front;
  for (uint64_t id : ids) {
    auto it = outgoing_.find(id);
    if (it == outgoing_.end()) continue;
    it->second.reuse_msg_id = reuse_msg_id && it->second.msg_id != 0;
    if (it->second.queued) continue;
    it->second.queued = true;
    front.push_back(id);
    ++stats_.messages_resent;
  }
  // Resent messages go first, in their original order.
  std::sort(front.begin(), front.end(),
            [&](uint64_t a, uint64_t b) { return outgoing_[a].msg_id < outgoing_[b].msg_id; });
  queue_.insert(queue_.begin(), front.begin(), front.end());
}

void ClientSession::Remove(uint64_t id) {
  auto it = outgoing_.find(id);
  if (it == outgoing_.end()) return;
  const Outgoing& out = it->second;
  auto erase_msg_id = [&](int64_t msg_id) {
    auto m = by_msg_id_.find(msg_id);
    if (m != by_msg_id_.end() && m->second == id) by_msg_id_.erase(m);
  };
  if (out.msg_id != 0) erase_msg_id(out.msg_id);
  for (int64_t old : out.old_msg_ids) erase_msg_id(old);
  if (out.queued) queue_.erase(std::remove(queue_.begin(), queue_.end(), id), queue_.end());
  if (keepalive_ == id) keepalive_.reset();
  if (salts_request_ == id) salts_request_.reset();
  outgoing_.erase(it);
}

void ClientSession::Fail(uint64_t id, absl::Status status, std::vector<Event>& events) {
  auto it = outgoing_.find(id);
  if (it == outgoing_.end()) return;
  if (it->second.kind == Kind::kCall) events.push_back(CallFailedEvent{id, std::move(status)});
  Remove(id);
}

ClientSession::Outgoing* ClientSession::FindBySentMsgId(int64_t msg_id, uint64_t* id) {
  auto m = by_msg_id_.find(msg_id);
  if (m == by_msg_id_.end()) return nullptr;
  auto it = outgoing_.find(m->second);
  if (it == outgoing_.end()) return nullptr;
  if (id != nullptr) *id = m->second;
  return &it->second;
}

void ClientSession::MarkConfirmed(int64_t msg_id) {
  if (by_msg_id_.contains(msg_id) || containers_.contains(msg_id)) {
    max_confirmed_msg_id_ = std::max(max_confirmed_msg_id_, msg_id);
  }
}

size_t ClientSession::pending_calls() const {
  size_t n = 0;
  for (const auto& [id, out] : outgoing_) n += out.kind == Kind::kCall ? 1 : 0;
  return n;
}

void ClientSession::AddAck(int64_t msg_id, absl::Time now) {
  if (pending_acks_.empty()) first_pending_ack_ = now;
  pending_acks_.push_back(msg_id);
}

bool ClientSession::AcksDue(absl::Time now) const {
  if (pending_acks_.empty()) return false;
  return flush_acks_ || pending_acks_.size() >= options_.ack_batch ||
         now >= first_pending_ack_ + options_.ack_delay;
}

void ClientSession::QueueAcks() {
  for (size_t at = 0; at < pending_acks_.size(); at += kMaxAckIds) {
    tl::mtp::msgs_ack ack;
    const size_t end = std::min(pending_acks_.size(), at + kMaxAckIds);
    ack.msg_ids.assign(pending_acks_.begin() + at, pending_acks_.begin() + end);
    const uint64_t id = Enqueue(Kind::kAck, SerializeService(ack), false);
    // Acknowledgments go first: the server can forget its answers early.
    queue_.pop_back();
    queue_.push_front(id);
  }
  pending_acks_.clear();
  first_pending_ack_ = absl::InfiniteFuture();
  flush_acks_ = false;
}

void ClientSession::FlushAcks() { flush_acks_ = true; }

bool ClientSession::HasPendingOutput() const {
  return !queue_.empty() || AcksDue(options_.clock());
}

void ClientSession::MaybeRequestSalts(absl::Time now) {
  if (options_.future_salts_count <= 0) return;
  if (salts_request_.has_value()) {
    const Outgoing& request = outgoing_[*salts_request_];
    if (request.msg_id == 0 || now < request.sent_at + kSaltsRequestTimeout) return;
    Remove(*salts_request_);
  }
  const absl::Time server_now = msg_ids_.ServerNow(now);
  if (salts_.covered_until() >= server_now + options_.salt_refresh_before) return;
  tl::mtp::get_future_salts request;
  request.num = std::min<int32_t>(options_.future_salts_count, 64);
  salts_request_ = Enqueue(Kind::kFutureSalts, SerializeService(request), true);
}

bool ClientSession::Forgettable(Kind kind) {
  return kind == Kind::kAck || kind == Kind::kFireAndForget || kind == Kind::kService;
}

void ClientSession::Housekeeping(absl::Time now) {
  // Only expired entries come out of the heaps: the work is one look per send, not one per
  // remembered send per packet.
  // The count cap counts stale entries too: they come out first when old, so a cap that forgets
  // a little early under churn only shortens the window, never loses a call.
  const size_t cap = std::max<size_t>(options_.max_remembered_sends, 1);
  while (!message_expiry_.empty() &&
         (now > message_expiry_.front().sent_at + kRecentWindow || message_expiry_.size() > cap)) {
    const Expiry<uint64_t> expired = PopHeap(message_expiry_);
    ++stats_.expiry_checks;
    auto it = outgoing_.find(expired.key);
    // Gone already, or sent again since (its newer entry decides); a queued message waits to be
    // sent, and gets a new entry then.
    if (it == outgoing_.end() || it->second.sent_at != expired.sent_at) continue;
    if (!it->second.queued && it->second.msg_id != 0) Remove(expired.key);
  }
  while (!container_expiry_.empty() && (now > container_expiry_.front().sent_at + kRecentWindow ||
                                        container_expiry_.size() > cap)) {
    const Expiry<int64_t> expired = PopHeap(container_expiry_);
    ++stats_.expiry_checks;
    auto it = containers_.find(expired.key);
    // A container msg_id used again (msg_ids may drop back after error 17) has a newer entry.
    if (it != containers_.end() && it->second.sent_at == expired.sent_at) containers_.erase(it);
  }
  // A session that was busy and is now quiet should not keep the busy time's room.
  ReleaseSpare(message_expiry_);
  ReleaseSpare(container_expiry_);
}

std::vector<uint64_t> ClientSession::TakeBatch() {
  std::vector<uint64_t> batch;
  size_t bodies = 0;
  for (auto it = queue_.begin(); it != queue_.end();) {
    const Outgoing& out = outgoing_[*it];
    if (out.alone) {
      if (batch.empty()) {
        batch.push_back(*it);
        queue_.erase(it);
        return batch;
      }
      ++it;
      continue;
    }
    if (batch.size() >= options_.max_container_messages) break;
    if (!batch.empty() &&
        ContainerSize(batch.size() + 1, bodies + out.body.size()) > options_.max_packet_body_size) {
      break;
    }
    bodies += out.body.size();
    batch.push_back(*it);
    it = queue_.erase(it);
  }
  return batch;
}

absl::StatusOr<std::optional<std::string>> ClientSession::BuildPacket() {
  // A budget of 0 bytes: at most one packet.
  TGRPC_ASSIGN_OR_RETURN(std::vector<std::string> packets, BuildPackets(0));
  if (packets.empty()) return std::nullopt;
  return std::move(packets.front());
}

absl::StatusOr<std::vector<std::string>> ClientSession::BuildPackets(size_t budget) {
  std::vector<std::string> packets;
  size_t bytes = 0;
  do {
    TGRPC_ASSIGN_OR_RETURN(std::optional<std::string> packet, BuildPreparedPacket());
    if (!packet.has_value()) break;
    bytes += packet->size();
    packets.push_back(*std::move(packet));
  } while (bytes < budget);
  std::vector<absl::Span<uint8_t>> spans;
  spans.reserve(packets.size());
  for (std::string& packet : packets) spans.push_back(AsMutableBytes(packet));
  TGRPC_RETURN_IF_ERROR(cipher_.EncryptPrepared(spans));
  return packets;
}

absl::StatusOr<std::optional<std::string>> ClientSession::BuildPreparedPacket() {
  const absl::Time now = options_.clock();
  Housekeeping(now);
  if (!queue_.empty()) MaybeRequestSalts(now);
  if (!pending_acks_.empty() && (!queue_.empty() || AcksDue(now))) QueueAcks();
  if (queue_.empty()) return std::nullopt;

  std::vector<uint64_t> batch = TakeBatch();
  int64_t max_inner = 0;
  bool reused = false;
  std::vector<uint64_t> unbuilt;
  for (uint64_t id : batch) {
    Outgoing& out = outgoing_[id];
    out.queued = false;
    if (out.reuse_msg_id && out.msg_id != 0) {
      reused = true;
    } else {
      if (out.msg_id != 0) out.old_msg_ids.push_back(out.msg_id);
      out.msg_id = msg_ids_.Next(now, MsgIdKind::kClient);
      if (out.body_for_msg_id) {
        absl::StatusOr<std::string> built = out.body_for_msg_id(out.msg_id);
        absl::Status status = built.ok() ? CheckBody(*built) : built.status();
        if (!status.ok()) {
          if (out.kind == Kind::kCall) {
            deferred_events_.push_back(CallFailedEvent{
                id, absl::Status(status.code(),
                                 absl::StrCat("cannot build the message body for msg_id ",
                                              out.msg_id, ": ", status.message()))});
          }
          unbuilt.push_back(id);
          continue;
        }
        out.body = *std::move(built);
      }
      out.seqno = seqnos_.Next(out.content_related);
    }
    out.reuse_msg_id = false;
    out.sent_at = now;
    if (Forgettable(out.kind)) PushHeap(message_expiry_, Expiry<uint64_t>{now, id});
    by_msg_id_[out.msg_id] = id;
    max_inner = std::max(max_inner, out.msg_id);
    max_sent_msg_id_ = std::max(max_sent_msg_id_, out.msg_id);
  }
  if (!unbuilt.empty()) {
    for (uint64_t id : unbuilt) {
      Remove(id);
      batch.erase(std::remove(batch.begin(), batch.end(), id), batch.end());
    }
    // Such a message travels alone, so nothing else was taken with it.
    if (batch.empty()) return BuildPreparedPacket();
  }

  crypto::MessageHeader header;
  header.salt = salts_.Select(msg_ids_.ServerNow(now), options_.salt_margin);
  header.session_id = session_id_;
  // The body is written straight into the packet, after room for its headers, and encrypted in
  // place: a call's bytes (an upload's part) are copied once on their way to the socket.
  std::string packet(crypto::PacketCipher::kBodyOffset, '\0');
  // A message resent with its old msg_id travels in a container, so the packet itself has a
  // fresh msg_id.
  if (batch.size() == 1 && !reused) {
    const Outgoing& out = outgoing_[batch[0]];
    header.msg_id = static_cast<uint64_t>(out.msg_id);
    header.seq_no = static_cast<uint32_t>(out.seqno);
    packet.reserve(crypto::PacketCipher::EncryptedSize(out.body.size()));
    packet.append(out.body.data(), out.body.size());
  } else {
    // A container's msg_id is above those of its messages (reused ones may be higher than
    // what the clock gives after a time correction).
    if (msg_ids_.last() < max_inner) msg_ids_.set_floor(max_inner);
    const int64_t container_id = msg_ids_.Next(now, MsgIdKind::kClient);
    max_sent_msg_id_ = std::max(max_sent_msg_id_, container_id);
    SentContainer& sent = containers_[container_id];
    sent.sent_at = now;
    PushHeap(container_expiry_, Expiry<int64_t>{now, container_id});
    size_t bodies = 0;
    for (uint64_t id : batch) bodies += outgoing_[id].body.size();
    packet.reserve(crypto::PacketCipher::EncryptedSize(ContainerSize(batch.size(), bodies)));
    AppendContainerHeader(batch.size(), packet);
    for (uint64_t id : batch) {
      const Outgoing& out = outgoing_[id];
      AppendContainerMessage(out.msg_id, out.seqno, out.body, packet);
      sent.msg_ids.push_back(out.msg_id);
    }
    header.msg_id = static_cast<uint64_t>(container_id);
    header.seq_no = static_cast<uint32_t>(seqnos_.Next(false));
  }

  const size_t body_size = packet.size() - crypto::PacketCipher::kBodyOffset;
  packet.resize(crypto::PacketCipher::EncryptedSize(body_size));
  TGRPC_ASSIGN_OR_RETURN(
      const size_t size,
      cipher_.PrepareInPlace(header, body_size, options_.random, AsMutableBytes(packet)));
  packet.resize(size);
  ++stats_.packets_sent;

  // Fire-and-forget messages are forgotten once sent, except for bad_msg_notification recovery
  // (Housekeeping).
  return packet;
}

absl::StatusOr<std::vector<Event>> ClientSession::OnPacket(absl::Span<uint8_t> packet) {
  TGRPC_ASSIGN_OR_RETURN(const crypto::DecryptedMessage message, cipher_.DecryptInPlace(packet));
  ++stats_.packets_received;
  return OnMessage(message.header, base::AsStringView(message.body));
}

std::vector<Event> ClientSession::OnMessage(const crypto::MessageHeader& header,
                                            absl::string_view body) {
  std::vector<Event> events;
  const int64_t msg_id = static_cast<int64_t>(header.msg_id);
  // Server msg_ids are odd; a message for another session is not ours to handle.
  if (header.session_id != session_id_ || (msg_id & 1) == 0) {
    ++stats_.malformed_ignored;
    return events;
  }
  HandleMessage(msg_id, static_cast<int32_t>(header.seq_no), body, true, events);
  return events;
}

std::vector<Event> ClientSession::OnTick() {
  std::vector<Event> events = std::move(deferred_events_);
  deferred_events_.clear();
  const absl::Time now = options_.clock();
  Housekeeping(now);
  if (options_.ping_interval > absl::ZeroDuration()) {
    if (keepalive_.has_value() && !keepalive_timeout_reported_) {
      const Outgoing& ping = outgoing_[*keepalive_];
      if (ping.msg_id != 0 && now >= ping.sent_at + options_.pong_timeout) {
        events.push_back(KeepaliveTimeoutEvent{ping.ping_id});
        keepalive_timeout_reported_ = true;
      }
    }
    if (now >= last_ping_ + options_.ping_interval) {
      if (keepalive_.has_value()) Remove(*keepalive_);
      tl::mtp::ping_delay_disconnect ping;
      ping.ping_id = static_cast<int64_t>(RandomU64(options_.random));
      ping.disconnect_delay = options_.ping_disconnect_delay;
      keepalive_ = Enqueue(Kind::kKeepalive, SerializeService(ping), true);
      outgoing_[*keepalive_].ping_id = ping.ping_id;
      keepalive_timeout_reported_ = false;
      last_ping_ = now;
    }
  }
  MaybeRequestSalts(now);
  if (AcksDue(now)) QueueAcks();
  return events;
}

absl::Time ClientSession::NextTickTime() const {
  if (!deferred_events_.empty()) return absl::InfinitePast();
  absl::Time next = absl::InfiniteFuture();
  if (options_.ping_interval > absl::ZeroDuration()) {
    next = std::min(next, last_ping_ + options_.ping_interval);
    if (keepalive_.has_value() && !keepalive_timeout_reported_) {
      auto it = outgoing_.find(*keepalive_);
      if (it != outgoing_.end() && it->second.msg_id != 0) {
        next = std::min(next, it->second.sent_at + options_.pong_timeout);
      }
    }
  }
  if (!pending_acks_.empty()) next = std::min(next, first_pending_ack_ + options_.ack_delay);
  if (options_.future_salts_count > 0 && !salts_request_.has_value()) {
    // covered_until is in server time.
    next = std::min(next,
                    salts_.covered_until() - options_.salt_refresh_before - msg_ids_.time_offset());
  }
  return next;
}

void ClientSession::OnReconnect() {
  const absl::Time now = options_.clock();
  const absl::Time server_now = msg_ids_.ServerNow(now);
  std::vector<uint64_t> reuse;
  std::vector<uint64_t> renew;
  std::vector<uint64_t> drop;
  for (auto& [id, out] : outgoing_) {
    if (out.queued || out.msg_id == 0) continue;
    switch (out.kind) {
      case Kind::kCall:
      case Kind::kService:
        if (!out.content_related || out.acked) {
          if (out.kind == Kind::kService) drop.push_back(id);
          break;
        }
        (server_now - MsgIdTime(out.msg_id) < kReuseMsgIdFor ? reuse : renew).push_back(id);
        break;
      case Kind::kKeepalive:
      case Kind::kFutureSalts:
      case Kind::kAck:
      case Kind::kFireAndForget:
        drop.push_back(id);
        break;
    }
  }
  for (uint64_t id : drop) Remove(id);
  Requeue(renew, false);
  Requeue(reuse, true);
  keepalive_timeout_reported_ = false;
  last_ping_ = now;
}

}  // namespace tgrpc::mtproto::session
