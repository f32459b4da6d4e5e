#include "service/storage/postgres_schema.h"

#include <iterator>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace tgrpc::service {
namespace {

// Step i takes a database from version i to version i + 1.
constexpr const char* kSteps[] = {
    // 1: the tables of SQLite's version 5, as PostgreSQL types. Names and identifiers are text
    // COLLATE "C": compared and ordered by their bytes, as SQLite's BINARY does, whatever the
    // database's locale (in en-US, "Reader" would sort after "reader"). Secrets are stored only
    // sealed by KeyCipher, with the same associated data as in SQLite; salts are the uint64's bits
    // as a signed bigint. Future salts, an entry's users and chats, and the channel pts are the
    // SQLite backend's blobs (future_salts_blob.h, update_log_blob.h), so both read the same
    // bytes the same way. update_state's head is the newest position ever appended (it stays when
    // entries are trimmed); a row exists once a state was stored. Everything goes with its
    // account (the foreign keys cascade).
    R"sql(
CREATE TABLE accounts (
  tenant TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  phone TEXT NOT NULL,
  bot_token_sealed BYTEA,  -- NULL when the account has no bot token
  bot BOOLEAN NOT NULL,
  max_sessions INTEGER NOT NULL,
  state INTEGER NOT NULL,
  home_dc INTEGER NOT NULL,
  user_id BIGINT NOT NULL,
  user_tl BYTEA NOT NULL,
  display_name TEXT NOT NULL,
  create_time_unix BIGINT NOT NULL,
  create_request_id TEXT NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE TABLE auth_keys (
  tenant TEXT COLLATE "C" NOT NULL,
  account_id TEXT COLLATE "C" NOT NULL,
  dc_id INTEGER NOT NULL,
  key_sealed BYTEA NOT NULL,
  salt BIGINT NOT NULL,
  time_offset_ms BIGINT NOT NULL,
  future_salts BYTEA NOT NULL,
  PRIMARY KEY (tenant, account_id, dc_id),
  FOREIGN KEY (tenant, account_id) REFERENCES accounts (tenant, id) ON DELETE CASCADE
);
CREATE TABLE peers (
  tenant TEXT COLLATE "C" NOT NULL,
  account_id TEXT COLLATE "C" NOT NULL,
  peer_id BIGINT NOT NULL,
  type INTEGER NOT NULL,
  access_hash BIGINT NOT NULL,
  username TEXT COLLATE "C" NOT NULL,  -- lower-cased; '' for none
  phone TEXT COLLATE "C" NOT NULL,  -- '' for none
  PRIMARY KEY (tenant, account_id, peer_id),
  FOREIGN KEY (tenant, account_id) REFERENCES accounts (tenant, id) ON DELETE CASCADE
);
-- A username or phone belongs to one peer of an account at a time.
CREATE UNIQUE INDEX peers_by_username ON peers (tenant, account_id, username) WHERE username <> '';
CREATE UNIQUE INDEX peers_by_phone ON peers (tenant, account_id, phone) WHERE phone <> '';
-- A value sealed under the database's key when it is first opened: a key file that was lost and
-- made anew is refused at open, instead of every secret failing one call at a time.
CREATE TABLE key_check (
  id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  sealed BYTEA NOT NULL
);
CREATE TABLE update_state (
  tenant TEXT COLLATE "C" NOT NULL,
  account_id TEXT COLLATE "C" NOT NULL,
  head BIGINT NOT NULL,
  pts INTEGER NOT NULL,
  qts INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  date INTEGER NOT NULL,
  channel_pts BYTEA NOT NULL,
  PRIMARY KEY (tenant, account_id),
  FOREIGN KEY (tenant, account_id) REFERENCES accounts (tenant, id) ON DELETE CASCADE
);
-- The retained entries, positions [oldest, head] with none missing, keyed so that reading after a
-- position and trimming below one are range scans.
CREATE TABLE update_log (
  tenant TEXT COLLATE "C" NOT NULL,
  account_id TEXT COLLATE "C" NOT NULL,
  position BIGINT NOT NULL,
  date BIGINT NOT NULL,
  channel_id BIGINT NOT NULL,
  update_tl BYTEA NOT NULL,  -- empty for a gap marker
  users BYTEA NOT NULL,
  chats BYTEA NOT NULL,
  gap_from INTEGER NOT NULL,
  gap_to INTEGER NOT NULL,
  logged_at_unix BIGINT NOT NULL,
  PRIMARY KEY (tenant, account_id, position),
  FOREIGN KEY (tenant, account_id) REFERENCES accounts (tenant, id) ON DELETE CASCADE
);
CREATE TABLE update_consumers (
  tenant TEXT COLLATE "C" NOT NULL,
  account_id TEXT COLLATE "C" NOT NULL,
  consumer TEXT COLLATE "C" NOT NULL,
  position BIGINT NOT NULL,
  update_time_unix BIGINT NOT NULL,
  PRIMARY KEY (tenant, account_id, consumer),
  FOREIGN KEY (tenant, account_id) REFERENCES accounts (tenant, id) ON DELETE CASCADE
);
)sql",
    // 2: cluster mode (several active replicas, service/ownership). A replica's row says where
    // its peer port is and until when it counts as alive; an account's lease says which replica
    // serves it, until when, and at which fencing epoch (bumped by every takeover, and checked by
    // every write of the holder, so a replica that lost a lease cannot write even before it
    // notices). Leases are not foreign-keyed to accounts: a new account's lease is taken before
    // the account is stored. Expiry is the database's clock, the one all replicas share.
    R"sql(
CREATE TABLE replicas (
  holder TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  instance TEXT NOT NULL,
  address TEXT NOT NULL,
  draining BOOLEAN NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE account_leases (
  tenant TEXT COLLATE "C" NOT NULL,
  account_id TEXT COLLATE "C" NOT NULL,
  holder TEXT COLLATE "C" NOT NULL,
  epoch BIGINT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (tenant, account_id)
);
CREATE INDEX account_leases_by_holder ON account_leases (holder);
)sql",
};
static_assert(std::size(kSteps) == kPostgresSchemaVersion,
              "kPostgresSchemaVersion must be the number of steps");

// Serializes migrations of one database among replicas. Advisory locks are per database, and
// this key is tgrpc's alone (the bytes "tgrpcsch").
constexpr const char* kLockAndCreateVersionTable = R"sql(
SELECT pg_advisory_xact_lock(8387798658031248232);
CREATE TABLE IF NOT EXISTS tgrpc_schema (
  id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
);
)sql";

