import type { KeyObject } from 'node:crypto';
import { encodeSessionRecord, packSignedRecord, sessionRecordSigningBytes } from '../../../contract/record.ts';
import { carryOverBle } from '../../../simulators/ble-link.ts';
import { deviceKeySeed, privateKeyFromSeed, signWith } from '../../../simulators/device-keys.ts';
import { sessionRecordOf } from '../../../simulators/device.ts';
import type { Verdict } from '../../../simulators/ledger.ts';
import { planUploads, syncPhone } from '../../../simulators/phone.ts';
import { ensureAccess } from '../../core/fleet/accounts.ts';
import type { FleetContext } from '../../core/fleet/context.ts';
import type { LoadMeasure } from './measure.ts';

/** One upload of a prepared sync: the signed body and what the ledger needs to book its answer. */
export interface PreparedUpload {
  key: string;
  body: string;
  devices: number[];
  seqs: number[];
  startedAt: number[];
  /** The signed records as sent (their content joins the ledger's digest when answered stored). */
  sent: Uint8Array[];
  timeoutAfterCommit: boolean;
}

/** A phone sync taken as a step of the simulation, its records signed by their devices, ready to send. */
export interface PreparedSync {
  phone: number;
  uploads: PreparedUpload[];
  records: number;
}

interface RecordAnswer {
  deviceId: number;
  seq: number;
  verdict: Verdict;
  code?: string;
}
interface Answer {
  status: number;
  replayed: boolean;
  results: RecordAnswer[];
  counts: { stored: number; duplicate: number; rejected: number };
}

/** Upload attempts within an arrival before its records are held for the settle phase. */
const ATTEMPTS = 3;
const KEY_CACHE = 200_000;
const REFRESH_MARGIN_MS = 60_000;

/**
 * Turns arrivals into real phone syncs. {@link prepare} is the simulation step (the
 * household is stepped to the sync's virtual time, its devices hand over their records,
 * each device signs its records): synchronous, called in schedule order, so the world
 * is the same on every run of a seed. {@link send} relays the uploads over HTTP and books
 * every verdict in the ledger; an upload that fails (network error, 5xx, 429) is retried
 * like a phone would, then held and relayed in {@link settle} after the load, so the
 * ledger still proves exactly-once at the end.
 */
export class SyncDriver {
  readonly #keys = new Map<number, KeyObject>();
  readonly held: Array<{ phone: number; upload: PreparedUpload }> = [];
  /** Ledger bookings and records relayed, across every phase. */
  uploads = 0;
  recordsSent = 0;

  constructor(readonly ctx: FleetContext) {}

