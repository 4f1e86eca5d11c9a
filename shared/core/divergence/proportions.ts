/** Anything indexable by position with a length: number[], Float64Array, Uint32Array. */
export type Counts = ArrayLike<number>;

/** Sum of all entries. */
export function total(counts: Counts): number {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) sum += counts[i]!;
  return sum;
}

/** Counts divided by their total; all zeros when the total is zero. */
export function toProportions(counts: Counts): Float64Array {
  const out = new Float64Array(counts.length);
  const sum = total(counts);
  if (sum === 0) return out;
  for (let i = 0; i < counts.length; i++) out[i] = counts[i]! / sum;
  return out;
}

/**
 * Proportions with every entry raised to at least `epsilon`, not renormalised (the PSI convention
 * of common tools, so that an empty bin costs a bounded, not infinite, amount).
 */
export function flooredProportions(counts: Counts, epsilon: number): Float64Array {
  const out = toProportions(counts);
  for (let i = 0; i < out.length; i++) if (out[i]! < epsilon) out[i] = epsilon;
  return out;
}

/** Throws unless both count arrays have the same, non-zero length and non-zero totals. */
export function assertComparable(expected: Counts, actual: Counts): void {
  if (expected.length !== actual.length) {
    throw new RangeError(`bin counts differ in length: ${expected.length} vs ${actual.length}`);
  }
  if (expected.length === 0) throw new RangeError('bin counts are empty');
  if (total(expected) <= 0 || total(actual) <= 0) throw new RangeError('bin counts total zero');
}
