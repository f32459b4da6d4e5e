#include "mtproto/net/dc_key_store.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "mtproto/session/salts.h"

namespace tgrpc::mtproto::net {
namespace {

using session::FutureSalt;
using Step = DcKeyStore::Step;

StoredAuthKey Key(uint8_t fill) {
  crypto::AuthKey::Bytes bytes;
  bytes.fill(fill);
  return StoredAuthKey{crypto::AuthKey(bytes), 0x1111, absl::ZeroDuration()};
}

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

TempAuthKey Temp(uint8_t fill, absl::Duration lifetime) {
  return TempAuthKey{Key(fill), absl::ToUnixSeconds(kNow + lifetime)};
}

TEST(DcKeyStoreTest, OnePermanentKeyMakerOthersWaitAndAreWoken) {
  int made = 0;
  DcKeyStoreOptions options;
  options.on_auth_key = [&](const StoredAuthKey&) { ++made; };
  auto store = std::make_shared<DcKeyStore>(options);
  int woken_a = 0, woken_b = 0;
  auto a = store->Join([&] { ++woken_a; });
  auto b = store->Join([&] { ++woken_b; });

  EXPECT_EQ(a->AcquirePermanent().step, Step::kMake);
  EXPECT_EQ(b->AcquirePermanent().step, Step::kWait);
  // Asking again keeps the job with its holder.
  EXPECT_EQ(a->AcquirePermanent().step, Step::kMake);

  a->PublishPermanent(Key(1));
  EXPECT_EQ(made, 1);
  EXPECT_GE(woken_b, 1);
  DcKeyStore::PermanentAnswer answer = b->AcquirePermanent();
  ASSERT_EQ(answer.step, Step::kUse);
  EXPECT_EQ(answer.key->key.id(), Key(1).key.id());
}

TEST(DcKeyStoreTest, AJobGivenUpOrLeftGoesToTheNextAsker) {
  auto store = std::make_shared<DcKeyStore>(DcKeyStoreOptions{});
  auto a = store->Join([] {});
  auto b = store->Join([] {});
  EXPECT_EQ(a->AcquirePermanent().step, Step::kMake);
  a->Abandon();
  EXPECT_EQ(b->AcquirePermanent().step, Step::kMake);
  EXPECT_EQ(a->AcquirePermanent().step, Step::kWait);
  b.reset();  // its connection stopped mid key exchange
  EXPECT_EQ(a->AcquirePermanent().step, Step::kMake);
}

TEST(DcKeyStoreTest, OneTemporaryKeyBoundOnceAndSharedUntilRenewal) {
  DcKeyStoreOptions options;
  options.permanent = Key(1);
  options.temp_key_lifetime = 3600;
  options.renew_before = absl::Minutes(1);
  std::vector<uint64_t> bound;
  options.on_temp_key = [&](const TempAuthKey& key) { bound.push_back(key.key.key.id()); };
  auto store = std::make_shared<DcKeyStore>(options);
  auto a = store->Join([] {});
  auto b = store->Join([] {});
  auto c = store->Join([] {});
  const uint64_t perm = Key(1).key.id();

  EXPECT_EQ(a->AcquireTemp(perm, kNow).step, Step::kMake);
  EXPECT_EQ(b->AcquireTemp(perm, kNow).step, Step::kWait);
  EXPECT_FALSE(b->AcquireTemp(perm, kNow).key.has_value());
  a->PublishTemp(perm, Temp(2, absl::Hours(1)));
  ASSERT_EQ(bound.size(), 1u);

  for (auto* member : {a.get(), b.get(), c.get()}) {
    DcKeyStore::TempAnswer answer = member->AcquireTemp(perm, kNow + absl::Minutes(30));
    ASSERT_EQ(answer.step, Step::kUse);
    EXPECT_EQ(answer.key->key.key.id(), Key(2).key.id());
  }
  // Within the renewal margin: one member makes the next key, the others keep the current one
  // (still valid) until it is bound.
  const absl::Time due = kNow + absl::Minutes(59) + absl::Seconds(30);
  DcKeyStore::TempAnswer renewing = c->AcquireTemp(perm, due);
  EXPECT_EQ(renewing.step, Step::kMake);
  DcKeyStore::TempAnswer waiting = b->AcquireTemp(perm, due);
  EXPECT_EQ(waiting.step, Step::kWait);
  ASSERT_TRUE(waiting.key.has_value());
  EXPECT_EQ(waiting.key->key.key.id(), Key(2).key.id());
  c->PublishTemp(perm, Temp(3, absl::Hours(2)));
  EXPECT_EQ(b->current_temp_key_id(), Key(3).key.id());
  EXPECT_EQ(store->temp_keys_bound(), 2);
  // Past expiry without a successor nothing serves.
  auto d = store->Join([] {});
  auto e = store->Join([] {});
  const absl::Time late = kNow + absl::Hours(3);
  EXPECT_EQ(d->AcquireTemp(perm, late).step, Step::kMake);
  EXPECT_FALSE(e->AcquireTemp(perm, late).key.has_value());
}

TEST(DcKeyStoreTest, ForgettingOnlyDropsTheCurrentKey) {
  DcKeyStoreOptions options;
  options.permanent = Key(1);
  options.temp_key_lifetime = 3600;
  auto store = std::make_shared<DcKeyStore>(options);
  auto a = store->Join([] {});
  const uint64_t perm = Key(1).key.id();
  ASSERT_EQ(a->AcquireTemp(perm, kNow).step, Step::kMake);
  a->PublishTemp(perm, Temp(2, absl::Hours(1)));
  a->ForgetTemp(Key(9).key.id());  // a stale key: ignored
  EXPECT_EQ(a->current_temp_key_id(), Key(2).key.id());
  a->ForgetTemp(Key(2).key.id());
  EXPECT_EQ(a->current_temp_key_id(), 0u);
  // A temporary key for a permanent key that is no longer the DC's is not kept.
  EXPECT_TRUE(a->AcquireTemp(Key(7).key.id(), kNow).stale_permanent);
  a->ForgetPermanent(Key(7).key.id());
  EXPECT_TRUE(store->permanent().has_value());
  a->ForgetPermanent(perm);
  EXPECT_FALSE(store->permanent().has_value());
}

TEST(DcKeyStoreTest, SaltAndOffsetReportedOnChangeOnly) {
  DcKeyStoreOptions options;
  options.permanent = Key(1);
  std::vector<StoredAuthKey> reports;
  options.on_key_state = [&](const StoredAuthKey& key) { reports.push_back(key); };
  auto store = std::make_shared<DcKeyStore>(options);
  auto a = store->Join([] {});
  const uint64_t perm = Key(1).key.id();
  a->UpdateKeyState(perm, 0x1111, absl::ZeroDuration(), {});  // as stored
  EXPECT_TRUE(reports.empty());
  a->UpdateKeyState(perm, 0x2222, absl::Milliseconds(300), {});
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].salt, 0x2222u);
  // Offset jitter under a second is not worth a write; the salt of another key is not this one's.
  a->UpdateKeyState(perm, 0x2222, absl::Milliseconds(900), {});
  a->UpdateKeyState(Key(5).key.id(), 0x3333, absl::ZeroDuration(), {});
  EXPECT_EQ(reports.size(), 1u);
  a->UpdateKeyState(perm, 0x2222, absl::Seconds(5), {});
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[1].time_offset, absl::Seconds(5));
  EXPECT_EQ(store->permanent()->salt, 0x2222u);
}

