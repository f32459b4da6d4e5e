// The conformance suite's update log part: every backend's per-account update log, its state and
// its consumers (storage.h).
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "service/storage/storage_conformance.h"

namespace tgrpc::service {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr int64_t kNoAgeLimit = std::numeric_limits<int64_t>::min();

AccountKey L(const std::string& id) { return {"log-tenant", id}; }

AccountRecord LogAccount(const AccountKey& key) {
  AccountRecord account;
  account.tenant = key.tenant;
  account.id = key.id;
  account.state = AccountState::kSignedIn;
  return account;
}

// An entry with every field away from its default, and bytes a text column would mangle.
UpdateLogEntry Entry(int n) {
  UpdateLogEntry entry;
  entry.date = 1700000000 + n;
  entry.channel_id = n % 3 == 0 ? 1000000 + n : 0;
  entry.update = std::string("\x1f\x29\x1f\x00\xff", 5) + absl::StrCat("update ", n);
  entry.users = {absl::StrCat("user ", n), std::string(1 + n % 5, '\0')};
  if (n % 2 == 0) entry.chats = {std::string("\xc8\x8f\x74\xd3", 4) + absl::StrCat(n)};
  entry.logged_at_unix = 1800000000 + n;
  return entry;
}

// A gap marker: no update, nothing referred to.
UpdateLogEntry Gap(int32_t from, int32_t to, int64_t logged_at) {
  UpdateLogEntry entry;
  entry.gap_from = from;
  entry.gap_to = to;
  entry.logged_at_unix = logged_at;
  return entry;
}

UpdateLogEntry At(UpdateLogEntry entry, int64_t position) {
  entry.position = position;
  return entry;
}

UpdateStateRecord State(int32_t pts) {
  UpdateStateRecord state;
  state.pts = pts;
  state.qts = -pts;
  state.seq = pts / 2;
  state.date = 1700000000 + pts;
  state.channel_pts = {{1000000 + pts, pts * 3},
                       {std::numeric_limits<int64_t>::max(), std::numeric_limits<int32_t>::min()}};
  return state;
}

std::vector<int64_t> PositionsOf(const std::vector<UpdateLogEntry>& entries) {
  std::vector<int64_t> positions;
  for (const UpdateLogEntry& entry : entries) positions.push_back(entry.position);
  return positions;
}

// Appends Entry(first) .. Entry(first + count - 1) with State(first + count - 1); the new head.
int64_t AppendRange(Storage& storage, const AccountKey& account, int first, int count) {
  std::vector<UpdateLogEntry> entries;
  for (int n = first; n < first + count; ++n) entries.push_back(Entry(n));
  absl::StatusOr<int64_t> head = storage.AppendUpdates(account, entries, State(first + count - 1));
  EXPECT_TRUE(head.ok()) << head.status();
  return head.ok() ? *head : -1;
}

std::vector<UpdateLogEntry> ReadAll(Storage& storage, const AccountKey& account,
                                    int64_t after = 0) {
  absl::StatusOr<std::vector<UpdateLogEntry>> entries =
      storage.ReadUpdates(account, after, std::numeric_limits<size_t>::max());
  EXPECT_TRUE(entries.ok()) << entries.status();
  return entries.ok() ? *std::move(entries) : std::vector<UpdateLogEntry>();
}

// The log's head, its oldest position and its state's pts (-1 for no state).
std::vector<int64_t> Where(Storage& storage, const AccountKey& account) {
  absl::StatusOr<UpdateLogInfo> info = storage.GetUpdateLog(account);
  EXPECT_TRUE(info.ok()) << info.status();
  if (!info.ok()) return {};
  return {info->head, info->oldest, info->state.has_value() ? info->state->pts : -1};
}

TEST_P(StorageConformanceTest, UpdateLogStartsEmpty) {
  ASSERT_TRUE(storage_->PutAccount(LogAccount(L("a"))).ok());
  for (const AccountKey& account : {L("a"), L("nobody")}) {
    SCOPED_TRACE(account.id);
    absl::StatusOr<UpdateLogInfo> info = storage_->GetUpdateLog(account);
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->state, std::nullopt);
    EXPECT_EQ(info->head, 0);
    EXPECT_EQ(info->oldest, 1);
    EXPECT_THAT(ReadAll(*storage_, account), IsEmpty());
    EXPECT_THAT(*storage_->ListConsumers(account), IsEmpty());
    EXPECT_EQ(*storage_->TrimUpdates(account, 100, 0), 1);
  }
}

