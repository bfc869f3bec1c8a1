import { $ } from 'zx';
import { IMAGES_DEFAULTS, imageRecipe, type ImageRecipeOptions } from '../../core/env/_internals/images/image-recipe.ts';

/** One image of `fleetbed images list`. */
export interface ListedImage {
  /** `fleetbed/postgres:<key>`. */
  name: string;
  /** Its content key label. */
  key: string;
  /** Whether its key is that of the current recipe inputs (so the containers environment uses it). */
  current: boolean;
  /** As `docker images` prints it (e.g. `524MB`). */
  size: string;
  created: string;
}

/**
 * The images `fleetbed images build` made (label `org.fleetbed.content-key`), newest first,
 * each marked current or stale against the recipe inputs now. Throws if `docker` fails.
 */
export async function listImages(options: ImageRecipeOptions = {}): Promise<ListedImage[]> {
  const recipe = imageRecipe(options);
  const current = new Set([recipe.base.name, recipe.postgres.name, recipe.api.name]);
  const output = await $({ quiet: true })`docker images --filter ${`label=${IMAGES_DEFAULTS.keyLabel}`} --format ${'{{json .}}'}`;
  return output.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { Repository: string; Tag: string; Size: string; CreatedSince: string })
    .filter((row) => row.Tag !== IMAGES_DEFAULTS.aliasTag)
    .map((row) => {
      const name = `${row.Repository}:${row.Tag}`;
      return { name, key: row.Tag, current: current.has(name), size: row.Size, created: row.CreatedSince };
    });
}
