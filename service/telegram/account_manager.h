// The accounts this process serves, by tenant: loaded from storage at start, created and deleted
// by AccountService. Each tenant has its own namespace of account ids (an account is its
// AccountKey): a tenant sees only its own accounts, and may create accounts/foo whether or not
// another tenant has one, so ids leak nothing.
#ifndef TGRPC_SERVICE_TELEGRAM_ACCOUNT_MANAGER_H_
#define TGRPC_SERVICE_TELEGRAM_ACCOUNT_MANAGER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "service/telegram/account.h"

namespace tgrpc::service {

// Cluster mode (service/ownership): which accounts this process serves is decided by leases, not
// by what storage holds. Unset in a single process: it serves every stored account.
struct AccountOwnership {
  // Before a new account is stored: take its lease. An error (another replica has it, the
  // database failed) stops the creation.
  std::function<absl::Status(const AccountKey&)> claim;
  // After an account is deleted, or its creation failed: give its lease up for good.
  std::function<void(const AccountKey&)> forget;
};

class AccountManager {
 public:
  explicit AccountManager(AccountEnv env) : env_(std::move(env)) {}
  ~AccountManager();

  // Loads every stored account (connections open on first use).
  absl::Status LoadAll();

  // Cluster mode: set before any call. Get of an account this process does not serve then
  // answers UNAVAILABLE with reason ACCOUNT_NOT_HERE when storage has it (another replica serves
  // it, or it is moving), and List and ListRecords read storage.
  void SetOwnership(AccountOwnership ownership);
  // Cluster mode: starts serving a stored account (its lease was just taken). NotFound if
  // storage has no such account.
  absl::Status Adopt(const AccountKey& account);
  // Cluster mode: stops serving the account (a handover, or a lease lost): its connections close
  // and the update log writes queued before are done when this returns. False if it was not
  // served here.
  bool Drop(const AccountKey& account);
  // The keys of the accounts served here.
  std::vector<AccountKey> Served();

  // `account_id` empty: generated. `request_id`: a retry of the same creation returns the
  // account it made. AlreadyExists only for an id the same tenant has.
  absl::StatusOr<std::shared_ptr<Account>> Create(const std::string& tenant, AccountRecord record,
                                                  std::string account_id,
                                                  const std::string& request_id);
  // As Create, with the permanent key of the record's home DC already made (ImportSession).
  absl::StatusOr<std::shared_ptr<Account>> CreateWithKey(const std::string& tenant,
                                                         AccountRecord record,
                                                         std::string account_id,
                                                         const std::string& request_id,
                                                         const std::string& auth_key);
  absl::StatusOr<std::shared_ptr<Account>> Get(const std::string& tenant,
                                               absl::string_view account_id);
  // The tenant's accounts served here, ordered by id.
  std::vector<std::shared_ptr<Account>> List(const std::string& tenant);
  // The records of all the tenant's accounts, ordered by id: in cluster mode those other
  // replicas serve too (as stored), else those of List.
  absl::StatusOr<std::vector<AccountRecord>> ListRecords(const std::string& tenant);
  absl::Status Delete(const std::string& tenant, absl::string_view account_id);
  // The account (of any tenant) whose stored keys include `auth_key`, if any: one key must not
  // serve two accounts (Telegram revokes a key used from two places: AUTH_KEY_DUPLICATED).
  std::optional<AccountKey> AccountWithKey(const std::string& auth_key);
  // Account counts by state name (logged_out, login_in_progress, signed_in, revoked).
  std::map<std::string, int> CountByState();
  void StopAll();

  const AccountEnv& env() const { return env_; }

 private:
  // Not found here: NotFound, or in cluster mode ACCOUNT_NOT_HERE for a stored account.
  absl::Status Missing(const AccountKey& account);
  std::shared_ptr<Account> LoadWithKeys(AccountRecord record);

  const AccountEnv env_;
  AccountOwnership ownership_;
  bool cluster_ = false;
  absl::Mutex mutex_;
  std::map<AccountKey, std::shared_ptr<Account>> accounts_ ABSL_GUARDED_BY(mutex_);
  uint64_t generated_ ABSL_GUARDED_BY(mutex_) = 0;
};

// 1-63 of [a-z0-9-], starting with a letter, not ending with '-'.
bool IsValidAccountId(absl::string_view id);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_TELEGRAM_ACCOUNT_MANAGER_H_
