-- 002: signed, phone-relayed ingestion — consumables, sessions, idempotency keys,
-- and the care-provider (identity-telemetry join) tier with its audit log.

-- Brush heads. The id format carries no type, maker or lot: head_type is
-- inferred from the side table of id ranges (contract/head-id.ts). An id in no
-- range is kept as an unresolved consumable (head_type NULL), never dropped.
CREATE TABLE consumables (
  head_id          bigint PRIMARY KEY CHECK (head_id >= 0 AND head_id < 281474976710656),
  head_type        text,
  resolved         boolean NOT NULL,
  first_device_id  bigint NOT NULL REFERENCES devices (device_id),
  first_seen_at    timestamptz NOT NULL
);

-- One brushing. (device_id, seq) identifies a record: it is stored exactly once.
-- The raw record and signature are kept so anyone can re-verify what is stored.
CREATE TABLE sessions (
  device_id         bigint NOT NULL REFERENCES devices (device_id),
  seq               bigint NOT NULL CHECK (seq > 0),
  account_id        uuid NOT NULL REFERENCES accounts (account_id),
  head_id           bigint NOT NULL REFERENCES consumables (head_id),
  started_at        timestamptz NOT NULL,   -- device clock
  duration_s        integer NOT NULL,
  zones             smallint NOT NULL,
  pressure_alerts   smallint NOT NULL,
  firmware_version  text NOT NULL,
  battery_pct       smallint NOT NULL,
  clock_reset       boolean NOT NULL,
  head_changed      boolean NOT NULL,
  record            bytea NOT NULL,
  signature         bytea NOT NULL CHECK (length(signature) = 64),
  received_at       timestamptz NOT NULL,   -- platform clock
  PRIMARY KEY (device_id, seq)
);
CREATE INDEX sessions_account_time ON sessions (account_id, started_at);

-- Sessions are facts too: never updated, never deleted.
CREATE TRIGGER sessions_append_only_row BEFORE UPDATE OR DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION fleetbed_refuse_mutation();
CREATE TRIGGER sessions_append_only_truncate BEFORE TRUNCATE ON sessions
  FOR EACH STATEMENT EXECUTE FUNCTION fleetbed_refuse_mutation();

-- Idempotency keys, scoped to the account that used them. The row is written
-- in the same statement as the records it covers, so it exists only once they
-- are committed. `outcome` holds what is needed to rebuild the exact response.
CREATE TABLE idempotency_keys (
  account_id     uuid NOT NULL REFERENCES accounts (account_id),
  key            text NOT NULL,
  request_hash   bytea NOT NULL,
  outcome        jsonb NOT NULL,
  created_at     timestamptz NOT NULL,   -- platform clock (virtual in test mode)
  PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Care providers (dentists) see a consenting patient's sessions. Consent and
-- the audit of every identity-telemetry join live in the identity tier.
CREATE TABLE identity_care_consents (
  patient_account_id   uuid NOT NULL REFERENCES accounts (account_id),
  provider_account_id  uuid NOT NULL REFERENCES accounts (account_id),
  granted_at           timestamptz NOT NULL,
  revoked_at           timestamptz,
  PRIMARY KEY (patient_account_id, provider_account_id)
);

CREATE TABLE identity_join_audit (
  audit_id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  provider_account_id  uuid NOT NULL REFERENCES accounts (account_id),
  patient_account_id   uuid NOT NULL REFERENCES accounts (account_id),
  purpose              text NOT NULL,
  period_from          timestamptz NOT NULL,
  period_to            timestamptz NOT NULL,
  rows_returned        integer NOT NULL,
  occurred_at          timestamptz NOT NULL
);
CREATE TRIGGER identity_join_audit_append_only_row BEFORE UPDATE OR DELETE ON identity_join_audit
  FOR EACH ROW EXECUTE FUNCTION fleetbed_refuse_mutation();

-- A device's key is burned in at the factory: it never changes, so verifiers may cache it.
CREATE FUNCTION fleetbed_refuse_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.public_key IS DISTINCT FROM OLD.public_key THEN
    RAISE EXCEPTION 'devices.public_key of device % is immutable', OLD.device_id USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER devices_public_key_immutable BEFORE UPDATE OF public_key ON devices
  FOR EACH ROW EXECUTE FUNCTION fleetbed_refuse_key_change();
