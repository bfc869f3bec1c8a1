import { describe, expect, it } from 'vitest';
import { dialectOf } from '../../contract/legacy/dialects.ts';
import { resolveScenario } from '../../harness/core/scenario/index.ts';
import { runSuite } from '../../harness/products/run/run-suite.ts';

/** A legacy scenario with a team's own line (a dialect spec of their own) must go to the platform that serves it. */
describe('a legacy scenario with its own dialect', () => {
  const mine = { ...dialectOf('flosser-one')!, line: 'water-jet', title: 'Water Jet', basePath: '/v1/water-jet' as const, appName: 'WaterJet' };
  const scenario = resolveScenario({ name: 'own-line', description: 'a team’s own line', seed: 1, fleet: { devices: 4 }, duration: '2d', legacy: { lines: ['water-jet'], dialects: [mine] } });

  it.each(['embedded', 'containers'] as const)('is refused on the %s environment before anything starts, naming the line and the fix', async (env) => {
    const started = performance.now();
    const run = runSuite({ scenarios: [scenario], environment: { env }, command: 'fleetbed run' });
    await expect(run).rejects.toMatchObject({ code: 'FLEETBED_LEGACY_LINE_UNSERVED', message: expect.stringMatching(/water-jet.*--env url.*contract\/legacy\/dialects\.ts/s) });
    // Refused up front: no PostgreSQL or API was started (either takes a second or more).
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
