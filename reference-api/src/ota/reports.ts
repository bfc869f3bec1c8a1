import type pg from 'pg';
import { ContractDecodeError } from '../../../contract/errors.ts';
import { decodeOtaReport, otaReportSigningBytes, OTA_REPORT_BYTES, SIGNED_OTA_REPORT_BYTES, type OtaReport } from '../../../contract/ota-report.ts';
import { ApiError } from '../errors.ts';
import { inTransaction } from '../db/pool.ts';
import { readDeviceKeys, verifyEd25519, type KeyCache } from '../keys.ts';

const SIGNED_B64_LENGTH = Math.ceil((SIGNED_OTA_REPORT_BYTES * 4) / 3);
const B64URL = /^[A-Za-z0-9_-]+$/;

export type ReportRejection = 'signature-invalid' | 'device-not-bonded' | 'unknown-rollout' | 'seq-conflict';

export interface ReportVerdict {
  deviceId: number;
  seq: number;
  verdict: 'stored' | 'duplicate' | 'rejected';
  code?: ReportRejection;
  detail?: string;
}

interface Prepared {
  index: number;
  report: OtaReport;
  bytes: Buffer;
  reportBytes: Buffer;
  signature: Buffer;
}

const DETAILS: Record<ReportRejection, string> = {
  'signature-invalid': 'the signature does not verify under the key of the device the report names',
  'device-not-bonded': 'the device is not bonded to your account',
  'unknown-rollout': 'the device was never offered that rollout',
  'seq-conflict': 'another report with this device and seq, but different bytes, is already stored',
};
const rejected = (r: OtaReport, code: ReportRejection): ReportVerdict => ({ deviceId: r.deviceId, seq: r.seq, verdict: 'rejected', code, detail: DETAILS[code] });

/** Decode every report; one that cannot be decoded makes the whole request a 400 naming `reports[i]`. */
export function prepareReports(reports: readonly string[]): Prepared[] {
  return reports.map((text, index) => {
    const field = `reports[${index}]`;
    if (text.length !== SIGNED_B64_LENGTH || !B64URL.test(text)) {
      throw new ApiError(
        'validation-failed',
        `${field} must be ${SIGNED_OTA_REPORT_BYTES} bytes (report ${OTA_REPORT_BYTES} + signature 64) in base64url without padding, i.e. ${SIGNED_B64_LENGTH} characters; got ${text.length}.`,
        { field },
      );
    }
    const bytes = Buffer.from(text, 'base64url');
    const reportBytes = bytes.subarray(0, OTA_REPORT_BYTES);
    try {
      return { index, report: decodeOtaReport(reportBytes), bytes, reportBytes, signature: bytes.subarray(OTA_REPORT_BYTES) };
    } catch (err) {
      if (err instanceof ContractDecodeError) throw new ApiError('validation-failed', `${field}: ${err.message}`, { field });
      throw err;
    }
  });
}

/**
 * Store a phone's batch of device-signed OTA reports and move each device's
 * OTA state forward. Per report: rejected when its signature does not verify
 * under the device's registered key (a phone cannot forge "installed fine"),
 * when the device is not bonded to the caller, or when the device was never
 * offered the rollout; otherwise stored once per (device, seq) — a copy is a
 * duplicate, different bytes under a stored seq a seq-conflict.
 *
 * Only the highest-seq report of a device moves its state (reports arrive
 * late and out of order): running version, latest state, and — on
 * `confirmed` — the anti-rollback counter, raised to the release's. The
 * device's firmware version shown to its owner follows its running version.
 */
