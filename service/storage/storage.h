// tgrpcd's durable state behind one interface: accounts, their permanent auth keys per DC (with
// salt, time offset and future salts), the peer cache (ids, access hashes, usernames), and each
// account's update log (its events, update state and named consumers' positions). SQLite
// is the embedded default (sqlite_storage.h); PostgreSQL comes for several replicas. Secrets (auth
// keys, bot tokens) are encrypted at rest by the implementation (key_cipher.h): callers hand them
// over and get them back in the clear.
//
// Thread-safe: every method may be called from any thread.
#ifndef TGRPC_SERVICE_STORAGE_STORAGE_H_
#define TGRPC_SERVICE_STORAGE_STORAGE_H_

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tgrpc::service {

// Values of tgrpc.v1.Account.State, kept as numbers so storage needs no proto.
enum class AccountState : int { kLoggedOut = 1, kLoginInProgress = 2, kSignedIn = 3, kRevoked = 4 };

// Which account: account ids are per tenant (each tenant names its accounts as it likes, and two
// tenants may both have accounts/foo), so an account is its tenant and its id together.
struct AccountKey {
  // The tenant that owns it (callers' bearer tokens map to tenants).
  std::string tenant;
  // The {account} of accounts/{account}.
  std::string id;
  friend bool operator==(const AccountKey&, const AccountKey&) = default;
  friend auto operator<=>(const AccountKey&, const AccountKey&) = default;
};

struct AccountRecord {
  // The {account} of accounts/{account}; with `tenant`, the primary key (AccountKey).
  std::string id;
  // The tenant that owns it.
  std::string tenant;
  // A user account's phone (digits only), or empty.
  std::string phone;
  // A bot account's token (a secret: encrypted at rest), or empty.
  std::string bot_token;
  bool bot = false;
  int max_sessions = 4;
  AccountState state = AccountState::kLoggedOut;
  int home_dc = 2;
  // The signed-in user's id (0 before), and its TL user object (boxed bytes) as last seen.
  int64_t user_id = 0;
  std::string user_tl;
  std::string display_name;
  int64_t create_time_unix = 0;
  // The request_id of the CreateAccount that made it (retries return this account).
  std::string create_request_id;
  AccountKey key() const { return {tenant, id}; }
  friend bool operator==(const AccountRecord&, const AccountRecord&) = default;
};

// A server salt an auth key may use later (get_future_salts), valid in [valid_since,
// valid_until) of the server's clock.
struct FutureSaltRecord {
  int64_t valid_since_unix = 0;
  int64_t valid_until_unix = 0;
  uint64_t salt = 0;
  friend bool operator==(const FutureSaltRecord&, const FutureSaltRecord&) = default;
};

struct AuthKeyRecord {
  AccountKey account;
  int dc_id = 0;
  // 256 bytes (a secret: encrypted at rest).
  std::string key;
  uint64_t salt = 0;
  // Server time minus local time, in milliseconds.
  int64_t time_offset_ms = 0;
  // The key's future salts, in the order given: hints, so that a session started with them need
  // not ask for them at once.
  std::vector<FutureSaltRecord> future_salts;
  // Not stored. Set by GetAuthKeys when the stored future salts did not read back (damaged):
  // they are left out, and the key itself is good. The caller says so in its log.
  bool future_salts_unreadable = false;
  friend bool operator==(const AuthKeyRecord&, const AuthKeyRecord&) = default;
};

enum class PeerType : int { kUser = 1, kChat = 2, kChannel = 3 };

struct PeerRecord {
  AccountKey account;
  // The marked id: a user's id, -chat_id, -(1000000000000 + channel_id).
  int64_t peer_id = 0;
  PeerType type = PeerType::kUser;
  int64_t access_hash = 0;
  // Lower-cased main username without @, or empty.
  std::string username;
  // A user's phone (digits), or empty.
  std::string phone;
  friend bool operator==(const PeerRecord&, const PeerRecord&) = default;
};

// The pts/qts/seq/date state of an account's updates (and each channel's pts), stored in the same
// transaction as the log entries it accounts for.
struct UpdateStateRecord {
  int32_t pts = 0, qts = 0, seq = 0, date = 0;
  std::map<int64_t, int32_t> channel_pts;  // bare channel id -> pts
  friend bool operator==(const UpdateStateRecord&, const UpdateStateRecord&) = default;
};

// One event of an account's update log.
struct UpdateLogEntry {
  int64_t position = 0;                   // set by AppendUpdates: head + 1, + 2, ...
  int64_t date = 0;                       // Telegram's date (unix seconds), 0 if none
  int64_t channel_id = 0;                 // the channel box it came from, or 0
  std::string update;                     // one boxed TL api::Update; empty for a gap marker
  std::vector<std::string> users, chats;  // boxed TL users / chats it refers to
  int32_t gap_from = 0, gap_to = 0;       // gap markers: the pts range Telegram dropped
  int64_t logged_at_unix = 0;             // when it was logged (retention by age)
  friend bool operator==(const UpdateLogEntry&, const UpdateLogEntry&) = default;
};

// Where an account's update log stands. The retained entries are always the positions
// [oldest, head], with none missing.
struct UpdateLogInfo {
  std::optional<UpdateStateRecord> state;  // nullopt: never stored
  int64_t head = 0;    // the newest position ever appended (0: none); kept even after trimming
  int64_t oldest = 1;  // the oldest retained position (head + 1 when nothing is retained)
};

// How far a named reader of an account's update log has got (it has handled every position up to
// and including `position`).
struct ConsumerRecord {
  std::string consumer;
  int64_t position = 0;
  int64_t update_time_unix = 0;
  friend bool operator==(const ConsumerRecord&, const ConsumerRecord&) = default;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Inserts or replaces the account (by tenant and id). Replacing keeps its keys and peers.
  virtual absl::Status PutAccount(const AccountRecord& account) = 0;
  // nullopt when there is none. DataLoss if its stored bot token does not decrypt.
  virtual absl::StatusOr<std::optional<AccountRecord>> GetAccount(const AccountKey& account) = 0;
  // Every account of every tenant, ordered by tenant, then id. DataLoss if any stored bot token
  // does not decrypt.
  virtual absl::StatusOr<std::vector<AccountRecord>> ListAccounts() = 0;
  // The account, its keys, its peers and its update log (entries, state, consumers), in one
  // transaction. OK if it did not exist.
  virtual absl::Status DeleteAccount(const AccountKey& account) = 0;

  // Inserts or replaces the key of (account, dc_id), durably (synchronous=FULL). NotFound if the
  // account does not exist.
  virtual absl::Status PutAuthKey(const AuthKeyRecord& key) = 0;
  // Ordered by dc_id; empty for an unknown account. DataLoss if a stored key does not decrypt.
  virtual absl::StatusOr<std::vector<AuthKeyRecord>> GetAuthKeys(const AccountKey& account) = 0;
  // Salt, time offset and future salts of an existing key (no-op if there is none).
  virtual absl::Status UpdateSalt(const AccountKey& account, int dc_id, uint64_t salt,
                                  int64_t time_offset_ms,
                                  const std::vector<FutureSaltRecord>& future_salts) = 0;
  // Forgets the account's keys (log out, revoked authorization).
  virtual absl::Status DeleteAuthKeys(const AccountKey& account) = 0;

  // Inserts or replaces peers (by account and peer id) in one transaction. A username moves:
  // another peer of the account that had it loses it; so does a phone (Telegram gives a number to
  // one user at a time). Usernames are stored lower-cased. NotFound, writing nothing, if a peer's
  // account does not exist.
  virtual absl::Status PutPeers(const std::vector<PeerRecord>& peers) = 0;
  virtual absl::StatusOr<std::optional<PeerRecord>> GetPeer(const AccountKey& account,
                                                            int64_t peer_id) = 0;
  // Case-insensitive. An empty username finds nothing.
  virtual absl::StatusOr<std::optional<PeerRecord>> FindPeerByUsername(
      const AccountKey& account, absl::string_view username) = 0;
  virtual absl::StatusOr<std::optional<PeerRecord>> FindPeerByPhone(const AccountKey& account,
                                                                    absl::string_view phone) = 0;

  // The account's update log: its state, head and oldest retained position. For an account that
  // never stored one (or does not exist): no state, head 0, oldest 1. DataLoss if the stored
  // state does not read back.
  virtual absl::StatusOr<UpdateLogInfo> GetUpdateLog(const AccountKey& account) = 0;
  // Appends `entries` (their position fields ignored) after the head and stores `state`, in one
  // durable transaction (synchronous=FULL); `entries` may be empty (state only). Returns the new
  // head. NotFound, writing nothing, if the account does not exist.
  virtual absl::StatusOr<int64_t> AppendUpdates(const AccountKey& account,
                                                const std::vector<UpdateLogEntry>& entries,
                                                const UpdateStateRecord& state) = 0;
  // Up to `limit` entries with position > after, oldest first (empty for an unknown account).
  // DataLoss, naming the account and the position, if an entry's stored users or chats do not
  // read back: a reader gets whole entries or an error, never an entry missing what it refers to.
  virtual absl::StatusOr<std::vector<UpdateLogEntry>> ReadUpdates(const AccountKey& account,
                                                                  int64_t after, size_t limit) = 0;
  // Deletes entries below keep_from_position and entries logged before keep_logged_after_unix
  // (retention); the head stays. Returns the new oldest retained position. The log stays whole:
  // by age only the oldest entries go, up to the first one logged at or after
  // keep_logged_after_unix (an entry logged earlier behind it, after the clock stepped back, is
  // kept with it).
  virtual absl::StatusOr<int64_t> TrimUpdates(const AccountKey& account, int64_t keep_from_position,
                                              int64_t keep_logged_after_unix) = 0;
  // Commits a named consumer's position; positions only move forward (an older one keeps the
  // stored one; the same one refreshes update_time_unix). Returns the stored record after the
  // call. NotFound if the account does not exist.
  virtual absl::StatusOr<ConsumerRecord> AdvanceConsumer(const AccountKey& account,
                                                         const ConsumerRecord& record) = 0;
  // The account's consumers, ordered by name (empty for an unknown account).
  virtual absl::StatusOr<std::vector<ConsumerRecord>> ListConsumers(const AccountKey& account) = 0;
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_STORAGE_STORAGE_H_
