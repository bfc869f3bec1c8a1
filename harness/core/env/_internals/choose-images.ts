import type { TestcontainersModules } from './load-testcontainers.ts';
import { imageRecipe } from './images/image-recipe.ts';
import { EnvironmentError } from '../errors.ts';
import { ENV_DEFAULTS } from '../options.ts';

/** The public images, used where a registry answers. */
export const PUBLIC_IMAGES = Object.freeze({
  postgres: ENV_DEFAULTS.postgresImage,
  /** The `FROM` of reference-api/Dockerfile: the API image is built from it when it can be had. */
  apiBase: 'node:20-slim',
});

/** Where an image name came from. */
export type ImageSource = 'option' | 'variable' | 'public' | 'local build';

/** The images the containers environment runs, and why. */
export interface ChosenImages {
  postgres: { image: string; source: ImageSource };
  /** `dockerfile`: built from reference-api/Dockerfile (on the public node image). */
  api: { image: string; source: ImageSource; dockerfile: boolean };
}

/** Inputs of {@link chooseImages}. */
export interface ChooseImagesInput {
  postgresImage?: string;
  apiImage?: string;
  processEnv: Record<string, string | undefined>;
  /** The image the Dockerfile build is tagged with. */
  apiImageName: string;
}

/**
 * Pick the PostgreSQL and API images: an option, else `FLEETBED_POSTGRES_IMAGE` /
 * `FLEETBED_API_IMAGE`, else the public images when the engine has them or can pull them
 * (postgres:16-alpine; the API built from reference-api/Dockerfile on node:20-slim), else the
 * images `fleetbed images build` made for the current sources. None of these:
 * `FLEETBED_ENV_NO_IMAGE`, naming what was tried and the fix.
 */
export async function chooseImages(tc: TestcontainersModules['tc'], input: ChooseImagesInput): Promise<ChosenImages> {
  const client = await tc.getContainerRuntimeClient();
  const pullErrors = new Map<string, string>();
  const has = (name: string) => client.image.exists(tc.ImageName.fromString(name));
  const obtain = async (name: string) => {
    if (await has(name)) return true;
    try {
      await client.image.pull(tc.ImageName.fromString(name));
      return true;
    } catch (error) {
      pullErrors.set(name, String((error as Error).message ?? error).split('\n')[0]!);
      return false;
    }
  };
  const recipe = imageRecipe();
  const missing = (what: string, publicName: string, local: { name: string; alias: string }, localAliasExists: boolean) =>
    `${what}: ${publicName} is not on the engine and cannot be pulled (${pullErrors.get(publicName) ?? 'no registry'}), ` +
    `and ${local.name}, the local build for the current sources, does not exist` +
    (localAliasExists ? ` (${local.alias} does, built from other sources)` : '');

  const problems: string[] = [];
  let postgres: ChosenImages['postgres'] | undefined;
  const explicitPostgres = named(input.postgresImage, input.processEnv.FLEETBED_POSTGRES_IMAGE, 'from FLEETBED_POSTGRES_IMAGE');
  if (explicitPostgres) {
    if (!(await obtain(explicitPostgres.image))) {
      problems.push(`PostgreSQL: ${explicitPostgres.image} (${explicitPostgres.how}) is not on the engine and cannot be pulled (${pullErrors.get(explicitPostgres.image)})`);
    } else postgres = { image: explicitPostgres.image, source: explicitPostgres.source };
  } else if (await obtain(PUBLIC_IMAGES.postgres)) postgres = { image: PUBLIC_IMAGES.postgres, source: 'public' };
  else if (await has(recipe.postgres.name)) postgres = { image: recipe.postgres.name, source: 'local build' };
  else problems.push(missing('PostgreSQL', PUBLIC_IMAGES.postgres, recipe.postgres, await has(recipe.postgres.alias)));

  let api: ChosenImages['api'] | undefined;
  const explicitApi = named(input.apiImage, input.processEnv.FLEETBED_API_IMAGE, 'from FLEETBED_API_IMAGE');
  if (explicitApi) {
    if (!(await obtain(explicitApi.image))) {
      problems.push(`The API: ${explicitApi.image} (${explicitApi.how}) is not on the engine and cannot be pulled (${pullErrors.get(explicitApi.image)})`);
    } else api = { image: explicitApi.image, source: explicitApi.source, dockerfile: false };
  } else if (await obtain(PUBLIC_IMAGES.apiBase)) api = { image: input.apiImageName, source: 'public', dockerfile: true };
  else if (await has(recipe.api.name)) api = { image: recipe.api.name, source: 'local build', dockerfile: false };
  else problems.push(missing('The API', PUBLIC_IMAGES.apiBase, recipe.api, await has(recipe.api.alias)));

  if (!postgres || !api) {
    throw new EnvironmentError(
      'FLEETBED_ENV_NO_IMAGE',
      `--env containers has a Docker engine but no image to run. ${problems.join('; ')}. ` +
        'Build both from Debian packages, no registry needed: `npx fleetbed images build` (about 2 minutes the first time, seconds when cached); ' +
        'or set FLEETBED_POSTGRES_IMAGE and FLEETBED_API_IMAGE to images the engine has. Nothing was started.',
    );
  }
  return { postgres, api };
}

function named(option: string | undefined, variable: string | undefined, how: string): { image: string; source: ImageSource; how: string } | undefined {
  if (option) return { image: option, source: 'option', how: 'given as an option' };
  if (variable) return { image: variable, source: 'variable', how };
  return undefined;
}
