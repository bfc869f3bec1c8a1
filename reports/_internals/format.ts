import type { AttackRequest, AttackResponse, AttackResult, InvariantResult, RunReport, ScenarioResult, ThresholdResult, Witness } from '../types.ts';
import { oneLine } from './text.ts';

const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const DECIMAL = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** `12,345`, `0.25`, `NaN`: grouped, at most two decimals, non-finite spelled out. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Number.isInteger(n) ? INTEGER.format(n) : DECIMAL.format(n);
}

/** Milliseconds: `0.84 ms`, `12.5 ms`, `250 ms`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  return `${ms >= 100 ? INTEGER.format(ms) : DECIMAL.format(ms)} ms`;
}

/** A wall-clock duration: `0.42 s`, `12.3 s`, `2 min 05 s`. */
export function formatWallSeconds(s: number): string {
  if (!Number.isFinite(s)) return String(s);
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 120) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
}

/** A simulated duration in its natural unit: `45 s`, `30 min`, `6 h`, `7 d`, `1 d 12 h`. */
export function formatSimDuration(s: number): string {
  if (!Number.isFinite(s)) return String(s);
  const parts: string[] = [];
  let rest = Math.round(s);
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['min', 60], ['s', 1]] as const) {
    const k = Math.floor(rest / size);
    if (k > 0) parts.push(`${k} ${unit}`);
    rest -= k * size;
    if (parts.length === 2) break;
  }
  return parts.length ? parts.join(' ') : '0 s';
}

/** The first 12 hex digits of a digest or commit, for narrow places. */
export function short(hash: string): string {
  return hash.length > 12 ? hash.slice(0, 12) : hash;
}

/**
 * One witness on one line: `device 17, seq 42: expected …, found … (detail)`.
 * Line breaks inside its fields are shown as `\n`.
 */
export function formatWitness(w: Witness): string {
  const where = [w.device !== undefined ? `device ${w.device}` : '', w.seq !== undefined ? `seq ${w.seq}` : ''].filter(Boolean).join(', ');
  const what = `expected ${oneLine(w.expected)}, found ${oneLine(w.found)}${w.detail ? ` (${oneLine(w.detail)})` : ''}`;
  return where ? `${where}: ${what}` : what;
}

/** `3 violations of 1,000 checked`. */
export function formatViolations(inv: InvariantResult): string {
  return `${formatNumber(inv.violations)} violation${inv.violations === 1 ? '' : 's'} of ${formatNumber(inv.checked)} checked`;
}

/** `http_req_duration p(99)<250 failed: actual 312.5`. */
export function formatThresholdFailure(t: ThresholdResult): string {
  return `${t.metric} ${t.expression} failed: actual ${formatNumber(t.actual)}`;
}

/** The replay line followed by the commit it applies to. */
export function replayWithCommit(scenario: ScenarioResult, report: RunReport): string {
  return `replay: ${scenario.replay}\ncommit: ${report.commit}`;
}

/** An attack case is a finding when it got through, or was refused but changed state anyway. */
export function attackFailed(a: AttackResult): boolean {
  return a.verdict === 'got-through' || !a.stateUnchanged;
}

function bodyText(body: unknown): string {
  if (body === undefined) return '';
  if (typeof body === 'string') return body;
  try {
    return JSON.stringify(body, null, 2) ?? String(body);
  } catch {
    return String(body);
  }
}

function headerLines(headers: Record<string, string> | undefined): string[] {
  return Object.entries(headers ?? {}).map(([k, v]) => `${k}: ${v}`);
}

/** A request as an HTTP-like message: request line, headers, blank line, body. */
export function formatRequest(r: AttackRequest): string {
  const body = bodyText(r.body);
  return [`${r.method} ${r.url}`, ...headerLines(r.headers), ...(body ? ['', body] : [])].join('\n');
}

/** A response as an HTTP-like message: status line, headers, blank line, body. */
export function formatResponse(r: AttackResponse): string {
  const body = bodyText(r.body);
  return [`HTTP ${r.status}`, ...headerLines(r.headers), ...(body ? ['', body] : [])].join('\n');
}
