import type { SessionRecord } from '../contract/record.ts';
import { connect, oldestInRing, sessionRecordOf } from './device.ts';
import { SimulatorError } from './errors.ts';
import type { Fleet } from './fleet.ts';
import type { Ledger, PlatformRules } from './ledger.ts';
import { TOPIC } from './topics.ts';

/** Which time rule an edge is of: the late window, or the future-skew limit. */
export type EdgeRule = 'late-window' | 'future-skew';

/** One edge of a time rule: records whose distance past the rule's limit is `pastS` seconds (≤ 0 inside, accepted; > 0 outside, rejected). */
export interface TimeEdge {
  rule: EdgeRule;
  pastS: number;
  /** e.g. `late-window+1s`, `future-skew-1m`. */
  label: string;
}

function edge(rule: EdgeRule, pastS: number): TimeEdge {
  const a = Math.abs(pastS);
  const size = a === 0 ? '±0' : `${pastS < 0 ? '-' : '+'}${a % 86_400 === 0 ? `${a / 86_400}d` : a % 3600 === 0 ? `${a / 3600}h` : a % 60 === 0 ? `${a / 60}m` : `${a}s`}`;
  return Object.freeze({ rule, pastS, label: `${rule}${size}` });
}

/**
 * The edges the world aims records at, relative to the rules the platform declares:
 * late records at window − 1 h, − 1 s (inside), exactly at the window (inside: the rule
 * is "more than"), + 1 s and + 1 day (outside); records of a device clock ahead by
 * skew − 1 min, exactly the skew (inside), + 1 s, + 1 min and + 1 day (outside).
 */
export const TIME_EDGES: readonly TimeEdge[] = Object.freeze([
  edge('late-window', -3600),
  edge('late-window', -1),
  edge('late-window', 0),
  edge('late-window', 1),
  edge('late-window', 86_400),
  edge('future-skew', -60),
  edge('future-skew', 0),
  edge('future-skew', 1),
  edge('future-skew', 60),
  edge('future-skew', 86_400),
]);

/** The verdict an edge's records must get: stored inside (or exactly at) the limit, rejected with the rule's code outside it. */
export function edgeExpectation(e: TimeEdge): 'accept' | 'too-late' | 'too-far-in-future' {
  if (e.pastS <= 0) return 'accept';
  return e.rule === 'late-window' ? 'too-late' : 'too-far-in-future';
}

/** One record aimed at an edge: device `d` made seq `seq` at true time `madeS`; its phone uploads it at platform time `uploadS`. */
export interface EdgeRecord {
  edge: number;
  d: number;
  seq: number;
  phone: number;
  madeS: number;
  uploadS: number;
  /** The record exactly as the device wrote it (its own clock's startedAt). */
  record: SessionRecord;
}

/** Minutes between an edge device's records. */
const GAP_S = 600;

/**
 * Aim `edges.recordsPerEdge` records at each of {@link TIME_EDGES}, after the run's end
 * `fromS` (true time, seconds). Devices of the slice are drawn (seeded) without
 * repetition, ⌈recordsPerEdge / recordsPerDevice⌉ per edge; each makes its records
 * `GAP_S` apart from `fromS + GAP_S`, and the household's first phone takes each one
 * as it is made (connecting sets a reset clock).
 *
 * - Late-window edge devices keep their ordinary clock (startedAt = true time + the
 *   device's offset and drift): the phone goes offline holding the record and returns
 *   exactly when the platform clock reads startedAt + window + pastS.
 * - Future-skew edge devices run a clock ahead by skew + pastS (set wrong by their owner):
 *   the phone uploads each record the second it is made.
 *
 * A step function like the others: mutates the fleet (seq, cursors) and books
 * production and collection in the ledger. Returns the records in upload order (by
 * upload time, then phone, device, seq). Pure for a seed, the rules and `fromS`.
 */
