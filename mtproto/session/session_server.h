// The server role's entry point: finds the auth key of an incoming packet through the owner's
// lookup, decrypts it, and routes it to the ServerSession of its session_id, creating sessions
// (and each key's salt schedule) on first use. Not thread-safe.
#ifndef TGRPC_MTPROTO_SESSION_SESSION_SERVER_H_
#define TGRPC_MTPROTO_SESSION_SESSION_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "mtproto/crypto/auth_key.h"
#include "mtproto/crypto/packet_cipher.h"
#include "mtproto/session/salts.h"
#include "mtproto/session/server_events.h"
#include "mtproto/session/server_session.h"

namespace tgrpc::mtproto::session {

// A key the owner knows, e.g. from its handshake responder or its storage.
struct ServerKey {
  crypto::AuthKey key;
  // The key exchange's first salt (new_nonce[0:8] XOR server_nonce[0:8]), accepted for
  // ServerSessionOptions::first_salt_lifetime from the key's first packet.
  std::optional<uint64_t> first_salt;
};

class SessionServer {
 public:
  // Returns the key for an auth_key_id, or nullopt if unknown. Asked once per key.
  using KeyLookup = std::function<std::optional<ServerKey>(uint64_t auth_key_id)>;

  SessionServer(KeyLookup lookup, ServerSessionOptions options);

  // Sessions point at the options and key state held here.
  SessionServer(const SessionServer&) = delete;
  SessionServer& operator=(const SessionServer&) = delete;

  struct Incoming {
    uint64_t auth_key_id = 0;
    uint64_t session_id = 0;
    // Valid until the session is destroyed or its key forgotten.
    ServerSession* session = nullptr;
    std::vector<ServerEvent> events;
  };

  // Decrypts `packet` in place and handles it. Errors: NotFound for an unknown auth_key_id
  // (Telegram answers with transport error -404), InvalidArgument when the msg_key, length or
  // padding check fails (drop it, or -404), ResourceExhausted when the key has too many
  // sessions. Protocol rule violations are not errors: they produce bad_msg_notification and a
  // ServerRejectedEvent.
  absl::StatusOr<Incoming> OnPacket(absl::Span<uint8_t> packet);
  // OnPacket after decryption (tests and the fuzz target).
  absl::StatusOr<Incoming> OnMessage(uint64_t auth_key_id, const crypto::MessageHeader& header,
                                     absl::string_view body);

  ServerSession* FindSession(uint64_t auth_key_id, uint64_t session_id);
  // The salt schedule of a key seen before, or nullptr.
  ServerSalts* FindSalts(uint64_t auth_key_id);
  // Forgets a key with its sessions (e.g. after destroy_auth_key).
  void ForgetKey(uint64_t auth_key_id);

 private:
  struct KeyState {
    KeyState(const crypto::AuthKey& key, ServerSalts salts)
        : cipher(key, crypto::Role::kServer), salts(std::move(salts)) {}
    crypto::PacketCipher cipher;
    ServerSalts salts;
    absl::flat_hash_map<uint64_t, std::unique_ptr<ServerSession>> sessions;
  };

  absl::StatusOr<KeyState*> GetKey(uint64_t auth_key_id);
  absl::StatusOr<ServerSession*> GetSession(KeyState& key, uint64_t session_id);

  KeyLookup lookup_;
  ServerSessionOptions options_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<KeyState>> keys_;
};

}  // namespace tgrpc::mtproto::session

#endif  // TGRPC_MTPROTO_SESSION_SESSION_SERVER_H_
