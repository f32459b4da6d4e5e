// ClientSession: handling of what the server sends.
#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "mtproto/session/client_session.h"
#include "mtproto/session/wire.h"
#include "tl/generated/mtp.h"

namespace tgrpc::mtproto::session {
namespace {

namespace mtp = ::tgrpc::tl::mtp;

FutureSalt ToFutureSalt(const mtp::future_salt& salt) {
  return FutureSalt{absl::FromUnixSeconds(salt.valid_since),
                    absl::FromUnixSeconds(salt.valid_until), static_cast<uint64_t>(salt.salt)};
}

}  // namespace

void ClientSession::HandleMessage(int64_t msg_id, int32_t seqno, absl::string_view body,
                                  bool top_level, std::vector<Event>& events) {
  const absl::Time now = options_.clock();
  if (received_.Find(msg_id) != ReceivedMessages::Lookup::kNew) {
    // The server resent something we have (or have forgotten): acknowledge it again, once.
    ++stats_.duplicates_ignored;
    if ((seqno & 1) != 0 &&
        std::find(pending_acks_.begin(), pending_acks_.end(), msg_id) == pending_acks_.end()) {
      AddAck(msg_id, now);
    }
    return;
  }
  if (ConstructorId(body) == mtp::msg_container::kId) {
    absl::StatusOr<std::vector<InnerMessage>> messages =
        top_level ? ParseContainer(body, options_.max_container_messages)
                  : absl::InvalidArgumentError("nested msg_container");
    if (!messages.ok()) {
      ++stats_.malformed_ignored;
      return;
    }
    received_.Insert(msg_id, ReceivedMessages::kNoSeqNo);
    for (const InnerMessage& inner : *messages) {
      if ((inner.msg_id & 1) == 0) {
        ++stats_.malformed_ignored;
        continue;
      }
      HandleMessage(inner.msg_id, inner.seqno, inner.body, false, events);
    }
    return;
  }
  received_.Insert(msg_id, seqno);
  if ((seqno & 1) != 0) AddAck(msg_id, now);
  Dispatch(msg_id, body, events);
}

void ClientSession::Dispatch(int64_t msg_id, absl::string_view body, std::vector<Event>& events) {
  auto malformed = [&] { ++stats_.malformed_ignored; };
  switch (ConstructorId(body)) {
    case mtp::gzip_packed::kId: {
      absl::StatusOr<std::string> inflated = UnpackGzip(body, options_.max_inflated_size);
      if (!inflated.ok()) return malformed();
      return Dispatch(msg_id, *inflated, events);
    }
    case mtp::rpc_result::kId:
      return HandleRpcResult(body, events);
    case mtp::msgs_ack::kId: {
      absl::StatusOr<mtp::msgs_ack> ack = ParseService<mtp::msgs_ack>(body);
      if (!ack.ok()) return malformed();
      return HandleAcks(ack->msg_ids);
    }
    case mtp::bad_msg_notification::kId: {
      absl::StatusOr<mtp::bad_msg_notification> bad = ParseService<mtp::bad_msg_notification>(body);
      if (!bad.ok()) return malformed();
      return HandleBadMsg(msg_id, bad->bad_msg_id, bad->error_code, events);
    }
    case mtp::bad_server_salt::kId: {
      absl::StatusOr<mtp::bad_server_salt> bad = ParseService<mtp::bad_server_salt>(body);
      if (!bad.ok()) return malformed();
      salts_.SetFromServer(static_cast<uint64_t>(bad->new_server_salt));
      return HandleBadMsg(msg_id, bad->bad_msg_id, 48, events);
    }
    case mtp::new_session_created::kId:
      return HandleNewSession(body, events);
    case mtp::future_salts::kId:
      return HandleFutureSalts(body, events);
    case mtp::pong::kId:
      return HandlePong(body, events);
    case mtp::msgs_state_req::kId:
      return HandleStateRequest(msg_id, body);
    case mtp::msgs_all_info::kId:
      return HandleAllInfo(body);
    case mtp::msg_resend_req::kId: {
      absl::StatusOr<mtp::msg_resend_req> request = ParseService<mtp::msg_resend_req>(body);
      if (!request.ok()) return malformed();
      return HandleResendRequest(request->msg_ids);
    }
    case mtp::msg_resend_ans_req::kId: {
      absl::StatusOr<mtp::msg_resend_ans_req> request = ParseService<mtp::msg_resend_ans_req>(body);
      if (!request.ok()) return malformed();
      return HandleResendRequest(request->msg_ids);
    }
    case mtp::msg_detailed_info::kId: {
      absl::StatusOr<mtp::msg_detailed_info> info = ParseService<mtp::msg_detailed_info>(body);
      if (!info.ok()) return malformed();
      return HandleDetailedInfo(info->msg_id, info->answer_msg_id);
    }
    case mtp::msg_new_detailed_info::kId: {
      absl::StatusOr<mtp::msg_new_detailed_info> info =
          ParseService<mtp::msg_new_detailed_info>(body);
      if (!info.ok()) return malformed();
      return HandleDetailedInfo(std::nullopt, info->answer_msg_id);
    }
    case mtp::destroy_session_ok::kId: {
      absl::StatusOr<mtp::destroy_session_ok> result = ParseService<mtp::destroy_session_ok>(body);
      if (!result.ok()) return malformed();
      return HandleDestroySessionResult(body, static_cast<uint64_t>(result->session_id), events);
    }
    case mtp::destroy_session_none::kId: {
      absl::StatusOr<mtp::destroy_session_none> result =
          ParseService<mtp::destroy_session_none>(body);
      if (!result.ok()) return malformed();
      return HandleDestroySessionResult(body, static_cast<uint64_t>(result->session_id), events);
    }
    case mtp::msgs_state_info::kId:  // answers msgs_state_req, which this client does not send
    case mtp::http_wait::kId:
    case mtp::msg_copy::kId:
      return;
    case 0:
      return malformed();
    default:
      events.push_back(UpdateEvent{msg_id, std::string(body)});
      return;
  }
}

void ClientSession::HandleRpcResult(absl::string_view body, std::vector<Event>& events) {
  absl::StatusOr<RpcResultView> result = ParseRpcResult(body);
  if (!result.ok()) {
    ++stats_.malformed_ignored;
    return;
  }
  MarkConfirmed(result->req_msg_id);
  uint64_t id = 0;
  if (FindBySentMsgId(result->req_msg_id, &id) == nullptr) return;  // cancelled or unknown
  CompleteCall(id, result->result, events);
}

void ClientSession::CompleteCall(uint64_t id, absl::string_view result,
                                 std::vector<Event>& events) {
  Outgoing& out = outgoing_[id];
  absl::StatusOr<std::string> inflated = UnpackGzip(result, options_.max_inflated_size);
  switch (out.kind) {
    case Kind::kCall:
      if (!inflated.ok()) {
        return Fail(id,
                    absl::DataLossError(
                        absl::StrCat("undecodable rpc_result: ", inflated.status().message())),
                    events);
      }
      if (ConstructorId(*inflated) == mtp::rpc_error::kId) {
        absl::StatusOr<mtp::rpc_error> error = ParseService<mtp::rpc_error>(*inflated);
        if (!error.ok()) {
          return Fail(id, absl::DataLossError("undecodable rpc_error"), events);
        }
        events.push_back(RpcErrorEvent{id, ParseRpcError(error->error_code, error->error_message)});
      } else {
        events.push_back(RpcResultEvent{id, *std::move(inflated)});
      }
      break;
    case Kind::kFutureSalts:
      if (inflated.ok() && ConstructorId(*inflated) == mtp::future_salts::kId) {
        return HandleFutureSalts(*inflated, events);
      }
      break;
    case Kind::kKeepalive:
      if (inflated.ok() && ConstructorId(*inflated) == mtp::pong::kId) {
        return HandlePong(*inflated, events);
      }
      break;
    case Kind::kFireAndForget:
    case Kind::kAck:
    case Kind::kService:
      break;
  }
  Remove(id);
}

void ClientSession::HandleAcks(const std::vector<int64_t>& msg_ids) {
  for (int64_t msg_id : msg_ids) {
    MarkConfirmed(msg_id);
    uint64_t id = 0;
    Outgoing* out = FindBySentMsgId(msg_id, &id);
    if (out == nullptr || out->msg_id != msg_id) continue;
    out->acked = true;
    if (out->kind == Kind::kService) Remove(id);
  }
}

void ClientSession::HandleBadMsg(int64_t notification_msg_id, int64_t bad_msg_id, int32_t code,
                                 std::vector<Event>& events) {
  const absl::Time now = options_.clock();
  // The messages the notification is about: a container stands for everything in it.
  std::vector<int64_t> msg_ids;
  const bool is_container = containers_.contains(bad_msg_id);
  if (is_container) {
    msg_ids = containers_[bad_msg_id].msg_ids;
  } else {
    msg_ids.push_back(bad_msg_id);
  }
  std::vector<uint64_t> ids;
  for (int64_t msg_id : msg_ids) {
    uint64_t id = 0;
    Outgoing* out = FindBySentMsgId(msg_id, &id);
    // Only the latest send counts; an earlier msg_id of a resent message is stale news.
    if (out != nullptr && out->msg_id == msg_id && !out->queued) ids.push_back(id);
  }

  switch (code) {
    case 16:  // msg_id too low
    case 17:  // msg_id too high
      // The notification's own msg_id carries the server's time.
      msg_ids_.SyncWith(notification_msg_id, now);
      // Ids the server rejected as too high need not be exceeded; accepted ones must be.
      if (code == 17) msg_ids_.set_floor(max_confirmed_msg_id_);
      break;
    case 19:  // container msg_id reused
    case 20:  // message too old
    case 48:  // bad server salt (already stored)
      break;
    case 32:  // seq_no too low
    case 33:  // seq_no too high
      // Probably msg_ids went down after a time correction: go above everything sent.
      msg_ids_.set_floor(std::max(msg_ids_.last(), max_sent_msg_id_));
      break;
    case 34:  // even seq_no expected
    case 35:  // odd seq_no expected
      // About a container (whose seq_no is always even) there is nothing to flip: resend.
      if (!is_container) {
        for (uint64_t id : ids) outgoing_[id].content_related = code == 35;
      }
      break;
    case 64:  // invalid container
      if (!is_container) {
        for (uint64_t id : ids) {
          Fail(id, absl::InternalError("bad_msg_notification 64 (invalid container)"), events);
        }
        return;
      }
      for (uint64_t id : ids) outgoing_[id].alone = true;
      break;
    default:  // 18 (msg_id parity) and anything unknown: nothing a resend could fix
      for (uint64_t id : ids) {
        Fail(id, absl::InternalError(absl::StrCat("bad_msg_notification ", code)), events);
      }
      return;
  }
  std::vector<uint64_t> resend;
  for (uint64_t id : ids) {
    Outgoing& out = outgoing_[id];
    if (++out.resends > options_.max_resends) {
      Fail(id,
           absl::UnavailableError(absl::StrCat("gave up after ", options_.max_resends,
                                               " resends; last bad_msg_notification ", code)),
           events);
      continue;
    }
    resend.push_back(id);
  }
  Requeue(resend, false);
}

void ClientSession::HandleNewSession(absl::string_view body, std::vector<Event>& events) {
  absl::StatusOr<mtp::new_session_created> created = ParseService<mtp::new_session_created>(body);
  if (!created.ok()) {
    ++stats_.malformed_ignored;
    return;
  }
  salts_.SetCurrent(static_cast<uint64_t>(created->server_salt));
  // Messages sent before the session's first message never reached it.
  std::vector<uint64_t> lost;
  for (const auto& [id, out] : outgoing_) {
    if (out.kind == Kind::kCall && !out.queued && out.msg_id != 0 &&
        out.msg_id < created->first_msg_id) {
      lost.push_back(id);
    }
  }
  Requeue(lost, false);
  events.push_back(NewSessionEvent{created->first_msg_id, static_cast<uint64_t>(created->unique_id),
                                   static_cast<uint64_t>(created->server_salt)});
}

void ClientSession::HandleFutureSalts(absl::string_view body, std::vector<Event>& events) {
  absl::StatusOr<mtp::future_salts> salts = ParseService<mtp::future_salts>(body);
  if (!salts.ok()) {
    ++stats_.malformed_ignored;
    return;
  }
  std::vector<FutureSalt> future;
  for (const mtp::future_salt& salt : salts->salts) future.push_back(ToFutureSalt(salt));
  salts_.AddFuture(future);
  MarkConfirmed(salts->req_msg_id);
  uint64_t id = 0;
  Outgoing* out = FindBySentMsgId(salts->req_msg_id, &id);
  if (out == nullptr) return;
  if (out->kind == Kind::kCall) events.push_back(RpcResultEvent{id, std::string(body)});
  Remove(id);
}

void ClientSession::HandlePong(absl::string_view body, std::vector<Event>& events) {
  absl::StatusOr<mtp::pong> pong = ParseService<mtp::pong>(body);
  if (!pong.ok()) {
    ++stats_.malformed_ignored;
    return;
  }
  MarkConfirmed(pong->msg_id);
  uint64_t id = 0;
  Outgoing* out = FindBySentMsgId(pong->msg_id, &id);
  if (out == nullptr) return;
  if (out->kind == Kind::kCall) {
    events.push_back(RpcResultEvent{id, std::string(body)});
  } else if (out->kind == Kind::kKeepalive) {
    events.push_back(PongEvent{pong->ping_id, options_.clock() - out->sent_at});
  }
  Remove(id);
}

void ClientSession::HandleStateRequest(int64_t msg_id, absl::string_view body) {
  absl::StatusOr<mtp::msgs_state_req> request = ParseService<mtp::msgs_state_req>(body);
  if (!request.ok()) {
    ++stats_.malformed_ignored;
    return;
  }
  mtp::msgs_state_info info;
  info.req_msg_id = msg_id;
  for (int64_t id : request->msg_ids) {
    uint8_t state = received_.State(id);
    if (state == 4) {
      const int32_t seqno = received_.SeqNo(id);
      if (seqno != ReceivedMessages::kNoSeqNo && (seqno & 1) == 0) state |= 16;
      if ((seqno & 1) != 0 &&
          std::find(pending_acks_.begin(), pending_acks_.end(), id) == pending_acks_.end()) {
        state |= 8;
      }
    }
    info.info.push_back(static_cast<char>(state));
  }
  // msgs_state_info acknowledges the request itself and needs no acknowledgment.
  Enqueue(Kind::kService, SerializeService(info), false);
}

void ClientSession::HandleAllInfo(absl::string_view body) {
  absl::StatusOr<mtp::msgs_all_info> info = ParseService<mtp::msgs_all_info>(body);
  if (!info.ok() || info->info.size() != info->msg_ids.size()) {
    ++stats_.malformed_ignored;
    return;
  }
  std::vector<uint64_t> resend;
  for (size_t i = 0; i < info->msg_ids.size(); ++i) {
    uint64_t id = 0;
    Outgoing* out = FindBySentMsgId(info->msg_ids[i], &id);
    if (out == nullptr || out->msg_id != info->msg_ids[i] || out->kind != Kind::kCall) continue;
    const uint8_t state = static_cast<uint8_t>(info->info[i]) & 7;
    if (state == 4) {
      out->acked = true;
      MarkConfirmed(out->msg_id);
    } else if (state >= 1 && state <= 3 && !out->queued) {
      resend.push_back(id);
    }
  }
  Requeue(resend, false);
}

void ClientSession::HandleResendRequest(const std::vector<int64_t>& msg_ids) {
  const absl::Time server_now = msg_ids_.ServerNow(options_.clock());
  std::vector<uint64_t> reuse;
  std::vector<uint64_t> renew;
  for (int64_t msg_id : msg_ids) {
    uint64_t id = 0;
    Outgoing* out = FindBySentMsgId(msg_id, &id);
    if (out == nullptr || out->msg_id != msg_id || out->queued) continue;
    (server_now - MsgIdTime(msg_id) < absl::Seconds(240) ? reuse : renew).push_back(id);
  }
  Requeue(renew, false);
  Requeue(reuse, true);
}

void ClientSession::HandleDetailedInfo(std::optional<int64_t> msg_id, int64_t answer_msg_id) {
  if (msg_id.has_value()) HandleAcks({*msg_id});
  if (received_.Find(answer_msg_id) == ReceivedMessages::Lookup::kDuplicate) {
    // We have the answer; the server just has not seen our acknowledgment.
    AddAck(answer_msg_id, options_.clock());
    return;
  }
  mtp::msg_resend_req request;
  request.msg_ids.push_back(answer_msg_id);
  Enqueue(Kind::kService, SerializeService(request), true);
}

void ClientSession::HandleDestroySessionResult(absl::string_view body, uint64_t session_id,
                                               std::vector<Event>& events) {
  for (auto& [id, out] : outgoing_) {
    if (out.kind == Kind::kCall && out.destroys_session == session_id && out.msg_id != 0) {
      events.push_back(RpcResultEvent{id, std::string(body)});
      Remove(id);
      return;
    }
  }
}

}  // namespace tgrpc::mtproto::session
