import { createHash } from 'node:crypto';

/** Digest over the scenarios' ledger digests, in order: one value that says "the same run". */
export function runDigest(digests: readonly string[]): string {
  const h = createHash('sha256');
  for (const d of digests) h.update(d).update('\n');
  return h.digest('hex');
}
