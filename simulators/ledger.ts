import { createHash } from 'node:crypto';
import { SESSION_RECORD_BYTES } from '../contract/record.ts';
import type { ProductionObserver } from './device.ts';
import type { Fleet } from './fleet.ts';

/** The per-record verdicts of an upload (the platform's contract). */
export type Verdict = 'stored' | 'duplicate' | 'rejected';

/** Rejection codes the platform may give a record. */
export const REJECTION_CODES = Object.freeze(['signature-invalid', 'device-not-bonded', 'too-late', 'too-far-in-future', 'seq-conflict'] as const);
export type RejectionCode = (typeof REJECTION_CODES)[number];

/** What the platform is expected to answer for a record, from its time rules alone. */
export type Expectation = 'accept' | 'too-late' | 'too-far-in-future';

/** The platform's time rules the ledger judges verdicts by (the reference API's defaults). */
export interface PlatformRules {
  /** Records whose startedAt is more than this before the platform clock are rejected too-late. */
  lateWindowSeconds: number;
  /** Records whose startedAt is more than this after the platform clock are rejected too-far-in-future. */
  futureSkewSeconds: number;
}
export const PLATFORM_RULE_DEFAULTS: Readonly<PlatformRules> = Object.freeze({ lateWindowSeconds: 30 * 86_400, futureSkewSeconds: 86_400 });

/** A copy relayed this long (true time) after the session counts as late. */
const LATE_AFTER_S = 86_400;
const MAX_EXAMPLES = 20;
const TWO_32 = 0x1_0000_0000;

/**
 * The content a record is judged by: its SESSION_RECORD_BYTES canonical bytes
 * with the headChanged flag (byte 1, bit 1) cleared — every field the platform
 * serves back (GET /v2/devices/{id}/sessions does not serve headChanged), so the
 * same value is computable from the ledger's copy, from the platform's stored
 * columns (SQL) and from its sessions listing. The signature is left out: under
 * strict Ed25519 it is a function of the record bytes and the device key
 * (AUTH-1 re-verifies stored signatures).
 */
export function recordContent(record: Uint8Array): Uint8Array {
  if (record.length < SESSION_RECORD_BYTES) throw new RangeError(`a record's content needs its ${SESSION_RECORD_BYTES} record bytes, got ${record.length}`);
  const c = Uint8Array.from(record.subarray(0, SESSION_RECORD_BYTES));
  c[1] = c[1]! & 0b01;
  return c;
}

/** The 16-byte key of a fleet's content hashes (from its seed): the platform cannot aim a wrong copy at a known hash. */
export function contentKey(seed: number): Buffer {
  return createHash('sha256').update(`fleetbed-ledger-content/v1\0${seed >>> 0}`).digest().subarray(0, 16);
}

/**
 * The content hash of one record: the first 4 bytes (big-endian u32) of
 * SHA-256(key ‖ recordContent(record)). A device's content digest is the sum
 * of its stored records' hashes mod 2^32: O(1) per device, independent of the
 * order answers arrive, and a copy stored twice counts twice (a XOR would cancel).
 */
export function contentHash(key: Uint8Array, record: Uint8Array): number {
  return createHash('sha256').update(key).update(recordContent(record)).digest().readUInt32BE(0);
}

/** Ledger totals (all deterministic for a seed, scenario and code, except `reorderedStores`). */
export interface LedgerTotals {
  devices: number;
  /** Records devices made. */
  produced: number;
  /** Overwritten in a device's ring before any phone collected them. */
  lostAtDevice: number;
  /** Still in a device's ring, never collected, when the totals were taken. */
  pendingAtDevice: number;
  /** Distinct records a phone collected and relayed at least once. */
  relayed: number;
  /** Record copies sent (a record relayed by two phones, or twice by one, counts twice). */
  copies: number;
  /** Copies relayed more than a day after the session (late uploads). */
  lateCopies: number;
  /** Distinct records the platform answered `stored` for. */
  stored: number;
  /** Distinct records explicitly rejected (and never stored). */
  rejected: number;
  /** `duplicate` verdicts (second and later copies). */
  duplicateVerdicts: number;
  /** Every rejection verdict, by code (a stored record rejected on a later late relay counts here too). */
  rejectionsByCode: Record<string, number>;
  /** Uploads retried after a simulated timeout whose replayed answer was checked against the original. */
  replays: number;
  /** Records relayed but never answered stored, nor rejected with the code the time rules predict (each is also a violation). */
  unanswered: number;
  /** Checks that failed. */
  violations: number;
  /** Stored verdicts for a seq below the device's highest stored seq (arrival order; not in the digest). */
  reorderedStores: number;
}

