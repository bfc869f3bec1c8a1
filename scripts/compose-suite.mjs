#!/usr/bin/env node
// Run scenario suites against the platform of docker-compose.yml: pick the images (the public ones
// where a registry answers, else those of `fleetbed images build`, which it runs, cached), bring
// PostgreSQL and the API up with host networking, wait for /readyz, run `fleetbed run … --env url`,
// collect the reports and the containers' logs, and take everything down again (also on failure
// or Ctrl-C). The shell steps are zx commands; see --help.
import { createServer } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { $, sleep, which } from 'zx';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Defaults of every option, in one place. */
const DEFAULTS = Object.freeze({
  file: 'docker-compose.yml',
  scenarios: 'scenarios/ci',
  projectName: 'fleetbed-suite',
  readyTimeoutMs: 120_000,
  pollIntervalMs: 250,
  probeTimeoutMs: 15_000,
  images: 'auto',
  publicPostgres: 'postgres:16-alpine',
  publicApiBase: 'node:20-slim',
  localPostgres: 'fleetbed/postgres:local',
  localApi: 'fleetbed/reference-api:local',
});

const IMAGE_CHOICES = Object.freeze(['auto', 'public', 'local']);

/** Exit codes: those of `fleetbed run` (0 pass, 1 fail, 2 usage), and 2 when Docker cannot run it. */
const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2 });

const HELP = `Usage: node scripts/compose-suite.mjs [options]      (npm run compose:suite -- [options])

Run fleetbed scenario suites against docker-compose.yml's platform:
  1. find Docker Compose (the "docker compose" v2 plugin, else "docker-compose" v1)
     and check that a Docker engine answers "docker info";
  2. pick the images (--images): FLEETBED_POSTGRES_IMAGE / FLEETBED_API_IMAGE if set;
     else the public ones if the engine has or can pull them (${DEFAULTS.publicPostgres}; the
     API built from reference-api/Dockerfile on ${DEFAULTS.publicApiBase}); else it runs
     "fleetbed images build" (Debian packages, no registry; cached) and uses
     ${DEFAULTS.localPostgres} and ${DEFAULTS.localApi};
  3. start PostgreSQL and the API ("up -d", with --build only for the Dockerfile build), with
     host networking on free loopback ports, with a random factory secret;
  4. wait for GET /readyz to answer 200, up to --ready-timeout-ms (polled, no sleeps);
  5. fleetbed run <scenarios> --env url --target-url <API> --report-dir <out>/reports
     (once per --scenarios, in order, against the same platform);
     then fleetbed attack <suite> --env url --target-url <API> for each --attack;
  6. save "compose ps" and "compose logs" to <out>/, then "down -v" (always, also after a
     failure or Ctrl-C; --keep leaves the platform up instead).

Options:
  --check                 only step 1: print what was found; exit 0 if the suite could run
  --file FILE             compose file (default ${DEFAULTS.file}); like that one, it must serve
                          the API on 127.0.0.1:$FLEETBED_API_PORT and PostgreSQL on $FLEETBED_PG_PORT,
                          and start the API with FLEETBED_FACTORY_SECRET from the environment
  --scenarios PATH        scenario file or directory (default ${DEFAULTS.scenarios}); repeat it
                          to run several, each with its own reports folder
  --devices N             passed to fleetbed run (smaller fleets for a quick check)
  --attack SUITE          after the scenarios, fleetbed attack SUITE against the same platform
                          (e.g. scenarios/security); repeat it for more
  --images WHICH          auto (default), public or local (see step 2)
  --out DIR               where reports and logs go (default reports/out/compose-<time>/)
  --project-name NAME     compose project (default ${DEFAULTS.projectName})
  --ready-timeout-ms MS   deadline for /readyz after "up" (default ${DEFAULTS.readyTimeoutMs})
  --keep                  leave the platform running (prints how to stop it)
  -h, --help              this text

Exit codes: 0 the suite passed (or --check found Docker ready); 1 a scenario failed or a
step failed; 2 bad usage, or no Docker Compose / no Docker engine (the reason is printed).
`;

