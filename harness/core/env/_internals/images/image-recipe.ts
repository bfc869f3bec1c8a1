import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the source of the API image's files. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

/** Where the recipe's Dockerfiles and entry point live. */
export const RECIPES_DIR = fileURLToPath(new URL('./recipes/', import.meta.url));

/** Defaults of `fleetbed images`, in one place. */
export const IMAGES_DEFAULTS = Object.freeze({
  /** The Debian release the images are built from. */
  suite: 'bookworm',
  /** Used when no apt source of the machine names the suite. */
  mirror: 'http://deb.debian.org/debian',
  /** debootstrap --variant: the smallest system apt can install into. */
  variant: 'minbase',
  /** Installed into the shared base rootfs: PostgreSQL for one image; the API image only needs glibc and libstdc++. */
  packages: Object.freeze(['postgresql-15']),
  /** Image repositories; tags are the content key, plus `local` for the newest build. */
  repositories: Object.freeze({ base: 'fleetbed/debian-base', postgres: 'fleetbed/postgres', api: 'fleetbed/reference-api' }),
  /** The label that carries the full content key. */
  keyLabel: 'org.fleetbed.content-key',
  /** The alias tag of the newest build. */
  aliasTag: 'local',
  /** Bump when the recipe changes in a way its files do not show. */
  recipeVersion: 1,
});

/** The files of the API image that come from the repository (as the Dockerfile copies them), relative to the root. */
export const API_SOURCE_DIRS = Object.freeze(['contract', 'reference-api']);

/** One image of the recipe: its content key and the names it is tagged with. */
export interface ImageRef {
  /** `fleetbed/postgres:<key>`: the name that identifies this content. */
  readonly name: string;
  /** `fleetbed/postgres:local`: the newest build, whatever its key (for docker-compose.yml). */
  readonly alias: string;
  /** 16 hex digits of the SHA-256 of the recipe inputs. */
  readonly key: string;
}

/** The three images `fleetbed images build` makes, derived from the recipe inputs. */
export interface ImageRecipe {
  readonly suite: string;
  readonly packages: readonly string[];
  /** The Node binary copied into the API image and its version. */
  readonly node: { readonly path: string; readonly version: string; readonly arch: string };
  readonly base: ImageRef;
  readonly postgres: ImageRef;
  readonly api: ImageRef;
}

/** Inputs of {@link imageRecipe}; all optional. */
export interface ImageRecipeOptions {
  suite?: string;
  packages?: readonly string[];
  /** Default: `process.execPath`, the Node that runs the harness. */
  nodePath?: string;
  /** Default: `process.version` (must be that of `nodePath`). */
  nodeVersion?: string;
  /** Default: the repository root. */
  root?: string;
}

/**
 * The content keys and names of the images, from the recipe inputs: the Debian suite and
 * package list (base), the base plus the PostgreSQL recipe files (postgres), the base plus the
 * Node version and everything the API image copies — reference-api/package*.json, its sources,
 * contract/, tsconfig.json — and its Dockerfile (api). Reads files; starts nothing.
 */
export function imageRecipe(options: ImageRecipeOptions = {}): ImageRecipe {
  const root = options.root ?? REPO_ROOT;
  const suite = options.suite ?? IMAGES_DEFAULTS.suite;
  const packages = [...(options.packages ?? IMAGES_DEFAULTS.packages)].sort();
  const node = { path: options.nodePath ?? process.execPath, version: options.nodeVersion ?? process.version, arch: process.arch };
  const baseKey = digest([`recipe ${IMAGES_DEFAULTS.recipeVersion}`, `suite ${suite}`, `variant ${IMAGES_DEFAULTS.variant}`, `arch ${node.arch}`, `packages ${packages.join(',')}`]);
  const postgresKey = digest([`base ${baseKey}`, ...fileLines(RECIPES_DIR, ['postgres.Dockerfile', 'postgres-entrypoint.sh'])]);
  const apiKey = digest([
    `base ${baseKey}`,
    `node ${node.version} ${node.arch}`,
    ...fileLines(RECIPES_DIR, ['reference-api.Dockerfile']),
    ...fileLines(root, ['tsconfig.json', ...apiSourceFiles(root)]),
  ]);
  const ref = (repository: string, key: string): ImageRef => ({ name: `${repository}:${key}`, alias: `${repository}:${IMAGES_DEFAULTS.aliasTag}`, key });
  const { repositories } = IMAGES_DEFAULTS;
  return { suite, packages, node, base: ref(repositories.base, baseKey), postgres: ref(repositories.postgres, postgresKey), api: ref(repositories.api, apiKey) };
}

/**
 * The repository files the API image carries, relative to `root`, sorted: contract/ and
 * reference-api/ without node_modules, tests and logs (the same as .dockerignore keeps out).
 */
export function apiSourceFiles(root: string = REPO_ROOT): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(path);
      } else if (entry.isFile() && !/\.test\.ts$|\.log$/.test(entry.name) && entry.name !== 'Dockerfile') {
        files.push(relative(root, path).split(sep).join('/'));
      }
    }
  };
  for (const dir of API_SOURCE_DIRS) if (statSync(join(root, dir), { throwIfNoEntry: false })?.isDirectory()) walk(join(root, dir));
  return files.sort();
}

function fileLines(dir: string, files: readonly string[]): string[] {
  return files.map((file) => `file ${file} ${createHash('sha256').update(readFileSync(join(dir, file))).digest('hex')}`);
}

function digest(lines: readonly string[]): string {
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}
