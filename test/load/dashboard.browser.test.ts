import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `fleetbed load --dashboard` in a real Chromium (Debian's, driven by playwright-core):
 * the live page on localhost follows the run over server-sent events while it goes, and
 * the report.html the run exports draws the same four charts from the data embedded in
 * it, asking the network for nothing.
 */
const CHROMIUM = process.env.FLEETBED_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const CHARTS = ['rate', 'latency', 'saturation', 'generator'] as const;
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.log(`[fleetbed tests] load dashboard browser test skipped: no Chromium at ${CHROMIUM}. Install it (apt-get install -y chromium) or set FLEETBED_CHROMIUM.`);
}

describe.runIf(!haveChromium && process.env.FLEETBED_REQUIRE_CHROMIUM)('load dashboard in Chromium (required)', () => {
  it('needs Chromium: FLEETBED_REQUIRE_CHROMIUM is set', () => {
    expect.fail(`no Chromium at ${CHROMIUM}; .ci/run installs it with apt-get install -y chromium`);
  });
});

// Callbacks given to page.evaluate run in the page; tsconfig has no DOM lib, so they name what they use.
type InPage = { getComputedStyle(e: unknown): { stroke: string; strokeWidth: string } };
interface SvgPath {
  getAttribute(name: string): string | null;
  getTotalLength(): number;
  getBBox(): { width: number; height: number };
}

/** How each series of a chart is drawn: the points it plots and the painted line (a stroke that is not `none`). */
async function drawnLines(page: Page, chart: string): Promise<Array<{ series: string; points: number; stroke: string; length: number; width: number }>> {
  return page.locator(`[data-chart="${chart}"] svg path.line`).evaluateAll((ps) =>
    ps.map((p) => {
      const path = p as unknown as SvgPath;
      const style = (globalThis as unknown as InPage).getComputedStyle(p);
      return { series: path.getAttribute('data-series')!, points: Number(path.getAttribute('data-points')), stroke: style.stroke, length: path.getTotalLength(), width: path.getBBox().width };
    }),
  );
}

/** Points drawn by each series of a chart: `{ series: points }`. */
async function chartPoints(page: Page, chart: string): Promise<Record<string, number>> {
  const paths = page.locator(`[data-chart="${chart}"] svg path.line`);
  const pairs = await paths.evaluateAll((ps) => ps.map((p) => [p.getAttribute('data-series'), Number(p.getAttribute('data-points'))] as const));
  return Object.fromEntries(pairs);
}

describe.skipIf(!haveChromium)('fleetbed load --dashboard in Chromium', () => {
  let browser: Browser;
  let child: ChildProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'fleetbed-load-dashboard-'));
  const reportDir = join(dir, 'report');
  let stdout = '';
  let stderr = '';
  let exited: Promise<number>;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the live page updates while the run goes, then shows the verdict', { timeout: 320_000 }, async () => {
    const c = spawn(process.execPath, ['harness/cli/bin.mjs', 'load', 'scenarios/load/smoke.ts', '--no-fixture', '--dashboard', '--report-dir', reportDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    exited = new Promise((resolve) => c.once('exit', (code) => resolve(code ?? 1)));
    const url = await new Promise<string>((resolve, reject) => {
      c.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /^dashboard: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(stdout);
        if (m) resolve(m[1]!);
      });
      void exited.then((code) => reject(new Error(`fleetbed load exited ${code} before printing the dashboard URL:\n${stdout}\n${stderr}`)));
    });

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url, { waitUntil: 'load' });
    expect(await page.locator('body').getAttribute('data-live')).toBe('1');
    const points = async () => Number(await page.locator('body').getAttribute('data-points'));

    // Set-up (the platform, bonding 300 devices) comes first; then one window a second.
    await expect.poll(points, { timeout: 240_000, interval: 250 }).toBeGreaterThanOrEqual(2);
    const early = await points();
    expect(early, 'the run should still be going: the plan is 10 s long').toBeLessThan(9);
    const earlyRate = await chartPoints(page, 'rate');
    await expect.poll(points, { timeout: 30_000, interval: 250 }).toBeGreaterThanOrEqual(early + 3);
    const later = await chartPoints(page, 'rate');
    expect(later.completed!).toBeGreaterThan(earlyRate.completed!); // the chart itself was redrawn with the new points
    const live = (await drawnLines(page, 'rate')).find((l) => l.series === 'completed')!;
    expect(live.stroke).not.toBe('none');
    expect(live.length).toBeGreaterThan(50);

    // The final summary arrives over the same stream: the page becomes the report.
    await expect.poll(() => page.locator('#verdict').getAttribute('data-kind'), { timeout: 120_000, interval: 250 }).not.toBe('running');
    expect(await page.locator('#verdict').getAttribute('data-kind')).toMatch(/^(kept-up|platform-saturated|generator-saturated)$/);
    expect(await page.locator('#routes tr').count()).toBeGreaterThan(1);
    expect(errors).toEqual([]);
    await context.close();

    expect(await exited, `stdout:\n${stdout}\nstderr:\n${stderr}`).toBe(0);
    expect(stdout).toMatch(/^PASS smoke: /m);
  });

  it('the exported report.html draws the four charts from the data embedded in it, offline', { timeout: 60_000 }, async () => {
    const file = join(reportDir, 'report.html');
    expect(existsSync(file), `no ${file}: did the run above finish?`).toBe(true);
    const summary = JSON.parse(readFileSync(join(reportDir, 'summary.json'), 'utf8')) as { scenarios: Array<{ metrics: { load: { timeline: unknown[]; verdict: { kind: string } } } }> };
    const load = summary.scenarios[0]!.metrics.load;

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, offline: true });
    const page = await context.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

    expect(await page.locator('body').getAttribute('data-live')).toBe('0');
    const embedded = JSON.parse((await page.locator('#load-data').textContent())!) as { timeline: unknown[] };
    expect(embedded.timeline.length).toBe(load.timeline.length);
    expect(Number(await page.locator('body').getAttribute('data-points'))).toBe(load.timeline.length);
    for (const chart of CHARTS) {
      const svg = page.locator(`[data-chart="${chart}"] svg`);
      expect(await svg.count(), chart).toBe(1);
      const box = await svg.boundingBox();
      expect(box!.width, `${chart} width`).toBeGreaterThan(300);
      expect(box!.height, `${chart} height`).toBeGreaterThan(100);
      const lines = await drawnLines(page, chart);
      const drawn = lines.filter((l) => l.points > 1);
      expect(drawn.length, `${chart} draws at least one series: ${JSON.stringify(lines)}`).toBeGreaterThan(0);
      for (const l of drawn) {
        expect(l.stroke, `${chart} ${l.series} is painted`).not.toBe('none');
        // Charts over time span the run; the saturation curve of a constant-rate run is a cluster at
        // its rate, which can be a single point drawn twice (length 0) when every phase had one outcome.
        if (chart === 'saturation') continue;
        expect(l.length, `${chart} ${l.series} length`).toBeGreaterThan(0);
        expect(l.width, `${chart} ${l.series} spans the chart`).toBeGreaterThan(100);
      }
    }
    const rate = await chartPoints(page, 'rate');
    expect(rate.target).toBe(load.timeline.length);
    expect(rate.completed).toBe(load.timeline.length);
    expect(await page.locator('#verdict').getAttribute('data-kind')).toBe(load.verdict.kind);
    expect(await page.locator('#routes tr').count()).toBe(3); // header, upload, token
    for (const u of requests) expect(u).toMatch(/^file:/);
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(tmpdir(), 'fleetbed-load-report.png'), fullPage: true });
    await context.close();
  });
});