/** One failed check, in words, with the device and seq when it concerns a record. */
export interface LedgerViolation {
  check: string;
  deviceId?: number;
  seq?: number;
  detail: string;
}

/**
 * The fleet's books: what every device produced, what it lost before any phone
 * collected it, what phones relayed at least once, and what the platform
 * answered — enough to prove exactly-once ingestion (ING-1) for a million
 * devices with a few typed arrays, no list per device.
 *
 * Per device (u32 columns): `relayedMax` (highest seq any phone collected),
 * `relayed`, `lost`, `stored`, `storedMax`, `storedSum` (seqs, mod 2^32),
 * `storedContent` (sum of the {@link contentHash} of the copy first answered
 * stored, mod 2^32), `rejected`; and two 32-bit windows (`storedBits`, `rejectedBits`, bit
 * `seq & 31`) telling whether a record still in the ring was already answered.
 * A window bit is reset when its record is first collected, which is safe
 * because a ring holds at most 32 records and every answer about a record
 * arrives before 32 newer records of the same device are collected.
 *
 * Every stored record has exactly one `stored` answer; every relayed record is
 * stored or rejected with the code the platform's time rules predict. The
 * checker compares `stored`, `storedMax`, `storedSum` and `storedContent` per
 * device with what the platform actually holds: the counts prove each record
 * is there once, the content digest that it holds the bytes it acknowledged.
 */
export class Ledger implements ProductionObserver {
  readonly fleet: Fleet;
  readonly rules: PlatformRules;
  readonly relayedMax: Uint32Array;
  readonly relayed: Uint32Array;
  readonly lost: Uint32Array;
  readonly stored: Uint32Array;
  readonly storedMax: Uint32Array;
  readonly storedSum: Uint32Array;
  readonly storedContent: Uint32Array;
  readonly rejected: Uint32Array;
  readonly storedBits: Uint32Array;
  readonly rejectedBits: Uint32Array;

  #copies = 0;
  #lateCopies = 0;
  #duplicates = 0;
  #replays = 0;
  #reordered = 0;
  #unanswered = 0;
  #storedWithoutContent = 0;
  readonly #contentKey: Buffer;
  readonly #rejections: Record<string, number> = {};
  #violations = 0;
  readonly #examples: LedgerViolation[] = [];

  constructor(fleet: Fleet, rules: Partial<PlatformRules> = {}) {
    this.fleet = fleet;
    this.rules = { ...PLATFORM_RULE_DEFAULTS, ...rules };
    this.#contentKey = contentKey(fleet.seed);
    const n = fleet.deviceCount;
    this.relayedMax = new Uint32Array(n);
    this.relayed = new Uint32Array(n);
    this.lost = new Uint32Array(n);
    this.stored = new Uint32Array(n);
    this.storedMax = new Uint32Array(n);
    this.storedSum = new Uint32Array(n);
    this.storedContent = new Uint32Array(n);
    this.rejected = new Uint32Array(n);
    this.storedBits = new Uint32Array(n);
    this.rejectedBits = new Uint32Array(n);
  }

  /** A device wrote record `seq`; the record `ringCapacity` older is overwritten — lost if no phone ever took it. */
  onProduced(d: number, seq: number): void {
    const victim = seq - this.fleet.ringCapacity;
    if (victim >= 1 && victim > this.relayedMax[d]!) this.lost[d]!++;
  }

  /**
   * A phone collected records `from..to` of device `d` at true time `t`
   * (`times[i]` is when record `from + i` was made) and will relay them.
   */
  onCollected(d: number, from: number, to: number, times: ArrayLike<number>, t: number): void {
    const n = to - from + 1;
    this.#copies += n;
    for (let i = 0; i < n; i++) if (t - times[i]! > LATE_AFTER_S) this.#lateCopies++;
    const max = this.relayedMax[d]!;
    if (to <= max) return;
    const first = Math.max(from, max + 1);
    this.relayed[d]! += to - first + 1;
    let clear = 0;
    for (let s = first; s <= to && clear !== -1; s++) clear |= 1 << (s & 31);
    this.storedBits[d]! &= ~clear;
    this.rejectedBits[d]! &= ~clear;
    this.relayedMax[d] = to;
  }