export function produceTimeEdges(f: Fleet, rules: PlatformRules, fromS: number, ledger: Ledger): EdgeRecord[] {
  const { recordsPerEdge, recordsPerDevice } = f.options.edges;
  if (recordsPerEdge === 0) return [];
  const perDevice = Math.min(recordsPerDevice, f.ringCapacity);
  const devicesPerEdge = Math.ceil(recordsPerEdge / perDevice);
  const need = devicesPerEdge * TIME_EDGES.length;
  if (need > f.sliceDevices) {
    throw new SimulatorError('FLEETBED_FLEET_OPTIONS_INVALID', `Fleet option edges.recordsPerEdge ${recordsPerEdge} needs ${need} devices (${devicesPerEdge} per edge × ${TIME_EDGES.length} edges at ${perDevice} records each), the slice has ${f.sliceDevices}: aim fewer records, or more per device (edges.recordsPerDevice, up to the ring). Nothing was built.`);
  }
  const lastMade = fromS + GAP_S * perDevice;
  if (rules.lateWindowSeconds - 3600 < GAP_S * (perDevice + 1) + 2 * f.options.clock.maxInitialOffsetS + 3600) {
    throw new SimulatorError('FLEETBED_FLEET_OPTIONS_INVALID', `the platform's late window (${rules.lateWindowSeconds} s) is too short to aim records an hour inside it after they were made: time edges need a window of at least a few hours.`);
  }
  const devices = drawDevices(f, need);
  const out: EdgeRecord[] = [];
  const times = [0];
  for (let e = 0; e < TIME_EDGES.length; e++) {
    const edgeOf = TIME_EDGES[e]!;
    let left = recordsPerEdge;
    for (let i = 0; i < devicesPerEdge; i++) {
      const d = devices[e * devicesPerEdge + i]!;
      const h = f.householdOfDevice(d);
      const phone = f.hhFirstPhone[h]!;
      connect(f, d);
      for (let j = 0; j < perDevice && left > 0; j++, left--) {
        const madeS = fromS + GAP_S * (j + 1);
        const seq = f.seq[d]! + 1;
        f.seq[d] = seq;
        ledger.onProduced(d, seq);
        const own = sessionRecordOf(f, d, seq, madeS);
        const record: SessionRecord = edgeOf.rule === 'future-skew' ? { ...own, clockReset: false, startedAt: madeS + rules.futureSkewSeconds + edgeOf.pastS } : own;
        const uploadS = edgeOf.rule === 'future-skew' ? madeS : record.startedAt + rules.lateWindowSeconds + edgeOf.pastS;
        if (uploadS < madeS || (edgeOf.rule === 'late-window' && uploadS < lastMade)) throw new SimulatorError('FLEETBED_FLEET_TIME_INVALID', `edge ${edgeOf.label}: device ${d} seq ${seq} would be uploaded at ${uploadS}, before it was made (${madeS}) (a simulator bug)`);
        times[0] = madeS;
        // The phone takes the record as it is made; the ledger books it as relayed at its upload time.
        ledger.onCollected(d, seq, seq, times, edgeOf.rule === 'future-skew' ? madeS : uploadS);
        const slot = 0;
        f.cursor[2 * d + slot] = seq;
        if (oldestInRing(f, d) > seq) throw new SimulatorError('FLEETBED_FLEET_TIME_INVALID', `edge ${edgeOf.label}: device ${d} seq ${seq} left the ring before its phone took it (a simulator bug)`);
        out.push({ edge: e, d, seq, phone, madeS, uploadS, record });
      }
    }
  }
  // Future records go out as they are made (uploadS = madeS, before any late record's return).
  return out.sort((a, b) => a.uploadS - b.uploadS || a.phone - b.phone || a.d - b.d || a.seq - b.seq);
}

/** `n` distinct devices of the slice, drawn by a seeded partial Fisher–Yates shuffle. */
function drawDevices(f: Fleet, n: number): number[] {
  const pool = Array.from({ length: f.sliceDevices }, (_, i) => f.deviceFrom + i);
  for (let i = 0; i < n; i++) {
    const j = i + (f.draw.u32(TOPIC.edgeDevices, i, 0) % (pool.length - i));
    const x = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = x;
  }
  return pool.slice(0, n);
}
