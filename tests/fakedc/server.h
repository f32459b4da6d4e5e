// The state fakedc's server thread works on: the DCs with their keys, sessions and push routes,
// the listening endpoints, and FakeDc::Impl, which owns them with the World, the dispatcher and
// the faults. Shared by fakedc.cc (calls, pushes, the public FakeDc) and dc_connection.cc (one
// client connection). Server thread only: no locks.
#ifndef TGRPC_TESTS_FAKEDC_SERVER_H_
#define TGRPC_TESTS_FAKEDC_SERVER_H_

#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/string_view.h"
#include "asio.hpp"
#include "mtproto/crypto/auth_key.h"
#include "mtproto/handshake/server_handshake.h"
#include "mtproto/session/session_server.h"
#include "mtproto/transport/detect.h"
#include "mtproto/transport/stream_layer.h"
#include "tests/fakedc/fakedc.h"
#include "tests/fakedc/faults.h"
#include "tests/fakedc/layers.h"
#include "tests/fakedc/listener.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/rpc.h"
#include "tests/fakedc/session_slots.h"
#include "tests/fakedc/world.h"
#include "tl/generated/api.h"

namespace tgrpc::fakedc {

// A key a DC knows: permanent or temporary, with what the client declared on it.
struct KeyRecord {
  mtproto::crypto::AuthKey key;
  std::optional<uint64_t> first_salt;
  bool temporary = false;
  int64_t expires_at = 0;
  std::optional<uint64_t> bound_perm_id;  // temporary keys after auth.bindTempAuthKey
  int layer = 0;                          // 0 until invokeWithLayer
};

class DcConnection;

// One data center: its keys and sessions, shared by its endpoints (the main one and a media-only
// one), as Telegram's keys are valid on every address of their DC.
struct Dc {
  int id = 0;
  // The CDN DC: its own RSA key (handshake) and only CDN methods.
  bool cdn = false;
  std::shared_ptr<const mtproto::handshake::ServerHandshakeConfig> handshake;
  std::map<uint64_t, KeyRecord> keys;
  mtproto::session::ServerSessionOptions session_options;
  std::unique_ptr<mtproto::session::SessionServer> sessions;
  // Which sessions connections use, and the freeing of those none does when a key is full.
  std::unique_ptr<SessionSlots> slots;
  // The connection that last carried each session, for pushes. The handler lives as long as its
  // connection, so it is valid while the weak_ptr locks.
  struct Route {
    std::weak_ptr<Connection> connection;
    DcConnection* handler = nullptr;
    bool media_only = false;
  };
  std::map<uint64_t, Route> routes;
  // Which replica (initConnection's tgrpc_instance) each session and each open connection
  // speaks for, and on which permanent key: a key used by two instances at once is
  // AUTH_KEY_DUPLICATED from then on, as Telegram revokes such a key.
  std::map<uint64_t, std::string> session_instance;
  struct KeyUse {
    uint64_t perm_key = 0;
    std::string instance;
  };
  std::map<int64_t, KeyUse> connection_use;  // by connection id; erased when it closes
  std::set<uint64_t> duplicated_keys;
};

// A listening address of a DC (FakeDc::endpoints() lists them in the same order).
struct Endpoint {
  Dc* dc = nullptr;
  bool media_only = false;
  uint16_t port = 0;  // 0 until bound; then kept across restarts
  std::unique_ptr<Listener> listener;
};

class FakeDc::Impl {
 public:
  // Keys revoked by KeyUsedTwice (FakeDc::DuplicatedAuthKeys); server thread only.
  int64_t duplicated_keys_ = 0;

  explicit Impl(FakeDcOptions options)
      : options_(std::move(options)), world_(options_.seed), faults_(options_.faults) {}

  absl::Status Init();
  // The CDN DC (options_.cdn_dc) with its own RSA key, listening after the media endpoint.
  absl::Status AddCdnDc(const std::function<Dc*(int)>& add_dc);
  void Shutdown();
  // Runs `fn` on the server thread and waits for it.
  void RunOnServer(const std::function<void()>& fn);

  // Server thread only.
  absl::Status ListenAll();
  void CloseAll();
  // Closes the connections of `dc_id` (0: every DC), without sending what is queued.
  void DropConnections(int dc_id = 0);
  bool DropConnection(int64_t id);
  // Forgets a key and its sessions: its next packet gets transport error -404.
  void ForgetKey(Dc& dc, uint64_t auth_key_id);
  std::vector<ConnectionInfo> Connections();

