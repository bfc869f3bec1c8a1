import type { KeyObject } from 'node:crypto';
import { encodeSessionRecord, packSignedRecord, sessionRecordSigningBytes, type SessionRecord } from '../../../contract/record.ts';
import { carryOverBle } from '../../../simulators/ble-link.ts';
import { deviceKeySeed, privateKeyFromSeed, signWith } from '../../../simulators/device-keys.ts';
import { advanceFleet, sessionRecordOf } from '../../../simulators/device.ts';
import { edgeExpectation, produceTimeEdges, TIME_EDGES } from '../../../simulators/edges.ts';
import { HOSTILE_EXPECTED, HOSTILE_KINDS, produceHostileRecords, type HostileRecord } from '../../../simulators/hostile-records.ts';
import type { PlatformRules, Verdict } from '../../../simulators/ledger.ts';
import { planUploads, syncPhone, type Collected, type UploadPlan } from '../../../simulators/phone.ts';
import { drainPlan, endOfDayS, planDay, type SlotPlan } from '../../../simulators/schedule.ts';
import { ensureAccess } from './accounts.ts';
import { CAPTURE_RING, type CapturedUpload, type FleetContext } from './context.ts';
import { FleetRunError } from './errors.ts';
import { expectStatus, runWorkers, type HttpResult } from './http.ts';

export interface DriveOptions {
  /** Whole days to simulate. */
  days: number;
  /** After the last day, the first phone of every household syncs everything still in a ring. */
  drain: boolean;
}

interface RecordAnswer {
  deviceId: number;
  seq: number;
  verdict: Verdict;
  code?: string;
}

interface UploadAnswer {
  status: number;
  replayed: boolean;
  results: RecordAnswer[];
  counts: { stored: number; duplicate: number; rejected: number };
}

/**
 * Run simulated time forward day by day. For each slot of a day that has
 * syncs, the platform's clock is set to the slot's end, then the slot's phones
 * sync in the simulation's fixed order — each sync is a pure step of the
 * simulator, taken when a worker is free — and their uploads go out as real
 * HTTP requests, at most `workers` at a time. Verdicts are booked in the
 * ledger. Returns the virtual time the run ended at.
 */
export async function driveDays(ctx: FleetContext, options: DriveOptions): Promise<{ endS: number; daySeconds: number[]; drainSeconds: number; edges?: EdgeCounts; edgeSeconds?: number; hostile?: HostileCounts }> {
  const { fleet, progress } = ctx;
  const daySeconds: number[] = [];
  let windowStart = performance.now();
  let windowUploads = 0;
  const uploadsPerSecond = () => {
    const now = performance.now();
    const rate = ((ctx.stats.uploads - windowUploads) * 1000) / Math.max(1, now - windowStart);
    if (now - windowStart > 5000) {
      windowStart = now;
      windowUploads = ctx.stats.uploads;
    }
    return `${Math.round(rate).toLocaleString('en-US')} uploads/s · ${ctx.stats.recordsSent.toLocaleString('en-US')} records sent`;
  };
  const hostile = fleet.options.hostile.recordsPerDay > 0 ? emptyHostileCounts() : undefined;
  for (let day = 0; day < options.days; day++) {
    const slots = planDay(fleet, day);
    const total = slots.reduce((n, s) => n + s.phones.length, 0);
    progress.start(`day ${day + 1}/${options.days}`, total, uploadsPerSecond);
    for (const slot of slots) {
      await ctx.hooks?.beforeSlot?.(slot.platformS * 1000);
      await setClock(ctx, slot.platformS * 1000);
      await runSlot(ctx, slot, false);
    }
    if (hostile && slots.length > 0) await driveHostile(ctx, day, slots[slots.length - 1]!.platformS, hostile);
    daySeconds.push(progress.end(`${ctx.stats.uploads.toLocaleString('en-US')} uploads so far`));
  }
  const endS = endOfDayS(fleet, options.days - 1);
  await ctx.hooks?.beforeSlot?.(endS * 1000);
  await setClock(ctx, endS * 1000);
  let drainSeconds = 0;
  if (options.drain) {
    const plan = drainPlan(fleet, endS);
    progress.start('drain', plan.phones.length, uploadsPerSecond);
    await runSlot(ctx, plan, true);
    drainSeconds = progress.end();
  }
  advanceFleet(fleet, endS, ctx.ledger);
  if (hostile) progress.log(`hostile records: ${[...HOSTILE_KINDS, 'replayed-upload' as const].map((k) => `${k} ${hostile[k].records} (${Object.entries(hostile[k].answers).map(([a, n]) => `${n} ${a}`).join('/') || 'none'})`).join(', ')}`);
  if (fleet.options.edges.recordsPerEdge === 0) return { endS, daySeconds, drainSeconds, ...(hostile ? { hostile } : {}) };
  const started = performance.now();
  const edges = await driveTimeEdges(ctx, endS);
  return { endS, daySeconds, drainSeconds, edges, edgeSeconds: (performance.now() - started) / 1000, ...(hostile ? { hostile } : {}) };
}

