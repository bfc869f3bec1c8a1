import Fastify, { type FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations } from '../../contract/openapi.ts';
import { databaseTargets } from '../support/databases.ts';
import { startTestApi, TEST_FACTORY_SECRET, type TestApi } from '../support/api.ts';
import { formatFailure, formatRouteLine, fuzzRoutes, resolveFuzzOptions, type FuzzOptions, type FuzzWorld } from './fuzz-routes.ts';
import { referenceWorld } from './reference-world.ts';
import { injectTransport } from './_internals/transport.ts';
import { validArbitrary } from './_internals/schema-arbitrary.ts';

/**
 * Issue #18, "fuzz every route": every operation of contract/openapi.ts gets
 * schema-derived hostile requests; no answer may be a 5xx, and no 4xx may change
 * the state digest. A modest run here; `npm run fuzz -- --runs N` for long ones
 * (docs/security.md#fuzzing-every-route).
 */

/** Requests per route in the suite: 29 routes × 12 ≈ 350 requests, a few seconds on an idle machine. */
const SUITE_RUNS = 12;

// ---------------------------------------------------------------- the harness can fail

/**
 * A platform with two planted bugs, fuzzed from its own small document: /crash
 * answers 500 when a name holds a NUL; /leak stores the name before it checks
 * its length, so an over-long one is a 400 that wrote. /honest has neither.
 */
function plantedPlatform(): { app: FastifyInstance; doc: NonNullable<FuzzOptions['doc']> } {
  const stored: string[] = [];
  const body = { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 8 } } };
  const op = (operationId: string) => ({ operationId, tags: ['health'], summary: operationId, security: [], requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } }, responses: {} });
  const doc = {
    paths: { '/crash': { post: op('crash') }, '/leak': { post: op('leak') }, '/honest': { post: op('honest') } },
    components: { schemas: { Thing: body } },
  } as unknown as NonNullable<FuzzOptions['doc']>;
  const app = Fastify();
  const nameOf = (b: unknown) => (b !== null && typeof b === 'object' && typeof (b as { name?: unknown }).name === 'string' ? (b as { name: string }).name : undefined);
  app.setErrorHandler((err: { statusCode?: number }, _req, reply) => reply.code(err.statusCode && err.statusCode < 500 ? err.statusCode : 500).send({ error: String(err) }));
  app.post('/crash', async (req, reply) => {
    const name = nameOf(req.body);
    if (name?.includes('\u0000')) throw new Error('invalid byte sequence for encoding "UTF8": 0x00');
    return reply.code(name && name.length <= 8 ? 201 : 400).send({});
  });
  app.post('/leak', async (req, reply) => {
    const name = nameOf(req.body);
    if (name !== undefined) stored.push(name.replaceAll('\u0000', ''));
    return reply.code(name && name.length <= 8 ? 201 : 400).send({});
  });
  app.post('/honest', async (req, reply) => {
    const name = nameOf(req.body);
    if (name === undefined || name.length > 8 || name.length < 1) return reply.code(400).send({});
    stored.push(name.replaceAll('\u0000', ''));
    return reply.code(201).send({});
  });
  app.get('/testbed/digest', async () => ({ digest: `${stored.length}:${stored.join('|')}`, tables: { things: { rows: stored.length, digest: stored.join('|') } } }));
  return { app, doc };
}

const emptyWorld: FuzzWorld = { hint: () => undefined, auth: { headers: () => fc.constant({}) } };