  // Called by connections on the server thread.
  absl::StatusOr<std::string> Handshake(mtproto::handshake::ServerHandshake& handshake, Dc& dc,
                                        absl::string_view message);
  void OnEncrypted(Dc& dc, bool media_only, const std::shared_ptr<Connection>& connection,
                   DcConnection& handler, std::string packet);
  void Flush(Dc& dc, mtproto::session::ServerSession& session, DcConnection& handler);
  mtproto::transport::StreamLayerOptions stream_layer_options() const {
    mtproto::transport::StreamLayerOptions options;
    options.fake_tls_secrets = options_.fake_tls_secrets;
    return options;
  }
  mtproto::transport::DetectOptions detect_options() const {
    mtproto::transport::DetectOptions detect;
    detect.obfuscated2.secrets = options_.mtproxy_secrets;
    return detect;
  }
  void Log(const std::string& line) {
    if (options_.verbose) std::cerr << "fakedc: " << line << "\n";
  }

  FakeDcOptions options_;
  World world_;
  FaultInjector faults_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::vector<std::unique_ptr<Dc>> dcs_;
  std::vector<Endpoint> listeners_;                          // parallel to endpoints_
  std::vector<std::unique_ptr<Listener>> closed_listeners_;  // stopped by restarts
  std::vector<DcEndpoint> endpoints_;
  // Every open connection of every DC by its number (for Connections, DropConnections, Restart
  // and Shutdown). The handler lives as long as its connection: valid while the weak_ptr locks.
  struct OpenConnection {
    std::weak_ptr<Connection> connection;
    DcConnection* handler = nullptr;
  };
  std::map<int64_t, OpenConnection> connections_;
  int64_t last_connection_id_ = 0;
  std::shared_ptr<const mtproto::handshake::ServerHandshakeConfig> handshake_config_;
  std::string public_pem_;
  std::string cdn_public_pem_;
  uint64_t fingerprint_ = 0;
  std::unique_ptr<LayerSchemas> layers_;
  std::unique_ptr<ObjectBuilder> builder_;  // over the pinned schema
  Dispatcher dispatcher_;
  MethodEnv env_;

 private:
  void HandleCall(Dc& dc, int64_t connection_id, uint64_t auth_key_id,
                  mtproto::session::ServerSession& session,
                  const mtproto::session::ServerRpcCallEvent& call);
  // Whether a call on `connection_id` with permanent key `perm_key` finds the key revoked, or
  // used at this moment by another instance (initConnection's tgrpc_instance) on another open
  // connection, which revokes it. Records the connection's instance otherwise.
  bool KeyUsedTwice(Dc& dc, int64_t connection_id, uint64_t perm_key, uint64_t session_id);
  // bad_salt_packets: the key's salt schedule starts over, so the client's salt is stale.
  void ForceNewSalt(Dc& dc, absl::string_view packet);
  // A temporary key past its expires_at is forgotten before its packet is read (-404).
  void ExpireTemporaryKey(Dc& dc, absl::string_view packet);
  // A key at its session limit frees a session no connection uses (SessionSlots::MakeRoom).
  void MakeSessionRoom(Dc& dc, absl::string_view packet);
  // The answer of a call whose handler deferred it (CallContext::defer), if its session is
  // still there.
  void SendLater(int dc_id, uint64_t auth_key_id, uint64_t session_id, int64_t req_msg_id,
                 const std::string& name, int layer, absl::StatusOr<std::string> result);
  void Push(int64_t user_id, const tl::api::Updates& updates, uint64_t except_session);
  // Whether Push would send to a session: one of the user's but `except_session`, on a main
  // connection of the user's home DC.
  bool Reaches(const UserRecord& user, uint64_t except_session);
  void PushToKey(uint64_t perm_auth_key_id, const tl::api::Updates& updates);
  // `updates` (pinned-layer Updates, serialized) in the key's layer to its sessions' connections,
  // but `except_session` (0: none) and, if `main_only`, media-only ones.
  void PushToSessions(Dc& dc, uint64_t auth_key_id, const KeyRecord& key,
                      const std::string& updates, uint64_t except_session, bool main_only);
};

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_SERVER_H_
