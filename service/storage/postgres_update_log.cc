#include "service/storage/postgres_update_log.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "service/storage/update_log_blob.h"

namespace tgrpc::service::postgres_update_log {
namespace {

// Rows per INSERT when appending: one round trip per this many entries rather than per entry,
// and far below the 65535 parameters a statement may have.
constexpr size_t kEntriesPerInsert = 100;

// Every statement names the account by $1 (tenant) and $2 (id).
constexpr PgStatement kGet = {
    "update_log_get",
    "SELECT s.head, s.pts, s.qts, s.seq, s.date, s.channel_pts, "
    "(SELECT position FROM update_log WHERE tenant = $1 AND account_id = $2 "
    "ORDER BY position LIMIT 1) "
    "FROM (SELECT 1) AS one LEFT JOIN update_state s ON s.tenant = $1 AND s.account_id = $2"};
// No row: no account. The lock conflicts with itself and with deleting the account, not with the
// key-share locks that foreign key checks take.
constexpr PgStatement kLockAccount = {
    "update_log_lock_account",
    "SELECT 1 FROM accounts WHERE tenant = $1 AND id = $2 FOR NO KEY UPDATE"};
// Read in a statement of its own, once the lock is held: at READ COMMITTED a statement reads the
// rows it does not lock as of its start, so a head read by the locking statement would be the
// one from before the append it waited for.
constexpr PgStatement kGetHead = {
    "update_log_get_head", "SELECT head FROM update_state WHERE tenant = $1 AND account_id = $2"};
constexpr PgStatement kPutState = {
    "update_log_put_state",
    "INSERT INTO update_state (tenant, account_id, head, pts, qts, seq, date, channel_pts) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant, account_id) DO UPDATE SET "
    "head = excluded.head, pts = excluded.pts, qts = excluded.qts, seq = excluded.seq, "
    "date = excluded.date, channel_pts = excluded.channel_pts"};
constexpr PgStatement kOldest = {"update_log_oldest",
                                 "SELECT position FROM update_log WHERE tenant = $1 AND "
                                 "account_id = $2 ORDER BY position LIMIT 1"};
// In the order ReadEntry expects.
constexpr PgStatement kReadEntries = {
    "update_log_read",
    "SELECT position, date, channel_id, update_tl, users, chats, gap_from, gap_to, "
    "logged_at_unix FROM update_log WHERE tenant = $1 AND account_id = $2 AND position > $3 "
    "ORDER BY position LIMIT $4"};
// Walks the primary key from $3 and stops at the first entry young enough: as many steps as
// there are entries to trim.
constexpr PgStatement kFirstKeptByAge = {
    "update_log_first_kept_by_age",
    "SELECT position FROM update_log WHERE tenant = $1 AND account_id = $2 AND position >= $3 "
    "AND logged_at_unix >= $4 ORDER BY position LIMIT 1"};
constexpr PgStatement kTrimBelow = {
    "update_log_trim_below",
    "DELETE FROM update_log WHERE tenant = $1 AND account_id = $2 AND position < $3"};
constexpr PgStatement kPutConsumer = {
    "update_log_put_consumer",
    "INSERT INTO update_consumers (tenant, account_id, consumer, position, update_time_unix) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant, account_id, consumer) DO UPDATE SET "
    "position = excluded.position, update_time_unix = excluded.update_time_unix "
    "WHERE excluded.position >= update_consumers.position"};
constexpr PgStatement kGetConsumer = {
    "update_log_get_consumer",
    "SELECT position, update_time_unix FROM update_consumers WHERE tenant = $1 AND "
    "account_id = $2 AND consumer = $3"};
constexpr PgStatement kListConsumers = {
    "update_log_list_consumers",
    "SELECT consumer, position, update_time_unix FROM update_consumers WHERE tenant = $1 AND "
    "account_id = $2 ORDER BY consumer"};

PgParams Of(const AccountKey& account) {
  PgParams params;
  params.Text(account.tenant).Text(account.id);
  return params;
}

// An entry's users or chats. DataLoss naming the entry if they do not read back.
absl::StatusOr<std::vector<std::string>> DecodeReferences(absl::string_view blob, int64_t position,
                                                          absl::string_view what) {
  absl::StatusOr<std::vector<std::string>> decoded = DecodeByteStrings(blob);
  if (decoded.ok()) return decoded;
  return absl::DataLossError(
      absl::StrCat("update log position ", position, " ", what, ": ", decoded.status().message()));
}

absl::StatusOr<UpdateLogEntry> ReadEntry(const PgResult& rows, int row) {
  UpdateLogEntry entry;
  entry.position = rows.Int(row, 0);
  entry.date = rows.Int(row, 1);
  entry.channel_id = rows.Int(row, 2);
  entry.update = rows.Bytes(row, 3);
  TGRPC_ASSIGN_OR_RETURN(entry.users,
                         DecodeReferences(rows.Bytes(row, 4), entry.position, "users"));
  TGRPC_ASSIGN_OR_RETURN(entry.chats,
                         DecodeReferences(rows.Bytes(row, 5), entry.position, "chats"));
  entry.gap_from = static_cast<int32_t>(rows.Int(row, 6));
  entry.gap_to = static_cast<int32_t>(rows.Int(row, 7));
  entry.logged_at_unix = rows.Int(row, 8);
  return entry;
}

// INSERT of `count` entries for the account in $1, $2: nine placeholders per row, nothing else
// varies.
std::string InsertEntriesSql(size_t count) {
  std::string sql =
      "INSERT INTO update_log (tenant, account_id, position, date, channel_id, update_tl, users, "
      "chats, gap_from, gap_to, logged_at_unix) VALUES ";
  int parameter = 3;
  for (size_t row = 0; row < count; ++row) {
    absl::StrAppend(&sql, row == 0 ? "" : ", ", "($1, $2");
    for (int column = 0; column < 9; ++column) absl::StrAppend(&sql, ", $", parameter++);
    sql += ")";
  }
  return sql;
}

// The oldest retained position, or head + 1 when none is.
absl::StatusOr<int64_t> Oldest(PgConnection& db, const AccountKey& account, int64_t head) {
  TGRPC_ASSIGN_OR_RETURN(PgResult oldest, db.Run(kOldest, Of(account)));
  return oldest.rows() == 0 ? head + 1 : oldest.Int(0, 0);
}

// Locks the account's row and reads its head (0 when no state was stored); nullopt when there is
// no account.
absl::StatusOr<std::optional<int64_t>> LockAndGetHead(PgConnection& db, const AccountKey& account) {
  TGRPC_ASSIGN_OR_RETURN(PgResult locked, db.Run(kLockAccount, Of(account)));
  if (locked.rows() == 0) return std::nullopt;
  TGRPC_ASSIGN_OR_RETURN(PgResult head, db.Run(kGetHead, Of(account)));
  return head.rows() == 0 ? 0 : head.Int(0, 0);
}

}  // namespace

absl::StatusOr<UpdateLogInfo> Get(PgConnection& db, const AccountKey& account) {
  TGRPC_ASSIGN_OR_RETURN(PgResult row, db.Run(kGet, Of(account)));
  if (row.rows() != 1) return absl::InternalError("the update log query returned no row");
  UpdateLogInfo info;
  if (!row.IsNull(0, 0)) {
    info.head = row.Int(0, 0);
    UpdateStateRecord& state = info.state.emplace();
    state.pts = static_cast<int32_t>(row.Int(0, 1));
    state.qts = static_cast<int32_t>(row.Int(0, 2));
    state.seq = static_cast<int32_t>(row.Int(0, 3));
    state.date = static_cast<int32_t>(row.Int(0, 4));
    absl::StatusOr<std::map<int64_t, int32_t>> channel_pts = DecodeChannelPts(row.Bytes(0, 5));
    if (!channel_pts.ok()) {
      return absl::DataLossError(absl::StrCat("update state: ", channel_pts.status().message()));
    }
    state.channel_pts = *std::move(channel_pts);
  }
  info.oldest = row.IsNull(0, 6) ? info.head + 1 : row.Int(0, 6);
  return info;
}

absl::StatusOr<int64_t> Append(PgConnection& db, const AccountKey& account,
                               const std::vector<UpdateLogEntry>& entries,
                               const UpdateStateRecord& state) {
  TGRPC_ASSIGN_OR_RETURN(const std::optional<int64_t> locked, LockAndGetHead(db, account));
  if (!locked.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("account ", account.tenant, "/", account.id, " not found"));
  }
  int64_t head = *locked;
  for (size_t first = 0; first < entries.size(); first += kEntriesPerInsert) {
    const size_t count = std::min(kEntriesPerInsert, entries.size() - first);
    PgParams params = Of(account);
    for (size_t i = first; i < first + count; ++i) {
      const UpdateLogEntry& entry = entries[i];
      TGRPC_ASSIGN_OR_RETURN(const std::string users, EncodeByteStrings(entry.users));
      TGRPC_ASSIGN_OR_RETURN(const std::string chats, EncodeByteStrings(entry.chats));
      params.Int(++head)
          .Int(entry.date)
          .Int(entry.channel_id)
          .Bytes(entry.update)
          .Bytes(users)
          .Bytes(chats)
          .Int(entry.gap_from)
          .Int(entry.gap_to)
          .Int(entry.logged_at_unix);
    }
    TGRPC_RETURN_IF_ERROR(db.RunOnce(InsertEntriesSql(count), params).status());
  }
  TGRPC_RETURN_IF_ERROR(db.Run(kPutState, Of(account)
                                              .Int(head)
                                              .Int(state.pts)
                                              .Int(state.qts)
                                              .Int(state.seq)
                                              .Int(state.date)
                                              .Bytes(EncodeChannelPts(state.channel_pts)))
                            .status());
  return head;
}