/** A reason to stop before anything started, printed as `compose-suite: <message>`. */
class Refusal extends Error {}

async function main(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        check: { type: 'boolean' },
        keep: { type: 'boolean' },
        file: { type: 'string', default: DEFAULTS.file },
        scenarios: { type: 'string', multiple: true },
        attack: { type: 'string', multiple: true },
        devices: { type: 'string' },
        images: { type: 'string', default: DEFAULTS.images },
        out: { type: 'string' },
        'project-name': { type: 'string', default: DEFAULTS.projectName },
        'ready-timeout-ms': { type: 'string', default: String(DEFAULTS.readyTimeoutMs) },
      },
    }));
  } catch (error) {
    throw new Refusal(`${error.message}. Run with --help for the options.`);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  const readyTimeoutMs = Number(values['ready-timeout-ms']);
  if (!Number.isInteger(readyTimeoutMs) || readyTimeoutMs <= 0) {
    throw new Refusal(`--ready-timeout-ms must be a positive whole number of ms, got ${JSON.stringify(values['ready-timeout-ms'])}.`);
  }

  if (!IMAGE_CHOICES.includes(values.images)) throw new Refusal(`--images must be one of ${IMAGE_CHOICES.join(', ')}, got ${JSON.stringify(values.images)}.`);
  if (values.devices !== undefined && !/^[1-9][0-9_]*$/.test(values.devices)) {
    throw new Refusal(`--devices must be a positive whole number, got ${JSON.stringify(values.devices)}.`);
  }
  const scenarioPaths = values.scenarios ?? [DEFAULTS.scenarios];

  const docker = await detectDocker();
  log(`found ${docker.compose.join(' ')} (${docker.composeVersion}); Docker engine ${docker.engineVersion} answers`);
  if (values.check) return EXIT.ok;
  const images = await chooseImages(values.images);

  const out = resolve(values.out ?? join(ROOT, 'reports', 'out', `compose-${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}`));
  await mkdir(out, { recursive: true });
  const [apiPort, pgPort] = await Promise.all([freePort(), freePort()]);
  const factorySecret = randomBytes(24).toString('hex');
  const env = {
    ...process.env,
    FLEETBED_API_PORT: String(apiPort),
    FLEETBED_PG_PORT: String(pgPort),
    FLEETBED_FACTORY_SECRET: factorySecret,
    ...(images.postgres ? { FLEETBED_POSTGRES_IMAGE: images.postgres } : {}),
    ...(images.api ? { FLEETBED_API_IMAGE: images.api } : {}),
  };
  const [bin, ...pre] = docker.compose;
  const composeArgs = [...pre, '--project-name', values['project-name'], '--file', resolve(ROOT, values.file)];
  const compose = $({ cwd: ROOT, env, verbose: true });
  const apiUrl = `http://127.0.0.1:${apiPort}`;

  let tornDown = false;
  const down = async () => {
    if (tornDown || values.keep) return;
    tornDown = true;
    log('taking the platform down (down -v)');
    await compose({ nothrow: true })`${bin} ${composeArgs} down -v --remove-orphans`;
  };
  const onSignal = (signal) => {
    log(`${signal}: stopping`);
    void down().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    log(`${images.build ? 'building the API image and ' : ''}starting the platform (API on ${apiUrl}, PostgreSQL on 127.0.0.1:${pgPort})`);
    const upStarted = performance.now();
    await compose`${bin} ${composeArgs} up -d ${images.build ? '--build' : '--no-build'}`;
    await waitForReady(`${apiUrl}/readyz`, readyTimeoutMs);
    log(`platform ready ${Math.round(performance.now() - upStarted)} ms after "up"`);
    let worst = EXIT.ok;
    for (const [index, scenarios] of scenarioPaths.entries()) {
      const reports = join(out, scenarioPaths.length === 1 ? 'reports' : `reports-${index + 1}`);
      log(`running ${scenarios} against ${apiUrl}; reports go to ${relative(process.cwd(), reports) || reports}`);
      const run = await $({
        cwd: ROOT,
        nothrow: true,
        verbose: true,
        env: { ...env, DATABASE_URL: `postgres://fleetbed:fleetbed@127.0.0.1:${pgPort}/fleetbed` },
      })`${process.execPath} harness/cli/bin.mjs run ${scenarios} --env url --target-url ${apiUrl} --report-dir ${reports} ${values.devices ? ['--devices', values.devices] : []}`;
      worst = Math.max(worst, run.exitCode ?? EXIT.failed);
    }
    for (const [index, suite] of (values.attack ?? []).entries()) {
      const reports = join(out, `attack-${index + 1}`);
      log(`attacking with ${suite} against ${apiUrl}; reports go to ${relative(process.cwd(), reports) || reports}`);
      const attack = await $({ cwd: ROOT, nothrow: true, verbose: true, env })`${process.execPath} harness/cli/bin.mjs attack ${suite} --env url --target-url ${apiUrl} --report-dir ${reports}`;
      worst = Math.max(worst, attack.exitCode ?? EXIT.failed);
    }
    return worst;
  } finally {
    // Collect what explains a failure before the containers are gone.
    const ps = await compose({ nothrow: true, quiet: true })`${bin} ${composeArgs} ps --all`;
    const logs = await compose({ nothrow: true, quiet: true })`${bin} ${composeArgs} logs --no-color --timestamps`;
    await writeFile(join(out, 'compose-ps.txt'), ps.stdout + ps.stderr);
    await writeFile(join(out, 'compose.log'), logs.stdout + logs.stderr);
    log(`compose ps and logs saved in ${relative(process.cwd(), out) || out}`);
    await down();
    if (values.keep) log(`left running: ${[bin, ...composeArgs].join(' ')} down -v`);
  }
}

