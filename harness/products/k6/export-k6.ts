import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Identities } from '../../../simulators/identities.ts';
import { ModelPlatform } from '../../../simulators/model-platform.ts';
import { CLIENT_ID } from '../../core/fleet/context.ts';
import { K6Error } from './errors.ts';
import { writeLedgerFile, type LedgerFileInfo } from './ledger-file.ts';
import { K6_SCRIPT } from './script.ts';
import { testRunYaml, CONFIGMAP_LIMIT_BYTES } from './test-run.ts';
import type { K6World, WorldArrival } from './world.ts';

export const K6_EXPORT_VERSION = 1;
/** Each data file stays below this, so it fits one ConfigMap (limit 1 MiB) with room for the object's metadata. */
export const DATA_FILE_BYTES = 900 * 1024;
/** Metrics of `fleetbed load` that k6 does not have: thresholds on them are left out of the k6 options (and listed). */
const NOT_IN_K6 = new Set(['achieved_rate_ratio', 'generator_saturated']);

export interface DataFile {
  name: string;
  first: number;
  count: number;
  bytes: number;
}

/** fleetbed-k6.json: what the script, `k6 prepare` and `load reconcile` read. */
export interface K6Manifest {
  version: typeof K6_EXPORT_VERSION;
  plan: { name: string; file: string; seed: string; describe: string; shape: string };
  fleet: { seed: number; devices: number; households: number; phones: number; startS: number };
  /** The platform clock (ms) during bonding, and during the k6 run (every exported record's verdict was booked at it). */
  clock: { startMs: number; ingestMs: number };
  clientId: string;
  phases: { prelude: { rows: number; files: DataFile[] }; load: { rows: number; files: DataFile[] } };
  credentials: DataFile[];
  uploads: number;
  k6: { scenarios: { prelude: Record<string, unknown>; load: Record<string, unknown> }; thresholds: Record<string, string[]>; thresholdsLeftOut: string[]; approximation: string };
  ledger: LedgerFileInfo;
  kubernetes: { dataBytes: number; mount: 'configmaps' | 'pvc' };
}

export interface ExportResult {
  manifest: K6Manifest;
  files: string[];
}

/**
 * Write a runnable k6 project for a load plan's world into `dir`: script.ts, the
 * device-signed uploads in schedule order (data files below 1 MiB each), the accounts'
 * credentials, the expected ledger (each upload booked with the platform's ingestion
 * rules at the run's clock), testrun.yaml for k6-operator and fleetbed-k6.json.
 */
export function exportK6(world: K6World, dir: string, o: { parallelism: number; maxVUs?: number }): ExportResult {
  if (world.fleet.startS * 1000 !== world.startMs) throw new K6Error('FLEETBED_K6_EXPORT_INVALID', `the fleet starts at ${world.fleet.startS} s, the clock at ${world.startMs} ms: build the fleet at the export's start`);
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const write = (name: string, text: string | Uint8Array) => {
    writeFileSync(join(dir, name), text);
    written.push(name);
  };

  // The simulation, in schedule order: prelude, then the measured arrivals (the load driver's order).
  type Row = { p: number; n?: 1; u: Array<{ k: string; b: string; r?: 1 }> };
  const slots: Array<{ phone: number; vt: number; phase: 'prelude' | 'load' }> = [];
  for (const s of world.prelude) slots.push({ ...s, phase: 'prelude' });
  for (let i = 0; i < world.arrivals.count; i++) slots.push({ phone: world.arrivals.phone(i), vt: world.arrivals.vt(i), phase: 'load' });
  const ingestS = slots.reduce((m, s) => Math.max(m, s.vt), world.fleet.startS);
  const ingestMs = ingestS * 1000;
  const model = new ModelPlatform(world.fleet);
  const chunks = { prelude: new Chunker('prelude'), load: new Chunker('load') };
  let uploads = 0;
  for (const s of slots) {
    const p = world.prepare(s.phone, s.vt);
    const row: Row = { p: s.phone, ...(p.reinstalled ? { n: 1 as const } : {}), u: [] };
    for (const u of p.uploads) {
      row.u.push({ k: u.key, b: u.body, ...(u.timeoutAfterCommit ? { r: 1 as const } : {}) });
      uploads++;
      for (let k = 0; k < u.seqs.length; k++) {
        const v = model.judge(u.devices[k]!, u.seqs[k]!, u.startedAt[k]!, ingestMs);
        world.ledger.recordVerdict(u.devices[k]!, u.seqs[k]!, u.startedAt[k]!, ingestMs, v.verdict, v.code, u.sent[k]);
      }
    }
    chunks[s.phase].add(JSON.stringify(row));
  }
  world.ledger.close();
  const phases = { prelude: chunks.prelude.finish(write), load: chunks.load.finish(write) };

  const identities = new Identities(world.fleet.seed);
  const creds = new Chunker('credentials');
  for (let p = 0; p < world.fleet.phoneCount; p++) {
    const id = identities.of(world.fleet.phoneHousehold[p]!);
    creds.add(JSON.stringify([id.email, id.password]));
  }
  const credentials = creds.finish(write).files;
  const ledger = writeLedgerFile(world.ledger, join(dir, 'ledger.bin'));
  written.push('ledger.bin');

  const thresholds: Record<string, string[]> = {};
  const thresholdsLeftOut: string[] = [];
  for (const [metric, exprs] of Object.entries(world.plan.thresholds)) {
    if (NOT_IN_K6.has(metric.split('{')[0]!)) thresholdsLeftOut.push(metric);
    else thresholds[metric] = [...exprs];
  }
  const { scenario, approximation } = loadScenario(world.plan.arrival, world.targetPerSecond, phases.load.rows, o.maxVUs);
  const dataBytes = [...phases.prelude.files, ...phases.load.files, ...credentials].reduce((n, f) => n + f.bytes, 0);
  const mount = dataBytes > 64 * CONFIGMAP_LIMIT_BYTES ? 'pvc' : 'configmaps';
  const manifest: K6Manifest = {
    version: K6_EXPORT_VERSION,
    plan: { name: world.plan.name, file: world.plan.file, seed: world.plan.seed, describe: world.plan.describe, shape: world.plan.arrival.shape },
    fleet: { seed: world.fleetSeed, devices: world.fleet.deviceCount, households: world.fleet.householdCount, phones: world.fleet.phoneCount, startS: world.fleet.startS },
    clock: { startMs: world.startMs, ingestMs },
    clientId: CLIENT_ID,
    phases,
    credentials,
    uploads,
    k6: {
      scenarios: { prelude: { executor: 'shared-iterations', vus: Math.max(1, Math.min(64, phases.prelude.rows)), iterations: Math.max(1, phases.prelude.rows), maxDuration: '6h' }, load: scenario },
      thresholds,
      thresholdsLeftOut,
      approximation,
    },
    ledger,
    kubernetes: { dataBytes, mount },
  };
  write('fleetbed-k6.json', JSON.stringify(manifest, null, 2) + '\n');
  write('script.ts', K6_SCRIPT);
  write('testrun.yaml', testRunYaml(manifest, written.filter((f) => f !== 'ledger.bin'), o.parallelism));
  return { manifest, files: written };
}

