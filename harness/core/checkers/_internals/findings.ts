import type { Witness } from '../../../../reports/types.ts';
import { MAX_WITNESSES } from '../types.ts';

/** Counts violations and keeps the first {@link MAX_WITNESSES} witnesses. */
export class Findings {
  readonly witnesses: Witness[] = [];
  violations = 0;

  add(w: Witness): void {
    this.violations++;
    if (this.witnesses.length < MAX_WITNESSES) this.witnesses.push(w);
  }
}