/**
 * Find Compose and check the engine, by asking the tools themselves: `docker compose version`,
 * else `docker-compose version`, then `docker info`. Throws a Refusal saying what is missing.
 */
async function detectDocker() {
  const probe = $({ nothrow: true, quiet: true, timeout: DEFAULTS.probeTimeoutMs, cwd: ROOT });
  const firstLine = (output) => (output.stderr.trim() || output.stdout.trim()).split('\n')[0] || `exit code ${output.exitCode}`;
  const dockerCli = await which('docker', { nothrow: true });
  const tried = [];
  let compose;
  let composeVersion;
  if (dockerCli) {
    const v2 = await probe`docker compose version`;
    if (v2.exitCode === 0) [compose, composeVersion] = [['docker', 'compose'], `v2 plugin ${versionIn(v2.stdout)}`];
    else tried.push(`"docker compose version": ${firstLine(v2)}`);
  } else {
    tried.push('"docker compose": no docker CLI on PATH');
  }
  if (!compose) {
    if (await which('docker-compose', { nothrow: true })) {
      const v1 = await probe`docker-compose version`;
      if (v1.exitCode === 0) [compose, composeVersion] = [['docker-compose'], `v1 ${versionIn(v1.stdout)}`];
      else tried.push(`"docker-compose version": ${firstLine(v1)}`);
    } else {
      tried.push('"docker-compose": not on PATH');
    }
  }
  if (!compose) {
    throw new Refusal(
      `cannot run the suite: neither "docker compose" (v2 plugin) nor "docker-compose" (v1) works here (${tried.join('; ')}). ` +
        'Install Docker with the Compose plugin, or run the suite without Docker: npx fleetbed run scenarios/ci (embedded environment).',
    );
  }
  if (!dockerCli) {
    throw new Refusal(`cannot run the suite: found ${compose.join(' ')} (${composeVersion}) but no docker CLI to ask "docker info" whether an engine answers.`);
  }
  const info = await probe`docker info --format ${'{{.ServerVersion}}'}`;
  const engineVersion = info.stdout.trim();
  if (info.exitCode !== 0 || !engineVersion) {
    throw new Refusal(
      `cannot run the suite: found ${compose.join(' ')} (${composeVersion}), but no Docker engine answers "docker info" (${firstLine(info)}). ` +
        'Start Docker (or set DOCKER_HOST), or run the suite without Docker: npx fleetbed run scenarios/ci (embedded environment).',
    );
  }
  return { compose, composeVersion, engineVersion };
}

