import { appendFileSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $, type ProcessOutput } from 'zx';
import { ImagesError } from './errors.ts';
import { API_SOURCE_DIRS, IMAGES_DEFAULTS, imageRecipe, RECIPES_DIR, REPO_ROOT, type ImageRecipe, type ImageRecipeOptions, type ImageRef } from '../../core/env/_internals/images/image-recipe.ts';

/** Options of {@link buildImages}; all optional. */
export interface BuildImagesOptions extends ImageRecipeOptions {
  /** The Debian mirror for debootstrap. Default: `FLEETBED_DEBIAN_MIRROR`, else the first apt source of the suite, else deb.debian.org. */
  mirror?: string;
  /** Build even when images with the same content key exist. */
  force?: boolean;
  /** Every command and its output go here. Default `.fleetbed/images-build.log` in the repository. */
  logFile?: string;
  /** Progress lines. Default: stderr. */
  log?: (line: string) => void;
  /** Environment variables consulted (`FLEETBED_DEBIAN_MIRROR`, `DOCKER_HOST`). Default process.env. */
  processEnv?: Record<string, string | undefined>;
}

/** What {@link buildImages} did for one image. */
export interface BuiltImage extends ImageRef {
  /** True when an image with this content key already existed and nothing was built. */
  cached: boolean;
  /** Time spent on this image, in ms (0 when cached). */
  elapsedMs: number;
}

/** The result of {@link buildImages}. */
export interface BuildImagesResult {
  recipe: ImageRecipe;
  base: BuiltImage;
  postgres: BuiltImage;
  api: BuiltImage;
  elapsedMs: number;
  logFile: string;
}

/**
 * Build fleetbed's PostgreSQL and reference API images without a registry, and tag them with
 * their content key (and `local`): debootstrap a Debian rootfs with PostgreSQL, `docker import`
 * it as the shared base, then `docker build` (legacy builder, no RUN step, so no network) the
 * PostgreSQL image from recipes/postgres.Dockerfile and the API image from
 * recipes/reference-api.Dockerfile with the harness's own Node binary and the API's
 * `npm ci --omit=dev` node_modules. Each image whose content key exists is skipped. Each built
 * image is smoke-tested (`postgres --version`, `node --version`). A failed step throws
 * `FLEETBED_IMAGES_BUILD_FAILED` naming the step, its log and the fix; temporary files are removed.
 */
