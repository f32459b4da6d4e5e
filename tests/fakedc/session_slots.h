// The sessions fakedc keeps per auth key. Telegram keeps a session after its connection closes
// (a client that reconnects carries on in it: no new_session_created, unacknowledged messages sent
// again), but a key's sessions are bounded. fakedc allows `max_sessions` per key and, once a key
// has that many, frees the slot of the session used least recently that no open connection uses,
// so that a client opening sessions one after another never runs out of them.
//
// SessionServer (mtproto/session) frees a session only when a client sends destroy_session in
// another session of its key. fakedc frees one the same way, from a session of its own on the key
// (the reclaimer): SessionServer's limit is max_sessions + 1 (server_limit()), the reclaimer's slot
// taken as soon as the key is full, so that SessionServer refuses exactly the sessions past
// max_sessions that no freed slot can take. Server thread only.
#ifndef TGRPC_TESTS_FAKEDC_SESSION_SLOTS_H_
#define TGRPC_TESTS_FAKEDC_SESSION_SLOTS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "base/clock.h"
#include "mtproto/session/msg_id.h"
#include "mtproto/session/session_server.h"

namespace tgrpc::fakedc {

class SessionSlots {
 public:
  static constexpr size_t kDefaultMaxSessions = 1000;

  // `clock` must be the SessionServer's (the reclaimer's msg_ids are checked against it).
  SessionSlots(size_t max_sessions, base::Clock clock)
      : max_sessions_(max_sessions), clock_(std::move(clock)) {}

  // The max_sessions_per_key to give the SessionServer: the clients' sessions and the reclaimer.
  size_t server_limit() const { return max_sessions_ + 1; }

  // Before a packet of `auth_key_id` reaches `sessions`: when the key has max_sessions sessions,
  // frees the one least recently used that no open connection uses, if any. Returns it.
  std::optional<uint64_t> MakeRoom(mtproto::session::SessionServer& sessions, uint64_t auth_key_id);
  // A packet of the session arrived on connection `connection_id` (SessionServer accepted it).
  void Used(uint64_t auth_key_id, uint64_t session_id, int64_t connection_id);
  // The connection closed: the sessions no other open connection uses may be freed.
  void Closed(int64_t connection_id);
  // SessionServer no longer has the session (a client's destroy_session), or the key.
  void Destroyed(uint64_t auth_key_id, uint64_t session_id);
  void ForgetKey(uint64_t auth_key_id);

  // The clients' sessions of a key SessionServer holds, and how many of them no connection uses.
  size_t sessions(uint64_t auth_key_id) const;
  size_t idle(uint64_t auth_key_id) const;

 private:
  struct SessionUse {
    std::set<int64_t> connections;  // open ones that carried it
    uint64_t last_used = 0;         // a tick of uses_, for least-recently-used order
  };
  struct KeySessions {
    std::map<uint64_t, SessionUse> sessions;
    uint64_t reclaimer = 0;  // its session id; 0 until the key first fills up
    mtproto::session::MsgIdGenerator reclaimer_msg_ids;
  };

  // Sends `body` (a service message) to SessionServer in the key's reclaimer session, creating
  // it first if needed; false if SessionServer did not take it.
  bool SendAsReclaimer(mtproto::session::SessionServer& sessions, uint64_t auth_key_id,
                       KeySessions& key, const std::string& body);

  size_t max_sessions_;
  base::Clock clock_;
  uint64_t uses_ = 0;
  std::map<uint64_t, KeySessions> keys_;
  // The sessions each open connection carried: (auth_key_id, session_id).
  std::map<int64_t, std::set<std::pair<uint64_t, uint64_t>>> by_connection_;
};

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_SESSION_SLOTS_H_
