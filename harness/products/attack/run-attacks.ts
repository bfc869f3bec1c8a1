import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { REPORT_SCHEMA_VERSION, type AttackResult, type RunReport } from '../../../reports/types.ts';
import { gitCommit } from '../../core/git-commit.ts';
import { AttackHttp, redactedRequest, redactedResponse, type Exchange } from './http.ts';
import type { AttackCase, Expected } from './types.ts';
import { buildWorld, type AttackWorld } from './world.ts';
import { codeOf } from './cases/_util.ts';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

export function describeExpected(e: Expected): string {
  if (e.describe) return e.describe;
  const s = e.status;
  const status = s === undefined ? 'any' : typeof s === 'number' ? String(s) : Array.isArray(s) ? s.join('|') : `${s.min}-${s.max}`;
  return e.codes?.length ? `${status} ${e.codes.join(' | ')}` : status;
}

function statusOk(e: Expected, status: number): boolean {
  const s = e.status;
  if (s === undefined) return true;
  if (typeof s === 'number') return s === status;
  if (Array.isArray(s)) return s.includes(status);
  return status >= s.min && status <= s.max;
}

/** Why `ex` is not the expected refusal, or null when it is. */
export function judgeExchange(e: Expected, ex: Exchange, prepared?: unknown): string | null {
  if (e.check) return e.check(ex, prepared);
  if (!statusOk(e, ex.status)) return `status ${ex.status}`;
  if (e.codes?.length && !e.codes.includes(codeOf(ex))) return `code ${codeOf(ex) || '(none)'}`;
  return null;
}

/**
 * A batch answer (upload or OTA reports, or a legacy v1 upload) that stored something, unless it is an
 * idempotent replay of an earlier answer.
 */
export function storedSomething(ex: Exchange): boolean {
  if (ex.request.method === 'POST' && /^\/v1\/[a-z0-9-]+\/sessions(\?|$)/.test(ex.request.path)) {
    const results = (ex.json as { results?: Array<{ status: string }> } | undefined)?.results;
    return Array.isArray(results) && results.some((r) => r.status === 'stored');
  }
  if (!/^\/v2\/(uploads|ota\/reports)\b/.test(ex.request.path) || ex.headers['idempotent-replayed'] === 'true') return false;
  const results = (ex.json as { results?: Array<{ verdict: string }> } | undefined)?.results;
  return Array.isArray(results) && results.some((r) => r.verdict === 'stored');
}

function summarizeGot(ex: Exchange): string {
  return `${ex.status}${codeOf(ex) ? ' ' + codeOf(ex) : ''}${ex.headers['idempotent-replayed'] === 'true' ? ' (Idempotent-Replayed)' : ''}`;
}

export interface CaseOutcome extends AttackResult {
  /** Why the case got through (for the terminal). */
  reason?: string;
}

/** Run one case against a built world: prepare, digest, attack, digest, judge. */
export async function runCase(c: AttackCase, http: AttackHttp, world: AttackWorld): Promise<CaseOutcome> {
  const ctx = { http, world };
  const base = { id: c.id, class: c.class, title: c.title, expected: describeExpected(c.expected) };
  let prepared: unknown;
  let before: Record<string, { rows: number; digest: string }>;
  try {
    http.log = [];
    if (c.prepare) prepared = await c.prepare(ctx);
    before = await http.digestTables();
  } catch (err) {
    return { ...base, verdict: 'got-through', got: `harness error in prepare: ${(err as Error).message}`, stateUnchanged: true, reason: 'harness error' };
  }
  http.log = [];
  let result: Exchange | Exchange[];
  try {
    result = await c.run(ctx, prepared);
  } catch (err) {
    const last = http.log.at(-1);
    return {
      ...base, verdict: 'got-through', got: `harness error: ${(err as Error).message}`, stateUnchanged: true, reason: 'harness error',
      ...(last ? { request: redactedRequest(last), response: redactedResponse(last) } : {}),
    };
  }
  const runLog = http.log;
  const after = await http.digestTables();
  const changed = Object.keys({ ...before, ...after }).filter((t) => before[t]?.digest !== after[t]?.digest || before[t]?.rows !== after[t]?.rows);
  const exchanges = Array.isArray(result) ? result : [result];
  let culprit: Exchange | undefined;
  let reason: string | null = null;
  for (const ex of exchanges) {
    reason = judgeExchange(c.expected, ex, prepared);
    if (reason) {
      culprit = ex;
      break;
    }
  }
  if (!culprit) {
    const leaked = runLog.find(storedSomething);
    if (leaked) {
      culprit = leaked;
      reason = 'a mutated record was answered stored';
    }
  }
  const shown = culprit ?? exchanges.at(-1)!;
  const stateUnchanged = changed.length === 0;
  const got =
    exchanges.length > 1 && !culprit
      ? `${exchanges.length} × ${[...new Set(exchanges.map(summarizeGot))].join(' / ')}`
      : summarizeGot(shown) + (reason === 'a mutated record was answered stored' ? ` (stored: ${shown.request.path})` : '');
  return {
    ...base,
    verdict: culprit ? 'got-through' : 'refused',
    got: stateUnchanged ? got : `${got}; state changed: ${changed.join(', ')}`,
    stateUnchanged,
    request: redactedRequest(shown),
    response: redactedResponse(shown),
    ...(culprit || !stateUnchanged ? { reason: reason ?? `state changed (${changed.join(', ')})` } : {}),
  };
}

export interface AttackRunOptions {
  apiUrl: string;
  factorySecret: string;
  cases: readonly AttackCase[];
  seed?: number;
  onCase?: (r: CaseOutcome, i: number, n: number) => void;
}

export async function runAttacks(o: AttackRunOptions): Promise<{ results: CaseOutcome[]; world: AttackWorld; http: AttackHttp }> {
  const http = new AttackHttp(o.apiUrl);
  const world = await buildWorld(http, { factorySecret: o.factorySecret, ...(o.seed !== undefined ? { seed: o.seed } : {}) });
  const results: CaseOutcome[] = [];
  for (const [i, c] of o.cases.entries()) {
    const r = await runCase(c, http, world);
    results.push(r);
    o.onCase?.(r, i, o.cases.length);
  }
  return { results, world, http };
}

export function attackReport(o: { command: string; seed: number; startedAt: Date; wallSeconds: number; environment: { kind: string; apiUrl: string }; attacks: AttackResult[] }): RunReport {
  const iso = o.startedAt.toISOString();
  const failed = o.attacks.some((a) => a.verdict === 'got-through' || !a.stateUnchanged);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'fleetbed', version: pkg.version },
    runId: `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}-${randomBytes(2).toString('hex')}`,
    command: o.command,
    seed: String(o.seed),
    commit: gitCommit(),
    ledgerDigest: createHash('sha256').update(o.attacks.map((a) => `${a.id}:${a.verdict}:${a.stateUnchanged}`).join('\n')).digest('hex'),
    verdict: failed || o.attacks.length === 0 ? 'fail' : 'pass',
    startedAt: iso,
    wallSeconds: o.wallSeconds,
    environment: o.environment,
    scenarios: [],
    attacks: o.attacks.map(({ reason: _r, ...a }: CaseOutcome) => a),
  };
}
