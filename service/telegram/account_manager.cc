#include "service/telegram/account_manager.h"

#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "service/api/errors.h"

namespace tgrpc::service {

bool IsValidAccountId(absl::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  if (id.front() < 'a' || id.front() > 'z' || id.back() == '-') return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

AccountManager::~AccountManager() { StopAll(); }

std::shared_ptr<Account> AccountManager::LoadWithKeys(AccountRecord record) {
  const AccountKey key = record.key();
  absl::StatusOr<std::vector<AuthKeyRecord>> keys = env_.storage->GetAuthKeys(key);
  if (!keys.ok()) {
    // One unreadable account must not keep the others from being served.
    if (env_.log) {
      env_.log(AccountLogName(key), mtproto::net::LogLevel::kError,
               absl::StrCat("cannot read its keys: ", keys.status().message()));
    }
    keys = std::vector<AuthKeyRecord>();
  }
  return Account::Load(std::move(record), *std::move(keys), &env_);
}

absl::Status AccountManager::LoadAll() {
  absl::StatusOr<std::vector<AccountRecord>> records = env_.storage->ListAccounts();
  if (!records.ok()) return records.status();
  for (AccountRecord& record : *records) {
    const AccountKey key = record.key();
    std::shared_ptr<Account> account = LoadWithKeys(std::move(record));
    absl::MutexLock lock(&mutex_);
    accounts_[key] = std::move(account);
  }
  return absl::OkStatus();
}

void AccountManager::SetOwnership(AccountOwnership ownership) {
  ownership_ = std::move(ownership);
  cluster_ = true;
}

absl::Status AccountManager::Adopt(const AccountKey& key) {
  {
    absl::MutexLock lock(&mutex_);
    if (accounts_.count(key) != 0) return absl::OkStatus();
  }
  absl::StatusOr<std::optional<AccountRecord>> record = env_.storage->GetAccount(key);
  if (!record.ok()) return record.status();
  if (!record->has_value()) return Missing(key);
  std::shared_ptr<Account> account = LoadWithKeys(**std::move(record));
  absl::MutexLock lock(&mutex_);
  accounts_.emplace(key, std::move(account));
  return absl::OkStatus();
}

bool AccountManager::Drop(const AccountKey& key) {
  std::shared_ptr<Account> account;
  {
    absl::MutexLock lock(&mutex_);
    auto it = accounts_.find(key);
    if (it == accounts_.end()) return false;
    account = std::move(it->second);
    accounts_.erase(it);
  }
  account->Stop();
  // The log writer runs jobs in order: once this one ran, the account's queued writes are done.
  if (env_.run_log_write) {
    auto done = std::make_shared<absl::Notification>();
    env_.run_log_write([done] { done->Notify(); });
    done->WaitForNotificationWithTimeout(absl::Seconds(10));
  }
  return true;
}

std::vector<AccountKey> AccountManager::Served() {
  absl::MutexLock lock(&mutex_);
  std::vector<AccountKey> keys;
  for (const auto& [key, account] : accounts_) keys.push_back(key);
  return keys;
}

absl::StatusOr<std::shared_ptr<Account>> AccountManager::Create(const std::string& tenant,
                                                                AccountRecord record,
                                                                std::string account_id,
                                                                const std::string& request_id) {
  return CreateWithKey(tenant, std::move(record), std::move(account_id), request_id, "");
}

absl::StatusOr<std::shared_ptr<Account>> AccountManager::CreateWithKey(
    const std::string& tenant, AccountRecord record, std::string account_id,
    const std::string& request_id, const std::string& auth_key) {
  absl::MutexLock lock(&mutex_);
  if (!request_id.empty()) {
    for (const auto& [id, account] : accounts_) {
      AccountRecord existing = account->record();
      if (existing.tenant == tenant && existing.create_request_id == request_id) return account;
    }
    if (cluster_) {
      // A retry that reached another replica than the first try: the account is stored.
      absl::StatusOr<std::vector<AccountRecord>> stored = env_.storage->ListAccounts();
      if (!stored.ok()) return stored.status();
      for (const AccountRecord& existing : *stored) {
        if (existing.tenant == tenant && existing.create_request_id == request_id) {
          return ServiceError(absl::StatusCode::kUnavailable, "ACCOUNT_NOT_HERE",
                              absl::StrCat("accounts/", existing.id,
                                           " was made by this request and is served by another "
                                           "replica: retry"));
        }
      }
    }
  }
  if (account_id.empty()) {
    std::random_device device;
    do {
      account_id = absl::StrFormat("acct-%08x%04x", device(), ++generated_ & 0xffff);
    } while (accounts_.count({tenant, account_id}) != 0);
  } else if (!IsValidAccountId(account_id)) {
    return InvalidField("account_id",
                        "1-63 of [a-z0-9-], starting with a letter and not ending with '-'");
  }
  const AccountKey key{tenant, account_id};
  if (accounts_.count(key) != 0) {
    return absl::AlreadyExistsError(absl::StrCat("accounts/", account_id, " exists"));
  }
  if (cluster_) {
    absl::StatusOr<std::optional<AccountRecord>> stored = env_.storage->GetAccount(key);
    if (!stored.ok()) return stored.status();
    if (stored->has_value()) {
      return absl::AlreadyExistsError(absl::StrCat("accounts/", account_id, " exists"));
    }
    if (absl::Status s = ownership_.claim(key); !s.ok()) return s;
  }
  // Cluster mode: the lease goes again if the account is not made.
  auto forget = [this, &key] {
    if (cluster_) ownership_.forget(key);
  };
  record.id = account_id;
  record.tenant = tenant;
  record.create_request_id = request_id;
  record.create_time_unix = absl::ToUnixSeconds(absl::Now());
  record.state = AccountState::kLoggedOut;
  if (absl::Status s = env_.storage->PutAccount(record); !s.ok()) {
    forget();
    return s;
  }
  std::vector<AuthKeyRecord> keys;
  if (!auth_key.empty()) {
    AuthKeyRecord stored;
    stored.account = key;
    stored.dc_id = record.home_dc;
    stored.key = auth_key;
    if (absl::Status s = env_.storage->PutAuthKey(stored); !s.ok()) {
      (void)env_.storage->DeleteAccount(key);
      forget();
      return s;
    }
    keys.push_back(std::move(stored));
  }
  std::shared_ptr<Account> account = Account::Load(std::move(record), std::move(keys), &env_);
  accounts_[key] = account;
  return account;
}

namespace {

absl::Status AccountNotFound(absl::string_view account_id) {
  return ServiceError(absl::StatusCode::kNotFound, "ACCOUNT_NOT_FOUND",
                      absl::StrCat("accounts/", account_id, " does not exist"));
}

}  // namespace

absl::Status AccountManager::Missing(const AccountKey& account) {
  if (!cluster_) return AccountNotFound(account.id);
  absl::StatusOr<std::optional<AccountRecord>> stored = env_.storage->GetAccount(account);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return AccountNotFound(account.id);
  return ServiceError(absl::StatusCode::kUnavailable, "ACCOUNT_NOT_HERE",
                      absl::StrCat("accounts/", account.id,
                                   " is served by another replica, or moving to one: retry"));
}

absl::StatusOr<std::shared_ptr<Account>> AccountManager::Get(const std::string& tenant,
                                                             absl::string_view account_id) {
  {
    absl::MutexLock lock(&mutex_);
    auto it = accounts_.find({tenant, std::string(account_id)});
    if (it != accounts_.end()) return it->second;
  }
  return Missing({tenant, std::string(account_id)});
}

absl::StatusOr<std::vector<AccountRecord>> AccountManager::ListRecords(const std::string& tenant) {
  std::map<std::string, AccountRecord> records;
  if (cluster_) {
    absl::StatusOr<std::vector<AccountRecord>> stored = env_.storage->ListAccounts();
    if (!stored.ok()) return stored.status();
    for (AccountRecord& record : *stored) {
      if (record.tenant == tenant) records[record.id] = std::move(record);
    }
  }
  // What is served here is newer than what is stored.
  for (const std::shared_ptr<Account>& account : List(tenant)) {
    records[account->id()] = account->record();
  }
  std::vector<AccountRecord> out;
  for (auto& [id, record] : records) out.push_back(std::move(record));
  return out;
}

std::vector<std::shared_ptr<Account>> AccountManager::List(const std::string& tenant) {
  absl::MutexLock lock(&mutex_);
  std::vector<std::shared_ptr<Account>> out;
  // The map is ordered by tenant, then id: the tenant's accounts are one run.
  for (auto it = accounts_.lower_bound({tenant, ""});
       it != accounts_.end() && it->first.tenant == tenant; ++it) {
    out.push_back(it->second);
  }
  return out;
}

absl::Status AccountManager::Delete(const std::string& tenant, absl::string_view account_id) {
  std::shared_ptr<Account> account;
  {
    absl::MutexLock lock(&mutex_);
    auto it = accounts_.find({tenant, std::string(account_id)});
    if (it != accounts_.end()) {
      account = it->second;
      accounts_.erase(it);
    }
  }
  if (account == nullptr) return Missing({tenant, std::string(account_id)});
  account->Stop();
  absl::Status deleted = env_.storage->DeleteAccount(account->key());
  if (deleted.ok() && cluster_) ownership_.forget(account->key());
  return deleted;
}

std::optional<AccountKey> AccountManager::AccountWithKey(const std::string& auth_key) {
  std::vector<AccountKey> accounts;
  {
    absl::MutexLock lock(&mutex_);
    for (const auto& [key, account] : accounts_) accounts.push_back(key);
  }
  for (const AccountKey& account : accounts) {
    absl::StatusOr<std::vector<AuthKeyRecord>> keys = env_.storage->GetAuthKeys(account);
    if (!keys.ok()) continue;
    for (const AuthKeyRecord& key : *keys) {
      if (key.key == auth_key) return account;
    }
  }
  return std::nullopt;
}

std::map<std::string, int> AccountManager::CountByState() {
  std::map<std::string, int> counts = {
      {"logged_out", 0}, {"login_in_progress", 0}, {"signed_in", 0}, {"revoked", 0}};
  absl::MutexLock lock(&mutex_);
  for (const auto& [id, account] : accounts_) {
    switch (account->record().state) {
      case AccountState::kLoggedOut:
        ++counts["logged_out"];
        break;
      case AccountState::kLoginInProgress:
        ++counts["login_in_progress"];
        break;
      case AccountState::kSignedIn:
        ++counts["signed_in"];
        break;
      case AccountState::kRevoked:
        ++counts["revoked"];
        break;
    }
  }
  return counts;
}

void AccountManager::StopAll() {
  std::map<AccountKey, std::shared_ptr<Account>> accounts;
  {
    absl::MutexLock lock(&mutex_);
    accounts = accounts_;
  }
  for (auto& [id, account] : accounts) account->Stop();
}

}  // namespace tgrpc::service
