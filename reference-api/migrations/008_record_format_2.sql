-- 008: session record format 2 (contract/record.ts). Firmware at or above its
-- line's RECORD_FORMAT_2_SINCE writes format 2: the same 34 bytes with version
-- byte 2 and byte 33 carrying brushMode (0 daily, 1 sensitive, 2 whitening,
-- 3 gum care); older firmware writes format 1 (byte 33 reserved, 0) forever.
-- Both are stored side by side, each with its own version, and served so.
--
-- Every row stored before this migration is format 1 (the only format there
-- was), hence the default. The CHECK ties the columns to the format: a format-1
-- row has no brush mode, a format-2 row always has one in range, so a record is
-- never stored (or served) as the other format. Adding columns with a constant
-- default and a CHECK rewrites nothing and fires none of the append-only
-- triggers (sessions_append_only_row refuses UPDATE/DELETE, not ALTER).
ALTER TABLE sessions
  ADD COLUMN format_version smallint NOT NULL DEFAULT 1,
  ADD COLUMN brush_mode smallint NULL,
  ADD CONSTRAINT sessions_record_format CHECK (
    (format_version = 1 AND brush_mode IS NULL)
    OR (format_version = 2 AND brush_mode IS NOT NULL AND brush_mode BETWEEN 0 AND 3)
  );
