/*
 * Small-sample statistics of the health gate (decide.ts): exact binomial tails
 * and the Wilson score bound. Pure functions of counts, no dependencies.
 */

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: ~15 significant digits). */
export function lnGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * P(X ≥ x) for X ~ Binomial(n, p), exact (summed from x upwards in log space).
 * At or below the mean it returns 1: the tail is at least about one half
 * there, far above any level the gate tests against, and the sum would be long.
 */
export function binomialUpperTail(x: number, n: number, p: number): number {
  if (x <= 0) return 1;
  if (x > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  if (x <= n * p) return 1;
  const lnPmf = lnGamma(n + 1) - lnGamma(x + 1) - lnGamma(n - x + 1) + x * Math.log(p) + (n - x) * Math.log1p(-p);
  // Terms decrease from k = x on (x is above the mode): sum their ratios to the first.
  const odds = p / (1 - p);
  let term = 1;
  let sum = 1;
  for (let k = x; k < n; k++) {
    term *= ((n - k) / (k + 1)) * odds;
    sum += term;
    if (term < sum * 1e-16) break;
  }
  return Math.min(1, Math.exp(lnPmf + Math.log(sum)));
}

/** The Wilson score upper bound of a share `x / n` at `z` (one-sided); 1 when n = 0. */
export function wilsonUpper(x: number, n: number, z: number): number {
  if (n <= 0) return 1;
  const p = x / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.min(1, (centre + spread) / (1 + z2 / n));
}