TEST_P(StorageConformanceTest, UpdateLogAppendReadsBackEveryField) {
  ASSERT_TRUE(storage_->PutAccount(LogAccount(L("a"))).ok());
  UpdateLogEntry bare;  // no users, chats, date or channel
  bare.update = "u";
  UpdateLogEntry big = Entry(7);
  big.update = std::string(100000, '\x42');
  big.users.assign(50, std::string(300, 'u'));
  big.date = std::numeric_limits<int64_t>::max();
  big.channel_id = std::numeric_limits<int64_t>::min();
  big.logged_at_unix = -1;
  const std::vector<UpdateLogEntry> entries = {
      Entry(1), Gap(100, 105, 1800000002), bare, big,
      Gap(std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(), 0)};
  // Positions given are ignored.
  std::vector<UpdateLogEntry> given = entries;
  for (UpdateLogEntry& entry : given) entry.position = 77;
  UpdateStateRecord state = State(42);
  state.qts = std::numeric_limits<int32_t>::min();
  state.seq = std::numeric_limits<int32_t>::max();
  absl::StatusOr<int64_t> head = storage_->AppendUpdates(L("a"), given, state);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(*head, 5);

  std::vector<UpdateLogEntry> want;
  for (size_t i = 0; i < entries.size(); ++i) want.push_back(At(entries[i], i + 1));
  EXPECT_EQ(ReadAll(*storage_, L("a")), want);
  absl::StatusOr<UpdateLogInfo> info = storage_->GetUpdateLog(L("a"));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->state, state);
  EXPECT_EQ(info->head, 5);
  EXPECT_EQ(info->oldest, 1);

  // After a position, up to a limit, oldest first.
  EXPECT_THAT(*storage_->ReadUpdates(L("a"), 1, 2), ElementsAre(want[1], want[2]));
  EXPECT_THAT(*storage_->ReadUpdates(L("a"), 4, 10), ElementsAre(want[4]));
  EXPECT_THAT(*storage_->ReadUpdates(L("a"), -5, 1), ElementsAre(want[0]));
  EXPECT_THAT(*storage_->ReadUpdates(L("a"), 1, 0), IsEmpty());
  EXPECT_THAT(*storage_->ReadUpdates(L("a"), 5, 10), IsEmpty());
  EXPECT_THAT(*storage_->ReadUpdates(L("a"), 500, 10), IsEmpty());
}

TEST_P(StorageConformanceTest, UpdateLogPositionsContinueAcrossCallsAndReopening) {
  ASSERT_TRUE(storage_->PutAccount(LogAccount(L("a"))).ok());
  EXPECT_EQ(AppendRange(*storage_, L("a"), 1, 2), 2);
  EXPECT_EQ(AppendRange(*storage_, L("a"), 3, 3), 5);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_THAT(Where(*storage_, L("a")), ElementsAre(5, 1, 5));
  EXPECT_EQ(storage_->GetUpdateLog(L("a"))->state, State(5));
  EXPECT_EQ(AppendRange(*storage_, L("a"), 6, 1), 6);
  const std::vector<UpdateLogEntry> all = ReadAll(*storage_, L("a"));
  ASSERT_EQ(all.size(), 6u);
  for (int n = 1; n <= 6; ++n) EXPECT_EQ(all[n - 1], At(Entry(n), n));
}

