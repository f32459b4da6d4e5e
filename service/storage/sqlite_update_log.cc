#include "service/storage/sqlite_update_log.h"

#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "service/storage/update_log_blob.h"

namespace tgrpc::service {
namespace {

// In the order ReadEntry expects.
constexpr absl::string_view kEntryColumns =
    "position, date, channel_id, update_tl, users, chats, gap_from, gap_to, logged_at_unix";

// An entry's users or chats. DataLoss naming the entry if they do not read back.
absl::StatusOr<std::vector<std::string>> DecodeReferences(absl::string_view blob, int64_t position,
                                                          absl::string_view what) {
  absl::StatusOr<std::vector<std::string>> decoded = DecodeByteStrings(blob);
  if (decoded.ok()) return decoded;
  return absl::DataLossError(
      absl::StrCat("update log position ", position, " ", what, ": ", decoded.status().message()));
}

absl::StatusOr<UpdateLogEntry> ReadEntry(SqliteQuery& query) {
  UpdateLogEntry entry;
  entry.position = query.ColumnInt(0);
  entry.date = query.ColumnInt(1);
  entry.channel_id = query.ColumnInt(2);
  entry.update = query.ColumnBlob(3);
  TGRPC_ASSIGN_OR_RETURN(entry.users,
                         DecodeReferences(query.ColumnBlob(4), entry.position, "users"));
  TGRPC_ASSIGN_OR_RETURN(entry.chats,
                         DecodeReferences(query.ColumnBlob(5), entry.position, "chats"));
  entry.gap_from = static_cast<int32_t>(query.ColumnInt(6));
  entry.gap_to = static_cast<int32_t>(query.ColumnInt(7));
  entry.logged_at_unix = query.ColumnInt(8);
  return entry;
}

}  // namespace

absl::StatusOr<SqliteUpdateLog> SqliteUpdateLog::Prepare(SqliteConnection& db) {
  SqliteUpdateLog log;
  // Every statement names the account by ?1 (tenant) and ?2 (id).
  TGRPC_ASSIGN_OR_RETURN(log.get_state_,
                         db.Prepare("SELECT head, pts, qts, seq, date, channel_pts FROM "
                                    "update_state WHERE tenant = ?1 AND account_id = ?2"));
  TGRPC_ASSIGN_OR_RETURN(
      log.put_state_,
      db.Prepare("INSERT INTO update_state (tenant, account_id, head, pts, qts, seq, date, "
                 "channel_pts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (tenant, "
                 "account_id) DO UPDATE SET head = ?3, pts = ?4, qts = ?5, seq = ?6, date = ?7, "
                 "channel_pts = ?8"));
  TGRPC_ASSIGN_OR_RETURN(
      log.get_head_,
      db.Prepare("SELECT head FROM update_state WHERE tenant = ?1 AND account_id = ?2"));
  // The first step of the account's range of the primary key.
  TGRPC_ASSIGN_OR_RETURN(log.oldest_,
                         db.Prepare("SELECT position FROM update_log WHERE tenant = ?1 AND "
                                    "account_id = ?2 ORDER BY position LIMIT 1"));
  TGRPC_ASSIGN_OR_RETURN(
      log.put_entry_,
      db.Prepare(absl::StrCat("INSERT INTO update_log (tenant, account_id, ", kEntryColumns,
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")));
  TGRPC_ASSIGN_OR_RETURN(
      log.read_entries_,
      db.Prepare(absl::StrCat("SELECT ", kEntryColumns,
                              " FROM update_log WHERE tenant = ?1 AND account_id = ?2 AND "
                              "position > ?3 ORDER BY position LIMIT ?4")));
  // Walks the primary key from ?3 and stops at the first entry young enough: as many steps as
  // there are entries to trim.
  TGRPC_ASSIGN_OR_RETURN(
      log.first_kept_by_age_,
      db.Prepare("SELECT position FROM update_log WHERE tenant = ?1 AND account_id = ?2 AND "
                 "position >= ?3 AND logged_at_unix >= ?4 ORDER BY position LIMIT 1"));
  TGRPC_ASSIGN_OR_RETURN(log.trim_below_,
                         db.Prepare("DELETE FROM update_log WHERE tenant = ?1 AND account_id = ?2 "
                                    "AND position < ?3"));
  TGRPC_ASSIGN_OR_RETURN(
      log.put_consumer_,
      db.Prepare("INSERT INTO update_consumers (tenant, account_id, consumer, position, "
                 "update_time_unix) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (tenant, account_id, "
                 "consumer) DO UPDATE SET position = ?4, update_time_unix = ?5 "
                 "WHERE ?4 >= update_consumers.position"));
  TGRPC_ASSIGN_OR_RETURN(log.get_consumer_,
                         db.Prepare("SELECT position, update_time_unix FROM update_consumers "
                                    "WHERE tenant = ?1 AND account_id = ?2 AND consumer = ?3"));
  TGRPC_ASSIGN_OR_RETURN(
      log.list_consumers_,
      db.Prepare("SELECT consumer, position, update_time_unix FROM update_consumers WHERE tenant "
                 "= ?1 AND account_id = ?2 ORDER BY consumer"));
  TGRPC_ASSIGN_OR_RETURN(
      log.delete_entries_,
      db.Prepare("DELETE FROM update_log WHERE tenant = ?1 AND account_id = ?2"));
  TGRPC_ASSIGN_OR_RETURN(
      log.delete_state_,
      db.Prepare("DELETE FROM update_state WHERE tenant = ?1 AND account_id = ?2"));
  TGRPC_ASSIGN_OR_RETURN(
      log.delete_consumers_,
      db.Prepare("DELETE FROM update_consumers WHERE tenant = ?1 AND account_id = ?2"));
  return log;
}

absl::StatusOr<UpdateLogInfo> SqliteUpdateLog::Get(const AccountKey& account) {
  UpdateLogInfo info;
  {
    SqliteQuery query = get_state_.Start();
    TGRPC_ASSIGN_OR_RETURN(bool row,
                           query.BindText(1, account.tenant).BindText(2, account.id).Step());
    if (row) {
      info.head = query.ColumnInt(0);
      UpdateStateRecord& state = info.state.emplace();
      state.pts = static_cast<int32_t>(query.ColumnInt(1));
      state.qts = static_cast<int32_t>(query.ColumnInt(2));
      state.seq = static_cast<int32_t>(query.ColumnInt(3));
      state.date = static_cast<int32_t>(query.ColumnInt(4));
      absl::StatusOr<std::map<int64_t, int32_t>> channel_pts =
          DecodeChannelPts(query.ColumnBlob(5));
      if (!channel_pts.ok()) {
        return absl::DataLossError(absl::StrCat("update state: ", channel_pts.status().message()));
      }
      state.channel_pts = *std::move(channel_pts);
    }
  }
  TGRPC_ASSIGN_OR_RETURN(info.oldest, Oldest(account, info.head));
  return info;
}

absl::StatusOr<int64_t> SqliteUpdateLog::Append(const AccountKey& account,
                                                const std::vector<UpdateLogEntry>& entries,
                                                const UpdateStateRecord& state) {
  TGRPC_ASSIGN_OR_RETURN(int64_t head, Head(account));
  for (const UpdateLogEntry& entry : entries) {
    TGRPC_ASSIGN_OR_RETURN(const std::string users, EncodeByteStrings(entry.users));
    TGRPC_ASSIGN_OR_RETURN(const std::string chats, EncodeByteStrings(entry.chats));
    ++head;
    TGRPC_RETURN_IF_ERROR(put_entry_.Start()
                              .BindText(1, account.tenant)
                              .BindText(2, account.id)
                              .Bind(3, head)
                              .Bind(4, entry.date)
                              .Bind(5, entry.channel_id)
                              .BindBlob(6, entry.update)
                              .BindBlob(7, users)
                              .BindBlob(8, chats)
                              .Bind(9, entry.gap_from)
                              .Bind(10, entry.gap_to)
                              .Bind(11, entry.logged_at_unix)
                              .Run());
  }
  TGRPC_RETURN_IF_ERROR(put_state_.Start()
                            .BindText(1, account.tenant)
                            .BindText(2, account.id)
                            .Bind(3, head)
                            .Bind(4, state.pts)
                            .Bind(5, state.qts)
                            .Bind(6, state.seq)
                            .Bind(7, state.date)
                            .BindBlob(8, EncodeChannelPts(state.channel_pts))
                            .Run());
  return head;
}

absl::StatusOr<std::vector<UpdateLogEntry>> SqliteUpdateLog::Read(const AccountKey& account,
                                                                  int64_t after, size_t limit) {
  std::vector<UpdateLogEntry> entries;
  if (limit == 0) return entries;
  SqliteQuery query = read_entries_.Start();
  query.BindText(1, account.tenant)
      .BindText(2, account.id)
      .Bind(3, after)
      .Bind(4, static_cast<int64_t>(std::min<size_t>(limit, std::numeric_limits<int64_t>::max())));
  while (true) {
    TGRPC_ASSIGN_OR_RETURN(bool row, query.Step());
    if (!row) return entries;
    TGRPC_ASSIGN_OR_RETURN(UpdateLogEntry entry, ReadEntry(query));
    entries.push_back(std::move(entry));
  }
}

absl::StatusOr<int64_t> SqliteUpdateLog::Trim(const AccountKey& account, int64_t keep_from_position,
                                              int64_t keep_logged_after_unix) {
  TGRPC_ASSIGN_OR_RETURN(const int64_t head, Head(account));
  // Everything from keep_from_position on that is too old goes too, up to the first entry that
  // is young enough: the log stays whole.
  int64_t cut = std::max(keep_from_position, head + 1);
  {
    SqliteQuery query = first_kept_by_age_.Start();
    TGRPC_ASSIGN_OR_RETURN(bool row, query.BindText(1, account.tenant)
                                         .BindText(2, account.id)
                                         .Bind(3, keep_from_position)
                                         .Bind(4, keep_logged_after_unix)
                                         .Step());
    if (row) cut = query.ColumnInt(0);
  }
  TGRPC_RETURN_IF_ERROR(
      trim_below_.Start().BindText(1, account.tenant).BindText(2, account.id).Bind(3, cut).Run());
  return Oldest(account, head);
}

absl::StatusOr<ConsumerRecord> SqliteUpdateLog::Advance(const AccountKey& account,
                                                        const ConsumerRecord& record) {
  TGRPC_RETURN_IF_ERROR(put_consumer_.Start()
                            .BindText(1, account.tenant)
                            .BindText(2, account.id)
                            .BindText(3, record.consumer)
                            .Bind(4, record.position)
                            .Bind(5, record.update_time_unix)
                            .Run());
  SqliteQuery query = get_consumer_.Start();
  TGRPC_ASSIGN_OR_RETURN(bool row, query.BindText(1, account.tenant)
                                       .BindText(2, account.id)
                                       .BindText(3, record.consumer)
                                       .Step());
  if (!row) return absl::InternalError("the consumer just stored is not there");
  return ConsumerRecord{record.consumer, query.ColumnInt(0), query.ColumnInt(1)};
}

absl::StatusOr<std::vector<ConsumerRecord>> SqliteUpdateLog::Consumers(const AccountKey& account) {
  SqliteQuery query = list_consumers_.Start();
  query.BindText(1, account.tenant).BindText(2, account.id);
  std::vector<ConsumerRecord> consumers;
  while (true) {
    TGRPC_ASSIGN_OR_RETURN(bool row, query.Step());
    if (!row) return consumers;
    consumers.push_back({query.ColumnText(0), query.ColumnInt(1), query.ColumnInt(2)});
  }
}

absl::Status SqliteUpdateLog::DeleteAll(const AccountKey& account) {
  for (SqliteStatement* statement : {&delete_entries_, &delete_state_, &delete_consumers_}) {
    TGRPC_RETURN_IF_ERROR(
        statement->Start().BindText(1, account.tenant).BindText(2, account.id).Run());
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> SqliteUpdateLog::Head(const AccountKey& account) {
  SqliteQuery query = get_head_.Start();
  TGRPC_ASSIGN_OR_RETURN(bool row,
                         query.BindText(1, account.tenant).BindText(2, account.id).Step());
  return row ? query.ColumnInt(0) : 0;
}

absl::StatusOr<int64_t> SqliteUpdateLog::Oldest(const AccountKey& account, int64_t head) {
  SqliteQuery query = oldest_.Start();
  TGRPC_ASSIGN_OR_RETURN(bool row,
                         query.BindText(1, account.tenant).BindText(2, account.id).Step());
  if (!row) return head + 1;
  return query.ColumnInt(0);
}

}  // namespace tgrpc::service
