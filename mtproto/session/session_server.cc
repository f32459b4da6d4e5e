#include "mtproto/session/session_server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/bytes.h"
#include "base/status_macros.h"

namespace tgrpc::mtproto::session {

SessionServer::SessionServer(KeyLookup lookup, ServerSessionOptions options)
    : lookup_(std::move(lookup)), options_(std::move(options)) {}

absl::StatusOr<SessionServer::KeyState*> SessionServer::GetKey(uint64_t auth_key_id) {
  auto it = keys_.find(auth_key_id);
  if (it != keys_.end()) return it->second.get();
  std::optional<ServerKey> known = lookup_ ? lookup_(auth_key_id) : std::nullopt;
  if (!known.has_value() || known->key.id() != auth_key_id) {
    return absl::NotFoundError(absl::StrCat("unknown auth_key_id ", auth_key_id));
  }
  auto state = std::make_unique<KeyState>(
      known->key, ServerSalts(options_.random, options_.salt_period, options_.salt_grace));
  if (known->first_salt.has_value()) {
    const absl::Time now = options_.clock();
    state->salts.AddSalt(*known->first_salt, absl::InfinitePast(),
                         now + options_.first_salt_lifetime);
  }
  KeyState* raw = state.get();
  keys_.emplace(auth_key_id, std::move(state));
  return raw;
}

absl::StatusOr<ServerSession*> SessionServer::GetSession(KeyState& key, uint64_t session_id) {
  auto it = key.sessions.find(session_id);
  if (it != key.sessions.end()) return it->second.get();
  if (key.sessions.size() >= options_.max_sessions_per_key) {
    return absl::ResourceExhaustedError("too many sessions for one auth key");
  }
  ServerSession::KeyContext context;
  context.cipher = &key.cipher;
  context.salts = &key.salts;
  KeyState* state = &key;
  context.destroy_session = [state](uint64_t target) { return state->sessions.erase(target) > 0; };
  auto session = std::make_unique<ServerSession>(session_id, std::move(context), &options_);
  ServerSession* raw = session.get();
  key.sessions.emplace(session_id, std::move(session));
  return raw;
}

absl::StatusOr<SessionServer::Incoming> SessionServer::OnPacket(absl::Span<uint8_t> packet) {
  TGRPC_ASSIGN_OR_RETURN(const uint64_t auth_key_id, crypto::PeekAuthKeyId(packet));
  TGRPC_ASSIGN_OR_RETURN(KeyState * key, GetKey(auth_key_id));
  TGRPC_ASSIGN_OR_RETURN(const crypto::DecryptedMessage message,
                         key->cipher.DecryptInPlace(packet));
  return OnMessage(auth_key_id, message.header, base::AsStringView(message.body));
}

absl::StatusOr<SessionServer::Incoming> SessionServer::OnMessage(
    uint64_t auth_key_id, const crypto::MessageHeader& header, absl::string_view body) {
  TGRPC_ASSIGN_OR_RETURN(KeyState * key, GetKey(auth_key_id));
  TGRPC_ASSIGN_OR_RETURN(ServerSession * session, GetSession(*key, header.session_id));
  Incoming incoming;
  incoming.auth_key_id = auth_key_id;
  incoming.session_id = header.session_id;
  incoming.events = session->OnMessage(header, body);
  // destroy_session may not destroy the session it arrived in, so `session` is still alive.
  incoming.session = session;
  return incoming;
}

ServerSession* SessionServer::FindSession(uint64_t auth_key_id, uint64_t session_id) {
  auto key = keys_.find(auth_key_id);
  if (key == keys_.end()) return nullptr;
  auto session = key->second->sessions.find(session_id);
  return session == key->second->sessions.end() ? nullptr : session->second.get();
}

ServerSalts* SessionServer::FindSalts(uint64_t auth_key_id) {
  auto key = keys_.find(auth_key_id);
  return key == keys_.end() ? nullptr : &key->second->salts;
}

void SessionServer::ForgetKey(uint64_t auth_key_id) { keys_.erase(auth_key_id); }

}  // namespace tgrpc::mtproto::session
