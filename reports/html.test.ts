import { describe, expect, it } from 'vitest';
import { NASTY, makeRunReport } from '../test/reports/fixtures.ts';
import { renderHtml } from './html.ts';
import type { RunReport } from './types.ts';

/** The HTML of one scenario's section. */
function section(html: string, name: string): string {
  const start = html.indexOf(`<section class="scenario" id="scenario-`, html.indexOf(`data-scenario="${name}"`) - 80);
  const end = html.indexOf('</section>\n<section class="scenario"', start + 1);
  return html.slice(start, end === -1 ? undefined : end);
}

describe('renderHtml', () => {
  it('loads nothing from the network: no external src/href/url(), no script, a CSP that forbids it', () => {
    for (const failing of [false, true]) {
      const html = renderHtml(makeRunReport({ failing }));
      expect(html).not.toMatch(/\b(src|href|action|poster|data|xlink:href)\s*=\s*["']?\s*(https?:|\/\/)/i);
      expect(html).not.toMatch(/url\(\s*["']?(?!data:)/i);
      expect(html).not.toMatch(/@import/i);
      expect(html).not.toMatch(/<(script|link|iframe|object|embed|img|base)\b/i);
      expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:;`);
      // Links in text are fine; the only href values are in-page anchors.
      for (const m of html.matchAll(/href="([^"]*)"/g)) expect(m[1]).toMatch(/^#[\w-]+$/);
    }
  });

  it('shows every invariant of every scenario with its verdict in colour class and in words', () => {
    const report = makeRunReport({ failing: true });
    const html = renderHtml(report);
    for (const s of report.scenarios) {
      const sec = section(html, s.name);
      expect(sec).toContain(`data-verdict="${s.verdict}"`);
      for (const inv of s.invariants) {
        const row = new RegExp(`<tr data-invariant="${inv.id}" data-verdict="${inv.verdict}" class="row-${inv.verdict}">.*?</tr>`).exec(sec);
        expect(row, `${s.name} ${inv.id}`).not.toBeNull();
        expect(row![0]).toContain(`<span class="verdict v-${inv.verdict}">`);
        expect(row![0]).toContain({ pass: 'PASS', fail: 'FAIL', skip: 'SKIP' }[inv.verdict]);
      }
    }
  });

  it("shows a failing invariant's witnesses and replay line, escaped", () => {
    const report = makeRunReport({ failing: true });
    const html = renderHtml(report);
    const detail = /<tr class="detail" data-witnesses-for="ING-1">.*?<\/tr>/s.exec(html)![0];
    expect(detail.match(/<li data-witness>/g)).toHaveLength(3);
    expect(detail).toContain('<span class="where">device 481, seq 1,302</span>');
    expect(detail).toContain('phone note &lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt; &amp; &quot;quoted&quot;');
    expect(detail).toContain(`<code>${report.scenarios[1]!.replay}</code>`);
    expect(html).toContain('<section class="replay-box"');
    expect(html).not.toContain('<img');
  });

  it('charts uploads, duplicates, late records and p99 latency with one point per timeline step, and a data table', () => {
    const report = makeRunReport({ failing: false });
    const html = renderHtml(report);
    for (const s of report.scenarios) {
      const sec = section(html, s.name);
      for (const chart of ['uploads', 'duplicates', 'late', 'latency-p99']) {
        const svg = new RegExp(`<svg class="chart tone-\\d" data-chart="${chart}" data-points="(\\d+)".*?</svg>`).exec(sec);
        expect(svg, `${s.name} ${chart}`).not.toBeNull();
        expect(Number(svg![1])).toBe(30);
        expect(svg![0].match(/<circle data-point=/g)).toHaveLength(30);
        expect(svg![0]).toMatch(/<path class="line" data-series="[a-z0-9-]+" d="M[\d.,L]+"\/>/);
        expect(svg![0]).toContain('simulated time (');
      }
      expect(sec).toContain('<summary>Timeline data (30 points)</summary>');
      expect(sec.match(/<table class="timeline-data">.*?<\/table>/s)![0].match(/<tr>/g)).toHaveLength(31);
    }
  });

  it('charts OTA blast radius per policy with the numbers', () => {
    const html = renderHtml(makeRunReport());
    const sec = section(html, 'ota-canary-quiet-brick');
    expect(sec).toMatch(/<svg class="chart bars" data-chart="blast-radius" data-points="2"/);
    expect(sec).toContain('<rect data-bar="health-gate" data-value="312"');
    expect(sec).toContain('<rect data-bar="transfer-success" data-value="19874"');
    expect(sec).toContain('<tr data-policy="transfer-success" data-value="19874"><td><code>transfer-success</code></td><td class="num">19,874</td><td class="num">99.4% of 20,000</td></tr>');
    expect(section(html, 'retry-after-commit')).not.toContain('data-chart="blast-radius"');
  });

  it('shows a legacy scenario\'s migration section, and its scalars rather than a JSON dump in the metrics table', () => {
    const base = makeRunReport();
    const l = (line: string, queuePosition: number, state: string, cutOverDay: number | null, nightsToCutover: number | null) => ({
      line,
      migrating: true,
      queuePosition,
      state,
      driftBeforeMigration: queuePosition - 1,
      driftAfterMigration: 1,
      divergences: { 'missing-in-v2': 0, 'missing-in-legacy': 0, 'field-differs': 2, 'unmapped-field': 1 },
      dirtyNights: 1,
      mappingChanges: 1,
      dualWriteDay: 1,
      cutOverDay,
      nightsToCutover,
      refusedCutovers: 3,
    });
    const big = [l('sonic-classic', 1, 'v2-only', 40, 40), l('kids-club', 2, 'dual-write', null, null)];
    const cheap = [l('kids-club', 1, 'v2-only', 31, 31), l('sonic-classic', 2, 'v2-only', 62, 31)];
    const legacy = { order: 'big-first', days: 90, requiredCleanNights: 30, queue: ['sonic-classic', 'kids-club'], lines: big, nights: [{ day: 1, lines: { 'sonic-classic': { clean: true, cleanNights: 1, divergences: 0 } } }], counterfactual: { order: 'cheap-first', days: 90, lines: cheap, nights: [] }, orders: { 'big-first': big, 'cheap-first': cheap } };
    const scenario = { ...base.scenarios[0]!, name: 'legacy-migration-order', metrics: { ...base.scenarios[0]!.metrics, legacy } };
    const html = renderHtml({ ...base, scenarios: [...base.scenarios, scenario] });
    const sec = section(html, 'legacy-migration-order');
    expect(sec).toContain('<section class="legacy" data-legacy aria-labelledby="scenario-4-legacy">');
    expect(sec).toContain('cheap-first cut over 2 of 2 lines by day 90, big-first 1;');
    expect(sec).toMatch(/<tr data-legacy-line="kids-club" data-order="big-first"[^>]*>.*?<td class="num" data-col="nights-to-cutover">—<\/td><\/tr>/);
    expect(sec).toContain('data-chart="legacy-nights-to-cutover"');
    expect(sec).toContain('data-chart="legacy-nights"');
    expect(sec).toContain('<tr data-metric="legacy.order"><th scope="row"><code>legacy.order</code></th><td class="num">big-first</td></tr>');
    expect(sec).toContain('<tr data-metric="legacy.counterfactual.order">');
    expect(sec).not.toContain('<tr data-metric="legacy">');
    expect(sec).not.toContain('&quot;driftBeforeMigration&quot;');
    for (const other of base.scenarios) expect(section(html, other.name)).not.toContain('data-legacy');
    expect(renderHtml(base)).not.toContain('data-legacy');
  });

  it('groups attacks by OWASP class in Top 10 order, with the request and response of one that got through', () => {
    const html = renderHtml(makeRunReport({ failing: true }));
    const groups = [...html.matchAll(/<section class="owasp" data-owasp="([^"]+)"/g)].map((m) => m[1]);
    expect(groups).toEqual(['API1:2023', 'API2:2023', 'API3:2023', 'API4:2023', 'API5:2023', 'AUTH-3']);
    expect(html).toContain('API1:2023 Broken Object Level Authorization');
    expect(html).toMatch(/<tr id="attack-2" data-attack="bola-list-other-sessions" data-verdict="got-through"/);
    const detail = /<tr class="detail" data-attack-detail="bola-list-other-sessions">.*?<\/tr>/s.exec(html)![0];
    expect(detail).toContain('<pre data-attack-request>GET /v2/devices/dev-000481/sessions?limit=50\nauthorization: Bearer [redacted: token of account 12]');
    expect(detail).toContain('&lt;img src=\\&quot;http://evil.example/pixel.png\\&quot;&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt;');
    expect(html).toContain('data-attack-detail="flood-idempotency-keys"');
    expect(html).toContain('<span class="state-changed state-flag">✗ CHANGED</span>');
    expect(html).not.toContain('data-attack-detail="token-expired"');
    expect(renderHtml({ ...makeRunReport(), attacks: undefined })).not.toContain('id="attacks"');
  });

  it('escapes hostile strings in every field it shows', () => {
    const base = makeRunReport({ failing: true });
    const s = base.scenarios[1]!;
    const evil = `${NASTY}<script>alert(1)</script><svg onload=alert(1)>`;
    const report: RunReport = {
      ...base,
      command: evil,
      seed: evil,
      commit: evil,
      runId: evil,
      environment: { kind: evil, apiUrl: evil },
      scenarios: [
        {
          ...s,
          name: evil,
          description: evil,
          file: evil,
          replay: evil,
          error: evil,
          invariants: [{ ...s.invariants[0]!, id: evil, title: evil, witnesses: [{ expected: evil, found: evil, detail: evil }] }],
          thresholds: [{ metric: evil, expression: evil, verdict: 'fail', actual: 1 }],
          metrics: { ...s.metrics, [evil]: evil, ota: { blastRadius: { [evil]: 3 }, [evil]: { [evil]: evil } } },
        },
      ],
      attacks: [{ ...base.attacks![1]!, id: evil, class: evil, title: evil, expected: evil, got: evil, request: { method: evil, url: evil, headers: { [evil]: evil }, body: evil } }],
    };
    const html = renderHtml(report);
    expect(html).not.toMatch(/<script|<svg onload|<img|<\/?textarea/i);
    expect(html).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // Attribute values never break out of their quotes.
    for (const tag of html.match(/<[a-z][a-z0-9]*\s[^>]*>/g)!) expect(tag).toMatch(/^<[a-z][a-z0-9]*(\s+[a-zA-Z][a-zA-Z0-9-]*(="[^"<>]*")?)*\s*\/?>$/);
  });

  it('renders an empty timeline and a run without scenarios without throwing', () => {
    const report = makeRunReport();
    const html = renderHtml({ ...report, scenarios: [{ ...report.scenarios[0]!, timeline: [] }] });
    expect(html).toContain('data-chart="uploads" data-points="0"');
    expect(renderHtml({ ...report, scenarios: [] })).toContain('This run has no scenarios.');
  });

  it('is deterministic', () => {
    expect(renderHtml(makeRunReport({ failing: true }))).toBe(renderHtml(makeRunReport({ failing: true })));
  });
});
