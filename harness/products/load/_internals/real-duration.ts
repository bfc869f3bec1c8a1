/** What a real duration must look like, for error messages. */
export const REAL_DURATION_EXPECTED = 'a real duration such as "30s", "5m", "1m30s" or "500ms" (units h, m, s, ms, largest first), or a number of seconds';

const PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;
const ORDER = ['h', 'm', 's', 'ms'];
const MS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;

/** Milliseconds of a real duration (`"1m30s"` → 90000, `2` → 2000), or undefined when it is not one. */
export function parseRealDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.round(value * 1000) : undefined;
  if (typeof value !== 'string' || value.length === 0) return undefined;
  let total = 0;
  let last = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < value.length) {
    const m = PART.exec(value);
    if (!m) return undefined;
    const unit = m[2] as keyof typeof MS;
    const rank = ORDER.indexOf(unit);
    if (rank <= last) return undefined;
    last = rank;
    total += Number(m[1]) * MS[unit];
  }
  return total > 0 ? Math.round(total) : undefined;
}

/** `"HH:MM"` → seconds after midnight, or undefined. */
export function parseTimeOfDay(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 : undefined;
}