/** The measured phase as one k6 scenario, and how faithful it is. */
export function loadScenario(a: WorldArrival, perSecond: readonly number[], rows: number, maxVUs?: number): { scenario: Record<string, unknown>; approximation: string } {
  const peak = Math.max(1, ...perSecond);
  const vus = { preAllocatedVUs: Math.min(500, Math.max(10, Math.ceil(peak))), maxVUs: maxVUs ?? Math.min(5000, Math.max(50, Math.ceil(peak * 10))) };
  if (a.shape === 'constant') {
    const seconds = Math.max(a.durationMs / 1000, Math.ceil(rows / a.rate));
    return { scenario: { executor: 'constant-arrival-rate', rate: a.rate, timeUnit: '1s', duration: `${Math.ceil(seconds * 1000)}ms`, ...vus }, approximation: 'exact: constant-arrival-rate at the plan\'s rate' };
  }
  let stages: Array<{ target: number; duration: string }>;
  let startRate: number;
  let why: string;
  if (a.shape === 'ramping') {
    startRate = a.startRate;
    stages = a.stages.map((s) => ({ target: s.target, duration: `${s.durationMs}ms` }));
    why = 'exact: ramping-arrival-rate with the plan\'s stages';
  } else {
    // k6 has no executor for this shape: one stage per run of equal per-second target rates.
    startRate = perSecond[0] ?? 0;
    stages = [];
    for (let s = 0; s < perSecond.length; ) {
      let e = s + 1;
      while (e < perSecond.length && perSecond[e] === perSecond[s]) e++;
      stages.push({ target: perSecond[s]!, duration: `${e - s}s` });
      s = e;
    }
    why = `approximate: ${a.shape} has no k6 executor; ramping-arrival-rate through ${stages.length} stages of the schedule's per-second target rates (k6 ramps linearly within each, fleetbed places each sync at its own instant)`;
  }
  // k6 starts about the integral of the rate; a tail at the last rate makes sure every row gets an iteration.
  let integral = 0;
  let from = startRate;
  for (const s of stages) {
    const sec = parseFloat(s.duration) / (s.duration.endsWith('ms') ? 1000 : 1);
    integral += ((from + s.target) / 2) * sec;
    from = s.target;
  }
  if (integral < rows) {
    const tailRate = Math.max(1, from);
    stages.push({ target: tailRate, duration: '1s' }, { target: tailRate, duration: `${Math.ceil((rows - integral) / tailRate) + 1}s` });
    why += `; a tail at ${tailRate}/s so all ${rows} rows are started (iterations past the last row send nothing)`;
  }
  return { scenario: { executor: 'ramping-arrival-rate', startRate, timeUnit: '1s', stages, ...vus }, approximation: why };
}

/** Rows (JSON texts) into JSON-array files below DATA_FILE_BYTES each. */
class Chunker {
  readonly #files: DataFile[] = [];
  #rows: string[] = [];
  #bytes = 2;

  #count = 0;
  readonly #pending: Array<{ f: DataFile; text: string }> = [];

  constructor(readonly prefix: string) {}

  add(json: string): void {
    const b = Buffer.byteLength(json) + 1;
    if (this.#rows.length > 0 && this.#bytes + b > DATA_FILE_BYTES) this.#flush();
    if (b + 2 > DATA_FILE_BYTES) throw new K6Error('FLEETBED_K6_UNSUPPORTED', `one ${this.prefix} row is ${b} bytes, above the ${DATA_FILE_BYTES}-byte data file limit`);
    this.#rows.push(json);
    this.#bytes += b;
    this.#count++;
  }

  #flush(): void {
    const text = `[${this.#rows.join(',\n')}]\n`;
    const first = this.#count - this.#rows.length;
    const f = { name: `${this.prefix}-${String(this.#files.length).padStart(4, '0')}.json`, first, count: this.#rows.length, bytes: Buffer.byteLength(text) };
    this.#files.push(f);
    this.#pending.push({ f, text });
    this.#rows = [];
    this.#bytes = 2;

  }

  finish(write: (name: string, text: string) => void): { rows: number; files: DataFile[] } {
    if (this.#rows.length > 0) this.#flush();
    for (const { f, text } of this.#pending) write(f.name, text);
    return { rows: this.#count, files: this.#files };
  }
}
