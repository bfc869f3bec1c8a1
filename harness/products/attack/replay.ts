import { readFileSync } from 'node:fs';
import { decodeSessionRecord, SESSION_RECORD_BYTES } from '../../../contract/record.ts';
import { packFirmwareVersion } from '../../../contract/firmware-version.ts';
import { UsageError } from '../../core/errors.ts';
import type { CapturedRequest } from './capture.ts';
import type { AttackHttp, Exchange } from './http.ts';
import { runCase, storedSomething, type CaseOutcome } from './run-attacks.ts';
import type { AttackCase } from './types.ts';
import type { AttackWorld } from './world.ts';
import { b64, bytes, codeOf, writeDeviceId } from './cases/_util.ts';

/** At most this many captured uploads are replayed (each under every operator). */
export const MAX_REPLAYED_UPLOADS = 8;

export function loadCapture(file: string): CapturedRequest[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--replay ${file}: ${(err as Error).message}`, 'Make one with: fleetbed run <scenario> --capture capture.ndjson');
  }
  return text.split('\n').filter((l) => l.trim()).map((l, i) => {
    try {
      const r = JSON.parse(l) as CapturedRequest;
      if (typeof r.method !== 'string' || typeof r.path !== 'string') throw new Error('no method or path');
      return r;
    } catch (err) {
      throw new UsageError(`--replay ${file}: line ${i + 1} is not a captured request (${(err as Error).message}).`);
    }
  });
}

/**
 * Replay captured phone traffic under mutation operators, against the world
 * this run built. Tokens are never replayed (the capture holds none): every
 * request is re-sent with a token minted for the world's accounts.
 *
 * Each captured upload is used two ways:
 * - verbatim: its exact bytes, under A's fresh token and a new key. The devices
 *   it names belong to the capturing run's accounts, not to A: nothing may be stored.
 * - re-homed: each captured record keeps its content (times, duration, zones,
 *   head, firmware, battery) but is re-numbered onto A's device A1 and signed by
 *   A1's key (the harness plays the honest device: nothing a phone could do).
 *   That genuine upload is delivered once as the baseline (before the digest),
 *   then the operators mutate it: replay as-is (same key), new key, a byte of a
 *   record flipped, device id swapped to A2, account swapped (B's token), the
 *   signature dropped, the record's firmware version downgraded. Nothing
 *   mutated may be answered "stored", and the state digest must not move.
 */
export async function replayCapture(capture: CapturedRequest[], http: AttackHttp, world: AttackWorld, onCase?: (r: CaseOutcome) => void): Promise<CaseOutcome[]> {
  const uploads = capture
    .filter((r) => r.method === 'POST' && r.path.split('?')[0] === '/v2/uploads' && r.body)
    .map((r) => (JSON.parse(r.body!) as { records?: unknown }).records)
    .filter((x): x is string[] => Array.isArray(x) && x.length > 0 && x.every((s) => typeof s === 'string'))
    .slice(0, MAX_REPLAYED_UPLOADS);
  const out: CaseOutcome[] = [];
  const w = world;
  for (const [n, captured] of uploads.entries()) {
    const records = captured.slice(0, 16);
    // Re-home onto A1, re-signed by A1 (the honest device), and deliver once.
    const rehomed = records.flatMap((s) => {
      try {
        const r = decodeSessionRecord(bytes(s).subarray(0, SESSION_RECORD_BYTES));
        return [w.sign(w.A1, w.freshRecord(w.A1, { durationS: r.durationS, zones: r.zones, pressureAlerts: r.pressureAlerts, headId: r.headId, firmwareVersion: r.firmwareVersion, batteryPct: r.batteryPct, clockReset: r.clockReset, headChanged: r.headChanged }))];
      } catch {
        return [];
      }
    });
    const baseKey = w.newKey('replay');
    const ops: Array<[op: string, cls: string, send: () => Promise<Exchange>]> = [
      ['verbatim', 'API1:2023', () => w.upload(w.A, records)],
      ['as-is-same-key', 'ING-3', () => w.upload(w.A, rehomed, baseKey)],
      ['new-key', 'ING-3', () => w.upload(w.A, rehomed)],
      ['flip-byte', 'AUTH-1', () => w.upload(w.A, rehomed.map((s, i) => (i === 0 ? flip(s, 20) : s)))],
      ['swap-device', 'AUTH-1', () => w.upload(w.A, rehomed.map((s) => withBytes(s, (b) => writeDeviceId(b, w.A2.deviceId))))],
      ['swap-account', 'API1:2023', () => w.upload(w.B, rehomed)],
      ['drop-signature', 'AUTH-1', () => w.upload(w.A, rehomed.map((s) => b64(bytes(s).subarray(0, SESSION_RECORD_BYTES))))],
      ['downgrade-firmware', 'OTA-2', () => w.upload(w.A, rehomed.map((s) => withBytes(s, (b) => b.writeUInt32BE(packFirmwareVersion('0.1.0'), 28))))],
    ];
    let baseline: Exchange | undefined;
    for (const [op, cls, send] of ops) {
      if (op !== 'verbatim' && rehomed.length === 0) continue;
      const c: AttackCase = {
        id: `replay-${n + 1}-${op}`,
        title: `captured upload #${n + 1} (${records.length} records): ${op}`,
        class: cls,
        expected: {
          describe: op === 'drop-signature' ? '400 validation-failed' : 'refused, or answered with nothing stored',
          check: (ex) => (ex.status >= 500 ? `server error ${ex.status}` : storedSomething(ex) ? `stored: ${codeOf(ex)}` : null),
        },
        ...(op !== 'verbatim' && !baseline
          ? {
              prepare: async () => {
                baseline = await w.upload(w.A, rehomed, baseKey);
                if (baseline.status !== 200) throw new Error(`the re-homed baseline upload answered ${baseline.status}: ${baseline.text.slice(0, 200)}`);
              },
            }
          : {}),
        run: () => send(),
      };
      if (op === 'drop-signature') c.expected = { status: 400, codes: ['validation-failed'] };
      const r = await runCase(c, http, w);
      out.push(r);
      onCase?.(r);
    }
  }
  return out;
}

function withBytes(s: string, f: (b: Buffer) => void): string {
  const b = bytes(s);
  f(b);
  return b64(b);
}

function flip(s: string, i: number): string {
  return withBytes(s, (b) => void (b[i]! ^= 1));
}
