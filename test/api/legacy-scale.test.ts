import { afterAll, beforeAll, expect, it } from 'vitest';
import { applyDrift } from '../../contract/legacy/dialect.ts';
import { DIALECTS } from '../../contract/legacy/dialects.ts';
import type { LegacyMappingResult, LegacyReconcileJobResult } from '../../contract/legacy/wire.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { databaseTargets } from '../support/databases.ts';
import { addUsers, dialect, nextNight, operator, reconcile, records, setState, upload, userIdFor, type LegacyUser } from './legacy-client.ts';

/**
 * What nightly reconciliation costs at CI size: ~100 users × 8 lines, 20,000
 * rows in both stores. A clean night is about a count of each store; months
 * of nights must take seconds. Prints the measurements (embedded PostgreSQL).
 */
const USERS_PER_LINE = 100;
const ROWS_PER_USER = 25;
const target = databaseTargets().find((t) => t.name === 'embedded')!;

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi(target.serverUrl!);
});
afterAll(async () => api?.close());

const ms = (t0: number) => Math.round(performance.now() - t0);

it('reconciles 20,000 rows in well under a second a night, and 90 nights of 8 lines in seconds', async () => {
  const { app } = api;
  const users: LegacyUser[] = DIALECTS.flatMap((d) => Array.from({ length: USERS_PER_LINE }, (_, n) => ({ line: d.line, userId: userIdFor(d, n + 1), secret: `s-${d.line}-${n}` })));
  await addUsers(app, users);
  let t0 = performance.now();
  for (const d of DIALECTS) {
    const mine = users.filter((u) => u.line === d.line);
    for (let i = 0; i < mine.length; i += 10) {
      await Promise.all(mine.slice(i, i + 10).map((u, k) => upload(app, d, u, records(d, d.revisions[0]!, `SC-${d.line}-${i + k}`, 0, ROWS_PER_USER))));
    }
  }
  const uploadMs = ms(t0);
  t0 = performance.now();
  for (const d of DIALECTS) expect((await setState(app, d.line, 'dual-write')).rows).toMatchObject({ legacy: USERS_PER_LINE * ROWS_PER_USER, v2: USERS_PER_LINE * ROWS_PER_USER });
  const backfillMs = ms(t0);

  t0 = performance.now();
  const clean = await reconcile(app);
  const cleanMs = ms(t0);
  expect(clean.lines).toHaveLength(8);
  expect(clean.lines.reduce((s, l) => s + l.rowsCompared, 0)).toBe(20_000);
  expect(clean.lines.every((l) => l.clean && l.bucketsDiffering === 0)).toBe(true);

  // A wrong mapping on one line: every one of its 2,500 rows diverges, every bucket is read.
  const d = dialect('sonic-classic');
  const wrong = applyDrift(d.revisions[0]!, { kind: 'unit-change', field: 'durationS' }, d.revisions[0]!.appBuild + 1);
  const remapped = await operator<LegacyMappingResult>(app, 'PUT', `/v2/legacy/lines/${d.line}/mapping`, { revisions: [{ ...wrong, revision: 0, appBuild: d.revisions[0]!.appBuild }] });
  expect(remapped.remapped).toBe(2500);
  await nextNight(app);
  t0 = performance.now();
  const dirty = await reconcile(app);
  const dirtyMs = ms(t0);
  expect(dirty.lines.find((l) => l.line === d.line)).toMatchObject({ clean: false, bucketsDiffering: 64, divergences: { 'field-differs': 2500 } });
  await operator(app, 'PUT', `/v2/legacy/lines/${d.line}/mapping`, { revisions: d.revisions });

  t0 = performance.now();
  let last: LegacyReconcileJobResult | undefined;
  for (let night = 0; night < 90; night++) {
    await nextNight(app);
    last = await reconcile(app);
  }
  const monthsMs = ms(t0);
  expect(last!.lines.every((l) => l.clean)).toBe(true);
  expect(last!.lines.find((l) => l.line === 'kids-club')!.cleanNights).toBe(92);

  console.log(
    `[legacy scale] 20000 rows, 8 lines x ${USERS_PER_LINE} users: uploads ${uploadMs} ms (800 requests), dual-write backfill ${backfillMs} ms, ` +
      `clean reconcile job ${cleanMs} ms, reconcile with 2500 divergent rows ${dirtyMs} ms, 90 nights (clock + job) ${monthsMs} ms (${Math.round(monthsMs / 90)} ms a night)`,
  );
  expect(cleanMs).toBeLessThan(2000);
  expect(monthsMs).toBeLessThan(60_000);
}, 300_000);
