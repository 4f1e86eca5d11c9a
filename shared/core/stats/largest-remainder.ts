/**
 * Whole numbers adding up to `total` in the ratios of `weights` (largest remainders: each gets the
 * floor of its exact share, the rows left go to the largest fractions). All-zero weights put the
 * total in the first place. Pure.
 */
export function largestRemainder(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) return weights.map((_, i) => (i === 0 ? total : 0));
  const exact = weights.map((w) => (w / sum) * total);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  for (const [, i] of exact.map((v, i) => [v - Math.floor(v), i] as const).sort((a, b) => b[0] - a[0])) {
    if (left-- <= 0) break;
    out[i]!++;
  }
  return out;
}
