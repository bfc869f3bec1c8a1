import { Metrics } from './thresholds/metrics.ts';
import type { TimelinePoint } from '../../reports/types.ts';

/** One upload as the harness saw it. */
export interface UploadObservation {
  /** Simulated seconds since the scenario started. */
  t: number;
  latencyMs: number;
  /** HTTP status, or 0 when the request failed without a response (reset, dropped). */
  status: number;
  stored: number;
  duplicate: number;
  rejected: number;
  /** Records rejected as too-late. */
  late: number;
  replayed: boolean;
}

/**
 * The history of one scenario run: counters per step of simulated time (the
 * report's charts), k6-style metrics (thresholds), and facts the checkers need
 * (care-provider queries made, snapshots taken mid-run).
 */
/** One request made after a lifecycle event, as the party would make it, and what it had to get. */
export interface LifecycleObservation {
  rule: 'token-family' | 'consent';
  /** Whose tokens or consent (a household, a patient account). */
  subject: string;
  /** What was tried and what must hold. */
  step: string;
  expected: number[];
  status: number;
}

export class RunHistory {
  readonly metrics = new Metrics();
  readonly stepSeconds: number;
  readonly #points = new Map<number, TimelinePoint & { latencies: number[] }>();
  uploads = 0;
  /** Care-provider queries the harness made (PRIV-2 expects one audit row each). */
  careQueries: Array<{ providerAccountId: string; patientAccountId: string; status: number }> = [];
  /** Lifecycle requests the harness made after a lifecycle event (a replayed refresh token, a revoked consent), each with the statuses it must get (AUTH-5). */
  lifecycle: LifecycleObservation[] = [];
  /** event_id → md5 of the row, taken mid-run (ING-2 compares it at the end). */
  eventSnapshot: Map<number, string> | undefined;
  eventSnapshotAt: number | undefined;
  /**
   * Bonds the harness made after the initial one (each with a fresh device-signed
   * button-press proof), in order: device index and the household it was bonded to.
   * AUTH-3 expects one bond event per device plus these, and the last one's owner.
   * Absent: every device was bonded once, to its own household.
   */
  rebonds?: Array<{ device: number; household: number }>;
  /** Fault actions that happened, for the report. */
  faults: Array<{ t: number; label: string }> = [];

  constructor(stepSeconds = 3600) {
    this.stepSeconds = stepSeconds;
  }

  upload(o: UploadObservation): void {
    this.uploads++;
    const m = this.metrics;
    m.trend('http_req_duration').add(o.latencyMs);
    m.rate('upload_errors').add(o.status === 0 || o.status >= 500);
    m.counter('uploads').add();
    m.counter('records_stored').add(o.stored);
    m.counter('duplicates').add(o.duplicate);
    m.counter('rejected').add(o.rejected);
    const step = Math.floor(o.t / this.stepSeconds) * this.stepSeconds;
    let p = this.#points.get(step);
    if (!p) {
      p = { t: step, uploads: 0, recordsStored: 0, duplicates: 0, late: 0, rejected: 0, p99Ms: 0, latencies: [] };
      this.#points.set(step, p);
    }
    p.uploads++;
    p.recordsStored += o.stored;
    p.duplicates += o.duplicate;
    p.late += o.late;
    p.rejected += o.rejected;
    p.latencies.push(o.latencyMs);
  }

  /** One point per step from the first to the last step seen (empty steps are zeros). */
  timeline(untilSeconds: number): TimelinePoint[] {
    const out: TimelinePoint[] = [];
    for (let t = 0; t < Math.max(untilSeconds, this.stepSeconds); t += this.stepSeconds) {
      const p = this.#points.get(t);
      if (!p) {
        out.push({ t, uploads: 0, recordsStored: 0, duplicates: 0, late: 0, rejected: 0, p99Ms: 0 });
        continue;
      }
      const sorted = p.latencies.sort((a, b) => a - b);
      const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? 0;
      out.push({ t, uploads: p.uploads, recordsStored: p.recordsStored, duplicates: p.duplicates, late: p.late, rejected: p.rejected, p99Ms: Math.round(p99 * 10) / 10 });
    }
    return out;
  }
}