absl::StatusOr<std::vector<UpdateLogEntry>> Read(PgConnection& db, const AccountKey& account,
                                                 int64_t after, size_t limit) {
  std::vector<UpdateLogEntry> entries;
  if (limit == 0) return entries;
  const auto bounded =
      static_cast<int64_t>(std::min<size_t>(limit, std::numeric_limits<int64_t>::max()));
  TGRPC_ASSIGN_OR_RETURN(PgResult rows, db.Run(kReadEntries, Of(account).Int(after).Int(bounded)));
  entries.reserve(rows.rows());
  for (int row = 0; row < rows.rows(); ++row) {
    TGRPC_ASSIGN_OR_RETURN(UpdateLogEntry entry, ReadEntry(rows, row));
    entries.push_back(std::move(entry));
  }
  return entries;
}

absl::StatusOr<int64_t> Trim(PgConnection& db, const AccountKey& account,
                             int64_t keep_from_position, int64_t keep_logged_after_unix) {
  TGRPC_ASSIGN_OR_RETURN(const std::optional<int64_t> locked, LockAndGetHead(db, account));
  // No account: no entries either (they go with it), and the log of a fresh account.
  if (!locked.has_value()) return 1;
  const int64_t head = *locked;
  // Everything from keep_from_position on that is too old goes too, up to the first entry that
  // is young enough: the log stays whole.
  int64_t cut = std::max(keep_from_position, head + 1);
  TGRPC_ASSIGN_OR_RETURN(
      PgResult kept,
      db.Run(kFirstKeptByAge, Of(account).Int(keep_from_position).Int(keep_logged_after_unix)));
  if (kept.rows() != 0) cut = kept.Int(0, 0);
  TGRPC_RETURN_IF_ERROR(db.Run(kTrimBelow, Of(account).Int(cut)).status());
  return Oldest(db, account, head);
}

absl::StatusOr<ConsumerRecord> Advance(PgConnection& db, const AccountKey& account,
                                       const ConsumerRecord& record) {
  TGRPC_RETURN_IF_ERROR(
      db.Run(kPutConsumer,
             Of(account).Text(record.consumer).Int(record.position).Int(record.update_time_unix))
          .status());
  TGRPC_ASSIGN_OR_RETURN(PgResult stored, db.Run(kGetConsumer, Of(account).Text(record.consumer)));
  if (stored.rows() == 0) return absl::InternalError("the consumer just stored is not there");
  return ConsumerRecord{record.consumer, stored.Int(0, 0), stored.Int(0, 1)};
}

absl::StatusOr<std::vector<ConsumerRecord>> Consumers(PgConnection& db, const AccountKey& account) {
  TGRPC_ASSIGN_OR_RETURN(PgResult rows, db.Run(kListConsumers, Of(account)));
  std::vector<ConsumerRecord> consumers;
  consumers.reserve(rows.rows());
  for (int row = 0; row < rows.rows(); ++row) {
    consumers.push_back({rows.Bytes(row, 0), rows.Int(row, 1), rows.Int(row, 2)});
  }
  return consumers;
}

}  // namespace tgrpc::service::postgres_update_log