export async function buildImages(options: BuildImagesOptions = {}): Promise<BuildImagesResult> {
  const started = performance.now();
  const processEnv = options.processEnv ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`fleetbed images: ${line}\n`));
  const logFile = options.logFile ?? join(REPO_ROOT, '.fleetbed', 'images-build.log');
  mkdirSync(join(logFile, '..'), { recursive: true });
  writeFileSync(logFile, `fleetbed images build, ${new Date().toISOString()}\n`);
  const recipe = imageRecipe(options);
  const sh = $({ quiet: true, nothrow: true, env: { ...processEnv, DOCKER_BUILDKIT: '0' } as NodeJS.ProcessEnv });

  const step = async (name: string, fix: string, command: () => Promise<ProcessOutput>): Promise<ProcessOutput> => {
    const output = await command();
    appendFileSync(logFile, `\n== ${name}: exit code ${output.exitCode}\n${output.stdout}${output.stderr}`);
    if (output.exitCode !== 0) {
      const tail = `${output.stdout}${output.stderr}`.trim().split('\n').slice(-12).join('\n  ');
      throw new ImagesError('FLEETBED_IMAGES_BUILD_FAILED', `The image build failed at "${name}" (exit code ${output.exitCode}; full log: ${logFile}):\n  ${tail}\n${fix}`);
    }
    return output;
  };

  const info = await sh`docker info --format ${'{{.ServerVersion}}'}`;
  if (info.exitCode !== 0) {
    throw new ImagesError(
      'FLEETBED_IMAGES_BUILD_FAILED',
      `fleetbed images build needs a Docker engine, and "docker info" failed: ${(info.stderr || info.stdout).trim().split('\n')[0] || `exit code ${info.exitCode}`}. ` +
        'Install and start one (Debian: apt-get install -y --no-install-recommends docker.io; dockerd --bridge=none --iptables=false &), or set DOCKER_HOST.',
    );
  }
  const exists = async (name: string) => !options.force && (await sh`docker image inspect --format ${'{{.Id}}'} ${name}`).exitCode === 0;
  const label = (ref: ImageRef) => `${IMAGES_DEFAULTS.keyLabel}=${ref.key}`;
  const work = mkdtempSync(join(tmpdir(), 'fleetbed-images-'));
  const timed = async (ref: ImageRef, what: string, build: () => Promise<void>): Promise<BuiltImage> => {
    if (await exists(ref.name)) {
      await step(`tag ${ref.alias}`, 'Check the engine: docker info.', () => sh`docker tag ${ref.name} ${ref.alias}`);
      log(`${ref.name}: up to date (content key ${ref.key}), nothing to build`);
      return { ...ref, cached: true, elapsedMs: 0 };
    }
    log(`${ref.name}: building ${what}`);
    const t0 = performance.now();
    await build();
    await step(`tag ${ref.alias}`, 'Check the engine: docker info.', () => sh`docker tag ${ref.name} ${ref.alias}`);
    const elapsedMs = Math.round(performance.now() - t0);
    log(`${ref.name}: built in ${(elapsedMs / 1000).toFixed(1)} s`);
    await removeStale(ref);
    return { ...ref, cached: false, elapsedMs };
  };

  /** Untag older builds of this repository (other content keys); an image still used by a container stays. */
  const removeStale = async (ref: ImageRef) => {
    const [repository] = ref.name.split(':') as [string];
    const tags = (await sh`docker images ${repository} --format ${'{{.Tag}}'}`).stdout.split('\n').filter(Boolean);
    const stale = tags.filter((tag) => tag !== ref.key && tag !== IMAGES_DEFAULTS.aliasTag).map((tag) => `${repository}:${tag}`);
    if (stale.length === 0) return;
    const removed = await sh`docker rmi ${stale}`;
    appendFileSync(logFile, `\n== remove older builds ${stale.join(' ')}: exit code ${removed.exitCode}\n${removed.stdout}${removed.stderr}`);
    if (removed.exitCode === 0) log(`removed older builds: ${stale.join(', ')}`);
  };

  try {
    const base = await timed(recipe.base, `a Debian ${recipe.suite} rootfs with ${recipe.packages.join(', ')} (debootstrap)`, async () => {
      if (process.getuid?.() !== 0) {
        throw new ImagesError(
          'FLEETBED_IMAGES_BUILD_FAILED',
          'Building the base image runs debootstrap, which needs root. Run `fleetbed images build` as root (sudo), or build the images on a machine where you are root and bring them here with docker save | docker load.',
        );
      }
      const debootstrap = await sh`command -v debootstrap`;
      if (debootstrap.exitCode !== 0) {
        throw new ImagesError('FLEETBED_IMAGES_BUILD_FAILED', 'Building the base image needs debootstrap, which is not installed: apt-get install -y --no-install-recommends debootstrap.');
      }
      const mirror = options.mirror ?? processEnv.FLEETBED_DEBIAN_MIRROR ?? aptMirror(recipe.suite) ?? IMAGES_DEFAULTS.mirror;
      const rootfs = join(work, 'rootfs');
      log(`debootstrap --variant=${IMAGES_DEFAULTS.variant} ${recipe.suite} from ${mirror} (about a minute)`);
      await step(
        'debootstrap',
        `Check that the Debian mirror ${mirror} answers (apt-get update does), or give another with --mirror URL or FLEETBED_DEBIAN_MIRROR.`,
        () => sh`debootstrap --variant=${IMAGES_DEFAULTS.variant} --include=${recipe.packages.join(',')} ${recipe.suite} ${rootfs} ${mirror}`,
      );
      // Package caches are not needed in an image that never runs apt.
      for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
        for (const entry of readdirSync(join(rootfs, dir), { withFileTypes: true })) if (entry.isFile()) rmSync(join(rootfs, dir, entry.name), { force: true });
      }
      await step('docker import', 'Check the engine has room (docker system df) and the log above.', () =>
        sh`tar -C ${rootfs} -c . | docker import --change ${`LABEL ${label(recipe.base)}`} - ${recipe.base.name}`,
      );
      rmSync(rootfs, { recursive: true, force: true });
    });

    const postgres = await timed(recipe.postgres, 'PostgreSQL on the base (recipes/postgres.Dockerfile)', async () => {
      const context = join(work, 'postgres');
      mkdirSync(context);
      copyFileSync(join(RECIPES_DIR, 'postgres-entrypoint.sh'), join(context, 'postgres-entrypoint.sh'));
      await step('docker build postgres', 'Read the build output above; the recipe is harness/products/images/recipes/postgres.Dockerfile.', () =>
        sh`docker build --network host --build-arg ${`BASE=${recipe.base.name}`} --label ${label(recipe.postgres)} -t ${recipe.postgres.name} -f ${join(RECIPES_DIR, 'postgres.Dockerfile')} ${context}`,
      );
      await step('smoke test postgres', 'The image does not run PostgreSQL; rebuild with --force and read the log.', () =>
        sh`docker run --rm --network host --entrypoint postgres ${recipe.postgres.name} --version`,
      );
    });

    const api = await timed(recipe.api, `the reference API with Node ${recipe.node.version} from ${recipe.node.path} (recipes/reference-api.Dockerfile)`, async () => {
      const context = join(work, 'api');
      const app = join(context, 'app');
      mkdirSync(app, { recursive: true });
      copyFileSync(recipe.node.path, join(context, 'node'));
      const root = options.root ?? REPO_ROOT;
      // As reference-api/Dockerfile: its package.json and lockfile become /app's, then the sources.
      for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(root, 'reference-api', file), join(app, file));
      copyFileSync(join(root, 'tsconfig.json'), join(app, 'tsconfig.json'));
      for (const dir of API_SOURCE_DIRS) {
        cpSync(join(root, dir), join(app, dir), { recursive: true, filter: (source) => !/[/\\]node_modules([/\\]|$)|\.test\.ts$|\.log$/.test(source) });
      }
      rmSync(join(app, 'reference-api', 'Dockerfile'), { force: true });
      await step('npm ci (API dependencies)', 'Check that npm reaches its registry or has the packages in its cache (npm ci at the root fills it).', () =>
        sh({ cwd: app })`npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline`,
      );
      await step('docker build reference-api', 'Read the build output above; the recipe is harness/products/images/recipes/reference-api.Dockerfile.', () =>
        sh`docker build --network host --build-arg ${`BASE=${recipe.base.name}`} --label ${label(recipe.api)} -t ${recipe.api.name} -f ${join(RECIPES_DIR, 'reference-api.Dockerfile')} ${context}`,
      );
      const version = await step('smoke test reference-api', `The image cannot run ${recipe.node.path}; it must be a glibc build (not musl) for ${recipe.node.arch}.`, () =>
        sh`docker run --rm --network host ${recipe.api.name} node --version`,
      );
      if (version.stdout.trim() !== recipe.node.version) {
        throw new ImagesError('FLEETBED_IMAGES_BUILD_FAILED', `The API image runs Node ${version.stdout.trim()}, expected ${recipe.node.version}; rebuild with --force.`);
      }
    });
    const elapsedMs = Math.round(performance.now() - started);
    log(`done in ${(elapsedMs / 1000).toFixed(1)} s: ${recipe.postgres.name}, ${recipe.api.name} (also tagged :${IMAGES_DEFAULTS.aliasTag})`);
    return { recipe, base, postgres, api, elapsedMs, logFile };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The mirror of `suite` in the machine's apt sources (`deb URL suite …` lines of
 * /etc/apt/sources.list, `URIs:`/`Suites:` stanzas of /etc/apt/sources.list.d/*.sources), or undefined.
 */
export function aptMirror(suite: string, dir = '/etc/apt'): string | undefined {
  const texts: string[] = [];
  const read = (path: string) => {
    try {
      texts.push(readFileSync(path, 'utf8'));
    } catch {
      /* absent */
    }
  };
  read(join(dir, 'sources.list'));
  if (existsSync(join(dir, 'sources.list.d'))) for (const name of readdirSync(join(dir, 'sources.list.d')).sort()) read(join(dir, 'sources.list.d', name));
  for (const text of texts) {
    for (const match of text.matchAll(/^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/gm)) if (match[2] === suite) return match[1];
    for (const stanza of text.split(/\n\s*\n/)) {
      const uris = /^URIs:\s*(\S+)/im.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.+)$/im.exec(stanza)?.[1]?.split(/\s+/) ?? [];
      if (uris && suites.includes(suite) && /^Types:.*\bdeb\b/im.test(stanza)) return uris;
    }
  }
  return undefined;
}
