-- 005: uploads are stored in groups (one statement for concurrent uploads, see
-- reference-api/src/ingestion/store.ts). Two per-row costs of that statement go:
--
-- * idempotency_keys.account_id no longer has a foreign key. A key row is a
--   response cache written by the upload statement, with the account of the
--   token that authenticated the upload; nothing deletes accounts. Its row-level
--   RI trigger was about 40 µs per upload (EXPLAIN ANALYZE, 16-upload groups).
-- * ota_devices leaves room on each page (fillfactor 70), so that the
--   heartbeat, updated on every upload that stores a session of a device, is a
--   HOT update that touches no index.
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_account_id_fkey;
ALTER TABLE ota_devices SET (fillfactor = 70);
