import type { FastifyBaseLogger } from 'fastify';
import { interpret, legacyIdentityKey, LegacyBodyError, revisionFor, type Dialect, type InterpretedRecord, type RawRecord } from '../../../contract/legacy/dialect.ts';
import { dialectOf, LEGACY_LINES } from '../../../contract/legacy/dialects.ts';
import { legacyRowKey, v2WriteFails, type LegacyRecordResult, type LegacyUploadResult } from '../../../contract/legacy/wire.ts';
import type { Services } from '../app.ts';
import { deployedRevisions, loadLine, retired, tsParam } from './lines.ts';
import { MAX_BIGINT_VALUE, MAX_INT_VALUE, writeV2, type LegacyRow } from './v2-write.ts';

/** Records a v1 upload may carry. */
export const MAX_LEGACY_RECORDS = 1000;

interface Accepted extends LegacyRow {
  index: number;
  it: InterpretedRecord;
}

/** A raw record with its keys sorted: two copies of a record are the same when their raw fields and values are. */
function canonicalRaw(raw: RawRecord): string {
  return JSON.stringify(Object.keys(raw).sort().map((k) => [k, raw[k]]));
}

/** The record id a raw record carries under `rev` (null when it has none a row could be keyed by). */
function recordIdOf(raw: RawRecord, field: string): string | null {
  const v = raw[field];
  return v === undefined || v === null || String(v).length === 0 || String(v).length > 64 ? null : String(v);
}

/** What the legacy store can hold: numbers within its columns' ranges (an absurd raw value is refused, not truncated). */
function storable(it: InterpretedRecord): boolean {
  const s = it.session;
  const ok = (n: number | null, max: number) => n === null || (Number.isSafeInteger(n) && Math.abs(n) <= max);
  return ok(s.startedAt, MAX_BIGINT_VALUE) && ok(s.durationS, MAX_BIGINT_VALUE) && ok(s.coverage, MAX_INT_VALUE);
}

/**
 * One v1 upload of `userId` on line `d`, app build `build`: each record read
 * under the revision the old API has deployed for that build, a verdict per
 * record, the stored ones committed to the legacy store — with their outbox
 * rows when the line dual-writes — in one transaction; then, dual-writing, the
 * v2 write (identity map, v2 rows under the mapping, outbox rows deleted).
 * A v2 write that fails leaves the outbox rows for the repair job and the
 * answer says `v2: pending`: nothing is lost between the stores.
 *
 * Verdicts, in order: invalid-record (no id or serial, or a value out of
 * range); device-signs-v2 (the serial is a provisioned v2 device, which signs
 * its records: no unsigned record for it is written, in any state);
 * duplicate / record-conflict (the row key exists, with the same or other raw
 * content — the first copy stays); device-not-yours (the serial is bound to
 * another user of the line; it belongs to the first who uploaded for it — or,
 * new on this line, it is bound on another line to another person); stored.
 */
