// Crash safety of the SQLite storage: a child process writes accounts, keys, peers, salts and
// update log appends in a loop, reporting each write on a pipe once the call has returned OK, and
// the test kills it with SIGKILL at pseudo-random points (fixed seed), over and over. Afterwards
// the database must be intact, hold every write the children reported, hold every multi-row write
// whole or not at all, and open every secret with the key file the first child created. After
// every kill the update log's head must be the number of entries it holds, and its state the one
// stored with the last append that committed. A second test kills first opens part-way through
// creating the schema; the next open must complete it.
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "service/storage/key_cipher.h"
#include "service/storage/sqlite_storage.h"
#include "service/storage/storage.h"

namespace tgrpc::service {
namespace {

constexpr int kKills = 400;
constexpr uint32_t kSeed = 20240611;
constexpr int kPeersPerBatch = 3;
// Deletes the account written this many before, every kDeleteEvery accounts.
constexpr int kDeleteEvery = 7;
constexpr int kDeleteLag = 3;
constexpr auto kChildTimeout = std::chrono::seconds(20);

uint64_t Fnv1a(absl::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// Every account is the one tenant's.
AccountKey Crash(const std::string& id) { return {"crash", id}; }

// Every value follows from the account id, so the parent knows what each write wrote.
AccountRecord AccountFor(const std::string& id) {
  AccountRecord account;
  account.id = id;
  account.tenant = Crash(id).tenant;
  account.bot = true;
  account.bot_token = absl::StrCat(Fnv1a(id) % 1000000000, ":token-", id);
  account.state = AccountState::kSignedIn;
  account.user_id = static_cast<int64_t>(Fnv1a(id) >> 2);
  account.display_name = id;
  return account;
}

AuthKeyRecord KeyFor(const std::string& id, int dc_id) {
  AuthKeyRecord key;
  key.account = Crash(id);
  key.dc_id = dc_id;
  std::mt19937_64 bytes(Fnv1a(id) + static_cast<uint64_t>(dc_id));
  key.key.resize(256);
  for (char& c : key.key) c = static_cast<char>(bytes());
  key.salt = Fnv1a(id) ^ static_cast<uint64_t>(dc_id);
  key.time_offset_ms = dc_id * 100;
  key.future_salts = {{1700000000, 1700005400, Fnv1a(id) + static_cast<uint64_t>(dc_id)}};
  return key;
}

constexpr int kSaltDc = 2;
uint64_t UpdatedSalt(const std::string& id) { return ~Fnv1a(id); }
std::vector<FutureSaltRecord> UpdatedFutureSalts(const std::string& id) {
  return {{1700003600, 1700009000, ~Fnv1a(id) + 1}, {1700007200, 1700012600, ~Fnv1a(id) + 2}};
}

std::vector<PeerRecord> PeersFor(const std::string& id) {
  std::vector<PeerRecord> peers;
  for (int k = 0; k < kPeersPerBatch; ++k) {
    peers.push_back(PeerRecord{Crash(id), 1000 + k, PeerType::kUser,
                               static_cast<int64_t>(Fnv1a(id)) + k, absl::StrCat(id, "_u", k),
                               absl::StrCat(Fnv1a(id) % 100000, k)});
  }
  return peers;
}

// The update log all children append to, one account's (AccountFor("log")). An append's size and
// contents follow from where the log stood, so the parent knows what each append wrote: entry p's
// contents from p, and the state from the head and the number of appends so far (kept in seq).
const AccountKey kLog = Crash("log");

// Entries the append after `head`, the log's appends-th, adds: mostly a few, now and then 1,000
// (one transaction) or none (the state only).
int64_t AppendSize(int64_t head, int32_t appends) {
  const uint64_t h = Fnv1a(absl::StrCat(head, ":", appends));
  if (h % 16 == 0) return 1000;
  if (h % 16 == 1) return 0;
  return 1 + static_cast<int64_t>(h % 30);
}

UpdateLogEntry LogEntryFor(int64_t position) {
  UpdateLogEntry entry;
  entry.date = 1700000000 + position;
  entry.channel_id = position % 3 == 0 ? position : 0;
  entry.update = absl::StrCat("update ", position, std::string(position % 200, '\xab'));
  entry.users = {absl::StrCat("user ", position), absl::StrCat("user ", Fnv1a(entry.update))};
  if (position % 2 == 0) entry.chats = {absl::StrCat("chat ", position)};
  if (position % 5 == 0) {
    entry.update.clear();
    entry.gap_from = static_cast<int32_t>(position);
    entry.gap_to = static_cast<int32_t>(position + 2);
  }
  entry.logged_at_unix = 1800000000 + position;
  return entry;
}

// The state stored with the appends-th append, which took the log to `head`.
UpdateStateRecord LogStateFor(int64_t head, int32_t appends) {
  UpdateStateRecord state;
  state.pts = static_cast<int32_t>(head);
  state.qts = -appends;
  state.seq = appends;
  state.date = 1700000000 + appends;
  state.channel_pts = {{appends, static_cast<int32_t>(head)}, {-1000000 - head, appends}};
  return state;
}

void Report(int fd, const std::string& line) {
  const std::string text = line + "\n";
  // One write of less than PIPE_BUF bytes: the parent never sees half a line.
  if (write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) _exit(4);
}

void Check(int fd, const absl::Status& status, absl::string_view what) {
  if (status.ok()) return;
  Report(fd, absl::StrCat("E ", what, ": ", status.ToString()));
  _exit(3);
}

// The child: writes until it is killed. Lines: C (created the key file), O (opened), X id (about
// to delete the account: the delete may commit and the child die before saying so), and one per
// write that returned OK: A id, K id dc, P id, S id, D id, and U head appends for an update log
// append.
[[noreturn]] void WriteUntilKilled(const std::string& db_path, const std::string& key_path,
                                   int generation, int fd) {
  bool created = false;
  absl::StatusOr<KeyCipher> cipher = KeyCipher::LoadOrCreate(key_path, &created);
  Check(fd, cipher.status(), "LoadOrCreate");
  if (created) Report(fd, "C");
  absl::StatusOr<std::unique_ptr<Storage>> storage = OpenSqliteStorage(db_path, *cipher);
  Check(fd, storage.status(), "OpenSqliteStorage");
  Report(fd, "O");
  Storage& s = **storage;
  // Replacing the log's account keeps its log.
  Check(fd, s.PutAccount(AccountFor(kLog.id)), "PutAccount log");
  absl::StatusOr<UpdateLogInfo> log = s.GetUpdateLog(kLog);
  Check(fd, log.status(), "GetUpdateLog");
  int64_t head = log->head;
  int32_t appends = log->state.has_value() ? log->state->seq : 0;
  auto append = [&] {
    const int64_t size = AppendSize(head, appends);
    std::vector<UpdateLogEntry> entries;
    for (int64_t p = head + 1; p <= head + size; ++p) entries.push_back(LogEntryFor(p));
    absl::StatusOr<int64_t> new_head =
        s.AppendUpdates(kLog, entries, LogStateFor(head + size, appends + 1));
    Check(fd, new_head.status(), "AppendUpdates");
    if (*new_head != head + size) {
      Report(fd, absl::StrCat("E AppendUpdates: head ", *new_head, ", not ", head + size));
      _exit(3);
    }
    head = *new_head;
    ++appends;
    Report(fd, absl::StrCat("U ", head, " ", appends));
  };
  for (int n = 0;; ++n) {
    const std::string id = absl::StrCat("g", generation, "n", n);
    Check(fd, s.PutAccount(AccountFor(id)), "PutAccount");
    Report(fd, "A " + id);
    append();
    for (int dc = 1; dc <= 3; ++dc) {
      Check(fd, s.PutAuthKey(KeyFor(id, dc)), "PutAuthKey");
      Report(fd, absl::StrCat("K ", id, " ", dc));
    }
    Check(fd, s.PutPeers(PeersFor(id)), "PutPeers");
    Report(fd, "P " + id);
    Check(fd, s.UpdateSalt(Crash(id), kSaltDc, UpdatedSalt(id), -7, UpdatedFutureSalts(id)),
          "UpdateSalt");
    Report(fd, "S " + id);
    append();
    if (n % kDeleteEvery == kDeleteEvery - 1) {
      const std::string old = absl::StrCat("g", generation, "n", n - kDeleteLag);
      Report(fd, "X " + old);
      Check(fd, s.DeleteAccount(Crash(old)), "DeleteAccount");
      Report(fd, "D " + old);
    }
  }
}

// What the children reported, per account.
struct Expected {
  bool deleted = false;
  std::set<int> dcs;
  bool peers = false;
  bool salt_updated = false;
  // A delete was under way: the account may be gone though no delete was reported.
  bool delete_started = false;
  // Reported writes of this account, the delete included.
  int writes = 0;
};

class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  // The next whole line, or false at end of file or when nothing arrives before the deadline.
  bool Next(std::string* line, std::chrono::steady_clock::time_point deadline) {
    while (true) {
      const size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        *line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return true;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[4096];
      const ssize_t n = read(fd_, chunk, sizeof(chunk));
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

std::string IntegrityCheck(const std::string& path) {
  sqlite3* db = nullptr;
  std::string result = "could not open";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    } else {
      result = sqlite3_errmsg(db);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db);
  return result;
}

// Where the update log stands: the last append a child reported (or found committed), and how far
// the parent has read and checked its entries.
struct LogProgress {
  int64_t head = 0;
  int32_t appends = 0;
  int64_t checked_head = 0;
  int reported_appends = 0;
  int unreported_appends = 0;
};

// Opens the database as a kill left it and checks the update log: its state is the last reported
// append's, or the next one's (committed, unreported; then that becomes the last); its head
// follows from it; and the entries since the last check read back whole, as many as the head says.
void CheckLogAfterKill(const std::string& db_path, const KeyCipher& cipher, LogProgress& progress) {
  absl::StatusOr<std::unique_ptr<Storage>> opened = OpenSqliteStorage(db_path, cipher);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Storage& storage = **opened;
  absl::StatusOr<UpdateLogInfo> info = storage.GetUpdateLog(kLog);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->oldest, 1);  // never trimmed
  if (!info->state.has_value()) {
    ASSERT_EQ(progress.appends, 0) << "reported appends are gone";
    ASSERT_EQ(info->head, 0);
    return;
  }
  const int32_t appends = info->state->seq;
  if (appends == progress.appends + 1) {
    progress.head += AppendSize(progress.head, progress.appends);
    progress.appends = appends;
    ++progress.unreported_appends;
  }
  ASSERT_EQ(appends, progress.appends) << "the stored state is no append's the child made";
  ASSERT_EQ(info->head, progress.head);
  ASSERT_EQ(*info->state, LogStateFor(progress.head, progress.appends));
  absl::StatusOr<std::vector<UpdateLogEntry>> entries =
      storage.ReadUpdates(kLog, progress.checked_head, std::numeric_limits<size_t>::max());
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(static_cast<int64_t>(entries->size()), progress.head - progress.checked_head)
      << "the log's head is not the number of its entries";
  for (const UpdateLogEntry& entry : *entries) {
    ASSERT_EQ(entry,
              [&] {
                UpdateLogEntry want = LogEntryFor(entry.position);
                want.position = entry.position;
                return want;
              }())
        << "entry " << entry.position;
  }
  if (!entries->empty()) {
    ASSERT_EQ(entries->front().position, progress.checked_head + 1);
    ASSERT_EQ(entries->back().position, progress.head);
  }
  progress.checked_head = progress.head;
}

bool IsWrite(const std::string& line) {
  return !line.empty() && line[0] != 'C' && line[0] != 'O' && line[0] != 'X';
}

TEST(StorageCrashTest, SurvivesSigkillAnywhere) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = tmp != nullptr ? tmp : "/tmp";
  const std::string db_path = dir + "/crash.db";
  const std::string key_path = dir + "/crash.key";
  for (const std::string& path :
       {db_path, db_path + "-wal", db_path + "-shm", db_path + ".lock", key_path}) {
    std::remove(path.c_str());
  }

  std::mt19937 rng(kSeed);
  std::map<std::string, Expected> expected;
  int reported_writes = 0;
  int keys_created = 0;
  int kills_before_open = 0;
  bool ever_opened = false;
  LogProgress log;
  const auto start = std::chrono::steady_clock::now();

  for (int generation = 0; generation < kKills; ++generation) {
    // Mostly a few writes in, sometimes none (killed while loading the key or opening), sometimes
    // many (a larger database, so that WAL checkpoints get killed too).
    const int roll = static_cast<int>(rng() % 10);
    const int writes_before_kill =
        roll == 0 ? 0
                  : (roll == 9 ? 40 + static_cast<int>(rng() % 80) : static_cast<int>(rng() % 12));
    const auto delay = std::chrono::microseconds(rng() % 3000);

    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      WriteUntilKilled(db_path, key_path, generation, fds[1]);
    }
    close(fds[1]);

    LineReader reader(fds[0]);
    std::vector<std::string> lines;
    const auto deadline = std::chrono::steady_clock::now() + kChildTimeout;
    int writes = 0;
    std::string line;
    while (writes < writes_before_kill && reader.Next(&line, deadline)) {
      lines.push_back(line);
      if (IsWrite(line)) ++writes;
      if (line[0] == 'E') break;
    }
    std::this_thread::sleep_for(delay);
    kill(child, SIGKILL);
    int wstatus = 0;
    ASSERT_EQ(waitpid(child, &wstatus, 0), child);
    // Whatever the child wrote before it died was reported: its call had returned OK.
    while (reader.Next(&line, std::chrono::steady_clock::now() + kChildTimeout)) {
      lines.push_back(line);
    }
    close(fds[0]);

    bool opened = false;
    for (const std::string& l : lines) {
      ASSERT_NE(l[0], 'E') << "generation " << generation << ": " << l;
      const std::vector<std::string> parts = absl::StrSplit(l, ' ');
      switch (l[0]) {
        case 'C':
          ++keys_created;
          break;
        case 'O':
          opened = true;
          break;
        case 'U': {
          int64_t head = 0;
          int32_t appends = 0;
          ASSERT_TRUE(absl::SimpleAtoi(parts[1], &head) && absl::SimpleAtoi(parts[2], &appends))
              << l;
          // The child went on from where the log stood, found committed or not.
          ASSERT_EQ(appends, log.appends + 1) << l;
          ASSERT_EQ(head, log.head + AppendSize(log.head, log.appends)) << l;
          log.head = head;
          log.appends = appends;
          ++log.reported_appends;
          break;
        }
        case 'A':
          expected[parts[1]] = Expected{};
          break;
        case 'K': {
          int dc = 0;
          ASSERT_TRUE(absl::SimpleAtoi(parts[2], &dc)) << l;
          expected[parts[1]].dcs.insert(dc);
          break;
        }
        case 'P':
          expected[parts[1]].peers = true;
          break;
        case 'S':
          expected[parts[1]].salt_updated = true;
          break;
        case 'X':
          expected[parts[1]].delete_started = true;
          break;
        case 'D':
          expected[parts[1]] = Expected{.deleted = true, .writes = expected[parts[1]].writes};
          break;
        default:
          FAIL() << "unexpected line from the child: " << l;
      }
      if (IsWrite(l) && l[0] != 'U') {
        ++reported_writes;
        ++expected[parts[1]].writes;
      }
    }
    if (!opened) ++kills_before_open;
    ever_opened = ever_opened || opened;
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
        << "generation " << generation << " ended on its own";
    // Now and then, check the file as the last kill left it (no connection open across forks).
    if (generation % 25 == 24) {
      ASSERT_EQ(IntegrityCheck(db_path), "ok") << "after generation " << generation;
    }
    // A child that opened the database made the key file first.
    if (ever_opened) {
      bool key_created = true;
      absl::StatusOr<KeyCipher> cipher = KeyCipher::LoadOrCreate(key_path, &key_created);
      ASSERT_TRUE(cipher.ok()) << cipher.status();
      ASSERT_FALSE(key_created);
      SCOPED_TRACE(absl::StrCat("after generation ", generation));
      ASSERT_NO_FATAL_FAILURE(CheckLogAfterKill(db_path, *cipher, log));
    }
  }

