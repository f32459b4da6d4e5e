// What both storage backends (SQLite, PostgreSQL) share: the associated data that binds each
// sealed secret to its row (the same in both, so a sealed value means the same in either
// database), how messages name an account, and error context.
#ifndef TGRPC_SERVICE_STORAGE_STORAGE_UTIL_H_
#define TGRPC_SERVICE_STORAGE_STORAGE_UTIL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "service/storage/storage.h"

namespace tgrpc::service::storage_util {

// A sealed value copied into another row, of this tenant or another, does not open there. The
// tenant's length keeps any two (tenant, id) pairs apart whatever characters they hold.
inline std::string BotTokenAad(const AccountKey& account) {
  return absl::StrCat("bottoken:", account.tenant.size(), ":", account.tenant, ":", account.id);
}
inline std::string AuthKeyAad(const AccountKey& account, int dc_id) {
  return absl::StrCat("authkey:", account.tenant.size(), ":", account.tenant, ":", account.id, ":",
                      dc_id);
}

// How messages name an account.
inline std::string Describe(const AccountKey& account) {
  return absl::StrCat(account.tenant, "/", account.id);
}

inline absl::Status WithContext(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

template <typename T>
absl::StatusOr<T> WithContext(absl::StatusOr<T> value, absl::string_view context) {
  if (value.ok()) return value;
  return WithContext(value.status(), context);
}

}  // namespace tgrpc::service::storage_util

#endif  // TGRPC_SERVICE_STORAGE_STORAGE_UTIL_H_
