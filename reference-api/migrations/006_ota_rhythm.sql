-- 006: each device's rhythm, for the OTA health gate's silence test
-- (reference-api/src/ota/health.ts, contract/ota-rollout.ts RolloutGate).
--
-- The heartbeat said when a device was first and last heard from; the gate also
-- needs how often. A session's seq is the device's own counter, so the first and
-- latest stored seq, with the device times of the first and latest session,
-- give the sessions it recorded over that span: its rhythm, without a window
-- and without a per-session row. The fold (reference-api/src/ota/heartbeat.ts)
-- reads both ends by primary key (sessions (device_id, seq)): two index probes
-- per folded device, nothing added to the upload statement.
ALTER TABLE ota_devices ADD COLUMN first_seq bigint, ADD COLUMN last_seq bigint;
UPDATE ota_devices o
   SET first_seq = (SELECT s.seq FROM sessions s WHERE s.device_id = o.device_id ORDER BY s.seq LIMIT 1),
       last_seq = (SELECT s.seq FROM sessions s WHERE s.device_id = o.device_id ORDER BY s.seq DESC LIMIT 1)
 WHERE o.first_session_at IS NOT NULL;