TEST_P(StorageConformanceTest, UpdateLogStateOnlyAppendsStoreTheStateAndKeepTheHead) {
  ASSERT_TRUE(storage_->PutAccount(LogAccount(L("a"))).ok());
  absl::StatusOr<int64_t> head = storage_->AppendUpdates(L("a"), {}, State(10));
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(*head, 0);
  EXPECT_THAT(Where(*storage_, L("a")), ElementsAre(0, 1, 10));
  EXPECT_EQ(storage_->GetUpdateLog(L("a"))->state, State(10));

  EXPECT_EQ(AppendRange(*storage_, L("a"), 1, 2), 2);
  UpdateStateRecord bare;  // no channels any more
  bare.pts = 20;
  EXPECT_EQ(*storage_->AppendUpdates(L("a"), {}, bare), 2);
  EXPECT_EQ(storage_->GetUpdateLog(L("a"))->state, bare);
  EXPECT_THAT(PositionsOf(ReadAll(*storage_, L("a"))), ElementsAre(1, 2));
}

TEST_P(StorageConformanceTest, UpdateLogAppendNeedsTheAccountAndWritesNothing) {
  ASSERT_TRUE(storage_->PutAccount(LogAccount(L("a"))).ok());
  for (const AccountKey& account : {L("ghost"), AccountKey{"other-tenant", "a"}}) {
    SCOPED_TRACE(account.tenant + "/" + account.id);
    EXPECT_EQ(storage_->AppendUpdates(account, {Entry(1)}, State(1)).status().code(),
              absl::StatusCode::kNotFound);
    EXPECT_EQ(storage_->AppendUpdates(account, {}, State(1)).status().code(),
              absl::StatusCode::kNotFound);
    EXPECT_THAT(Where(*storage_, account), ElementsAre(0, 1, -1));
    EXPECT_THAT(ReadAll(*storage_, account), IsEmpty());
  }
  // Made later, the account starts from nothing.
  ASSERT_TRUE(storage_->PutAccount(LogAccount(L("ghost"))).ok());
  EXPECT_THAT(Where(*storage_, L("ghost")), ElementsAre(0, 1, -1));
  EXPECT_EQ(AppendRange(*storage_, L("ghost"), 1, 1), 1);
  EXPECT_THAT(Where(*storage_, L("a")), ElementsAre(0, 1, -1));
}

TEST_P(StorageConformanceTest, UpdateLogAThousandEntriesInOneAppend) {
  ASSERT_TRUE(storage_->PutAccount(LogAccount(L("a"))).ok());
  EXPECT_EQ(AppendRange(*storage_, L("a"), 1, 1000), 1000);
  std::vector<UpdateLogEntry> read;
  for (int64_t after = 0;;) {
    absl::StatusOr<std::vector<UpdateLogEntry>> page = storage_->ReadUpdates(L("a"), after, 300);
    ASSERT_TRUE(page.ok()) << page.status();
    if (page->empty()) break;
    EXPECT_LE(page->size(), 300u);
    after = page->back().position;
    read.insert(read.end(), page->begin(), page->end());
  }
  ASSERT_EQ(read.size(), 1000u);
  for (int n = 1; n <= 1000; ++n) ASSERT_EQ(read[n - 1], At(Entry(n), n));
  EXPECT_EQ(storage_->GetUpdateLog(L("a"))->state, State(1000));
}

