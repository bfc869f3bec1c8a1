export { buildImages, aptMirror, type BuildImagesOptions, type BuildImagesResult, type BuiltImage } from './build-images.ts';
export { listImages, type ListedImage } from './list-images.ts';
export { IMAGES_DEFAULTS, imageRecipe, apiSourceFiles, type ImageRecipe, type ImageRecipeOptions, type ImageRef } from '../../core/env/_internals/images/image-recipe.ts';
export { ImagesError, type ImagesErrorCode } from './errors.ts';