export async function uploadLegacyRecords(
  { db, clock, config }: Pick<Services, 'db' | 'clock' | 'config'>,
  d: Dialect,
  userId: string,
  build: number,
  raws: readonly RawRecord[],
  log: FastifyBaseLogger,
): Promise<LegacyUploadResult> {
  const results: LegacyRecordResult[] = new Array(raws.length);
  const rev = revisionFor(await deployedRevisions(db, d.line), build);
  const valid: Accepted[] = [];
  raws.forEach((raw, index) => {
    const recordId = recordIdOf(raw, rev.fields.recordId.name);
    const rowKey = recordId === null ? null : legacyRowKey(d.line, userId, recordId);
    let it: InterpretedRecord;
    try {
      it = interpret(d, rev, raw);
    } catch (err) {
      if (!(err instanceof LegacyBodyError)) throw err;
      results[index] = { recordId, rowKey, status: 'refused', code: 'invalid-record' };
      return;
    }
    if (!storable(it)) {
      results[index] = { recordId, rowKey, status: 'refused', code: 'invalid-record' };
      return;
    }
    valid.push({ index, it, rowKey: rowKey!, userId, recordId: it.recordId, deviceSerial: it.deviceSerial, appBuild: build, raw });
  });

  const nowMs = await clock.now();
  const stored: Accepted[] = [];
  let dualWrite = false;
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    // A state change takes this row FOR UPDATE: it waits for this upload, and this upload for it.
    const line = await loadLine(client, d.line, 'FOR KEY SHARE');
    if (line.state === 'v2-only') throw retired(d);
    dualWrite = line.state === 'dual-write' || line.state === 'reads-cut-over';
    const serials = [...new Set(valid.map((c) => c.deviceSerial))];
    const signing = new Set(
      (await client.query<{ serial: string }>('SELECT serial FROM devices WHERE serial = ANY($1::text[])', [serials])).rows.map((r) => r.serial),
    );
    const existing = new Map(
      (await client.query<{ row_key: string; raw: RawRecord }>('SELECT row_key, raw FROM legacy.sessions WHERE row_key = ANY($1::text[])', [valid.map((c) => c.rowKey)])).rows.map(
        (r) => [r.row_key, canonicalRaw(r.raw)],
      ),
    );
    const refuse = (c: Accepted, code: LegacyRecordResult['code']) => (results[c.index] = { recordId: c.recordId, rowKey: c.rowKey, status: 'refused', code });
    const again = (c: Accepted, first: string) =>
      (results[c.index] = first === canonicalRaw(c.raw) ? { recordId: c.recordId, rowKey: c.rowKey, status: 'duplicate' } : { recordId: c.recordId, rowKey: c.rowKey, status: 'refused', code: 'record-conflict' });
    const remaining: Accepted[] = [];
    for (const c of valid) {
      if (signing.has(c.deviceSerial)) refuse(c, 'device-signs-v2');
      else if (existing.has(c.rowKey)) again(c, existing.get(c.rowKey)!);
      else remaining.push(c);
    }
    // A serial belongs to the first user of the line who uploads for it — and a serial is one device: one
    // that is new on this line but already bound on another line to another person (another identity of the
    // identity map; one e-mail address is one person on every line) is not this user's either (LEG-4: v2
    // keeps a device in one account). The serials new on this line are locked (in a fixed order) while
    // the other lines are looked at, so that two first uploads on two lines cannot both bind one serial.
    const remainingSerials = [...new Set(remaining.map((c) => c.deviceSerial))].sort();
    const ownerOf = async (serials: string[]) =>
      new Map(
        (await client.query<{ device_serial: string; user_id: string }>('SELECT device_serial, user_id FROM legacy.devices WHERE line = $1 AND device_serial = ANY($2::text[])', [d.line, serials])).rows.map(
          (r) => [r.device_serial, r.user_id],
        ),
      );
    const bound = remainingSerials.length > 0 ? await ownerOf(remainingSerials) : new Map<string, string>();
    const newHere = remainingSerials.filter((s) => !bound.has(s));
    const elsewhere = new Set<string>();
    if (newHere.length > 0) {
      await client.query("SELECT pg_advisory_xact_lock(hashtextextended('legacy-serial:' || s, 0)) FROM unnest($1::text[]) AS s", [newHere]);
      const me = legacyIdentityKey(d, userId);
      const { rows } = await client.query<{ device_serial: string; line: string; user_id: string }>(
        // Both keys as arrays: an index scan of the primary key (line, device_serial), not a scan of every line's devices.
        'SELECT device_serial, line, user_id FROM legacy.devices WHERE line = ANY($2::text[]) AND device_serial = ANY($1::text[])',
        [newHere, LEGACY_LINES.filter((l) => l !== d.line)],
      );
      for (const r of rows) {
        const other = dialectOf(r.line);
        if (!other || legacyIdentityKey(other, r.user_id) !== me) elsewhere.add(r.device_serial);
      }
      const bindable = newHere.filter((s) => !elsewhere.has(s));
      if (bindable.length > 0) {
        await client.query(
          `INSERT INTO legacy.devices (line, device_serial, user_id, bound_at) SELECT $1, s, $2, ${tsParam(4)} FROM unnest($3::text[]) AS s ON CONFLICT DO NOTHING`,
          [d.line, userId, bindable, nowMs],
        );
      }
    }
    const owner = newHere.length > 0 ? await ownerOf(remainingSerials) : bound;
    const seen = new Map<string, string>();
    const candidates: Accepted[] = [];
    for (const c of remaining) {
      if (elsewhere.has(c.deviceSerial) || owner.get(c.deviceSerial) !== userId) refuse(c, 'device-not-yours');
      else if (seen.has(c.rowKey)) again(c, seen.get(c.rowKey)!);
      else {
        seen.set(c.rowKey, canonicalRaw(c.raw));
        candidates.push(c);
      }
    }
    if (candidates.length > 0) {
      const inserted = new Set(
        (
          await client.query<{ row_key: string }>(
            `INSERT INTO legacy.sessions (row_key, line, user_id, record_id, device_serial, app_build, revision, raw, started_at, duration_s, coverage, mode, extras, received_at)
             SELECT u.row_key, $1, $2, u.record_id, u.serial, $3, $4, u.raw, u.started_at, u.duration_s, u.coverage, u.mode, u.extras, ${tsParam(5)}
               FROM unnest($6::text[], $7::text[], $8::text[], $9::jsonb[], $10::bigint[], $11::bigint[], $12::int[], $13::text[], $14::jsonb[])
                 AS u(row_key, record_id, serial, raw, started_at, duration_s, coverage, mode, extras)
             ON CONFLICT (row_key) DO NOTHING
             RETURNING row_key`,
            [
              d.line,
              userId,
              build,
              rev.revision,
              nowMs,
              candidates.map((c) => c.rowKey),
              candidates.map((c) => c.recordId),
              candidates.map((c) => c.deviceSerial),
              candidates.map((c) => JSON.stringify(c.raw)),
              candidates.map((c) => c.it.session.startedAt),
              candidates.map((c) => c.it.session.durationS),
              candidates.map((c) => c.it.session.coverage),
              candidates.map((c) => c.it.session.mode),
              candidates.map((c) => JSON.stringify(c.it.session.extras)),
            ],
          )
        ).rows.map((r) => r.row_key),
      );
      const raced = candidates.filter((c) => !inserted.has(c.rowKey));
      if (raced.length > 0) {
        // Stored by a concurrent upload of the same user between our read and our insert.
        const { rows } = await client.query<{ row_key: string; raw: RawRecord }>('SELECT row_key, raw FROM legacy.sessions WHERE row_key = ANY($1::text[])', [raced.map((c) => c.rowKey)]);
        const now = new Map(rows.map((r) => [r.row_key, canonicalRaw(r.raw)]));
        for (const c of raced) again(c, now.get(c.rowKey)!);
      }
      for (const c of candidates) {
        if (!inserted.has(c.rowKey)) continue;
        results[c.index] = { recordId: c.recordId, rowKey: c.rowKey, status: 'stored' };
        stored.push(c);
      }
      if (dualWrite && stored.length > 0) {
        await client.query(`INSERT INTO legacy.outbox (row_key, line, enqueued_at) SELECT k, $1, ${tsParam(3)} FROM unnest($2::text[]) AS k`, [d.line, stored.map((c) => c.rowKey), nowMs]);
      }
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }

  if (!dualWrite || stored.length === 0) return { results, v2: 'not-applicable' };
  // Test mode: the first v2 write of some rows fails after their legacy commit (contract v2WriteFails).
  const perMille = config.testMode ? await faultPerMille(db) : 0;
  const now = stored.filter((c) => !v2WriteFails(c.rowKey, perMille));
  let pending = now.length < stored.length;
  try {
    await writeV2(db, d, now, nowMs);
  } catch (err) {
    log.error({ err, line: d.line, rows: now.length }, 'legacy dual-write: the v2 write failed after the legacy commit; the outbox keeps the rows for legacy-repair');
    pending = true;
  }
  return { results, v2: pending ? 'pending' : 'written' };
}

/** The test-mode fault in effect (PUT /testbed/legacy/faults). */
export async function faultPerMille(db: Services['db']): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT v2_write_failure_per_mille AS n FROM legacy_testbed_faults');
  return rows[0]?.n ?? 0;
}
