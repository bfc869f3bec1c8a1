import { owaspClass } from '../../../reports/owasp.ts';
import type { AttackRequest } from '../../../reports/types.ts';
import type { CaseOutcome } from './run-attacks.ts';

/** The exact request, as a reviewer would paste it (secrets redacted). */
export function formatHttpRequest(r: AttackRequest): string {
  const head = [`${r.method} ${r.url} HTTP/1.1`, ...Object.entries(r.headers ?? {}).map(([k, v]) => `${k}: ${v}`)];
  const body = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  return [...head, '', body.length > 2000 ? body.slice(0, 2000) + `… (${body.length} chars)` : body].join('\n');
}

/** The terminal table, grouped by OWASP class (then invariants), and the request of every case that got through. */
export function renderAttackTable(results: CaseOutcome[], color = false): string {
  const paint = (c: 'red' | 'green' | 'dim' | 'bold', s: string) => (color ? `\x1b[${{ red: 31, green: 32, dim: 2, bold: 1 }[c]}m${s}\x1b[0m` : s);
  const groups = new Map<string, { title: string; rank: number; rows: CaseOutcome[] }>();
  for (const r of results) {
    const k = owaspClass(r.class);
    const g = groups.get(k.key) ?? { title: k.title, rank: k.rank, rows: [] };
    g.rows.push(r);
    groups.set(k.key, g);
  }
  const idW = Math.max(4, ...results.map((r) => r.id.length));
  const expW = Math.max(8, ...results.map((r) => Math.min(r.expected.length, 48)));
  const out: string[] = [];
  for (const [key, g] of [...groups].sort((a, b) => a[1].rank - b[1].rank || a[0].localeCompare(b[0]))) {
    const bad = g.rows.filter((r) => r.verdict === 'got-through' || !r.stateUnchanged).length;
    out.push('', paint('bold', `${key}${g.title ? ' ' + g.title : ''}`) + paint('dim', `  (${g.rows.length - bad}/${g.rows.length} refused)`));
    for (const r of g.rows) {
      const ok = r.verdict === 'refused' && r.stateUnchanged;
      const mark = ok ? paint('green', 'refused    ') : paint('red', 'GOT THROUGH');
      const exp = r.expected.length > 48 ? r.expected.slice(0, 47) + '…' : r.expected;
      out.push(`  ${mark}  ${r.id.padEnd(idW)}  ${exp.padEnd(expW)}  ${r.got}`);
    }
  }
  const failed = results.filter((r) => r.verdict === 'got-through' || !r.stateUnchanged);
  out.push('', `attacks: ${results.length - failed.length} of ${results.length} refused with no side effect${failed.length ? paint('red', `, ${failed.length} got through`) : ''}`);
  for (const r of failed) {
    out.push('', paint('red', `✗ ${r.id} (${r.class}): ${r.title}`), `  expected ${r.expected}, got ${r.got}${r.reason ? ` — ${r.reason}` : ''}`);
    if (r.request) out.push(paint('dim', '  --- request (secrets redacted) ---'), ...formatHttpRequest(r.request).split('\n').map((l) => '  ' + l));
    if (r.response) out.push(paint('dim', '  --- response ---'), `  ${r.response.status} ${typeof r.response.body === 'string' ? r.response.body.slice(0, 400) : JSON.stringify(r.response.body ?? '').slice(0, 400)}`);
  }
  return out.join('\n') + '\n';
}