constexpr PgStatement kGetVersion = {"schema_get_version",
                                     "SELECT version FROM tgrpc_schema WHERE id = 1"};
constexpr PgStatement kSetVersion = {"schema_set_version",
                                     "INSERT INTO tgrpc_schema (id, version) VALUES (1, $1) "
                                     "ON CONFLICT (id) DO UPDATE SET version = excluded.version"};

}  // namespace

absl::Status MigratePostgresSchema(PgConnection& db) {
  while (true) {
    // The version is read under the lock, inside the transaction that applies the next step, so
    // no other replica can apply it in between.
    TGRPC_ASSIGN_OR_RETURN(PgTransaction transaction, PgTransaction::Begin(db));
    TGRPC_RETURN_IF_ERROR(db.Exec(kLockAndCreateVersionTable));
    TGRPC_ASSIGN_OR_RETURN(PgResult stored, db.Run(kGetVersion, PgParams()));
    const int64_t version = stored.rows() == 0 ? 0 : stored.Int(0, 0);
    if (version > kPostgresSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "the database has schema version %d, newer than the %d this tgrpcd knows: a newer "
          "tgrpcd wrote it; run that or a later one",
          version, kPostgresSchemaVersion));
    }
    if (version < 0) {
      return absl::DataLossError(absl::StrFormat("the database has schema version %d", version));
    }
    if (version == kPostgresSchemaVersion) return transaction.Commit();
    absl::Status applied = db.Exec(kSteps[version]);
    if (!applied.ok()) {
      return absl::Status(applied.code(),
                          absl::StrFormat("schema step %d: %s", version + 1, applied.message()));
    }
    TGRPC_RETURN_IF_ERROR(db.Run(kSetVersion, PgParams().Int(version + 1)).status());
    TGRPC_RETURN_IF_ERROR(transaction.Commit());
  }
}

}  // namespace tgrpc::service