TEST_P(StorageConformanceTest, UpdateLogTrimByPositionKeepsTheHead) {
  ASSERT_TRUE(storage_->PutAccount(LogAccount(L("a"))).ok());
  EXPECT_EQ(AppendRange(*storage_, L("a"), 1, 10), 10);
  EXPECT_EQ(*storage_->TrimUpdates(L("a"), 4, kNoAgeLimit), 4);
  EXPECT_THAT(Where(*storage_, L("a")), ElementsAre(10, 4, 10));
  EXPECT_THAT(PositionsOf(ReadAll(*storage_, L("a"))), ElementsAre(4, 5, 6, 7, 8, 9, 10));
  // Reading after a trimmed range starts at the oldest retained entry.
  EXPECT_THAT(PositionsOf(*storage_->ReadUpdates(L("a"), 1, 2)), ElementsAre(4, 5));
  EXPECT_EQ(ReadAll(*storage_, L("a"), 2)[0], At(Entry(4), 4));
  // An earlier position trims nothing more.
  EXPECT_EQ(*storage_->TrimUpdates(L("a"), 2, kNoAgeLimit), 4);
  EXPECT_EQ(*storage_->TrimUpdates(L("a"), 4, kNoAgeLimit), 4);

  // Everything: the head stays, and the next append follows it.
  EXPECT_EQ(*storage_->TrimUpdates(L("a"), 11, kNoAgeLimit), 11);
  EXPECT_THAT(Where(*storage_, L("a")), ElementsAre(10, 11, 10));
  EXPECT_THAT(ReadAll(*storage_, L("a")), IsEmpty());
  EXPECT_EQ(AppendRange(*storage_, L("a"), 11, 2), 12);
  EXPECT_THAT(Where(*storage_, L("a")), ElementsAre(12, 11, 12));
  EXPECT_THAT(PositionsOf(ReadAll(*storage_, L("a"), 3)), ElementsAre(11, 12));
  // Beyond the head is everything too.
  EXPECT_EQ(*storage_->TrimUpdates(L("a"), 1000, kNoAgeLimit), 13);
  EXPECT_THAT(Where(*storage_, L("a")), ElementsAre(12, 13, 12));
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_THAT(Where(*storage_, L("a")), ElementsAre(12, 13, 12));
  EXPECT_EQ(AppendRange(*storage_, L("a"), 13, 1), 13);
}

TEST_P(StorageConformanceTest, UpdateLogTrimByAgeKeepsTheHead) {
  ASSERT_TRUE(storage_->PutAccount(LogAccount(L("a"))).ok());
  // Entry(n) is logged at 1800000000 + n.
  EXPECT_EQ(AppendRange(*storage_, L("a"), 1, 10), 10);
  EXPECT_EQ(*storage_->TrimUpdates(L("a"), 0, 1800000006), 6);
  EXPECT_THAT(PositionsOf(ReadAll(*storage_, L("a"))), ElementsAre(6, 7, 8, 9, 10));
  // Both limits: whichever trims more.
  EXPECT_EQ(*storage_->TrimUpdates(L("a"), 8, 1800000007), 8);
  EXPECT_EQ(*storage_->TrimUpdates(L("a"), 8, 1800000009), 9);
  EXPECT_THAT(Where(*storage_, L("a")), ElementsAre(10, 9, 10));
  // All of it too old.
  EXPECT_EQ(*storage_->TrimUpdates(L("a"), 0, 1900000000), 11);
  EXPECT_THAT(Where(*storage_, L("a")), ElementsAre(10, 11, 10));
  EXPECT_THAT(ReadAll(*storage_, L("a")), IsEmpty());
}

// The clock stepped back: an entry logged "earlier" behind a younger one stays with it, so that
// the log keeps no holes.
TEST_P(StorageConformanceTest, UpdateLogTrimByAgeKeepsTheLogWhole) {
  ASSERT_TRUE(storage_->PutAccount(LogAccount(L("a"))).ok());
  ASSERT_EQ(*storage_->AppendUpdates(
                L("a"), {Gap(1, 2, 100), Gap(3, 4, 300), Gap(5, 6, 200), Gap(7, 8, 400)}, State(1)),
            4);
  EXPECT_EQ(*storage_->TrimUpdates(L("a"), 0, 250), 2);
  EXPECT_THAT(PositionsOf(ReadAll(*storage_, L("a"))), ElementsAre(2, 3, 4));
  EXPECT_EQ(*storage_->TrimUpdates(L("a"), 0, 350), 4);
  EXPECT_THAT(ReadAll(*storage_, L("a")), ElementsAre(At(Gap(7, 8, 400), 4)));
}

