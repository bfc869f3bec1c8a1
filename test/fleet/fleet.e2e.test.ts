import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEnvironment, type StartedEnvironment } from '../../harness/core/env/index.ts';
import { runFleet, type FleetRunResult } from '../../harness/core/fleet/index.ts';
import { createFleet } from '../../simulators/fleet.ts';
import type { FleetOptions } from '../../simulators/fleet-options.ts';
import { Ledger } from '../../simulators/ledger.ts';
import { runOffline } from '../../simulators/offline-run.ts';

/**
 * 200 devices, 3 simulated days, against the reference API in the embedded
 * environment, with the misbehaviours turned up: lazy phones (late uploads),
 * timeouts after commit (same-key retries), two-phone households and
 * reinstalls (duplicates across keys), reordered uploads, clock resets
 * (too-late rejections). The ledger must reconcile with what the platform
 * stored, exactly, device by device.
 */
const FLEET: FleetOptions = {
  seed: 4242,
  devices: 200,
  phones: { lazyFraction: 0.3, timeoutAfterCommit: 0.25, reinstallPerSync: 0.05, maxRecordsPerUpload: 4 },
  clock: { resetPerDay: 0.05 },
};
const DAYS = 3;

let env: StartedEnvironment;
let run: FleetRunResult;

beforeAll(async () => {
  env = await resolveEnvironment({ env: 'embedded', apiEnv: { FLEETBED_PASSWORD_HASH_COST: '16' }, startupTimeoutMs: 60_000 }).start();
  run = await runFleet({ environment: env, fleet: FLEET, days: DAYS, workers: 16, reconcile: 'both', apiSample: 40, progress: { enabled: false } });
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

describe(`a ${FLEET.devices}-device fleet over ${DAYS} simulated days against the reference API`, () => {
  it('reconciles exactly with what the platform stored (SQL, every device) and with the sessions API (sample)', () => {
    expect(run.violations).toEqual([]);
    expect(run.reconciliation.examples).toEqual([]);
    expect(run.reconciliation).toMatchObject({ method: 'sql', mismatches: 0, signatureFailures: 0, ok: true });
    expect(run.reconciliation.storedOnPlatform).toBe(run.totals.stored);
    expect(run.reconciliation.signaturesVerified).toBeGreaterThan(50);
    expect(run.apiReconciliation).toMatchObject({ method: 'api-sample', mismatches: 0, ok: true });
    expect(run.apiReconciliation!.devicesChecked).toBe(40);
    expect(run.ok).toBe(true);
  });

  it('accounts for every record: produced = lost + pending + relayed; relayed = stored + explicitly rejected', () => {
    const t = run.totals;
    expect(t.produced).toBe(t.lostAtDevice + t.pendingAtDevice + t.relayed);
    expect(t.relayed).toBe(t.stored + t.rejected);
    expect(t.unanswered).toBe(0);
    expect(t.pendingAtDevice).toBe(0);
    expect(t.produced).toBeGreaterThan(FLEET.devices! * DAYS);
  });

  it('was not vacuous: duplicates, late uploads, replays, reordering and too-late rejections happened', () => {
    const t = run.totals;
    expect(t.duplicateVerdicts).toBeGreaterThan(20);
    expect(t.lateCopies).toBeGreaterThan(20);
    expect(t.replays).toBeGreaterThan(10);
    expect(run.stats.replays).toBe(t.replays);
    expect(t.reorderedStores).toBeGreaterThan(0);
    expect(t.rejectionsByCode['too-late']).toBeGreaterThan(0);
    expect(Object.keys(t.rejectionsByCode)).toEqual(['too-late']);
    expect(run.stats.reinstalls).toBeGreaterThan(0);
    expect(run.stats.signIns).toBeGreaterThan(run.households); // second phones, and reinstalled apps signing in again
    expect(run.stats.refreshes).toBeGreaterThan(0);
  });

  it('gives the same ledger digest as a pure run of the same seed against the model platform', () => {
    const fleet = createFleet(FLEET, run.fleet.startS);
    const ledger = new Ledger(fleet);
    runOffline(fleet, ledger, { days: DAYS });
    ledger.close();
    expect(ledger.digest()).toBe(run.ledgerDigest);
  });
});
