import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderJunit, writeReports } from '../../reports/index.ts';
import type { RunReport } from '../../reports/index.ts';
import { NASTY, makeRunReport } from './fixtures.ts';

/**
 * report.html opened from disk in a real Chromium (Debian's, driven by
 * playwright-core): the charts render with data, the invariant table shows each
 * verdict, a failing run shows its witnesses and replay line, and the page asks
 * the network for nothing.
 */
const CHROMIUM = process.env.FLEETBED_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOT = process.env.FLEETBED_REPORT_SCREENSHOT ?? '/tmp/fleetbed-report.png';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.log(`[fleetbed tests] report.html browser test skipped: no Chromium at ${CHROMIUM}. Install it (apt-get install -y chromium) or set FLEETBED_CHROMIUM.`);
}

// Callbacks given to page.evaluate run in the page. tsconfig has no DOM lib (on purpose: the
// rest of the code must not see browser globals), so they name the few members they use.
type InPage = {
  getComputedStyle(e: unknown): { color: string };
  DOMParser: new () => { parseFromString(text: string, type: 'application/xml'): XmlDoc };
};
interface XmlNode {
  nodeName: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
}
interface XmlDoc {
  documentElement: XmlNode;
  getElementsByTagName(name: string): { length: number; [i: number]: XmlNode | undefined };
}
interface SvgPath {
  getBBox(): { width: number; height: number };
  getTotalLength(): number;
}

describe.runIf(!haveChromium && process.env.FLEETBED_REQUIRE_CHROMIUM)('report.html in Chromium (required)', () => {
  it('needs Chromium: FLEETBED_REQUIRE_CHROMIUM is set', () => {
    expect.fail(`no Chromium at ${CHROMIUM}; .ci/run installs it with apt-get install -y chromium`);
  });
});

interface Opened {
  page: Page;
  context: BrowserContext;
  requests: string[];
  errors: string[];
}