TEST_P(StorageConformanceTest, UpdateLogConsumersMoveOnlyForward) {
  ASSERT_TRUE(storage_->PutAccount(LogAccount(L("a"))).ok());
  auto advance = [&](const std::string& consumer, int64_t position, int64_t time) {
    absl::StatusOr<ConsumerRecord> stored =
        storage_->AdvanceConsumer(L("a"), {consumer, position, time});
    EXPECT_TRUE(stored.ok()) << stored.status();
    return stored.ok() ? *stored : ConsumerRecord{};
  };
  EXPECT_EQ(advance("reader", 5, 100), (ConsumerRecord{"reader", 5, 100}));
  // Older: the stored one stays, its time too.
  EXPECT_EQ(advance("reader", 3, 200), (ConsumerRecord{"reader", 5, 100}));
  // The same: its time moves on.
  EXPECT_EQ(advance("reader", 5, 300), (ConsumerRecord{"reader", 5, 300}));
  EXPECT_EQ(advance("reader", 9, 400), (ConsumerRecord{"reader", 9, 400}));
  EXPECT_EQ(advance("archive", 0, 50), (ConsumerRecord{"archive", 0, 50}));
  EXPECT_EQ(advance("Reader", 1, 60), (ConsumerRecord{"Reader", 1, 60}));
  EXPECT_THAT(*storage_->ListConsumers(L("a")),
              ElementsAre(ConsumerRecord{"Reader", 1, 60}, ConsumerRecord{"archive", 0, 50},
                          ConsumerRecord{"reader", 9, 400}));
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(storage_->ListConsumers(L("a"))->size(), 3u);
  EXPECT_EQ(advance("reader", 8, 500), (ConsumerRecord{"reader", 9, 400}));

  const absl::StatusOr<ConsumerRecord> ghost =
      storage_->AdvanceConsumer(L("ghost"), {"reader", 1, 1});
  EXPECT_EQ(ghost.status().code(), absl::StatusCode::kNotFound) << ghost.status();
  EXPECT_THAT(*storage_->ListConsumers(L("ghost")), IsEmpty());
}

TEST_P(StorageConformanceTest, UpdateLogDeleteAccountTakesTheLogStateAndConsumers) {
  ASSERT_TRUE(storage_->PutAccount(LogAccount(L("a"))).ok());
  ASSERT_TRUE(storage_->PutAccount(LogAccount(L("kept"))).ok());
  for (const AccountKey& account : {L("a"), L("kept")}) {
    EXPECT_EQ(AppendRange(*storage_, account, 1, 3), 3);
    ASSERT_TRUE(storage_->AdvanceConsumer(account, {"reader", 2, 100}).ok());
  }
  ASSERT_TRUE(storage_->DeleteAccount(L("a")).ok());
  EXPECT_THAT(Where(*storage_, L("a")), ElementsAre(0, 1, -1));
  EXPECT_THAT(ReadAll(*storage_, L("a")), IsEmpty());
  EXPECT_THAT(*storage_->ListConsumers(L("a")), IsEmpty());
  EXPECT_THAT(Where(*storage_, L("kept")), ElementsAre(3, 1, 3));
  EXPECT_EQ(ReadAll(*storage_, L("kept")).size(), 3u);
  EXPECT_THAT(*storage_->ListConsumers(L("kept")), ElementsAre(ConsumerRecord{"reader", 2, 100}));

  // Made anew, it starts bare.
  ASSERT_TRUE(storage_->PutAccount(LogAccount(L("a"))).ok());
  EXPECT_THAT(Where(*storage_, L("a")), ElementsAre(0, 1, -1));
  EXPECT_EQ(AppendRange(*storage_, L("a"), 1, 1), 1);
  // Replacing an account keeps its log.
  ASSERT_TRUE(storage_->PutAccount(LogAccount(L("kept"))).ok());
  EXPECT_THAT(Where(*storage_, L("kept")), ElementsAre(3, 1, 3));
}