  // The key file was made once and is the one everything was sealed under.
  EXPECT_LE(keys_created, 1);
  bool created = true;
  absl::StatusOr<KeyCipher> cipher = KeyCipher::LoadOrCreate(key_path, &created);
  ASSERT_TRUE(cipher.ok()) << cipher.status();
  EXPECT_FALSE(created);
  ASSERT_EQ(IntegrityCheck(db_path), "ok");

  absl::StatusOr<std::unique_ptr<Storage>> opened = OpenSqliteStorage(db_path, *cipher);
  ASSERT_TRUE(opened.ok()) << opened.status();
  Storage& storage = **opened;

  // A reported write counts as checked when its effect is found, or when a later delete of its
  // account is found to have taken effect whole.
  int checked = 0;
  int superseded = 0;
  int unreported_deletes = 0;
  for (auto& [id, want] : expected) {
    SCOPED_TRACE(id);
    absl::StatusOr<std::optional<AccountRecord>> account = storage.GetAccount(Crash(id));
    ASSERT_TRUE(account.ok()) << account.status();
    absl::StatusOr<std::vector<AuthKeyRecord>> keys = storage.GetAuthKeys(Crash(id));
    ASSERT_TRUE(keys.ok()) << keys.status();
    const bool delete_reported = want.deleted;
    if (want.delete_started && !want.deleted && !account->has_value()) {
      // The delete committed, unreported: gone whole, like a reported one.
      want.deleted = true;
      ++unreported_deletes;
    }
    if (want.deleted) {
      EXPECT_EQ(*account, std::nullopt);
      EXPECT_TRUE(keys->empty());
      for (const PeerRecord& peer : PeersFor(id)) {
        EXPECT_EQ(*storage.GetPeer(Crash(id), peer.peer_id), std::nullopt);
      }
      checked += want.writes;
      superseded += delete_reported ? want.writes - 1 : want.writes;
      continue;
    }
    ASSERT_EQ(*account, AccountFor(id));
    std::set<int> found;
    for (const AuthKeyRecord& key : *keys) {
      found.insert(key.dc_id);
      AuthKeyRecord want_key = KeyFor(id, key.dc_id);
      // A salt update that committed unreported is as good as the original salt.
      if (key.dc_id == kSaltDc && (want.salt_updated || key.salt == UpdatedSalt(id))) {
        want_key.salt = UpdatedSalt(id);
        want_key.time_offset_ms = -7;
        want_key.future_salts = UpdatedFutureSalts(id);
      }
      EXPECT_EQ(key, want_key) << "DC " << key.dc_id;
    }
    for (int dc : want.dcs) {
      EXPECT_TRUE(found.count(dc)) << "reported key for DC " << dc << " is missing";
    }
    if (want.salt_updated) {
      EXPECT_TRUE(found.count(kSaltDc)) << "the key whose salt was updated is missing";
    }
    if (want.peers) {
      for (const PeerRecord& peer : PeersFor(id)) {
        EXPECT_EQ(*storage.GetPeer(Crash(id), peer.peer_id), peer);
      }
    }
    checked += want.writes;
  }

