// Invoker's inner records, shared by its source files (invoker.cc, invoker_config.cc).
// Internal to service/telegram.
#ifndef TGRPC_SERVICE_TELEGRAM_INVOKER_INTERNAL_H_
#define TGRPC_SERVICE_TELEGRAM_INVOKER_INTERNAL_H_

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/shared_bytes.h"
#include "mtproto/net/client_connection.h"
#include "mtproto/net/dc_key_store.h"
#include "service/telegram/invoker.h"

namespace tgrpc::service {

struct Invoker::PendingCall {
  // Shared with the connection and session that carry it: a retry resends it without a copy.
  base::SharedBytes body;
  std::string method;
  InvokeOptions options;
  InvokeCallback done;
  // 0: follow the home DC (it may move while the call waits).
  int target_dc = 0;
  int retries = 0;
  int migrations = 0;
  // auth.importAuthorization itself must not wait for the import.
  bool skip_import = false;
  // Waited for help.getConfig once for its DC's address (never twice).
  bool waited_for_config = false;
  absl::Time sent;
  bool finished = false;
};

struct Invoker::Session {
  uint64_t id = 0;
  int dc = 0;
  DcEndpoint endpoint;
  std::unique_ptr<mtproto::net::ClientConnection> connection;
  int in_flight = 0;
  // A wrapped call succeeded since the server's last new session.
  bool initialized = false;
  mtproto::net::ConnectionState state = mtproto::net::ConnectionState::kConnecting;
  absl::Duration latency;
  std::string last_error;
  // Set when it opens and at each call (the invoker's clock).
  absl::Time last_used;
};

struct Invoker::DcState {
  // The keys the DC's sessions share: the permanent key (once made or stored) and, with PFS, the
  // temporary key.
  std::shared_ptr<mtproto::net::DcKeyStore> keys;
  std::vector<std::unique_ptr<Session>> sessions;
  std::deque<std::shared_ptr<PendingCall>> queue;
  // A CDN DC: no authorization to import, its own RSA key, its key never persisted.
  bool cdn = false;
  // Not the home DC: whether the authorization was imported (needed once signed in).
  bool authorized = false;
  bool importing = false;
  // Set once Telegram refused the DC's key (-404): every call of the DC fails with it.
  absl::Status rejected;
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_TELEGRAM_INVOKER_INTERNAL_H_
