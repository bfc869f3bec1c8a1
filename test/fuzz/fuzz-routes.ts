import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { openapi, type PathItemObject } from '../../contract/openapi.ts';
import { fuzzOperations, requestArbitrary, type AuthSource, type FuzzOperation, type FuzzRequest } from './_internals/request-arbitrary.ts';
import type { JsonSchema, SchemaContext } from './_internals/schema-arbitrary.ts';
import type { FuzzResponse, Transport } from './_internals/transport.ts';

/**
 * Fuzz every route of an OpenAPI document with requests derived from its
 * schemas (request-arbitrary.ts), and hold the platform to two properties:
 * - no answer is a 5xx (nor no answer at all);
 * - a 4xx wrote nothing: the state digest (`GET /testbed/digest`, a hash over
 *   the domain tables) after it equals the digest before it.
 * A 2xx may write; the digest after it is the next request's "before". So the
 * digest is read after every request, and no write can hide behind a later one.
 *
 * One root seed gives each route its own fast-check seed; a failure carries
 * the seed and counterexample path that replay it (`npm run fuzz -- --seed S
 * --route OP --path P`).
 */

/** What the fuzzer needs from the world it runs in. */
export interface FuzzWorld {
  /** World values (real ids, tokens, signed records) by property or parameter name. */
  hint(name: string): fc.Arbitrary<unknown> | undefined;
  auth: AuthSource;
  /** Called before each route's property (fresh tokens, say). */
  beforeRoute?(operationId: string): Promise<void>;
  /** Operations to fuzz after all the others (their 2xx change the world for good: the clock). */
  last?: readonly string[];
}

export interface FuzzOptions {
  /** Requests per route. */
  runs?: number;
  /** Root seed (decimal); each route's fast-check seed derives from it and the operationId. */
  seed?: string;
  /** Only these operationIds (default: every operation of the document). */
  routes?: readonly string[];
  /** A fast-check counterexample path to replay (one route only). */
  path?: string;
  /** Shrink a failure to a smaller request (slower; off in the test suite). */
  shrink?: boolean;
  /** Stop a route's property after this many ms (runs fewer requests); 0: no limit. */
  routeTimeLimitMs?: number;
  /** The document (default contract/openapi.ts). */
  doc?: { paths: Record<string, PathItemObject>; components: { schemas: Record<string, unknown> } };
  /** The digest route. */
  digestUrl?: string;
  /** The replay command printed with a failure. */
  command?: string;
  /** The platform's body limit: a connection it closes while a larger body is being sent counts as its 413. */
  bodyLimitBytes?: number;
  /** Called as each route finishes (progress). */
  onRoute?: (result: RouteResult) => void;
}

export const FUZZ_DEFAULTS = Object.freeze({
  runs: 100,
  seed: '1',
  routes: undefined as readonly string[] | undefined,
  path: undefined as string | undefined,
  shrink: true,
  routeTimeLimitMs: 0,
  doc: openapi as unknown as NonNullable<FuzzOptions['doc']>,
  digestUrl: '/testbed/digest',
  command: 'npm run fuzz --',
  bodyLimitBytes: 1024 * 1024,
  onRoute: undefined as ((result: RouteResult) => void) | undefined,
});

export type ResolvedFuzzOptions = { -readonly [K in keyof typeof FUZZ_DEFAULTS]: (typeof FUZZ_DEFAULTS)[K] };

export class FuzzOptionsError extends Error {
  readonly code = 'FLEETBED_FUZZ_OPTIONS_INVALID';
  override readonly name = 'FuzzOptionsError';
}

