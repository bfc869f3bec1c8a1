import type { Fleet } from '../../../simulators/fleet.ts';
import type { Ledger } from '../../../simulators/ledger.ts';

/** One upload of a prepared sync, as the load driver prepares it (signed by its devices). */
export interface WorldUpload {
  key: string;
  body: string;
  devices: number[];
  seqs: number[];
  startedAt: number[];
  sent: Uint8Array[];
  timeoutAfterCommit: boolean;
}

/** The arrival plan as k6 needs it: the plan's own stages where k6 has the executor, else the per-second target. */
export type WorldArrival =
  | { shape: 'constant'; rate: number; durationMs: number }
  | { shape: 'ramping'; startRate: number; stages: ReadonlyArray<{ target: number; durationMs: number }> }
  | { shape: 'fleet-day' | 'thundering-herd' | 'outage-backlog' };

/**
 * The seeded world of one load plan, as `fleetbed load` would play it: the fleet, the
 * ledger its simulation steps book into, the schedule, and the load driver's simulation
 * step (`prepare`). The CLI builds it from the load product (products never import each
 * other), so k6 gets the same world as `fleetbed load` for the seed.
 */
export interface K6World {
  plan: { name: string; file: string; seed: string; devices: number; describe: string; thresholds: Readonly<Record<string, readonly string[]>>; arrival: WorldArrival };
  fleet: Fleet;
  fleetSeed: number;
  ledger: Ledger;
  /** The platform clock at which the fleet is provisioned and bonded (ms). */
  startMs: number;
  prelude: ReadonlyArray<{ phone: number; vt: number }>;
  arrivals: { readonly count: number; realMs(i: number): number; phone(i: number): number; vt(i: number): number };
  targetPerSecond: readonly number[];
  durationMs: number;
  /** The simulation step of the load driver; `reinstalled` when the phone's app was reinstalled (it signs in afresh). */
  prepare(phone: number, vt: number): { uploads: WorldUpload[]; reinstalled: boolean };
}
