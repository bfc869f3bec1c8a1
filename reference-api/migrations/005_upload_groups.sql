-- 005: uploads are stored in groups (one statement for concurrent uploads, see
-- reference-api/src/ingestion/store.ts), and that statement sheds two per-row
-- costs.
--
-- * The OTA heartbeat is queued by the upload statement and folded into
--   ota_devices by its readers (reference-api/src/ota/heartbeat.ts): an insert
--   into a table without indexes instead of an update of a hot per-device row,
--   which cost ~25 µs of PostgreSQL CPU per record under load (bench:ingest).
--   ota_devices leaves room on each page (fillfactor 70), so that a fold's
--   updates are HOT updates that touch no index.
-- * idempotency_keys.account_id no longer has a foreign key. A key row is a
--   response cache written by the upload statement, with the account of the
--   token that authenticated the upload; nothing deletes accounts. Its row-level
--   RI trigger was about 40 µs per upload (EXPLAIN ANALYZE, 16-upload groups).
CREATE TABLE ota_heartbeat_queue (
  device_id  bigint NOT NULL,
  first_at   timestamptz NOT NULL,
  last_at    timestamptz NOT NULL
);
ALTER TABLE ota_devices SET (fillfactor = 70);
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_account_id_fkey;
