#include "tests/fakedc/session_slots.h"

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "mtproto/crypto/packet_cipher.h"
#include "tl/generated/mtp.h"
#include "tl/runtime/object.h"

namespace tgrpc::fakedc {
namespace {

namespace session = mtproto::session;

// The reclaimer's session id, or the first one after it that no client session of the key has.
constexpr uint64_t kReclaimerSessionId = 0x66616b6564632d72;  // "fakedc-r"

}  // namespace

std::optional<uint64_t> SessionSlots::MakeRoom(session::SessionServer& sessions,
                                               uint64_t auth_key_id) {
  auto found = keys_.find(auth_key_id);
  if (found == keys_.end() || found->second.sessions.size() < max_sessions_) return std::nullopt;
  KeySessions& key = found->second;
  auto oldest = key.sessions.end();
  for (auto it = key.sessions.begin(); it != key.sessions.end(); ++it) {
    if (!it->second.connections.empty()) continue;
    if (oldest == key.sessions.end() || it->second.last_used < oldest->second.last_used) {
      oldest = it;
    }
  }
  if (oldest == key.sessions.end()) {
    // Every session has a connection: none is freed, and the reclaimer's slot is taken (once), so
    // that SessionServer refuses a new session of this key.
    if (key.reclaimer == 0) {
      absl::StatusOr<std::string> ack = tl::Serialize(tl::mtp::msgs_ack());
      if (ack.ok()) SendAsReclaimer(sessions, auth_key_id, key, *ack);
    }
    return std::nullopt;
  }
  const uint64_t target = oldest->first;
  tl::mtp::destroy_session destroy;
  destroy.session_id = static_cast<int64_t>(target);
  absl::StatusOr<std::string> body = tl::Serialize(destroy);
  if (!body.ok() || !SendAsReclaimer(sessions, auth_key_id, key, *body) ||
      sessions.FindSession(auth_key_id, target) != nullptr) {
    return std::nullopt;
  }
  key.sessions.erase(oldest);
  return target;
}

bool SessionSlots::SendAsReclaimer(session::SessionServer& sessions, uint64_t auth_key_id,
                                   KeySessions& key, const std::string& body) {
  session::ServerSalts* salts = sessions.FindSalts(auth_key_id);
  if (salts == nullptr) return false;
  if (key.reclaimer == 0) {
    key.reclaimer = kReclaimerSessionId;
    while (key.sessions.count(key.reclaimer) != 0) ++key.reclaimer;
    key.reclaimer_msg_ids = session::MsgIdGenerator();
  }
  // A message as a client would send it: the key's current salt, a client msg_id of now, and
  // seq_no 0 (the reclaimer never sends a content-related message).
  const absl::Time now = clock_();
  mtproto::crypto::MessageHeader header;
  header.salt = salts->Current(now);
  header.session_id = key.reclaimer;
  header.msg_id =
      static_cast<uint64_t>(key.reclaimer_msg_ids.Next(now, session::MsgIdKind::kClient));
  header.seq_no = 0;
  absl::StatusOr<session::SessionServer::Incoming> incoming =
      sessions.OnMessage(auth_key_id, header, body);
  if (!incoming.ok()) {
    key.reclaimer = 0;
    return false;
  }
  // Its answers (new_session_created, destroy_session_ok) are for nobody: built and dropped, so
  // that they do not pile up.
  for (;;) {
    absl::StatusOr<std::optional<std::string>> packet = incoming->session->BuildPacket();
    if (!packet.ok() || !packet->has_value()) break;
  }
  return true;
}

void SessionSlots::Used(uint64_t auth_key_id, uint64_t session_id, int64_t connection_id) {
  KeySessions& key = keys_[auth_key_id];
  if (session_id == key.reclaimer) return;
  SessionUse& use = key.sessions[session_id];
  use.connections.insert(connection_id);
  use.last_used = ++uses_;
  by_connection_[connection_id].insert({auth_key_id, session_id});
}

void SessionSlots::Closed(int64_t connection_id) {
  auto carried = by_connection_.find(connection_id);
  if (carried == by_connection_.end()) return;
  for (const auto& [auth_key_id, session_id] : carried->second) {
    auto key = keys_.find(auth_key_id);
    if (key == keys_.end()) continue;
    auto use = key->second.sessions.find(session_id);
    if (use != key->second.sessions.end()) use->second.connections.erase(connection_id);
  }
  by_connection_.erase(carried);
}

void SessionSlots::Destroyed(uint64_t auth_key_id, uint64_t session_id) {
  auto key = keys_.find(auth_key_id);
  if (key == keys_.end()) return;
  if (session_id == key->second.reclaimer) key->second.reclaimer = 0;
  key->second.sessions.erase(session_id);
}

void SessionSlots::ForgetKey(uint64_t auth_key_id) { keys_.erase(auth_key_id); }

size_t SessionSlots::sessions(uint64_t auth_key_id) const {
  auto key = keys_.find(auth_key_id);
  return key == keys_.end() ? 0 : key->second.sessions.size();
}

size_t SessionSlots::idle(uint64_t auth_key_id) const {
  auto key = keys_.find(auth_key_id);
  if (key == keys_.end()) return 0;
  size_t out = 0;
  for (const auto& [id, use] : key->second.sessions) out += use.connections.empty() ? 1 : 0;
  return out;
}

}  // namespace tgrpc::fakedc
