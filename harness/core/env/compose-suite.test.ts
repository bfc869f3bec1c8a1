// Tests of scripts/compose-suite.mjs (vitest and tsc look under harness/, not scripts/).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './options.ts';

const SCRIPT = join(REPO_ROOT, 'scripts', 'compose-suite.mjs');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function composeSuite(argv: string[], env: Record<string, string | undefined> = process.env, timeout = 30_000): Promise<Outcome> {
  return promisify(execFile)(process.execPath, [SCRIPT, ...argv], { cwd: REPO_ROOT, env, timeout }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
  );
}

describe('scripts/compose-suite.mjs: usage', () => {
  it('--help prints the steps and the options, exit 0', async () => {
    const { code, stdout } = await composeSuite(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: node scripts\/compose-suite\.mjs/);
    for (const text of ['"docker compose" v2 plugin, else "docker-compose" v1', 'docker info', 'GET /readyz', '--env url --target-url', 'down -v', '--check', '--keep']) {
      expect(stdout).toContain(text);
    }
  });

  it('an unknown flag or a bad value is a usage error, exit 2, before Docker is asked anything', async () => {
    const unknown = await composeSuite(['--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("compose-suite: Unknown option '--bogus'. Run with --help");
    const bad = await composeSuite(['--ready-timeout-ms', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--ready-timeout-ms must be a positive whole number of ms, got "soon"');
  });

  it('--images and --devices are checked before Docker is asked anything', async () => {
    const images = await composeSuite(['--images', 'somewhere']);
    expect(images.code).toBe(2);
    expect(images.stderr).toContain('--images must be one of auto, public, local, got "somewhere"');
    const devices = await composeSuite(['--devices', '0']);
    expect(devices.code).toBe(2);
    expect(devices.stderr).toContain('--devices must be a positive whole number, got "0"');
  });
});

// Stand-ins for docker and docker-compose on a PATH that holds nothing else (bash aside, which
// zx runs commands with): they log every call, so the tests see that detection really asks.
const STUB_DOCKER = `#!/bin/sh
printf '%s\\n' "docker $*" >> "$STUB_LOG"
case "$*" in
  "compose version")
    if [ "$STUB_COMPOSE" = v2 ]; then echo "Docker Compose version v2.29.7"; exit 0; fi
    echo "docker: unknown command: docker compose" >&2; exit 1 ;;
  "info --format {{.ServerVersion}}")
    if [ "$STUB_ENGINE" = up ]; then echo "27.3.1"; exit 0; fi
    echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1 ;;
  compose*" up -d --build") echo "stub: failed to build api" >&2; exit 17 ;;
  compose*) exit 0 ;;
esac
echo "stub docker: unexpected $*" >&2; exit 99
`;
const STUB_COMPOSE_V1 = `#!/bin/sh
printf '%s\\n' "docker-compose $*" >> "$STUB_LOG"
echo "docker-compose version 1.29.2, build 5becea4c"
`;

describe('scripts/compose-suite.mjs: finding Compose and an engine (stub docker on PATH)', () => {
  let dir: string;
  const bash = ['/bin/bash', '/usr/bin/bash', '/usr/local/bin/bash'].find((path) => existsSync(path));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetbed-compose-suite-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Run the script with a PATH of only the given stubs; returns the outcome and the stub calls. */
  async function withStubs(name: string, stubs: { docker?: boolean; v1?: boolean }, env: Record<string, string>, argv: string[]) {
    const bin = join(dir, name, 'bin');
    await promisify(execFile)('mkdir', ['-p', bin]);
    if (bash) await symlink(bash, join(bin, 'bash'));
    if (stubs.docker) await writeFile(join(bin, 'docker'), STUB_DOCKER);
    if (stubs.v1) await writeFile(join(bin, 'docker-compose'), STUB_COMPOSE_V1);
    for (const file of ['docker', 'docker-compose']) if (existsSync(join(bin, file))) await chmod(join(bin, file), 0o755);
    const log = join(dir, name, 'calls.log');
    await writeFile(log, '');
    const outcome = await composeSuite([...argv, '--out', join(dir, name, 'out')], { PATH: bin, HOME: dir, STUB_LOG: log, ...env });
    const calls = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
    return { ...outcome, calls };
  }

  it.skipIf(!bash)('docker compose (v2) found, no engine: exit 2 quoting docker info, nothing started', async () => {
    const { code, stderr, calls } = await withStubs('v2-no-engine', { docker: true }, { STUB_COMPOSE: 'v2', STUB_ENGINE: 'down' }, []);
    expect(stderr).toContain('found docker compose (v2 plugin 2.29.7), but no Docker engine answers "docker info" (Cannot connect to the Docker daemon at unix:///var/run/docker.sock.');
    expect(code).toBe(2);
    expect(calls).toEqual(['docker compose version', 'docker info --format {{.ServerVersion}}']);
  });

  it.skipIf(!bash)('--check with Compose and an engine: exit 0 naming both, and it starts nothing', async () => {
    const { code, stderr, calls } = await withStubs('v2-engine', { docker: true }, { STUB_COMPOSE: 'v2', STUB_ENGINE: 'up' }, ['--check']);
    expect(stderr).toContain('found docker compose (v2 plugin 2.29.7); Docker engine 27.3.1 answers');
    expect(code).toBe(0);
    expect(calls).toEqual(['docker compose version', 'docker info --format {{.ServerVersion}}']);
  });

  it.skipIf(!bash)('falls back to docker-compose (v1) when the v2 plugin is missing', async () => {
    const { code, stderr, calls } = await withStubs('v1', { docker: true, v1: true }, { STUB_COMPOSE: 'none', STUB_ENGINE: 'up' }, ['--check']);
    expect(stderr).toContain('found docker-compose (v1 1.29.2); Docker engine 27.3.1 answers');
    expect(code).toBe(0);
    expect(calls).toEqual(['docker compose version', 'docker-compose version', 'docker info --format {{.ServerVersion}}']);
  });

  it.skipIf(!bash)('neither docker nor docker-compose: exit 2 saying what was tried and how to run without Docker', async () => {
    const { code, stderr } = await withStubs('none', {}, {}, ['--check']);
    expect(stderr).toContain('neither "docker compose" (v2 plugin) nor "docker-compose" (v1) works here ("docker compose": no docker CLI on PATH; "docker-compose": not on PATH)');
    expect(stderr).toContain('npx fleetbed run scenarios/ci');
    expect(code).toBe(2);
  });

  it.skipIf(!bash)('a failing step still collects ps and logs and takes the platform down (down -v)', async () => {
    const { code, stderr, calls } = await withStubs('up-fails', { docker: true }, { STUB_COMPOSE: 'v2', STUB_ENGINE: 'up' }, ['--images', 'public']);
    expect(stderr).toContain('stub: failed to build api');
    expect(stderr).toContain('compose-suite: a step failed with exit code 17');
    expect(code).toBe(1);
    const steps = calls.slice(2).map((call) => call.replace(/ --project-name fleetbed-suite --file \S+docker-compose\.yml/, ''));
    expect(steps).toEqual(['docker compose up -d --build', 'docker compose ps --all', 'docker compose logs --no-color --timestamps', 'docker compose down -v --remove-orphans']);
    expect(existsSync(join(dir, 'up-fails', 'out', 'compose.log'))).toBe(true);
  });
});

describe('scripts/compose-suite.mjs on this machine (real docker, if any)', async () => {
  const info = await promisify(execFile)('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 15_000 }).then(
    ({ stdout }) => ({ ok: stdout.trim() !== '', detail: `engine ${stdout.trim()}` }),
    (error: { stderr?: string; message: string }) => ({ ok: false, detail: (error.stderr || error.message).trim().split('\n')[0] }),
  );
  console.log(`[compose-suite] docker info: ${info.ok ? info.detail : `fails (${info.detail}): the docker-present tests are skipped`}`);
  const fullRun = info.ok && process.env.FLEETBED_COMPOSE_SUITE === '1';
  if (info.ok && !fullRun) console.log('[compose-suite] full suite run skipped: set FLEETBED_COMPOSE_SUITE=1 to build the image and run scenarios/ci (minutes)');

  it.skipIf(info.ok)('without an engine, the suite is refused with the reason, exit 2', async () => {
    const { code, stderr } = await composeSuite([]);
    expect(stderr).toMatch(/compose-suite: cannot run the suite: (neither "docker compose"|found .*, but no Docker engine answers "docker info")/);
    expect(code).toBe(2);
  });

  it.skipIf(!info.ok)('with an engine, --check finds it and exits 0', async () => {
    const { code, stderr } = await composeSuite(['--check']);
    expect(stderr).toMatch(/found (docker compose|docker-compose) \(.*\); Docker engine \S+ answers/);
    expect(code).toBe(0);
  });

  it.skipIf(!fullRun)('runs scenarios/ci against the compose platform and takes it down', async () => {
    const out = await mkdtemp(join(tmpdir(), 'fleetbed-compose-suite-run-'));
    const { code, stderr } = await composeSuite(['--out', out], process.env, 900_000);
    expect(stderr).toContain('down -v');
    expect(existsSync(join(out, 'reports', 'summary.json'))).toBe(true);
    expect(code).toBe(0);
  }, 960_000);
});
