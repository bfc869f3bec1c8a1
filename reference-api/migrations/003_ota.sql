-- 003: over-the-air updates — firmware releases signed by a release key, staged
-- rollouts with cohorts and gates, device-signed OTA reports, and the per-device
-- OTA state the fleet-health monitor reads (one row per device that was ever
-- seen: sessions, offers or reports).
--
-- The health gate is one set-based query per rollout over ota_devices (a single
-- scan of the product line's rows, no join, no per-device probe): that is what
-- keeps it under a second at a million devices. Its heartbeat columns
-- (first/last session) are kept by a statement-level trigger on sessions, so
-- the gate never aggregates the sessions table itself.

-- 'major.minor.patch' → major * 2^24 + minor * 2^16 + patch (contract/firmware-version.ts).
CREATE FUNCTION ota_pack_version(v text) RETURNS bigint LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT split_part(v, '.', 1)::bigint * 16777216 + split_part(v, '.', 2)::bigint * 65536 + split_part(v, '.', 3)::bigint
$$;

CREATE FUNCTION ota_unpack_version(p bigint) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT (p >> 24)::text || '.' || ((p >> 16) & 255)::text || '.' || (p & 65535)::text
$$;

-- A release is a signed fact: never updated, never deleted.
CREATE TABLE ota_releases (
  release_id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  product_line           text NOT NULL CHECK (product_line IN ('adult-brush', 'kids-brush', 'interdental')),
  version                text NOT NULL,
  version_packed         bigint NOT NULL CHECK (version_packed >= 0 AND version_packed < 4294967296),
  size_bytes             bigint NOT NULL CHECK (size_bytes > 0 AND size_bytes < 4294967296),
  sha256                 bytea NOT NULL CHECK (length(sha256) = 32),
  anti_rollback_counter  bigint NOT NULL CHECK (anti_rollback_counter >= 0 AND anti_rollback_counter < 4294967296),
  manifest               bytea NOT NULL CHECK (length(manifest) = 48),
  signature              bytea NOT NULL CHECK (length(signature) = 64),
  signed_by              bytea NOT NULL CHECK (length(signed_by) = 32),
  created_at             timestamptz NOT NULL,
  UNIQUE (product_line, version_packed)
);
CREATE TRIGGER ota_releases_append_only_row BEFORE UPDATE OR DELETE ON ota_releases
  FOR EACH ROW EXECUTE FUNCTION fleetbed_refuse_mutation();
CREATE TRIGGER ota_releases_append_only_truncate BEFORE TRUNCATE ON ota_releases
  FOR EACH STATEMENT EXECUTE FUNCTION fleetbed_refuse_mutation();

CREATE TABLE ota_rollouts (
  rollout_id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Creation order (the virtual clock may not move between two creations): a line's current rollout is its latest.
  created_seq       bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  release_id        uuid NOT NULL REFERENCES ota_releases (release_id),
  product_line      text NOT NULL,
  policy            text NOT NULL CHECK (policy IN ('health-gate', 'transfer-success')),
  -- [{ "percent": p, "maxDevices": n|null, "soakSeconds": s }], validated by the API.
  stages            jsonb NOT NULL,
  gate              jsonb NOT NULL,
  state             text NOT NULL CHECK (state IN ('active', 'halted', 'completed', 'cancelled')),
  stage_index       integer NOT NULL CHECK (stage_index >= 0),
  -- [{ "startedAt": ms, "passedAt": ms|null }], one per stage reached.
  stage_log         jsonb NOT NULL,
  -- Devices offered so far; the row lock on this counter serialises capped stages.
  member_count      bigint NOT NULL DEFAULT 0,
  halt              jsonb,
  last_evaluation   jsonb,
  -- The last baseline reporting share measured with a full sample (see contract/ota-rollout.ts).
  baseline_share    double precision,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL
);
-- One open (active or halted) rollout per product line: an offer is never ambiguous.
CREATE UNIQUE INDEX ota_rollouts_one_open_per_line ON ota_rollouts (product_line) WHERE state IN ('active', 'halted');
CREATE INDEX ota_rollouts_line_latest ON ota_rollouts (product_line, created_seq DESC);

-- Cohort membership: a device joins a rollout when it is first offered it, in the stage current then.
CREATE TABLE ota_rollout_devices (
  rollout_id   uuid NOT NULL REFERENCES ota_rollouts (rollout_id),
  device_id    bigint NOT NULL REFERENCES devices (device_id),
  bucket       integer NOT NULL CHECK (bucket >= 0 AND bucket < 10000),
  stage_index  integer NOT NULL,
  offered_at   timestamptz NOT NULL,
  PRIMARY KEY (rollout_id, device_id)
);
CREATE TRIGGER ota_rollout_devices_append_only_row BEFORE UPDATE OR DELETE ON ota_rollout_devices
  FOR EACH ROW EXECUTE FUNCTION fleetbed_refuse_mutation();

-- Every OTA report a device signed, as received: append-only, (device, seq) stored once.
CREATE TABLE ota_reports (
  device_id        bigint NOT NULL REFERENCES devices (device_id),
  seq              bigint NOT NULL CHECK (seq > 0),
  rollout_id       uuid NOT NULL REFERENCES ota_rollouts (rollout_id),
  account_id       uuid NOT NULL REFERENCES accounts (account_id),
  state            text NOT NULL,
  target_version   bigint NOT NULL,
  running_version  bigint NOT NULL,
  boot_count       integer NOT NULL,
  device_time      timestamptz NOT NULL,
  detail           text NOT NULL,
  report           bytea NOT NULL CHECK (length(report) = 46),
  signature        bytea NOT NULL CHECK (length(signature) = 64),
  received_at      timestamptz NOT NULL,
  PRIMARY KEY (device_id, seq)
);
CREATE INDEX ota_reports_rollout ON ota_reports (rollout_id);
CREATE TRIGGER ota_reports_append_only_row BEFORE UPDATE OR DELETE ON ota_reports
  FOR EACH ROW EXECUTE FUNCTION fleetbed_refuse_mutation();
CREATE TRIGGER ota_reports_append_only_truncate BEFORE TRUNCATE ON ota_reports
  FOR EACH STATEMENT EXECUTE FUNCTION fleetbed_refuse_mutation();

-- A device's OTA state as its latest signed report left it, and its heartbeat.
-- running_version and anti_rollback_counter change only through signed reports.
CREATE TABLE ota_devices (
  device_id              bigint PRIMARY KEY REFERENCES devices (device_id),
  product_line           text NOT NULL,
  running_version        bigint NOT NULL,
  anti_rollback_counter  bigint NOT NULL DEFAULT 0,
  -- Heartbeat: device time of the first and the latest session stored (capped at its receipt).
  first_session_at       timestamptz,
  last_session_at        timestamptz,
  -- The latest signed report (highest seq).
  report_seq             bigint NOT NULL DEFAULT 0,
  rollout_id             uuid,
  state                  text,
  boot_count             integer,
  reported_at            timestamptz,
  -- Device time of the `confirmed` report, while that is the latest state.
  confirmed_at           timestamptz
);
-- Status counts by state per rollout. The health gate scans by product line.
CREATE INDEX ota_devices_rollout_state ON ota_devices (rollout_id, state) WHERE rollout_id IS NOT NULL;

-- Heartbeat: one aggregated upsert per INSERT statement on sessions (transition
-- table), in device order, so concurrent uploads cannot deadlock on it.
CREATE FUNCTION ota_note_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ota_devices AS o (device_id, product_line, running_version, first_session_at, last_session_at)
  SELECT n.device_id, d.product_line, ota_pack_version(d.firmware_version), n.first_at, n.last_at
    FROM (SELECT device_id, min(least(started_at, received_at)) AS first_at, max(least(started_at, received_at)) AS last_at
            FROM ota_new_sessions GROUP BY device_id) n
    JOIN devices d USING (device_id)
   ORDER BY n.device_id
  ON CONFLICT (device_id) DO UPDATE
     SET first_session_at = least(o.first_session_at, EXCLUDED.first_session_at),
         last_session_at = greatest(o.last_session_at, EXCLUDED.last_session_at)
   WHERE o.first_session_at IS NULL OR o.last_session_at IS NULL
      OR EXCLUDED.first_session_at < o.first_session_at OR EXCLUDED.last_session_at > o.last_session_at;
  RETURN NULL;
END;
$$;
CREATE TRIGGER sessions_ota_heartbeat AFTER INSERT ON sessions
  REFERENCING NEW TABLE AS ota_new_sessions
  FOR EACH STATEMENT EXECUTE FUNCTION ota_note_sessions();
