// Leases and fencing on a real PostgreSQL server: a lease is taken once, renewed by its holder,
// free once expired or released, and taking it over bumps the epoch; a storage whose fence names
// an old epoch writes nothing (every kind of write), while the new holder's writes go through.
#include "service/storage/postgres_leases.h"

#include <map>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "service/storage/key_cipher.h"
#include "service/storage/postgres_storage.h"
#include "service/storage/postgres_test_server.h"

namespace tgrpc::service {
namespace {

class TestFence final : public LeaseFence {
 public:
  explicit TestFence(std::string holder) : holder_(std::move(holder)) {}
  const std::string& holder() const override { return holder_; }
  std::optional<int64_t> EpochOf(const AccountKey& account) const override {
    absl::MutexLock lock(&mutex_);
    auto it = epochs_.find(account);
    if (it == epochs_.end()) return std::nullopt;
    return it->second;
  }
  void Set(const AccountKey& account, int64_t epoch) {
    absl::MutexLock lock(&mutex_);
    epochs_[account] = epoch;
  }

 private:
  const std::string holder_;
  mutable absl::Mutex mutex_;
  std::map<AccountKey, int64_t> epochs_;
};

class PostgresLeasesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<PostgresTestServer>> pg = PostgresTestServer::Start();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = *std::move(pg);
    ASSERT_TRUE(pg_->CreateDatabase("leases").ok());
    // Opening a storage migrates the schema the leases use.
    plain_ = Open(nullptr);
    ASSERT_NE(plain_, nullptr);
    absl::StatusOr<std::unique_ptr<PostgresLeases>> leases =
        PostgresLeases::Open(pg_->Conninfo("leases"));
    ASSERT_TRUE(leases.ok()) << leases.status();
    leases_ = *std::move(leases);
  }

  std::unique_ptr<Storage> Open(std::shared_ptr<const LeaseFence> fence) {
    absl::StatusOr<KeyCipher> cipher = KeyCipher::FromKey(std::string(KeyCipher::kKeySize, 'k'));
    EXPECT_TRUE(cipher.ok());
    PostgresStorageOptions options;
    options.fence = std::move(fence);
    absl::StatusOr<std::unique_ptr<Storage>> storage =
        OpenPostgresStorage(pg_->Conninfo("leases"), *std::move(cipher), options);
    EXPECT_TRUE(storage.ok()) << storage.status();
    return storage.ok() ? *std::move(storage) : nullptr;
  }

  AccountRecord Account(const std::string& id) {
    AccountRecord record;
    record.tenant = "t";
    record.id = id;
    record.phone = "999";
    return record;
  }

  std::unique_ptr<PostgresTestServer> pg_;
  std::unique_ptr<Storage> plain_;
  std::unique_ptr<PostgresLeases> leases_;
};

TEST_F(PostgresLeasesTest, ALeaseIsHeldByOneHolderUntilItExpiresOrIsReleased) {
  const AccountKey a{"t", "a"};
  ASSERT_TRUE(plain_->PutAccount(Account("a")).ok());
  auto first = leases_->Acquire(a, "r1", absl::Seconds(30));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ(**first, 1);
  auto second = leases_->Acquire(a, "r2", absl::Seconds(30));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->has_value()) << "a live lease was taken by another holder";

  auto renewed = leases_->Renew("r1", absl::Seconds(30));
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(*renewed, (std::map<AccountKey, int64_t>{{a, 1}}));
  EXPECT_TRUE(leases_->Renew("r2", absl::Seconds(30))->empty());

  // Released: free at once, and the taker gets the next epoch.
  ASSERT_TRUE(leases_->Release(a, "r1", 1).ok());
  auto taken = leases_->Acquire(a, "r2", absl::Seconds(30));
  ASSERT_TRUE(taken.ok());
  ASSERT_TRUE(taken->has_value());
  EXPECT_EQ(**taken, 2);
  // The old holder's renewal no longer finds it.
  EXPECT_TRUE(leases_->Renew("r1", absl::Seconds(30))->empty());
  // A stale release (old epoch) changes nothing.
  ASSERT_TRUE(leases_->Release(a, "r1", 1).ok());
  EXPECT_FALSE(leases_->Acquire(a, "r3", absl::Seconds(30))->has_value());

  // Expiry: a lease of 1 ms is free soon after.
  ASSERT_TRUE(leases_->Renew("r2", absl::Milliseconds(1)).ok());
  absl::SleepFor(absl::Milliseconds(20));
  auto expired = leases_->Acquire(a, "r3", absl::Seconds(30));
  ASSERT_TRUE(expired.ok());
  ASSERT_TRUE(expired->has_value());
  EXPECT_EQ(**expired, 3);
}

