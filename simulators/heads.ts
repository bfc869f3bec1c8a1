import { HEAD_ID_RANGES, unknownHeadIdExample, type HeadIdRange } from '../contract/head-id.ts';
import { expectedSessionsPerDay } from './brushing.ts';
import type { Fleet } from './fleet.ts';
import { LINE_CODES, LINE_INTERDENTAL } from './lines.ts';
import { TOPIC } from './topics.ts';

const TWO_32 = 0x1_0000_0000;

/** The head-id blocks that fit each line, by line code. */
const RANGES_BY_LINE: readonly (readonly HeadIdRange[])[] = LINE_CODES.map((line) => HEAD_ID_RANGES.filter((r) => r.productLines.includes(line)));

/**
 * How many sessions head `gen` of device `d` lasts: its life in days (mean
 * `replaceEveryDays`, ±40 %) at the line's mean session rate. Never less than
 * the ring capacity + 1, so a device's ring never holds records of more than
 * two heads, and the first record of the older one is always gone — which is
 * what lets a record's head be recomputed from (headGen, headStart) alone.
 */
export function headLife(f: Fleet, d: number, gen: number): number {
  const line = f.kind[d]! & 3;
  const o = f.options.heads;
  const meanDays = line === LINE_INTERDENTAL ? o.interdentalReplaceEveryDays : o.replaceEveryDays;
  const days = meanDays * (0.6 + 0.8 * f.draw.unit(TOPIC.headLife, d, gen));
  return Math.max(f.ringCapacity + 1, Math.round(days * expectedSessionsPerDay(f.options, line)));
}

/**
 * The 48-bit id of head `gen` of device `d`: from a block that fits the
 * device's line, or — with `unknownHeadProbability` — an id no block covers.
 */
export function headIdOf(f: Fleet, d: number, gen: number): number {
  const draw = f.draw;
  if (draw.unit(TOPIC.headUnknown, d, gen) < f.options.heads.unknownHeadProbability) {
    return unknownHeadIdExample(draw.u32(TOPIC.headIdLow, d, gen));
  }
  const ranges = RANGES_BY_LINE[f.kind[d]! & 3]!;
  const high = draw.u32(TOPIC.headIdHigh, d, gen);
  const r = ranges[high % ranges.length]!;
  const offset = ((high >>> 16) * TWO_32 + draw.u32(TOPIC.headIdLow, d, gen)) % (r.to - r.from + 1);
  return r.from + offset;
}

/** The factory head of every device is part-used when the simulation starts (a uniform share of its life). */
export function initHeads(f: Fleet): void {
  for (let d = 0; d < f.deviceCount; d++) {
    f.headStart[d] = 1 - Math.floor(f.draw.unit(TOPIC.headInitialAge, d, 0) * headLife(f, d, 0));
  }
}