/**
 * Which images the compose file runs (its FLEETBED_POSTGRES_IMAGE / FLEETBED_API_IMAGE) and
 * whether the API is built from reference-api/Dockerfile. `auto`: variables already set win;
 * else the public image when the engine has it or can pull it; else `fleetbed images build`
 * (run here; cached) and its :local tags. Logs what it chose and why.
 */
async function chooseImages(mode) {
  const probe = $({ nothrow: true, quiet: true, timeout: DEFAULTS.probeTimeoutMs, cwd: ROOT });
  const obtainable = async (image) =>
    (await probe`docker image inspect --format ${'{{.Id}}'} ${image}`).exitCode === 0 || (await probe`docker pull ${image}`).exitCode === 0;
  const chosen = { postgres: undefined, api: undefined, build: false };
  const why = [];
  let needLocal = false;
  const fromVariable = { postgres: process.env.FLEETBED_POSTGRES_IMAGE, api: process.env.FLEETBED_API_IMAGE };
  if (fromVariable.postgres) why.push(`PostgreSQL ${fromVariable.postgres} (FLEETBED_POSTGRES_IMAGE)`);
  else if (mode === 'public' || (mode === 'auto' && (await obtainable(DEFAULTS.publicPostgres)))) why.push(`PostgreSQL ${DEFAULTS.publicPostgres} (public)`);
  else [chosen.postgres, needLocal] = [DEFAULTS.localPostgres, true];
  if (fromVariable.api) why.push(`API ${fromVariable.api} (FLEETBED_API_IMAGE)`);
  else if (mode === 'public' || (mode === 'auto' && (await obtainable(DEFAULTS.publicApiBase)))) {
    chosen.build = true;
    why.push(`API built from reference-api/Dockerfile (public ${DEFAULTS.publicApiBase})`);
  } else [chosen.api, needLocal] = [DEFAULTS.localApi, true];
  if (needLocal) {
    log(`${mode === 'local' ? '--images local' : 'no registry answers'}: building the missing images from Debian packages (fleetbed images build; cached)`);
    await $({ cwd: ROOT, verbose: true })`${process.execPath} harness/cli/bin.mjs images build`;
    if (chosen.postgres) why.push(`PostgreSQL ${chosen.postgres} (local build)`);
    if (chosen.api) why.push(`API ${chosen.api} (local build)`);
  }
  log(`images: ${why.join(', ')}`);
  return chosen;
}

/** The first version number in a tool's `version` output (`Docker Compose version v2.29.7` → `2.29.7`). */
function versionIn(text) {
  return /\d+\.\d+\.\d+[\w.+-]*/.exec(text)?.[0] ?? text.trim().split('\n')[0];
}

/** Poll `url` until it answers 200; fail at the deadline with the elapsed ms and the last answer. */
async function waitForReady(url, timeoutMs) {
  const started = performance.now();
  let last = 'no attempt yet';
  for (let attempt = 1; ; attempt++) {
    const remaining = timeoutMs - (performance.now() - started);
    if (remaining <= 0) break;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(1, Math.min(remaining, 2000))) });
      await res.body?.cancel();
      if (res.status === 200) {
        log(`${url} answered 200 after ${Math.round(performance.now() - started)} ms (${attempt} attempts)`);
        return;
      }
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    await sleep(Math.min(DEFAULTS.pollIntervalMs, Math.max(0, timeoutMs - (performance.now() - started))));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (waited ${Math.round(performance.now() - started)} ms; last: ${last}). See compose.log in the output folder.`);
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function log(line) {
  process.stderr.write(`compose-suite: ${line}\n`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    const step = typeof error?.exitCode === 'number'; // a zx ProcessOutput: the command's output is above
    const message = error instanceof Refusal ? error.message : step ? `a step failed with exit code ${error.exitCode} (its output is above).` : (error.stack ?? String(error));
    process.stderr.write(`compose-suite: ${message}\n`);
    process.exitCode = error instanceof Refusal ? EXIT.usage : EXIT.failed;
  },
);