  // Every account there, reported or not, is whole: its secrets open and match, and its peer
  // batch is all there or not at all.
  absl::StatusOr<std::vector<AccountRecord>> all = storage.ListAccounts();
  ASSERT_TRUE(all.ok()) << all.status();
  int keys_opened = 0;
  for (const AccountRecord& account : *all) {
    SCOPED_TRACE(account.id);
    EXPECT_EQ(account, AccountFor(account.id));
    absl::StatusOr<std::vector<AuthKeyRecord>> keys = storage.GetAuthKeys(account.key());
    ASSERT_TRUE(keys.ok()) << keys.status();
    for (const AuthKeyRecord& key : *keys) {
      EXPECT_EQ(key.key, KeyFor(account.id, key.dc_id).key);
      ++keys_opened;
    }
    int peers = 0;
    for (const PeerRecord& peer : PeersFor(account.id)) {
      absl::StatusOr<std::optional<PeerRecord>> got = storage.GetPeer(account.key(), peer.peer_id);
      ASSERT_TRUE(got.ok()) << got.status();
      if (got->has_value()) {
        EXPECT_EQ(**got, peer);
        ++peers;
      }
    }
    EXPECT_TRUE(peers == 0 || peers == kPeersPerBatch) << peers << " peers of a batch";
  }
  // The whole update log once more: as many entries as its head, each as it was appended.
  absl::StatusOr<UpdateLogInfo> info = storage.GetUpdateLog(kLog);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->head, log.head);
  absl::StatusOr<std::vector<UpdateLogEntry>> entries =
      storage.ReadUpdates(kLog, 0, std::numeric_limits<size_t>::max());
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(static_cast<int64_t>(entries->size()), log.head);
  for (size_t i = 0; i < entries->size(); ++i) {
    UpdateLogEntry want = LogEntryFor(static_cast<int64_t>(i + 1));
    want.position = static_cast<int64_t>(i + 1);
    ASSERT_EQ((*entries)[i], want);
  }
  EXPECT_GT(log.reported_appends, 0);
  opened->reset();
  EXPECT_EQ(IntegrityCheck(db_path), "ok");

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "storage crash test: %d SIGKILLs (%d before the database was open), %d writes reported "
      "committed, %d of them checked (%d through a later delete, %d deletes committed unreported), "
      "%zu accounts and %d auth keys in the database, every key opened; update log: %d appends "
      "reported committed, %d more found committed unreported, %lld entries, head and state "
      "checked after every kill; %.1f s\n",
      kKills, kills_before_open, reported_writes, checked, superseded, unreported_deletes,
      all->size(), keys_opened, log.reported_appends, log.unreported_appends,
      static_cast<long long>(log.head), seconds);
  RecordProperty("kills", kKills);
  RecordProperty("writes_checked", checked);
  RecordProperty("log_appends_reported", log.reported_appends);
  EXPECT_EQ(checked, reported_writes);
}

