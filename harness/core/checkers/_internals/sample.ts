import type { Fleet } from '../../../../simulators/fleet.ts';

/**
 * At most `n` device indices spread evenly over the fleet, starting at an
 * offset drawn from the fleet's seed and `salt` (so a run is reproducible, and
 * two checkers need not look at the same devices). `keep` filters candidates;
 * the walk visits every device at most once.
 */
export function sampleDevices(fleet: Fleet, n: number, salt: number, keep: (d: number) => boolean = () => true): number[] {
  const base = fleet.deviceFrom;
  const count = fleet.sliceDevices;
  const out: number[] = [];
  if (count === 0 || n <= 0) return out;
  const step = Math.max(1, Math.floor(count / n));
  const offset = mix(fleet.seed, salt) % Math.min(step, count);
  for (let i = 0; i < count && out.length < n; i++) {
    // First the evenly spaced devices, then (if the filter rejected some) the rest in order.
    const d = i * step + offset < count ? i * step + offset : undefined;
    if (d !== undefined && keep(base + d)) out.push(base + d);
  }
  if (out.length < n) {
    const taken = new Set(out);
    for (let d = base; d < base + count && out.length < n; d++) if (!taken.has(d) && keep(d)) out.push(d);
  }
  return out.sort((a, b) => a - b);
}

function mix(seed: number, salt: number): number {
  let x = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(salt + 1, 0x85ebca6b)) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x2c1b3c6d) >>> 0;
  x ^= x >>> 12;
  return x >>> 0;
}