describe('the fuzz harness flags what it must', () => {
  it('finds a 5xx and a write on a 4xx on a planted platform, prints their replay, and passes an honest route', async () => {
    const { app, doc } = plantedPlatform();
    const report = await fuzzRoutes(injectTransport(app), emptyWorld, { doc, runs: 100, seed: '7', shrink: false });
    const byRoute = Object.fromEntries(report.routes.map((r) => [r.operationId, r.failure]));
    expect(byRoute.crash?.kind, formatRouteLine(report.routes[0]!)).toBe('server-error');
    expect(byRoute.leak?.kind).toBe('write-on-4xx');
    expect(byRoute.leak?.changedTables).toEqual(['things']);
    expect(byRoute.honest).toBeUndefined();
    expect(byRoute.crash!.replay).toMatch(/^npm run fuzz -- --seed 7 --route crash --path \d+(:\d+)*$/);

    // The replay line replays: the same seed and path give the same request and the same failure.
    const path = byRoute.crash!.replay.split('--path ')[1]!;
    const again = await fuzzRoutes(injectTransport(app), emptyWorld, { doc, runs: 100, seed: '7', routes: ['crash'], path, shrink: false });
    expect(again.failures[0]?.request).toEqual(byRoute.crash!.request);
    expect(formatFailure(again.failures[0]!)).toContain('server-error');
    await app.close();
  });

  it('draws maps (additionalProperties, minProperties, propertyNames) within their bounds, and never spins on them', () => {
    const ctx = { resolve: () => ({}), hint: () => undefined };
    const map = { type: 'object', minProperties: 1, maxProperties: 3, propertyNames: { maxLength: 5 }, additionalProperties: { type: 'string', enum: ['a', 'b'] } };
    const values = fc.sample(validArbitrary(map, ctx), { numRuns: 200, seed: 3 }) as Array<Record<string, unknown>>;
    for (const v of values) {
      expect(Object.keys(v).length).toBeGreaterThanOrEqual(1);
      expect(Object.keys(v).length).toBeLessThanOrEqual(3);
      for (const k of Object.keys(v)) expect(k.length).toBeLessThanOrEqual(5); // the values go wrong on their own, like any field's
    }
    expect(values.some((v) => Object.keys(v).length === 3), 'the maxProperties edge').toBe(true);
    // Declared properties past maxProperties: optional ones are dropped, required ones kept.
    const capped = { type: 'object', maxProperties: 1, required: ['a'], properties: { a: { const: 1 }, b: { const: 2 } } };
    expect(new Set(fc.sample(validArbitrary(capped, ctx), { numRuns: 50, seed: 4 }).map((v) => Object.keys(v as object).join()))).toEqual(new Set(['a']));
  });

  it('refuses bad options before anything runs', () => {
    expect(() => resolveFuzzOptions({ runs: 0 })).toThrow(/runs must be an integer ≥ 1, got 0/);
    expect(() => resolveFuzzOptions({ routes: ['nope'] })).toThrow(/route "nope" is not an operationId/);
    expect(() => resolveFuzzOptions({ path: '1:2' })).toThrow(/exactly one route/);
    expect(() => resolveFuzzOptions({ seed: '-1' })).toThrow(/seed must be/);
  });
});

// ---------------------------------------------------------------- the reference API

const target = databaseTargets().find((t) => t.name === 'embedded')!;

describe('fuzzing every route of the reference API [embedded]', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(target.serverUrl!);
  });
  afterAll(async () => api?.close());

  it(`answers ${SUITE_RUNS} hostile requests per route with no 5xx and no write on a 4xx`, async () => {
    const transport = injectTransport(api.app);
    const world = await referenceWorld(transport, TEST_FACTORY_SECRET);
    const report = await fuzzRoutes(transport, world, { runs: SUITE_RUNS, seed: process.env.FLEETBED_FUZZ_SEED ?? '1', shrink: false, routeTimeLimitMs: 4000 });
    const table = report.routes.map(formatRouteLine).join('\n');
    expect(report.failures.map(formatFailure), table).toEqual([]);
    // Every documented route was fuzzed, and the requests got past the front door somewhere.
    expect(report.routes.map((r) => r.operationId).sort()).toEqual(operations().map((o) => o.operationId).sort());
    expect(report.routes.filter((r) => Object.keys(r.statuses).some((s) => s.startsWith('2'))).length, table).toBeGreaterThan(10);
  }, 120_000);
});
