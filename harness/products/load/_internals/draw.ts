/**
 * A seeded 32-bit draw keyed by (seed, index): splitmix-style mixing, no state, no
 * `Math.random()`. The load generator uses it to decide which phones open the app in a
 * herd; same seed, same phones, in the same order.
 */
export function keyedDraw(seed: number, index: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e37_79b9) ^ Math.imul(index + 1, 0x85eb_ca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb_352d) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x846c_a68b) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
