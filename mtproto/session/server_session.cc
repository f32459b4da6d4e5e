#include "mtproto/session/server_session.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/bytes.h"
#include "base/status_macros.h"
#include "mtproto/session/wire.h"
#include "tl/generated/mtp.h"

namespace tgrpc::mtproto::session {
namespace {

namespace mtp = ::tgrpc::tl::mtp;

constexpr size_t kMaxAckIds = 8192;

// Which seq_no parity a client message must have, by its constructor.
enum class Parity { kEven, kOdd, kAny };

Parity RequiredParity(uint32_t id) {
  switch (id) {
    // Service messages: clients differ on whether these count as content-related, and Telegram
    // takes both. msgs_ack too: mtcute 0.30 sends its acks with an odd seq_no, and Telegram
    // answers them without a bad_msg_notification 34. Only containers must be even.
    case mtp::msgs_ack::kId:
    case mtp::ping::kId:
    case mtp::ping_delay_disconnect::kId:
    case mtp::get_future_salts::kId:
    case mtp::msgs_state_req::kId:
    case mtp::msgs_state_info::kId:
    case mtp::msgs_all_info::kId:
    case mtp::msg_resend_req::kId:
    case mtp::msg_resend_ans_req::kId:
    case mtp::destroy_session::kId:
    case mtp::rpc_drop_answer::kId:
    case mtp::http_wait::kId:
    case mtp::msg_detailed_info::kId:
    case mtp::msg_new_detailed_info::kId:
      return Parity::kAny;
    default:  // RPC queries
      return Parity::kOdd;
  }
}

}  // namespace

ServerSession::ServerSession(uint64_t session_id, KeyContext key,
                             const ServerSessionOptions* options)
    : session_id_(session_id),
      key_(std::move(key)),
      options_(options),
      received_(options->received_window) {
  uint8_t bytes[8];
  options_->random(absl::MakeSpan(bytes));
  std::memcpy(&unique_id_, bytes, 8);
}

int ServerSession::CheckMsgId(int64_t msg_id, absl::Time now) const {
  const absl::Time time = MsgIdTime(msg_id);
  if (time < now - options_->max_msg_id_age) return 16;
  if (time > now + options_->max_msg_id_lead) return 17;
  if ((msg_id & 3) != 0) return 18;
  return 0;
}

void ServerSession::Reject(int64_t msg_id, int32_t seqno, int code, std::string reason,
                           std::vector<ServerEvent>& events) {
  if (code != 0) {
    mtp::bad_msg_notification bad;
    bad.bad_msg_id = msg_id;
    bad.bad_msg_seqno = seqno;
    bad.error_code = code;
    Queue(SerializeService(bad), false, MsgIdKind::kServerResponse);
  }
  events.push_back(ServerRejectedEvent{msg_id, code, std::move(reason)});
}

void ServerSession::NoteAccepted(int64_t first_msg_id, std::vector<ServerEvent>& events) {
  if (created_ && first_msg_id >= first_msg_id_) return;
  const bool first = !created_;
  created_ = true;
  first_msg_id_ = first_msg_id;
  mtp::new_session_created created;
  created.first_msg_id = first_msg_id;
  created.unique_id = static_cast<int64_t>(unique_id_);
  created.server_salt = static_cast<int64_t>(key_.salts->Current(options_->clock()));
  Queue(SerializeService(created), true, MsgIdKind::kServerOther);
  if (first) events.push_back(ServerSessionCreatedEvent{first_msg_id, unique_id_});
}

std::vector<ServerEvent> ServerSession::OnMessage(const crypto::MessageHeader& header,
                                                  absl::string_view body) {
  std::vector<ServerEvent> events;
  const absl::Time now = options_->clock();
  const int64_t msg_id = static_cast<int64_t>(header.msg_id);
  const int32_t seqno = static_cast<int32_t>(header.seq_no);

  if (const int code = CheckMsgId(msg_id, now); code != 0) {
    Reject(msg_id, seqno, code, "msg_id", events);
    return events;
  }
  if (!key_.salts->IsValid(header.salt, now)) {
    mtp::bad_server_salt bad;
    bad.bad_msg_id = msg_id;
    bad.bad_msg_seqno = seqno;
    bad.error_code = 48;
    bad.new_server_salt = static_cast<int64_t>(key_.salts->Current(now));
    Queue(SerializeService(bad), false, MsgIdKind::kServerResponse);
    events.push_back(ServerRejectedEvent{msg_id, 48, "server salt"});
    return events;
  }
  if (ConstructorId(body) != mtp::msg_container::kId) {
    NoteAccepted(msg_id, events);
    ProcessMessage(msg_id, seqno, body, false, events);
    return events;
  }

  switch (received_.Find(msg_id)) {
    case ReceivedMessages::Lookup::kDuplicate:
      Reject(msg_id, seqno, 19, "container msg_id already received", events);
      return events;
    case ReceivedMessages::Lookup::kTooOld:
      Reject(msg_id, seqno, 20, "container msg_id too old", events);
      return events;
    case ReceivedMessages::Lookup::kNew:
      break;
  }
  if ((seqno & 1) != 0) {
    Reject(msg_id, seqno, 34, "container with an odd seq_no", events);
    return events;
  }
  absl::StatusOr<std::vector<InnerMessage>> messages =
      ParseContainer(body, options_->max_container_messages);
  if (!messages.ok()) {
    Reject(msg_id, seqno, 64, std::string(messages.status().message()), events);
    return events;
  }
  int64_t first = msg_id;
  std::set<int64_t> inner_ids;
  for (const InnerMessage& inner : *messages) {
    if (inner.msg_id >= msg_id || !inner_ids.insert(inner.msg_id).second) {
      Reject(msg_id, seqno, 64, "inner msg_id not unique and below the container's", events);
      return events;
    }
    first = std::min(first, inner.msg_id);
  }
  received_.Insert(msg_id, ReceivedMessages::kNoSeqNo);
  NoteAccepted(first, events);
  for (const InnerMessage& inner : *messages) {
    ProcessMessage(inner.msg_id, inner.seqno, inner.body, true, events);
  }
  return events;
}

void ServerSession::ProcessMessage(int64_t msg_id, int32_t seqno, absl::string_view body,
                                   bool in_container, std::vector<ServerEvent>& events) {
  if (in_container) {
    if (const int code = CheckMsgId(msg_id, options_->clock()); code != 0) {
      Reject(msg_id, seqno, code, "msg_id", events);
      return;
    }
  }
  switch (received_.Find(msg_id)) {
    case ReceivedMessages::Lookup::kDuplicate:
      HandleDuplicate(msg_id, seqno, events);
      return;
    case ReceivedMessages::Lookup::kTooOld:
      Reject(msg_id, seqno, 20, "msg_id below the remembered window", events);
      return;
    case ReceivedMessages::Lookup::kNew:
      break;
  }
  std::string inflated;
  absl::string_view content = body;
  if (ConstructorId(body) == mtp::gzip_packed::kId) {
    absl::StatusOr<std::string> unpacked = UnpackGzip(body, options_->max_inflated_size);
    if (!unpacked.ok()) {
      Reject(msg_id, seqno, 0, std::string(unpacked.status().message()), events);
      return;
    }
    inflated = *std::move(unpacked);
    content = inflated;
  }
  const uint32_t id = ConstructorId(content);
  if (id == 0 || content.size() % 4 != 0) {
    Reject(msg_id, seqno, 0, "malformed message body", events);
    return;
  }
  if (id == mtp::msg_container::kId) {
    Reject(msg_id, seqno, 64, "container inside a message", events);
    return;
  }
  const bool odd = (seqno & 1) != 0;
  switch (RequiredParity(id)) {
    case Parity::kEven:
      if (odd)
        return Reject(msg_id, seqno, 34, "odd seq_no on a message that is not content-related",
                      events);
      break;
    case Parity::kOdd:
      if (!odd)
        return Reject(msg_id, seqno, 35, "even seq_no on a content-related message", events);
      break;
    case Parity::kAny:
      break;
  }
  if (const int code = received_.CheckSeqNo(msg_id, seqno); code != 0) {
    Reject(msg_id, seqno, code, "seq_no out of order", events);
    return;
  }
  received_.Insert(msg_id, seqno);
  // An ack is never acknowledged, whatever its parity.
  if (odd && id != mtp::msgs_ack::kId) pending_acks_.push_back(msg_id);
  Dispatch(msg_id, content, events);
}

void ServerSession::HandleDuplicate(int64_t msg_id, int32_t seqno,
                                    std::vector<ServerEvent>& events) {
  events.emplace_back(ServerDuplicateEvent{msg_id});
  if ((seqno & 1) != 0 &&
      std::find(pending_acks_.begin(), pending_acks_.end(), msg_id) == pending_acks_.end()) {
    pending_acks_.push_back(msg_id);
  }
  auto rpc = rpcs_.find(msg_id);
  if (rpc == rpcs_.end() || !rpc->second.answered || rpc->second.answer_msg_id == 0) return;
  auto sent = unacked_.find(rpc->second.answer_msg_id);
  if (sent != unacked_.end() && sent->second.body.size() <= options_->resend_answer_max_size) {
    QueueResend(rpc->second.answer_msg_id);
    return;
  }
  mtp::msg_detailed_info info;
  info.msg_id = msg_id;
  info.answer_msg_id = rpc->second.answer_msg_id;
  info.bytes = static_cast<int32_t>(rpc->second.answer_size);
  info.status = 0;
  Queue(SerializeService(info), false, MsgIdKind::kServerResponse);
}

void ServerSession::Queue(std::string body, bool content_related, MsgIdKind kind, int64_t answers) {
  Pending pending;
  pending.body = std::move(body);
  pending.content_related = content_related;
  pending.kind = kind;
  pending.answers = answers;
  queue_.push_back(std::move(pending));
}

void ServerSession::QueueResend(int64_t msg_id) {
  auto sent = unacked_.find(msg_id);
  if (sent == unacked_.end() || !queued_resends_.insert(msg_id).second) return;
  Pending pending;
  pending.body = sent->second.body;
  pending.content_related = true;
  pending.msg_id = msg_id;
  pending.seqno = sent->second.seqno;
  queue_.push_back(std::move(pending));
}

void ServerSession::SendRpcResult(int64_t req_msg_id, std::string result) {
  auto rpc = rpcs_.find(req_msg_id);
  if (rpc != rpcs_.end()) {
    if (rpc->second.dropped) {
      rpcs_.erase(rpc);
      return;
    }
    rpc->second.answered = true;
  }
  if (options_->compress_min_size > 0 && result.size() >= options_->compress_min_size) {
    absl::StatusOr<std::string> packed = PackGzip(result);
    if (packed.ok() && packed->size() < result.size()) result = *std::move(packed);
  }
  Queue(BuildRpcResult(req_msg_id, result), true, MsgIdKind::kServerResponse, req_msg_id);
}

void ServerSession::SendRpcError(int64_t req_msg_id, int32_t code, absl::string_view message) {
  mtp::rpc_error error;
  error.error_code = code;
  error.error_message = std::string(message);
  SendRpcResult(req_msg_id, SerializeService(error));
}

void ServerSession::PushUpdate(std::string body) {
  Queue(std::move(body), true, MsgIdKind::kServerOther);
}

void ServerSession::ResendUnacked() {
  for (const auto& [msg_id, sent] : unacked_) QueueResend(msg_id);
}

std::vector<ServerSession::Pending> ServerSession::TakeBatch() {
  std::vector<Pending> batch;
  size_t bodies = 0;
  while (!queue_.empty() && batch.size() < options_->max_container_messages) {
    const size_t size = queue_.front().body.size();
    if (!batch.empty() &&
        ContainerSize(batch.size() + 1, bodies + size) > options_->max_packet_body_size) {
      break;
    }
    bodies += size;
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return batch;
}

absl::StatusOr<std::optional<std::string>> ServerSession::BuildPacket() {
  const absl::Time now = options_->clock();
  for (size_t at = 0; at < pending_acks_.size(); at += kMaxAckIds) {
    mtp::msgs_ack ack;
    const size_t end = std::min(pending_acks_.size(), at + kMaxAckIds);
    ack.msg_ids.assign(pending_acks_.begin() + at, pending_acks_.begin() + end);
    // Acknowledgments go first, so the client stops worrying about its queries early.
    Pending pending;
    pending.body = SerializeService(ack);
    queue_.push_front(std::move(pending));
  }
  pending_acks_.clear();
  if (queue_.empty()) return std::nullopt;

  std::vector<Pending> batch = TakeBatch();
  int64_t max_inner = 0;
  bool resent = false;
  for (Pending& pending : batch) {
    if (pending.msg_id != 0) {
      resent = true;
      queued_resends_.erase(pending.msg_id);
    } else {
      pending.msg_id = msg_ids_.Next(now, pending.kind);
      pending.seqno = seqnos_.Next(pending.content_related);
      if (pending.content_related) unacked_[pending.msg_id] = Sent{pending.body, pending.seqno};
      if (pending.answers != 0) {
        auto rpc = rpcs_.find(pending.answers);
        if (rpc != rpcs_.end()) {
          rpc->second.answer_msg_id = pending.msg_id;
          rpc->second.answer_seqno = pending.seqno;
          rpc->second.answer_size = pending.body.size();
        }
      }
    }
    max_inner = std::max(max_inner, pending.msg_id);
  }
  while (unacked_.size() > options_->max_unacked) unacked_.erase(unacked_.begin());

  crypto::MessageHeader header;
  header.salt = key_.salts->Current(now);
  header.session_id = session_id_;
  // The body is written straight into the packet, after room for its headers, and encrypted in
  // place (a file part is copied once on its way to the socket).
  std::string packet(crypto::PacketCipher::kBodyOffset, '\0');
  // A message resent with its old msg_id travels in a container with a fresh msg_id.
  if (batch.size() == 1 && !resent) {
    header.msg_id = static_cast<uint64_t>(batch[0].msg_id);
    header.seq_no = static_cast<uint32_t>(batch[0].seqno);
    packet.reserve(crypto::PacketCipher::EncryptedSize(batch[0].body.size()));
    packet.append(batch[0].body);
  } else {
    if (msg_ids_.last() < max_inner) msg_ids_.set_floor(max_inner);
    header.msg_id = static_cast<uint64_t>(msg_ids_.Next(now, MsgIdKind::kServerOther));
    header.seq_no = static_cast<uint32_t>(seqnos_.Next(false));
    size_t bodies = 0;
    for (const Pending& pending : batch) bodies += pending.body.size();
    packet.reserve(crypto::PacketCipher::EncryptedSize(ContainerSize(batch.size(), bodies)));
    AppendContainerHeader(batch.size(), packet);
    for (const Pending& pending : batch) {
      AppendContainerMessage(pending.msg_id, pending.seqno, pending.body, packet);
    }
  }
  const size_t body_size = packet.size() - crypto::PacketCipher::kBodyOffset;
  packet.resize(crypto::PacketCipher::EncryptedSize(body_size));
  TGRPC_ASSIGN_OR_RETURN(
      const size_t size,
      key_.cipher->EncryptInPlace(
          header, body_size, options_->random,
          absl::MakeSpan(reinterpret_cast<uint8_t*>(packet.data()), packet.size())));
  packet.resize(size);
  return packet;
}

}  // namespace tgrpc::mtproto::session