/** Per kind of {@link HOSTILE_KINDS}: records sent, the verdict each must get, and the verdicts they got. */
export type HostileCounts = Record<(typeof HOSTILE_KINDS)[number] | 'replayed-upload', { records: number; expected: string; answers: Record<string, number> }>;

function emptyHostileCounts(): HostileCounts {
  return {
    ...(Object.fromEntries(HOSTILE_KINDS.map((k) => [k, { records: 0, expected: `rejected ${HOSTILE_EXPECTED[k]}`, answers: {} }])) as Omit<HostileCounts, 'replayed-upload'>),
    'replayed-upload': { records: 0, expected: 'judged afresh for the other account: every record rejected, nothing replayed', answers: {} },
  };
}

/**
 * The end of a day's syncs: hostile phones upload the day's hostile records (fleet option
 * `hostile.recordsPerDay`), each phone its own in uploads of up to `phones.maxRecordsPerUpload`,
 * under their own accounts. Each verdict is judged as it comes: anything but `rejected` with the
 * kind's code is a ledger violation (`hostile-signature-accepted`, AUTH-1; `hostile-unbonded-accepted`,
 * AUTH-2). The honest books are not touched: what a stored hostile record did to an honest
 * device's records shows in ING-1 and AUTH-1 against the platform's state.
 */
async function driveHostile(ctx: FleetContext, day: number, atS: number, counts: HostileCounts): Promise<void> {
  const { fleet, ledger } = ctx;
  const records = produceHostileRecords(fleet, day, atS, fleet.options.hostile.recordsPerDay);
  const max = fleet.options.phones.maxRecordsPerUpload;
  for (let i = 0, n = 0; i < records.length; n++) {
    let j = i;
    while (j < records.length && j - i < max && records[j]!.phone === records[i]!.phone) j++;
    const group = records.slice(i, j);
    const body = JSON.stringify({ records: group.map((r) => Buffer.from(r.bytes).toString('base64url')) });
    const answer = await upload(ctx, group[0]!.phone, `p${group[0]!.phone.toString(36)}-d${day.toString(36)}-hostile-${n.toString(36)}`, body, { hostile: true });
    group.forEach((r, k) => judgeHostile(ctx, r, answer.results[k], counts));
    if (answer.results.length !== group.length) ledger.violation({ check: 'answer-count', detail: `hostile upload of phone ${group[0]!.phone} on day ${day + 1}: ${group.length} records sent, ${answer.results.length} verdicts returned` });
    i = j;
  }
  // Captured uploads replayed whole, Idempotency-Key and body, under another home's account: one per 30 hostile records.
  const captured = ctx.captured!.splice(0);
  const replays = Math.min(captured.length, Math.ceil(fleet.options.hostile.recordsPerDay / 30));
  for (let k = 0; k < replays && fleet.hhTo - fleet.hhFrom > 1; k++) await replayUpload(ctx, captured[k]!, day, counts);
}

