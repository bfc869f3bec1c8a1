// `fleetbed images`: the content keys (no engine needed), then, on a Docker engine, the cached
// second build, the list and a failed build's error. Skipped, with the reason printed, where
// no engine answers.
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { getFreePort } from '../../harness/core/env/index.ts';
import { REPO_ROOT } from '../../harness/core/env/options.ts';
import { aptMirror, buildImages, IMAGES_DEFAULTS, imageRecipe, listImages } from '../../harness/products/images/index.ts';
import { engineLeftovers, noEngineReason } from './engine.ts';

const CLI = join(REPO_ROOT, 'harness', 'cli', 'bin.mjs');
const cli = (args: string[]) =>
  promisify(execFile)(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, timeout: 120_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
  );

describe('image content keys', () => {
  it('change with what goes into each image, and only with that', () => {
    const now = imageRecipe();
    expect(imageRecipe()).toEqual(now);
    const otherNode = imageRecipe({ nodeVersion: 'v20.0.0' });
    expect(otherNode.base.key).toBe(now.base.key);
    expect(otherNode.postgres.key).toBe(now.postgres.key);
    expect(otherNode.api.key).not.toBe(now.api.key);
    const otherPackages = imageRecipe({ packages: ['postgresql-15', 'curl'] });
    expect(otherPackages.base.key).not.toBe(now.base.key);
    expect(otherPackages.postgres.key).not.toBe(now.postgres.key); // built on the base
    expect(now.postgres.name).toBe(`fleetbed/postgres:${now.postgres.key}`);
    expect(now.api.alias).toBe('fleetbed/reference-api:local');
  });

  it('an edit of the API sources gives the API image a new key', () => {
    const root = mkdtempSync(join(tmpdir(), 'fleetbed-images-key-'));
    try {
      mkdirSync(join(root, 'reference-api', 'src'), { recursive: true });
      mkdirSync(join(root, 'contract'));
      writeFileSync(join(root, 'tsconfig.json'), '{}');
      writeFileSync(join(root, 'reference-api', 'src', 'server.ts'), 'export {};\n');
      const before = imageRecipe({ root });
      writeFileSync(join(root, 'reference-api', 'src', 'server.test.ts'), 'tests are not in the image\n');
      expect(imageRecipe({ root }).api.key).toBe(before.api.key);
      writeFileSync(join(root, 'reference-api', 'src', 'server.ts'), 'export const x = 1;\n');
      expect(imageRecipe({ root }).api.key).not.toBe(before.api.key);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("the Debian mirror comes from the machine's apt sources, one-line or deb822", () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetbed-apt-'));
    try {
      mkdirSync(join(dir, 'sources.list.d'));
      writeFileSync(join(dir, 'sources.list.d', 'debian.sources'), 'Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n');
      expect(aptMirror('bookworm', dir)).toBe('http://mirror.example/debian');
      writeFileSync(join(dir, 'sources.list'), '# a comment\ndeb [arch=amd64] http://one-line.example/debian bookworm main\n');
      expect(aptMirror('bookworm', dir)).toBe('http://one-line.example/debian');
      expect(aptMirror('trixie', dir)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fleetbed images --help says what it builds; a wrong command is exit 2', async () => {
    const help = await cli(['images', '--help']);
    expect(help.code).toBe(0);
    for (const text of ['fleetbed images build', 'debootstrap', 'content key', '--mirror', 'FLEETBED_IMAGES_BUILD_FAILED']) expect(help.stdout).toContain(text);
    const wrong = await cli(['images', 'push']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('unknown images command "push"');
  });
});

const reason = await noEngineReason();
if (reason) console.log(`[images] the image build tests are skipped: ${reason}`);

describe.skipIf(reason !== undefined)('fleetbed images on a Docker engine', () => {
  let before: Awaited<ReturnType<typeof engineLeftovers>> | undefined;
  afterAll(async () => {
    if (before) expect(await engineLeftovers(IMAGES_DEFAULTS.keyLabel)).toEqual(before);
  });

  it('a second build reuses every image (content key label), and list marks them current', async () => {
    const first = await buildImages({ log: () => {} });
    before = await engineLeftovers(IMAGES_DEFAULTS.keyLabel);
    const started = performance.now();
    const second = await buildImages({ log: () => {} });
    const elapsedMs = Math.round(performance.now() - started);
    console.log(`[images] first call ${(first.elapsedMs / 1000).toFixed(1)} s (${[first.base, first.postgres, first.api].map((i) => (i.cached ? 'cached' : 'built')).join('/')}), cached call ${elapsedMs} ms`);
    expect([second.base.cached, second.postgres.cached, second.api.cached]).toEqual([true, true, true]);
    expect(elapsedMs).toBeLessThan(15_000);
    const listed = await listImages();
    for (const image of [second.base, second.postgres, second.api]) expect(listed.find((row) => row.name === image.name)?.current, image.name).toBe(true);
    const { code, stdout } = await cli(['images', 'list']);
    expect(code).toBe(0);
    expect(stdout).toContain(`${second.api.name}\t`);
  }, 900_000);

  it('a failed step is FLEETBED_IMAGES_BUILD_FAILED naming the step and the fix; nothing is left behind', async () => {
    const port = await getFreePort(); // nothing listens: debootstrap cannot fetch (loopback only)
    const error = await buildImages({ force: true, mirror: `http://127.0.0.1:${port}/debian`, log: () => {}, logFile: join(tmpdir(), `fleetbed-images-fail-${port}.log`) }).then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    rmSync(join(tmpdir(), `fleetbed-images-fail-${port}.log`), { force: true });
    expect(error?.code).toBe('FLEETBED_IMAGES_BUILD_FAILED');
    if (process.getuid?.() === 0) {
      expect(error?.message).toContain('The image build failed at "debootstrap"');
      expect(error?.message).toContain('--mirror URL or FLEETBED_DEBIAN_MIRROR');
    } else expect(error?.message).toContain('needs root');
    expect((await listImages()).every((row) => row.current || !row.name.startsWith('fleetbed/'))).toBe(true);
  }, 300_000);
});
