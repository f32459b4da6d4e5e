// What every Storage backend owes its callers, as one value-parameterized gtest suite, so the
// SQLite backend and any later one (PostgreSQL) are held to the same behaviour. A backend's test
// instantiates it with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StorageConformanceTest,
//                            ::testing::Values(StorageFactory{"Sqlite", OpenSqliteByName}),
//                            StorageFactoryName);
//
// The tests are in storage_conformance.cc and, for the update log,
// storage_conformance_update_log.cc.
#ifndef TGRPC_SERVICE_STORAGE_STORAGE_CONFORMANCE_H_
#define TGRPC_SERVICE_STORAGE_STORAGE_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "service/storage/storage.h"

namespace tgrpc::service {

struct StorageFactory {
  // The instantiation's name in test names (letters and digits only).
  std::string name;
  // The storage of the database called `database` (letters, digits and '_'; each test names a
  // new one): empty when first opened, and, opened again after the storage it returned before is
  // destroyed, holding everything that one wrote (as a restarted tgrpcd would find it).
  std::function<absl::StatusOr<std::unique_ptr<Storage>>(const std::string& database)> open;

  friend void PrintTo(const StorageFactory& factory, std::ostream* out) { *out << factory.name; }
};

std::string StorageFactoryName(const ::testing::TestParamInfo<StorageFactory>& info);

class StorageConformanceTest : public ::testing::TestWithParam<StorageFactory> {
 protected:
  void SetUp() override;
  // Closes storage_ and opens its database again. Fails the test if it does not open.
  void Reopen();

  std::string database_;
  std::unique_ptr<Storage> storage_;
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_STORAGE_STORAGE_CONFORMANCE_H_