/**
 * A captured honest upload sent again, same Idempotency-Key and body, by the first phone of the
 * next home: keys belong to the account that used them, so the platform must judge it afresh —
 * every record another home's, so rejected (device-not-bonded, or a time rule) — and must not
 * replay the owner's answer (`Idempotent-Replayed`) or store anything.
 */
async function replayUpload(ctx: FleetContext, c: CapturedUpload, day: number, counts: HostileCounts): Promise<void> {
  const { fleet, ledger } = ctx;
  const home = fleet.phoneHousehold[c.phone]!;
  const thief = fleet.hhFirstPhone[home + 1 < fleet.hhTo ? home + 1 : fleet.hhFrom]!;
  const answer = await upload(ctx, thief, c.key, c.body, { hostile: true });
  const tally = counts['replayed-upload'];
  tally.records += answer.results.length;
  if (answer.replayed) {
    tally.answers['replayed'] = (tally.answers['replayed'] ?? 0) + answer.results.length;
    ledger.violation({ check: 'hostile-key-crossed', detail: `upload ${c.key} of phone ${c.phone} (home ${home}), replayed with its key and body by phone ${thief} of another home on day ${day + 1}, was answered with the owner's answer (Idempotent-Replayed), not judged afresh for the other account` });
    return;
  }
  for (const res of answer.results) {
    const got = res.verdict === 'rejected' ? (res.code ?? 'rejected') : res.verdict;
    tally.answers[got] = (tally.answers[got] ?? 0) + 1;
    if (res.verdict === 'rejected') continue;
    ledger.violation({ check: 'hostile-unbonded-accepted', deviceId: res.deviceId, seq: res.seq, detail: `upload ${c.key} of phone ${c.phone} (home ${home}), replayed by phone ${thief} of another home on day ${day + 1}: device ${res.deviceId} seq ${res.seq} was answered ${res.verdict}, not rejected` });
  }
}

function judgeHostile(ctx: FleetContext, r: HostileRecord, res: RecordAnswer | undefined, counts: HostileCounts): void {
  const c = counts[r.kind];
  c.records++;
  const got = res === undefined ? 'no verdict' : res.verdict === 'rejected' ? (res.code ?? 'rejected') : res.verdict;
  c.answers[got] = (c.answers[got] ?? 0) + 1;
  // Refused for the rule the kind breaks; or, where the record's time is outside the platform's
  // time rules too (a device whose clock was reset), for that rule: which check comes first is the platform's.
  const time = ctx.ledger.expect(r.startedAt, ctx.nowMs);
  if (res && res.verdict === 'rejected' && (res.code === HOSTILE_EXPECTED[r.kind] || (time !== 'accept' && res.code === time))) return;
  const deviceId = ctx.fleet.deviceId(r.d);
  ctx.ledger.violation({
    check: r.kind === 'replayed-elsewhere' ? 'hostile-unbonded-accepted' : 'hostile-signature-accepted',
    deviceId,
    seq: r.seq,
    detail: `a ${r.kind} record (device ${deviceId} seq ${r.seq}, uploaded by phone ${r.phone} of ${r.kind === 'replayed-elsewhere' ? 'another home' : 'its own home'}) was answered ${res ? `${res.verdict}${res.code ? ` ${res.code}` : ''}` : 'with no verdict'}, not rejected ${HOSTILE_EXPECTED[r.kind]}`,
  });
}

/** Per edge of {@link TIME_EDGES} (by label): records aimed at it, the verdict they must get, and the verdicts they got. */
export type EdgeCounts = Record<string, { records: number; expected: string; answers: Record<string, number> }>;

/**
 * After the run's end: the records the world aims at each edge of the platform's time
 * rules (as the ledger holds them: the platform's declared values), relayed by their
 * phones at the exact platform times that put them there, and booked like every
 * other verdict — so ING-4 judges each one.
 */
