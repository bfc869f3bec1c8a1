import { buildImages, listImages } from '../../products/images/index.ts';
import { EXIT, parseCommandArgs, UsageError } from '../usage.ts';

/** `fleetbed images --help`. */
export const IMAGES_HELP = `Usage: fleetbed images build [--force] [--mirror URL]
       fleetbed images list

Build the images --env containers and docker-compose.yml run where no image
registry answers (air-gapped CI), from Debian packages and the Node binary that
runs fleetbed:
  fleetbed/debian-base     debootstrap --variant=minbase bookworm + postgresql-15
                           (needs root and debootstrap; about 1–2 minutes)
  fleetbed/postgres        the base + an entry point taking the public postgres
                           image's POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB
  fleetbed/reference-api   the base + this Node + the reference API and its
                           npm ci --omit=dev dependencies
Each is tagged with its content key (a hash of its recipe inputs: the suite and
packages; the Node version, reference-api/package*.json, its sources, contract/,
tsconfig.json and the recipe files) and with :local. An image whose key exists
is not built again; older keys are untagged. The containers environment uses the
images of the current key when the public ones cannot be pulled; so does
npm run compose:suite.

Commands:
  build              build what is missing (a second run takes a few seconds)
  list               the images built, and whether each matches the sources now

Options:
  --force            build even when an image with the same key exists
  --mirror URL       Debian mirror for debootstrap (default: FLEETBED_DEBIAN_MIRROR,
                     else the machine's apt source for bookworm, else deb.debian.org)
  -h, --help         this text

Needs a Docker engine ("docker info"). The log of every step goes to
.fleetbed/images-build.log; a failed step is FLEETBED_IMAGES_BUILD_FAILED.
`;

/** `fleetbed images build|list`: returns the exit code; a build failure throws `FLEETBED_IMAGES_BUILD_FAILED`. */
export async function images(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'images',
    argv,
    { force: { type: 'boolean' }, mirror: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    true,
  );
  if (values.help) {
    out(IMAGES_HELP);
    return EXIT.ok;
  }
  const [sub, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`fleetbed images ${sub} takes no arguments, got ${extra.join(' ')}.`, 'Run "fleetbed images --help".');
  if (sub === 'build') {
    const result = await buildImages({ ...(values.force ? { force: true } : {}), ...(values.mirror ? { mirror: values.mirror } : {}) });
    for (const image of [result.postgres, result.api]) out(`${image.name}\t${image.cached ? 'cached' : `built in ${(image.elapsedMs / 1000).toFixed(1)} s`}\t(also ${image.alias})`);
    return EXIT.ok;
  }
  if (sub === 'list') {
    if (values.force || values.mirror) throw new UsageError('--force and --mirror are flags of fleetbed images build.', 'Run "fleetbed images --help".');
    const rows = await listImages();
    if (rows.length === 0) out('No images built yet: fleetbed images build');
    for (const row of rows) out(`${row.name}\t${row.size}\t${row.created}\t${row.current ? 'current' : 'stale (built from other sources)'}`);
    return EXIT.ok;
  }
  throw new UsageError(
    sub === undefined ? 'fleetbed images needs a command: build or list.' : `unknown images command ${JSON.stringify(sub)}.`,
    'Run "fleetbed images --help".',
  );
}
