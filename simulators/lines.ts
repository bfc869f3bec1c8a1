import { PRODUCT_LINES, type ProductLine } from '../contract/product-line.ts';

/** Product lines by their column code (the low 2 bits of `Fleet.kind`): the contract's order. */
export const LINE_CODES: readonly ProductLine[] = PRODUCT_LINES;
export const LINE_ADULT = 0;
export const LINE_KIDS = 1;
export const LINE_INTERDENTAL = 2;
