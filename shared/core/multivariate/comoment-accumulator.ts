/**
 * Streaming mean and covariance of d-dimensional vectors in one pass, in memory of order d^2
 * whatever the row count. Vectors are shifted by a point near the mean before their outer products
 * are summed, which keeps the usual `E[xx'] - E[x]E[x]'` form accurate.
 */
export class CoMomentAccumulator {
  private readonly sums: Float64Array;
  /** Upper triangle (row-major, j >= i) of the sum of outer products of the shifted vectors. */
  private readonly scatter: Float64Array;
  private readonly shifted: Float64Array;
  private rows = 0;

  constructor(
    readonly dimension: number,
    /** A point near the mean (a first-pass mean, or the first vector). */
    private readonly shift: Float64Array,
  ) {
    this.sums = new Float64Array(dimension);
    this.scatter = new Float64Array(dimension * dimension);
    this.shifted = new Float64Array(dimension);
  }

  get n(): number {
    return this.rows;
  }

  add(x: ArrayLike<number>): void {
    const d = this.dimension;
    const y = this.shifted;
    for (let i = 0; i < d; i++) {
      y[i] = x[i]! - this.shift[i]!;
      this.sums[i]! += y[i]!;
    }
    const s = this.scatter;
    for (let i = 0; i < d; i++) {
      const yi = y[i]!;
      if (yi === 0) continue;
      const row = i * d;
      for (let j = i; j < d; j++) s[row + j]! += yi * y[j]!;
    }
    this.rows++;
  }

  /** The mean and the population covariance (ddof = 0) as a full symmetric d x d array. */
  result(): { mean: Float64Array; covariance: number[][] } {
    const d = this.dimension;
    const n = this.rows;
    const m = Float64Array.from(this.sums, (s) => s / n);
    const covariance = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) {
        const c = this.scatter[i * d + j]! / n - m[i]! * m[j]!;
        covariance[i]![j] = c;
        covariance[j]![i] = c;
      }
    }
    return { mean: Float64Array.from(m, (v, i) => v + this.shift[i]!), covariance };
  }
}