/** Fill in the defaults and check every field before anything runs. */
export function resolveFuzzOptions(options: FuzzOptions = {}): ResolvedFuzzOptions {
  const o: ResolvedFuzzOptions = { ...FUZZ_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  if (!Number.isSafeInteger(o.runs) || o.runs < 1) throw new FuzzOptionsError(`runs must be an integer ≥ 1, got ${o.runs}`);
  if (!/^(0|[1-9][0-9]*)$/.test(o.seed)) throw new FuzzOptionsError(`seed must be a non-negative decimal integer, got ${JSON.stringify(o.seed)}`);
  if (!Number.isSafeInteger(o.routeTimeLimitMs) || o.routeTimeLimitMs < 0) throw new FuzzOptionsError(`routeTimeLimitMs must be an integer ≥ 0, got ${o.routeTimeLimitMs}`);
  const known = new Set(fuzzOperations(o.doc).map((op) => op.operationId));
  for (const r of o.routes ?? []) if (!known.has(r)) throw new FuzzOptionsError(`route ${JSON.stringify(r)} is not an operationId of the document; known: ${[...known].join(', ')}`);
  if (o.path !== undefined && o.routes?.length !== 1) throw new FuzzOptionsError(`path replays one route's counterexample: give exactly one route with it (got ${o.routes?.length ?? 0})`);
  return o;
}

/** The fast-check seed of one route: from the root seed and the operationId, so routes can be replayed alone. */
export function routeSeed(rootSeed: string, operationId: string): number {
  return createHash('sha256').update(`fleetbed-fuzz/${rootSeed}/${operationId}`).digest().readInt32BE(0);
}

export type FuzzFailureKind = 'server-error' | 'write-on-4xx' | 'no-answer';

export interface FuzzFailure {
  kind: FuzzFailureKind;
  message: string;
  request: FuzzRequest;
  status?: number;
  /** Digest tables whose content changed (write-on-4xx). */
  changedTables?: string[];
  /** The replay command. */
  replay: string;
}

export interface RouteResult {
  operationId: string;
  method: string;
  path: string;
  /** Requests sent (shrinking included). */
  requests: number;
  /** Answers by status class and code: { '200': 3, '400': 12 }. */
  statuses: Record<string, number>;
  failure?: FuzzFailure;
}

export interface FuzzReport {
  seed: string;
  runs: number;
  routes: RouteResult[];
  failures: FuzzFailure[];
}

interface Digest {
  digest: string;
  tables: Record<string, { rows: number; digest: string }>;
}

class PropertyFailed extends Error {
  constructor(
    readonly kind: FuzzFailureKind,
    message: string,
    readonly status?: number,
    readonly changedTables?: string[],
  ) {
    super(message);
  }
}

const clip = (s: string, n = 400) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

/** A request as one line a person can read (escapes visible, long bodies clipped). */
export function describeRequest(r: FuzzRequest): string {
  const headers = Object.entries(r.headers).map(([k, v]) => `${k}: ${JSON.stringify(clip(v, 120))}`);
  return `${r.method} ${clip(r.url, 300)} ${headers.length ? `[${headers.join(', ')}]` : ''}${r.body === undefined ? '' : ` body ${clip(JSON.stringify(r.body))}`}`;
}

function orderOperations(ops: FuzzOperation[], last: readonly string[]): FuzzOperation[] {
  return [...ops.filter((o) => !last.includes(o.operationId)), ...ops.filter((o) => last.includes(o.operationId))];
}

/** Fuzz the routes of `options.doc` on the platform behind `transport`, in `world`. */
export async function fuzzRoutes(transport: Transport, world: FuzzWorld, options: FuzzOptions = {}): Promise<FuzzReport> {
  const o = resolveFuzzOptions(options);
  const schemas = o.doc.components.schemas as Record<string, JsonSchema>;
  const ctx: SchemaContext = {
    resolve(ref) {
      const name = ref.replace(/^#\/components\/schemas\//, '');
      const s = schemas[name];
      if (!s) throw new Error(`the document has no schema ${ref}`);
      return s;
    },
    hint: (name) => world.hint(name),
  };
  const digest = async (): Promise<Digest> => {
    const res = await transport.send({ method: 'GET', url: o.digestUrl, headers: {} });
    if (res.status !== 200) throw new Error(`GET ${o.digestUrl} answered ${res.status}: ${clip(res.body)}; the fuzzer needs the platform in test mode`);
    return JSON.parse(res.body) as Digest;
  };

  const ops = orderOperations(fuzzOperations(o.doc), world.last ?? []).filter((op) => !o.routes || o.routes.includes(op.operationId));
  const results: RouteResult[] = [];
  for (const op of ops) {
    await world.beforeRoute?.(op.operationId);
    const result: RouteResult = { operationId: op.operationId, method: op.method, path: op.path, requests: 0, statuses: {} };
    let before = await digest();
    const property = fc.asyncProperty(requestArbitrary(op, ctx, world.auth), async (req) => {
      let res: FuzzResponse;
      try {
        res = await transport.send(req);
      } catch (err) {
        const e = err as { code?: string; name?: string; message?: string };
        // A request no HTTP client would send (an illegal header character): not the platform's to answer.
        if (e.name === 'TypeError' || e.code === 'UND_ERR_INVALID_ARG' || e.code === 'UND_ERR_NOT_SUPPORTED' || e.code === 'ERR_INVALID_CHAR' || e.code === 'ERR_HTTP_INVALID_HEADER_VALUE') fc.pre(false);
        // A server may answer 413 and close while a body past its limit is still being sent: the client sees the reset, not the 413.
        const oversized = req.body !== undefined && Buffer.byteLength(req.body) > o.bodyLimitBytes;
        if (!(oversized && ['EPIPE', 'ECONNRESET', 'UND_ERR_SOCKET'].includes(e.code ?? ''))) throw new PropertyFailed('no-answer', `no answer: ${e.code ?? e.name}: ${e.message}`);
        res = { status: 413, headers: {}, body: `(connection closed by the server while sending a ${Buffer.byteLength(req.body!)}-byte body: ${e.code})` };
      }
      result.requests++;
      result.statuses[res.status] = (result.statuses[res.status] ?? 0) + 1;
      if (res.status >= 500) throw new PropertyFailed('server-error', `answered ${res.status}: ${clip(res.body)}`, res.status);
      const after = await digest();
      const wrote = after.digest !== before.digest;
      const changed = Object.keys({ ...before.tables, ...after.tables }).filter((t) => JSON.stringify(before.tables[t]) !== JSON.stringify(after.tables[t]));
      before = after;
      if (res.status >= 400 && wrote) throw new PropertyFailed('write-on-4xx', `answered ${res.status} but wrote to ${changed.join(', ')}: ${clip(res.body)}`, res.status, changed);
    });
    const details = await fc.check(property, {
      numRuns: o.runs,
      seed: routeSeed(o.seed, op.operationId),
      ...(o.path === undefined ? {} : { path: o.path }),
      endOnFailure: !o.shrink,
      ...(o.routeTimeLimitMs ? { interruptAfterTimeLimit: o.routeTimeLimitMs, markInterruptAsFailure: false } : {}),
    });
    if (details.failed && details.counterexample) {
      const err = details.errorInstance as PropertyFailed | Error;
      const replay = `${o.command} --seed ${o.seed} --route ${op.operationId} --path ${details.counterexamplePath}`;
      result.failure = {
        kind: err instanceof PropertyFailed ? err.kind : 'no-answer',
        message: `${op.method} ${op.path} (${op.operationId}): ${err.message}`,
        request: details.counterexample[0] as FuzzRequest,
        ...(err instanceof PropertyFailed && err.status !== undefined ? { status: err.status } : {}),
        ...(err instanceof PropertyFailed && err.changedTables ? { changedTables: err.changedTables } : {}),
        replay,
      };
    } else if (details.failed) {
      throw new Error(`fuzzing ${op.operationId} stopped without a counterexample: ${details.errorInstance ?? `${details.numSkips} requests skipped`}`);
    }
    results.push(result);
    o.onRoute?.(result);
  }
  return { seed: o.seed, runs: o.runs, routes: results, failures: results.flatMap((r) => (r.failure ? [r.failure] : [])) };
}

/** A failure as the lines a terminal or a test message shows: what, the request, the replay. */
export function formatFailure(f: FuzzFailure): string {
  return [`${f.kind}: ${f.message}`, `  request: ${describeRequest(f.request)}`, `  replay:  ${f.replay}`].join('\n');
}

/** One line per route: the answers it got, and ok or the failure's kind. */
export function formatRouteLine(r: RouteResult): string {
  const statuses = Object.entries(r.statuses)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([s, n]) => `${s}×${n}`)
    .join(' ');
  return `${r.failure ? 'FAIL' : 'ok  '} ${`${r.method} ${r.path}`.padEnd(52)} ${String(r.requests).padStart(6)} req  ${statuses}${r.failure ? `  ← ${r.failure.kind}` : ''}`;
}