TEST_F(PostgresLeasesTest, TheSnapshotShowsLiveReplicasAndEveryAccountsLease) {
  ASSERT_TRUE(plain_->PutAccount(Account("a")).ok());
  ASSERT_TRUE(plain_->PutAccount(Account("b")).ok());
  ASSERT_TRUE(leases_->Heartbeat({"r1", "one", "127.0.0.1:1", false}, absl::Seconds(30)).ok());
  ASSERT_TRUE(leases_->Heartbeat({"r2", "two", "127.0.0.1:2", true}, absl::Milliseconds(1)).ok());
  ASSERT_TRUE(leases_->Acquire({"t", "a"}, "r1", absl::Seconds(30)).ok());
  absl::SleepFor(absl::Milliseconds(20));
  auto snapshot = leases_->Snapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  ASSERT_EQ(snapshot->replicas.size(), 1u) << "an expired replica counts as alive";
  EXPECT_EQ(snapshot->replicas[0].address, "127.0.0.1:1");
  ASSERT_EQ(snapshot->leases.size(), 2u);
  EXPECT_EQ(snapshot->leases[0].holder, "r1");
  EXPECT_TRUE(snapshot->leases[0].live);
  EXPECT_EQ(snapshot->leases[1].holder, "");
  EXPECT_FALSE(snapshot->leases[1].live);

  auto owner = leases_->Owner({"t", "a"});
  ASSERT_TRUE(owner.ok());
  ASSERT_TRUE(owner->has_value());
  EXPECT_EQ((*owner)->instance, "one");
  EXPECT_FALSE(leases_->Owner({"t", "b"})->has_value());
  ASSERT_TRUE(leases_->Leave("r1").ok());
  EXPECT_FALSE(leases_->Owner({"t", "a"})->has_value()) << "a replica that left still owns";
}

TEST_F(PostgresLeasesTest, AReplicaThatLostItsLeaseWritesNothing) {
  const AccountKey a{"t", "a"};
  auto old_fence = std::make_shared<TestFence>("old");
  auto new_fence = std::make_shared<TestFence>("new");
  std::unique_ptr<Storage> old_replica = Open(old_fence);
  std::unique_ptr<Storage> new_replica = Open(new_fence);
  ASSERT_NE(old_replica, nullptr);
  ASSERT_NE(new_replica, nullptr);

  // Without a lease nothing is written, not even the account.
  absl::Status unfenced = old_replica->PutAccount(Account("a"));
  EXPECT_EQ(unfenced.code(), absl::StatusCode::kUnavailable) << unfenced;
  EXPECT_FALSE(plain_->GetAccount(a)->has_value());

  auto epoch = leases_->Acquire(a, "old", absl::Seconds(30));
  ASSERT_TRUE(epoch.ok() && epoch->has_value());
  old_fence->Set(a, **epoch);
  ASSERT_TRUE(old_replica->PutAccount(Account("a")).ok());
  AuthKeyRecord key;
  key.account = a;
  key.dc_id = 2;
  key.key = std::string(256, 'x');
  ASSERT_TRUE(old_replica->PutAuthKey(key).ok());
  UpdateStateRecord state;
  state.pts = 5;
  ASSERT_TRUE(old_replica->AppendUpdates(a, {UpdateLogEntry{}}, state).ok());

  // The new replica takes over (the old one has not noticed: its fence still says epoch 1).
  ASSERT_TRUE(leases_->Renew("old", absl::Milliseconds(1)).ok());
  absl::SleepFor(absl::Milliseconds(20));
  auto taken = leases_->Acquire(a, "new", absl::Seconds(30));
  ASSERT_TRUE(taken.ok() && taken->has_value());
  new_fence->Set(a, **taken);

  AccountRecord changed = Account("a");
  changed.phone = "111";
  PeerRecord peer;
  peer.account = a;
  peer.peer_id = 42;
  ConsumerRecord consumer{"c", 1, 1};
  state.pts = 9;
  const std::map<std::string, absl::Status> writes = {
      {"PutAccount", old_replica->PutAccount(changed)},
      {"PutAuthKey", old_replica->PutAuthKey(key)},
      {"UpdateSalt", old_replica->UpdateSalt(a, 2, 7, 0, {})},
      {"PutPeers", old_replica->PutPeers({peer})},
      {"AppendUpdates", old_replica->AppendUpdates(a, {UpdateLogEntry{}}, state).status()},
      {"TrimUpdates", old_replica->TrimUpdates(a, 2, 0).status()},
      {"AdvanceConsumer", old_replica->AdvanceConsumer(a, consumer).status()},
      {"DeleteAuthKeys", old_replica->DeleteAuthKeys(a)},
      {"DeleteAccount", old_replica->DeleteAccount(a)},
  };
  for (const auto& [name, status] : writes) {
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << name << ": " << status;
  }
  // Nothing of it landed.
  auto stored = plain_->GetAccount(a);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->phone, "999");
  EXPECT_EQ(plain_->GetAuthKeys(a)->size(), 1u);
  EXPECT_EQ(plain_->GetAuthKeys(a)->at(0).salt, 0u);
  EXPECT_FALSE(plain_->GetPeer(a, 42)->has_value());
  EXPECT_EQ(plain_->GetUpdateLog(a)->head, 1);
  EXPECT_EQ(plain_->GetUpdateLog(a)->state->pts, 5);
  EXPECT_TRUE(plain_->ListConsumers(a)->empty());

  // The new holder writes.
  EXPECT_TRUE(new_replica->PutAccount(changed).ok());
  EXPECT_TRUE(new_replica->AppendUpdates(a, {UpdateLogEntry{}}, state).ok());
  EXPECT_TRUE(new_replica->AdvanceConsumer(a, consumer).ok());
  EXPECT_EQ((*plain_->GetAccount(a))->phone, "111");
  EXPECT_EQ(plain_->GetUpdateLog(a)->head, 2);
}

}  // namespace
}  // namespace tgrpc::service