// Salt k of a server schedule of one-hour salts valid half an hour past their successor's start.
FutureSalt HourlySalt(int k) {
  return FutureSalt{kNow + absl::Hours(k), kNow + absl::Hours(k + 1) + absl::Minutes(30),
                    0x5000u + static_cast<uint64_t>(k)};
}

std::vector<FutureSalt> HourlySalts(int first, int last) {
  std::vector<FutureSalt> salts;
  for (int k = first; k <= last; ++k) salts.push_back(HourlySalt(k));
  return salts;
}

TEST(DcKeyStoreTest, FutureSaltsReportedWhenTheyReachFurtherOrAreGone) {
  DcKeyStoreOptions options;
  options.permanent = Key(1);
  std::vector<StoredAuthKey> reports;
  options.on_key_state = [&](const StoredAuthKey& key) { reports.push_back(key); };
  auto store = std::make_shared<DcKeyStore>(options);
  auto a = store->Join([] {});
  auto b = store->Join([] {});
  const uint64_t perm = Key(1).key.id();

  // get_future_salts answered: reported once, whichever session reports the same list.
  a->UpdateKeyState(perm, 0x1111, absl::ZeroDuration(), HourlySalts(0, 31));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].future_salts, HourlySalts(0, 31));
  EXPECT_EQ(reports[0].salt, 0x1111u);
  a->UpdateKeyState(perm, 0x1111, absl::ZeroDuration(), HourlySalts(0, 31));
  b->UpdateKeyState(perm, 0x1111, absl::ZeroDuration(), HourlySalts(0, 31));
  EXPECT_EQ(reports.size(), 1u);

  // The oldest expired and fell off: a new session would drop it itself, so no write; the store
  // keeps the shorter list for new sessions all the same.
  a->UpdateKeyState(perm, 0x1111, absl::ZeroDuration(), HourlySalts(1, 31));
  EXPECT_EQ(reports.size(), 1u);
  EXPECT_EQ(store->permanent()->future_salts, HourlySalts(1, 31));

  // More salts reach further: reported with the salt that changed alongside.
  a->UpdateKeyState(perm, 0x5001, absl::ZeroDuration(), HourlySalts(1, 40));
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[1].future_salts, HourlySalts(1, 40));
  EXPECT_EQ(reports[1].salt, 0x5001u);

  // bad_server_salt dropped them all (they disagree with the server): reported, so that the
  // next run does not start from them.
  a->UpdateKeyState(perm, 0x9999, absl::ZeroDuration(), {});
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_TRUE(reports[2].future_salts.empty());
  a->UpdateKeyState(perm, 0x9999, absl::ZeroDuration(), {});
  EXPECT_EQ(reports.size(), 3u);
}

