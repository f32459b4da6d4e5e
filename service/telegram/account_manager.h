// The accounts this process serves, by tenant: loaded from storage at start, created and deleted
// by AccountService. Each tenant has its own namespace of account ids (an account is its
// AccountKey): a tenant sees only its own accounts, and may create accounts/foo whether or not
// another tenant has one, so ids leak nothing.
#ifndef TGRPC_SERVICE_TELEGRAM_ACCOUNT_MANAGER_H_
#define TGRPC_SERVICE_TELEGRAM_ACCOUNT_MANAGER_H_

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

class AccountManager {
 public:
  explicit AccountManager(AccountEnv env) : env_(std::move(env)) {}
  ~AccountManager();

  // Loads every stored account (connections open on first use).
  absl::Status LoadAll();

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
  // The tenant's accounts, ordered by id.
  std::vector<std::shared_ptr<Account>> List(const std::string& tenant);
  absl::Status Delete(const std::string& tenant, absl::string_view account_id);
  // The account (of any tenant) whose stored keys include `auth_key`, if any: one key must not
  // serve two accounts (Telegram revokes a key used from two places: AUTH_KEY_DUPLICATED).
  std::optional<AccountKey> AccountWithKey(const std::string& auth_key);
  // Account counts by state name (logged_out, login_in_progress, signed_in, revoked).
  std::map<std::string, int> CountByState();
  void StopAll();

  const AccountEnv& env() const { return env_; }

 private:
  const AccountEnv env_;
  absl::Mutex mutex_;
  std::map<AccountKey, std::shared_ptr<Account>> accounts_ ABSL_GUARDED_BY(mutex_);
  uint64_t generated_ ABSL_GUARDED_BY(mutex_) = 0;
};

// 1-63 of [a-z0-9-], starting with a letter, not ending with '-'.
bool IsValidAccountId(absl::string_view id);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_TELEGRAM_ACCOUNT_MANAGER_H_
