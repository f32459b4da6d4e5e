// The auth keys of one account on one DC, shared by every connection the account keeps there
// (ClientConnectionOptions::keys).
//
// Telegram binds a permanent key to one temporary key at a time, and a new binding replaces the
// old one (core.telegram.org/method/auth.bindTempAuthKey): the server forgets the replaced
// temporary key and answers its packets with transport error -404. Connections that each made
// and bound their own temporary key would keep throwing each other off. So the keys live here,
// once per DC: the first connection that needs a key makes it (the others wait for it), the
// temporary key is bound once and used by every session on the DC, and whoever first sees it
// near expiry makes and binds the next one, after which the others move over.
//
// A connection takes part through a Member: it asks what to do (use a key, make one, or wait),
// publishes what it made, gives up a job it cannot finish, and hears of every change through
// its `changed` callback, which it must bounce to its own strand (it runs on the thread that
// made the change, outside the store's lock).
//
// The store also carries the permanent key's salt, time offset and future salts, which the
// session reports as they change, so that the owner can persist them (on_key_state) and new
// sessions start with the latest ones (a session seeded with future salts need not ask for them
// at once). No key is ever dropped here unless a connection's owner asked for it
// (ClientConnectionOptions::forget_key_on_404).
//
// Thread-safe.
#ifndef TGRPC_MTPROTO_NET_DC_KEY_STORE_H_
#define TGRPC_MTPROTO_NET_DC_KEY_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mtproto/crypto/auth_key.h"
#include "mtproto/session/salts.h"

namespace tgrpc::mtproto::net {

// A permanent auth key with what a session needs to start on it; the owner stores it.
struct StoredAuthKey {
  crypto::AuthKey key;
  uint64_t salt = 0;
  // Server time minus local time.
  absl::Duration time_offset = absl::ZeroDuration();
  // Salts from get_future_salts, sorted by valid_since; some may have expired (sessions drop
  // those themselves).
  std::vector<session::FutureSalt> future_salts;
};

// A temporary key (PFS), with its expiry in the server's clock (unix seconds).
struct TempAuthKey {
  StoredAuthKey key;
  int64_t expires_at = 0;
};

struct DcKeyStoreOptions {
  // A key from an earlier run; empty: the first connection makes one.
  std::optional<StoredAuthKey> permanent;
  // Temporary keys' lifetime in seconds; 0: no PFS (sessions run on the permanent key).
  int32_t temp_key_lifetime = 0;
  // A temporary key is replaced this long before it expires (at most half its lifetime).
  absl::Duration renew_before = absl::Minutes(1);

  // Callbacks, on the thread of the connection that made the change; may be empty.
  // A new permanent key (persist it).
  std::function<void(const StoredAuthKey& key)> on_auth_key;
  // The permanent key's salt, time offset or future salts changed (persist them, or not: they
  // are hints).
  std::function<void(const StoredAuthKey& key)> on_key_state;
  // A temporary key was bound and is now the DC's (for logs and tests).
  std::function<void(const TempAuthKey& key)> on_temp_key;
};

class DcKeyStore : public std::enable_shared_from_this<DcKeyStore> {
 public:
  explicit DcKeyStore(DcKeyStoreOptions options);

  DcKeyStore(const DcKeyStore&) = delete;
  DcKeyStore& operator=(const DcKeyStore&) = delete;

  int32_t temp_key_lifetime() const { return options_.temp_key_lifetime; }

  // What a connection should do about a key.
  enum class Step {
    kUse,   // the key is given
    kMake,  // make it (a key exchange) and Publish it, or Abandon the job
    kWait,  // another connection is making it; `changed` runs when it is done or given up
  };
  struct PermanentAnswer {
    Step step = Step::kWait;
    std::optional<StoredAuthKey> key;  // kUse
  };
  struct TempAnswer {
    Step step = Step::kWait;
    // kUse: bound, and not due for renewal at `now`. kMake and kWait: the current key while it
    // has not expired (it serves until the next one is bound), if any.
    std::optional<TempAuthKey> key;
    // The permanent key asked about is no longer the DC's: acquire the permanent key again.
    bool stale_permanent = false;
  };

  // One connection's seat at the store. Destroying it gives up any job it holds.
  class Member {
   public:
    ~Member();
    Member(const Member&) = delete;
    Member& operator=(const Member&) = delete;

    PermanentAnswer AcquirePermanent();
    // The permanent key this member made. Runs on_auth_key and wakes the others.
    void PublishPermanent(StoredAuthKey key);

    // A bound temporary key for the permanent key `perm_key_id`, due for renewal at `now`
    // (server time minus the offset: the local clock).
    TempAnswer AcquireTemp(uint64_t perm_key_id, absl::Time now);
    // The temporary key this member made and bound (auth.bindTempAuthKey answered boolTrue).
    void PublishTemp(uint64_t perm_key_id, TempAuthKey key);

    // Gives up the job this member holds (its connection failed or the binding was refused).
    void Abandon();

    // The server does not know this key (-404, or ENCRYPTED_MESSAGE_INVALID for a binding):
    // dropped if it is still the current one. For a permanent key, only when the connection's
    // owner allows it (forget_key_on_404); its temporary key goes with it.
    void ForgetTemp(uint64_t temp_key_id);
    void ForgetPermanent(uint64_t perm_key_id);

    // The salt, time offset and future salts a session on `key_id` now has: kept for new
    // sessions, and for the permanent key reported through on_key_state when they changed
    // (future salts: when they reach to another time, or are gone; expired ones falling off the
    // front are kept for new sessions but are not worth a report).
    void UpdateKeyState(uint64_t key_id, uint64_t salt, absl::Duration time_offset,
                        const std::vector<session::FutureSalt>& future_salts);

    // The DC's current temporary key id (0: none).
    uint64_t current_temp_key_id() const;

   private:
    friend class DcKeyStore;
    Member(std::shared_ptr<DcKeyStore> store, uint64_t id) : store_(std::move(store)), id_(id) {}
    std::shared_ptr<DcKeyStore> store_;
    uint64_t id_;
  };

  // `changed` runs after every change of the keys or of a job (on the changing thread).
  std::unique_ptr<Member> Join(std::function<void()> changed);

  // When a connection should replace `key` (server expiry, local clock, minus the margin).
  absl::Time RenewTime(const TempAuthKey& key) const;

  // For status and tests.
  std::optional<StoredAuthKey> permanent() const;
  std::optional<TempAuthKey> temp() const;
  int temp_keys_bound() const;

 private:
  enum class Job { kNone, kPermanent, kTemp };
  struct Maker {
    Job job = Job::kNone;
    uint64_t member = 0;
  };
  // Runs every member's `changed` (no lock held).
  void NotifyAll();
  void Leave(uint64_t member);

  const DcKeyStoreOptions options_;
  mutable absl::Mutex mutex_;
  std::optional<StoredAuthKey> permanent_ ABSL_GUARDED_BY(mutex_);
  // The temporary key bound to permanent_, if any.
  std::optional<TempAuthKey> temp_ ABSL_GUARDED_BY(mutex_);
  Maker maker_ ABSL_GUARDED_BY(mutex_);
  int temp_keys_bound_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t next_member_ ABSL_GUARDED_BY(mutex_) = 1;
  std::map<uint64_t, std::shared_ptr<std::function<void()>>> members_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace tgrpc::mtproto::net

#endif  // TGRPC_MTPROTO_NET_DC_KEY_STORE_H_
