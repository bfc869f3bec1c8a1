-- 007: the legacy v1 lines mid-migration (contract/legacy): the old system's store,
-- the v2 side of each line, the identity map, nightly reconciliation.
--
-- The old system's store lives in its own schema, `legacy`, shaped like the old
-- one: it holds legacy user ids (e-mail addresses, phone numbers, household ids)
-- because the old system did. PRIV-1 scans the platform's schema (public) only;
-- in public, legacy identifiers appear only in identity_* tables.
--
-- Each line's dialect (contract/legacy/dialects.ts) is seeded by the API at
-- startup (reference-api/src/legacy/lines.ts): revision 0 into
-- legacy.dialect_revisions and one legacy_lines row, so a line added to the
-- contract needs no migration.

CREATE SCHEMA legacy;

-- The old system's accounts: a per-user secret it issued, kept hashed (SHA-256).
CREATE TABLE legacy.users (
  line         text NOT NULL,
  user_id      text NOT NULL CHECK (length(user_id) BETWEEN 1 AND 254),
  secret_hash  bytea NOT NULL CHECK (length(secret_hash) = 32),
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (line, user_id)
);

-- A serial belongs to the first user of the line who uploaded a record for it.
CREATE TABLE legacy.devices (
  line           text NOT NULL,
  device_serial  text NOT NULL,
  user_id        text NOT NULL,
  bound_at       timestamptz NOT NULL,
  PRIMARY KEY (line, device_serial)
);

-- What the old API reads a request of each app build under: revision 0 as specified, then every deployed customization.
CREATE TABLE legacy.dialect_revisions (
  line         text NOT NULL,
  revision     int NOT NULL CHECK (revision >= 0),
  spec         jsonb NOT NULL,
  deployed_at  timestamptz NOT NULL,
  PRIMARY KEY (line, revision)
);

-- One row per accepted record: the raw record as received, and what the old system read out of it
-- under the revision deployed for its build.
CREATE TABLE legacy.sessions (
  row_key        text PRIMARY KEY CHECK (row_key ~ '^[0-9a-f]{32}$'),
  line           text NOT NULL,
  user_id        text NOT NULL,
  record_id      text NOT NULL,
  device_serial  text NOT NULL,
  app_build      int NOT NULL,
  revision       int NOT NULL,
  raw            jsonb NOT NULL,
  started_at     bigint,
  duration_s     bigint,
  coverage       int,
  mode           text,
  extras         jsonb NOT NULL DEFAULT '{}'::jsonb,
  received_at    timestamptz NOT NULL,
  -- Reconciliation (reference-api/src/legacy/reconcile.ts): the row's range of row keys (first byte / 4, 64
  -- ranges) and a 60-bit hash of its canonical fields, kept with the row so that a night sums them per range
  -- from an index instead of hashing every row again.
  bucket         smallint GENERATED ALWAYS AS ((('x' || substr(row_key, 1, 2))::bit(8)::int >> 2)) STORED,
  row_hash       bigint GENERATED ALWAYS AS (('x' || substr(md5(row_key || '|' || coalesce(started_at::text, '~') || '|' || coalesce(duration_s::text, '~') || '|' || coalesce(coverage::text, '~') || '|' || coalesce(mode, '~') || '|' || jsonb_strip_nulls(extras)::text), 1, 15))::bit(60)::bigint) STORED
);
CREATE INDEX legacy_sessions_line_key ON legacy.sessions (line, row_key);
CREATE INDEX legacy_sessions_buckets ON legacy.sessions (line, bucket) INCLUDE (row_hash);
CREATE INDEX legacy_sessions_user ON legacy.sessions (line, user_id, started_at);

-- Rows committed to the legacy store whose v2 write has not happened yet (dual-write): committed with the
-- legacy row, deleted with the v2 write. The repair job drains it.
CREATE TABLE legacy.outbox (
  row_key      text PRIMARY KEY REFERENCES legacy.sessions (row_key),
  line         text NOT NULL,
  enqueued_at  timestamptz NOT NULL
);
CREATE INDEX legacy_outbox_line ON legacy.outbox (line, enqueued_at);

-- ---------------------------------------------------------------- the v2 side (public)

CREATE TABLE legacy_lines (
  line                   text PRIMARY KEY,
  state                  text NOT NULL DEFAULT 'legacy-only' CHECK (state IN ('legacy-only', 'dual-write', 'reads-cut-over', 'v2-only')),
  required_clean_nights  int NOT NULL DEFAULT 30 CHECK (required_clean_nights BETWEEN 1 AND 365),
  clean_nights           int NOT NULL DEFAULT 0 CHECK (clean_nights >= 0),
  last_reconciled_night  date,
  dual_write_at          timestamptz,
  cut_over_at            timestamptz,
  retired_at             timestamptz,
  -- The v1→v2 mapping: the dialect's revisions 0…k as the migration team knows them (DialectRevision[]).
  mapping                jsonb,
  mapping_revision       int,
  mapping_changes        int NOT NULL DEFAULT 0
);

-- Traffic of each line's v1 routes. Bookkeeping, like tokens: every request changes it, so it is kept
-- out of the testbed state digest (a refused request changes nothing else).
CREATE TABLE legacy_line_traffic (
  line                 text PRIMARY KEY REFERENCES legacy_lines (line),
  requests             bigint NOT NULL DEFAULT 0,
  refused              bigint NOT NULL DEFAULT 0,
  deprecated_requests  bigint NOT NULL DEFAULT 0
);