async function driveTimeEdges(ctx: FleetContext, endS: number): Promise<EdgeCounts> {
  const { fleet, ledger, progress } = ctx;
  const records = produceTimeEdges(fleet, ledger.rules, endS, ledger);
  const counts: EdgeCounts = Object.fromEntries(TIME_EDGES.map((e) => [e.label, { records: 0, expected: edgeExpectation(e), answers: {} }]));
  for (const r of records) counts[TIME_EDGES[r.edge]!.label]!.records++;
  progress.start('time-rule edges', records.length, () => `window ${ledger.rules.lateWindowSeconds} s, skew ${ledger.rules.futureSkewSeconds} s`);
  for (let i = 0; i < records.length; ) {
    const { uploadS, phone } = records[i]!;
    let j = i;
    while (j < records.length && records[j]!.uploadS === uploadS && records[j]!.phone === phone) j++;
    const group = records.slice(i, j);
    await ctx.hooks?.beforeSlot?.(uploadS * 1000);
    await setClock(ctx, uploadS * 1000);
    const c: Collected = { phone, household: fleet.phoneHousehold[phone]!, t: uploadS, reinstalled: false, devices: group.map((r) => r.d), seqs: group.map((r) => r.seq), times: group.map((r) => r.madeS) };
    const plan: UploadPlan = { start: 0, end: group.length, idempotencyKey: `p${phone.toString(36)}-t${uploadS.toString(36)}-edge`, timeoutAfterCommit: false };
    const answers = await relay(ctx, c, [plan], (k) => group[k]!.record);
    for (const a of answers) {
      a.results.forEach((res, k) => {
        const e = counts[TIME_EDGES[group[k]!.edge]!.label]!;
        const key = res.verdict === 'rejected' ? (res.code ?? 'rejected') : res.verdict;
        e.answers[key] = (e.answers[key] ?? 0) + 1;
      });
    }
    progress.add(group.length);
    i = j;
  }
  progress.end(`${records.length} records at ${TIME_EDGES.length} edges`);
  progress.log(`time-rule edges: ${Object.entries(counts).map(([label, e]) => `${label} ${Object.entries(e.answers).map(([k, n]) => `${n} ${k}`).join('/') || 'none'}`).join(', ')}`);
  return counts;
}

/** Set the platform's virtual clock (it never goes backwards). */
export async function setClock(ctx: FleetContext, epochMs: number): Promise<void> {
  if (epochMs === ctx.nowMs) return;
  const r = await ctx.http.sendIdempotent('PUT', '/testbed/clock', { 'content-type': 'application/json' }, JSON.stringify({ epochMs }));
  if (r.status === 404) throw new FleetRunError('FLEETBED_FLEET_NOT_TEST_MODE', `PUT /testbed/clock answered 404: the platform at ${ctx.http.apiUrl} is not in test mode, and a fleet run needs its virtual clock.`);
  expectStatus(`setting the platform clock to ${new Date(epochMs).toISOString()}`, r, 200);
  ctx.nowMs = (JSON.parse(r.text) as { epochMs: number }).epochMs;
}

/**
 * The time rules the platform declares with its clock (GET /testbed/clock `timeRules`):
 * the late window and the future-skew limit its uploads are judged by. `undefined` when
 * the platform declares none.
 */
export async function readTimeRules(ctx: FleetContext): Promise<PlatformRules | undefined> {
  const r = await ctx.http.sendIdempotent('GET', '/testbed/clock', {}, undefined);
  if (r.status === 404) throw new FleetRunError('FLEETBED_FLEET_NOT_TEST_MODE', `GET /testbed/clock answered 404: the platform at ${ctx.http.apiUrl} is not in test mode, and a fleet run needs its virtual clock.`);
  expectStatus('reading the platform clock', r, 200);
  const rules = (JSON.parse(r.text) as { timeRules?: Partial<PlatformRules> }).timeRules;
  if (!rules) return undefined;
  const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (!ok(rules.lateWindowSeconds) || !ok(rules.futureSkewSeconds)) expectStatus(`reading the platform's time rules (timeRules must hold whole seconds ≥ 0, got ${JSON.stringify(rules)})`, r, -1);
  return { lateWindowSeconds: rules.lateWindowSeconds!, futureSkewSeconds: rules.futureSkewSeconds! };
}