TEST(DcKeyStoreTest, FutureSaltsStartFromTheStoredKey) {
  DcKeyStoreOptions options;
  options.permanent = Key(1);
  options.permanent->future_salts = HourlySalts(0, 31);
  int reports = 0;
  options.on_key_state = [&](const StoredAuthKey&) { ++reports; };
  auto store = std::make_shared<DcKeyStore>(options);
  auto a = store->Join([] {});
  // A session seeded from the stored key reports what it was given: nothing new to write.
  DcKeyStore::PermanentAnswer answer = a->AcquirePermanent();
  ASSERT_EQ(answer.step, Step::kUse);
  EXPECT_EQ(answer.key->future_salts, HourlySalts(0, 31));
  a->UpdateKeyState(Key(1).key.id(), answer.key->salt, answer.key->time_offset,
                    answer.key->future_salts);
  EXPECT_EQ(reports, 0);
}

TEST(DcKeyStoreTest, TemporaryKeysFutureSaltsAreKeptButNotReported) {
  DcKeyStoreOptions options;
  options.permanent = Key(1);
  options.permanent->future_salts = HourlySalts(0, 3);
  options.temp_key_lifetime = 3600;
  int reports = 0;
  options.on_key_state = [&](const StoredAuthKey&) { ++reports; };
  auto store = std::make_shared<DcKeyStore>(options);
  auto a = store->Join([] {});
  const uint64_t perm = Key(1).key.id();
  ASSERT_EQ(a->AcquireTemp(perm, kNow).step, Step::kMake);
  a->PublishTemp(perm, Temp(2, absl::Hours(1)));

  // The temporary key's salts are its own: the next session on it starts with them, and the
  // permanent key's stay as they were.
  a->UpdateKeyState(Key(2).key.id(), 0x7777, absl::ZeroDuration(), HourlySalts(0, 31));
  EXPECT_EQ(reports, 0);
  EXPECT_EQ(store->temp()->key.future_salts, HourlySalts(0, 31));
  EXPECT_EQ(store->temp()->key.salt, 0x7777u);
  EXPECT_EQ(store->permanent()->future_salts, HourlySalts(0, 3));
  auto b = store->Join([] {});
  DcKeyStore::TempAnswer answer = b->AcquireTemp(perm, kNow);
  ASSERT_EQ(answer.step, Step::kUse);
  EXPECT_EQ(answer.key->key.future_salts, HourlySalts(0, 31));
}

TEST(DcKeyStoreTest, ManyThreadsOneMaker) {
  auto store = std::make_shared<DcKeyStore>(DcKeyStoreOptions{});
  std::atomic<int> makers{0};
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<DcKeyStore::Member>> members;
  for (int i = 0; i < 8; ++i) members.push_back(store->Join([] {}));
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      if (members[i]->AcquirePermanent().step == Step::kMake) ++makers;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(makers.load(), 1);
}

}  // namespace
}  // namespace tgrpc::mtproto::net