  prepare(phone: number, vt: number): PreparedSync {
    const { fleet, ledger } = this.ctx;
    const c = syncPhone(fleet, phone, vt, ledger);
    if (c.reinstalled) this.ctx.app.signOut(phone);
    const uploads: PreparedUpload[] = [];
    for (const plan of planUploads(fleet, c)) {
      const records: string[] = [];
      const startedAt: number[] = [];
      const sent: Uint8Array[] = [];
      for (let k = plan.start; k < plan.end; k++) {
        const d = c.devices[k]!;
        const record = sessionRecordOf(fleet, d, c.seqs[k]!, c.times[k]!);
        const bytes = encodeSessionRecord(record);
        const signed = packSignedRecord(bytes, signWith(this.#key(d), sessionRecordSigningBytes(bytes)));
        const delivered = carryOverBle(record.deviceId, record.seq, signed);
        records.push(Buffer.from(delivered).toString('base64url'));
        sent.push(delivered);
        startedAt.push(record.startedAt);
      }
      uploads.push({ key: plan.idempotencyKey, body: JSON.stringify({ records }), devices: c.devices.slice(plan.start, plan.end), seqs: c.seqs.slice(plan.start, plan.end), startedAt, sent, timeoutAfterCommit: plan.timeoutAfterCommit });
    }
    return { phone, uploads, records: c.seqs.length };
  }

  /**
   * Relay a prepared sync. `intendedAt` (performance.now() time base) is when it should
   * have started: the first request of the sync is timed from it, so a generator that
   * started late cannot hide the platform's stall. Returns the records stored.
   */
  async send(s: PreparedSync, intendedAt: number, m: LoadMeasure | undefined): Promise<number> {
    let stored = 0;
    let from = intendedAt;
    if (s.uploads.length === 0) return 0;
    const needsToken = !this.ctx.app.signedIn(s.phone) || this.ctx.app.accessExpiresMs[s.phone]! - REFRESH_MARGIN_MS <= this.ctx.nowMs;
    if (needsToken) {
      await ensureAccess(this.ctx, s.phone);
      m?.request('token', performance.now() - from, '200', true);
      from = performance.now();
    }
    for (const u of s.uploads) {
      const answer = await this.#attempt(s.phone, u, from, m);
      from = performance.now();
      if (!answer) {
        this.held.push({ phone: s.phone, upload: u });
        continue;
      }
      let final = answer;
      if (u.timeoutAfterCommit) {
        // The phone gave up waiting after the commit: same key, same body again.
        const again = await this.#attempt(s.phone, u, performance.now(), m);
        from = performance.now();
        if (again) {
          this.ctx.ledger.recordReplay(again.replayed && same(answer, again), `upload ${u.key} of phone ${s.phone}: the retry ${again.replayed ? 'was replayed' : 'was not marked Idempotent-Replayed'} with ${same(answer, again) ? 'the same' : 'a different'} answer`);
          final = again;
        }
      }
      stored += this.#book(u, final);
    }
    return stored;
  }

  /** Relay every held upload, a few at a time, retrying until the platform answers (outside the measured phase). */
  async settle(concurrency = 8): Promise<number> {
    const work = this.held.splice(0);
    let i = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (i < work.length) {
          const { phone, upload } = work[i++]!;
          for (let round = 0; ; round++) {
            const a = await this.#attempt(phone, upload, performance.now(), undefined, 6);
            if (a) {
              this.#book(upload, a);
              break;
            }
            if (round > 20) throw new Error(`upload ${upload.key} of phone ${phone} got no answer after ${round * 6} attempts in the settle phase`);
          }
        }
      }),
    );
    return work.length;
  }

  async #attempt(phone: number, u: PreparedUpload, from: number, m: LoadMeasure | undefined, attempts = ATTEMPTS): Promise<Answer | undefined> {
    const { ctx } = this;
    for (let attempt = 0, auth = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(Math.min(2000, 100 * 2 ** attempt));
      await ensureAccess(ctx, phone, auth > 0);
      let status: number;
      let text: string;
      let replayed = false;
      try {
        const r = await ctx.http.send('POST', '/v2/uploads', { 'content-type': 'application/json', authorization: `Bearer ${ctx.app.accessToken(phone)}`, 'idempotency-key': u.key }, u.body);
        status = r.status;
        text = r.text;
        replayed = r.headers['idempotent-replayed'] === 'true';
      } catch (error) {
        m?.request('upload', performance.now() - from, String((error as { code?: string }).code ?? 'network-error'), false);
        from = performance.now();
        continue;
      }
      const ok = status === 200 || status === 422;
      // A 401 to a token that expired in virtual time is the phone's ordinary re-sign-in, not a failure
      // (its retry is timed and judged like any request); a second one in a row is.
      const reauth = status === 401 && auth === 0;
      m?.request('upload', performance.now() - from, ok ? String(status) : reauth ? '401 re-auth' : `${status} ${problemCode(text)}`, ok || reauth);
      from = performance.now();
      this.uploads++;
      if (status === 401 && auth++ < 2) {
        attempt--;
        continue;
      }
      if (status === 409 && text.includes('idempotency-key-in-flight')) continue;
      if (!ok) continue;
      const parsed = JSON.parse(text) as { results?: RecordAnswer[]; counts?: Answer['counts'] };
      if (!Array.isArray(parsed.results) || !parsed.counts) {
        ctx.ledger.violation({ check: 'answer-shape', detail: `upload ${u.key}: HTTP ${status} without per-record results: ${text.slice(0, 200)}` });
        return { status, replayed, results: [], counts: { stored: 0, duplicate: 0, rejected: 0 } };
      }
      this.recordsSent += parsed.results.length;
      return { status, replayed, results: parsed.results, counts: parsed.counts };
    }
    return undefined;
  }

  #book(u: PreparedUpload, a: Answer): number {
    const { fleet, ledger } = this.ctx;
    if (a.results.length !== u.seqs.length) ledger.violation({ check: 'answer-count', detail: `upload ${u.key}: ${u.seqs.length} records sent, ${a.results.length} verdicts returned` });
    let stored = 0;
    for (let i = 0; i < a.results.length && i < u.seqs.length; i++) {
      const r = a.results[i]!;
      const d = u.devices[i]!;
      if (r.deviceId !== fleet.deviceId(d) || r.seq !== u.seqs[i]) {
        ledger.violation({ check: 'answer-order', deviceId: fleet.deviceId(d), seq: u.seqs[i]!, detail: `verdict ${i} of upload ${u.key} names device ${r.deviceId} seq ${r.seq}` });
        continue;
      }
      ledger.recordVerdict(d, u.seqs[i]!, u.startedAt[i]!, this.ctx.nowMs, r.verdict, r.code, u.sent[i]);
      if (r.verdict === 'stored') stored++;
    }
    return stored;
  }

  #key(d: number): KeyObject {
    let key = this.#keys.get(d);
    if (!key) {
      if (this.#keys.size >= KEY_CACHE) this.#keys.clear();
      this.#keys.set(d, (key = privateKeyFromSeed(deviceKeySeed(this.ctx.fleet.seed, d))));
    }
    return key;
  }
}

function problemCode(text: string): string {
  try {
    const body = JSON.parse(text) as { code?: unknown };
    return typeof body.code === 'string' ? body.code : 'no-problem-code';
  } catch {
    return 'not-json';
  }
}

function same(a: Answer, b: Answer): boolean {
  if (a.status !== b.status || a.results.length !== b.results.length) return false;
  return a.results.every((r, i) => {
    const o = b.results[i]!;
    return r.deviceId === o.deviceId && r.seq === o.seq && r.verdict === o.verdict && r.code === o.code;
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
