/**
 * Spans of simulated time. One form: whole numbers with the units `d`, `h`, `m`, `s`,
 * largest unit first, no spaces: `'3d'`, `'36h'`, `'1d12h'`, `'90m'`, `'1h30m'`.
 */
export type Duration =
  | `${number}${'d' | 'h' | 'm' | 's'}`
  | `${number}d${number}${'h' | 'm' | 's'}`
  | `${number}h${number}${'m' | 's'}`
  | `${number}m${number}s`
  | `${number}d${number}h${number}m`;

/** A point on the simulated calendar: `day` 1 is the first simulated day; `hour` 0–23, `minute` 0–59. */
export interface DayTime {
  day: number;
  hour: number;
  minute?: number;
}

const FORM = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** What a duration must look like, for error messages. */
export const DURATION_EXPECTED = `a duration such as "3d", "36h", "1d12h" or "90m" (whole numbers, units d/h/m/s, largest first)`;

/** Seconds in `text`, or `undefined` when it is not a {@link Duration}. */
export function parseDuration(text: unknown): number | undefined {
  if (typeof text !== 'string' || text.length === 0) return undefined;
  const m = FORM.exec(text);
  if (!m || m.slice(1).every((g) => g === undefined)) return undefined;
  const [d, h, min, s] = m.slice(1).map((g) => (g === undefined ? 0 : Number(g))) as [number, number, number, number];
  const seconds = d * 86_400 + h * 3600 + min * 60 + s;
  return Number.isSafeInteger(seconds) ? seconds : undefined;
}

/** The canonical {@link Duration} of a whole number of seconds: `129600` → `'1d12h'`, `0` → `'0s'`. */
export function formatDuration(seconds: number): Duration {
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new RangeError(`formatDuration: expected whole seconds ≥ 0, got ${seconds}`);
  if (seconds === 0) return '0s';
  let rest = seconds;
  let out = '';
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) out += `${n}${unit}`;
  }
  return out as Duration;
}

/** Seconds since the start of the simulation of a {@link DayTime}. */
export function dayTimeSeconds(at: DayTime): number {
  return (at.day - 1) * 86_400 + at.hour * 3600 + (at.minute ?? 0) * 60;
}
