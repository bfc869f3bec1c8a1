-- 001: accounts (identity tier kept apart), OAuth tokens, devices, bonding, events.
--
-- Privacy tiers: direct identifiers (email, display name, password hash) live
-- ONLY in the identity_* tables. Every other table carries opaque ids.

CREATE TABLE accounts (
  account_id  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind        text NOT NULL DEFAULT 'consumer' CHECK (kind IN ('consumer', 'care-provider')),
  created_at  timestamptz NOT NULL
);

CREATE TABLE identity_accounts (
  account_id     uuid PRIMARY KEY REFERENCES accounts (account_id) ON DELETE CASCADE,
  email          text NOT NULL,
  display_name   text NOT NULL,
  password_hash  text NOT NULL
);
CREATE UNIQUE INDEX identity_accounts_email ON identity_accounts (lower(email));

CREATE TABLE oauth_clients (
  client_id   text PRIMARY KEY,
  name        text NOT NULL,
  -- NULL for public clients (the phone app): no secret can be kept on a phone.
  secret_hash bytea
);
INSERT INTO oauth_clients (client_id, name) VALUES ('fleetbed-phone', 'Phone app (public client)');

CREATE TABLE refresh_tokens (
  token_hash  bytea PRIMARY KEY,
  account_id  uuid NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
  client_id   text NOT NULL REFERENCES oauth_clients (client_id),
  family_id   uuid NOT NULL,
  expires_at  timestamptz NOT NULL,
  rotated_at  timestamptz,
  revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE access_tokens (
  token_hash  bytea PRIMARY KEY,
  account_id  uuid NOT NULL REFERENCES accounts (account_id) ON DELETE CASCADE,
  client_id   text NOT NULL REFERENCES oauth_clients (client_id),
  family_id   uuid NOT NULL,
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz
);
CREATE INDEX access_tokens_family ON access_tokens (family_id);

CREATE TABLE devices (
  device_id           bigint PRIMARY KEY CHECK (device_id > 0 AND device_id < 9007199254740992),
  serial              text NOT NULL UNIQUE,
  product_line        text NOT NULL CHECK (product_line IN ('adult-brush', 'kids-brush', 'interdental')),
  public_key          bytea NOT NULL CHECK (length(public_key) = 32),
  factory_firmware    text NOT NULL,
  firmware_version    text NOT NULL,
  owner_account_id    uuid REFERENCES accounts (account_id),
  bonded_at           timestamptz,
  last_press_counter  bigint NOT NULL DEFAULT 0,
  provisioned_at      timestamptz NOT NULL
);
CREATE INDEX devices_owner ON devices (owner_account_id) WHERE owner_account_id IS NOT NULL;

CREATE TABLE bond_challenges (
  challenge    bytea PRIMARY KEY CHECK (length(challenge) = 32),
  device_id    bigint NOT NULL REFERENCES devices (device_id),
  account_id   uuid NOT NULL REFERENCES accounts (account_id),
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz
);
CREATE INDEX bond_challenges_device ON bond_challenges (device_id);

-- Append-only facts. The database itself refuses UPDATE, DELETE and TRUNCATE.
CREATE TABLE events (
  event_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind         text NOT NULL,
  device_id    bigint REFERENCES devices (device_id),
  account_id   uuid REFERENCES accounts (account_id),
  occurred_at  timestamptz NOT NULL,
  data         jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX events_device ON events (device_id, event_id) WHERE device_id IS NOT NULL;

CREATE FUNCTION fleetbed_refuse_mutation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER events_append_only_row BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION fleetbed_refuse_mutation();
CREATE TRIGGER events_append_only_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION fleetbed_refuse_mutation();

-- The virtual clock of test mode: one row. Outside test mode it is never read.
CREATE TABLE testbed_clock (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  now_ms     bigint NOT NULL
);
INSERT INTO testbed_clock (now_ms) VALUES (1767225600000); -- 2026-01-01T00:00:00Z
