#include "service/storage/storage_conformance.h"

#include <atomic>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"

namespace tgrpc::service {

std::string StorageFactoryName(const ::testing::TestParamInfo<StorageFactory>& info) {
  return info.param.name;
}

void StorageConformanceTest::SetUp() {
  static std::atomic<int> counter{0};
  database_ = absl::StrCat("conformance_", counter++);
  absl::StatusOr<std::unique_ptr<Storage>> storage = GetParam().open(database_);
  ASSERT_TRUE(storage.ok()) << storage.status();
  storage_ = *std::move(storage);
}

void StorageConformanceTest::Reopen() {
  storage_.reset();
  absl::StatusOr<std::unique_ptr<Storage>> storage = GetParam().open(database_);
  ASSERT_TRUE(storage.ok()) << storage.status();
  storage_ = *std::move(storage);
}

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;

// The account Account(id) makes: each id in a tenant of its own.
AccountKey K(const std::string& id) { return {"tenant-" + id, id}; }

// Values away from every default, so a field that is not stored shows up.
AccountRecord Account(const std::string& id) {
  AccountRecord account;
  account.id = id;
  account.tenant = K(id).tenant;
  account.phone = "99966" + std::to_string(id.size()) + "1234";
  account.bot_token = "123456:token-of-" + id;
  account.bot = true;
  account.max_sessions = 7;
  account.state = AccountState::kSignedIn;
  account.home_dc = 4;
  account.user_id = 5000000000 + static_cast<int64_t>(id.size());
  account.user_tl = std::string("\x15\xc4\xb5\x1c\0\0\xff", 7) + id;
  account.display_name = "Zoë " + id + " 🤖";
  account.create_time_unix = 1700000000;
  account.create_request_id = "req-" + id;
  return account;
}

AuthKeyRecord Key(const std::string& account_id, int dc_id) {
  AuthKeyRecord key;
  key.account = K(account_id);
  key.dc_id = dc_id;
  key.key.resize(256);
  for (size_t i = 0; i < key.key.size(); ++i) {
    key.key[i] = static_cast<char>(i * 7 + dc_id + account_id.size());
  }
  key.salt = 0x8000000000000000ULL + static_cast<uint64_t>(dc_id);
  key.time_offset_ms = -1500 * dc_id;
  // Two hourly salts, as get_future_salts gives them.
  for (int i = 0; i < 2; ++i) {
    key.future_salts.push_back({1700000000 + 3600 * i, 1700005400 + 3600 * i,
                                0x9000000000000000ULL + static_cast<uint64_t>(dc_id * 10 + i)});
  }
  return key;
}

std::vector<FutureSaltRecord> ManySalts(int count) {
  std::vector<FutureSaltRecord> salts;
  for (int i = 0; i < count; ++i) {
    salts.push_back({1800000000 + 3600 * i, 1800005400 + 3600 * i,
                     0xfedcba9876543210ULL ^ static_cast<uint64_t>(i)});
  }
  return salts;
}

PeerRecord Peer(const std::string& account_id, int64_t peer_id, const std::string& username = "",
                const std::string& phone = "") {
  PeerRecord peer;
  peer.account = K(account_id);
  peer.peer_id = peer_id;
  peer.type = peer_id > 0 ? PeerType::kUser
                          : (peer_id < -1000000000000 ? PeerType::kChannel : PeerType::kChat);
  peer.access_hash = -0x123456789abcdefLL * peer_id;
  peer.username = username;
  peer.phone = phone;
  return peer;
}

std::vector<int> DcsOf(const std::vector<AuthKeyRecord>& keys) {
  std::vector<int> dcs;
  for (const AuthKeyRecord& key : keys) dcs.push_back(key.dc_id);
  return dcs;
}

std::vector<std::string> IdsOf(const std::vector<AccountRecord>& accounts) {
  std::vector<std::string> ids;
  for (const AccountRecord& account : accounts) ids.push_back(account.id);
  return ids;
}

TEST_P(StorageConformanceTest, StartsEmpty) {
  EXPECT_THAT(*storage_->ListAccounts(), IsEmpty());
  EXPECT_EQ(*storage_->GetAccount(K("nobody")), std::nullopt);
  EXPECT_THAT(*storage_->GetAuthKeys(K("nobody")), IsEmpty());
  EXPECT_EQ(*storage_->GetPeer(K("nobody"), 1), std::nullopt);
  EXPECT_EQ(*storage_->FindPeerByUsername(K("nobody"), "durov"), std::nullopt);
  EXPECT_EQ(*storage_->FindPeerByPhone(K("nobody"), "123"), std::nullopt);
}

TEST_P(StorageConformanceTest, AccountRoundTripsEveryField) {
  const AccountRecord bot = Account("bot1");
  AccountRecord user;
  user.id = "user1";
  user.tenant = "t";
  user.phone = "9996621234";
  ASSERT_TRUE(storage_->PutAccount(bot).ok());
  ASSERT_TRUE(storage_->PutAccount(user).ok());
  EXPECT_THAT(*storage_->GetAccount(K("bot1")), Optional(bot));
  // No bot token stays no bot token.
  EXPECT_THAT(*storage_->GetAccount({"t", "user1"}), Optional(user));
  EXPECT_EQ(*storage_->GetAccount(K("bot")), std::nullopt);
}

TEST_P(StorageConformanceTest, PutAccountReplacesAndKeepsKeysAndPeers) {
  ASSERT_TRUE(storage_->PutAccount(Account("a")).ok());
  ASSERT_TRUE(storage_->PutAuthKey(Key("a", 2)).ok());
  ASSERT_TRUE(storage_->PutPeers({Peer("a", 42, "friend")}).ok());

  AccountRecord changed;
  changed.id = "a";
  changed.tenant = K("a").tenant;
  changed.state = AccountState::kRevoked;
  changed.home_dc = 1;
  ASSERT_TRUE(storage_->PutAccount(changed).ok());
  EXPECT_THAT(*storage_->GetAccount(K("a")), Optional(changed));
  EXPECT_THAT(*storage_->GetAuthKeys(K("a")), ElementsAre(Key("a", 2)));
  EXPECT_THAT(*storage_->GetPeer(K("a"), 42), Optional(Peer("a", 42, "friend")));
  EXPECT_EQ(storage_->ListAccounts()->size(), 1u);
}

// Two tenants may each have an account with the same id: two accounts, each with its own keys and
// peers, and neither touched by what is done to the other.
TEST_P(StorageConformanceTest, AccountIdsArePerTenant) {
  AccountRecord in_b = Account("foo");
  in_b.tenant = "b";
  in_b.phone = "15550002222";
  in_b.bot_token = "2:token-of-b";
  AccountRecord in_a = Account("foo");
  in_a.tenant = "a";
  ASSERT_TRUE(storage_->PutAccount(in_b).ok());
  ASSERT_TRUE(storage_->PutAccount(in_a).ok());
  EXPECT_THAT(*storage_->GetAccount({"a", "foo"}), Optional(in_a));
  EXPECT_THAT(*storage_->GetAccount({"b", "foo"}), Optional(in_b));
  EXPECT_EQ(*storage_->GetAccount({"c", "foo"}), std::nullopt);
  absl::StatusOr<std::vector<AccountRecord>> listed = storage_->ListAccounts();
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(*listed, ElementsAre(in_a, in_b));  // by tenant, then id

  auto key = [](const std::string& tenant, char fill) {
    AuthKeyRecord key = Key("foo", 2);
    key.account.tenant = tenant;
    key.key = std::string(256, fill);
    return key;
  };
  auto peer = [](const std::string& tenant, int64_t access_hash) {
    PeerRecord peer = Peer("foo", 42, "shared", "15550004242");
    peer.account.tenant = tenant;
    peer.access_hash = access_hash;
    return peer;
  };
  ASSERT_TRUE(storage_->PutAuthKey(key("a", 'a')).ok());
  ASSERT_TRUE(storage_->PutAuthKey(key("b", 'b')).ok());
  ASSERT_TRUE(storage_->PutPeers({peer("a", 1), peer("b", 2)}).ok());
  EXPECT_THAT(*storage_->GetAuthKeys({"a", "foo"}), ElementsAre(key("a", 'a')));
  EXPECT_THAT(*storage_->GetAuthKeys({"b", "foo"}), ElementsAre(key("b", 'b')));
  EXPECT_THAT(*storage_->GetPeer({"a", "foo"}, 42), Optional(peer("a", 1)));
  EXPECT_THAT(*storage_->FindPeerByUsername({"b", "foo"}, "shared"), Optional(peer("b", 2)));
  EXPECT_THAT(*storage_->FindPeerByPhone({"a", "foo"}, "15550004242"), Optional(peer("a", 1)));
  // A key for a tenant that has no such account is refused.
  EXPECT_EQ(storage_->PutAuthKey(key("c", 'c')).code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(storage_->UpdateSalt({"a", "foo"}, 2, 99, 1, {}).ok());
  EXPECT_EQ((*storage_->GetAuthKeys({"b", "foo"}))[0].salt, key("b", 'b').salt);
  ASSERT_TRUE(storage_->DeleteAuthKeys({"b", "foo"}).ok());
  EXPECT_THAT(*storage_->GetAuthKeys({"b", "foo"}), IsEmpty());
  EXPECT_EQ(storage_->GetAuthKeys({"a", "foo"})->size(), 1u);

  ASSERT_TRUE(storage_->DeleteAccount({"a", "foo"}).ok());
  EXPECT_EQ(*storage_->GetAccount({"a", "foo"}), std::nullopt);
  EXPECT_EQ(*storage_->GetPeer({"a", "foo"}, 42), std::nullopt);
  EXPECT_THAT(*storage_->GetAccount({"b", "foo"}), Optional(in_b));
  EXPECT_THAT(*storage_->GetPeer({"b", "foo"}, 42), Optional(peer("b", 2)));
}

TEST_P(StorageConformanceTest, ListAccountsOrderedById) {
  for (const char* id : {"charlie", "alpha", "bravo", "alpha2"}) {
    ASSERT_TRUE(storage_->PutAccount(Account(id)).ok());
  }
  absl::StatusOr<std::vector<AccountRecord>> accounts = storage_->ListAccounts();
  ASSERT_TRUE(accounts.ok()) << accounts.status();
  EXPECT_THAT(IdsOf(*accounts), ElementsAre("alpha", "alpha2", "bravo", "charlie"));
  EXPECT_EQ((*accounts)[0], Account("alpha"));
}

TEST_P(StorageConformanceTest, DeleteAccountTakesKeysAndPeersAndNothingElse) {
  for (const char* id : {"gone", "kept"}) {
    ASSERT_TRUE(storage_->PutAccount(Account(id)).ok());
    ASSERT_TRUE(storage_->PutAuthKey(Key(id, 1)).ok());
    ASSERT_TRUE(storage_->PutAuthKey(Key(id, 5)).ok());
    ASSERT_TRUE(storage_->PutPeers({Peer(id, 7, "seven", "15550007")}).ok());
  }
  ASSERT_TRUE(storage_->DeleteAccount(K("gone")).ok());
  EXPECT_EQ(*storage_->GetAccount(K("gone")), std::nullopt);
  EXPECT_THAT(*storage_->GetAuthKeys(K("gone")), IsEmpty());
  EXPECT_EQ(*storage_->GetPeer(K("gone"), 7), std::nullopt);
  EXPECT_EQ(*storage_->FindPeerByUsername(K("gone"), "seven"), std::nullopt);
  EXPECT_EQ(*storage_->FindPeerByPhone(K("gone"), "15550007"), std::nullopt);

  EXPECT_THAT(IdsOf(*storage_->ListAccounts()), ElementsAre("kept"));
  EXPECT_THAT(DcsOf(*storage_->GetAuthKeys(K("kept"))), ElementsAre(1, 5));
  EXPECT_THAT(*storage_->FindPeerByUsername(K("kept"), "seven"),
              Optional(Peer("kept", 7, "seven", "15550007")));

  // Deleting again, or what never existed, is fine; an account made anew starts bare.
  EXPECT_TRUE(storage_->DeleteAccount(K("gone")).ok());
  EXPECT_TRUE(storage_->DeleteAccount(K("never")).ok());
  ASSERT_TRUE(storage_->PutAccount(Account("gone")).ok());
  EXPECT_THAT(*storage_->GetAuthKeys(K("gone")), IsEmpty());
  EXPECT_EQ(*storage_->GetPeer(K("gone"), 7), std::nullopt);
}

TEST_P(StorageConformanceTest, AuthKeysPerDcOrderedByDc) {
  ASSERT_TRUE(storage_->PutAccount(Account("a")).ok());
  AuthKeyRecord extreme = Key("a", 4);
  extreme.salt = std::numeric_limits<uint64_t>::max();
  extreme.time_offset_ms = std::numeric_limits<int64_t>::min();
  for (int i = 0; i < 256; ++i) extreme.key[i] = static_cast<char>(i);
  ASSERT_TRUE(storage_->PutAuthKey(extreme).ok());
  ASSERT_TRUE(storage_->PutAuthKey(Key("a", 1)).ok());
  ASSERT_TRUE(storage_->PutAuthKey(Key("a", 2)).ok());
  EXPECT_THAT(*storage_->GetAuthKeys(K("a")), ElementsAre(Key("a", 1), Key("a", 2), extreme));
}

TEST_P(StorageConformanceTest, PutAuthKeyReplacesTheDcsKey) {
  ASSERT_TRUE(storage_->PutAccount(Account("a")).ok());
  ASSERT_TRUE(storage_->PutAuthKey(Key("a", 2)).ok());
  AuthKeyRecord replacement = Key("a", 2);
  replacement.key = std::string(256, 'r');
  replacement.salt = 1;
  replacement.time_offset_ms = 0;
  ASSERT_TRUE(storage_->PutAuthKey(replacement).ok());
  EXPECT_THAT(*storage_->GetAuthKeys(K("a")), ElementsAre(replacement));
}

// Future salts come back as they were given, in their order, whatever their values; a later
// write replaces them, none included.
TEST_P(StorageConformanceTest, FutureSaltsRoundTripAndAreReplaced) {
  ASSERT_TRUE(storage_->PutAccount(Account("a")).ok());
  AuthKeyRecord key = Key("a", 2);
  key.future_salts = ManySalts(64);
  key.future_salts.push_back({std::numeric_limits<int64_t>::min(),
                              std::numeric_limits<int64_t>::max(),
                              std::numeric_limits<uint64_t>::max()});
  key.future_salts.push_back({-1, 0, 0});
  ASSERT_TRUE(storage_->PutAuthKey(key).ok());
  EXPECT_THAT(*storage_->GetAuthKeys(K("a")), ElementsAre(key));

  key.future_salts.clear();
  ASSERT_TRUE(storage_->PutAuthKey(key).ok());
  EXPECT_THAT(*storage_->GetAuthKeys(K("a")), ElementsAre(key));

  ASSERT_TRUE(storage_->UpdateSalt(K("a"), 2, key.salt, key.time_offset_ms, ManySalts(2)).ok());
  key.future_salts = ManySalts(2);
  EXPECT_THAT(*storage_->GetAuthKeys(K("a")), ElementsAre(key));
  ASSERT_TRUE(storage_->UpdateSalt(K("a"), 2, key.salt, key.time_offset_ms, {}).ok());
  key.future_salts.clear();
  EXPECT_THAT(*storage_->GetAuthKeys(K("a")), ElementsAre(key));
  EXPECT_FALSE((*storage_->GetAuthKeys(K("a")))[0].future_salts_unreadable);
}

TEST_P(StorageConformanceTest, PutAuthKeyNeedsTheAccount) {
  const absl::Status status = storage_->PutAuthKey(Key("ghost", 2));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_THAT(*storage_->GetAuthKeys(K("ghost")), IsEmpty());
}

TEST_P(StorageConformanceTest, UpdateSaltChangesOnlyThatKey) {
  ASSERT_TRUE(storage_->PutAccount(Account("a")).ok());
  ASSERT_TRUE(storage_->PutAuthKey(Key("a", 1)).ok());
  ASSERT_TRUE(storage_->PutAuthKey(Key("a", 2)).ok());
  ASSERT_TRUE(storage_->UpdateSalt(K("a"), 2, 0xfedcba9876543210ULL, 12345, ManySalts(3)).ok());
  AuthKeyRecord updated = Key("a", 2);
  updated.salt = 0xfedcba9876543210ULL;
  updated.time_offset_ms = 12345;
  updated.future_salts = ManySalts(3);
  EXPECT_THAT(*storage_->GetAuthKeys(K("a")), ElementsAre(Key("a", 1), updated));

  // No key there: nothing happens, and no key appears.
  EXPECT_TRUE(storage_->UpdateSalt(K("a"), 3, 1, 1, ManySalts(1)).ok());
  EXPECT_TRUE(storage_->UpdateSalt(K("ghost"), 2, 1, 1, ManySalts(1)).ok());
  EXPECT_THAT(DcsOf(*storage_->GetAuthKeys(K("a"))), ElementsAre(1, 2));
  EXPECT_THAT(*storage_->GetAuthKeys(K("ghost")), IsEmpty());
}

TEST_P(StorageConformanceTest, DeleteAuthKeysKeepsAccountAndOthersKeys) {
  for (const char* id : {"a", "b"}) {
    ASSERT_TRUE(storage_->PutAccount(Account(id)).ok());
    ASSERT_TRUE(storage_->PutAuthKey(Key(id, 2)).ok());
  }
  ASSERT_TRUE(storage_->DeleteAuthKeys(K("a")).ok());
  EXPECT_THAT(*storage_->GetAuthKeys(K("a")), IsEmpty());
  EXPECT_THAT(*storage_->GetAccount(K("a")), Optional(Account("a")));
  EXPECT_THAT(*storage_->GetAuthKeys(K("b")), ElementsAre(Key("b", 2)));
  EXPECT_TRUE(storage_->DeleteAuthKeys(K("a")).ok());
  EXPECT_TRUE(storage_->DeleteAuthKeys(K("ghost")).ok());
}

TEST_P(StorageConformanceTest, PeersOfEveryTypeRoundTrip) {
  ASSERT_TRUE(storage_->PutAccount(Account("a")).ok());
  const std::vector<PeerRecord> peers = {
      Peer("a", 777000, "telegram", "42777"),
      Peer("a", -4000123, "", ""),
      Peer("a", -1001234567890, "somechannel", ""),
      Peer("a", std::numeric_limits<int64_t>::max(), "", "1"),
  };
  ASSERT_TRUE(storage_->PutPeers(peers).ok());
  for (const PeerRecord& peer : peers) {
    EXPECT_THAT(*storage_->GetPeer(K("a"), peer.peer_id), Optional(peer)) << peer.peer_id;
  }
  EXPECT_EQ(*storage_->GetPeer(K("a"), 1), std::nullopt);
  EXPECT_EQ(*storage_->GetPeer(K("b"), 777000), std::nullopt);
  EXPECT_TRUE(storage_->PutPeers({}).ok());
}

TEST_P(StorageConformanceTest, PutPeersReplaces) {
  ASSERT_TRUE(storage_->PutAccount(Account("a")).ok());
  ASSERT_TRUE(storage_->PutPeers({Peer("a", 5, "old", "111")}).ok());
  PeerRecord renamed = Peer("a", 5, "new", "");
  renamed.access_hash = 99;
  ASSERT_TRUE(storage_->PutPeers({renamed}).ok());
  EXPECT_THAT(*storage_->GetPeer(K("a"), 5), Optional(renamed));
  EXPECT_EQ(*storage_->FindPeerByUsername(K("a"), "old"), std::nullopt);
  EXPECT_EQ(*storage_->FindPeerByPhone(K("a"), "111"), std::nullopt);
  EXPECT_THAT(*storage_->FindPeerByUsername(K("a"), "new"), Optional(renamed));
}

TEST_P(StorageConformanceTest, UsernamesAreCaseInsensitive) {
  ASSERT_TRUE(storage_->PutAccount(Account("a")).ok());
  ASSERT_TRUE(storage_->PutPeers({Peer("a", 1, "Durov_Bot")}).ok());
  // Stored lower-cased, as PeerRecord says.
  EXPECT_THAT(*storage_->GetPeer(K("a"), 1), Optional(Peer("a", 1, "durov_bot")));
  for (const char* query : {"durov_bot", "DUROV_BOT", "Durov_bot"}) {
    EXPECT_THAT(*storage_->FindPeerByUsername(K("a"), query), Optional(Peer("a", 1, "durov_bot")))
        << query;
  }
  EXPECT_EQ(*storage_->FindPeerByUsername(K("a"), "durov"), std::nullopt);
}

TEST_P(StorageConformanceTest, UsernameMovesToItsNewOwner) {
  ASSERT_TRUE(storage_->PutAccount(Account("a")).ok());
  ASSERT_TRUE(storage_->PutPeers({Peer("a", 1, "handle"), Peer("a", 2, "other")}).ok());
  ASSERT_TRUE(storage_->PutPeers({Peer("a", 3, "HANDLE")}).ok());
  EXPECT_THAT(*storage_->FindPeerByUsername(K("a"), "handle"), Optional(Peer("a", 3, "handle")));
  EXPECT_THAT(*storage_->GetPeer(K("a"), 1), Optional(Peer("a", 1, "")));
  EXPECT_THAT(*storage_->GetPeer(K("a"), 2), Optional(Peer("a", 2, "other")));

  // Within one batch the later peer wins.
  ASSERT_TRUE(storage_->PutPeers({Peer("a", 4, "other"), Peer("a", 5, "other")}).ok());
  EXPECT_THAT(*storage_->FindPeerByUsername(K("a"), "other"), Optional(Peer("a", 5, "other")));
  EXPECT_THAT(*storage_->GetPeer(K("a"), 2), Optional(Peer("a", 2, "")));
  EXPECT_THAT(*storage_->GetPeer(K("a"), 4), Optional(Peer("a", 4, "")));
}

TEST_P(StorageConformanceTest, PhoneFindsAndMovesToItsNewOwner) {
  ASSERT_TRUE(storage_->PutAccount(Account("a")).ok());
  ASSERT_TRUE(storage_->PutPeers({Peer("a", 1, "", "15551234")}).ok());
  EXPECT_THAT(*storage_->FindPeerByPhone(K("a"), "15551234"),
              Optional(Peer("a", 1, "", "15551234")));
  EXPECT_EQ(*storage_->FindPeerByPhone(K("a"), "1555123"), std::nullopt);
  // The number was given to another user.
  ASSERT_TRUE(storage_->PutPeers({Peer("a", 2, "", "15551234")}).ok());
  EXPECT_THAT(*storage_->FindPeerByPhone(K("a"), "15551234"),
              Optional(Peer("a", 2, "", "15551234")));
  EXPECT_THAT(*storage_->GetPeer(K("a"), 1), Optional(Peer("a", 1, "", "")));
}

TEST_P(StorageConformanceTest, EmptyUsernameOrPhoneFindsNothing) {
  ASSERT_TRUE(storage_->PutAccount(Account("a")).ok());
  ASSERT_TRUE(storage_->PutPeers({Peer("a", 1), Peer("a", 2)}).ok());
  EXPECT_EQ(*storage_->FindPeerByUsername(K("a"), ""), std::nullopt);
  EXPECT_EQ(*storage_->FindPeerByPhone(K("a"), ""), std::nullopt);
  // Several peers without a username do not take it from one another.
  EXPECT_THAT(*storage_->GetPeer(K("a"), 1), Optional(Peer("a", 1)));
  EXPECT_THAT(*storage_->GetPeer(K("a"), 2), Optional(Peer("a", 2)));
}

TEST_P(StorageConformanceTest, PeersBelongToTheirAccount) {
  ASSERT_TRUE(storage_->PutAccount(Account("a")).ok());
  ASSERT_TRUE(storage_->PutAccount(Account("b")).ok());
  PeerRecord in_b = Peer("b", 10, "shared", "100");
  in_b.access_hash = 2;  // Access hashes differ per account.
  ASSERT_TRUE(storage_->PutPeers({Peer("a", 10, "shared", "100"), in_b}).ok());
  EXPECT_THAT(*storage_->GetPeer(K("a"), 10), Optional(Peer("a", 10, "shared", "100")));
  EXPECT_THAT(*storage_->GetPeer(K("b"), 10), Optional(in_b));
  EXPECT_THAT(*storage_->FindPeerByUsername(K("a"), "shared"),
              Optional(Peer("a", 10, "shared", "100")));
  EXPECT_THAT(*storage_->FindPeerByUsername(K("b"), "shared"), Optional(in_b));
  EXPECT_THAT(*storage_->FindPeerByPhone(K("b"), "100"), Optional(in_b));
}

TEST_P(StorageConformanceTest, PutPeersNeedsTheAccountAndWritesAllOrNothing) {
  ASSERT_TRUE(storage_->PutAccount(Account("a")).ok());
  ASSERT_TRUE(storage_->PutPeers({Peer("a", 1, "keep")}).ok());
  const absl::Status status =
      storage_->PutPeers({Peer("a", 2, "keep"), Peer("a", 3), Peer("ghost", 4)});
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_EQ(*storage_->GetPeer(K("a"), 2), std::nullopt);
  EXPECT_EQ(*storage_->GetPeer(K("a"), 3), std::nullopt);
  EXPECT_EQ(*storage_->GetPeer(K("ghost"), 4), std::nullopt);
  EXPECT_THAT(*storage_->FindPeerByUsername(K("a"), "keep"), Optional(Peer("a", 1, "keep")));
}

TEST_P(StorageConformanceTest, ConcurrentCallersFromManyThreads) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 25;
  std::vector<std::thread> threads;
  std::vector<absl::Status> failures(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &failures] {
      const std::string id = absl::StrCat("thread", t);
      absl::Status status = storage_->PutAccount(Account(id));
      for (int round = 0; status.ok() && round < kRounds; ++round) {
        status = storage_->PutAuthKey(Key(id, round % 5 + 1));
        if (status.ok()) {
          status = storage_->UpdateSalt(K(id), round % 5 + 1, round, round, ManySalts(round % 3));
        }
        if (status.ok())
          status = storage_->PutPeers({Peer(id, round + 1, absl::StrCat("u", round))});
        if (status.ok()) status = storage_->GetAuthKeys(K(id)).status();
        if (status.ok()) status = storage_->ListAccounts().status();
      }
      failures[t] = status;
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_TRUE(failures[t].ok()) << failures[t];
    const std::string id = absl::StrCat("thread", t);
    EXPECT_THAT(DcsOf(*storage_->GetAuthKeys(K(id))), ElementsAre(1, 2, 3, 4, 5));
    for (int round = 0; round < kRounds; ++round) {
      EXPECT_THAT(*storage_->FindPeerByUsername(K(id), absl::StrCat("u", round)),
                  Optional(Peer(id, round + 1, absl::StrCat("u", round))));
    }
  }
  EXPECT_EQ(storage_->ListAccounts()->size(), static_cast<size_t>(kThreads));
}

}  // namespace
}  // namespace tgrpc::service