describe.skipIf(!haveChromium)('report.html in Chromium', () => {
  let browser: Browser;
  let dir: string;
  const reports: Record<'pass' | 'fail', { report: RunReport; paths: Record<string, string> }> = {} as never;
  const opened: BrowserContext[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetbed-report-browser-'));
    for (const kind of ['pass', 'fail'] as const) {
      const report = makeRunReport({ failing: kind === 'fail' });
      reports[kind] = { report, paths: await writeReports(join(dir, kind), report) };
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  });

  afterAll(async () => {
    for (const c of opened) await c.close().catch(() => {});
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function open(path: string): Promise<Opened> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    opened.push(context);
    const page = await context.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(path).href, { waitUntil: 'load' });
    return { page, context, requests, errors };
  }

  function expectOffline({ requests, errors }: Opened): void {
    expect(requests.length).toBeGreaterThan(0); // the page itself
    for (const url of requests) expect(url).toMatch(/^(file|data):/);
    expect(errors).toEqual([]); // no CSP violation, no blocked load
  }

  async function checkCharts(page: Page, report: RunReport): Promise<void> {
    for (const s of report.scenarios) {
      const section = page.locator(`section.scenario[data-scenario="${s.name}"]`);
      for (const chart of ['uploads', 'duplicates', 'late', 'latency-p99']) {
        const svg = section.locator(`svg[data-chart="${chart}"]`);
        await expect.poll(() => svg.count()).toBe(1);
        const box = await svg.boundingBox();
        expect(box!.width, `${s.name} ${chart} width`).toBeGreaterThan(300);
        expect(box!.height, `${s.name} ${chart} height`).toBeGreaterThan(100);
        expect(Number(await svg.getAttribute('data-points'))).toBe(s.timeline.length);
        expect(await svg.locator('circle[data-point]').count()).toBe(s.timeline.length);
        const line = await svg.locator('path.line').evaluate((p) => {
          const path = p as unknown as SvgPath;
          const b = path.getBBox();
          return { length: path.getTotalLength(), width: b.width, height: b.height };
        });
        expect(line.length).toBeGreaterThan(100);
        expect(line.width).toBeGreaterThan(300);
        expect(line.height).toBeGreaterThan(0);
      }
    }
  }

  async function checkInvariants(page: Page, report: RunReport): Promise<void> {
    for (const s of report.scenarios) {
      for (const inv of s.invariants) {
        const row = page.locator(`section.scenario[data-scenario="${s.name}"] tr[data-invariant="${inv.id}"]`);
        expect(await row.getAttribute('data-verdict')).toBe(inv.verdict);
        const verdict = row.locator('.verdict');
        expect(await verdict.isVisible()).toBe(true);
        expect(await verdict.innerText()).toContain({ pass: 'PASS', fail: 'FAIL', skip: 'SKIP' }[inv.verdict]);
        expect(await row.locator('td').nth(3).innerText()).toBe(inv.checked.toLocaleString('en-US'));
      }
    }
  }

  it('renders the passing report: charts with every point, every verdict, the blast radius, nothing from the network', async () => {
    const { report, paths } = reports.pass;
    const o = await open(paths.html!);
    const { page } = o;
    expect(await page.title()).toMatch(/^fleetbed run: PASS/);
    expect(await page.locator('header.run-header .verdict').innerText()).toContain('PASS');
    await checkCharts(page, report);
    await checkInvariants(page, report);
    expect(await page.locator('tr[data-verdict="fail"]').count()).toBe(0);
    expect(await page.locator('.replay-box').count()).toBe(0);

    const bars = page.locator('svg[data-chart="blast-radius"] rect[data-bar]');
    expect(await bars.count()).toBe(2);
    const widths = await bars.evaluateAll((rs) => rs.map((r) => [r.getAttribute('data-bar'), r.getBoundingClientRect().width] as const));
    const w = Object.fromEntries(widths);
    expect(w['health-gate']).toBeGreaterThan(0);
    expect(w['transfer-success']).toBeGreaterThan(w['health-gate']! * 20);
    expect(await page.locator('svg[data-chart="blast-radius"]').innerHTML()).toContain('19,874 devices');

    expect(await page.locator('section.owasp').count()).toBe(6);
    expect(await page.locator('tr[data-attack][data-verdict="refused"]').count()).toBe(report.attacks!.length);
    expectOffline(o);
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-pass.png'), fullPage: true });
  });

  it("renders the failing report: ING-1 red with its witnesses and replay line visible, the attack that got through with its request", async () => {
    const { report, paths } = reports.fail;
    const o = await open(paths.html!);
    const { page } = o;
    expect(await page.title()).toMatch(/^fleetbed run: FAIL/);
    await checkCharts(page, report);
    await checkInvariants(page, report);

    const retry = report.scenarios[1]!;
    const ing1 = page.locator('section.scenario[data-scenario="retry-after-commit"] tr[data-invariant="ING-1"]');
    expect(await ing1.locator('.verdict').innerText()).toContain('FAIL');
    const [failColor, passColor] = await Promise.all([
      ing1.locator('.verdict').evaluate((e) => (globalThis as unknown as InPage).getComputedStyle(e).color),
      page.locator('tr[data-invariant="ING-2"] .verdict').first().evaluate((e) => (globalThis as unknown as InPage).getComputedStyle(e).color),
    ]);
    expect(failColor).not.toBe(passColor);

    const detail = page.locator('tr[data-witnesses-for="ING-1"]');
    const witnesses = detail.locator('li[data-witness]');
    expect(await witnesses.count()).toBe(3);
    for (let i = 0; i < 3; i++) {
      expect(await witnesses.nth(i).isVisible()).toBe(true);
      expect(await witnesses.nth(i).innerText()).toContain(retry.invariants[0]!.witnesses[i]!.found);
    }
    // The hostile detail is shown as text, not markup.
    expect(await witnesses.nth(2).innerText()).toContain('<img src=x onerror="window.__pwned=1">');
    const replay = detail.locator('[data-replay] code').first();
    expect(await replay.isVisible()).toBe(true);
    expect(await replay.innerText()).toBe(retry.replay);
    expect(await page.locator('.replay-box code[data-replay]').innerText()).toBe(retry.replay);
    expect(await page.locator('.replay-box').isVisible()).toBe(true);

    const attack = page.locator('tr[data-attack-detail="bola-list-other-sessions"]');
    expect(await attack.locator('pre[data-attack-request]').isVisible()).toBe(true);
    expect(await attack.locator('pre[data-attack-request]').innerText()).toContain('GET /v2/devices/dev-000481/sessions?limit=50');
    expect(await attack.locator('pre[data-attack-response]').innerText()).toContain('<script>window.__pwned=1</script>');
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('img, script').count()).toBe(0);
    expectOffline(o);

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 1100 });
    await page.locator('section.scenario[data-scenario="retry-after-commit"]').screenshot({ path: SCREENSHOT.replace(/\.png$/, '-scenario.png') });
    await page.locator('#attacks').screenshot({ path: SCREENSHOT.replace(/\.png$/, '-attacks.png') });
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-print.png'), fullPage: true });
  });

  it("junit.xml is well-formed for Chromium's XML parser, hostile strings included", async () => {
    const base = makeRunReport({ failing: true });
    const s = base.scenarios[1]!;
    const nasty: RunReport = {
      ...base,
      scenarios: [{ ...s, name: NASTY, invariants: [{ ...s.invariants[0]!, title: NASTY, witnesses: [{ device: 1, expected: NASTY, found: NASTY }] }] }],
      attacks: [{ ...base.attacks![1]!, id: NASTY }],
    };
    const o = await open(reports.fail.paths.html!);
    for (const xml of [await readFile(reports.fail.paths.junit!, 'utf8'), renderJunit(nasty)]) {
      const parsed = await o.page.evaluate((text) => {
        const doc = new (globalThis as unknown as InPage).DOMParser().parseFromString(text, 'application/xml');
        const error = doc.getElementsByTagName('parsererror')[0]?.textContent ?? null;
        const root = doc.documentElement;
        const suite = doc.getElementsByTagName('testsuite')[0];
        const failure = doc.getElementsByTagName('failure')[0];
        return { error, root: root.nodeName, tests: root.getAttribute('tests'), cases: doc.getElementsByTagName('testcase').length, suite: suite?.getAttribute('name'), failure: failure?.textContent ?? '' };
      }, xml);
      expect(parsed.error).toBeNull();
      expect(parsed.root).toBe('testsuites');
      expect(Number(parsed.tests)).toBe(parsed.cases);
      expect(parsed.failure).toContain('replay: npx fleetbed run scenarios/ci/retry-after-commit.ts');
    }
    const parsedNasty = await o.page.evaluate(
      (text) => new (globalThis as unknown as InPage).DOMParser().parseFromString(text, 'application/xml').getElementsByTagName('testsuite')[0]!.getAttribute('name'),
      renderJunit(nasty),
    );
    expect(parsedNasty).toBe(`<>&"' ]]> \\u0000\\u0001\\u0008\\u000B\\u000C\\u001B[31m\\u007F tab\there\r\nline2 \\uD800 end`);
  });
});
