import { createHash } from 'node:crypto';

/**
 * A uniform draw in [0, 1) that depends only on its inputs: the SHA-256 of the seed and
 * the parts, 53 bits of it. Counter-based, like the simulators' `draw`, so the fate of a
 * request does not depend on the order in which concurrent connections deliver requests.
 */
export function keyedUnit(seed: string, ...parts: readonly (string | number)[]): number {
  const h = createHash('sha256');
  h.update(seed);
  for (const p of parts) h.update(`\0${p}`);
  const d = h.digest();
  return (d.readUInt32BE(0) * 0x20_0000 + (d.readUInt32BE(4) >>> 11)) / 2 ** 53;
}
