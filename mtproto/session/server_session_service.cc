// ServerSession: service messages the server answers itself.
#include <algorithm>
#include <utility>

#include "absl/time/time.h"
#include "mtproto/session/server_session.h"
#include "mtproto/session/wire.h"
#include "tl/generated/mtp.h"

namespace tgrpc::mtproto::session {
namespace {

namespace mtp = ::tgrpc::tl::mtp;

constexpr int32_t kMaxFutureSalts = 64;

}  // namespace

void ServerSession::Dispatch(int64_t msg_id, absl::string_view body,
                             std::vector<ServerEvent>& events) {
  auto malformed = [&] {
    events.push_back(ServerRejectedEvent{msg_id, 0, "malformed service message"});
  };
  const absl::Time now = options_->clock();
  switch (ConstructorId(body)) {
    case mtp::msgs_ack::kId: {
      absl::StatusOr<mtp::msgs_ack> ack = ParseService<mtp::msgs_ack>(body);
      if (!ack.ok()) return malformed();
      for (int64_t id : ack->msg_ids) unacked_.erase(id);
      return;
    }
    case mtp::ping::kId: {
      absl::StatusOr<mtp::ping> ping = ParseService<mtp::ping>(body);
      if (!ping.ok()) return malformed();
      mtp::pong pong;
      pong.msg_id = msg_id;
      pong.ping_id = ping->ping_id;
      return Queue(SerializeService(pong), false, MsgIdKind::kServerResponse);
    }
    case mtp::ping_delay_disconnect::kId: {
      absl::StatusOr<mtp::ping_delay_disconnect> ping =
          ParseService<mtp::ping_delay_disconnect>(body);
      if (!ping.ok()) return malformed();
      mtp::pong pong;
      pong.msg_id = msg_id;
      pong.ping_id = ping->ping_id;
      Queue(SerializeService(pong), false, MsgIdKind::kServerResponse);
      events.push_back(ServerPingDelayDisconnectEvent{ping->disconnect_delay});
      return;
    }
    case mtp::get_future_salts::kId: {
      absl::StatusOr<mtp::get_future_salts> request = ParseService<mtp::get_future_salts>(body);
      if (!request.ok()) return malformed();
      mtp::future_salts salts;
      salts.req_msg_id = msg_id;
      salts.now = static_cast<int32_t>(absl::ToUnixSeconds(now));
      const int32_t count = std::clamp(request->num, 1, kMaxFutureSalts);
      for (const FutureSalt& salt : key_.salts->Upcoming(now, count)) {
        mtp::future_salt& out = salts.salts.emplace_back();
        out.valid_since = static_cast<int32_t>(absl::ToUnixSeconds(salt.valid_since));
        out.valid_until = static_cast<int32_t>(absl::ToUnixSeconds(salt.valid_until));
        out.salt = static_cast<int64_t>(salt.salt);
      }
      // Not wrapped in rpc_result; it carries req_msg_id itself.
      return Queue(SerializeService(salts), true, MsgIdKind::kServerResponse);
    }
    case mtp::msgs_state_req::kId: {
      absl::StatusOr<mtp::msgs_state_req> request = ParseService<mtp::msgs_state_req>(body);
      if (!request.ok()) return malformed();
      return AnswerStateRequest(msg_id, request->msg_ids);
    }
    case mtp::msg_resend_req::kId: {
      absl::StatusOr<mtp::msg_resend_req> request = ParseService<mtp::msg_resend_req>(body);
      if (!request.ok()) return malformed();
      return AnswerResendRequest(msg_id, request->msg_ids);
    }
    case mtp::msg_resend_ans_req::kId: {
      absl::StatusOr<mtp::msg_resend_ans_req> request = ParseService<mtp::msg_resend_ans_req>(body);
      if (!request.ok()) return malformed();
      return AnswerResendRequest(msg_id, request->msg_ids);
    }
    case mtp::destroy_session::kId: {
      absl::StatusOr<mtp::destroy_session> request = ParseService<mtp::destroy_session>(body);
      if (!request.ok()) return malformed();
      const uint64_t target = static_cast<uint64_t>(request->session_id);
      const bool destroyed =
          target != session_id_ && key_.destroy_session != nullptr && key_.destroy_session(target);
      if (destroyed) {
        mtp::destroy_session_ok ok;
        ok.session_id = request->session_id;
        Queue(SerializeService(ok), true, MsgIdKind::kServerResponse);
        events.push_back(ServerSessionDestroyedEvent{target});
      } else {
        mtp::destroy_session_none none;
        none.session_id = request->session_id;
        Queue(SerializeService(none), true, MsgIdKind::kServerResponse);
      }
      return;
    }
    case mtp::rpc_drop_answer::kId: {
      absl::StatusOr<mtp::rpc_drop_answer> request = ParseService<mtp::rpc_drop_answer>(body);
      if (!request.ok()) return malformed();
      return AnswerDropAnswer(msg_id, request->req_msg_id);
    }
    // Messages a client has no reason to send, or that need no answer.
    case mtp::msgs_state_info::kId:
    case mtp::msgs_all_info::kId:
    case mtp::msg_detailed_info::kId:
    case mtp::msg_new_detailed_info::kId:
    case mtp::http_wait::kId:
      return;
    default: {
      rpcs_[msg_id] = Rpc{};
      while (rpcs_.size() > options_->received_window) rpcs_.erase(rpcs_.begin());
      events.push_back(ServerRpcCallEvent{msg_id, std::string(body)});
      return;
    }
  }
}

void ServerSession::AnswerStateRequest(int64_t msg_id, const std::vector<int64_t>& msg_ids) {
  mtp::msgs_state_info info;
  info.req_msg_id = msg_id;
  for (int64_t id : msg_ids) {
    uint8_t state = received_.State(id);
    if (state == 4) {
      const int32_t seqno = received_.SeqNo(id);
      if (seqno == ReceivedMessages::kNoSeqNo || (seqno & 1) == 0) {
        state |= 16;
      } else if (std::find(pending_acks_.begin(), pending_acks_.end(), id) == pending_acks_.end()) {
        state |= 8;
      }
      auto rpc = rpcs_.find(id);
      if (rpc != rpcs_.end()) {
        state |= 32;
        if (rpc->second.answered) state |= 64;
      }
    }
    info.info.push_back(static_cast<char>(state));
  }
  Queue(SerializeService(info), false, MsgIdKind::kServerResponse);
}

void ServerSession::AnswerResendRequest(int64_t msg_id, const std::vector<int64_t>& msg_ids) {
  const bool all_known = std::all_of(msg_ids.begin(), msg_ids.end(),
                                     [&](int64_t id) { return unacked_.count(id) != 0; });
  if (all_known) {
    for (int64_t id : msg_ids) QueueResend(id);
    return;
  }
  // Spec: if any of them is unknown, answer as if this were msgs_state_req about them.
  mtp::msgs_state_info info;
  info.req_msg_id = msg_id;
  for (int64_t id : msg_ids) info.info.push_back(static_cast<char>(unacked_.count(id) ? 4 : 1));
  Queue(SerializeService(info), false, MsgIdKind::kServerResponse);
}

void ServerSession::AnswerDropAnswer(int64_t msg_id, int64_t req_msg_id) {
  std::string answer;
  auto rpc = rpcs_.find(req_msg_id);
  if (rpc == rpcs_.end()) {
    answer = SerializeService(mtp::rpc_answer_unknown());
  } else if (!rpc->second.answered) {
    rpc->second.dropped = true;
    answer = SerializeService(mtp::rpc_answer_dropped_running());
  } else {
    mtp::rpc_answer_dropped dropped;
    dropped.msg_id = rpc->second.answer_msg_id;
    dropped.seq_no = rpc->second.answer_seqno;
    dropped.bytes = static_cast<int32_t>(rpc->second.answer_size);
    unacked_.erase(rpc->second.answer_msg_id);
    answer = SerializeService(dropped);
  }
  Queue(BuildRpcResult(msg_id, answer), true, MsgIdKind::kServerResponse);
}

}  // namespace tgrpc::mtproto::session