/** Read the platform's virtual clock. */
export async function readClock(ctx: FleetContext): Promise<number> {
  const r = await ctx.http.sendIdempotent('GET', '/testbed/clock', {}, undefined);
  if (r.status === 404) throw new FleetRunError('FLEETBED_FLEET_NOT_TEST_MODE', `GET /testbed/clock answered 404: the platform at ${ctx.http.apiUrl} is not in test mode, and a fleet run needs its virtual clock.`);
  expectStatus('reading the platform clock', r, 200);
  return (JSON.parse(r.text) as { epochMs: number }).epochMs;
}

async function runSlot(ctx: FleetContext, slot: SlotPlan, final: boolean): Promise<void> {
  let i = 0;
  await runWorkers(ctx.workers, () => {
    if (i >= slot.phones.length) return undefined;
    const c = syncPhone(ctx.fleet, slot.phones[i]!, slot.times[i]!, ctx.ledger, { final });
    i++;
    const plans = planUploads(ctx.fleet, c);
    return async () => {
      await relay(ctx, c, plans);
      ctx.progress.add();
    };
  });
}

/**
 * The phone relays what it collected: one upload per plan, retried after a (simulated) timeout with the same key and body.
 * `recordOf(k)` is record `k` as its device wrote it (default: recomputed from the fleet). Returns the answers booked.
 */
async function relay(ctx: FleetContext, c: Collected, plans: UploadPlan[], recordOf?: (k: number) => SessionRecord): Promise<UploadAnswer[]> {
  if (c.reinstalled) {
    ctx.stats.reinstalls++;
    ctx.app.signOut(c.phone);
  }
  const answers: UploadAnswer[] = [];
  if (plans.length === 0) return answers;
  const keys = new Map<number, KeyObject>();
  for (const plan of plans) {
    const startedAt: number[] = [];
    const sent: Uint8Array[] = [];
    const records: string[] = [];
    for (let k = plan.start; k < plan.end; k++) {
      const d = c.devices[k]!;
      let key = keys.get(d);
      if (!key) keys.set(d, (key = privateKeyFromSeed(deviceKeySeed(ctx.fleet.seed, d))));
      const record = recordOf ? recordOf(k) : sessionRecordOf(ctx.fleet, d, c.seqs[k]!, c.times[k]!);
      const bytes = encodeSessionRecord(record);
      // The device signs and sends over BLE; the phone uploads what the framing delivered.
      const signed = packSignedRecord(bytes, signWith(key, sessionRecordSigningBytes(bytes)));
      const delivered = carryOverBle(record.deviceId, record.seq, signed);
      records.push(Buffer.from(delivered).toString('base64url'));
      sent.push(delivered);
      startedAt.push(record.startedAt);
    }
    const body = JSON.stringify({ records });
    // Overheard by a hostile phone: the first upload of each relay, taken before the first await, so in the simulation's order.
    if (ctx.captured && plan === plans[0] && ctx.captured.length < CAPTURE_RING) ctx.captured.push({ phone: c.phone, key: plan.idempotencyKey, body });
    let answer = await upload(ctx, c.phone, plan.idempotencyKey, body);
    if (plan.timeoutAfterCommit) {
      // The phone gave up waiting: it never saw `answer`, and sends the same key and body again.
      const again = await upload(ctx, c.phone, plan.idempotencyKey, body);
      ctx.stats.replays++;
      ctx.ledger.recordReplay(again.replayed && sameAnswer(answer, again), `upload ${plan.idempotencyKey} of phone ${c.phone}: the retry ${again.replayed ? 'was replayed' : 'was not marked Idempotent-Replayed'} with ${sameAnswer(answer, again) ? 'the same' : 'a different'} answer (${answer.status} → ${again.status})`);
      answer = again;
    }
    book(ctx, c, plan, answer, startedAt, sent);
    answers.push(answer);
  }
  return answers;
}

