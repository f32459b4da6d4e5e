// tgrpcd's durable state behind one interface: accounts, their permanent auth keys per DC (with
// salt, time offset and future salts), and the peer cache (ids, access hashes, usernames). SQLite
// is the embedded default (sqlite_storage.h); PostgreSQL comes for several replicas. Secrets (auth
// keys, bot tokens) are encrypted at rest by the implementation (key_cipher.h): callers hand them
// over and get them back in the clear.
//
// Thread-safe: every method may be called from any thread.
#ifndef TGRPC_SERVICE_STORAGE_STORAGE_H_
#define TGRPC_SERVICE_STORAGE_STORAGE_H_

#include <compare>
#include <cstdint>
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
  // The account, its keys and its peers, in one transaction. OK if it did not exist.
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
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_STORAGE_STORAGE_H_