  /** What the platform should answer for a record that started at `startedAt` (device clock, s) at platform time `nowMs`. */
  expect(startedAt: number, nowMs: number): Expectation {
    const nowS = nowMs / 1000;
    if (nowS - startedAt > this.rules.lateWindowSeconds) return 'too-late';
    if (startedAt - nowS > this.rules.futureSkewSeconds) return 'too-far-in-future';
    return 'accept';
  }

  /**
   * Where a record stands against the time rules, in words: how far its startedAt is
   * before (or after) the platform clock, and its distance from that rule's limit —
   * e.g. `startedAt 1767225599 is 2592001 s before the platform clock 1769817600000 ms:
   * 1 s past the late window (2592000 s)`. Exactly at a limit is inside (the rules are "more than").
   */
  standing(startedAt: number, nowMs: number): string {
    const gap = nowMs / 1000 - startedAt;
    const [side, rule, limit] = gap >= 0 ? ['before', 'late window', this.rules.lateWindowSeconds] : ['after', 'future-skew limit', this.rules.futureSkewSeconds];
    const past = Math.abs(gap) - limit;
    const where = past > 0 ? `${seconds(past)} s past` : past === 0 ? 'exactly at' : `${seconds(-past)} s inside`;
    return `startedAt ${startedAt} is ${seconds(Math.abs(gap))} s ${side} the platform clock ${nowMs} ms: ${where} the ${rule} (${limit} s)`;
  }

  /** The key of this fleet's content hashes (the checkers hash the platform's rows with it). */
  get contentKey(): Buffer {
    return this.#contentKey;
  }

  /**
   * Stored verdicts booked without the record's bytes: their content is
   * unknown, so `storedContent` is incomplete and content is not compared
   * (0 when every caller passes the bytes it sent).
   */
  get storedWithoutContent(): number {
    return this.#storedWithoutContent;
  }

