import { attackFailed, formatNumber, formatThresholdFailure, formatViolations, formatWallSeconds, short } from './_internals/format.ts';
import { oneLine } from './_internals/text.ts';
import { owaspClass } from './owasp.ts';
import type { RunReport, ScenarioResult, Verdict } from './types.ts';

export interface TableOptions {
  /** ANSI colours; decide with {@link colorEnabled}. Default false. */
  color?: boolean;
}

/** What {@link colorEnabled} looks at: a stream's TTY flag and the environment. */
export interface ColorContext {
  isTTY?: boolean;
  env?: Record<string, string | undefined>;
}

/**
 * Colour on a TTY, unless `NO_COLOR` is set (https://no-color.org); `FORCE_COLOR`
 * (anything but `0`) turns it on anywhere, e.g. in a CI log that renders ANSI.
 */
export function colorEnabled({ isTTY, env = process.env }: ColorContext): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0';
  return Boolean(isTTY);
}

const ANSI = { red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', dim: '\x1b[2m', bold: '\x1b[1m', reset: '\x1b[0m' };
type Style = keyof typeof ANSI;

// Strings from the report (scenario names, witnesses, attack ids) are shown through
// oneLine(): an ESC or a newline from a hostile witness cannot move the cursor or
// forge a line.
const txt = (s: string) => oneLine(s);
const width = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;

/**
 * The end-of-run table for the terminal: the run's verdict and identity, one row
 * per scenario, each failing invariant or threshold under its scenario with its
 * counts, failing attack cases, and the replay lines. Ends with a newline.
 */
export function renderTable(report: RunReport, options: TableOptions = {}): string {
  const paint = (style: Style, s: string) => (options.color ? `${ANSI[style]}${s}${ANSI.reset}` : s);
  const verdict = (v: Verdict | 'error') => paint(v === 'pass' ? 'green' : 'red', paint('bold', v.toUpperCase()));
  const out: string[] = [];

  out.push(
    `${paint('bold', `fleetbed ${txt(commandName(report.command))}`)}  ${verdict(report.verdict)}  ${paint('dim', `seed ${txt(report.seed)} · commit ${txt(short(report.commit))} · ledger ${txt(short(report.ledgerDigest))} · ${formatWallSeconds(report.wallSeconds)}`)}`,
    '',
  );

  if (report.scenarios.length) {
    const header = ['SCENARIO', 'VERDICT', 'INVARIANTS', 'THRESHOLDS', 'DEVICES', 'WALL'];
    const rows = report.scenarios.map((s) => [
      txt(s.name),
      verdict(s.error !== undefined ? 'error' : s.verdict),
      tally(s.invariants.map((i) => i.verdict)),
      tally(s.thresholds.map((t) => t.verdict)),
      formatNumber(s.devices),
      formatWallSeconds(s.wallSeconds),
    ]);
    const widths = header.map((h, c) => Math.max(width(h), ...rows.map((r) => width(r[c]!))));
    const right = new Set([4, 5]);
    const line = (cells: string[]) =>
      `  ${cells.map((cell, c) => (right.has(c) ? ' '.repeat(widths[c]! - width(cell)) + cell : cell + ' '.repeat(widths[c]! - width(cell)))).join('  ')}`.trimEnd();
    out.push(paint('dim', line(header)));
    report.scenarios.forEach((s, i) => {
      out.push(line(rows[i]!));
      out.push(...failures(s).map((f) => `      ${paint('red', '✗')} ${f}`));
    });
  }

  const attacks = report.attacks;
  if (attacks?.length) {
    const bad = attacks.filter(attackFailed);
    out.push('', `  attacks: ${formatNumber(attacks.length - bad.length)} of ${formatNumber(attacks.length)} refused with no side effect${bad.length ? `, ${paint('red', `${bad.length} got through`)}` : ''}`);
    for (const a of bad) {
      const why = a.verdict === 'got-through' ? `expected ${txt(a.expected)}, got ${txt(a.got)}` : 'refused but changed state';
      out.push(`      ${paint('red', '✗')} ${txt(a.id)} ${paint('dim', `(${txt(owaspClass(a.class).key)})`)}: ${why}`);
    }
  }

  const failing = report.scenarios.filter((s) => s.verdict === 'fail');
  if (failing.length) {
    out.push('', paint('bold', `Reproduce (commit ${txt(report.commit)}):`));
    for (const s of failing) out.push(`  ${txt(s.replay)}  ${paint('dim', `# ${txt(s.name)}`)}`);
  }
  return `${out.join('\n')}\n`;
}

function commandName(command: string): string {
  return /\bfleetbed\s+([a-z-]+)/.exec(command)?.[1] ?? 'run';
}

/** `9/9 pass`, `1 fail of 9`, `8/9 pass, 1 skip`, `—`. */
function tally(verdicts: string[]): string {
  if (verdicts.length === 0) return '—';
  const fail = verdicts.filter((v) => v === 'fail').length;
  const skip = verdicts.filter((v) => v === 'skip').length;
  const pass = verdicts.length - fail - skip;
  const head = fail ? `${fail} fail of ${verdicts.length}` : `${pass}/${verdicts.length} pass`;
  return skip ? `${head}, ${skip} skip` : head;
}

function failures(s: ScenarioResult): string[] {
  const lines: string[] = [];
  if (s.error !== undefined) lines.push(`error: ${txt(s.error.split('\n', 1)[0] ?? '')}`);
  for (const inv of s.invariants) if (inv.verdict === 'fail') lines.push(`${txt(inv.id)} ${txt(inv.title)}: ${formatViolations(inv)}`);
  for (const t of s.thresholds) if (t.verdict === 'fail') lines.push(`threshold ${txt(formatThresholdFailure(t))}`);
  return lines;
}