async function upload(ctx: FleetContext, p: number, key: string, body: string, how: { hostile?: boolean } = {}): Promise<UploadAnswer> {
  for (let attempt = 0; ; attempt++) {
    await ensureAccess(ctx, p, attempt > 0);
    const sentAt = performance.now();
    // Uploads carry an Idempotency-Key, so retrying through resets and restarts is safe: allow ~25 s of backoff.
    const r: HttpResult = await ctx.http.sendIdempotent('POST', '/v2/uploads', { 'content-type': 'application/json', authorization: `Bearer ${ctx.app.accessToken(p)}`, 'idempotency-key': key }, body, 9);
    ctx.stats.uploads++;
    if (r.status === 401 && attempt < 2) continue;
    if (r.status === 409 && r.text.includes('idempotency-key-in-flight') && attempt < 20) {
      ctx.stats.uploadRetries++;
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    expectStatus(`upload ${key} of phone ${p}`, r, 200, 422);
    const parsed = JSON.parse(r.text) as { results?: RecordAnswer[]; counts?: UploadAnswer['counts'] };
    if (!Array.isArray(parsed.results) || !parsed.counts) expectStatus(`upload ${key} of phone ${p} (answer without per-record results)`, r, -1);
    ctx.stats.recordsSent += parsed.results!.length;
    // Hostile uploads are the world's, not the fleet's load: their refusals are not upload errors.
    if (!how.hostile) ctx.hooks?.upload?.({
      platformMs: ctx.nowMs,
      latencyMs: performance.now() - sentAt,
      status: r.status,
      counts: parsed.counts!,
      late: parsed.results!.filter((x) => x.code === 'too-late').length,
      replayed: r.headers['idempotent-replayed'] === 'true',
    });
    return { status: r.status, replayed: r.headers['idempotent-replayed'] === 'true', results: parsed.results!, counts: parsed.counts! };
  }
}

function sameAnswer(a: UploadAnswer, b: UploadAnswer): boolean {
  if (a.status !== b.status || a.results.length !== b.results.length) return false;
  if (a.counts.stored !== b.counts.stored || a.counts.duplicate !== b.counts.duplicate || a.counts.rejected !== b.counts.rejected) return false;
  return a.results.every((r, i) => {
    const o = b.results[i]!;
    return r.deviceId === o.deviceId && r.seq === o.seq && r.verdict === o.verdict && r.code === o.code;
  });
}

/** Book each verdict; `sent[i]` is the copy the platform received (its content joins the ledger's digest when stored). */
function book(ctx: FleetContext, c: Collected, plan: UploadPlan, answer: UploadAnswer, startedAt: number[], sent: Uint8Array[]): void {
  const { fleet, ledger } = ctx;
  if (answer.results.length !== plan.end - plan.start) {
    ledger.violation({ check: 'answer-count', detail: `upload ${plan.idempotencyKey}: ${plan.end - plan.start} records sent, ${answer.results.length} verdicts returned` });
  }
  for (let i = 0; i < answer.results.length && plan.start + i < plan.end; i++) {
    const r = answer.results[i]!;
    const d = c.devices[plan.start + i]!;
    const seq = c.seqs[plan.start + i]!;
    if (r.deviceId !== fleet.deviceId(d) || r.seq !== seq) {
      ledger.violation({ check: 'answer-order', deviceId: fleet.deviceId(d), seq, detail: `verdict ${i} of upload ${plan.idempotencyKey} names device ${r.deviceId} seq ${r.seq}` });
      continue;
    }
    ledger.recordVerdict(d, seq, startedAt[i]!, ctx.nowMs, r.verdict, r.code, sent[i]);
  }
}