  /**
   * Book the platform's answer for record `seq` of device `d`, judged at
   * platform time `nowMs`. `record` is the copy that was sent (the record
   * bytes, optionally followed by the signature): when the answer is the
   * record's first `stored`, its content hash joins the device's digest.
   */
  recordVerdict(d: number, seq: number, startedAt: number, nowMs: number, verdict: Verdict, code?: string, record?: Uint8Array): void {
    const expected = this.expect(startedAt, nowMs);
    const bit = 1 << (seq & 31);
    if (seq > this.relayedMax[d]! || seq < 1) {
      this.violation({ check: 'verdict-for-unrelayed', deviceId: this.fleet.deviceId(d), seq, detail: `a ${verdict} verdict for a record no phone relayed (highest relayed seq ${this.relayedMax[d]})` });
      return;
    }
    if (verdict === 'stored') {
      if (expected !== 'accept') this.violation({ check: 'stored-despite-time-rule', deviceId: this.fleet.deviceId(d), seq, detail: `stored, but the time rules make it ${expected}: ${this.standing(startedAt, nowMs)}` });
      if ((this.storedBits[d]! & bit) !== 0) {
        this.violation({ check: 'stored-twice', deviceId: this.fleet.deviceId(d), seq, detail: 'the platform answered stored for a record it had already stored' });
      } else if ((this.rejectedBits[d]! & bit) !== 0) {
        this.violation({ check: 'stored-after-rejected', deviceId: this.fleet.deviceId(d), seq, detail: 'the platform stored a record it had rejected before' });
      } else {
        this.storedBits[d]! |= bit;
        this.stored[d]!++;
        this.storedSum[d] = (this.storedSum[d]! + seq) % TWO_32;
        if (record) this.storedContent[d] = (this.storedContent[d]! + contentHash(this.#contentKey, record)) % TWO_32;
        else this.#storedWithoutContent++;
        if (seq > this.storedMax[d]!) this.storedMax[d] = seq;
        else this.#reordered++;
      }
    } else if (verdict === 'duplicate') {
      this.#duplicates++;
      if (expected !== 'accept') this.violation({ check: 'duplicate-despite-time-rule', deviceId: this.fleet.deviceId(d), seq, detail: `answered duplicate, but the time rules make it ${expected}: ${this.standing(startedAt, nowMs)}` });
    } else {
      const c = code ?? 'unknown';
      this.#rejections[c] = (this.#rejections[c] ?? 0) + 1;
      if (c !== expected) {
        this.violation({ check: 'unexpected-rejection', deviceId: this.fleet.deviceId(d), seq, detail: `rejected as ${c}; the platform's time rules predict ${expected === 'accept' ? 'acceptance' : expected} (${this.standing(startedAt, nowMs)})` });
      } else if ((this.storedBits[d]! & bit) === 0 && (this.rejectedBits[d]! & bit) === 0) {
        this.rejectedBits[d]! |= bit;
        this.rejected[d]!++;
      }
    }
  }

  /** An upload retried after a (simulated) timeout: `same` is whether the replayed answer equals the first. */
  recordReplay(same: boolean, detail: string): void {
    this.#replays++;
    if (!same) this.violation({ check: 'replay-differs', detail });
  }

  /** A failed check. The first few are kept with their details. */
  violation(v: LedgerViolation): void {
    this.#violations++;
    if (this.#examples.length < MAX_EXAMPLES) this.#examples.push(v);
  }

  /**
   * Close the books: every relayed record must have been stored or rejected
   * (an answer of only `duplicate`, or none, is a loss). Call once, after the
   * last upload; returns the violations found now and before.
   */
  close(): LedgerViolation[] {
    for (let d = 0; d < this.fleet.deviceCount; d++) {
      const answered = this.stored[d]! + this.rejected[d]!;
      if (answered !== this.relayed[d]) {
        const missing = this.relayed[d]! - answered;
        if (missing > 0) this.#unanswered += missing;
        this.violation({ check: 'relayed-not-answered', deviceId: this.fleet.deviceId(d), detail: `${this.relayed[d]} records relayed, ${this.stored[d]} stored and ${this.rejected[d]} rejected as the time rules predict: ${missing} never got either answer` });
      }
    }
    return this.violations();
  }

  violations(): LedgerViolation[] {
    return [...this.#examples];
  }

  totals(): LedgerTotals {
    return totalsOf(this.fleet.deviceCount, this.#columns(0, this.fleet.deviceCount), this.#counters());
  }

  /** Bytes held by the ledger's columns. */
  stateBytes(): number {
    let total = 0;
    for (const v of Object.values(this)) if (ArrayBuffer.isView(v)) total += v.byteLength;
    return total;
  }

  /**
   * SHA-256 (hex) over the ledger's canonical content: a header, the per-device
   * columns (produced, relayed, lost, stored, storedMax, storedSum,
   * storedContent, rejected) as little-endian u32, and the totals except
   * arrival-order ones. (v2 added storedContent: v1 digests are not comparable.) Same seed,
   * scenario and code → same digest; and the digest {@link mergeLedgerParts} computes from
   * the parts of a sharded run equals the digest of the same run in one process.
   */
  digest(): string {
    return digestOf(layoutOf(this.fleet), this.#columns(0, this.fleet.deviceCount), this.totals());
  }

  /**
   * This process's share of the books (`--shard i/n`): the columns of the slice's devices
   * and the counters. {@link encodeLedgerPart} writes it; {@link mergeLedgerParts} adds the
   * parts of every shard back into the whole fleet's totals and digest.
   */
  part(): LedgerPart {
    const f = this.fleet;
    return { layout: layoutOf(f), shard: { ...f.options.shard }, deviceFrom: f.deviceFrom, deviceTo: f.deviceTo, counters: this.#counters(), violations: this.violations(), columns: this.#columns(f.deviceFrom, f.deviceTo) };
  }

  #columns(from: number, to: number): Uint32Array[] {
    return [this.fleet.seq, this.relayed, this.lost, this.stored, this.storedMax, this.storedSum, this.storedContent, this.rejected].map((c) => c.subarray(from, to));
  }

  #counters(): LedgerCounters {
    return {
      copies: this.#copies,
      lateCopies: this.#lateCopies,
      duplicateVerdicts: this.#duplicates,
      replays: this.#replays,
      unanswered: this.#unanswered,
      violations: this.#violations,
      reorderedStores: this.#reordered,
      storedWithoutContent: this.#storedWithoutContent,
      rejectionsByCode: { ...this.#rejections },
    };
  }
}

/** The fleet's shape, as the digest's header states it. */
export interface LedgerLayout {
  seed: number;
  devices: number;
  households: number;
  phones: number;
  deviceIdBase: number;
  ringCapacity: number;
}

/** The ledger's figures that are not per-device columns: each adds up across shards. */
export interface LedgerCounters {
  copies: number;
  lateCopies: number;
  duplicateVerdicts: number;
  replays: number;
  unanswered: number;
  violations: number;
  reorderedStores: number;
  storedWithoutContent: number;
  rejectionsByCode: Record<string, number>;
}

/** One shard's books: see {@link Ledger.part}. `columns` are the 8 digest columns over `deviceFrom..deviceTo-1`. */
export interface LedgerPart {
  layout: LedgerLayout;
  shard: { index: number; count: number };
  deviceFrom: number;
  deviceTo: number;
  counters: LedgerCounters;
  violations: LedgerViolation[];
  columns: Uint32Array[];
}

/** The whole fleet's books, added up from every shard's part. */
export interface MergedLedger {
  layout: LedgerLayout;
  digest: string;
  totals: LedgerTotals;
  storedWithoutContent: number;
  violations: LedgerViolation[];
}

const COLUMNS = 8;
const PART_FORMAT = 'fleetbed-ledger-part/v1';

function layoutOf(f: Fleet): LedgerLayout {
  return { seed: f.seed, devices: f.deviceCount, households: f.householdCount, phones: f.phoneCount, deviceIdBase: f.deviceIdBase, ringCapacity: f.ringCapacity };
}

function totalsOf(devices: number, columns: Uint32Array[], c: LedgerCounters): LedgerTotals {
  const [seq, relayedC, lostC, storedC, , , , rejectedC] = columns as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let produced = 0;
  let lost = 0;
  let relayed = 0;
  let stored = 0;
  let rejected = 0;
  for (let d = 0; d < seq.length; d++) {
    produced += seq[d]!;
    lost += lostC[d]!;
    relayed += relayedC[d]!;
    stored += storedC[d]!;
    rejected += rejectedC[d]!;
  }
  return {
    devices,
    produced,
    lostAtDevice: lost,
    pendingAtDevice: produced - lost - relayed,
    relayed,
    copies: c.copies,
    lateCopies: c.lateCopies,
    stored,
    rejected,
    duplicateVerdicts: c.duplicateVerdicts,
    rejectionsByCode: Object.fromEntries(Object.entries(c.rejectionsByCode).sort(([a], [b]) => (a < b ? -1 : 1))),
    replays: c.replays,
    unanswered: c.unanswered,
    violations: c.violations,
    reorderedStores: c.reorderedStores,
  };
}

function digestOf(layout: LedgerLayout, columns: Uint32Array[], totals: LedgerTotals): string {
  const h = createHash('sha256');
  const { reorderedStores: _ignored, ...rest } = totals;
  h.update(`fleetbed-ledger/v2\n${JSON.stringify({ devices: layout.devices, households: layout.households, phones: layout.phones, deviceIdBase: layout.deviceIdBase, ringCapacity: layout.ringCapacity })}\n`);
  for (const column of columns) h.update(littleEndian(column));
  h.update(JSON.stringify(rest));
  return h.digest('hex');
}

/** A ledger part as bytes: one JSON header line, then the columns as little-endian u32, column after column. */
export function encodeLedgerPart(part: LedgerPart): Buffer {
  const { columns, ...header } = part;
  const head = Buffer.from(`${JSON.stringify({ format: PART_FORMAT, ...header })}\n`, 'utf8');
  return Buffer.concat([head, ...columns.map((c) => Buffer.from(littleEndian(c)))]);
}

/** Read {@link encodeLedgerPart}'s bytes back; throws a RangeError saying what is wrong with them. */
export function decodeLedgerPart(bytes: Uint8Array, name = 'ledger part'): LedgerPart {
  const nl = bytes.indexOf(10);
  if (nl < 0) throw new RangeError(`${name} is not a fleetbed ledger part (no header line)`);
  let header: Omit<LedgerPart, 'columns'> & { format?: string };
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(0, nl)).toString('utf8')) as typeof header;
  } catch {
    throw new RangeError(`${name} is not a fleetbed ledger part (its header is not JSON)`);
  }
  if (header.format !== PART_FORMAT) throw new RangeError(`${name} has format ${JSON.stringify(header.format)}, expected ${PART_FORMAT}: it was written by another fleetbed version`);
  const n = header.deviceTo - header.deviceFrom;
  if (!Number.isInteger(n) || n < 0 || bytes.length - nl - 1 !== COLUMNS * n * 4) throw new RangeError(`${name} is truncated or padded: ${bytes.length - nl - 1} column bytes for ${n} devices (expected ${COLUMNS * n * 4})`);
  const body = Buffer.from(bytes.subarray(nl + 1));
  const columns: Uint32Array[] = [];
  for (let k = 0; k < COLUMNS; k++) {
    const c = new Uint32Array(n);
    for (let i = 0; i < n; i++) c[i] = body.readUInt32LE((k * n + i) * 4);
    columns.push(c);
  }
  const { format: _f, ...rest } = header;
  return { ...rest, columns };
}

/**
 * Add the parts of a sharded run back into the whole fleet's books: every part must be of
 * the same fleet and shard count, each shard present once, their device slices tiling the
 * fleet. The digest equals the one a single process running the same seed computes.
 */
export function mergeLedgerParts(parts: readonly LedgerPart[]): MergedLedger {
  if (parts.length === 0) throw new RangeError('no ledger parts to merge');
  const layout = parts[0]!.layout;
  const count = parts[0]!.shard.count;
  const same = JSON.stringify(layout);
  const byIndex = new Map<number, LedgerPart>();
  for (const p of parts) {
    if (JSON.stringify(p.layout) !== same) throw new RangeError(`ledger parts of different fleets: ${same} and ${JSON.stringify(p.layout)} (same seed, size and options for every shard)`);
    if (p.shard.count !== count) throw new RangeError(`ledger parts of different shard counts: ${count} and ${p.shard.count}`);
    if (byIndex.has(p.shard.index)) throw new RangeError(`shard ${p.shard.index}/${count} is there twice`);
    byIndex.set(p.shard.index, p);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length > 0) throw new RangeError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing: a merge needs every shard of the run`);
  const columns = Array.from({ length: COLUMNS }, () => new Uint32Array(layout.devices));
  const counters: LedgerCounters = { copies: 0, lateCopies: 0, duplicateVerdicts: 0, replays: 0, unanswered: 0, violations: 0, reorderedStores: 0, storedWithoutContent: 0, rejectionsByCode: {} };
  const violations: LedgerViolation[] = [];
  let next = 0;
  for (let i = 1; i <= count; i++) {
    const p = byIndex.get(i)!;
    if (p.deviceFrom !== next) throw new RangeError(`shard ${i}/${count} covers devices ${p.deviceFrom}..${p.deviceTo - 1}, expected to start at ${next}`);
    p.columns.forEach((c, k) => columns[k]!.set(c, p.deviceFrom));
    next = p.deviceTo;
    for (const k of ['copies', 'lateCopies', 'duplicateVerdicts', 'replays', 'unanswered', 'violations', 'reorderedStores', 'storedWithoutContent'] as const) counters[k] += p.counters[k];
    for (const [code, n] of Object.entries(p.counters.rejectionsByCode)) counters.rejectionsByCode[code] = (counters.rejectionsByCode[code] ?? 0) + n;
    for (const v of p.violations) if (violations.length < MAX_EXAMPLES) violations.push(v);
  }
  if (next !== layout.devices) throw new RangeError(`the shards cover devices 0..${next - 1} of ${layout.devices}`);
  const totals = totalsOf(layout.devices, columns, counters);
  return { layout, digest: digestOf(layout, columns, totals), totals, storedWithoutContent: counters.storedWithoutContent, violations };
}

/** Seconds in words: whole when whole, else to the millisecond. */
function seconds(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(3);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function littleEndian(column: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(column.buffer, column.byteOffset, column.byteLength);
  if (LITTLE_ENDIAN) return bytes;
  const copy = new Uint8Array(bytes);
  for (let i = 0; i < copy.length; i += 4) copy.subarray(i, i + 4).reverse();
  return copy;
}