// PRAGMA user_version, or -1 when there is no file yet.
int SchemaVersion(const std::string& path) {
  if (access(path.c_str(), F_OK) != 0) return -1;
  sqlite3* db = nullptr;
  int version = -2;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      version = sqlite3_column_int(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db);
  return version;
}

// The first open creates the schema step by step and records the key: a kill anywhere in it must
// leave a database the next open completes.
TEST(StorageCrashTest, FirstOpenSurvivesSigkill) {
  constexpr int kRounds = 60;
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = tmp != nullptr ? tmp : "/tmp";
  const KeyCipher cipher = *KeyCipher::FromKey(std::string(KeyCipher::kKeySize, 'm'));
  std::mt19937 rng(kSeed + 1);

  // How long a first open takes here, from fork to its report, so that the kills spread over it.
  auto spawn_opener = [&](const std::string& db_path, int* read_fd) {
    int fds[2];
    if (pipe(fds) != 0) return pid_t{-1};
    const pid_t child = fork();
    if (child == 0) {
      close(fds[0]);
      Check(fds[1], OpenSqliteStorage(db_path, cipher).status(), "OpenSqliteStorage");
      Report(fds[1], "O");
      pause();
      _exit(0);
    }
    close(fds[1]);
    *read_fd = fds[0];
    return child;
  };
  std::chrono::microseconds open_time{0};
  {
    int fd = -1;
    const auto start = std::chrono::steady_clock::now();
    const pid_t child = spawn_opener(dir + "/first_open_timing.db", &fd);
    ASSERT_GT(child, 0);
    LineReader reader(fd);
    std::string line;
    ASSERT_TRUE(reader.Next(&line, start + kChildTimeout));
    ASSERT_EQ(line, "O");
    open_time = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    close(fd);
  }

  // How far each killed open had got: no file, schema version 0..kSqliteSchemaVersion, opened.
  std::map<std::string, int> reached;
  for (int round = 0; round < kRounds; ++round) {
    const std::string db_path = absl::StrCat(dir, "/first_open_", round, ".db");
    int fd = -1;
    const pid_t child = spawn_opener(db_path, &fd);
    ASSERT_GT(child, 0);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % (open_time.count() * 5 / 4 + 1)));
    kill(child, SIGKILL);
    ASSERT_EQ(waitpid(child, nullptr, 0), child);
    LineReader reader(fd);
    std::string line;
    bool opened = false;
    while (reader.Next(&line, std::chrono::steady_clock::now() + kChildTimeout)) {
      ASSERT_NE(line[0], 'E') << line;
      opened = opened || line == "O";
    }
    close(fd);
    const int version = SchemaVersion(db_path);
    ++reached[opened ? "opened" : (version < 0 ? "no file" : absl::StrCat("version ", version))];

    if (version >= 0) {
      ASSERT_EQ(IntegrityCheck(db_path), "ok") << "round " << round;
    }
    absl::StatusOr<std::unique_ptr<Storage>> storage = OpenSqliteStorage(db_path, cipher);
    ASSERT_TRUE(storage.ok()) << "round " << round << ": " << storage.status();
    AccountRecord account;
    account.id = "after";
    account.tenant = Crash("after").tenant;
    ASSERT_TRUE((*storage)->PutAccount(account).ok());
    ASSERT_TRUE((*storage)->PutAuthKey(KeyFor("after", 2)).ok());
    EXPECT_EQ((*storage)->GetAuthKeys(Crash("after"))->size(), 1u);
  }
  std::string histogram;
  for (const auto& [state, count] : reached)
    absl::StrAppend(&histogram, " ", state, ": ", count, ";");
  std::printf(
      "storage crash test: %d SIGKILLs during a first open (%lld us uncontested), killed "
      "at:%s\n",
      kRounds, static_cast<long long>(open_time.count()), histogram.c_str());
}

}  // namespace
}  // namespace tgrpc::service
