// One active tgrpcd per database: a second replica waits until the first releases the lock (stops)
// or its session ends; an active replica whose lock session is lost is told.
#include "service/storage/postgres_active_lock.h"

#include <atomic>
#include <future>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "service/storage/postgres_test_server.h"

namespace tgrpc::service {
namespace {

class PostgresActiveLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<PostgresTestServer>> pg = PostgresTestServer::Start();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = *std::move(pg);
  }
  std::unique_ptr<PostgresTestServer> pg_;
};

TEST_F(PostgresActiveLockTest, ASecondReplicaWaitsUntilTheFirstStops) {
  bool first_waited = false;
  auto first = PostgresActiveLock::Acquire(
      pg_->Conninfo(), [&] { first_waited = true; }, nullptr, absl::Milliseconds(50));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first_waited);

  std::atomic<bool> second_waiting{false};
  auto second = std::async(std::launch::async, [&] {
    return PostgresActiveLock::Acquire(
        pg_->Conninfo(), [&] { second_waiting = true; }, nullptr, absl::Milliseconds(50));
  });
  for (int i = 0; i < 200 && !second_waiting; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_TRUE(second_waiting.load());
  EXPECT_EQ(second.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout)
      << "the second replica became active while the first holds the lock";
  first->reset();  // the first stops
  ASSERT_EQ(second.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto taken = second.get();
  EXPECT_TRUE(taken.ok()) << taken.status();
}

TEST_F(PostgresActiveLockTest, AnActiveReplicaIsToldWhenItsLockSessionIsLost) {
  std::atomic<bool> lost{false};
  auto lock = PostgresActiveLock::Acquire(
      pg_->Conninfo(), nullptr, [&] { lost = true; }, absl::Milliseconds(50));
  ASSERT_TRUE(lock.ok()) << lock.status();
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_FALSE(lost.load());
  ASSERT_TRUE(pg_->Stop().ok());  // the database goes away: every session ends
  for (int i = 0; i < 300 && !lost; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_TRUE(lost.load());
  ASSERT_TRUE(pg_->Resume().ok());
}

TEST_F(PostgresActiveLockTest, NoServerIsAClearError) {
  auto lock = PostgresActiveLock::Acquire("host=/nonexistent dbname=postgres", nullptr, nullptr);
  EXPECT_FALSE(lock.ok());
}

}  // namespace
}  // namespace tgrpc::service
