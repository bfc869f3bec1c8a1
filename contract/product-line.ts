/** The device models the platform knows. Each line is one device model. */
export const PRODUCT_LINES = Object.freeze(['adult-brush', 'kids-brush', 'interdental'] as const);

export type ProductLine = (typeof PRODUCT_LINES)[number];

/** True when `value` names a product line. */
export function isProductLine(value: unknown): value is ProductLine {
  return typeof value === 'string' && (PRODUCT_LINES as readonly string[]).includes(value);
}
