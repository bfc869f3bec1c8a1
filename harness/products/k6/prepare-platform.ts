import { createFleet } from '../../../simulators/fleet.ts';
import { resolveFleetOptions } from '../../../simulators/fleet-options.ts';
import { Identities } from '../../../simulators/identities.ts';
import { Ledger } from '../../../simulators/ledger.ts';
import { signUpHouseholds } from '../../core/fleet/accounts.ts';
import { AppState } from '../../core/fleet/app-state.ts';
import type { FleetContext } from '../../core/fleet/context.ts';
import { readClock, setClock } from '../../core/fleet/drive.ts';
import { FleetHttp } from '../../core/fleet/http.ts';
import { Progress, type ProgressOptions } from '../../core/fleet/progress.ts';
import { provisionAndBond } from '../../core/fleet/setup.ts';
import { K6Error } from './errors.ts';
import type { K6Manifest } from './export-k6.ts';

/** A fleet context over the exported fleet (the same seed, size and start), for prepare and reconcile. */
export function exportContext(m: K6Manifest, http: FleetHttp, factorySecret: string, nowMs: number, progress: ProgressOptions = { enabled: false }): FleetContext {
  const fleet = createFleet(resolveFleetOptions({ seed: m.fleet.seed, devices: m.fleet.devices }), m.fleet.startS);
  return {
    http,
    fleet,
    ledger: new Ledger(fleet),
    app: new AppState(fleet),
    identities: new Identities(fleet.seed),
    progress: new Progress(progress),
    factorySecret,
    workers: 32,
    nowMs,
    stats: { accounts: 0, signIns: 0, refreshes: 0, bonds: 0, uploads: 0, uploadRetries: 0, replays: 0, reinstalls: 0, recordsSent: 0 },
  };
}

/**
 * Make the platform hold the exported fleet before k6 runs: set its virtual clock to the
 * fleet's start, sign up every household, provision and bond every device through the API
 * (bonding needs device signatures over server challenges, which k6 cannot make), then set
 * the clock to the time every exported record's verdict was booked at.
 */
export async function prepareForK6(m: K6Manifest, o: { targetUrl: string; factorySecret: string; progress?: ProgressOptions; log?: (line: string) => void }): Promise<{ devices: number; households: number; clockMs: number }> {
  const log = o.log ?? (() => {});
  const http = new FleetHttp(o.targetUrl, 40);
  try {
    const now = await readClock({ http } as FleetContext);
    if (now > m.clock.startMs) {
      throw new K6Error('FLEETBED_K6_UNSUPPORTED', `the platform's clock is at ${new Date(now).toISOString()}, past the exported fleet's start ${new Date(m.clock.startMs).toISOString()} (its clock never goes backwards): re-export with --target-url ${o.targetUrl}, or prepare a fresh platform`);
    }
    const ctx = exportContext(m, http, o.factorySecret, now, o.progress);
    await setClock(ctx, m.clock.startMs);
    log(`clock: ${new Date(ctx.nowMs).toISOString()} (the fleet's start)`);
    await signUpHouseholds(ctx);
    await provisionAndBond(ctx, 25_000);
    log(`fleet: ${ctx.fleet.householdCount} accounts, ${ctx.fleet.deviceCount} devices provisioned and bonded`);
    await setClock(ctx, m.clock.ingestMs);
    log(`clock: ${new Date(ctx.nowMs).toISOString()} (the records' verdicts were booked at this time)`);
    return { devices: ctx.fleet.deviceCount, households: ctx.fleet.householdCount, clockMs: ctx.nowMs };
  } finally {
    await http.close();
  }
}
