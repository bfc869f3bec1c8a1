import { describe, expect, it } from 'vitest';
import { makeRunReport } from '../test/reports/fixtures.ts';
import { colorEnabled, renderTable } from './terminal.ts';

const ESC = '\x1b';

describe('renderTable', () => {
  it('shows each scenario with its verdict, the failing invariants with counts, failing attacks and the replay lines', () => {
    const report = makeRunReport({ failing: true });
    const text = renderTable(report);
    expect(text).not.toContain(ESC);
    const lines = text.split('\n');
    expect(lines[0]).toBe(`fleetbed run  FAIL  seed 20261127 · commit 3c956710590d · ledger ${report.ledgerDigest.slice(0, 12)} · 44.9 s`);
    expect(lines).toContain('  SCENARIO                    VERDICT  INVARIANTS        THRESHOLDS  DEVICES    WALL');
    expect(lines).toContain('  late-and-duplicate-uploads  PASS     7/8 pass, 1 skip  2/2 pass      2,000  14.6 s');
    expect(lines).toContain('  ota-canary-quiet-brick      PASS     4/4 pass          —            20,000  21.4 s');
    expect(text).toMatch(/^ {2}retry-after-commit +FAIL +1 fail of 5 /m);
    expect(text).toContain('      ✗ ING-1 exactly once: every relayed record stored once, nothing stored that no device produced: 3 violations of 5,628 checked');
    expect(text).toContain('  attacks: 6 of 8 refused with no side effect, 2 got through');
    expect(text).toContain('      ✗ bola-list-other-sessions (API1:2023): expected 404 FLEETBED_DEVICE_NOT_FOUND, got 200 (3 sessions of account 7 returned)');
    expect(text).toContain('      ✗ flood-idempotency-keys (API4:2023): refused but changed state');
    expect(text).toContain(`Reproduce (commit ${report.commit}):\n  ${report.scenarios[1]!.replay}  # retry-after-commit\n`);
  });

  it('a passing run has no failure lines and no replay section', () => {
    const text = renderTable(makeRunReport());
    expect(text).toMatch(/^fleetbed run {2}PASS/);
    expect(text).not.toContain('✗');
    expect(text).not.toContain('Reproduce');
  });

  it('colours verdicts only when asked, and keeps the columns aligned', () => {
    const plain = renderTable(makeRunReport({ failing: true }));
    const coloured = renderTable(makeRunReport({ failing: true }), { color: true });
    expect(coloured).toContain(`${ESC}[31m${ESC}[1mFAIL`);
    expect(coloured).toContain(`${ESC}[32m${ESC}[1mPASS`);
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).toBe(plain);
  });

  it('cannot be steered by escape sequences or line breaks in report strings', () => {
    const report = makeRunReport({ failing: true });
    report.scenarios[1]!.name = `evil${ESC}[2J${ESC}]0;pwned\x07\nFAKE  PASS`;
    report.scenarios[1]!.invariants[0]!.title = `x\r\x1b[1A`;
    const text = renderTable(report);
    expect(text).not.toContain(ESC);
    expect(text).not.toContain('\r');
    expect(text).not.toContain('\x07');
    expect(text).toContain('evil\\u001B[2J\\u001B]0;pwned\\u0007\\nFAKE  PASS');
    expect(text.split('\n').some((l) => l.startsWith('FAKE'))).toBe(false);
  });

  it('shows a scenario that could not run as ERROR with its first line', () => {
    const report = makeRunReport();
    report.scenarios[0] = { ...report.scenarios[0]!, verdict: 'fail', error: 'FLEETBED_ENV_NO_DOCKER: no Docker engine\nstack…', invariants: [], thresholds: [] };
    const text = renderTable(report);
    expect(text).toMatch(/late-and-duplicate-uploads +ERROR +— +— /);
    expect(text).toContain('      ✗ error: FLEETBED_ENV_NO_DOCKER: no Docker engine\n');
  });
});

describe('colorEnabled', () => {
  it('follows the TTY, NO_COLOR and FORCE_COLOR', () => {
    expect(colorEnabled({ isTTY: true, env: {} })).toBe(true);
    expect(colorEnabled({ isTTY: false, env: {} })).toBe(false);
    expect(colorEnabled({ isTTY: undefined, env: {} })).toBe(false);
    expect(colorEnabled({ isTTY: true, env: { NO_COLOR: '1' } })).toBe(false);
    expect(colorEnabled({ isTTY: false, env: { FORCE_COLOR: '1' } })).toBe(true);
    expect(colorEnabled({ isTTY: true, env: { FORCE_COLOR: '0' } })).toBe(false);
    expect(colorEnabled({ isTTY: true, env: { NO_COLOR: '1', FORCE_COLOR: '1' } })).toBe(false);
  });
});
