#include "service/storage/sqlite_schema.h"

#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace tgrpc::service {
namespace {

// Step i takes a database from version i to version i + 1.
constexpr const char* kSteps[] = {
    // 1: accounts, their auth keys and their peer cache. Secrets are stored only sealed by
    // KeyCipher, bound to their row by associated data: "bottoken:<account id>" and
    // "authkey:<account id>:<dc id>". Keys and peers go with their account.
    R"sql(
CREATE TABLE accounts (
  id TEXT NOT NULL PRIMARY KEY,
  tenant TEXT NOT NULL,
  phone TEXT NOT NULL,
  bot_token_sealed BLOB,  -- NULL when the account has no bot token
  bot INTEGER NOT NULL,
  max_sessions INTEGER NOT NULL,
  state INTEGER NOT NULL,
  home_dc INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  user_tl BLOB NOT NULL,
  display_name TEXT NOT NULL,
  create_time_unix INTEGER NOT NULL,
  create_request_id TEXT NOT NULL
);
CREATE TABLE auth_keys (
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  dc_id INTEGER NOT NULL,
  key_sealed BLOB NOT NULL,
  salt INTEGER NOT NULL,  -- the uint64 salt's bits as a signed integer
  time_offset_ms INTEGER NOT NULL,
  PRIMARY KEY (account_id, dc_id)
);
CREATE TABLE peers (
  account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  peer_id INTEGER NOT NULL,
  type INTEGER NOT NULL,
  access_hash INTEGER NOT NULL,
  username TEXT NOT NULL,  -- lower-cased; '' for none
  phone TEXT NOT NULL,  -- '' for none
  PRIMARY KEY (account_id, peer_id)
);
-- A username or phone belongs to one peer of an account at a time.
CREATE UNIQUE INDEX peers_by_username ON peers (account_id, username) WHERE username <> '';
CREATE UNIQUE INDEX peers_by_phone ON peers (account_id, phone) WHERE phone <> '';
)sql",
    // 2: a value sealed under the database's key when it is first opened. A key file that was
    // lost and made anew (KeyCipher::LoadOrCreate creates one when it is missing) is then refused
    // at open, instead of every secret failing one call at a time.
    R"sql(
CREATE TABLE key_check (
  id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  sealed BLOB NOT NULL
);
)sql",
    // 3: account ids are per tenant: an account is (tenant, id), and its keys and peers name the
    // tenant too. Every row is kept, with the tenant its account has. SQLite changes no primary
    // key in place, so the tables are made anew, as a database made at this version has them.
    // Sealed secrets are now bound to "bottoken:<tenant length>:<tenant>:<account id>" and
    // "authkey:<tenant length>:<tenant>:<account id>:<dc id>"; the carried-over ones, bound to the
    // id alone, are marked legacy_aad until opening seals them again (a step has no key).
    R"sql(
CREATE TEMP TABLE old_accounts AS SELECT * FROM accounts;
CREATE TEMP TABLE old_auth_keys AS
  SELECT a.tenant AS tenant, k.* FROM auth_keys k JOIN accounts a ON a.id = k.account_id;
CREATE TEMP TABLE old_peers AS
  SELECT a.tenant AS tenant, p.* FROM peers p JOIN accounts a ON a.id = p.account_id;
DROP TABLE peers;
DROP TABLE auth_keys;
DROP TABLE accounts;
CREATE TABLE accounts (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  phone TEXT NOT NULL,
  bot_token_sealed BLOB,  -- NULL when the account has no bot token
  bot INTEGER NOT NULL,
  max_sessions INTEGER NOT NULL,
  state INTEGER NOT NULL,
  home_dc INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  user_tl BLOB NOT NULL,
  display_name TEXT NOT NULL,
  create_time_unix INTEGER NOT NULL,
  create_request_id TEXT NOT NULL,
  legacy_aad INTEGER NOT NULL DEFAULT 0,  -- 1: bot_token_sealed is bound to the id alone
  PRIMARY KEY (tenant, id)
);
CREATE TABLE auth_keys (
  tenant TEXT NOT NULL,
  account_id TEXT NOT NULL,
  dc_id INTEGER NOT NULL,
  key_sealed BLOB NOT NULL,
  salt INTEGER NOT NULL,  -- the uint64 salt's bits as a signed integer
  time_offset_ms INTEGER NOT NULL,
  legacy_aad INTEGER NOT NULL DEFAULT 0,  -- 1: key_sealed is bound to the id alone
  PRIMARY KEY (tenant, account_id, dc_id),
  FOREIGN KEY (tenant, account_id) REFERENCES accounts (tenant, id) ON DELETE CASCADE
);
CREATE TABLE peers (
  tenant TEXT NOT NULL,
  account_id TEXT NOT NULL,
  peer_id INTEGER NOT NULL,
  type INTEGER NOT NULL,
  access_hash INTEGER NOT NULL,
  username TEXT NOT NULL,  -- lower-cased; '' for none
  phone TEXT NOT NULL,  -- '' for none
  PRIMARY KEY (tenant, account_id, peer_id),
  FOREIGN KEY (tenant, account_id) REFERENCES accounts (tenant, id) ON DELETE CASCADE
);
-- A username or phone belongs to one peer of an account at a time.
CREATE UNIQUE INDEX peers_by_username ON peers (tenant, account_id, username) WHERE username <> '';
CREATE UNIQUE INDEX peers_by_phone ON peers (tenant, account_id, phone) WHERE phone <> '';
INSERT INTO accounts (tenant, id, phone, bot_token_sealed, bot, max_sessions, state, home_dc,
                      user_id, user_tl, display_name, create_time_unix, create_request_id,
                      legacy_aad)
  SELECT tenant, id, phone, bot_token_sealed, bot, max_sessions, state, home_dc, user_id, user_tl,
         display_name, create_time_unix, create_request_id, 1
  FROM temp.old_accounts;
