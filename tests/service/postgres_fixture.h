// ServiceTest on PostgreSQL: a throwaway server (service/storage/postgres_test_server.h) with a
// database "tgrpc", started before tgrpcd and stopped after it; tgrpcd's `db` points at it.
#ifndef TGRPC_TESTS_SERVICE_POSTGRES_FIXTURE_H_
#define TGRPC_TESTS_SERVICE_POSTGRES_FIXTURE_H_

#include <memory>

#include "gtest/gtest.h"
#include "service/server/server.h"
#include "service/storage/postgres_test_server.h"
#include "tests/service/service_fixture.h"

namespace tgrpc::service_test {

class PostgresServiceTest : public ServiceTest {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<service::PostgresTestServer>> pg =
        service::PostgresTestServer::Start();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = *std::move(pg);
    ASSERT_TRUE(pg_->CreateDatabase("tgrpc").ok());
    ServiceTest::SetUp();
  }
  void TearDown() override {
    ServiceTest::TearDown();
    pg_.reset();
  }
  void Configure(service::Config& config) override { config.db = pg_->Conninfo("tgrpc"); }

  std::unique_ptr<service::PostgresTestServer> pg_;
};

}  // namespace tgrpc::service_test

#endif  // TGRPC_TESTS_SERVICE_POSTGRES_FIXTURE_H_