-- The identity tier: each legacy user (identity_key = contract legacyIdentityKey) maps to one v2 account.
-- The account is inserted after its map row in the same transaction, hence the deferred key.
CREATE TABLE identity_legacy_users (
  identity_key  text PRIMARY KEY,
  account_id    uuid NOT NULL UNIQUE REFERENCES accounts (account_id) DEFERRABLE INITIALLY DEFERRED,
  created_at    timestamptz NOT NULL
);

-- Every mapping decision: which account a line's user was given, created for it or an existing one
-- (an e-mail address already mapped from another line). One row per identity and line; append-only.
CREATE TABLE identity_legacy_map_log (
  log_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  identity_key  text NOT NULL,
  line          text NOT NULL,
  account_id    uuid NOT NULL,
  decision      text NOT NULL CHECK (decision IN ('created', 'linked')),
  decided_at    timestamptz NOT NULL,
  UNIQUE (identity_key, line)
);
CREATE TRIGGER identity_legacy_map_log_append_only_row BEFORE UPDATE OR DELETE ON identity_legacy_map_log
  FOR EACH ROW EXECUTE FUNCTION fleetbed_refuse_mutation();
CREATE TRIGGER identity_legacy_map_log_append_only_truncate BEFORE TRUNCATE ON identity_legacy_map_log
  FOR EACH STATEMENT EXECUTE FUNCTION fleetbed_refuse_mutation();

-- v2 rows of legacy records. Never device-signed (they predate device keys): they never go into the signed
-- `sessions` table, and their provenance says so. Raw fields the mapping has no place for are kept in `unmapped`.
CREATE TABLE legacy_sessions (
  row_key           text PRIMARY KEY CHECK (row_key ~ '^[0-9a-f]{32}$'),
  line              text NOT NULL REFERENCES legacy_lines (line),
  account_id        uuid NOT NULL REFERENCES accounts (account_id),
  record_id         text NOT NULL,
  device_serial     text NOT NULL,
  app_build         int NOT NULL,
  mapping_revision  int NOT NULL,
  started_at        bigint,
  duration_s        bigint,
  coverage          int,
  mode              text,
  extras            jsonb NOT NULL DEFAULT '{}'::jsonb,
  unmapped          jsonb NOT NULL DEFAULT '{}'::jsonb,
  provenance        text NOT NULL DEFAULT 'legacy-unsigned' CHECK (provenance = 'legacy-unsigned'),
  written_at        timestamptz NOT NULL,
  -- As in legacy.sessions; a non-empty `unmapped` changes the hash: such a row is never clean.
  bucket            smallint GENERATED ALWAYS AS ((('x' || substr(row_key, 1, 2))::bit(8)::int >> 2)) STORED,
  row_hash          bigint GENERATED ALWAYS AS (('x' || substr(md5(row_key || '|' || coalesce(started_at::text, '~') || '|' || coalesce(duration_s::text, '~') || '|' || coalesce(coverage::text, '~') || '|' || coalesce(mode, '~') || '|' || jsonb_strip_nulls(extras)::text || CASE WHEN unmapped = '{}'::jsonb THEN '' ELSE '|u' || unmapped::text END), 1, 15))::bit(60)::bigint) STORED
);
CREATE INDEX legacy_sessions_line_row ON legacy_sessions (line, row_key);
CREATE INDEX legacy_sessions_buckets ON legacy_sessions (line, bucket) INCLUDE (row_hash);
CREATE INDEX legacy_sessions_account ON legacy_sessions (line, account_id, started_at);

-- One report per line per night (UTC date of the platform clock); a re-run of the night replaces it.
CREATE TABLE legacy_reconciliations (
  line               text NOT NULL REFERENCES legacy_lines (line),
  night              date NOT NULL,
  ran_at             timestamptz NOT NULL,
  rows_compared      int NOT NULL,
  buckets            int NOT NULL,
  buckets_differing  int NOT NULL,
  missing_in_v2      int NOT NULL,
  missing_in_legacy  int NOT NULL,
  field_differs      int NOT NULL,
  unmapped_field     int NOT NULL,
  clean              boolean NOT NULL,
  clean_nights       int NOT NULL,
  PRIMARY KEY (line, night)
);

CREATE TABLE legacy_divergences (
  line     text NOT NULL,
  night    date NOT NULL,
  seq      int NOT NULL,
  row_key  text NOT NULL,
  kind     text NOT NULL CHECK (kind IN ('missing-in-v2', 'missing-in-legacy', 'field-differs', 'unmapped-field')),
  field    text,
  PRIMARY KEY (line, night, seq),
  FOREIGN KEY (line, night) REFERENCES legacy_reconciliations (line, night) ON DELETE CASCADE
);

-- Test mode only (PUT /testbed/legacy/faults): one row; faults default to none.
CREATE TABLE legacy_testbed_faults (
  singleton                  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  v2_write_failure_per_mille int NOT NULL DEFAULT 0 CHECK (v2_write_failure_per_mille BETWEEN 0 AND 1000)
);
INSERT INTO legacy_testbed_faults DEFAULT VALUES;