INSERT INTO auth_keys (tenant, account_id, dc_id, key_sealed, salt, time_offset_ms, legacy_aad)
  SELECT tenant, account_id, dc_id, key_sealed, salt, time_offset_ms, 1 FROM temp.old_auth_keys;
INSERT INTO peers (tenant, account_id, peer_id, type, access_hash, username, phone)
  SELECT tenant, account_id, peer_id, type, access_hash, username, phone FROM temp.old_peers;
DROP TABLE temp.old_peers;
DROP TABLE temp.old_auth_keys;
DROP TABLE temp.old_accounts;
)sql",
    // 4: an auth key's future salts (get_future_salts), so that a restarted tgrpcd need not ask
    // for them at once: 24 bytes per salt (future_salts_blob.h). Keys already there have none.
    R"sql(
ALTER TABLE auth_keys ADD COLUMN future_salts BLOB NOT NULL DEFAULT x'';
)sql",
    // 5: each account's update log. update_state holds the account's pts/qts/seq/date (channel
    // pts as 12 bytes per channel, update_log_blob.h) and the log's head, the newest position ever
    // appended, which stays when entries are trimmed; a row exists once a state was stored.
    // update_log holds the retained entries, positions [oldest, head] with none missing, keyed so
    // that reading after a position and trimming below one are range scans; users and chats are
    // length-prefixed lists (update_log_blob.h). update_consumers holds named readers' committed
    // positions. All go with their account.
    R"sql(
CREATE TABLE update_state (
  tenant TEXT NOT NULL,
  account_id TEXT NOT NULL,
  head INTEGER NOT NULL,
  pts INTEGER NOT NULL,
  qts INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  date INTEGER NOT NULL,
  channel_pts BLOB NOT NULL,
  PRIMARY KEY (tenant, account_id),
  FOREIGN KEY (tenant, account_id) REFERENCES accounts (tenant, id) ON DELETE CASCADE
);
CREATE TABLE update_log (
  tenant TEXT NOT NULL,
  account_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  date INTEGER NOT NULL,
  channel_id INTEGER NOT NULL,
  update_tl BLOB NOT NULL,  -- empty for a gap marker
  users BLOB NOT NULL,
  chats BLOB NOT NULL,
  gap_from INTEGER NOT NULL,
  gap_to INTEGER NOT NULL,
  logged_at_unix INTEGER NOT NULL,
  PRIMARY KEY (tenant, account_id, position),
  FOREIGN KEY (tenant, account_id) REFERENCES accounts (tenant, id) ON DELETE CASCADE
);
CREATE TABLE update_consumers (
  tenant TEXT NOT NULL,
  account_id TEXT NOT NULL,
  consumer TEXT NOT NULL,
  position INTEGER NOT NULL,
  update_time_unix INTEGER NOT NULL,
  PRIMARY KEY (tenant, account_id, consumer),
  FOREIGN KEY (tenant, account_id) REFERENCES accounts (tenant, id) ON DELETE CASCADE
);
)sql",
};
static_assert(std::size(kSteps) == kSqliteSchemaVersion,
              "kSqliteSchemaVersion must be the number of steps");

absl::StatusOr<int> UserVersion(SqliteConnection& db) {
  TGRPC_ASSIGN_OR_RETURN(SqliteStatement statement, db.Prepare("PRAGMA user_version"));
  SqliteQuery query = statement.Start();
  TGRPC_ASSIGN_OR_RETURN(bool row, query.Step());
  if (!row) return absl::InternalError("PRAGMA user_version returned no row");
  return static_cast<int>(query.ColumnInt(0));
}

}  // namespace

absl::Status MigrateSqliteSchema(SqliteConnection& db) {
  while (true) {
    // The version is read inside the transaction that applies the next step, so no other
    // writer can apply it in between.
    TGRPC_ASSIGN_OR_RETURN(SqliteTransaction transaction, SqliteTransaction::Begin(db));
    TGRPC_ASSIGN_OR_RETURN(const int version, UserVersion(db));
    if (version > kSqliteSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "the database has schema version %d, newer than the %d this tgrpcd knows: a newer "
          "tgrpcd wrote it; run that or a later one",
          version, kSqliteSchemaVersion));
    }
    if (version < 0) {
      return absl::DataLossError(absl::StrFormat("the database has schema version %d", version));
    }
    if (version == kSqliteSchemaVersion) return transaction.Commit();
    absl::Status applied = db.Exec(kSteps[version]);
    if (!applied.ok()) {
      return absl::Status(applied.code(),
                          absl::StrFormat("schema step %d: %s", version + 1, applied.message()));
    }
    // PRAGMA takes no parameters; the number is this file's constant, not outside input.
    const std::string set_version = absl::StrCat("PRAGMA user_version = ", version + 1);
    TGRPC_RETURN_IF_ERROR(db.Exec(set_version.c_str()));
    TGRPC_RETURN_IF_ERROR(transaction.Commit());
  }
}

}  // namespace tgrpc::service
