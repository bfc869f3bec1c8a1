import { describe, expect, it } from 'vitest';
import { NASTY, makeRunReport } from '../test/reports/fixtures.ts';
import { renderJunit } from './junit-xml.ts';
import type { RunReport } from './types.ts';

function attrOf(tag: string, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
}

function tags(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}\\b[^>]*>`, 'g'))].map((m) => m[0]);
}

function unescapeXml(s: string): string {
  return s.replace(/&(#\d+|lt|gt|amp|quot|apos);/g, (_, e: string) =>
    e.startsWith('#') ? String.fromCharCode(Number(e.slice(1))) : ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[e]!,
  );
}

/** Characters XML 1.0 cannot carry, even as character references. */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('renderJunit', () => {
  it('has one suite per scenario, one case per invariant and threshold, and totals that add up', () => {
    const report = makeRunReport({ failing: true });
    const xml = renderJunit(report);
    const suites = tags(xml, 'testsuite');
    expect(suites.map((s) => attrOf(s, 'name'))).toEqual([...report.scenarios.map((s) => s.name), 'attacks']);

    report.scenarios.forEach((s, i) => {
      expect(Number(attrOf(suites[i]!, 'tests'))).toBe(s.invariants.length + s.thresholds.length);
      expect(Number(attrOf(suites[i]!, 'failures'))).toBe(s.invariants.filter((v) => v.verdict === 'fail').length + s.thresholds.filter((t) => t.verdict === 'fail').length);
      expect(Number(attrOf(suites[i]!, 'skipped'))).toBe(s.invariants.filter((v) => v.verdict === 'skip').length);
      expect(attrOf(suites[i]!, 'time')).toBe(s.wallSeconds.toFixed(3));
    });

    const root = tags(xml, 'testsuites')[0]!;
    const cases = tags(xml, 'testcase');
    expect(Number(attrOf(root, 'tests'))).toBe(cases.length);
    expect(cases.length).toBe(report.scenarios.reduce((n, s) => n + s.invariants.length + s.thresholds.length, 0) + report.attacks!.length);
    expect(Number(attrOf(root, 'failures'))).toBe(tags(xml, 'failure').length);
    expect(tags(xml, 'failure')).toHaveLength(3); // ING-1, one attack through, one attack that changed state
    expect(Number(attrOf(root, 'errors'))).toBe(0);
    expect(Number(attrOf(root, 'skipped'))).toBe(tags(xml, 'skipped').length);
    expect(Number(attrOf(root, 'skipped'))).toBe(1);
    expect(attrOf(root, 'time')).toBe('44.910');
    for (const sum of ['tests', 'failures', 'errors', 'skipped'] as const) {
      expect(suites.reduce((n, s) => n + Number(attrOf(s, sum)), 0)).toBe(Number(attrOf(root, sum)));
    }
  });

  it('names a case after its scenario and invariant, and a failure carries its witnesses one per line, the replay line and the commit', () => {
    const report = makeRunReport({ failing: true });
    const xml = renderJunit(report);
    const m = /<testcase classname="retry-after-commit" name="ING-1 exactly once[^"]*" time="[\d.]+">\s*<failure message="([^"]*)" type="InvariantViolation">([^<]*)<\/failure>/.exec(xml);
    expect(m).not.toBeNull();
    expect(unescapeXml(m![1]!)).toMatch(/^ING-1 .*: 3 violations of [\d,]+ checked$/);
    const body = unescapeXml(m![2]!).split('\n');
    const ing1 = report.scenarios[1]!.invariants[0]!;
    const witnessLines = body.filter((l) => l.startsWith('device '));
    expect(witnessLines).toHaveLength(3);
    expect(witnessLines[0]).toBe(`device 17, seq 4211: expected stored exactly once, found stored 2 times (events 88121, 88122) (${ing1.witnesses[0]!.detail})`);
    expect(body).toContain(`replay: ${report.scenarios[1]!.replay}`);
    expect(body).toContain(`commit: ${report.commit}`);
  });

  it('writes a skipped case with its reason, a threshold case, and a scenario that could not run as one error case', () => {
    const report = makeRunReport();
    const broken: RunReport = {
      ...report,
      verdict: 'fail',
      scenarios: [{ ...report.scenarios[0]!, verdict: 'fail', error: 'FLEETBED_ENV_START_TIMEOUT: the API did not answer /readyz within 30000 ms\n  at start (harness/core/env/embedded.ts:88)', invariants: [], thresholds: [] }],
    };
    const xml = renderJunit(broken);
    expect(xml).toContain('<testcase classname="late-and-duplicate-uploads" name="scenario error" time="0.000">');
    expect(xml).toMatch(/<error message="late-and-duplicate-uploads could not run: FLEETBED_ENV_START_TIMEOUT: the API did not answer \/readyz within 30000 ms" type="ScenarioError">/);
    expect(xml).toContain('replay: npx fleetbed run scenarios/ci/late-and-duplicate.ts');
    const root = tags(xml, 'testsuites')[0]!;
    expect([attrOf(root, 'tests'), attrOf(root, 'errors'), attrOf(root, 'failures')]).toEqual(['9', '1', '0']);

    const ok = renderJunit(report);
    expect(ok).toContain('<skipped message="no care-provider query in this scenario"/>');
    expect(ok).toContain('<testcase classname="late-and-duplicate-uploads" name="threshold http_req_duration p(99)&lt;250" time="0.000"/>');
  });

  it('escapes hostile strings everywhere: markup, quotes, control characters, ]]>, lone surrogates', () => {
    const base = makeRunReport({ failing: true });
    const s = base.scenarios[1]!;
    const report: RunReport = {
      ...base,
      command: NASTY,
      scenarios: [
        {
          ...s,
          name: NASTY,
          file: NASTY,
          replay: `npx fleetbed run ${NASTY}`,
          invariants: [{ ...s.invariants[0]!, id: NASTY, title: NASTY, witnesses: [{ device: 1, seq: 2, expected: NASTY, found: NASTY, detail: NASTY }] }],
          thresholds: [{ metric: NASTY, expression: NASTY, verdict: 'fail', actual: NaN }],
        },
      ],
      attacks: [{ ...base.attacks![1]!, id: NASTY, title: NASTY, expected: NASTY, got: NASTY }],
    };
    const xml = renderJunit(report);

    expect(xml).not.toMatch(NOT_XML);
    expect(xml).not.toContain(']]>');
    expect(xml).not.toContain('<script');
    expect(xml).not.toContain('\r');
    // Every attribute value is quoted with " and holds no raw <, " or line break.
    for (const tag of xml.match(/<[a-z][^>]*>/g)!) {
      expect(tag).toMatch(/^<[a-z]+(\s+[a-zA-Z]+="[^"<\n\t]*")*\s*\/?>$/);
    }
    // Every & starts an entity.
    expect(xml.replace(/&(#\d+|lt|gt|amp|quot|apos);/g, '')).not.toContain('&');
    // The name survives as text that shows what was there.
    const suiteName = unescapeXml(attrOf(tags(xml, 'testsuite')[0]!, 'name')!);
    expect(suiteName).toBe(`<>&"' ]]> \\u0000\\u0001\\u0008\\u000B\\u000C\\u001B[31m\\u007F tab\there\r\nline2 \\uD800 end`);
    // A witness stays on one line inside the failure text.
    const failure = unescapeXml(/<failure [^>]*>([^<]*)<\/failure>/.exec(xml)![1]!);
    expect(failure.split('\n').filter((l) => l.startsWith('device 1, seq 2'))).toHaveLength(1);
  });

  it('is deterministic', () => {
    expect(renderJunit(makeRunReport({ failing: true }))).toBe(renderJunit(makeRunReport({ failing: true })));
  });
});