// Two accounts, and two tenants' accounts of the same id, each have a log of their own.
TEST_P(StorageConformanceTest, UpdateLogLogsArePerAccountAndTenant) {
  ASSERT_TRUE(storage_->PutAccount(LogAccount(L("a"))).ok());
  const AccountKey same_id{"another-tenant", "a"};
  const AccountKey other = L("b");
  ASSERT_TRUE(storage_->PutAccount(LogAccount(same_id)).ok());
  ASSERT_TRUE(storage_->PutAccount(LogAccount(other)).ok());
  EXPECT_EQ(AppendRange(*storage_, L("a"), 1, 5), 5);
  EXPECT_EQ(AppendRange(*storage_, same_id, 101, 2), 2);
  EXPECT_EQ(AppendRange(*storage_, other, 201, 3), 3);
  EXPECT_THAT(ReadAll(*storage_, same_id), ElementsAre(At(Entry(101), 1), At(Entry(102), 2)));
  EXPECT_EQ(ReadAll(*storage_, other)[0], At(Entry(201), 1));

  EXPECT_EQ(*storage_->TrimUpdates(L("a"), 5, kNoAgeLimit), 5);
  EXPECT_THAT(Where(*storage_, L("a")), ElementsAre(5, 5, 5));
  EXPECT_THAT(Where(*storage_, same_id), ElementsAre(2, 1, 102));
  EXPECT_THAT(Where(*storage_, other), ElementsAre(3, 1, 203));

  ASSERT_TRUE(storage_->AdvanceConsumer(same_id, {"reader", 2, 1}).ok());
  EXPECT_THAT(*storage_->ListConsumers(L("a")), IsEmpty());
  ASSERT_TRUE(storage_->AdvanceConsumer(L("a"), {"reader", 1, 1}).ok());
  EXPECT_EQ(storage_->ListConsumers(same_id)->at(0).position, 2);

  ASSERT_TRUE(storage_->DeleteAccount(same_id).ok());
  EXPECT_THAT(Where(*storage_, L("a")), ElementsAre(5, 5, 5));
  EXPECT_THAT(*storage_->ListConsumers(L("a")), ElementsAre(ConsumerRecord{"reader", 1, 1}));
  EXPECT_EQ(ReadAll(*storage_, other).size(), 3u);
}

// Appends from several threads at once get distinct positions, and each append's entries stay
// together and in order.
TEST_P(StorageConformanceTest, UpdateLogConcurrentAppendsGetDistinctPositions) {
  ASSERT_TRUE(storage_->PutAccount(LogAccount(L("a"))).ok());
  constexpr int kThreads = 4;
  constexpr int kAppends = 20;
  std::vector<std::thread> threads;
  std::vector<absl::Status> failures(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &failures] {
      for (int i = 0; i < kAppends && failures[t].ok(); ++i) {
        const int n = t * 1000 + i * 2;
        absl::StatusOr<int64_t> head =
            storage_->AppendUpdates(L("a"), {Entry(n), Entry(n + 1)}, State(n));
        failures[t] = head.status();
        if (head.ok()) failures[t] = storage_->ReadUpdates(L("a"), *head - 2, 2).status();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& failure : failures) EXPECT_TRUE(failure.ok()) << failure;
  const std::vector<UpdateLogEntry> all = ReadAll(*storage_, L("a"));
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kAppends * 2));
  std::vector<int> next(kThreads, 0);
  for (size_t i = 0; i < all.size(); i += 2) {
    ASSERT_EQ(all[i].position, static_cast<int64_t>(i + 1));
    const int n = (all[i].date - 1700000000);
    const int t = n / 1000;
    ASSERT_TRUE(t >= 0 && t < kThreads) << n;
    EXPECT_EQ(n, t * 1000 + next[t] * 2) << "thread " << t << "'s appends out of order";
    ++next[t];
    EXPECT_EQ(all[i], At(Entry(n), i + 1));
    EXPECT_EQ(all[i + 1], At(Entry(n + 1), i + 2));
  }
  EXPECT_EQ(storage_->GetUpdateLog(L("a"))->head, kThreads * kAppends * 2);
}

}  // namespace
}  // namespace tgrpc::service