export async function storeReports(db: pg.Pool, keys: KeyCache, accountId: string, prepared: Prepared[], nowMs: number) {
  // The reports' device keys, in a map of their own (see KeyCache.keysOf).
  const deviceKeys = await keys.keysOf(prepared.map((p) => p.report.deviceId), readDeviceKeys(db));
  const verdicts: Array<ReportVerdict | undefined> = new Array(prepared.length);
  const firstOf = new Map<string, Prepared>();
  const candidates: Prepared[] = [];
  for (const p of prepared) {
    const key = deviceKeys.get(p.report.deviceId);
    if (!key) verdicts[p.index] = rejected(p.report, 'device-not-bonded');
    else if (!verifyEd25519(key, otaReportSigningBytes(p.reportBytes), p.signature)) verdicts[p.index] = rejected(p.report, 'signature-invalid');
    else {
      const k = `${p.report.deviceId}:${p.report.seq}`;
      if (!firstOf.has(k)) {
        firstOf.set(k, p);
        candidates.push(p);
      }
    }
  }

  if (candidates.length > 0) {
    const outcome = await inTransaction(db, async (c) => {
      const ids = [...new Set(candidates.map((p) => p.report.deviceId))].sort((a, b) => a - b);
      const owned = new Set(
        (await c.query<{ device_id: number }>('SELECT device_id FROM devices WHERE device_id = ANY($1::bigint[]) AND owner_account_id = $2', [ids, accountId])).rows.map((r) => r.device_id),
      );
      const ownedCandidates = candidates.filter((p) => owned.has(p.report.deviceId));
      const members = new Set(
        (
          await c.query<{ k: string }>(
            `SELECT m.device_id || ':' || m.rollout_id AS k FROM ota_rollout_devices m
               JOIN unnest($1::bigint[], $2::uuid[]) AS u(device_id, rollout_id) USING (device_id, rollout_id)`,
            [ownedCandidates.map((p) => p.report.deviceId), ownedCandidates.map((p) => p.report.rolloutId)],
          )
        ).rows.map((r) => r.k),
      );
      const valid = ownedCandidates.filter((p) => members.has(`${p.report.deviceId}:${p.report.rolloutId}`));
      if (valid.length === 0) return { owned, members, storedKeys: new Set<string>(), existing: new Map<string, Buffer>() };
      // Create-or-lock the devices' OTA rows in one pass in device order, as the heartbeat fold
      // (ota/heartbeat.ts) does. (Inserting the missing rows first and locking the others afterwards
      // held device 2's new row while waiting for device 1: a deadlock with a concurrent writer.)
      const validIds = [...new Set(valid.map((p) => p.report.deviceId))].sort((a, b) => a - b);
      await c.query(
        `INSERT INTO ota_devices AS o (device_id, product_line, running_version)
         SELECT device_id, product_line, ota_pack_version(firmware_version) FROM devices WHERE device_id = ANY($1::bigint[]) ORDER BY device_id
         ON CONFLICT (device_id) DO UPDATE SET device_id = o.device_id`,
        [validIds],
      );
      const col = <T>(f: (p: Prepared) => T) => valid.map(f);
      const stored = await c.query<{ device_id: number; seq: number }>(
        `INSERT INTO ota_reports (device_id, seq, rollout_id, account_id, state, target_version, running_version, boot_count, device_time, detail, report, signature, received_at)
         SELECT u.device_id, u.seq, u.rollout_id, $1, u.state, u.target, u.running, u.boot_count, to_timestamp(u.device_time), u.detail, u.report, u.signature,
                to_timestamp($2::double precision / 1000)
           FROM unnest($3::bigint[], $4::bigint[], $5::uuid[], $6::text[], $7::bigint[], $8::bigint[], $9::int[], $10::double precision[], $11::text[], $12::bytea[], $13::bytea[])
                AS u(device_id, seq, rollout_id, state, target, running, boot_count, device_time, detail, report, signature)
          ORDER BY u.device_id, u.seq
         ON CONFLICT DO NOTHING
         RETURNING device_id, seq`,
        [
          accountId,
          nowMs,
          col((p) => p.report.deviceId),
          col((p) => p.report.seq),
          col((p) => p.report.rolloutId),
          col((p) => p.report.state),
          col((p) => p.report.targetVersion),
          col((p) => p.report.runningVersion),
          col((p) => p.report.bootCount),
          col((p) => p.report.deviceTime),
          col((p) => p.report.detail),
          col((p) => p.reportBytes),
          col((p) => p.signature),
        ],
      );
      const storedKeys = new Set(stored.rows.map((r) => `${r.device_id}:${r.seq}`));
      const notStored = valid.filter((p) => !storedKeys.has(`${p.report.deviceId}:${p.report.seq}`));
      const existing = new Map(
        (
          await c.query<{ k: string; report: Buffer; signature: Buffer }>(
            `SELECT r.device_id || ':' || r.seq AS k, r.report, r.signature FROM ota_reports r
               JOIN unnest($1::bigint[], $2::bigint[]) AS u(device_id, seq) USING (device_id, seq)`,
            [notStored.map((p) => p.report.deviceId), notStored.map((p) => p.report.seq)],
          )
        ).rows.map((r) => [r.k, Buffer.concat([r.report, r.signature])]),
      );
      if (stored.rows.length > 0) {
        // The highest stored seq of each device moves its state, if it is newer than the state's.
        const changed = await c.query<{ device_id: number; running_version: number }>(
          `UPDATE ota_devices o
              SET report_seq = x.seq, rollout_id = x.rollout_id, state = x.state, boot_count = x.boot_count,
                  running_version = x.running_version, reported_at = to_timestamp($2::double precision / 1000),
                  confirmed_at = CASE WHEN x.state = 'confirmed' THEN least(x.device_time, to_timestamp($2::double precision / 1000)) END,
                  anti_rollback_counter = CASE WHEN x.state = 'confirmed' THEN greatest(o.anti_rollback_counter, x.counter) ELSE o.anti_rollback_counter END
             FROM (
               SELECT DISTINCT ON (r.device_id) r.device_id, r.seq, r.rollout_id, r.state, r.boot_count, r.running_version, r.device_time, rel.anti_rollback_counter AS counter
                 FROM ota_reports r
                 JOIN unnest($1::bigint[]) AS u(device_id) USING (device_id)
                 JOIN ota_rollouts ro ON ro.rollout_id = r.rollout_id
                 JOIN ota_releases rel ON rel.release_id = ro.release_id
                ORDER BY r.device_id, r.seq DESC
             ) x
            WHERE o.device_id = x.device_id AND x.seq > o.report_seq
            RETURNING o.device_id, o.running_version`,
          [[...new Set(stored.rows.map((r) => r.device_id))], nowMs],
        );
        await c.query(
          `UPDATE devices d SET firmware_version = ota_unpack_version(u.v)
             FROM unnest($1::bigint[], $2::bigint[]) AS u(id, v)
            WHERE d.device_id = u.id AND d.firmware_version IS DISTINCT FROM ota_unpack_version(u.v)`,
          [changed.rows.map((r) => r.device_id), changed.rows.map((r) => r.running_version)],
        );
      }
      return { owned, members, storedKeys, existing };
    });
    for (const p of candidates) {
      const r = p.report;
      const k = `${r.deviceId}:${r.seq}`;
      if (!outcome.owned.has(r.deviceId)) verdicts[p.index] = rejected(r, 'device-not-bonded');
      else if (!outcome.members.has(`${r.deviceId}:${r.rolloutId}`)) verdicts[p.index] = rejected(r, 'unknown-rollout');
      else if (outcome.storedKeys.has(k)) verdicts[p.index] = { deviceId: r.deviceId, seq: r.seq, verdict: 'stored' };
      else if (outcome.existing.get(k)?.equals(p.bytes)) verdicts[p.index] = { deviceId: r.deviceId, seq: r.seq, verdict: 'duplicate' };
      else verdicts[p.index] = rejected(r, 'seq-conflict');
    }
  }

  // Later copies inside the batch share their first copy's fate (different bytes: a seq-conflict).
  const results = prepared.map((p): ReportVerdict => {
    const own = verdicts[p.index];
    if (own) return own;
    const first = firstOf.get(`${p.report.deviceId}:${p.report.seq}`)!;
    const v = verdicts[first.index]!;
    if (!first.bytes.equals(p.bytes)) return rejected(p.report, 'seq-conflict');
    return v.verdict === 'rejected' ? v : { deviceId: p.report.deviceId, seq: p.report.seq, verdict: 'duplicate' };
  });
  const counts = { stored: 0, duplicate: 0, rejected: 0 };
  for (const r of results) counts[r.verdict]++;
  return { results, counts };
}
